#pragma once

// The controller's view of the data plane: find or start the proxy, push routing
// snapshots, read in-flight counts and metrics, stop it. `ProxyLink` is the
// implementation (unix socket to `rollway proxy`); tests/unit/controller/fakes has a
// recording fake. Used on the control thread only.
//
// (Synchronous today: each call may block up to the link's timeout. The issue-11 rule
// "nothing blocks the control thread" turns these into completions.)

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <string>

#include <nlohmann/json.hpp>

#include "rollway/common/result.h"
#include "rollway/proxy/routing_snapshot.h"
#include "rollway/supervisor/exit_info.h"

namespace rollway::controller {

class ProxyPort {
 public:
  // The supervised proxy process's name (its exits come through the ProcessRuntime).
  static constexpr const char* kProcessName = "rollway-proxy";

  virtual ~ProxyPort() = default;

  // Makes sure a proxy answers; true when it started one.
  virtual Result<bool> ensureRunning() = 0;
  // The proxy process exited.
  virtual void onExit(const supervisor::ExitInfo& exit) = 0;
  virtual bool running() const = 0;
  // Sends `snapshot` with the next version; returns that version.
  virtual Result<uint64_t> push(proxy::RoutingSnapshot snapshot) = 0;
  // The proxy's per-service, per-revision counters.
  virtual Result<nlohmann::json> metrics() const = 0;
  // In-flight requests per endpoint address.
  virtual Result<std::map<std::string, uint64_t>> inFlight() const = 0;
  // SIGTERM (finish in-flight), SIGKILL after `grace`; `done` once it has exited.
  virtual void stop(std::chrono::milliseconds grace, std::function<void()> done) = 0;
  // Where it listens (for events and messages).
  virtual const std::string& socketPath() const = 0;
};

}  // namespace rollway::controller
