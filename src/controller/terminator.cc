#include "rollway/controller/terminator.h"

#include <algorithm>

#include <fmt/format.h>

namespace rollway::controller {

namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using Step = Termination::Step;


}  // namespace

Terminator::Terminator(TerminatorDeps deps, milliseconds drainPollPeriod, TerminatorHooks hooks)
    : deps_(deps), drainPollPeriod_(drainPollPeriod), hooks_(std::move(hooks)) {}

Terminator::~Terminator() = default;

std::function<void()> Terminator::resume(const std::string& name, Step step, std::function<void(Instance&)> fn) {
  return [this, name, step, fn = std::move(fn), alive = std::weak_ptr<int>(alive_)] {
    if (alive.expired()) return;
    Instance* inst = deps_.instances.find(name);
    if (inst != nullptr && inst->termination && inst->termination->step == step) fn(*inst);
  };
}

void Terminator::restart(Instance& inst, const std::string& reason) {
  if (!inst.probed()) return;  // stopping, restarting or waiting already
  inst.phase = InstancePhase::kRestarting;
  inst.message = "Restarting: " + reason;
  startSequence(inst, "restarting it: " + reason);
}

void Terminator::stop(Instance& inst, const std::string& reason) {
  if (inst.phase == InstancePhase::kTerminating) return;
  std::string object = "instance/" + inst.name;
  if (inst.termination) {
    // A restart's termination sequence is under way: it goes on, and ends the instance.
    inst.phase = InstancePhase::kTerminating;
    deps_.events.record(inst.service, object, kNormal, "Stopping",
                        fmt::format("Stopping {}: {} (its termination sequence is already under way)", inst.name, reason));
    deps_.instances.record(inst);
    return;
  }
  bool running = inst.running() && deps_.runtime.watching(inst.name);
  deps_.health.remove(inst.name);
  inst.phase = InstancePhase::kTerminating;
  if (!running) {
    deps_.events.record(inst.service, object, kNormal, "Stopping", fmt::format("Stopping {}: {}", inst.name, reason));
    exited(inst.name, std::nullopt);
    return;
  }
  startSequence(inst, reason);
}

void Terminator::startSequence(Instance& inst, const std::string& reason) {
  deps_.health.remove(inst.name);
  inst.termination = std::make_unique<Termination>();
  Termination& t = *inst.termination;
  t.drainStart = deps_.clock.now();
  t.graceEnd = t.drainStart + seconds(inst.tmpl.terminationGracePeriodSeconds);
  t.timer = deps_.timers.make();
  deps_.events.record(inst.service, "instance/" + inst.name, kNormal, "Draining",
                      fmt::format("Draining {}: {}; out of rotation, waiting for in-flight requests", inst.name, reason));
  deps_.instances.record(inst);
  t.timer->expireAfter(milliseconds(0), resume(inst.name, Step::kDrain, [this](Instance& i) { step(i.name); }));
}

void Terminator::snapshotLanded() {
  for (const auto& [name, inst] : deps_.instances.all()) {
    Termination* t = inst->termination.get();
    if (t == nullptr || t->step != Step::kDrain || t->outOfRotation) continue;
    // Out of rotation now: its drain goes on at once rather than at its next poll.
    t->outOfRotation = true;
    t->timer->expireAfter(milliseconds(0), resume(name, Step::kDrain, [this](Instance& i) { step(i.name); }));
  }
}

