#pragma once

// The leader's side of the agents (docs/cluster.md): a ProcessRuntime and a HealthSource
// for the controller that run nothing here. start() places the instance on a ready node
// and writes its assignment; terminate(), preStop and probing become fields of it; the
// agents' reports come back as the callbacks the controller expects — an exit, a
// termination's outcome, probe events. A node that leaves the registry (its lease
// expired: the host is lost) takes its instances with it: each is reported exited, so
// that the controller replaces it on another node. Runs on the control thread.

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <asio/io_context.hpp>

#include "rollway/cluster/protocol.h"
#include "rollway/common/log.h"
#include "rollway/common/result.h"
#include "rollway/etcd/client.h"
#include "rollway/etcd/election.h"
#include "rollway/etcd/node_registry.h"
#include "rollway/probe/health_source.h"
#include "rollway/supervisor/process_runtime.h"

namespace rollway::etcd {
class Mirror;
}

namespace rollway::cluster {

class KeyWriter;
class CoalescedPost;

// Where a new instance of a service may go, and how many of that service a node may hold.
struct PlacementRule {
  int maxPerNode = 0;                                // 0: no limit of its own
  std::map<std::string, std::string> nodeSelector;   // every label must match
};

struct RemoteInstancesOptions {
  std::string prefix = "/rollway/";                  // the cluster's prefix in etcd
  std::optional<etcd::Fence> fence;                  // the leader's
  std::function<PlacementRule(const std::string& service)> placement;  // none: spread evenly
  std::function<void()> onDeposed;
};

class RemoteInstances {
 public:
  RemoteInstances(asio::io_context& io, etcd::Client& client, RemoteInstancesOptions options, Logger logger);
  ~RemoteInstances();
  RemoteInstances(const RemoteInstances&) = delete;
  RemoteInstances& operator=(const RemoteInstances&) = delete;

  // Reads the assignments (an earlier leader's: their incarnations go on) and follows
  // the nodes and the reports. kUnavailable when etcd cannot be reached.
  Result<void> start();

  // After the controller adopted what it knows: an earlier leader's assignment that it
  // did not adopt is deleted (its agent stops the process).
  void forgetUnadopted();

  supervisor::ProcessRuntime& runtime();
  probe::HealthSource& health();

  // The live nodes, by name.
  std::vector<etcd::NodeInfo> nodes() const;
  // A cordoned node takes no new instance (its running ones stay until evicted); kept
  // in etcd under cordoned/NODE, so that the next leader knows. kNotFound for a node
  // that is not in the cluster (uncordon works for any name).
  Result<void> cordon(const std::string& node, bool cordoned);
  bool cordoned(const std::string& node) const { return cordoned_.contains(node); }
  // The node an instance is assigned to ("" when none).
  std::string nodeOf(const std::string& instance) const;
  bool waitWritten(std::chrono::milliseconds timeout);

  struct Tracked;
  class Runtime;
  class Health;

 private:
  void scheduleSync();
  void sync();
  void syncOne(const std::string& name);
  void write(const Tracked& t);
  void drop(const std::string& name);
  std::optional<InstanceReport> reportOf(const Tracked& t) const;
  Result<std::string> place(const supervisor::LaunchSpec& launch) const;

  asio::io_context& io_;
  etcd::Client& client_;
  RemoteInstancesOptions options_;
  Logger logger_;
  std::map<std::string, std::unique_ptr<Tracked>> tracked_;
  std::map<std::string, std::pair<std::string, uint64_t>> lastStart_;
  std::set<std::string> cordoned_;  // instance -> (node, start) of its last assignment
  std::unique_ptr<Runtime> runtime_;
  std::unique_ptr<Health> health_;
  std::unique_ptr<KeyWriter> writer_;
  std::unique_ptr<etcd::Mirror> nodes_;
  std::unique_ptr<etcd::Mirror> reports_;
  std::unique_ptr<CoalescedPost> sync_;
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);
};

}  // namespace rollway::cluster
