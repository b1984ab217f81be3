// The termination sequence (docs/life-of-a-rollout.md, step 5), for a stop and for a
// liveness restart alike: out of rotation in the proxy -> in-flight drain bounded by the
// grace period -> preStop -> SIGTERM -> SIGKILL at the end of the grace period.
#include "rollway/controller/controller.h"

#include "controller_state.h"

#include <algorithm>

#include <asio/post.hpp>
#include <fmt/format.h>

#include "rollway/probe/probe_runner.h"

namespace rollway::controller {

namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr EventType kNormalType = EventType::kNormal;
constexpr EventType kWarningType = EventType::kWarning;

}  // namespace

void Controller::killForRestart(Instance& inst, const std::string& reason) {
  // As the kubelet does for a failed liveness (or startup) probe: the same termination
  // sequence as any stop (out of rotation, in-flight drain bounded by the grace period,
  // preStop, SIGTERM, SIGKILL at the end of the grace period); then the restart in place,
  // with back-off, when the process has exited (onExit).
  inst.ready = inst.available = false;
  inst.killingForRestart = true;
  inst.message = "Restarting: " + reason;
  startTerminationSequence(inst, "restarting it: " + reason);
}

void Controller::beginTermination(Instance& inst, const std::string& reason) {
  if (inst.phase == Instance::Phase::kTerminating) return;
  if (inst.step != Instance::Step::kNone) {
    // A restart's termination sequence is under way: it goes on, and ends the instance.
    inst.phase = Instance::Phase::kTerminating;
    inst.killingForRestart = false;
    inst.stopReason = reason;
    event(inst.service, "instance/" + inst.name, kNormalType, "Stopping",
          fmt::format("Stopping {}: {} (its termination sequence is already under way)", inst.name, reason));
    record(inst);
    return;
  }
  bool running = inst.phase == Instance::Phase::kRunning && runtime_.watching(inst.name);
  health_.remove(inst.name);
  inst.phase = Instance::Phase::kTerminating;
  inst.ready = inst.available = inst.assumedReady = false;
  inst.stopReason = reason;
  inst.drainStart = clock_.now();
  inst.graceEnd = inst.drainStart + seconds(inst.tmpl.terminationGracePeriodSeconds);
  if (!running) {
    event(inst.service, "instance/" + inst.name, kNormalType, "Stopping", fmt::format("Stopping {}: {}", inst.name, reason));
    finishTermination(inst.name, std::nullopt);
    return;
  }
  startTerminationSequence(inst, reason);
}

void Controller::startTerminationSequence(Instance& inst, const std::string& reason) {
  health_.remove(inst.name);
  inst.drainStart = clock_.now();
  inst.graceEnd = inst.drainStart + seconds(inst.tmpl.terminationGracePeriodSeconds);
  inst.step = Instance::Step::kDrain;
  inst.drainPushed = false;
  inst.warnedNotPushed = false;
  inst.warnedInFlightUnknown = false;
  event(inst.service, "instance/" + inst.name, kNormalType, "Draining",
        fmt::format("Draining {}: {}; out of rotation, waiting for in-flight requests", inst.name, reason));
  record(inst);
  inst.timer = std::make_unique<asio::steady_timer>(io_);
  std::string name = inst.name;
  asio::post(io_, [this, name, alive = std::weak_ptr<int>(alive_)] {
    if (!alive.expired()) terminationStep(name);
  });
}

void Controller::terminationStep(const std::string& name) {
  auto it = instances_.find(name);
  if (it == instances_.end()) return;
  Instance& inst = *it->second;
  if (inst.step != Instance::Step::kDrain) return;
  bool pastGrace = clock_.now() >= inst.graceEnd;
  // 1. Out of rotation: the proxy has installed a snapshot with this endpoint draining.
  // Never signalled before that, however long it takes: a proxy that did not take the
  // snapshot still sends it requests (status.routingError says why). The push is
  // asynchronous: a later step sees its answer; only a failed one is worth an event.
  // (A liveness restart is involuntary: it waits for the proxy up to its grace period.)
  if (!inst.drainPushed) {
    pushSnapshot();
    if (!inst.drainPushed && !(inst.killingForRestart && inst.phase == Instance::Phase::kRunning && pastGrace)) {
      if (!inst.warnedNotPushed && !pushError_.empty()) {
        inst.warnedNotPushed = true;
        event(inst.service, "instance/" + name, kWarningType, "DrainBlocked",
              fmt::format("{}: waiting for the proxy to take it out of rotation ({}); it is not signalled before",
                          name, pushError_));
      }
      pollDrain(inst, pushError_.empty() ? options_.drainPollPeriod : milliseconds(1000));
      return;
    }
  }
  // 2. Its in-flight requests finish (bounded by the grace period), asked off this thread.
  proxy_->inFlight([this, name, alive = std::weak_ptr<int>(alive_)](Result<std::map<std::string, uint64_t>> counts) {
    if (alive.expired()) return;
    auto batch = store_.beginBatch();
    drainWait(name, counts);
  });
}

