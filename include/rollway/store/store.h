#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "rollway/common/clock.h"
#include "rollway/common/log.h"
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

// What every Store checks before it writes an apply: names present and unique, a
// template hash, spec and template valid JSON (kInvalidArgument naming the service).
Result<void> checkServiceInputs(const std::vector<ServiceInput>& services);
bool isJsonText(const std::string& text);

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
  // Where the store reports a failure streak of its writes (once when it starts, once
  // when it ends); null = nowhere.
  Logger logger;
  // The SQLite VFS to open the file with; empty = SQLite's default. Tests pass a
  // fault-injecting one.
  std::string vfs;
};

// The controller's writes that could not be committed yet (see Store).
struct PendingWrites {
  size_t statuses = 0;
  size_t revisionPhases = 0;
  size_t instances = 0;  // upserts and deletes
  size_t events = 0;
  size_t total() const { return statuses + revisionPhases + instances + events; }
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

// Durable state of the control plane, behind one interface: today an SQLite database in
// WAL mode with synchronous=FULL (`Store::open`, src/store/sqlite_store.*); cluster mode
// (issue 15) adds one on etcd. The controller and the API do not know which.
// Not thread-safe: one owner (the control plane's store thread) calls it.
//
// Two kinds of writes:
// - apply, deleteService, pruneRevisions (user requests, structural changes): one
//   transaction each, durable when they return. A storage failure is their error:
//   kStorageFull (the file system is full), kIo (I/O error, read-only file system,
//   damaged file), kUnavailable (locked by another process); nothing is written.
// - setServiceStatus, setRevisionPhase, upsertInstance, deleteInstance, appendEvent (the
//   controller's record of what it did): idempotent by key, so they are kept in memory
//   as pending writes (the latest value per key, every event) and committed together
//   in one transaction: at once, or when the outermost Batch ends. A commit that fails
//   keeps them pending, and they go with the next transaction that succeeds (any
//   write, or the next batch), so they never fail for storage reasons. Reads include
//   pending writes, so the store's answers stay current during a failure streak.
// Every transaction writes the pending writes first. A failure streak is logged once
// when it starts and once when a commit succeeds again (StoreOptions::logger).
class Store {
 public:
  // Opens the database at `path`, migrates its schema and prunes the event history to
  // `options`. A missing file is created (built beside `path`, then linked into place,
  // so an existing file is never a half-made one). An existing file that is empty, not
  // SQLite, fails `PRAGMA quick_check`, or has a schema newer than this binary is
  // refused with a message naming it and what to do, and left untouched (kIo).
  // kInvalidArgument when an option is below 1.
  static Result<std::unique_ptr<Store>> open(const std::string& path, const Clock& clock,
                                             StoreOptions options = {});
  // Tries once more to commit pending writes.
  virtual ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  // Defers the commit of pending writes to the end of the batch, so that all the state
  // changes of one reconcile pass cost one transaction (one fsync). Batches nest: an
  // inner one joins the outermost, which commits on commit() or destruction. Writes of
  // the first kind above still commit on return (with the batch's writes so far).
  // A Batch must not outlive its Store.
  class Batch {
   public:
    ~Batch();  // commit(); a failure leaves the writes pending (see above)
    Batch(Batch&& other) noexcept;
    Batch& operator=(Batch&&) = delete;
    Batch(const Batch&) = delete;
    Batch& operator=(const Batch&) = delete;
    // Ends this batch; the outermost one commits the pending writes and returns that
    // commit's error (the writes then stay pending). Later calls do nothing.
    Result<void> commit();

   private:
    friend class Store;
    explicit Batch(Store* store) : store_(store) {}
    Store* store_;  // null once ended or moved from
  };
  [[nodiscard]] Batch beginBatch() {
    enterBatch();
    return Batch(this);
  }

  // The controller's writes not committed yet (non-zero only during a failure streak or
  // inside a batch).
  virtual PendingWrites pendingWrites() const = 0;

  // Applies several services as one unit: all are stored or none. An identical spec
  // is a no-op (kUnchanged, no event); a changed spec bumps the generation; a changed
  // template creates (or re-numbers) a revision. Records one event per change.
  virtual Result<std::vector<ApplyOutcome>> apply(const std::vector<ServiceInput>& services) = 0;

  virtual Result<std::vector<ServiceRecord>> listServices() = 0;
  // kNotFound when there is no such service.
  virtual Result<ServiceRecord> getService(const std::string& name) = 0;
  // Removes the service and its revisions (events stay). kNotFound when absent.
  virtual Result<void> deleteService(const std::string& name) = 0;
  // Pending write. kNotFound when there is no such service, kInvalidArgument when the
  // status is not JSON.
  virtual Result<void> setServiceStatus(const std::string& name, const std::string& statusJson) = 0;

  // Newest number first. kNotFound when the service does not exist.
  virtual Result<std::vector<RevisionRecord>> listRevisions(const std::string& service) = 0;
  virtual Result<RevisionRecord> getRevision(const std::string& service, int64_t number) = 0;
  // Pending write. kNotFound when there is no such revision.
  virtual Result<void> setRevisionPhase(const std::string& service, int64_t number, const std::string& phase) = 0;
  // Deletes the oldest revisions beyond `keep`, never one listed in `protect`.
  // Like revisionHistoryLimit, `keep` counts old revisions: the current revision is
  // never deleted and not counted; the `keep` newest old ones stay; of the older ones,
  // those in `protect` stay too. Returns how many were deleted. kNotFound, or
  // kInvalidArgument when keep < 0.
  virtual Result<int> pruneRevisions(const std::string& service, int keep, const std::vector<int64_t>& protect) = 0;

  // Appends an event (time filled in when 0) and returns its id (pending write: the id
  // it gets when committed). kInvalidArgument without a reason. Pending events beyond
  // eventHistory per service are dropped, oldest first, as pruning would.
  virtual Result<int64_t> appendEvent(Event event) = 0;
  // Oldest first: the newest `limit` events, or with afterId the next `limit` after it.
  virtual Result<std::vector<Event>> listEvents(const EventFilter& filter) = 0;

  // Pending write: inserts or replaces the instance `record.name` (createdAtMs is kept
  // from the first insert; filled in from the clock when 0). The first record of a name
  // is committed before this returns, even inside a batch (an instance is recorded
  // before it is forked). kInvalidArgument without a name.
  virtual Result<void> upsertInstance(const InstanceRecord& record) = 0;
  // Ordered by name; `service` empty = all.
  virtual Result<std::vector<InstanceRecord>> listInstances(const std::string& service = "") = 0;
  // Pending write. kNotFound when absent.
  virtual Result<void> deleteInstance(const std::string& name) = 0;

  // Schema version, for diagnostics.
  virtual int schemaVersion() const = 0;

 protected:
  Store() = default;
  // A batch begins; the outermost one's end commits what it deferred (its error).
  virtual void enterBatch() = 0;
  virtual Result<void> leaveBatch() = 0;
};

}  // namespace rollway::store
