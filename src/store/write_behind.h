#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "rollway/common/result.h"
#include "rollway/store/store.h"

namespace rollway::store {

class Database;
class EventLog;

// The controller's writes that are not committed yet: the latest value per key of the
// idempotent ones (status per service, phase per revision, instance record or deletion
// per name) and every event, in order. Written into a transaction by writeTo(), dropped
// by clear() once that transaction committed; until then the reads of the store
// overlay them on what is committed.
class WriteBehind {
 public:
  // At most `eventsPerService` pending events per service are kept (older ones would be
  // pruned right after being written anyway).
  explicit WriteBehind(size_t eventsPerService) : eventsPerService_(eventsPerService) {}

  void setStatus(const std::string& service, std::string statusJson);
  void setPhase(const std::string& service, int64_t number, std::string phase);
  // A pending upsert of the same name keeps its createdAtMs (the first one wins).
  void upsertInstance(InstanceRecord record);
  void deleteInstance(const std::string& name);
  void appendEvent(Event event);

  bool empty() const;
  PendingWrites counts() const;
  size_t eventCount() const { return events_.size(); }

  // Writes everything pending into the open transaction of `db`, in this order:
  // statuses, phases, instances, events (ids assigned in order).
  Result<void> writeTo(Database& db, EventLog& events) const;
  void clear();

  // --- overlays for the reads ----------------------------------------------------
  void overlay(ServiceRecord& record) const;
  void overlay(RevisionRecord& record) const;
  // What is pending for instance `name`: nothing (nullptr), a deletion (an empty
  // optional) or a record.
  const std::optional<InstanceRecord>* instance(const std::string& name) const;
  // `committed` (ordered by name, of `service` or all when empty) with the pending
  // upserts and deletions applied; committed createdAtMs values stay.
  std::vector<InstanceRecord> mergeInstances(std::vector<InstanceRecord> committed, const std::string& service) const;
  // `committed` (the result of the same filter, oldest first) followed by the pending
  // events it matches, numbered after `lastCommittedId` as they will be, within the
  // filter's limit.
  std::vector<Event> mergeEvents(std::vector<Event> committed, const EventFilter& filter,
                                 int64_t lastCommittedId) const;

 private:
  size_t eventsPerService_;
  std::map<std::string, std::string> statuses_;
  std::map<std::pair<std::string, int64_t>, std::string> phases_;
  std::map<std::string, std::optional<InstanceRecord>> instances_;
  std::deque<Event> events_;
  std::map<std::string, size_t> eventsByService_;
};

}  // namespace rollway::store
