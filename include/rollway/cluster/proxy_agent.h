#pragma once

// A node's side of routing across hosts (see cluster_proxy.h): it keeps the node's own
// proxy running (through a local ProxyPort: ProxyLink), hands it every routing
// generation the leader publishes, and reports under proxy/NODE what it took, the
// in-flight counts (every `drainPeriod` while an endpoint drains, else every
// `reportPeriod`) and the proxy's metrics. Runs on the control thread.

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>

#include "rollway/cluster/cluster_proxy.h"
#include "rollway/common/log.h"
#include "rollway/common/result.h"
#include "rollway/controller/proxy_port.h"
#include "rollway/etcd/client.h"
#include "rollway/proxy/routing_snapshot.h"

namespace rollway::etcd {
class Mirror;
}

namespace rollway::cluster {

class KeyWriter;

// `snapshot` as `host`'s proxy routes it: in a service with preferLocal, each revision
// keeps only its ready endpoints on `host` when it has any (draining ones all stay, so
// that their in-flight requests are counted); else it is unchanged.
proxy::RoutingSnapshot preferLocalEndpoints(proxy::RoutingSnapshot snapshot, const std::string& host);

struct ProxyAgentOptions {
  std::string prefix = "/rollway/";
  std::string node;
  std::string host;  // the node's advertised address (spec.preferLocal)
  std::chrono::milliseconds reportPeriod{1000};
  std::chrono::milliseconds drainPeriod{100};
};

class ProxyAgent {
 public:
  ProxyAgent(asio::io_context& io, etcd::Client& client, controller::ProxyPort& local, ProxyAgentOptions options,
             Logger logger);
  ~ProxyAgent();
  ProxyAgent(const ProxyAgent&) = delete;
  ProxyAgent& operator=(const ProxyAgent&) = delete;

  Result<void> start();
  // The generation the local proxy took (0: none yet).
  uint64_t applied() const { return report_.generation; }

 private:
  void scheduleApply();
  void apply();
  void tick();
  void publish();

  asio::io_context& io_;
  etcd::Client& client_;
  controller::ProxyPort& local_;
  ProxyAgentOptions options_;
  Logger logger_;
  ProxyReport report_;
  bool pushing_ = false;
  bool draining_ = false;  // the snapshot it took has a draining endpoint
  bool querying_ = false;
  std::unique_ptr<KeyWriter> writer_;
  std::unique_ptr<etcd::Mirror> routing_;
  asio::steady_timer timer_;
  std::chrono::steady_clock::time_point lastFull_{};
  std::string lastBody_;
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);
};

}  // namespace rollway::cluster
