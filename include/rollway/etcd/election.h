#pragma once

// Leader election on etcd, the standard recipe (no consensus of our own): a candidate
// holds a lease and creates the leader key in a transaction that succeeds only if the
// key does not exist; the key lives as long as the lease is kept alive. The others watch
// it and campaign again when it goes. The winner's `Fence` (the key's create revision)
// is compared in every write the leader makes, so that a deposed leader — paused,
// partitioned, its lease expired — can write nothing any more.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "rollway/etcd/client.h"

namespace rollway::etcd {

struct Fence {
  std::string key;
  int64_t revision = 0;  // the leader key's create revision when it was won
  // The comparison every fenced transaction carries.
  Compare compare() const { return Compare{key, Compare::Target::kCreateRevision, Compare::Op::kEqual, "", revision}; }
};

struct ElectionOptions {
  std::string key = "/rollway/leader";
  std::string candidate;          // this daemon's name: the leader key's value while it leads
  std::chrono::seconds ttl{5};    // lease TTL: how long a dead leader can hold the key
};

class LeaderElection {
 public:
  // `onChange(true)` when this candidate becomes the leader, `onChange(false)` when it
  // stops being it (called on the election's thread).
  LeaderElection(Client& client, ElectionOptions options, std::function<void(bool leader)> onChange = {});
  // Resigns (revokes the lease, so that another takes over at once) and joins.
  ~LeaderElection();
  LeaderElection(const LeaderElection&) = delete;
  LeaderElection& operator=(const LeaderElection&) = delete;

  bool isLeader() const;
  // While leading: the fence its writes carry.
  std::optional<Fence> fence() const;
  // The lease this candidate holds now (0: none), for diagnostics and tests.
  int64_t lease() const { return lease_.load(); }

 private:
  void run();
  void setLeader(std::optional<Fence> fence);
  // Waits up to `d` or until the destructor wakes it; false when stopping.
  bool sleep(std::chrono::milliseconds d);

  Client& client_;
  ElectionOptions options_;
  std::function<void(bool)> onChange_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::optional<Fence> fence_;
  std::atomic<int64_t> lease_{0};
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace rollway::etcd
