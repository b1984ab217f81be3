#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "rollway/common/clock.h"
#include "rollway/common/result.h"

namespace rollway::store {

// What apply hands the store for one service: the canonical spec document (JSON text
// with defaults filled in, as spec::toJson().dump() gives it), and its template part
// with its hash. The store does not interpret specs; it compares and keeps them.
struct ServiceInput {
  std::string name;
  std::string specJson;      // canonical full document
  std::string templateJson;  // canonical spec.template
  std::string templateHash;  // spec::templateHash()
};

enum class ApplyAction { kCreated, kConfigured, kUnchanged };
const char* applyActionName(ApplyAction action);  // "created", "configured", "unchanged"

struct ApplyOutcome {
  std::string name;
  ApplyAction action = ApplyAction::kUnchanged;
  int64_t generation = 0;  // bumped on every spec change, like metadata.generation
  int64_t revision = 0;    // the revision number the spec's template maps to
  // True when this apply gave the template a revision number: a brand-new revision, or
  // an older one re-used and re-numbered (then revisionReused is true as well).
  bool newRevision = false;
  bool revisionReused = false;
};

struct ServiceRecord {
  std::string name;
  std::string specJson;
  int64_t generation = 0;
  int64_t currentRevision = 0;  // revision of the current template
  int64_t createdAtMs = 0;      // Unix epoch milliseconds
  int64_t updatedAtMs = 0;      // last spec change (status writes do not move it)
  std::string statusJson = "{}";  // owned by the controller
};

// An immutable template with a number, like a ReplicaSet and its revision annotation.
// Re-applying an older template reuses that revision and gives it the next number, as
// Kubernetes does with the revision annotation of a re-used ReplicaSet.
struct RevisionRecord {
  std::string service;
  int64_t number = 0;
  std::string templateHash;
  std::string templateJson;
  int64_t createdAtMs = 0;
  std::string phase;  // free-form, owned by the controller ("", "Failed", ...)
};

struct Event {
  int64_t id = 0;        // assigned by the store, strictly increasing
  int64_t timeMs = 0;    // Unix epoch milliseconds
  std::string service;   // may be empty for daemon-wide events
  std::string object;    // e.g. "service/web", "revision/web-3", "instance/web-3-x7k2q"
  std::string type;      // "Normal" or "Warning"
  std::string reason;    // CamelCase, e.g. "ServiceCreated", "NewRevision"
  std::string message;   // one human-readable sentence
};

struct EventFilter {
  std::string service;    // empty = all
  int64_t afterId = 0;    // > 0: the first `limit` events with id > afterId (paging forward)
  int limit = 1000;       // <= 0 = no limit; without afterId, the newest `limit` events
};

struct StoreOptions {
  // Events kept per service (daemon-wide events count as the service ""); older ones are
  // deleted, in the transaction of an insert, once every `pruneEvery` inserts of that
  // service (so at most eventHistory + pruneEvery - 1 are kept), and at open.
  int eventHistory = 10'000;
  int pruneEvery = 100;
};

// One running (or last known) process of a service, as the supervisor records it so
// that a restarted control plane can re-adopt it. Not tied to the service's lifetime:
// it outlives deleteService until the supervisor has stopped it and deletes it.
struct InstanceRecord {
  std::string name;            // e.g. "web-3-x7k2q"
  std::string service;
  int64_t revision = 0;        // follows the revision when it is re-numbered
  int64_t pid = 0;
  int64_t startTimeTicks = 0;  // /proc/<pid>/stat field 22, guards against pid reuse
  int port = 0;
  std::string state;           // free-form, owned by the supervisor
  int64_t createdAtMs = 0;     // filled in by the store on first upsert
};

// Durable state of one daemon: an SQLite database in WAL mode with synchronous=FULL,
// so a committed apply survives a crash or power loss. Every method is one transaction.
// Not thread-safe: one owner (the control plane's store thread) calls it.
class Store {
 public:
  // Opens (creating if needed) the database at `path`, migrates its schema and prunes
  // the event history to `options`. kInvalidArgument when an option is below 1.
  static Result<std::unique_ptr<Store>> open(const std::string& path, const Clock& clock,
                                             StoreOptions options = {});
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  // Applies several services as one unit: all are stored or none. An identical spec
  // is a no-op (kUnchanged, no event); a changed spec bumps the generation; a changed
  // template creates (or re-numbers) a revision. Records one event per change.
  Result<std::vector<ApplyOutcome>> apply(const std::vector<ServiceInput>& services);

  Result<std::vector<ServiceRecord>> listServices();
  // kNotFound when there is no such service.
  Result<ServiceRecord> getService(const std::string& name);
  // Removes the service and its revisions (events stay). kNotFound when absent.
  Result<void> deleteService(const std::string& name);
  Result<void> setServiceStatus(const std::string& name, const std::string& statusJson);

  // Newest number first. kNotFound when the service does not exist.
  Result<std::vector<RevisionRecord>> listRevisions(const std::string& service);
  Result<RevisionRecord> getRevision(const std::string& service, int64_t number);
  Result<void> setRevisionPhase(const std::string& service, int64_t number, const std::string& phase);
  // Deletes the oldest revisions beyond `keep`, never one listed in `protect`.
  // Like revisionHistoryLimit, `keep` counts old revisions: the current revision is
  // never deleted and not counted; the `keep` newest old ones stay; of the older ones,
  // those in `protect` stay too. Returns how many were deleted. kNotFound, or
  // kInvalidArgument when keep < 0.
  Result<int> pruneRevisions(const std::string& service, int keep, const std::vector<int64_t>& protect);

  // Appends an event (id and, when 0, time are filled in) and returns its id.
  Result<int64_t> appendEvent(Event event);
  // Oldest first: the newest `limit` events, or with afterId the next `limit` after it.
  Result<std::vector<Event>> listEvents(const EventFilter& filter);

  // Inserts or replaces the instance `record.name` (createdAtMs is kept from the first
  // insert; filled in from the clock when 0).
  Result<void> upsertInstance(const InstanceRecord& record);
  // Ordered by name; `service` empty = all.
  Result<std::vector<InstanceRecord>> listInstances(const std::string& service = "");
  // kNotFound when absent.
  Result<void> deleteInstance(const std::string& name);

  // Schema version, for diagnostics.
  int schemaVersion() const;

 private:
  struct Impl;
  explicit Store(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace rollway::store
