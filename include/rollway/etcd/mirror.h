#pragma once

// A local copy of every key under a prefix, kept current by a watch (Kubernetes'
// informer): the control thread reads it without a network round trip, and can wait for
// it to reach the revision of its own write (read-your-writes). It reads the prefix once,
// then follows it from the revision after that read; if history was compacted past it
// (the watch was away too long), it reads the prefix again.

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "rollway/etcd/client.h"

namespace rollway::etcd {

class Mirror {
 public:
  // `onChange` runs on the mirror's threads after each change is applied.
  Mirror(Client& client, std::string prefix, std::function<void()> onChange = {});
  ~Mirror();
  Mirror(const Mirror&) = delete;
  Mirror& operator=(const Mirror&) = delete;

  // Waits until the mirror reflects at least `revision` (0: its first read); false on timeout.
  bool waitFor(int64_t revision, std::chrono::milliseconds timeout) const;
  std::optional<KeyValue> get(const std::string& key) const;
  // Every key starting with `prefix`, in key order.
  std::vector<KeyValue> list(const std::string& prefix) const;
  // The store revision the mirror reflects (0 before its first read).
  int64_t revision() const;
  // How many times it read the whole prefix (1 + re-reads after compaction).
  int reads() const;

 private:
  void run();
  bool reload();  // false when stopping

  Client& client_;
  std::string prefix_;
  std::function<void()> onChange_;
  mutable std::mutex mutex_;
  mutable std::condition_variable changed_;
  std::map<std::string, KeyValue> kvs_;
  int64_t revision_ = 0;
  int reads_ = 0;
  bool stale_ = false;  // the watch hit compacted history: read again
  bool stop_ = false;
  std::unique_ptr<Watcher> watcher_;
  std::thread thread_;
};

}  // namespace rollway::etcd
