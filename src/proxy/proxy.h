#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "proxy_config.h"
#include "rollway/common/log.h"
#include "rollway/common/result.h"
#include "rollway/net/server.h"
#include "rollway/proxy/routing_snapshot.h"
#include "route_table.h"
#include "worker.h"

namespace rollway::proxy {

struct ProxyOptions {
  ProxyConfig config;
  std::string adminSocket;  // unix socket for the control plane (empty = none)
  std::string stateFile;    // last accepted snapshot, loaded at start (empty = none)
  std::string metricsAddress;  // host:port for Prometheus text (empty = none)
};

// The data-plane process: workers, the admin socket, the persisted snapshot.
class Proxy {
 public:
  static Result<std::unique_ptr<Proxy>> create(ProxyOptions options, Logger logger);
  ~Proxy();

  // Validates, persists (when a state file is set) and publishes to every worker.
  // A snapshot older than the current one is refused (kConflict) unless `force`.
  Result<void> applySnapshot(RoutingSnapshot snapshot, bool force = false);
  // Loads the state file if there is one (at start).
  Result<bool> loadState();
  void start();
  // Graceful stop; returns when every worker is done (or the drain timeout passed).
  void stop();

  nlohmann::json metricsJson() const;
  std::string prometheusText() const;
  nlohmann::json endpointsJson() const;
  uint64_t snapshotVersion() const;

 private:
  Proxy(ProxyOptions options, Logger logger);
  void handleAdmin(http::Request request, net::Responder respond);
  void publishToWorkers();  // with mutex_ held

  ProxyOptions options_;
  Logger logger_;
  std::vector<std::unique_ptr<Worker>> workers_;
  mutable std::mutex mutex_;  // guards snapshot_ / table_ (admin thread vs. signal thread)
  std::shared_ptr<const RoutingSnapshot> snapshot_;
  std::shared_ptr<const RouteTable> table_;
  std::unique_ptr<net::Server> admin_;
  std::unique_ptr<net::Server> metrics_;
  bool started_ = false;  // workers running: publishing waits for them to install
};

}  // namespace rollway::proxy
