#include "rollway/store/store.h"

#include <algorithm>
#include <map>
#include <set>
#include <utility>

#include <nlohmann/json.hpp>

#include "store/database.h"
#include "store/schema.h"
#include "store/statement.h"
#include "store/transaction.h"

namespace rollway::store {

namespace {

constexpr const char* kNormal = "Normal";

bool isJson(const std::string& text) {
  try {
    return nlohmann::json::accept(text);
  } catch (...) {  // accept() reports syntax errors by value; this is only belt and braces
    return false;
  }
}

Error notFound(const std::string& service) {
  return Error{ErrorCode::kNotFound, fmt::format("service \"{}\" not found", service), {}};
}

Error revisionNotFound(const std::string& service, int64_t number) {
  return Error{ErrorCode::kNotFound, fmt::format("revision {} of service \"{}\" not found", number, service), {}};
}

std::string revisionObject(const std::string& service, int64_t number) {
  return fmt::format("revision/{}-{}", service, number);
}

// A row of `services` with the columns apply needs.
struct CurrentService {
  std::string specJson;
  int64_t generation = 0;
  int64_t currentRevision = 0;
};

// A revision found by hash.
struct KnownRevision {
  int64_t number = 0;
  std::string templateJson;
};

}  // namespace

const char* applyActionName(ApplyAction action) {
  switch (action) {
    case ApplyAction::kCreated:
      return "created";
    case ApplyAction::kConfigured:
      return "configured";
    case ApplyAction::kUnchanged:
      return "unchanged";
  }
  return "unknown";
}

struct Store::Impl {
  std::unique_ptr<Database> db;
  const Clock& clock;
  int schema_version = 0;
  StoreOptions options;
  std::map<std::string, int> insertsSincePrune;  // per service

  int64_t nowMs() const { return toUnixMillis(clock.wallNow()); }

  Result<std::optional<CurrentService>> findService(const std::string& name) {
    auto stmt = db->prepare("SELECT spec_json, generation, current_revision FROM services WHERE name = ?1");
    if (!stmt) return fail(stmt.error());
    stmt->bind(1, name);
    auto row = stmt->step();
    if (!row) return fail(row.error());
    if (!*row) return std::optional<CurrentService>();
    return CurrentService{stmt->columnText(0), stmt->columnInt(1), stmt->columnInt(2)};
  }

  Result<bool> serviceExists(const std::string& name) {
    auto stmt = db->prepare("SELECT 1 FROM services WHERE name = ?1");
    if (!stmt) return fail(stmt.error());
    stmt->bind(1, name);
    return stmt->step();
  }

  Result<std::optional<KnownRevision>> findRevisionByHash(const std::string& service, const std::string& hash) {
    auto stmt = db->prepare("SELECT number, template_json FROM revisions WHERE service = ?1 AND template_hash = ?2");
    if (!stmt) return fail(stmt.error());
    stmt->bind(1, service).bind(2, hash);
    auto row = stmt->step();
    if (!row) return fail(row.error());
    if (!*row) return std::optional<KnownRevision>();
    return KnownRevision{stmt->columnInt(0), stmt->columnText(1)};
  }

  Result<int64_t> nextRevisionNumber(const std::string& service) {
    auto stmt = db->prepare("SELECT COALESCE(MAX(number), 0) + 1 FROM revisions WHERE service = ?1");
    if (!stmt) return fail(stmt.error());
    stmt->bind(1, service);
    auto row = stmt->step();
    if (!row) return fail(row.error());
    return stmt->columnInt(0);
  }

