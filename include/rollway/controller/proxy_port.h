#pragma once

// The controller's view of the data plane, as asynchronous operations: find or start
// the proxy, push routing snapshots, read in-flight counts and metrics, stop it. Nothing
// here blocks the control thread: every callback runs later on the control thread's
// io_context — never inside the call that took it — and never once the port is
// destroyed. `ProxyLink` is the implementation (unix socket to `rollway proxy`);
// tests/unit/controller/fakes has a recording fake.

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
  using StartCallback = std::function<void(Result<bool>)>;
  using PushCallback = std::function<void(Result<uint64_t>)>;
  using MetricsCallback = std::function<void(Result<nlohmann::json>)>;
  using InFlightCallback = std::function<void(Result<std::map<std::string, uint64_t>>)>;

  // The supervised proxy process's name (its exits come through the ProcessRuntime).
  static constexpr const char* kProcessName = "rollway-proxy";

  virtual ~ProxyPort() = default;

  // A proxy answered the last time it was asked (and has not exited since).
  virtual bool running() const = 0;
  // An ensureRunning() is still under way.
  virtual bool starting() const = 0;
  // Makes sure a proxy answers: adopts the running one or starts one, and calls `done`
  // with true when it started one, false when one was already there, or an error when
  // none answered within the start limit. Calls made while a check is under way join it.
  virtual void ensureRunning(StartCallback done) = 0;
  // Sends `snapshot` with the next version (continuing from the proxy's own); `done` gets
  // that version, or an error value (refused, unreachable, timed out).
  virtual void push(proxy::RoutingSnapshot snapshot, PushCallback done) = 0;
  // The proxy's per-service, per-revision counters (GET /v1/metrics).
  virtual void metrics(MetricsCallback done) = 0;
  // In-flight requests per endpoint address; an error when the proxy cannot tell —
  // never an empty map for "no answer".
  virtual void inFlight(InFlightCallback done) = 0;
  // SIGTERM to the proxy (it finishes in-flight requests), SIGKILL after `grace`; `done`
  // once it has exited (soon when no supervised proxy runs).
  virtual void stop(std::chrono::milliseconds grace, std::function<void()> done) = 0;
  // The supervisor reported that the proxy process exited.
  virtual void onExit(const supervisor::ExitInfo& exit) = 0;
  // Where the proxy's admin socket is, for events and messages.
  virtual const std::string& socketPath() const = 0;
};

}  // namespace rollway::controller
