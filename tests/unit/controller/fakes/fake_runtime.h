#pragma once

// A ProcessRuntime that runs nothing: it records what the controller asked for
// ("start web-1-abcde v1 :20001", "terminate web-1-abcde 30000ms", ...) and lets the
// test decide when a process exits.

#include <map>
#include <set>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "rollway/supervisor/process_runtime.h"

namespace rollway::controller::fakes {

class FakeRuntime final : public supervisor::ProcessRuntime {
 public:
  std::vector<std::string> actions;
  std::map<std::string, supervisor::LaunchSpec> running;  // by instance name
  std::map<std::string, pid_t> pids;
  std::set<std::string> failStart;  // versions whose start fails (command not found)

  void setExitCallback(ExitCallback callback) override { onExit_ = std::move(callback); }

  Result<supervisor::InstanceProcess> start(const supervisor::LaunchSpec& spec) override {
    actions.push_back(fmt::format("start {} {} :{}", spec.instance, spec.version, spec.port));
    if (failStart.contains(spec.version)) return fail(ErrorCode::kNotFound, "{}: no such file", spec.command.at(0));
    if (running.contains(spec.instance)) return fail(ErrorCode::kConflict, "{} is already watched", spec.instance);
    running[spec.instance] = spec;
    supervisor::InstanceProcess p;
    p.instance = spec.instance;
    p.pid = nextPid_++;
    p.startTimeTicks = 1000 + p.pid;
    pids[spec.instance] = p.pid;
    return p;
  }

  Result<supervisor::InstanceProcess> adopt(const supervisor::LaunchSpec& spec, pid_t pid, int64_t ticks) override {
    actions.push_back(fmt::format("adopt {} {}", spec.instance, pid));
    if (!alive_.contains(pid) || alive_[pid] != ticks) return fail(ErrorCode::kNotFound, "pid {} is dead", pid);
    running[spec.instance] = spec;
    pids[spec.instance] = pid;
    supervisor::InstanceProcess p;
    p.instance = spec.instance;
    p.pid = pid;
    p.startTimeTicks = ticks;
    p.adopted = true;
    return p;
  }

  std::optional<supervisor::InstanceProcess> findUnwatched(const std::string&) const override { return std::nullopt; }

  Result<void> terminate(const std::string& instance, std::chrono::milliseconds grace,
                         TerminateCallback done) override {
    actions.push_back(fmt::format("terminate {} {}ms", instance, grace.count()));
    if (!running.contains(instance)) return fail(ErrorCode::kNotFound, "{} is not watched", instance);
    terminating_[instance] = std::move(done);
    return {};
  }

  Result<void> runPreStopExec(const std::string& instance, const std::vector<std::string>& argv,
                              std::chrono::milliseconds timeout, PreStopCallback done) override {
    actions.push_back(fmt::format("prestop {} {} {}ms", instance, argv.empty() ? "" : argv[0], timeout.count()));
    preStops_[instance] = std::move(done);
    return {};
  }

  bool watching(const std::string& instance) const override { return running.contains(instance); }

  // The test's side: a process that survives a daemon restart (adopt finds it).
  void keepAlive(pid_t pid, int64_t ticks) { alive_[pid] = ticks; }
  // The process exits (after SIGTERM, when terminate was called; else on its own).
  void exit(const std::string& instance, supervisor::ExitInfo info = supervisor::ExitInfo::exited(0)) {
    running.erase(instance);
    if (auto it = terminating_.find(instance); it != terminating_.end()) {
      auto done = std::move(it->second);
      terminating_.erase(it);
      if (done) done(instance, supervisor::Termination{supervisor::Termination::Outcome::kExitedAfterSigterm, info});
    }
    if (onExit_) onExit_(instance, info);
  }
  // The process ignored SIGTERM and was SIGKILLed at the end of its grace.
  void exitKilledAfterGrace(const std::string& instance) {
    running.erase(instance);
    auto info = supervisor::ExitInfo::signaled(9);
    if (auto it = terminating_.find(instance); it != terminating_.end()) {
      auto done = std::move(it->second);
      terminating_.erase(it);
      if (done) done(instance, supervisor::Termination{supervisor::Termination::Outcome::kKilledAfterGrace, info});
    }
    if (onExit_) onExit_(instance, info);
  }
  // Every instance that was sent SIGTERM exits.
  void exitTerminated() {
    std::vector<std::string> names;
    for (const auto& [name, done] : terminating_) names.push_back(name);
    for (const auto& name : names) exit(name);
  }
  void finishPreStop(const std::string& instance) {
    if (auto it = preStops_.find(instance); it != preStops_.end()) {
      auto done = std::move(it->second);
      preStops_.erase(it);
      done(instance, supervisor::ExitInfo::exited(0));
    }
  }
  // Actions starting with `prefix` ("start", "terminate", ...).
  size_t count(const std::string& prefix) const {
    size_t n = 0;
    for (const auto& a : actions) n += a.rfind(prefix + " ", 0) == 0 ? 1 : 0;
    return n;
  }

 private:
  ExitCallback onExit_;
  pid_t nextPid_ = 40000;
  std::map<pid_t, int64_t> alive_;
  std::map<std::string, TerminateCallback> terminating_;
  std::map<std::string, PreStopCallback> preStops_;
};

}  // namespace rollway::controller::fakes
