#include "store/event_log.h"

#include <utility>
#include <vector>

#include "store/database.h"
#include "store/transaction.h"

namespace rollway::store {

Result<int64_t> EventLog::insert(const Event& event) {
  auto stmt = db_.prepare(
      "INSERT INTO events (time_ms, service, object, type, reason, message) VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
  if (!stmt) return fail(stmt.error());
  stmt->bind(1, event.timeMs)
      .bind(2, event.service)
      .bind(3, event.object)
      .bind(4, event.type.empty() ? std::string_view("Normal") : std::string_view(event.type))
      .bind(5, event.reason)
      .bind(6, event.message);
  if (auto ok = stmt->run(); !ok) return fail(ok.error());
  int64_t id = db_.lastInsertRowid();
  if (++insertsSincePrune_[event.service] >= options_.pruneEvery) {
    if (auto ok = prune(event.service); !ok) return fail(ok.error());
  }
  return id;
}

Result<void> EventLog::record(const std::string& service, std::string object, std::string reason,
                              std::string message, int64_t timeMs) {
  Event event;
  event.timeMs = timeMs;
  event.service = service;
  event.object = std::move(object);
  event.reason = std::move(reason);
  event.message = std::move(message);
  auto id = insert(event);
  if (!id) return fail(id.error());
  return {};
}

Result<int64_t> EventLog::lastId() {
  // AUTOINCREMENT keeps the largest id ever used in sqlite_sequence (absent before the
  // first insert).
  auto stmt = db_.prepare("SELECT seq FROM sqlite_sequence WHERE name = 'events'");
  if (!stmt) return fail(stmt.error());
  auto row = stmt->step();
  if (!row) return fail(row.error());
  return *row ? stmt->columnInt(0) : 0;
}

// Deletes the events of `service` older than its newest options.eventHistory (one
// range delete on the (service, id) index).
Result<void> EventLog::prune(const std::string& service) {
  auto stmt = db_.prepare(
      "DELETE FROM events WHERE service = ?1 AND id <= "
      "(SELECT id FROM events WHERE service = ?1 ORDER BY id DESC LIMIT 1 OFFSET ?2)");
  if (!stmt) return fail(stmt.error());
  stmt->bind(1, service).bind(2, static_cast<int64_t>(options_.eventHistory));
  if (auto ok = stmt->run(); !ok) return fail(ok.error());
  insertsSincePrune_[service] = 0;
  return {};
}

Result<void> EventLog::pruneAll() {
  auto services = db_.prepare("SELECT DISTINCT service FROM events");
  if (!services) return fail(services.error());
  std::vector<std::string> names;
  for (;;) {
    auto row = services->step();
    if (!row) return fail(row.error());
    if (!*row) break;
    names.push_back(services->columnText(0));
  }
  auto tx = Transaction::begin(db_);
  if (!tx) return fail(tx.error());
  for (const auto& name : names) {
    if (auto ok = prune(name); !ok) return fail(ok.error());
  }
  return tx->commit();
}

}  // namespace rollway::store
