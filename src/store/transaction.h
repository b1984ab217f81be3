#pragma once

#include "rollway/common/result.h"

namespace rollway::store {

class Database;

// BEGIN IMMEDIATE … COMMIT; rolls back on destruction unless committed, so an early
// `return fail(...)` leaves nothing half-written.
class Transaction {
 public:
  static Result<Transaction> begin(Database& db);
  ~Transaction();
  Transaction(Transaction&& other) noexcept;
  Transaction& operator=(Transaction&&) = delete;
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;

  Result<void> commit();

 private:
  explicit Transaction(Database& db) : db_(&db) {}
  Database* db_;  // null once committed, rolled back or moved from
};

}  // namespace rollway::store
