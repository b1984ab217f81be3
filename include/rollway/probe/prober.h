#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>

#include "rollway/common/clock.h"
#include "rollway/common/result.h"
#include "rollway/probe/health_source.h"
#include "rollway/probe/probe_runner.h"
#include "rollway/probe/probe_state.h"
#include "rollway/spec/service_spec.h"

namespace asio {
class io_context;
}

namespace rollway::probe {

// Probes many instances on one io_context: a ProbeTracker, up to three ProbeRunners and
// one steady_timer per instance (armed for the tracker's nextWakeup). Every transition
// goes to the callback, on the io_context's thread. All methods must be called on that
// thread (or before it runs). The callback may call add/remove/setMinReadySeconds.
// The Clock must be steady_clock-based (SystemClock) for the timers to agree with it.
class Prober final : public HealthSource {
 public:
  Prober(asio::io_context& io, const Clock& clock, EventCallback onEvent = {});
  ~Prober();
  Prober(const Prober&) = delete;
  Prober& operator=(const Prober&) = delete;

  // Starts probing an instance that started at `startTime` and listens on host:port
  // (host "" = 127.0.0.1; port 0 is fine when every probe names its own port or is exec).
  // The first events (e.g. Started/Ready without probes) come from the io_context.
  // `exec`: the instance's context for exec probes (see ExecContext).
  Result<void> add(const std::string& instanceId, const std::string& host, int port,
                   const spec::Template& tmpl, SteadyTime startTime,
                   std::optional<ExecContext> exec = std::nullopt) override;
  // Stops probing it: probes in flight are cancelled (exec children killed and reaped),
  // no callback for it afterwards. Unknown ids are ignored.
  void remove(const std::string& instanceId) override;

  // minReadySeconds for every instance, present and future.
  void setMinReadySeconds(int seconds);
  void setMinReadySeconds(const std::string& instanceId, int seconds) override;

  std::optional<InstanceProbeStatus> status(const std::string& instanceId) const override;
  void setEventCallback(EventCallback onEvent) override { onEvent_ = std::move(onEvent); }
  size_t size() const { return instances_.size(); }
  // Probe attempts started so far (all instances).
  uint64_t attempts() const { return attempts_; }

 private:
  struct Instance;

  void schedule(const std::shared_ptr<Instance>& instance);
  void step(const std::shared_ptr<Instance>& instance);
  void runDue(const std::shared_ptr<Instance>& instance);
  void onResult(const std::shared_ptr<Instance>& instance, ProbeType type, ProbeResult result);
  // False when the callback removed the instance.
  bool dispatch(const std::shared_ptr<Instance>& instance, const std::vector<ProbeEvent>& events);

  asio::io_context& io_;
  const Clock& clock_;
  EventCallback onEvent_;
  int minReadySeconds_ = 0;
  uint64_t attempts_ = 0;
  std::unordered_map<std::string, std::shared_ptr<Instance>> instances_;
};

}  // namespace rollway::probe
