#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "rollway/common/result.h"
#include "rollway/store/store.h"

namespace rollway::store {

class Database;
class EventLog;

// The writes of one apply, inside the caller's transaction: a service row, a revision
// created or re-used (and re-numbered, with the instances that run it), an event per change.
class ApplyWriter {
 public:
  ApplyWriter(Database& db, EventLog& events, int64_t nowMs) : db_(db), events_(events), now_(nowMs) {}

  Result<ApplyOutcome> applyOne(const ServiceInput& input);

 private:
  struct CurrentService {
    std::string specJson;
    int64_t generation = 0;
    int64_t currentRevision = 0;
  };
  struct KnownRevision {
    int64_t number = 0;
    std::string templateJson;
  };

  Result<std::optional<CurrentService>> findService(const std::string& name);
  Result<std::optional<KnownRevision>> findRevisionByHash(const std::string& service, const std::string& hash);
  Result<int64_t> nextRevisionNumber(const std::string& service);
  Result<void> assignRevision(const ServiceInput& input, int64_t currentRevision, ApplyOutcome& outcome);

  Database& db_;
  EventLog& events_;
  int64_t now_;
};

}  // namespace rollway::store
