#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "rollway/common/result.h"
#include "store/statement.h"

struct sqlite3;

namespace rollway::store {

// One SQLite connection (C API) with the pragmas the store relies on: WAL,
// synchronous=FULL, foreign keys, busy timeout. Errors name the file and SQLite's reason.
class Database {
 public:
  static constexpr int kBusyTimeoutMs = 5000;

  // Creates the parent directory (0700) and the file (0600) when missing.
  static Result<std::unique_ptr<Database>> open(const std::string& path);
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  // Fixed SQL only (DDL, pragmas, BEGIN/COMMIT): never SQL with values in it.
  Result<void> exec(const char* sql, std::string_view what);
  Result<Statement> prepare(std::string_view sql);

  int64_t changes() const;
  int64_t lastInsertRowid() const;
  const std::string& path() const { return path_; }

  // An Error for the last failure on this connection:
  // "store PATH: WHAT: SQLITE MESSAGE (code N)".
  Error lastError(int rc, std::string_view what) const;

 private:
  Database(sqlite3* db, std::string path);
  sqlite3* db_;
  std::string path_;
};

// Maps an SQLite result code to our error codes: busy/locked → kUnavailable,
// constraint → kConflict, everything else → kIo.
ErrorCode errorCodeFor(int rc);

}  // namespace rollway::store