  Result<int64_t> insertEvent(const Event& event) {
    auto stmt = db->prepare(
        "INSERT INTO events (time_ms, service, object, type, reason, message) VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
    if (!stmt) return fail(stmt.error());
    stmt->bind(1, event.timeMs != 0 ? event.timeMs : nowMs())
        .bind(2, event.service)
        .bind(3, event.object)
        .bind(4, event.type.empty() ? std::string(kNormal) : event.type)
        .bind(5, event.reason)
        .bind(6, event.message);
    if (auto ok = stmt->run(); !ok) return fail(ok.error());
    int64_t id = db->lastInsertRowid();
    if (++insertsSincePrune[event.service] >= options.pruneEvery) {
      if (auto ok = pruneEvents(event.service); !ok) return fail(ok.error());
    }
    return id;
  }

  // Deletes the events of `service` older than its newest options.eventHistory (one
  // range delete on the (service, id) index).
  Result<void> pruneEvents(const std::string& service) {
    auto stmt = db->prepare(
        "DELETE FROM events WHERE service = ?1 AND id <= "
        "(SELECT id FROM events WHERE service = ?1 ORDER BY id DESC LIMIT 1 OFFSET ?2)");
    if (!stmt) return fail(stmt.error());
    stmt->bind(1, service).bind(2, static_cast<int64_t>(options.eventHistory));
    if (auto ok = stmt->run(); !ok) return fail(ok.error());
    insertsSincePrune[service] = 0;
    return {};
  }

  Result<void> pruneAllEvents() {
    auto services = db->prepare("SELECT DISTINCT service FROM events");
    if (!services) return fail(services.error());
    std::vector<std::string> names;
    for (;;) {
      auto row = services->step();
      if (!row) return fail(row.error());
      if (!*row) break;
      names.push_back(services->columnText(0));
    }
    auto tx = Transaction::begin(*db);
    if (!tx) return fail(tx.error());
    for (const auto& name : names) {
      if (auto ok = pruneEvents(name); !ok) return fail(ok.error());
    }
    return tx->commit();
  }

  Result<void> record(const std::string& service, std::string object, std::string reason, std::string message,
                      int64_t timeMs) {
    Event event;
    event.timeMs = timeMs;
    event.service = service;
    event.object = std::move(object);
    event.type = kNormal;
    event.reason = std::move(reason);
    event.message = std::move(message);
    auto id = insertEvent(event);
    if (!id) return fail(id.error());
    return {};
  }

  // Maps `input`'s template to a revision of `input.name` (which must exist): the
  // current one when the hash is the current revision's, else an older one re-used and
  // re-numbered, else a new one. Fills the revision fields of `outcome`.
  Result<void> assignRevision(const ServiceInput& input, int64_t currentRevision, int64_t now,
                              ApplyOutcome& outcome) {
    auto known = findRevisionByHash(input.name, input.templateHash);
    if (!known) return fail(known.error());
    if (*known && (*known)->templateJson != input.templateJson) {
      return fail(ErrorCode::kConflict,
                  "store {}: service \"{}\": template hash {} already belongs to revision {} with a different "
                  "template",
                  db->path(), input.name, input.templateHash, (*known)->number);
    }
    if (*known && (*known)->number == currentRevision) {
      outcome.revision = currentRevision;
      return {};
    }
    auto next = nextRevisionNumber(input.name);
    if (!next) return fail(next.error());
    outcome.revision = *next;
    outcome.newRevision = true;

    if (*known) {
      const int64_t old_number = (*known)->number;
      auto renumber = db->prepare("UPDATE revisions SET number = ?1 WHERE service = ?2 AND number = ?3");
      if (!renumber) return fail(renumber.error());
      renumber->bind(1, *next).bind(2, input.name).bind(3, old_number);
      if (auto ok = renumber->run(); !ok) return fail(ok.error());
      // Live instances of the re-used revision follow it to its new number.
      auto follow = db->prepare("UPDATE instances SET revision = ?1 WHERE service = ?2 AND revision = ?3");
      if (!follow) return fail(follow.error());
      follow->bind(1, *next).bind(2, input.name).bind(3, old_number);
      if (auto ok = follow->run(); !ok) return fail(ok.error());
      outcome.revisionReused = true;
      return record(input.name, revisionObject(input.name, *next), "RevisionReused",
                    fmt::format("revision {} (template {}) reused as revision {}", old_number, input.templateHash,
                                *next),
                    now);
    }

    auto insert = db->prepare(
        "INSERT INTO revisions (service, number, template_hash, template_json, created_at_ms, phase) "
        "VALUES (?1, ?2, ?3, ?4, ?5, '')");
    if (!insert) return fail(insert.error());
    insert->bind(1, input.name).bind(2, *next).bind(3, input.templateHash).bind(4, input.templateJson).bind(5, now);
    if (auto ok = insert->run(); !ok) return fail(ok.error());
    return record(input.name, revisionObject(input.name, *next), "NewRevision",
                  fmt::format("revision {} (template {}) created", *next, input.templateHash), now);
  }

  Result<ApplyOutcome> applyOne(const ServiceInput& input, int64_t now) {
    ApplyOutcome outcome;
    outcome.name = input.name;
    auto existing = findService(input.name);
    if (!existing) return fail(existing.error());
    const std::string object = "service/" + input.name;

    if (!*existing) {
      auto insert = db->prepare(
          "INSERT INTO services (name, spec_json, generation, current_revision, created_at_ms, updated_at_ms, "
          "status_json) VALUES (?1, ?2, 1, 0, ?3, ?3, '{}')");
      if (!insert) return fail(insert.error());
      insert->bind(1, input.name).bind(2, input.specJson).bind(3, now);
      if (auto ok = insert->run(); !ok) return fail(ok.error());
      outcome.action = ApplyAction::kCreated;
      outcome.generation = 1;
      if (auto ok = record(input.name, object, "ServiceCreated",
                           fmt::format("service {} created (generation 1)", input.name), now);
          !ok) {
        return fail(ok.error());
      }
      if (auto ok = assignRevision(input, 0, now, outcome); !ok) return fail(ok.error());
      auto update = db->prepare("UPDATE services SET current_revision = ?1 WHERE name = ?2");
      if (!update) return fail(update.error());
      update->bind(1, outcome.revision).bind(2, input.name);
      if (auto ok = update->run(); !ok) return fail(ok.error());
      return outcome;
    }

    const CurrentService& current = **existing;
    if (current.specJson == input.specJson) {
      outcome.action = ApplyAction::kUnchanged;
      outcome.generation = current.generation;
      outcome.revision = current.currentRevision;
      return outcome;
    }

    outcome.action = ApplyAction::kConfigured;
    outcome.generation = current.generation + 1;
    if (auto ok = record(input.name, object, "ServiceConfigured",
                         fmt::format("service {} configured (generation {})", input.name, outcome.generation), now);
        !ok) {
      return fail(ok.error());
    }
    if (auto ok = assignRevision(input, current.currentRevision, now, outcome); !ok) return fail(ok.error());
    auto update = db->prepare(
        "UPDATE services SET spec_json = ?1, generation = ?2, current_revision = ?3, updated_at_ms = ?4 "
        "WHERE name = ?5");
    if (!update) return fail(update.error());
    update->bind(1, input.specJson).bind(2, outcome.generation).bind(3, outcome.revision).bind(4, now).bind(
        5, input.name);
    if (auto ok = update->run(); !ok) return fail(ok.error());
    return outcome;
  }
};

Result<std::unique_ptr<Store>> Store::open(const std::string& path, const Clock& clock, StoreOptions options) {
  if (options.eventHistory < 1 || options.pruneEvery < 1) {
    return fail(ErrorCode::kInvalidArgument, "store {}: the event history ({}) and the pruning period ({}) must be "
                "at least 1", path, options.eventHistory, options.pruneEvery);
  }
  auto db = Database::open(path);
  if (!db) return fail(db.error());
  auto version = migrate(**db);
  if (!version) return fail(version.error());
  auto impl = std::unique_ptr<Impl>(new Impl{std::move(*db), clock, *version, options, {}});
  if (auto ok = impl->pruneAllEvents(); !ok) return fail(ok.error());
  return std::unique_ptr<Store>(new Store(std::move(impl)));
}

Store::Store(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Store::~Store() = default;

int Store::schemaVersion() const { return impl_->schema_version; }

Result<std::vector<ApplyOutcome>> Store::apply(const std::vector<ServiceInput>& services) {
  // Everything that can be checked without the database is checked before writing.
  std::set<std::string> seen;
  for (const ServiceInput& input : services) {
    if (input.name.empty()) return fail(ErrorCode::kInvalidArgument, "apply: a service has an empty name");
    if (!seen.insert(input.name).second) {
      return fail(ErrorCode::kInvalidArgument, "apply: service \"{}\" appears more than once in one apply",
                  input.name);
    }
    if (input.templateHash.empty()) {
      return fail(ErrorCode::kInvalidArgument, "apply: service \"{}\" has an empty template hash", input.name);
    }
    if (!isJson(input.specJson)) {
      return fail(ErrorCode::kInvalidArgument, "apply: service \"{}\": the spec is not valid JSON", input.name);
    }
    if (!isJson(input.templateJson)) {
      return fail(ErrorCode::kInvalidArgument, "apply: service \"{}\": the template is not valid JSON", input.name);
    }
  }

  auto tx = Transaction::begin(*impl_->db);
  if (!tx) return fail(tx.error());
  const int64_t now = impl_->nowMs();
  std::vector<ApplyOutcome> outcomes;
  outcomes.reserve(services.size());
  for (const ServiceInput& input : services) {
    auto outcome = impl_->applyOne(input, now);
    if (!outcome) return fail(outcome.error());  // tx rolls back: nothing of the batch stays
    outcomes.push_back(std::move(*outcome));
  }
  if (auto ok = tx->commit(); !ok) return fail(ok.error());
  return outcomes;
}

namespace {

constexpr const char* kServiceColumns =
    "SELECT name, spec_json, generation, current_revision, created_at_ms, updated_at_ms, status_json FROM services";

ServiceRecord readService(const Statement& stmt) {
  ServiceRecord record;
  record.name = stmt.columnText(0);
  record.specJson = stmt.columnText(1);
  record.generation = stmt.columnInt(2);
  record.currentRevision = stmt.columnInt(3);
  record.createdAtMs = stmt.columnInt(4);
  record.updatedAtMs = stmt.columnInt(5);
  record.statusJson = stmt.columnText(6);
  return record;
}

constexpr const char* kRevisionColumns =
    "SELECT service, number, template_hash, template_json, created_at_ms, phase FROM revisions";

RevisionRecord readRevision(const Statement& stmt) {
  RevisionRecord record;
  record.service = stmt.columnText(0);
  record.number = stmt.columnInt(1);
  record.templateHash = stmt.columnText(2);
  record.templateJson = stmt.columnText(3);
  record.createdAtMs = stmt.columnInt(4);
  record.phase = stmt.columnText(5);
  return record;
}

Event readEvent(const Statement& stmt) {
  Event event;
  event.id = stmt.columnInt(0);
  event.timeMs = stmt.columnInt(1);
  event.service = stmt.columnText(2);
  event.object = stmt.columnText(3);
  event.type = stmt.columnText(4);
  event.reason = stmt.columnText(5);
  event.message = stmt.columnText(6);
  return event;
}

InstanceRecord readInstance(const Statement& stmt) {
  InstanceRecord record;
  record.name = stmt.columnText(0);
  record.service = stmt.columnText(1);
  record.revision = stmt.columnInt(2);
  record.pid = stmt.columnInt(3);
  record.startTimeTicks = stmt.columnInt(4);
  record.port = static_cast<int>(stmt.columnInt(5));
  record.state = stmt.columnText(6);
  record.createdAtMs = stmt.columnInt(7);
  return record;
}

// Collects every row of `stmt` through `read`.
template <class T, class Read>
Result<std::vector<T>> collect(Statement& stmt, Read read) {
  std::vector<T> rows;
  for (;;) {
    auto row = stmt.step();
    if (!row) return fail(row.error());
    if (!*row) return rows;
    rows.push_back(read(stmt));
  }
}

}  // namespace

Result<std::vector<ServiceRecord>> Store::listServices() {
  auto stmt = impl_->db->prepare(std::string(kServiceColumns) + " ORDER BY name");
  if (!stmt) return fail(stmt.error());
  return collect<ServiceRecord>(*stmt, readService);
}

Result<ServiceRecord> Store::getService(const std::string& name) {
  auto stmt = impl_->db->prepare(std::string(kServiceColumns) + " WHERE name = ?1");
  if (!stmt) return fail(stmt.error());
  stmt->bind(1, name);
  auto row = stmt->step();
  if (!row) return fail(row.error());
  if (!*row) return fail(notFound(name));
  return readService(*stmt);
}

Result<void> Store::deleteService(const std::string& name) {
  auto tx = Transaction::begin(*impl_->db);
  if (!tx) return fail(tx.error());
  auto stmt = impl_->db->prepare("DELETE FROM services WHERE name = ?1");
  if (!stmt) return fail(stmt.error());
  stmt->bind(1, name);
  if (auto ok = stmt->run(); !ok) return fail(ok.error());
  if (impl_->db->changes() == 0) return fail(notFound(name));
  if (auto ok = impl_->record(name, "service/" + name, "ServiceDeleted", fmt::format("service {} deleted", name),
                              impl_->nowMs());
      !ok) {
    return fail(ok.error());
  }
  return tx->commit();
}

Result<void> Store::setServiceStatus(const std::string& name, const std::string& statusJson) {
  if (!isJson(statusJson)) {
    return fail(ErrorCode::kInvalidArgument, "status of service \"{}\" is not valid JSON", name);
  }
  auto stmt = impl_->db->prepare("UPDATE services SET status_json = ?1 WHERE name = ?2");
  if (!stmt) return fail(stmt.error());
  stmt->bind(1, statusJson).bind(2, name);
  if (auto ok = stmt->run(); !ok) return fail(ok.error());
  if (impl_->db->changes() == 0) return fail(notFound(name));
  return {};
}

Result<std::vector<RevisionRecord>> Store::listRevisions(const std::string& service) {
  // One read transaction, so that the existence check and the list agree.
  if (auto ok = impl_->db->exec("BEGIN", "beginning a read"); !ok) return fail(ok.error());
  auto result = [&]() -> Result<std::vector<RevisionRecord>> {
    auto exists = impl_->serviceExists(service);
    if (!exists) return fail(exists.error());
    if (!*exists) return fail(notFound(service));
    auto stmt = impl_->db->prepare(std::string(kRevisionColumns) + " WHERE service = ?1 ORDER BY number DESC");
    if (!stmt) return fail(stmt.error());
    stmt->bind(1, service);
    return collect<RevisionRecord>(*stmt, readRevision);
  }();
  (void)impl_->db->exec("COMMIT", "ending a read");
  return result;
}

Result<RevisionRecord> Store::getRevision(const std::string& service, int64_t number) {
  auto stmt = impl_->db->prepare(std::string(kRevisionColumns) + " WHERE service = ?1 AND number = ?2");
  if (!stmt) return fail(stmt.error());
  stmt->bind(1, service).bind(2, number);
  auto row = stmt->step();
  if (!row) return fail(row.error());
  if (!*row) return fail(revisionNotFound(service, number));
  return readRevision(*stmt);
}

Result<void> Store::setRevisionPhase(const std::string& service, int64_t number, const std::string& phase) {
  auto stmt = impl_->db->prepare("UPDATE revisions SET phase = ?1 WHERE service = ?2 AND number = ?3");
  if (!stmt) return fail(stmt.error());
  stmt->bind(1, phase).bind(2, service).bind(3, number);
  if (auto ok = stmt->run(); !ok) return fail(ok.error());
  if (impl_->db->changes() == 0) return fail(revisionNotFound(service, number));
  return {};
}

Result<int> Store::pruneRevisions(const std::string& service, int keep, const std::vector<int64_t>& protect) {
  if (keep < 0) {
    return fail(ErrorCode::kInvalidArgument, "prune revisions of service \"{}\": keep must be >= 0, not {}", service,
                keep);
  }
  auto tx = Transaction::begin(*impl_->db);
  if (!tx) return fail(tx.error());
  auto existing = impl_->findService(service);
  if (!existing) return fail(existing.error());
  if (!*existing) return fail(notFound(service));
  const int64_t current = (*existing)->currentRevision;

  auto list =
      impl_->db->prepare("SELECT number FROM revisions WHERE service = ?1 AND number <> ?2 ORDER BY number DESC");
  if (!list) return fail(list.error());
  list->bind(1, service).bind(2, current);
  auto old_numbers = collect<int64_t>(*list, [](const Statement& s) { return s.columnInt(0); });
  if (!old_numbers) return fail(old_numbers.error());

  int deleted = 0;
  for (size_t i = static_cast<size_t>(keep); i < old_numbers->size(); ++i) {
    const int64_t number = (*old_numbers)[i];
    if (std::find(protect.begin(), protect.end(), number) != protect.end()) continue;
    auto remove = impl_->db->prepare("DELETE FROM revisions WHERE service = ?1 AND number = ?2");
    if (!remove) return fail(remove.error());
    remove->bind(1, service).bind(2, number);
    if (auto ok = remove->run(); !ok) return fail(ok.error());
    ++deleted;
  }
  if (auto ok = tx->commit(); !ok) return fail(ok.error());
  return deleted;
}

Result<int64_t> Store::appendEvent(Event event) {
  if (event.reason.empty()) return fail(ErrorCode::kInvalidArgument, "event without a reason");
  // The insert and the pruning it may trigger are one transaction.
  auto tx = Transaction::begin(*impl_->db);
  if (!tx) return fail(tx.error());
  auto id = impl_->insertEvent(event);
  if (!id) return fail(id.error());
  if (auto ok = tx->commit(); !ok) return fail(ok.error());
  return id;
}

Result<std::vector<Event>> Store::listEvents(const EventFilter& filter) {
  // With a cursor: the next page. Without: the newest `limit`, read newest first and
  // put back in order.
  const char* sql =
      filter.afterId > 0
          ? "SELECT id, time_ms, service, object, type, reason, message FROM events "
            "WHERE id > ?1 AND (?2 = '' OR service = ?2) ORDER BY id LIMIT ?3"
          : "SELECT * FROM (SELECT id, time_ms, service, object, type, reason, message FROM events "
            "WHERE id > ?1 AND (?2 = '' OR service = ?2) ORDER BY id DESC LIMIT ?3) ORDER BY id";
  auto stmt = impl_->db->prepare(sql);
  if (!stmt) return fail(stmt.error());
  const int64_t limit = filter.limit > 0 ? filter.limit : -1;  // LIMIT -1: no limit
  stmt->bind(1, filter.afterId).bind(2, filter.service).bind(3, limit);
  return collect<Event>(*stmt, readEvent);
}

Result<void> Store::upsertInstance(const InstanceRecord& record) {
  if (record.name.empty()) return fail(ErrorCode::kInvalidArgument, "instance with an empty name");
  auto stmt = impl_->db->prepare(
      "INSERT INTO instances (name, service, revision, pid, start_time_ticks, port, state, created_at_ms) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) "
      "ON CONFLICT (name) DO UPDATE SET service = excluded.service, revision = excluded.revision, "
      "pid = excluded.pid, start_time_ticks = excluded.start_time_ticks, port = excluded.port, "
      "state = excluded.state");
  if (!stmt) return fail(stmt.error());
  stmt->bind(1, record.name)
      .bind(2, record.service)
      .bind(3, record.revision)
      .bind(4, record.pid)
      .bind(5, record.startTimeTicks)
      .bind(6, static_cast<int64_t>(record.port))
      .bind(7, record.state)
      .bind(8, record.createdAtMs != 0 ? record.createdAtMs : impl_->nowMs());
  return stmt->run();
}

Result<std::vector<InstanceRecord>> Store::listInstances(const std::string& service) {
  auto stmt = impl_->db->prepare(
      "SELECT name, service, revision, pid, start_time_ticks, port, state, created_at_ms FROM instances "
      "WHERE (?1 = '' OR service = ?1) ORDER BY name");
  if (!stmt) return fail(stmt.error());
  stmt->bind(1, service);
  return collect<InstanceRecord>(*stmt, readInstance);
}

Result<void> Store::deleteInstance(const std::string& name) {
  auto stmt = impl_->db->prepare("DELETE FROM instances WHERE name = ?1");
  if (!stmt) return fail(stmt.error());
  stmt->bind(1, name);
  if (auto ok = stmt->run(); !ok) return fail(ok.error());
  if (impl_->db->changes() == 0) {
    return fail(ErrorCode::kNotFound, "instance \"{}\" not found", name);
  }
  return {};
}

}  // namespace rollway::store