void Terminator::step(const std::string& name) {
  Instance* found = deps_.instances.find(name);
  if (found == nullptr || !found->termination || found->termination->step != Step::kDrain) return;
  Instance& inst = *found;
  Termination& t = *inst.termination;
  bool pastGrace = deps_.clock.now() >= t.graceEnd;
  // 1. Out of rotation: the proxy has installed a snapshot with this endpoint draining.
  // Never signalled before that, however long it takes: a proxy that did not take the
  // snapshot still sends it requests (status.routingError says why). The push is
  // asynchronous: a later step sees its answer; only a failed one is worth an event.
  // (A liveness restart is involuntary: it waits for the proxy up to its grace period.)
  if (!t.outOfRotation) {
    hooks_.pushSnapshot();
    found = deps_.instances.find(name);  // the push's bookkeeping may have moved on
    if (found == nullptr || found->termination.get() != &t) return;
    if (!t.outOfRotation && !(inst.phase == InstancePhase::kRestarting && pastGrace)) {
      std::string error = hooks_.pushError();
      if (!t.warnedNotPushed && !error.empty()) {
        t.warnedNotPushed = true;
        deps_.events.record(inst.service, "instance/" + name, kWarning, "DrainBlocked",
                            fmt::format("{}: waiting for the proxy to take it out of rotation ({}); it is not "
                                        "signalled before",
                                        name, error));
      }
      pollDrain(inst, error.empty() ? drainPollPeriod_ : milliseconds(1000));
      return;
    }
  }
  // 2. Its in-flight requests finish (bounded by the grace period), asked off this thread.
  deps_.proxy.inFlight([this, name, alive = std::weak_ptr<int>(alive_)](Result<std::map<std::string, uint64_t>> counts) {
    if (!alive.expired()) drainWait(name, counts);
  });
}

void Terminator::pollDrain(Instance& inst, milliseconds delay) {
  inst.termination->timer->expireAfter(delay, resume(inst.name, Step::kDrain, [this](Instance& i) { step(i.name); }));
}

void Terminator::drainWait(const std::string& name, const Result<std::map<std::string, uint64_t>>& counts) {
  Instance* found = deps_.instances.find(name);
  // Moved on meanwhile (exited, restarted, or a second answer after the first went on).
  if (found == nullptr || !found->termination || found->termination->step != Step::kDrain) return;
  Instance& inst = *found;
  Termination& t = *inst.termination;
  auto now = deps_.clock.now();
  bool pastGrace = now >= t.graceEnd;
  // A proxy that does not answer the query tells nothing: wait on, as long as the grace
  // period allows.
  uint64_t inFlight = 0;
  if (counts) {
    if (auto c = counts->find(inst.address()); c != counts->end()) inFlight = c->second;
  } else if (!pastGrace) {
    if (!t.warnedInFlightUnknown) {
      t.warnedInFlightUnknown = true;
      deps_.events.record(inst.service, "instance/" + name, kWarning, "InFlightUnknown",
                          fmt::format("{}: the proxy did not answer the in-flight query ({}); waiting up to the grace "
                                      "period",
                                      name, counts.error().message));
    }
    pollDrain(inst, milliseconds(1000));
    return;
  }
  if (inFlight > 0 && !pastGrace) {
    pollDrain(inst, drainPollPeriod_);
    return;
  }
  auto waited = std::chrono::duration_cast<milliseconds>(now - t.drainStart).count();
  std::string drained = !counts ? fmt::format("{}: grace period over, requests in flight unknown (the proxy did not "
                                              "answer: {})", name, counts.error().message)
                        : inFlight > 0 ? fmt::format("{}: grace period over with {} request(s) in flight", name, inFlight)
                                       : fmt::format("{}: no requests in flight after {} ms", name, waited);
  deps_.events.record(inst.service, "instance/" + name, !counts || inFlight > 0 ? kWarning : kNormal, "Drained", drained);
  runPreStop(inst);
}

