#pragma once

#include <functional>
#include <memory>
#include <string>

#include <optional>

#include "rollway/probe/probe_state.h"
#include "rollway/spec/service_spec.h"
#include "rollway/supervisor/launch_spec.h"

namespace asio {
class io_context;
}

namespace rollway::probe {

// Runs attempts of one configured probe (httpGet, tcpSocket or exec) on an io_context,
// one at a time; no threads, no blocking calls. Used only on the io_context's thread.
class ProbeRunner {
 public:
  using Callback = std::function<void(ProbeResult)>;
  virtual ~ProbeRunner() = default;

  // Starts one attempt bounded by the probe's timeoutSeconds. `done` runs exactly once,
  // from the io_context (never inside run()), unless cancel() or the destructor comes
  // first. Starting while an attempt is in flight cancels that attempt.
  virtual void run(Callback done) = 0;
  // Abandons the attempt in flight: `done` is not called; sockets are closed, an exec
  // child is killed (its process group) and still reaped.
  virtual void cancel() = 0;
};

// The instance an exec probe runs "inside", as a container's probe does: argv gets the
// instance's ${...} substitution, the process its environment (base < template env <
// PORT, ROLLWAY_*) and its working directory; the command is looked up in its PATH.
// Exactly what supervisor::prepareLaunch gives the instance itself.
struct ExecContext {
  supervisor::LaunchSpec launch;  // the instance's (its command is replaced by the probe's)
  supervisor::EnvMap baseEnv;     // the daemon's base environment (PATH, HOME, LANG)
};

// Where an instance listens: probe host/port 0 and "" fall back to these.
struct ProbeEndpoint {
  std::string host = "127.0.0.1";
  int port = 0;
  std::optional<ExecContext> exec;  // absent: exec probes run in the caller's context
};

// The runner for `probe.kind`.
std::unique_ptr<ProbeRunner> makeProbeRunner(asio::io_context& io, const spec::Probe& probe,
                                             const ProbeEndpoint& instance);

}  // namespace rollway::probe
