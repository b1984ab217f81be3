#include "store/database.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>
#include <utility>

#include <sqlite3.h>

namespace rollway::store {

namespace {

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

// Creates the file with mode 0600 before SQLite does (SQLite would use 0644 & umask);
// SQLite gives its -wal and -shm files the database file's mode.
Result<void> createFileIfMissing(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd >= 0) {
    ::close(fd);
    return {};
  }
  if (errno == EEXIST) return {};
  return fail(ErrorCode::kIo, "store {}: cannot create the database file: {}", path, std::strerror(errno));
}

}  // namespace

ErrorCode errorCodeFor(int rc) {
  switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return ErrorCode::kUnavailable;
    case SQLITE_CONSTRAINT:
      return ErrorCode::kConflict;
    default:
      return ErrorCode::kIo;
  }
}

Result<std::unique_ptr<Database>> Database::open(const std::string& path) {
  if (path.empty()) return fail(ErrorCode::kInvalidArgument, "store: the database path is empty");
  if (auto made = makeParentDirectory(path); !made) return fail(made.error());
  if (auto created = createFileIfMissing(path); !created) return fail(created.error());

  sqlite3* handle = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &handle, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                           nullptr);
  if (rc != SQLITE_OK) {
    std::string message = handle ? sqlite3_errmsg(handle) : sqlite3_errstr(rc);
    sqlite3_close_v2(handle);
    return fail(errorCodeFor(rc), "store {}: cannot open the database: {}", path, message);
  }
  std::unique_ptr<Database> db(new Database(handle, path));
  sqlite3_extended_result_codes(handle, 1);
  sqlite3_busy_timeout(handle, kBusyTimeoutMs);

  // journal_mode answers with the mode in effect: anything but "wal" is an error.
  auto journal = db->prepare("PRAGMA journal_mode=WAL");
  if (!journal) return fail(journal.error());
  auto row = journal->step();
  if (!row) return fail(row.error());
  std::string mode = *row ? journal->columnText(0) : std::string();
  if (mode != "wal") {
    return fail(ErrorCode::kIo, "store {}: cannot switch to WAL journal mode (got \"{}\")", path, mode);
  }
  if (auto ok = db->exec("PRAGMA synchronous=FULL", "setting synchronous=FULL"); !ok) return fail(ok.error());
  if (auto ok = db->exec("PRAGMA foreign_keys=ON", "enabling foreign keys"); !ok) return fail(ok.error());
  return db;
}

Database::Database(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}

Database::~Database() { sqlite3_close_v2(db_); }

Result<void> Database::exec(const char* sql, std::string_view what) {
  int rc = sqlite3_exec(db_, sql, nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) return fail(lastError(rc, what));
  return {};
}

Result<Statement> Database::prepare(std::string_view sql) {
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &stmt, nullptr);
  if (rc != SQLITE_OK) {
    sqlite3_finalize(stmt);
    return fail(lastError(rc, fmt::format("preparing \"{}\"", sql)));
  }
  return Statement(*this, stmt);
}

int64_t Database::changes() const { return sqlite3_changes64(db_); }

int64_t Database::lastInsertRowid() const { return sqlite3_last_insert_rowid(db_); }

Error Database::lastError(int rc, std::string_view what) const {
  const char* message = sqlite3_errcode(db_) == rc ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
  return Error{errorCodeFor(rc), fmt::format("store {}: {}: {} (sqlite code {})", path_, what, message, rc), {}};
}

}  // namespace rollway::store
