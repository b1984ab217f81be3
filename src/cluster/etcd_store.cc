#include "rollway/cluster/etcd_store.h"

#include <algorithm>
#include <map>
#include <mutex>
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
  Impl(etcd::Client& client, const Clock& k, EtcdStoreOptions o)
      : clock(k),
        options(std::move(o)),
        model(options.eventHistory),
        writer(client, KeyWriterOptions{options.prefix, options.fence, options.maxTxnOps, options.retryMin,
                                        options.retryMax, options.onDeposed, options.logger}) {}

  int64_t nowMs() const { return toUnixMillis(clock.wallNow()); }

  // A structural write: committed, then taken into the model.
  Result<void> commit(const std::vector<KeyChange>& changes) {
    if (auto ok = writer.commit(changes); !ok) {
      if (ok.error().code != ErrorCode::kInvalidArgument) return ok;
      return fail(ErrorCode::kInvalidArgument, "{}: apply fewer services at once", ok.error().message);
    }
    std::lock_guard lock(mutex);
    if (auto ok = model.apply(changes); !ok) return ok;
    markPendingLocked(model.pruneEvents());
    return {};
  }

  // Takes `changes` into the model now and hands them to the writer.
  void markPendingLocked(const std::vector<KeyChange>& changes) {
    if (changes.empty()) return;
    (void)model.apply(changes);
    for (const KeyChange& c : changes) writer.set(c.key, model.value(c.key), batchDepth == 0);
  }

  Result<void> pending(const std::vector<KeyChange>& changes) {
    if (writer.deposed()) return fail(writer.depositionError());
    std::lock_guard lock(mutex);
    markPendingLocked(changes);
    markPendingLocked(model.pruneEvents());
    return {};
  }

  const Clock& clock;
  EtcdStoreOptions options;
  mutable std::mutex mutex;  // the model and batchDepth (the writer locks itself)
  StateModel model;
  int batchDepth = 0;
  KeyWriter writer;  // last: stopped first
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
    impl->markPendingLocked(impl->model.pruneEvents());
  }
  return std::unique_ptr<EtcdStore>(new EtcdStore(std::move(impl)));
}

EtcdStore::EtcdStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

EtcdStore::~EtcdStore() = default;  // the writer makes one last attempt

bool EtcdStore::waitFlushed(std::chrono::milliseconds timeout) { return impl_->writer.waitFlushed(timeout); }

bool EtcdStore::deposed() const { return impl_->writer.deposed(); }

PendingWrites EtcdStore::pendingWrites() const {
  PendingWrites out;
  for (const std::string& key : impl_->writer.pendingKeys()) {
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
  }
  impl_->writer.flush();
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
