#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "rollway/common/result.h"
#include "rollway/store/store.h"

namespace rollway::store {

class Database;

// The events table: inserts, and pruning to the newest `eventHistory` per service (in
// the transaction of every `pruneEvery`-th insert of that service, and at open).
// Callers run it inside their transaction.
class EventLog {
 public:
  EventLog(Database& db, const StoreOptions& options) : db_(db), options_(options) {}

  // Inserts `event` (its timeMs must be set; an empty type is "Normal") and returns its id.
  Result<int64_t> insert(const Event& event);
  // Inserts a Normal event of the store's own (apply, delete).
  Result<void> record(const std::string& service, std::string object, std::string reason, std::string message,
                      int64_t timeMs);
  // The id of the newest event ever committed or inserted in the open transaction
  // (ids are never reused), 0 when there was none.
  Result<int64_t> lastId();
  // Prunes every service in one transaction of its own.
  Result<void> pruneAll();

 private:
  Result<void> prune(const std::string& service);

  Database& db_;
  const StoreOptions& options_;
  std::map<std::string, int> insertsSincePrune_;  // per service
};

}  // namespace rollway::store