void Controller::pollDrain(Instance& inst, milliseconds delay) {
  inst.timer->expires_after(delay);
  inst.timer->async_wait([this, name = inst.name, alive = std::weak_ptr<int>(alive_)](const asio::error_code& ec) {
    if (!ec && !alive.expired()) terminationStep(name);
  });
}

void Controller::drainWait(const std::string& name, const Result<std::map<std::string, uint64_t>>& counts) {
  auto it = instances_.find(name);
  if (it == instances_.end()) return;
  Instance& inst = *it->second;
  if (inst.step != Instance::Step::kDrain) return;  // moved on meanwhile (exited, restarted)
  auto now = clock_.now();
  bool pastGrace = now >= inst.graceEnd;
  // A proxy that does not answer the query tells nothing: wait on, as long as the grace
  // period allows.
  uint64_t inFlight = 0;
  if (counts) {
    if (auto c = counts->find(inst.address()); c != counts->end()) inFlight = c->second;
  } else if (!pastGrace) {
    if (!inst.warnedInFlightUnknown) {
      inst.warnedInFlightUnknown = true;
      event(inst.service, "instance/" + name, kWarningType, "InFlightUnknown",
            fmt::format("{}: the proxy did not answer the in-flight query ({}); waiting up to the grace period",
                        name, counts.error().message));
    }
    pollDrain(inst, milliseconds(1000));
    return;
  }
  if (inFlight > 0 && !pastGrace) {
    pollDrain(inst, options_.drainPollPeriod);
    return;
  }
  auto waited = std::chrono::duration_cast<milliseconds>(now - inst.drainStart).count();
  std::string drained = !counts ? fmt::format("{}: grace period over, requests in flight unknown (the proxy did not "
                                              "answer: {})", name, counts.error().message)
                        : inFlight > 0 ? fmt::format("{}: grace period over with {} request(s) in flight", name, inFlight)
                                       : fmt::format("{}: no requests in flight after {} ms", name, waited);
  event(inst.service, "instance/" + name, !counts || inFlight > 0 ? kWarningType : kNormalType, "Drained", drained);
  runPreStop(inst);
}

