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
#include "rollway/supervisor/process_runtime.h"

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
class Supervisor final : public ProcessRuntime {
 public:

  Supervisor(asio::io_context& io, SupervisorOptions options, Logger logger = nullLogger());
  ~Supervisor();
  Supervisor(const Supervisor&) = delete;
  Supervisor& operator=(const Supervisor&) = delete;

  // Called once for every watched instance that exits, after it was reaped and
  // forgotten (so the callback may start a replacement under the same name).
  void setExitCallback(ExitCallback callback) override { on_exit_ = std::move(callback); }

  // Spawns and watches spec.instance. kConflict when the name is already watched;
  // kNotFound / kIo / kInvalidArgument when the command cannot be started (the errno
  // of the failed exec, chdir or log open is in the message).
  Result<InstanceProcess> start(const LaunchSpec& spec) override;

  // After a daemon restart: watch the process recorded as (pid, startTimeTicks) when
  // /proc/<pid>/stat exists and its start time matches (a reused pid never does).
  // kNotFound ("... is dead") otherwise. `spec` is what the instance was started with
  // (at least .instance); preStop exec runs in its environment.
  Result<InstanceProcess> adopt(const LaunchSpec& spec, pid_t pid, int64_t startTimeTicks) override;

  // Sends `sig` to the instance's whole process group. kNotFound when not watched.
  Result<void> signal(const std::string& instance, int sig);

  // SIGTERM to the group now, SIGKILL to the group when `grace` is over and the main
  // process has not exited. `done` (optional) runs when it has exited, before the
  // exit callback. kConflict when a termination is already under way.
  Result<void> terminate(const std::string& instance, std::chrono::milliseconds grace,
                         TerminateCallback done = {}) override;

  // Runs lifecycle.preStop.exec: argv (never a shell) in the instance's environment
  // and working directory, output appended to the instance's log, its own process
  // group SIGKILLed after `timeout` (then `done` gets a kTimeout error). Start
  // failures are returned at once and `done` is not called.
  Result<void> runPreStopExec(const std::string& instance, const std::vector<std::string>& argv,
                              std::chrono::milliseconds timeout, PreStopCallback done) override;

  // Stops watching without signalling (the process keeps running).
  void forget(const std::string& instance);

  bool watching(const std::string& instance) const override { return instances_.contains(instance); }
  // By its name in /proc (supervisor::findInstanceProcess), when not watched.
  std::optional<InstanceProcess> findUnwatched(const std::string& instance) const override;
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
