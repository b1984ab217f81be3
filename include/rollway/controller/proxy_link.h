#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "rollway/common/log.h"
#include "rollway/common/result.h"
#include "rollway/net/client.h"
#include "rollway/controller/proxy_port.h"
#include "rollway/proxy/routing_snapshot.h"
#include "rollway/supervisor/process_runtime.h"

namespace rollway::controller {

struct ProxyLinkOptions {
  std::string dir;                      // the proxy's --data-dir: proxy.sock, proxy-state.json, proxy.pid
  std::string selfExe;                  // the rollway binary (runs `rollway proxy`)
  std::vector<std::string> extraArgs;   // more `rollway proxy` flags (e.g. --workers 2)
  std::string workingDir;               // where the proxy runs
  bool manage = true;                   // start the proxy when none answers
};

// The control plane's side of the proxy: finds or starts `rollway proxy` (as a
// supervised process in its own session, so it outlives the daemon), pushes routing
// snapshots with versions continuing from the proxy's own, and reads in-flight counts.
// Blocking unix-socket calls (a few hundred µs); used only on the control thread.
class ProxyLink final : public ProxyPort {
 public:
  ProxyLink(supervisor::ProcessRuntime& supervisor, ProxyLinkOptions options, Logger logger);

  // Makes sure a proxy answers on DIR/proxy.sock: adopts the one recorded in proxy.pid,
  // or starts one and waits (up to 10 s) for it. Returns true when it started one.
  Result<bool> ensureRunning() override;
  // The supervisor reported that the proxy process exited.
  void onExit(const supervisor::ExitInfo& exit) override;
  bool running() const override { return healthy_; }

  // Sends `snapshot` with the next version; returns that version.
  Result<uint64_t> push(proxy::RoutingSnapshot snapshot) override;
  // The proxy's per-service, per-revision counters (GET /v1/metrics).
  Result<nlohmann::json> metrics() const override;
  // In-flight requests per endpoint address.
  Result<std::map<std::string, uint64_t>> inFlight() const override;
  // SIGTERM to the proxy (it finishes in-flight requests), SIGKILL after `grace`; `done`
  // runs when it has exited (at once when no supervised proxy runs).
  void stop(std::chrono::milliseconds grace, std::function<void()> done) override;

  const std::string& socketPath() const override { return socket_; }

 private:
  Result<uint64_t> currentVersion() const;
  void writePidFile(const supervisor::InstanceProcess& p);
  void adoptFromPidFile();

  supervisor::ProcessRuntime& supervisor_;
  ProxyLinkOptions options_;
  Logger logger_;
  std::string socket_;
  std::string pidFile_;
  net::Client client_;
  bool healthy_ = false;
  uint64_t nextVersion_ = 1;
};

}  // namespace rollway::controller
