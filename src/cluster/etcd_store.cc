#include "rollway/cluster/etcd_store.h"

#include <algorithm>
#include <condition_variable>
#include <map>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

#include "cluster/state_model.h"

namespace rollway::cluster {

using store::ApplyOutcome;
using store::Event;
using store::InstanceRecord;
using store::PendingWrites;
using store::RevisionRecord;
using store::ServiceInput;
using store::ServiceRecord;

struct EtcdStore::Impl {
  Impl(etcd::Client& c, const Clock& k, EtcdStoreOptions o)
      : client(c), clock(k), options(std::move(o)), model(options.eventHistory) {}

  int64_t nowMs() const { return toUnixMillis(clock.wallNow()); }

  // --- etcd writes (one at a time, so that a flush never overtakes a structural write) --

  // Sends `changes` as one transaction, fenced when there is a fence. kConflict once deposed.
  Result<void> send(const std::vector<KeyChange>& changes) {
    std::lock_guard serial(writeMutex);
    if (isDeposed()) return fail(depositionError());
    std::vector<etcd::Operation> ops;
    ops.reserve(changes.size());
    for (const KeyChange& c : changes) {
      const std::string key = options.prefix + c.key;
      ops.push_back(c.value ? etcd::Operation::put(key, *c.value) : etcd::Operation::del(key));
    }
    std::vector<etcd::Compare> compares;
    if (options.fence) compares.push_back(options.fence->compare());
    auto result = client.txn(compares, ops);
    if (!result) {
      return fail(result.error().code, "etcd store {}: cannot write to etcd: {}", options.prefix,
                  result.error().message);
    }
    if (!result->succeeded) {
      depose();
      return fail(depositionError());
    }
    return {};
  }

  bool isDeposed() const {
    std::lock_guard lock(mutex);
    return deposed;
  }

  Error depositionError() const {
    return Error{ErrorCode::kConflict,
                 fmt::format("etcd store {}: this daemon is no longer the cluster leader ({} was won again by "
                             "another daemon); it writes nothing more",
                             options.prefix, options.fence ? options.fence->key : std::string("the leader key")),
                 {}};
  }

  void depose() {
    {
      std::lock_guard lock(mutex);
      if (deposed) return;
      deposed = true;
    }
    changed.notify_all();
    if (options.logger) options.logger->error("{}", depositionError().message);
    if (options.onDeposed) options.onDeposed();
  }

  // A structural write: committed, then taken into the model.
  Result<void> commit(const std::vector<KeyChange>& changes) {
    if (changes.size() > options.maxTxnOps) {
      return fail(ErrorCode::kInvalidArgument,
                  "etcd store {}: this write needs {} keys changed in one transaction, more than the {} allowed "
                  "(etcd's --max-txn-ops): apply fewer services at once",
                  options.prefix, changes.size(), options.maxTxnOps);
    }
    if (auto ok = send(changes); !ok) return ok;
    std::lock_guard lock(mutex);
    if (auto ok = model.apply(changes); !ok) return ok;
    markDirtyLocked(model.pruneEvents());
    return {};
  }

  // --- pending writes -----------------------------------------------------------------

  // Takes `changes` into the model now and marks their keys for the flusher.
  void markDirtyLocked(const std::vector<KeyChange>& changes) {
    if (changes.empty()) return;
    (void)model.apply(changes);
    for (const KeyChange& c : changes) dirty[c.key] = ++seq;
    if (batchDepth == 0) kick = true;
  }

  Result<void> pending(std::vector<KeyChange> changes) {
    {
      std::lock_guard lock(mutex);
      if (deposed) return fail(depositionError());
      markDirtyLocked(changes);
      markDirtyLocked(model.pruneEvents());
    }
    changed.notify_all();
    return {};
  }

  struct Chunk {
    std::vector<KeyChange> changes;
    std::vector<std::pair<std::string, uint64_t>> keys;  // with the seq they had when taken
  };

  Chunk takeChunkLocked() const {
    Chunk chunk;
    for (const auto& [key, s] : dirty) {
      if (chunk.changes.size() >= options.maxTxnOps) break;
      chunk.changes.push_back({key, model.value(key)});
      chunk.keys.emplace_back(key, s);
    }
    return chunk;
  }

  // One pass over the pending writes; false when a commit failed (they stay pending).
  bool flushOnce(std::unique_lock<std::mutex>& lock) {
    while (!dirty.empty() && !deposed) {
      Chunk chunk = takeChunkLocked();
      lock.unlock();
      auto ok = send(chunk.changes);
      lock.lock();
      if (!ok) {
        if (!failing && !deposed && options.logger) {
          options.logger->warn("{} ({} writes pending; retrying)", ok.error().message, dirty.size());
        }
        failing = !deposed;
        return false;
      }
      for (const auto& [key, s] : chunk.keys) {
        auto it = dirty.find(key);
        if (it != dirty.end() && it->second == s) dirty.erase(it);
      }
      if (failing && options.logger) options.logger->info("etcd store {}: writes reach etcd again", options.prefix);
      failing = false;
      changed.notify_all();
    }
    return true;
  }

