#pragma once

// Routing across hosts (docs/cluster.md). Every node runs its own proxy; the leader's
// controller talks to all of them at once through ClusterProxy, a ProxyPort:
//
//   routing/snapshot   {"generation": G, "snapshot": {...}}   the leader's (fenced)
//   proxy/NODE         {"generation": G applied, "error", "inFlight": {...}, "metrics": {...}}
//                                                             each node's ProxyAgent
//
// A push is done when every live node's proxy has taken generation G — so an instance
// is out of the rotation of *every* proxy before its termination goes on — and the
// in-flight count of an address is the sum over the nodes, known only when every live
// node has reported after taking the latest generation. Metrics are summed over the
// nodes. Runs on the control thread; callbacks are posted, never run inside the call.

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>
#include <nlohmann/json.hpp>

#include "rollway/common/log.h"
#include "rollway/common/result.h"
#include "rollway/controller/proxy_port.h"
#include "rollway/etcd/client.h"
#include "rollway/etcd/election.h"

namespace rollway::etcd {
class Mirror;
}

namespace rollway::cluster {

class KeyWriter;
class CoalescedPost;

// What a node's ProxyAgent reports of its proxy.
struct ProxyReport {
  uint64_t generation = 0;                    // the routing generation its proxy took
  std::string error;                          // why it could not take the latest one
  std::map<std::string, uint64_t> inFlight;   // by endpoint address
  nlohmann::json metrics;                     // GET /v1/metrics of its proxy (null: none)
  uint64_t seq = 0;                           // +1 per report
};
std::string toJson(const ProxyReport& r);
Result<ProxyReport> proxyReportFromJson(const std::string& text);

// Sums proxies' metrics documents: numbers add up, objects by key, arrays element by element.
nlohmann::json sumMetrics(const std::vector<nlohmann::json>& documents);

struct ClusterProxyOptions {
  std::string prefix = "/rollway/";
  std::optional<etcd::Fence> fence;
  std::chrono::milliseconds pushTimeout{10000};  // a node that takes no snapshot this long fails the push
  std::function<void()> onDeposed;
};

class ClusterProxy final : public controller::ProxyPort {
 public:
  ClusterProxy(asio::io_context& io, etcd::Client& client, ClusterProxyOptions options, Logger logger);
  ~ClusterProxy() override;

  // Reads the current generation and follows the nodes and their proxy reports.
  Result<void> start();

  bool running() const override;
  bool starting() const override { return false; }
  void ensureRunning(StartCallback done) override;
  void push(proxy::RoutingSnapshot snapshot, PushCallback done) override;
  void metrics(MetricsCallback done) override;
  void inFlight(InFlightCallback done) override;
  void stop(std::chrono::milliseconds grace, std::function<void()> done) override;
  void onExit(const supervisor::ExitInfo&) override {}
  const std::string& socketPath() const override { return where_; }

 private:
  struct NodeProxy {
    std::string node;
    std::optional<ProxyReport> report;
  };
  std::vector<NodeProxy> liveNodes() const;
  void scheduleCheck();
  void checkPushes();

  asio::io_context& io_;
  etcd::Client& client_;
  ClusterProxyOptions options_;
  Logger logger_;
  std::string where_;
  uint64_t generation_ = 0;  // the latest pushed
  uint64_t completed_ = 0;   // the latest every live node took
  struct PendingPush {
    uint64_t generation = 0;
    std::chrono::steady_clock::time_point deadline;
    PushCallback done;
  };
  std::vector<PendingPush> pushes_;
  std::unique_ptr<KeyWriter> writer_;
  std::unique_ptr<etcd::Mirror> nodes_;
  std::unique_ptr<etcd::Mirror> reports_;
  asio::steady_timer timer_;
  std::unique_ptr<CoalescedPost> check_;
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);
};

}  // namespace rollway::cluster