void Controller::runPreStop(Instance& inst) {
  inst.step = Instance::Step::kPreStop;
  const auto& preStop = inst.tmpl.lifecycle.preStop;
  if (!preStop) {
    sendSigterm(inst);
    return;
  }
  auto remaining = std::max(milliseconds(0), std::chrono::duration_cast<milliseconds>(inst.graceEnd - clock_.now()));
  std::string name = inst.name;
  std::string object = "instance/" + name;
  std::weak_ptr<int> alive = alive_;
  auto next = [this, name, alive] {
    if (alive.expired()) return;
    auto it = instances_.find(name);
    if (it != instances_.end() && it->second->step == Instance::Step::kPreStop) sendSigterm(*it->second);
  };
  switch (preStop->kind) {
    case spec::HandlerKind::kSleep: {
      auto d = std::min(remaining, milliseconds(seconds(preStop->sleepSeconds)));
      event(inst.service, object, kNormalType, "PreStop", fmt::format("{}: preStop sleep {} ms", name, d.count()));
      inst.timer->expires_after(d);
      inst.timer->async_wait([next](const asio::error_code& ec) {
        if (!ec) next();
      });
      return;
    }
    case spec::HandlerKind::kExec: {
      event(inst.service, object, kNormalType, "PreStop", fmt::format("{}: running preStop exec", name));
      auto ok = runtime_.runPreStopExec(name, preStop->exec.command, remaining,
                                            [this, next, name, alive](const std::string&, const Result<supervisor::ExitInfo>& r) {
                                              if (alive.expired()) return;
                                              if (!r || !r->success()) {
                                                auto it = instances_.find(name);
                                                if (it != instances_.end()) {
                                                  event(it->second->service, "instance/" + name, kWarningType,
                                                        "FailedPreStopHook",
                                                        fmt::format("{}: preStop exec {}", name,
                                                                    r ? r->str() : r.error().message));
                                                }
                                              }
                                              next();
                                            });
      if (!ok) {
        event(inst.service, object, kWarningType, "FailedPreStopHook",
              fmt::format("{}: preStop exec cannot start: {}", name, ok.error().message));
        sendSigterm(inst);
      }
      return;
    }
    case spec::HandlerKind::kHttpGet: {
      spec::Probe p;
      p.kind = spec::ProbeKind::kHttpGet;
      p.httpGet = preStop->httpGet;
      p.timeoutSeconds = std::max(1, static_cast<int>(std::chrono::duration_cast<seconds>(remaining).count()));
      inst.preStopRunner = probe::makeProbeRunner(io_, p, probe::ProbeEndpoint{"127.0.0.1", inst.port, std::nullopt});
      event(inst.service, object, kNormalType, "PreStop",
            fmt::format("{}: preStop GET {} on port {}", name, p.httpGet.path, p.httpGet.port ? p.httpGet.port : inst.port));
      inst.preStopRunner->run([this, next, name, alive](probe::ProbeResult r) {
        if (alive.expired()) return;
        if (r.outcome != probe::ProbeOutcome::kSuccess) {
          auto it = instances_.find(name);
          if (it != instances_.end()) {
            event(it->second->service, "instance/" + name, kWarningType, "FailedPreStopHook",
                  fmt::format("{}: preStop GET failed: {}", name, r.message));
          }
        }
        next();
      });
      return;
    }
  }
  sendSigterm(inst);
}

void Controller::sendSigterm(Instance& inst) {
  inst.step = Instance::Step::kSigterm;
  inst.preStopRunner.reset();
  // As the kubelet does: when preStop used up the grace period, SIGTERM still gets 2 s.
  auto remaining = std::chrono::duration_cast<milliseconds>(inst.graceEnd - clock_.now());
  auto grace = std::max(remaining, milliseconds(2000));
  event(inst.service, "instance/" + inst.name, kNormalType, "Killing",
        fmt::format("{}: SIGTERM, SIGKILL in {} ms if it has not exited", inst.name, grace.count()));
  std::string name = inst.name;
  auto ok = runtime_.terminate(name, grace, [this, alive = std::weak_ptr<int>(alive_)](
                                                    const std::string& n, const supervisor::Termination& t) {
    if (alive.expired()) return;
    auto it = instances_.find(n);
    if (it != instances_.end() && t.outcome == supervisor::Termination::Outcome::kKilledAfterGrace) {
      it->second->killedAfterGrace = true;
    }
  });
  if (!ok && ok.error().code != ErrorCode::kConflict && inst.phase == Instance::Phase::kTerminating) {
    // Not watched any more: it is gone already. (A restart learns it from onExit.)
    finishTermination(name, std::nullopt);
  }
}

void Controller::finishTermination(const std::string& name, const std::optional<supervisor::ExitInfo>& exit) {
  auto it = instances_.find(name);
  if (it == instances_.end()) return;
  Instance& inst = *it->second;
  std::string how = exit ? exit->str() : "was not running";
  if (inst.killedAfterGrace) {
    event(inst.service, "instance/" + name, kWarningType, "KilledAfterGrace",
          fmt::format("{} ignored SIGTERM for {}s and was killed ({})", name, inst.tmpl.terminationGracePeriodSeconds, how));
  } else {
    event(inst.service, "instance/" + name, kNormalType, "Stopped", fmt::format("{} stopped ({})", name, how));
  }
  health_.remove(name);
  if (inst.timer) inst.timer->cancel();
  ports_.release(inst.port);
  if (auto ok = store_.deleteInstance(name); !ok && ok.error().code != ErrorCode::kNotFound) {
    logger_->error("cannot delete instance record {}: {}", name, ok.error().message);
  }
  if (auto sit = services_.find(inst.service); sit != services_.end()) sit->second->status.lastProgressMs = nowMs();
  // Destroyed after this handler returns: pending handlers may still point at the timer.
  std::shared_ptr<Instance> dead(std::move(it->second));
  instances_.erase(it);
  asio::post(io_, [dead] {});
  poke();
}

}  // namespace rollway::controller
