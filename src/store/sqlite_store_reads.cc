// The reads of Store: what is committed, with the pending writes laid over it.
#include "rollway/store/store.h"

#include <string>
#include <utility>

#include "store/rows.h"
#include "store/sqlite_store.h"
#include "store/sqlite_store_impl.h"

namespace rollway::store {

Result<std::vector<ServiceRecord>> SqliteStore::listServices() {
  auto stmt = impl_->db->prepare(std::string(kServiceColumns) + " ORDER BY name");
  if (!stmt) return fail(stmt.error());
  auto records = collect<ServiceRecord>(*stmt, readService);
  if (records) {
    for (auto& record : *records) impl_->pending.overlay(record);
  }
  return records;
}

Result<ServiceRecord> SqliteStore::getService(const std::string& name) {
  auto stmt = impl_->db->prepare(std::string(kServiceColumns) + " WHERE name = ?1");
  if (!stmt) return fail(stmt.error());
  stmt->bind(1, name);
  auto row = stmt->step();
  if (!row) return fail(row.error());
  if (!*row) return fail(ErrorCode::kNotFound, "service \"{}\" not found", name);
  ServiceRecord record = readService(*stmt);
  impl_->pending.overlay(record);
  return record;
}

Result<std::vector<RevisionRecord>> SqliteStore::listRevisions(const std::string& service) {
  // One read transaction, so that the existence check and the list agree.
  if (auto ok = impl_->db->exec("BEGIN", "beginning a read"); !ok) return fail(ok.error());
  auto result = [&]() -> Result<std::vector<RevisionRecord>> {
    auto found = impl_->hasRow("SELECT 1 FROM services WHERE name = ?1", service);
    if (!found) return fail(found.error());
    if (!*found) return fail(ErrorCode::kNotFound, "service \"{}\" not found", service);
    auto stmt = impl_->db->prepare(std::string(kRevisionColumns) + " WHERE service = ?1 ORDER BY number DESC");
    if (!stmt) return fail(stmt.error());
    stmt->bind(1, service);
    return collect<RevisionRecord>(*stmt, readRevision);
  }();
  (void)impl_->db->exec("COMMIT", "ending a read");
  if (result) {
    for (auto& record : *result) impl_->pending.overlay(record);
  }
  return result;
}

Result<RevisionRecord> SqliteStore::getRevision(const std::string& service, int64_t number) {
  auto stmt = impl_->db->prepare(std::string(kRevisionColumns) + " WHERE service = ?1 AND number = ?2");
  if (!stmt) return fail(stmt.error());
  stmt->bind(1, service).bind(2, number);
  auto row = stmt->step();
  if (!row) return fail(row.error());
  if (!*row) return fail(ErrorCode::kNotFound, "revision {} of service \"{}\" not found", number, service);
  RevisionRecord record = readRevision(*stmt);
  impl_->pending.overlay(record);
  return record;
}

Result<std::vector<Event>> SqliteStore::listEvents(const EventFilter& filter) {
  // With a cursor: the next page. Without: the newest `limit`, read newest first and
  // put back in order.
  const std::string sql =
      filter.afterId > 0
          ? std::string(kEventColumns) + " WHERE id > ?1 AND (?2 = '' OR service = ?2) ORDER BY id LIMIT ?3"
          : "SELECT * FROM (" + std::string(kEventColumns) +
                " WHERE id > ?1 AND (?2 = '' OR service = ?2) ORDER BY id DESC LIMIT ?3) ORDER BY id";
  auto stmt = impl_->db->prepare(sql);
  if (!stmt) return fail(stmt.error());
  const int64_t limit = filter.limit > 0 ? filter.limit : -1;  // LIMIT -1: no limit
  stmt->bind(1, filter.afterId).bind(2, filter.service).bind(3, limit);
  auto events = collect<Event>(*stmt, readEvent);
  if (!events || impl_->pending.eventCount() == 0) return events;
  auto last = impl_->events.lastId();
  if (!last) return fail(last.error());
  return impl_->pending.mergeEvents(std::move(*events), filter, *last);
}

Result<std::vector<InstanceRecord>> SqliteStore::listInstances(const std::string& service) {
  auto stmt = impl_->db->prepare(std::string(kInstanceColumns) + " WHERE (?1 = '' OR service = ?1) ORDER BY name");
  if (!stmt) return fail(stmt.error());
  stmt->bind(1, service);
  auto records = collect<InstanceRecord>(*stmt, readInstance);
  if (!records) return records;
  return impl_->pending.mergeInstances(std::move(*records), service);
}

}  // namespace rollway::store
