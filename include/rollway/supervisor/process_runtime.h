#pragma once

// What the control plane asks of the processes it runs: spawn, adopt after a daemon
// restart, watch for exits, terminate (SIGTERM, SIGKILL after a grace period), preStop
// exec. `Supervisor` is the implementation; tests/unit/controller/fakes has a recording
// fake. All calls and callbacks on the control thread.

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "rollway/common/result.h"
#include "rollway/supervisor/exit_info.h"
#include "rollway/supervisor/launch_spec.h"

namespace rollway::supervisor {

struct InstanceProcess {
  std::string instance;
  pid_t pid = 0;               // = its process group and session id
  int pidfd = -1;              // borrowed: owned by the Supervisor until the exit callback
  int64_t startTimeTicks = 0;  // store this with pid: adoption checks it
  bool adopted = false;        // not our child: exit status will be unknown
  std::string logPath;
  std::string host;            // where it is reached; empty: this host (127.0.0.1)
  std::string node;            // cluster mode: the node it runs on; empty: this host
};

struct Termination {
  enum class Outcome {
    kExitedAfterSigterm,  // exited within the grace period
    kKilledAfterGrace,    // SIGKILL was sent when the grace period ended
  };
  Outcome outcome = Outcome::kExitedAfterSigterm;
  ExitInfo exit;
};

class ProcessRuntime {
 public:
  using ExitCallback = std::function<void(const std::string& instance, const ExitInfo& exit)>;
  using TerminateCallback = std::function<void(const std::string& instance, const Termination& t)>;
  using PreStopCallback = std::function<void(const std::string& instance, const Result<ExitInfo>& r)>;

  virtual ~ProcessRuntime() = default;

  // Called once for every watched instance that exits, after it was reaped and
  // forgotten (so the callback may start a replacement under the same name).
  virtual void setExitCallback(ExitCallback callback) = 0;
  // Spawns and watches spec.instance. kConflict when the name is already watched.
  virtual Result<InstanceProcess> start(const LaunchSpec& spec) = 0;
  // Watches the process recorded as (pid, startTimeTicks) when it still runs.
  virtual Result<InstanceProcess> adopt(const LaunchSpec& spec, pid_t pid, int64_t startTimeTicks) = 0;
  // A process of this instance that is not watched (started, but not recorded with its
  // pid before the daemon died), found by its name.
  virtual std::optional<InstanceProcess> findUnwatched(const std::string& instance) const = 0;
  // SIGTERM now, SIGKILL when `grace` is over; `done` when it has exited (before the
  // exit callback). kConflict when a termination is already under way.
  virtual Result<void> terminate(const std::string& instance, std::chrono::milliseconds grace,
                                 TerminateCallback done = {}) = 0;
  // lifecycle.preStop.exec in the instance's context, killed after `timeout`.
  virtual Result<void> runPreStopExec(const std::string& instance, const std::vector<std::string>& argv,
                                      std::chrono::milliseconds timeout, PreStopCallback done) = 0;
  virtual bool watching(const std::string& instance) const = 0;
};

}  // namespace rollway::supervisor
