#include "rollway/store/store.h"

#include <algorithm>
#include <utility>


#include "store/apply_writer.h"
#include "store/rows.h"
#include "store/schema.h"
#include "store/state_file.h"
#include "store/sqlite_store.h"
#include "store/sqlite_store_impl.h"

namespace rollway::store {

namespace {

Error serviceNotFound(const std::string& service) {
  return Error{ErrorCode::kNotFound, fmt::format("service \"{}\" not found", service), {}};
}

}  // namespace

Result<std::unique_ptr<Store>> Store::open(const std::string& path, const Clock& clock, StoreOptions options) {
  if (options.eventHistory < 1 || options.pruneEvery < 1) {
    return fail(ErrorCode::kInvalidArgument,
                "store {}: the event history ({}) and the pruning period ({}) must be at least 1", path,
                options.eventHistory, options.pruneEvery);
  }
  if (auto created = createStateFileIfMissing(path, options.vfs); !created) return fail(created.error());
  auto db = Database::open(path, options.vfs);
  if (!db) return fail(db.error());
  // Nothing is written before the file has passed: a refused file stays as it was.
  if (auto ok = checkStateFile(**db); !ok) return fail(ok.error());
  (*db)->setCheckpointOnClose(true);
  if (auto ok = (*db)->configure(); !ok) return fail(ok.error());
  auto version = migrate(**db);
  if (!version) return fail(version.error());
  auto impl = std::make_unique<SqliteStore::Impl>(std::move(*db), clock, *version, std::move(options));
  // Pruning can wait for a file system with room; the daemon need not.
  if (auto ok = impl->events.pruneAll(); !ok) {
    if (!isStorageFailure(ok.error())) return fail(ok.error());
    impl->streak.failed(ok.error(), impl->pending.counts());
  }
  return std::unique_ptr<Store>(new SqliteStore(std::move(impl)));
}

SqliteStore::SqliteStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

SqliteStore::~SqliteStore() {
  if (impl_) (void)impl_->flush();
}

int SqliteStore::schemaVersion() const { return impl_->schemaVersion; }

PendingWrites SqliteStore::pendingWrites() const { return impl_->pending.counts(); }

// --- batches -----------------------------------------------------------------------

void SqliteStore::enterBatch() { ++impl_->batchDepth; }

Result<void> SqliteStore::leaveBatch() {
  if (--impl_->batchDepth > 0) return {};  // joined the outer batch
  return impl_->flush();
}

// --- writes that commit on return ----------------------------------------------------

Result<std::vector<ApplyOutcome>> SqliteStore::apply(const std::vector<ServiceInput>& services) {
  // Everything that can be checked without the database is checked before writing.
  if (auto ok = checkServiceInputs(services); !ok) return fail(ok.error());
  return impl_->write([&]() -> Result<std::vector<ApplyOutcome>> {
    ApplyWriter writer(*impl_->db, impl_->events, impl_->nowMs());
    std::vector<ApplyOutcome> outcomes;
    outcomes.reserve(services.size());
    for (const ServiceInput& input : services) {
      auto outcome = writer.applyOne(input);
      if (!outcome) return fail(outcome.error());  // rolls back: nothing of the batch stays
      outcomes.push_back(std::move(*outcome));
    }
    return outcomes;
  });
}

Result<void> SqliteStore::deleteService(const std::string& name) {
  return impl_->write([&]() -> Result<void> {
    auto stmt = impl_->db->prepare("DELETE FROM services WHERE name = ?1");
    if (!stmt) return fail(stmt.error());
    stmt->bind(1, name);
    if (auto ok = stmt->run(); !ok) return fail(ok.error());
    if (impl_->db->changes() == 0) return fail(serviceNotFound(name));
    return impl_->events.record(name, "service/" + name, "ServiceDeleted", fmt::format("service {} deleted", name),
                                impl_->nowMs());
  });
}

Result<int> SqliteStore::pruneRevisions(const std::string& service, int keep, const std::vector<int64_t>& protect) {
  if (keep < 0) {
    return fail(ErrorCode::kInvalidArgument, "prune revisions of service \"{}\": keep must be >= 0, not {}", service,
                keep);
  }
  return impl_->write([&]() -> Result<int> {
    auto current = impl_->db->prepare("SELECT current_revision FROM services WHERE name = ?1");
    if (!current) return fail(current.error());
    current->bind(1, service);
    auto found = current->step();
    if (!found) return fail(found.error());
    if (!*found) return fail(serviceNotFound(service));
    auto list =
        impl_->db->prepare("SELECT number FROM revisions WHERE service = ?1 AND number <> ?2 ORDER BY number DESC");
    if (!list) return fail(list.error());
    list->bind(1, service).bind(2, current->columnInt(0));
    auto oldNumbers = collect<int64_t>(*list, [](const Statement& s) { return s.columnInt(0); });
    if (!oldNumbers) return fail(oldNumbers.error());

    int deleted = 0;
    for (size_t i = static_cast<size_t>(keep); i < oldNumbers->size(); ++i) {
      const int64_t number = (*oldNumbers)[i];
      if (std::find(protect.begin(), protect.end(), number) != protect.end()) continue;
      auto remove = impl_->db->prepare("DELETE FROM revisions WHERE service = ?1 AND number = ?2");
      if (!remove) return fail(remove.error());
      remove->bind(1, service).bind(2, number);
      if (auto ok = remove->run(); !ok) return fail(ok.error());
      ++deleted;
    }
    return deleted;
  });
}

// --- pending writes (see the class comment) ------------------------------------------

Result<void> SqliteStore::setServiceStatus(const std::string& name, const std::string& statusJson) {
  if (!isJsonText(statusJson)) {
    return fail(ErrorCode::kInvalidArgument, "status of service \"{}\" is not valid JSON", name);
  }
  auto exists = impl_->hasRow("SELECT 1 FROM services WHERE name = ?1", name);
  if (!exists) return fail(exists.error());
  if (!*exists) return fail(serviceNotFound(name));
  impl_->pending.setStatus(name, statusJson);
  impl_->flushUnlessBatched();
  return {};
}

Result<void> SqliteStore::setRevisionPhase(const std::string& service, int64_t number, const std::string& phase) {
  auto exists = impl_->hasRow("SELECT 1 FROM revisions WHERE service = ?1 AND number = ?2", service, number);
  if (!exists) return fail(exists.error());
  if (!*exists) {
    return fail(ErrorCode::kNotFound, "revision {} of service \"{}\" not found", number, service);
  }
  impl_->pending.setPhase(service, number, phase);
  impl_->flushUnlessBatched();
  return {};
}

Result<int64_t> SqliteStore::appendEvent(Event event) {
  if (event.reason.empty()) return fail(ErrorCode::kInvalidArgument, "event without a reason");
  if (event.timeMs == 0) event.timeMs = impl_->nowMs();
  // The id it will get: ids follow the last one committed, pending events in order.
  auto last = impl_->events.lastId();
  impl_->pending.appendEvent(std::move(event));
  const int64_t id = last ? *last + static_cast<int64_t>(impl_->pending.eventCount()) : 0;
  impl_->flushUnlessBatched();
  return id;
}

Result<void> SqliteStore::upsertInstance(const InstanceRecord& record) {
  if (record.name.empty()) return fail(ErrorCode::kInvalidArgument, "instance with an empty name");
  InstanceRecord copy = record;
  if (copy.createdAtMs == 0) copy.createdAtMs = impl_->nowMs();
  // The first record of an instance is committed at once, even inside a batch: the
  // controller records an instance before it forks it, so that a daemon that dies in
  // between still knows the name to find the process by.
  auto known = impl_->hasRow("SELECT 1 FROM instances WHERE name = ?1", copy.name);
  impl_->pending.upsertInstance(std::move(copy));
  if (known && *known) {
    impl_->flushUnlessBatched();
  } else {
    (void)impl_->flush();  // a failure is kept pending and logged, like any other
  }
  return {};
}

Result<void> SqliteStore::deleteInstance(const std::string& name) {
  bool exists = false;
  if (const auto* pending = impl_->pending.instance(name)) {
    exists = pending->has_value();
  } else {
    auto row = impl_->hasRow("SELECT 1 FROM instances WHERE name = ?1", name);
    if (!row) return fail(row.error());
    exists = *row;
  }
  if (!exists) return fail(ErrorCode::kNotFound, "instance \"{}\" not found", name);
  impl_->pending.deleteInstance(name);
  impl_->flushUnlessBatched();
  return {};
}

}  // namespace rollway::store
