#pragma once

// One daemon of a cluster (`rollway serve --cluster ...`, docs/cluster.md): the agent of
// its own node — its instances (Agent) and its proxy (ProxyAgent), with the node's
// supervisor, prober and proxy link — registered under nodes/NAME on a lease, and a
// candidate leader. While it leads, it runs the controller unchanged over the cluster's
// parts: the store on etcd, RemoteInstances for processes and probes, ClusterProxy for
// routing, each fenced with the leadership it won; it answers the API. A daemon that is
// not the leader answers API requests with 503 naming the leader.

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <asio/io_context.hpp>

#include "rollway/analysis/provider.h"
#include "rollway/common/blocking_pool.h"
#include "rollway/common/clock.h"
#include "rollway/common/log.h"
#include "rollway/common/random.h"
#include "rollway/common/result.h"
#include "rollway/common/timer.h"
#include "rollway/controller/controller.h"
#include "rollway/controller/proxy_port.h"
#include "rollway/etcd/node_registry.h"
#include "rollway/http/message.h"
#include "rollway/net/server.h"
#include "rollway/probe/health_source.h"
#include "rollway/supervisor/process_runtime.h"

namespace rollway::etcd {
class Client;
class LeaderElection;
class Mirror;
}  // namespace rollway::etcd

namespace rollway::cluster {

class Agent;
class ProxyAgent;

struct ClusterNodeOptions {
  std::vector<std::string> endpoints;             // etcd members, host:port
  std::string prefix = "/rollway/";
  etcd::NodeInfo node;                            // name, advertised address, labels, daemon id
  std::chrono::seconds lostTimeout{20};           // --node-lost-timeout: the node's lease
  std::chrono::seconds leaderTtl{5};              // the leader's lease
  std::chrono::milliseconds etcdTimeout{2000};    // per etcd call
  controller::ControllerOptions controller;       // for the controller while leading
  int eventHistory = 10'000;
  supervisor::EnvMap baseEnv;                     // for exec probes and preStop on this node
};

struct ClusterNodeDeps {
  asio::io_context& io;
  const Clock& clock;
  Timers& timers;
  Random& random;
  supervisor::ProcessRuntime& runtime;  // this node's supervisor
  probe::HealthSource& health;          // this node's prober
  controller::ProxyPort& proxy;         // this node's proxy
  analysis::Provider& prometheus;
  analysis::Provider& webhook;
  BlockingPool& pool;
  Logger logger;
  std::function<void()> requestExit;    // rollway down
};

class ClusterNode {
 public:
  ClusterNode(ClusterNodeDeps deps, ClusterNodeOptions options);
  ~ClusterNode();
  ClusterNode(const ClusterNode&) = delete;
  ClusterNode& operator=(const ClusterNode&) = delete;

  // Connects, registers the node, starts its agent and proxy agent, and campaigns.
  // kUnavailable when etcd cannot be reached, kConflict when another daemon holds the
  // node's name. Call before the io_context runs.
  Result<void> start();
  // An API request, on the control thread.
  void handle(http::Request request, net::Responder respond);
  // The daemon stops (to be restarted, or for good): leaves the leadership at once and
  // the node registered for its lost timeout (nothing of it is replaced if it is back
  // before then). On the control thread.
  void stop();

  bool leading() const;

  struct Leader;

 private:
  void onLeadership(bool leader);
  void build(uint64_t term);
  void install(uint64_t term, std::unique_ptr<Leader> leader);
  void stepDown(const std::string& why);
  std::string leaderName() const;

  ClusterNodeDeps deps_;
  ClusterNodeOptions options_;
  std::unique_ptr<etcd::Client> client_;
  std::unique_ptr<etcd::NodeRegistration> registration_;
  std::unique_ptr<Agent> agent_;
  std::unique_ptr<ProxyAgent> proxyAgent_;
  std::unique_ptr<etcd::Mirror> leaderKey_;
  std::unique_ptr<etcd::LeaderElection> election_;
  std::unique_ptr<Leader> leader_;  // while leading (control thread)
  std::atomic<uint64_t> term_{0};
  std::mutex builderMutex_;
  std::vector<std::thread> builders_;
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);
};

}  // namespace rollway::cluster
