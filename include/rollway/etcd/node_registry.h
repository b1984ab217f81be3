#pragma once

// The nodes of a cluster as etcd knows them (issue 15): each daemon registers its node
// under PREFIX/NAME on a lease it keeps alive, so that a node whose daemon or host dies
// disappears from the registry when the lease ends (`--node-lost-timeout`), without
// anyone deciding it. Registration refuses a name that a live node holds.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "rollway/common/result.h"
#include "rollway/etcd/client.h"

namespace rollway::etcd {

struct NodeInfo {
  std::string name;
  std::string address;                        // where its proxy and agent are reached
  std::map<std::string, std::string> labels;  // for nodeSelector
  // Who registered it: the same daemon (the same data directory) restarted takes its
  // name over from the registration it left behind; anyone else is refused.
  std::string daemonId;
  bool operator==(const NodeInfo&) const = default;
};

// A registered node: its key, kept alive on a thread of its own until destroyed (then
// deleted at once: a clean stop is not a lost node).
class NodeRegistration {
 public:
  // kConflict when a live node holds the name; kUnavailable when etcd cannot be reached.
  // `onLost` is called (on the registration's thread) when the lease was lost; with
  // `onRejoined`, it then registers again every second until etcd takes it, and calls
  // that (a host back from a partition rejoins by itself).
  static Result<std::unique_ptr<NodeRegistration>> create(Client& client, const std::string& prefix, NodeInfo node,
                                                           std::chrono::seconds lostTimeout,
                                                           std::function<void()> onLost = {},
                                                           std::function<void()> onRejoined = {});
  // Leaves the cluster at once (revokes the lease: the key goes), unless detach()ed.
  ~NodeRegistration();
  NodeRegistration(const NodeRegistration&) = delete;
  NodeRegistration& operator=(const NodeRegistration&) = delete;

  // Stops renewing and leaves the key to its lease: a daemon that stops to be restarted
  // leaves its node registered for the lost timeout, so that nothing of it is replaced
  // if it is back before then (with the same daemonId it takes the name over).
  void detach();

  // False once the lease was lost (etcd unreachable past the timeout, or revoked).
  bool alive() const { return alive_.load(); }
  int64_t lease() const { return lease_.load(); }

 private:
  NodeRegistration(Client& client, std::string key, NodeInfo node, int64_t lease, std::chrono::seconds ttl,
                   std::function<void()> onLost, std::function<void()> onRejoined);
  void run();

  Client& client_;
  std::string key_;
  NodeInfo node_;
  std::atomic<int64_t> lease_;
  std::chrono::seconds ttl_;
  std::function<void()> onLost_;
  std::function<void()> onRejoined_;
  std::atomic<bool> alive_{true};
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stop_ = false;
  bool detached_ = false;
  std::thread thread_;
};

// The live nodes under `prefix`, by name.
Result<std::vector<NodeInfo>> listNodes(Client& client, const std::string& prefix);

// JSON of a node as stored (and back); errors name the key.
std::string toJson(const NodeInfo& node);
Result<NodeInfo> nodeFromJson(const std::string& key, const std::string& text);

}  // namespace rollway::etcd
