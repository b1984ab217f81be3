#include "store/write_behind.h"

#include <algorithm>

#include "store/database.h"
#include "store/event_log.h"

namespace rollway::store {

void WriteBehind::setStatus(const std::string& service, std::string statusJson) {
  statuses_[service] = std::move(statusJson);
}

void WriteBehind::setPhase(const std::string& service, int64_t number, std::string phase) {
  phases_[{service, number}] = std::move(phase);
}

void WriteBehind::upsertInstance(InstanceRecord record) {
  auto& slot = instances_[record.name];
  if (slot) record.createdAtMs = slot->createdAtMs;
  slot = std::move(record);
}

void WriteBehind::deleteInstance(const std::string& name) { instances_[name] = std::nullopt; }

void WriteBehind::appendEvent(Event event) {
  size_t& count = eventsByService_[event.service];
  if (count >= eventsPerService_) {
    auto oldest = std::find_if(events_.begin(), events_.end(), [&](const Event& e) { return e.service == event.service; });
    if (oldest != events_.end()) {
      events_.erase(oldest);
      --count;
    }
  }
  events_.push_back(std::move(event));
  ++count;
}

bool WriteBehind::empty() const {
  return statuses_.empty() && phases_.empty() && instances_.empty() && events_.empty();
}

PendingWrites WriteBehind::counts() const {
  return PendingWrites{statuses_.size(), phases_.size(), instances_.size(), events_.size()};
}

void WriteBehind::clear() {
  statuses_.clear();
  phases_.clear();
  instances_.clear();
  events_.clear();
  eventsByService_.clear();
}

Result<void> WriteBehind::writeTo(Database& db, EventLog& events) const {
  for (const auto& [service, json] : statuses_) {
    // A service deleted since is not an error: there is nothing left to update.
    auto stmt = db.prepare("UPDATE services SET status_json = ?1 WHERE name = ?2");
    if (!stmt) return fail(stmt.error());
    stmt->bind(1, json).bind(2, service);
    if (auto ok = stmt->run(); !ok) return fail(ok.error());
  }
  for (const auto& [key, phase] : phases_) {
    auto stmt = db.prepare("UPDATE revisions SET phase = ?1 WHERE service = ?2 AND number = ?3");
    if (!stmt) return fail(stmt.error());
    stmt->bind(1, phase).bind(2, key.first).bind(3, key.second);
    if (auto ok = stmt->run(); !ok) return fail(ok.error());
  }
  for (const auto& [name, record] : instances_) {
    if (!record) {
      auto stmt = db.prepare("DELETE FROM instances WHERE name = ?1");
      if (!stmt) return fail(stmt.error());
      stmt->bind(1, name);
      if (auto ok = stmt->run(); !ok) return fail(ok.error());
      continue;
    }
    auto stmt = db.prepare(
        "INSERT INTO instances (name, service, revision, pid, start_time_ticks, port, state, created_at_ms) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) "
        "ON CONFLICT (name) DO UPDATE SET service = excluded.service, revision = excluded.revision, "
        "pid = excluded.pid, start_time_ticks = excluded.start_time_ticks, port = excluded.port, "
        "state = excluded.state");
    if (!stmt) return fail(stmt.error());
    stmt->bind(1, record->name)
        .bind(2, record->service)
        .bind(3, record->revision)
        .bind(4, record->pid)
        .bind(5, record->startTimeTicks)
        .bind(6, static_cast<int64_t>(record->port))
        .bind(7, record->state)
        .bind(8, record->createdAtMs);
    if (auto ok = stmt->run(); !ok) return fail(ok.error());
  }
  for (const Event& event : events_) {
    if (auto id = events.insert(event); !id) return fail(id.error());
  }
  return {};
}

void WriteBehind::overlay(ServiceRecord& record) const {
  if (auto it = statuses_.find(record.name); it != statuses_.end()) record.statusJson = it->second;
}

void WriteBehind::overlay(RevisionRecord& record) const {
  if (auto it = phases_.find({record.service, record.number}); it != phases_.end()) record.phase = it->second;
}

const std::optional<InstanceRecord>* WriteBehind::instance(const std::string& name) const {
  auto it = instances_.find(name);
  return it == instances_.end() ? nullptr : &it->second;
}

std::vector<InstanceRecord> WriteBehind::mergeInstances(std::vector<InstanceRecord> committed,
                                                        const std::string& service) const {
  if (instances_.empty()) return committed;
  std::map<std::string, InstanceRecord> byName;
  for (auto& record : committed) {
    std::string name = record.name;
    byName.emplace(std::move(name), std::move(record));
  }
  for (const auto& [name, pending] : instances_) {
    auto it = byName.find(name);
    if (!pending || (!service.empty() && pending->service != service)) {
      if (it != byName.end()) byName.erase(it);
      continue;
    }
    InstanceRecord record = *pending;
    if (it != byName.end()) {
      record.createdAtMs = it->second.createdAtMs;  // the upsert keeps the committed one
      it->second = std::move(record);
    } else {
      byName.emplace(name, std::move(record));
    }
  }
  std::vector<InstanceRecord> out;
  out.reserve(byName.size());
  for (auto& [name, record] : byName) out.push_back(std::move(record));
  return out;
}

std::vector<Event> WriteBehind::mergeEvents(std::vector<Event> committed, const EventFilter& filter,
                                            int64_t lastCommittedId) const {
  int64_t id = lastCommittedId;
  for (const Event& pending : events_) {
    ++id;
    if (id <= filter.afterId) continue;
    if (!filter.service.empty() && pending.service != filter.service) continue;
    Event event = pending;
    event.id = id;
    if (event.type.empty()) event.type = "Normal";
    committed.push_back(std::move(event));
  }
  const size_t limit = filter.limit > 0 ? static_cast<size_t>(filter.limit) : committed.size();
  if (committed.size() > limit) {
    if (filter.afterId > 0) {
      committed.resize(limit);  // the first `limit` after the cursor
    } else {
      committed.erase(committed.begin(), committed.end() - static_cast<std::ptrdiff_t>(limit));  // the newest
    }
  }
  return committed;
}

}  // namespace rollway::store
