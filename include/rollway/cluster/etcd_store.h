#pragma once

// The control plane's store on etcd, for cluster mode: the same `store::Store` interface
// and semantics as the SQLite one, so that the controller does not know which it has.
//
// The leader is the only writer (docs/cluster.md). The store loads every key under its
// prefix when it opens and keeps the state in memory from then on: reads never go to
// the network. Writes:
// - apply, deleteService, pruneRevisions: one etcd transaction each (all or nothing),
//   durable on return. They wait for etcd at most the client's call timeout per
//   endpoint tried; an etcd that cannot be reached is kUnavailable and nothing changes.
// - the controller's writes (status, phase, instance, event): applied in memory at once
//   (reads include them) and sent by the store's flusher thread, which batches them into
//   transactions of at most `maxTxnOps` keys, retries with back-off while etcd cannot be
//   reached, and never blocks the caller. pendingWrites() counts what is not in etcd yet.
// With a fence (the leader's, etcd::LeaderElection), every transaction carries the
// fence's comparison: once another daemon has won the leadership, no write of this one
// lands. The store then refuses every write with kConflict and calls `onDeposed` once.

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "rollway/common/clock.h"
#include "rollway/common/log.h"
#include "rollway/common/result.h"
#include "rollway/etcd/client.h"
#include "rollway/etcd/election.h"
#include "rollway/store/store.h"

namespace rollway::cluster {

struct EtcdStoreOptions {
  std::string prefix = "/rollway/state/";  // every key of the store is under it
  std::optional<etcd::Fence> fence;        // the leader's fence; none: unfenced (tests, tools)
  int eventHistory = 10'000;               // events kept per service, as StoreOptions
  size_t maxTxnOps = 120;                  // etcd's --max-txn-ops is 128 by default
  std::chrono::milliseconds retryMin{100}; // the flusher's back-off after a failed commit
  std::chrono::milliseconds retryMax{2000};
  std::function<void()> onDeposed;         // called once, on the flusher's or the caller's thread
  Logger logger;
};

class EtcdStore final : public store::Store {
 public:
  // Reads every key under the prefix. kUnavailable when etcd cannot be reached,
  // kInvalidArgument when a value cannot be decoded (naming the key).
  static Result<std::unique_ptr<EtcdStore>> open(etcd::Client& client, const Clock& clock, EtcdStoreOptions options);
  ~EtcdStore() override;  // one last flush attempt, then stops the flusher

  // Waits until every pending write is in etcd; false when `timeout` passed first (or
  // the store was deposed).
  bool waitFlushed(std::chrono::milliseconds timeout);
  // Another leader took over: writes are refused.
  bool deposed() const;

  store::PendingWrites pendingWrites() const override;
  Result<std::vector<store::ApplyOutcome>> apply(const std::vector<store::ServiceInput>& services) override;
  Result<std::vector<store::ServiceRecord>> listServices() override;
  Result<store::ServiceRecord> getService(const std::string& name) override;
  Result<void> deleteService(const std::string& name) override;
  Result<void> setServiceStatus(const std::string& name, const std::string& statusJson) override;
  Result<std::vector<store::RevisionRecord>> listRevisions(const std::string& service) override;
  Result<store::RevisionRecord> getRevision(const std::string& service, int64_t number) override;
  Result<void> setRevisionPhase(const std::string& service, int64_t number, const std::string& phase) override;
  Result<int> pruneRevisions(const std::string& service, int keep, const std::vector<int64_t>& protect) override;
  Result<int64_t> appendEvent(store::Event event) override;
  Result<std::vector<store::Event>> listEvents(const store::EventFilter& filter) override;
  Result<void> upsertInstance(const store::InstanceRecord& record) override;
  Result<std::vector<store::InstanceRecord>> listInstances(const std::string& service = "") override;
  Result<void> deleteInstance(const std::string& name) override;
  int schemaVersion() const override { return 1; }

  struct Impl;

 protected:
  void enterBatch() override;
  Result<void> leaveBatch() override;

 private:
  explicit EtcdStore(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace rollway::cluster
