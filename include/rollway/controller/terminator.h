#pragma once

// The termination sequence (docs/life-of-a-rollout.md, step 5), for a stop and for a
// liveness restart alike: out of rotation in the proxy -> in-flight requests drained,
// bounded by the grace period -> preStop -> SIGTERM -> SIGKILL at the end of the grace
// period. Its state lives in Instance::termination; its timers come from Timers, so a
// test moves a fake clock through a whole grace period in one call.

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include <asio/io_context.hpp>

#include "rollway/common/clock.h"
#include "rollway/common/timer.h"
#include "rollway/controller/event_log.h"
#include "rollway/controller/instance_set.h"
#include "rollway/controller/proxy_port.h"
#include "rollway/probe/health_source.h"
#include "rollway/supervisor/process_runtime.h"

namespace rollway::controller {

struct TerminatorDeps {
  asio::io_context& io;  // preStop httpGet runs on it
  const Clock& clock;
  Timers& timers;
  supervisor::ProcessRuntime& runtime;
  probe::HealthSource& health;
  ProxyPort& proxy;
  InstanceSet& instances;
  EventLog& events;
};

// What the sequence asks of its owner (the controller), which owns the routing snapshot.
struct TerminatorHooks {
  // Push the routing snapshot (with the draining instance marked) if it is not out yet;
  // the owner calls snapshotLanded() when the proxy has it.
  std::function<void()> pushSnapshot;
  // Why the proxy does not have the current snapshot ("" = it has).
  std::function<std::string()> pushError;
  // The instance was stopped for good and erased from the set.
  std::function<void(const std::string& service)> finished;
};

class Terminator {
 public:
  Terminator(TerminatorDeps deps, std::chrono::milliseconds drainPollPeriod, TerminatorHooks hooks);
  ~Terminator();
  Terminator(const Terminator&) = delete;
  Terminator& operator=(const Terminator&) = delete;

  // Stops the instance for good (kTerminating). A process that does not run is done at
  // once; a restart's sequence under way goes on and ends the instance.
  void stop(Instance& inst, const std::string& reason);
  // A failed liveness (or startup) probe, as the kubelet does: the same sequence, then
  // the process's exit puts it in back-off (InstanceSet::onCrash) and it starts again.
  void restart(Instance& inst, const std::string& reason);
  // The proxy took a snapshot without the draining instances: their drains go on now.
  void snapshotLanded();
  // The process of an instance being stopped for good exited (nullopt: it was not running).
  void exited(const std::string& name, const std::optional<supervisor::ExitInfo>& exit);

 private:
  void startSequence(Instance& inst, const std::string& reason);
  void step(const std::string& name);
  void drainWait(const std::string& name, const Result<std::map<std::string, uint64_t>>& counts);
  void pollDrain(Instance& inst, std::chrono::milliseconds delay);
  void runPreStop(Instance& inst);
  void sendSigterm(Instance& inst);
  // Calls `fn(inst)` later if the instance is still there and still at `step`.
  std::function<void()> resume(const std::string& name, Termination::Step step,
                               std::function<void(Instance&)> fn);

  TerminatorDeps deps_;
  std::chrono::milliseconds drainPollPeriod_;
  TerminatorHooks hooks_;
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);
};

}  // namespace rollway::controller
