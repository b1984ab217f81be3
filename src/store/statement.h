#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "rollway/common/result.h"

struct sqlite3_stmt;

namespace rollway::store {

class Database;

// A prepared statement with bound parameters (1-based, as in SQLite). Binding errors
// are remembered and reported by the next step(). Finalized on destruction.
class Statement {
 public:
  Statement(const Database& db, sqlite3_stmt* stmt);
  ~Statement();
  Statement(Statement&& other) noexcept;
  Statement& operator=(Statement&&) = delete;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  Statement& bind(int index, int64_t value);
  Statement& bind(int index, std::string_view value);

  // true: a row is available; false: done.
  Result<bool> step();
  // Steps to completion, ignoring rows (INSERT/UPDATE/DELETE).
  Result<void> run();

  int64_t columnInt(int index) const;
  std::string columnText(int index) const;

 private:
  const Database* db_;
  sqlite3_stmt* stmt_;
  int bind_error_ = 0;
};

}  // namespace rollway::store
