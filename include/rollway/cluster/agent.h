#pragma once

// The agent of one node in cluster mode (docs/cluster.md): it runs what the leader
// assigned to this node (`assign/NODE/`) with the node's own supervisor and prober, and
// reports each instance under `report/NODE/` — its pid, exit, probe results and events,
// the outcome of a termination or a preStop. What runs here without an assignment (the
// leader replaced it while this node was away, or stopped it) is stopped. After a daemon
// restart it adopts its running instances again from its own reports.
// Runs on the control thread (its io_context); etcd is read through a Mirror and written
// through a KeyWriter, so that the thread never waits on the network.

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include <asio/io_context.hpp>

#include "rollway/cluster/protocol.h"
#include "rollway/common/log.h"
#include "rollway/common/result.h"
#include "rollway/etcd/client.h"
#include "rollway/probe/health_source.h"
#include "rollway/supervisor/process_runtime.h"

namespace rollway::etcd {
class Mirror;
}

namespace rollway::cluster {

class KeyWriter;

struct AgentDeps {
  asio::io_context& io;
  etcd::Client& client;
  supervisor::ProcessRuntime& runtime;  // this node's processes
  probe::HealthSource& health;          // this node's probes
  Logger logger;
};

struct AgentOptions {
  std::string prefix = "/rollway/";  // the cluster's prefix in etcd
  std::string node;                  // this node's name
  std::string host;                  // its advertised address: instances are reached (and probed) there
  supervisor::EnvMap baseEnv;        // for exec probes and preStop
  std::chrono::milliseconds staleGrace{30000};  // grace period for an instance nobody assigns any more
  size_t probeEventsKept = 32;       // per report
  // The node's own proxy process exited (it is supervised by the same runtime).
  std::function<void(const supervisor::ExitInfo&)> onProxyExit;
};

class Agent {
 public:
  Agent(AgentDeps deps, AgentOptions options);
  ~Agent();
  Agent(const Agent&) = delete;
  Agent& operator=(const Agent&) = delete;

  // Reads this node's reports (to adopt what still runs) and follows its assignments.
  // kUnavailable when etcd cannot be reached.
  Result<void> start();

  // Instances this agent knows (running, stopping, or reported exited), for tests.
  size_t known() const { return instances_.size(); }
  // Its reports are all in etcd.
  bool waitReported(std::chrono::milliseconds timeout);

 private:
  struct Local {
    std::optional<Assignment> assignment;  // none: nobody wants it any more
    InstanceReport report;
    bool running = false;     // the runtime watches its process
    bool probing = false;
    bool terminating = false;
    uint64_t preStopStarted = 0;
    uint64_t probeSeq = 0;
  };

  void scheduleReconcile();
  void reconcile();
  void reconcileOne(const std::string& name, Local& local);
  void startIncarnation(const std::string& name, Local& local);
  void onExit(const std::string& name, const supervisor::ExitInfo& exit);
  void onProbeEvent(const std::string& name, const probe::ProbeEvent& event);
  void report(const std::string& name, const Local& local);
  void forget(const std::string& name);

  AgentDeps deps_;
  AgentOptions options_;
  std::map<std::string, Local> instances_;
  std::unique_ptr<KeyWriter> writer_;
  std::unique_ptr<etcd::Mirror> mirror_;
  std::atomic<bool> reconcileQueued_{false};
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);
};

}  // namespace rollway::cluster