void Terminator::runPreStop(Instance& inst) {
  Termination& t = *inst.termination;
  t.step = Step::kPreStop;
  const auto& preStop = inst.tmpl.lifecycle.preStop;
  if (!preStop) {
    sendSigterm(inst);
    return;
  }
  auto remaining = std::max(milliseconds(0), std::chrono::duration_cast<milliseconds>(t.graceEnd - deps_.clock.now()));
  std::string name = inst.name;
  std::string object = "instance/" + name;
  auto next = resume(name, Step::kPreStop, [this](Instance& i) { sendSigterm(i); });
  auto failed = [this, name, alive = std::weak_ptr<int>(alive_)](const std::string& what) {
    if (alive.expired()) return;
    if (Instance* i = deps_.instances.find(name)) {
      deps_.events.record(i->service, "instance/" + name, kWarning, "FailedPreStopHook", fmt::format("{}: {}", name, what));
    }
  };
  switch (preStop->kind) {
    case spec::HandlerKind::kSleep: {
      auto d = std::min(remaining, milliseconds(seconds(preStop->sleepSeconds)));
      deps_.events.record(inst.service, object, kNormal, "PreStop", fmt::format("{}: preStop sleep {} ms", name, d.count()));
      t.timer->expireAfter(d, next);
      return;
    }
    case spec::HandlerKind::kExec: {
      deps_.events.record(inst.service, object, kNormal, "PreStop", fmt::format("{}: running preStop exec", name));
      auto ok = deps_.runtime.runPreStopExec(
          name, preStop->exec.command, remaining,
          [next, failed](const std::string&, const Result<supervisor::ExitInfo>& r) {
            if (!r || !r->success()) failed("preStop exec " + (r ? r->str() : r.error().message));
            next();
          });
      if (!ok) {
        failed("preStop exec cannot start: " + ok.error().message);
        sendSigterm(inst);
      }
      return;
    }
    case spec::HandlerKind::kHttpGet: {
      spec::Probe p;
      p.kind = spec::ProbeKind::kHttpGet;
      p.httpGet = preStop->httpGet;
      p.timeoutSeconds = std::max(1, static_cast<int>(std::chrono::duration_cast<seconds>(remaining).count()));
      t.preStopRunner = probe::makeProbeRunner(deps_.io, p, probe::ProbeEndpoint{inst.host, inst.port, std::nullopt});
      deps_.events.record(inst.service, object, kNormal, "PreStop",
                          fmt::format("{}: preStop GET {} on port {}", name, p.httpGet.path,
                                      p.httpGet.port ? p.httpGet.port : inst.port));
      t.preStopRunner->run([next, failed](probe::ProbeResult r) {
        if (r.outcome != probe::ProbeOutcome::kSuccess) failed("preStop GET failed: " + r.message);
        next();
      });
      return;
    }
  }
  sendSigterm(inst);
}

void Terminator::sendSigterm(Instance& inst) {
  Termination& t = *inst.termination;
  t.step = Step::kSigterm;
  t.preStopRunner.reset();
  // As the kubelet does: when preStop used up the grace period, SIGTERM still gets 2 s.
  auto remaining = std::chrono::duration_cast<milliseconds>(t.graceEnd - deps_.clock.now());
  auto grace = std::max(remaining, milliseconds(2000));
  deps_.events.record(inst.service, "instance/" + inst.name, kNormal, "Killing",
                      fmt::format("{}: SIGTERM, SIGKILL in {} ms if it has not exited", inst.name, grace.count()));
  std::string name = inst.name;
  auto ok = deps_.runtime.terminate(name, grace, [this, alive = std::weak_ptr<int>(alive_)](
                                                     const std::string& n, const supervisor::Termination& term) {
    if (alive.expired()) return;
    Instance* i = deps_.instances.find(n);
    if (i != nullptr && i->termination && term.outcome == supervisor::Termination::Outcome::kKilledAfterGrace) {
      i->termination->killedAfterGrace = true;
    }
  });
  if (!ok && ok.error().code != ErrorCode::kConflict && inst.phase == InstancePhase::kTerminating) {
    // Not watched any more: it is gone already. (A restart learns it from its exit.)
    exited(name, std::nullopt);
  }
}

void Terminator::exited(const std::string& name, const std::optional<supervisor::ExitInfo>& exit) {
  Instance* inst = deps_.instances.find(name);
  if (inst == nullptr) return;
  std::string how = exit ? exit->str() : "was not running";
  std::string service = inst->service;
  if (inst->termination && inst->termination->killedAfterGrace) {
    deps_.events.record(service, "instance/" + name, kWarning, "KilledAfterGrace",
                        fmt::format("{} ignored SIGTERM for {}s and was killed ({})", name,
                                    inst->tmpl.terminationGracePeriodSeconds, how));
  } else {
    deps_.events.record(service, "instance/" + name, kNormal, "Stopped", fmt::format("{} stopped ({})", name, how));
  }
  if (inst->termination) inst->termination->timer->cancel();
  deps_.instances.erase(name);
  hooks_.finished(service);
}

}  // namespace rollway::controller