  void run() {
    std::unique_lock lock(mutex);
    auto backoff = options.retryMin;
    while (true) {
      changed.wait(lock, [&] { return stop || (kick && !deposed); });
      if (stop) return;
      kick = false;
      if (flushOnce(lock)) {
        backoff = options.retryMin;
      } else if (!deposed) {
        kick = true;  // try again after the back-off (or at once when stopping)
        changed.wait_for(lock, backoff, [&] { return stop; });
        backoff = std::min(backoff * 2, options.retryMax);
      }
      changed.notify_all();
    }
  }

  etcd::Client& client;
  const Clock& clock;
  EtcdStoreOptions options;

  mutable std::mutex mutex;  // everything below, and the model
  std::condition_variable changed;
  StateModel model;
  std::map<std::string, uint64_t> dirty;  // key → seq of its latest pending change
  uint64_t seq = 0;
  int batchDepth = 0;
  bool kick = false;
  bool stop = false;
  bool deposed = false;
  bool failing = false;

  std::mutex writeMutex;
  std::thread flusher;
};

namespace {

Error serviceNotFound(const std::string& service) {
  return Error{ErrorCode::kNotFound, fmt::format("service \"{}\" not found", service), {}};
}

}  // namespace

Result<std::unique_ptr<EtcdStore>> EtcdStore::open(etcd::Client& client, const Clock& clock, EtcdStoreOptions options) {
  if (options.eventHistory < 1 || options.maxTxnOps < 2) {
    return fail(ErrorCode::kInvalidArgument, "etcd store: the event history ({}) must be at least 1 and maxTxnOps ({}) at least 2",
                options.eventHistory, options.maxTxnOps);
  }
  auto impl = std::make_unique<Impl>(client, clock, std::move(options));
  const std::string& prefix = impl->options.prefix;
  auto range = client.getPrefix(prefix);
  if (!range) {
    return fail(range.error().code, "etcd store {}: cannot read the cluster's state from etcd: {}", prefix,
                range.error().message);
  }
  for (const etcd::KeyValue& kv : range->kvs) {
    if (auto ok = impl->model.load(kv.key.substr(prefix.size()), kv.value); !ok) {
      return fail(ErrorCode::kInvalidArgument,
                  "etcd store {}: key {} {} (written by something else than rollway? fix or delete it with etcdctl)",
                  prefix, kv.key, ok.error().message);
    }
  }
  // A smaller history than the stored one applies at once (as the SQLite store's open does).
  {
    std::lock_guard lock(impl->mutex);
    impl->markDirtyLocked(impl->model.pruneEvents());
  }
  Impl* raw = impl.get();
  impl->flusher = std::thread([raw] { raw->run(); });
  return std::unique_ptr<EtcdStore>(new EtcdStore(std::move(impl)));
}

EtcdStore::EtcdStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

EtcdStore::~EtcdStore() {
  {
    std::lock_guard lock(impl_->mutex);
    impl_->stop = true;
  }
  impl_->changed.notify_all();
  impl_->flusher.join();
  std::unique_lock lock(impl_->mutex);
  (void)impl_->flushOnce(lock);  // once more; what fails now is lost with this leader's term
}

bool EtcdStore::waitFlushed(std::chrono::milliseconds timeout) {
  std::unique_lock lock(impl_->mutex);
  return impl_->changed.wait_for(lock, timeout, [&] { return impl_->dirty.empty() || impl_->deposed; }) &&
         impl_->dirty.empty();
}

bool EtcdStore::deposed() const { return impl_->isDeposed(); }

PendingWrites EtcdStore::pendingWrites() const {
  std::lock_guard lock(impl_->mutex);
  PendingWrites out;
  for (const auto& [key, s] : impl_->dirty) {
    if (key.rfind("status/", 0) == 0) {
      ++out.statuses;
    } else if (key.rfind("phase/", 0) == 0) {
      ++out.revisionPhases;
    } else if (key.rfind("inst/", 0) == 0) {
      ++out.instances;
    } else if (key.rfind("event/", 0) == 0) {
      ++out.events;
    }
  }
  return out;
}

void EtcdStore::enterBatch() {
  std::lock_guard lock(impl_->mutex);
  ++impl_->batchDepth;
}

Result<void> EtcdStore::leaveBatch() {
  {
    std::lock_guard lock(impl_->mutex);
    if (--impl_->batchDepth > 0) return {};
    if (!impl_->dirty.empty()) impl_->kick = true;
  }
  impl_->changed.notify_all();
  return {};  // the commit is the flusher's; its failures keep the writes pending
}

// --- writes that commit on return ----------------------------------------------------------

Result<std::vector<ApplyOutcome>> EtcdStore::apply(const std::vector<ServiceInput>& services) {
  if (auto ok = store::checkServiceInputs(services); !ok) return fail(ok.error());
  std::vector<ApplyOutcome> outcomes;
  Result<std::vector<KeyChange>> changes = [&] {
    std::lock_guard lock(impl_->mutex);
    return impl_->model.applyChanges(services, impl_->nowMs(), outcomes);
  }();
  if (!changes) {
    return fail(changes.error().code, "etcd store {}: {}", impl_->options.prefix, changes.error().message);
  }
  if (!changes->empty()) {
    if (auto ok = impl_->commit(*changes); !ok) return fail(ok.error());
  }
  return outcomes;
}

Result<void> EtcdStore::deleteService(const std::string& name) {
  Result<std::vector<KeyChange>> changes = [&] {
    std::lock_guard lock(impl_->mutex);
    return impl_->model.deleteChanges(name, impl_->nowMs());
  }();
  if (!changes) return fail(changes.error());
  return impl_->commit(*changes);
}

Result<int> EtcdStore::pruneRevisions(const std::string& service, int keep, const std::vector<int64_t>& protect) {
  if (keep < 0) {
    return fail(ErrorCode::kInvalidArgument, "prune revisions of service \"{}\": keep must be >= 0, not {}", service,
                keep);
  }
  int deleted = 0;
  Result<std::vector<KeyChange>> changes = [&] {
    std::lock_guard lock(impl_->mutex);
    return impl_->model.pruneChanges(service, keep, protect, deleted);
  }();
  if (!changes) return fail(changes.error());
  if (changes->empty()) return 0;
  if (auto ok = impl_->commit(*changes); !ok) return fail(ok.error());
  return deleted;
}

// --- pending writes --------------------------------------------------------------------------

Result<void> EtcdStore::setServiceStatus(const std::string& name, const std::string& statusJson) {
  if (!store::isJsonText(statusJson)) {
    return fail(ErrorCode::kInvalidArgument, "status of service \"{}\" is not valid JSON", name);
  }
  {
    std::lock_guard lock(impl_->mutex);
    if (!impl_->model.hasService(name)) return fail(serviceNotFound(name));
  }
  return impl_->pending({{StateModel::statusKey(name), statusJson}});
}

Result<void> EtcdStore::setRevisionPhase(const std::string& service, int64_t number, const std::string& phase) {
  {
    std::lock_guard lock(impl_->mutex);
    if (!impl_->model.revision(service, number)) {
      return fail(ErrorCode::kNotFound, "revision {} of service \"{}\" not found", number, service);
    }
  }
  return impl_->pending({{StateModel::phaseKey(service, number), phase}});
}

Result<int64_t> EtcdStore::appendEvent(Event event) {
  if (event.reason.empty()) return fail(ErrorCode::kInvalidArgument, "event without a reason");
  if (event.timeMs == 0) event.timeMs = impl_->nowMs();
  if (event.type.empty()) event.type = "Normal";
  int64_t id = 0;
  {
    std::lock_guard lock(impl_->mutex);
    id = impl_->model.nextEventId();
  }
  if (auto ok = impl_->pending({StateModel::eventChange(id, event)}); !ok) return fail(ok.error());
  return id;
}

Result<void> EtcdStore::upsertInstance(const InstanceRecord& record) {
  if (record.name.empty()) return fail(ErrorCode::kInvalidArgument, "instance with an empty name");
  InstanceRecord copy = record;
  {
    std::lock_guard lock(impl_->mutex);
    if (const InstanceRecord* known = impl_->model.instance(record.name)) {
      copy.createdAtMs = known->createdAtMs;
    } else if (copy.createdAtMs == 0) {
      copy.createdAtMs = impl_->nowMs();
    }
  }
  return impl_->pending({StateModel::instanceChange(copy)});
}

Result<void> EtcdStore::deleteInstance(const std::string& name) {
  {
    std::lock_guard lock(impl_->mutex);
    if (impl_->model.instance(name) == nullptr) return fail(ErrorCode::kNotFound, "instance \"{}\" not found", name);
  }
  return impl_->pending({{StateModel::instanceKey(name), std::nullopt}});
}

// --- reads (from memory) ------------------------------------------------------------------------

Result<std::vector<ServiceRecord>> EtcdStore::listServices() {
  std::lock_guard lock(impl_->mutex);
  return impl_->model.services();
}

Result<ServiceRecord> EtcdStore::getService(const std::string& name) {
  std::lock_guard lock(impl_->mutex);
  auto record = impl_->model.service(name);
  if (!record) return fail(serviceNotFound(name));
  return *record;
}

Result<std::vector<RevisionRecord>> EtcdStore::listRevisions(const std::string& service) {
  std::lock_guard lock(impl_->mutex);
  auto list = impl_->model.revisions(service);
  if (!list) return fail(serviceNotFound(service));
  return *list;
}

Result<RevisionRecord> EtcdStore::getRevision(const std::string& service, int64_t number) {
  std::lock_guard lock(impl_->mutex);
  auto record = impl_->model.revision(service, number);
  if (!record) return fail(ErrorCode::kNotFound, "revision {} of service \"{}\" not found", number, service);
  return *record;
}

Result<std::vector<Event>> EtcdStore::listEvents(const store::EventFilter& filter) {
  std::lock_guard lock(impl_->mutex);
  return impl_->model.events(filter);
}

Result<std::vector<InstanceRecord>> EtcdStore::listInstances(const std::string& service) {
  std::lock_guard lock(impl_->mutex);
  return impl_->model.instances(service);
}

}  // namespace rollway::cluster
