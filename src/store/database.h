#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "rollway/common/result.h"
#include "store/statement.h"

struct sqlite3;

namespace rollway::store {

// One SQLite connection (C API). Errors name the file and SQLite's reason; storage
// failures say what to do (see lastError).
class Database {
 public:
  static constexpr int kBusyTimeoutMs = 5000;

  // Opens the existing file `path` for reading and writing, without writing to it: the
  // pragmas come with configure(), and closing does not checkpoint until
  // setCheckpointOnClose(true). `vfs` empty = SQLite's default.
  static Result<std::unique_ptr<Database>> open(const std::string& path, const std::string& vfs = "");
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  // The pragmas the store relies on: WAL, synchronous=FULL, foreign keys.
  Result<void> configure();
  // Whether closing the last connection copies the WAL into the file (SQLite's default).
  void setCheckpointOnClose(bool on);

  // Fixed SQL only (DDL, pragmas, BEGIN/COMMIT): never SQL with values in it.
  Result<void> exec(const char* sql, std::string_view what);
  Result<Statement> prepare(std::string_view sql);

  int64_t changes() const;
  int64_t lastInsertRowid() const;
  const std::string& path() const { return path_; }

  // An Error for the last failure on this connection, "store PATH: WHAT: SQLITE
  // MESSAGE (sqlite code N)", as kStorageFull when the file system is full, and with
  // what to do for a full, read-only, failing or damaged file (kIo).
  Error lastError(int rc, std::string_view what) const;
  // SQLite's reason when the last failure on this connection said the file is damaged
  // (SQLITE_CORRUPT, SQLITE_NOTADB); empty otherwise.
  std::string lastDamage() const;

 private:
  Database(sqlite3* db, std::string path);
  // The OS error (errno) behind the last I/O error, 0 when unknown.
  int lastSystemErrno() const;

  sqlite3* db_;
  std::string path_;
};

// Maps an SQLite result code to our error codes: busy/locked → kUnavailable,
// constraint → kConflict, full → kStorageFull, everything else → kIo.
ErrorCode errorCodeFor(int rc);

// True for errors of the storage rather than of the request: full, I/O, read-only,
// damaged, locked.
bool isStorageFailure(const Error& error);

}  // namespace rollway::store
