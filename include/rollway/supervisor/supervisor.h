#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <asio/io_context.hpp>

#include "rollway/common/log.h"
#include "rollway/common/result.h"
#include "rollway/supervisor/exit_info.h"
#include "rollway/supervisor/launch_spec.h"

namespace rollway::supervisor {

struct SupervisorOptions {
  std::string logDir;  // <logDir>/<instance>.log; must exist
  EnvMap baseEnv;      // usually baseEnvironmentFromProcess()
  // When an instance's main process exits, SIGKILL what is left of its process group
  // (as a container's processes end with its main process), so no stray child keeps
  // the port or writes to the log.
  bool killGroupOnExit = true;
};

// A running instance the supervisor watches.
struct InstanceProcess {
  std::string instance;
  pid_t pid = 0;               // = its process group and session id
  int pidfd = -1;              // borrowed: owned by the Supervisor until the exit callback
  int64_t startTimeTicks = 0;  // store this with pid: adoption checks it
  bool adopted = false;        // not our child: exit status will be unknown
  std::string logPath;
};

// How terminate() ended.
struct Termination {
  enum class Outcome {
    kExitedAfterSigterm,  // exited within the grace period
    kKilledAfterGrace,    // SIGKILL was sent when the grace period ended
  };
  Outcome outcome = Outcome::kExitedAfterSigterm;
  ExitInfo exit;
};

// Starts instances as plain processes in their own sessions, watches their pidfds on
// an io_context, adopts survivors of a daemon restart, signals process groups.
// Not thread-safe: call it, and run `io`, on one thread (the control plane's loop).
// Destroying it stops the watching only: instances keep running (they outlive the
// daemon by design) and can be adopted again.
class Supervisor {
 public:
  using ExitCallback = std::function<void(const std::string& instance, const ExitInfo& exit)>;
  using TerminateCallback = std::function<void(const std::string& instance, const Termination& t)>;
  using PreStopCallback = std::function<void(const std::string& instance, const Result<ExitInfo>& r)>;

  Supervisor(asio::io_context& io, SupervisorOptions options, Logger logger = nullLogger());
  ~Supervisor();
  Supervisor(const Supervisor&) = delete;
  Supervisor& operator=(const Supervisor&) = delete;

  // Called once for every watched instance that exits, after it was reaped and
  // forgotten (so the callback may start a replacement under the same name).
  void setExitCallback(ExitCallback callback) { on_exit_ = std::move(callback); }

  // Spawns and watches spec.instance. kConflict when the name is already watched;
  // kNotFound / kIo / kInvalidArgument when the command cannot be started (the errno
  // of the failed exec, chdir or log open is in the message).
  Result<InstanceProcess> start(const LaunchSpec& spec);

  // After a daemon restart: watch the process recorded as (pid, startTimeTicks) when
  // /proc/<pid>/stat exists and its start time matches (a reused pid never does).
  // kNotFound ("... is dead") otherwise. `spec` is what the instance was started with
  // (at least .instance); preStop exec runs in its environment.
  Result<InstanceProcess> adopt(const LaunchSpec& spec, pid_t pid, int64_t startTimeTicks);

  // Sends `sig` to the instance's whole process group. kNotFound when not watched.
  Result<void> signal(const std::string& instance, int sig);

  // SIGTERM to the group now, SIGKILL to the group when `grace` is over and the main
  // process has not exited. `done` (optional) runs when it has exited, before the
  // exit callback. kConflict when a termination is already under way.
  Result<void> terminate(const std::string& instance, std::chrono::milliseconds grace,
                         TerminateCallback done = {});

  // Runs lifecycle.preStop.exec: argv (never a shell) in the instance's environment
  // and working directory, output appended to the instance's log, its own process
  // group SIGKILLed after `timeout` (then `done` gets a kTimeout error). Start
  // failures are returned at once and `done` is not called.
  Result<void> runPreStopExec(const std::string& instance, const std::vector<std::string>& argv,
                              std::chrono::milliseconds timeout, PreStopCallback done);

  // Stops watching without signalling (the process keeps running).
  void forget(const std::string& instance);

  bool watching(const std::string& instance) const { return instances_.contains(instance); }
  std::optional<InstanceProcess> find(const std::string& instance) const;
  std::vector<InstanceProcess> list() const;

 private:
  struct Watched;

  Result<InstanceProcess> watch(const LaunchSpec& spec, pid_t pid, pid_t pgid, int pidfd,
                                int64_t startTimeTicks, bool ownChild);
  void armWatch(Watched& w);
  void onReadable(const std::string& instance, uint64_t id);
  static InstanceProcess describe(const Watched& w);
  static Result<void> signalWatched(Watched& w, int sig);

  asio::io_context& io_;
  SupervisorOptions options_;
  Logger logger_;
  ExitCallback on_exit_;
  std::map<std::string, std::unique_ptr<Watched>> instances_;
  uint64_t next_id_ = 1;
  // preStop exec jobs, keyed by id.
  struct Job;
  std::map<uint64_t, std::unique_ptr<Job>> jobs_;
  void armJob(Job& job);
  void onJobReadable(uint64_t id);
  // Handlers hold a weak_ptr to this: once the Supervisor is gone they do nothing.
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);
};

}  // namespace rollway::supervisor
