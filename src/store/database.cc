#include "store/database.h"

#include <cerrno>
#include <cstring>
#include <utility>

#include <sqlite3.h>

namespace rollway::store {

namespace {

// What a failed read or write says about the storage under the file.
enum class Trouble { kNone, kFull, kReadOnly, kIo, kDamaged };

Trouble troubleFor(int rc, int systemErrno) {
  switch (rc & 0xff) {
    case SQLITE_FULL:
      return Trouble::kFull;
    case SQLITE_READONLY:
      return Trouble::kReadOnly;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return Trouble::kDamaged;
    case SQLITE_IOERR:
      if (systemErrno == ENOSPC || systemErrno == EDQUOT) return Trouble::kFull;
      if (systemErrno == EROFS) return Trouble::kReadOnly;
      return Trouble::kIo;
    default:
      return Trouble::kNone;
  }
}

}  // namespace

ErrorCode errorCodeFor(int rc) {
  switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return ErrorCode::kUnavailable;
    case SQLITE_CONSTRAINT:
      return ErrorCode::kConflict;
    case SQLITE_FULL:
      return ErrorCode::kStorageFull;
    default:
      return ErrorCode::kIo;
  }
}

bool isStorageFailure(const Error& error) {
  return error.code == ErrorCode::kStorageFull || error.code == ErrorCode::kIo ||
         error.code == ErrorCode::kUnavailable;
}

Result<std::unique_ptr<Database>> Database::open(const std::string& path, const std::string& vfs) {
  if (path.empty()) return fail(ErrorCode::kInvalidArgument, "store: the database path is empty");
  sqlite3* handle = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &handle, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX,
                           vfs.empty() ? nullptr : vfs.c_str());
  if (rc != SQLITE_OK) {
    std::string message = handle ? sqlite3_errmsg(handle) : sqlite3_errstr(rc);
    sqlite3_close_v2(handle);
    return fail(errorCodeFor(rc), "store {}: cannot open the database: {}", path, message);
  }
  std::unique_ptr<Database> db(new Database(handle, path));
  sqlite3_extended_result_codes(handle, 1);
  sqlite3_busy_timeout(handle, kBusyTimeoutMs);
  db->setCheckpointOnClose(false);
  return db;
}

Result<void> Database::configure() {
  // journal_mode answers with the mode in effect: anything but "wal" is an error.
  auto journal = prepare("PRAGMA journal_mode=WAL");
  if (!journal) return fail(journal.error());
  auto row = journal->step();
  if (!row) return fail(row.error());
  std::string mode = *row ? journal->columnText(0) : std::string();
  if (mode != "wal") {
    return fail(ErrorCode::kIo, "store {}: cannot switch to WAL journal mode (got \"{}\")", path_, mode);
  }
  if (auto ok = exec("PRAGMA synchronous=FULL", "setting synchronous=FULL"); !ok) return fail(ok.error());
  return exec("PRAGMA foreign_keys=ON", "enabling foreign keys");
}

void Database::setCheckpointOnClose(bool on) {
  sqlite3_db_config(db_, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, on ? 0 : 1, nullptr);
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

int Database::lastSystemErrno() const {
  // SQLite records the OS error of a failed statement, but not of a failed commit;
  // then the VFS's own record (errno, for the default unix VFS) is the best there is.
  if (int err = sqlite3_system_errno(db_); err != 0) return err;
  sqlite3_vfs* vfs = nullptr;
  if (sqlite3_file_control(db_, "main", SQLITE_FCNTL_VFS_POINTER, &vfs) != SQLITE_OK || vfs == nullptr ||
      vfs->xGetLastError == nullptr) {
    return 0;
  }
  return vfs->xGetLastError(vfs, 0, nullptr);
}

std::string Database::lastDamage() const {
  int rc = sqlite3_extended_errcode(db_);
  if (troubleFor(rc, 0) != Trouble::kDamaged) return {};
  return fmt::format("{} (sqlite code {})", sqlite3_errmsg(db_), rc);
}

Error Database::lastError(int rc, std::string_view what) const {
  const char* message = sqlite3_extended_errcode(db_) == rc ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
  const int systemErrno = (rc & 0xff) == SQLITE_IOERR ? lastSystemErrno() : 0;
  std::string detail = fmt::format("store {}: {}: {}{} (sqlite code {})", path_, what, message,
                                   systemErrno != 0 ? std::string(": ") + std::strerror(systemErrno) : "", rc);
  switch (troubleFor(rc, systemErrno)) {
    case Trouble::kFull:
      return Error{ErrorCode::kStorageFull,
                   fmt::format("the state directory's file system is full: {}; free space there and retry", detail),
                   {}};
    case Trouble::kReadOnly:
      return Error{ErrorCode::kIo,
                   fmt::format("the state database cannot be written: {}; make the state directory and its file "
                               "system writable again, then retry",
                               detail),
                   {}};
    case Trouble::kIo:
      return Error{ErrorCode::kIo,
                   fmt::format("the state database cannot be read or written: {}; check the disk and its file "
                               "system (dmesg), then retry",
                               detail),
                   {}};
    case Trouble::kDamaged:
      return Error{ErrorCode::kIo,
                   fmt::format("the state database is damaged: {}; stop rollway and restore the file from a backup",
                               detail),
                   {}};
    case Trouble::kNone:
      break;
  }
  return Error{errorCodeFor(rc), std::move(detail), {}};
}

}  // namespace rollway::store
