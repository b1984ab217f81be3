#pragma once

// What the control plane asks of health checking: probe an instance (startup, liveness,
// readiness as its template says), stop probing it, its counters; transitions come to
// the event callback. `Prober` is the implementation; tests/unit/controller/fakes has a
// fake the test drives. All calls and callbacks on the control thread.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "rollway/common/clock.h"
#include "rollway/common/result.h"
#include "rollway/probe/probe_runner.h"
#include "rollway/probe/probe_state.h"
#include "rollway/spec/service_spec.h"

namespace rollway::probe {

struct InstanceProbeStatus {
  bool started = false;
  bool ready = false;
  bool available = false;
  bool restartRequired = false;
  uint64_t successes = 0;  // probe attempts (all three kinds) that succeeded so far
  uint64_t failures = 0;   // ... that failed or timed out
};

class HealthSource {
 public:
  using EventCallback = std::function<void(const std::string& instanceId, const ProbeEvent& event)>;

  virtual ~HealthSource() = default;

  virtual void setEventCallback(EventCallback onEvent) = 0;
  // Starts probing an instance that started at `startTime` and listens on host:port;
  // `exec` is its context for exec probes.
  virtual Result<void> add(const std::string& instanceId, const std::string& host, int port,
                           const spec::Template& tmpl, SteadyTime startTime,
                           std::optional<ExecContext> exec = std::nullopt) = 0;
  // Stops probing it; no callback for it afterwards. Unknown ids are ignored.
  virtual void remove(const std::string& instanceId) = 0;
  virtual void setMinReadySeconds(const std::string& instanceId, int seconds) = 0;
  virtual std::optional<InstanceProbeStatus> status(const std::string& instanceId) const = 0;
};

}  // namespace rollway::probe
