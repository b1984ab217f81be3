#include "store/state_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>

#include "store/database.h"
#include "store/schema.h"

namespace rollway::store {

namespace {

constexpr const char* kLeftAsItIs =
    "not opening it, so that nothing in it is lost (the file was left as it is)";

// Creates the directory that will hold the database (and its -wal/-shm files), 0700.
Result<void> makeParentDirectory(const std::string& path) {
  std::filesystem::path parent = std::filesystem::path(path).parent_path();
  if (parent.empty()) return {};
  std::error_code ec;
  if (std::filesystem::is_directory(parent, ec)) return {};
  std::filesystem::create_directories(parent, ec);
  if (ec) {
    return fail(ErrorCode::kIo, "store {}: cannot create directory {}: {}", path, parent.string(), ec.message());
  }
  std::filesystem::permissions(parent, std::filesystem::perms::owner_all, std::filesystem::perm_options::replace, ec);
  if (ec) {
    return fail(ErrorCode::kIo, "store {}: cannot set mode 0700 on {}: {}", path, parent.string(), ec.message());
  }
  return {};
}

Error systemError(const std::string& path, const char* what, int err) {
  return Error{err == ENOSPC || err == EDQUOT ? ErrorCode::kStorageFull : ErrorCode::kIo,
               fmt::format("store {}: {}: {}", path, what, std::strerror(err)), {}};
}

Result<void> syncPath(const std::string& path, int flags) {
  int fd = ::open(path.c_str(), flags | O_CLOEXEC);
  if (fd < 0) return fail(systemError(path, "cannot open it to sync it", errno));
  int rc = ::fsync(fd);
  int err = errno;
  ::close(fd);
  if (rc != 0) return fail(systemError(path, "cannot sync it", err));
  return {};
}

// Builds the database in `temp` (which exists, empty): WAL, schema, then closed, which
// checkpoints everything into the file and removes its -wal and -shm.
Result<void> build(const std::string& temp, const std::string& vfs) {
  auto db = Database::open(temp, vfs);
  if (!db) return fail(db.error());
  (*db)->setCheckpointOnClose(true);
  if (auto ok = (*db)->configure(); !ok) return fail(ok.error());
  if (auto ok = migrate(**db); !ok) return fail(ok.error());
  return {};
}

void removeTemp(const std::string& temp) {
  for (const char* suffix : {"", "-wal", "-shm", "-journal"}) ::unlink((temp + suffix).c_str());
}

}  // namespace

Result<void> createStateFileIfMissing(const std::string& path, const std::string& vfs) {
  if (path.empty()) return fail(ErrorCode::kInvalidArgument, "store: the database path is empty");
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0) return {};
  if (errno != ENOENT && errno != ENOTDIR) return fail(systemError(path, "cannot stat the database file", errno));
  if (auto made = makeParentDirectory(path); !made) return fail(made.error());

  std::string temp = path + ".new-XXXXXX";
  int fd = ::mkostemp(temp.data(), O_CLOEXEC);  // mode 0600; SQLite gives -wal and -shm the same
  if (fd < 0) return fail(systemError(path, "cannot create a new database file beside it", errno));
  ::close(fd);
  auto built = build(temp, vfs);
  if (built) built = syncPath(temp, O_RDONLY);
  if (!built) {
    removeTemp(temp);
    return fail(built.error());
  }
  // link() never replaces: when another process put a file there meanwhile, that one stays.
  int rc = ::link(temp.c_str(), path.c_str());
  int err = errno;
  removeTemp(temp);
  if (rc != 0 && err != EEXIST) return fail(systemError(path, "cannot put the new database file in place", err));
  std::string dir = std::filesystem::path(path).parent_path().string();
  return syncPath(dir.empty() ? "." : dir, O_RDONLY | O_DIRECTORY);
}

Result<void> checkStateFile(Database& db) {
  const std::string& path = db.path();
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return fail(systemError(path, "cannot stat the database file", errno));
  if (st.st_size == 0) {
    return fail(ErrorCode::kIo,
                "the state database {} is empty (0 bytes), so it was truncated: rollway never leaves it empty; {}: "
                "restore it from a backup, or remove it to start with no services",
                path, kLeftAsItIs);
  }
  auto damaged = [&](const std::string& detail) -> tl::unexpected<Error> {
    return fail(ErrorCode::kIo,
                "the state database {} is damaged ({}); {}: restore it from a backup, or move it aside (mv {} "
                "{}.damaged) to start with no services",
                path, detail, kLeftAsItIs, path, path);
  };
  // A read that fails for another reason (I/O, locked) refuses as well, with its own error.
  auto refuse = [&](const Error& error) {
    std::string reason = db.lastDamage();
    return reason.empty() ? fail(error) : damaged(reason);
  };
  auto check = db.prepare("PRAGMA quick_check(3)");
  if (!check) return refuse(check.error());
  std::string problems;
  for (;;) {
    auto row = check->step();
    if (!row) return refuse(row.error());
    if (!*row) break;
    std::string line = check->columnText(0);
    if (line == "ok") continue;
    problems += problems.empty() ? "" : "; ";
    problems += line;
  }
  if (!problems.empty()) return damaged("PRAGMA quick_check: " + problems);
  auto version = readSchemaVersion(db);
  if (!version) return refuse(version.error());
  if (*version > latestSchemaVersion()) return fail(newerSchemaError(path, *version));
  return {};
}

}  // namespace rollway::store
