#include "store/transaction.h"

#include <utility>

#include "store/database.h"

namespace rollway::store {

Result<Transaction> Transaction::begin(Database& db) {
  // IMMEDIATE takes the write lock now, so a busy database fails here (after the busy
  // timeout) rather than half-way through the work.
  if (auto ok = db.exec("BEGIN IMMEDIATE", "beginning a transaction"); !ok) return fail(ok.error());
  return Transaction(db);
}

Transaction::Transaction(Transaction&& other) noexcept : db_(std::exchange(other.db_, nullptr)) {}

Transaction::~Transaction() {
  if (db_ != nullptr) (void)db_->exec("ROLLBACK", "rolling back");
}

Result<void> Transaction::commit() {
  Database* db = std::exchange(db_, nullptr);
  if (auto ok = db->exec("COMMIT", "committing"); !ok) {
    (void)db->exec("ROLLBACK", "rolling back");
    return ok;
  }
  return {};
}

}  // namespace rollway::store
