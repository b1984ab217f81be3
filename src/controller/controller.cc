#include "rollway/controller/controller.h"

#include "controller_state.h"

#include <signal.h>

#include <algorithm>
#include <filesystem>
#include <set>

#include <asio/post.hpp>
#include <fmt/format.h>

#include "rollway/controller/rollout_decision.h"
#include "rollway/controller/spec_change.h"
#include "rollway/controller/status_compute.h"
#include "rollway/probe/probe_runner.h"
#include "rollway/spec/serialize.h"
#include "rollway/supervisor/instance_name.h"

namespace rollway::controller {

namespace {

using nlohmann::json;
using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr EventType kNormal = EventType::kNormal;
constexpr EventType kWarning = EventType::kWarning;

}  // namespace

Controller::Controller(ControllerDeps deps, ControllerOptions options, Logger logger)
    : io_(deps.io),
      store_(deps.store),
      clock_(deps.clock),
      random_(deps.random),
      options_(std::move(options)),
      logger_(std::move(logger)),
      logs_(options_.dataDir + "/logs"),
      baseEnv_(supervisor::baseEnvironmentFromProcess()),
      ports_(options_.portFirst, options_.portLast),
      runtime_(deps.runtime),
      health_(deps.health),
      proxy_(&deps.proxy),
      prometheus_(deps.prometheus),
      webhook_(deps.webhook),
      pool_(deps.pool),
      timer_(io_) {
  std::error_code ec;
  std::filesystem::create_directories(options_.dataDir + "/logs", ec);
  runtime_.setExitCallback([this](const std::string& name, const supervisor::ExitInfo& exit) { onExit(name, exit); });
  health_.setEventCallback([this](const std::string& name, const probe::ProbeEvent& e) { onProbeEvent(name, e); });
}

Controller::~Controller() {
  runtime_.setExitCallback({});
  health_.setEventCallback({});
  for (auto& [name, s] : services_) {
    for (auto& w : s->waiters) w.reply(fail(ErrorCode::kUnavailable, "rollway is stopping"));
  }
  // Instances and the proxy keep running: the next daemon adopts them.
}

Result<void> Controller::start() {
  refreshServices();
  auto records = store_.listInstances();
  if (!records) return fail(records.error());
  for (const auto& r : *records) adopt(r);
  ensureProxy();
  schedule(milliseconds(0));
  return {};
}

void Controller::adopt(const store::InstanceRecord& r) {
  auto inst = std::make_unique<Instance>(clock_, options_.backoff);
  inst->name = r.name;
  inst->service = r.service;
  inst->revision = r.revision;
  inst->port = r.port;
  inst->createdMs = r.createdAtMs;
  inst->startedMs = r.createdAtMs;
  auto sit = services_.find(r.service);
  if (sit != services_.end()) {
    auto& s = *sit->second;
    if (auto t = s.templateByNumber.find(r.revision); t != s.templateByNumber.end()) {
      if (auto full = specWithTemplate(s.specJson, t->second); full) {
        inst->tmpl = full->tmpl;
        inst->hash = spec::templateHash(full->tmpl);
      }
    }
  }
  supervisor::LaunchSpec launch = launchSpec(*inst);
  auto adopted = runtime_.adopt(launch, static_cast<pid_t>(r.pid), r.startTimeTicks);
  if (!adopted) {
    // Started (or restarted) but not recorded with its pid before the daemon died.
    if (auto found = runtime_.findUnwatched(r.name); found) {
      adopted = runtime_.adopt(launch, found->pid, found->startTimeTicks);
    }
  }
  if (!adopted) {
    event(r.service, "instance/" + r.name, kWarning, "InstanceLost",
          fmt::format("Instance {} (pid {}) did not survive the daemon restart; it will be replaced", r.name, r.pid));
    (void)store_.deleteInstance(r.name);
    return;
  }
  ports_.reserve(r.port);
  inst->pid = adopted->pid;
  inst->startTicks = adopted->startTimeTicks;
  inst->backoff.started();
  if (r.state == "Ready" || r.state == "Available") {
    inst->assumedReady = true;
    int window = 10;
    if (inst->tmpl.readinessProbe) {
      const auto& p = *inst->tmpl.readinessProbe;
      window = std::max(window, p.initialDelaySeconds + p.periodSeconds * p.failureThreshold + p.timeoutSeconds);
    }
    inst->assumedUntil = clock_.now() + seconds(window);
  }
  if (inst->hash.empty()) {
    // Its revision is gone from the store (service deleted while the daemon was down):
    // stop it without probing.
    instances_[r.name] = std::move(inst);
    event(r.service, "instance/" + r.name, kNormal, "Adopted",
          fmt::format("Adopted {} (pid {}); its service or revision no longer exists", r.name, adopted->pid));
    return;
  }
  int minReady = sit != services_.end() ? sit->second->spec.minReadySeconds : 0;
  health_.setMinReadySeconds(r.name, minReady);
  if (auto ok = health_.add(r.name, "127.0.0.1", r.port, inst->tmpl, clock_.now(), execContext(*inst)); !ok) {
    logger_->warn("instance {}: cannot probe: {}", r.name, ok.error().message);
  }
  health_.setMinReadySeconds(r.name, minReady);
  event(r.service, "instance/" + r.name, kNormal, "Adopted",
        fmt::format("Adopted running instance {} (pid {}, port {})", r.name, adopted->pid, r.port));
  instances_[r.name] = std::move(inst);
}

void Controller::poke() {
  // A pass as soon as the thread is free (one, however many pokes come before it).
  if (pokePosted_) return;
  pokePosted_ = true;
  asio::post(io_, [this, alive = std::weak_ptr<int>(alive_)] {
    if (alive.expired()) return;
    pokePosted_ = false;
    reconcileAll();
  });
}

void Controller::schedule(milliseconds delay) {
  auto due = clock_.now() + delay;
  if (timerArmed_ && timerDue_ <= due) return;
  timerArmed_ = true;
  timerDue_ = due;
  timer_.expires_after(delay);
  std::weak_ptr<int> alive = alive_;
  timer_.async_wait([this, alive](const asio::error_code& ec) {
    if (ec || alive.expired()) return;
    timerArmed_ = false;
    reconcileAll();
  });
}

void Controller::refreshServices() {
  auto list = store_.listServices();
  if (!list) {
    logger_->error("cannot read services: {}", list.error().message);
    return;
  }
  std::set<std::string> present;
  for (const auto& rec : *list) {
    present.insert(rec.name);
    auto& slot = services_[rec.name];
    if (!slot) {
      slot = std::make_unique<Service>();
      slot->name = rec.name;
      slot->status = statusFromJson(rec.statusJson);
      slot->statusJson = rec.statusJson;
    }
    Service& s = *slot;
    s.exists = true;
    if (rec.specJson != s.specJson) {
      auto parsed = parseStoredSpec(rec.specJson);
      if (!parsed) {
        logger_->error("service {}: stored spec does not parse: {}", rec.name, parsed.error().message);
        continue;
      }
      s.spec = std::move(*parsed);
      s.specJson = rec.specJson;
      s.currentHash = spec::templateHash(s.spec.tmpl);
    }
    s.generation = rec.generation;
    s.currentRevision = rec.currentRevision;
    auto revisions = store_.listRevisions(rec.name);
    if (revisions) {
      s.revisionByHash.clear();
      s.templateByNumber.clear();
      for (const auto& r : *revisions) {
        s.revisionByHash[r.templateHash] = r.number;
        s.templateByNumber[r.number] = r.templateJson;
      }
    }
  }
  for (auto& [name, s] : services_) {
    if (!present.contains(name)) s->exists = false;
  }
}

void Controller::reconcileAll() {
  if (reconciling_) return;
  auto batch = store_.beginBatch();  // the pass's state changes: one transaction
  reconciling_ = true;
  refreshServices();
  ensureProxy();
  for (auto& [name, s] : services_) reconcileService(*s);
  // Instances whose service record vanished and that were never tied to a Service entry.
  std::vector<std::string> orphans;
  for (auto& [name, inst] : instances_) {
    if (!services_.contains(inst->service) && inst->phase != Instance::Phase::kTerminating) orphans.push_back(name);
  }
  for (const auto& name : orphans) {
    if (auto it = instances_.find(name); it != instances_.end()) beginTermination(*it->second, "its service was deleted");
  }
  std::string errorBefore = pushError_;
  pushSnapshot();
  if (pushError_ != errorBefore) {
    for (auto& [name, s] : services_) {
      if (s->exists) updateStatus(*s);
    }
  }
  // Forget deleted services once their last instance is gone.
  for (auto it = services_.begin(); it != services_.end();) {
    bool hasInstances = std::any_of(instances_.begin(), instances_.end(),
                                    [&](const auto& kv) { return kv.second->service == it->first; });
    if (!it->second->exists && !hasInstances) {
      for (auto& w : it->second->waiters) w.reply(fail(ErrorCode::kNotFound, "service {} was deleted", it->first));
      it = services_.erase(it);
    } else {
      ++it;
    }
  }
  if (clock_.now() - lastRotate_ > seconds(30)) {
    lastRotate_ = clock_.now();
    if (auto rotated = logs_.rotateAll(); !rotated) logger_->warn("log rotation: {}", rotated.error().message);
  }
  reconciling_ = false;
  maybeFinishShutdown();
  schedule(options_.resyncPeriod);
}

void Controller::reconcileService(Service& s) {
  std::vector<Instance*> mine;
  for (auto& [name, inst] : instances_) {
    if (inst->service == s.name) mine.push_back(inst.get());
  }
  auto now = clock_.now();
  for (Instance* inst : mine) {
    if (inst->assumedReady && now >= inst->assumedUntil) inst->assumedReady = false;
  }
  if (!s.exists || shuttingDownAll_) {
    for (Instance* inst : mine) {
      if (inst->phase != Instance::Phase::kTerminating) {
        beginTermination(*inst, shuttingDownAll_ ? "rollway down --all" : "its service was deleted");
      }
    }
    if (s.exists) updateStatus(s);
    return;
  }
  // Instances that lost their revision's template (adopted orphans) are simply stopped.
  for (Instance* inst : mine) {
    if (inst->hash.empty() && inst->phase != Instance::Phase::kTerminating) {
      beginTermination(*inst, "its revision no longer exists");
    }
  }
  // Crashed instances whose back-off is over start again, in place.
  for (Instance* inst : mine) {
    if (inst->phase == Instance::Phase::kBackOff && inst->backoff.readyToRestart()) {
      if (auto ok = spawn(*inst); ok) {
        event(s.name, "instance/" + inst->name, kNormal, "Restarted",
              fmt::format("Restarted {} (restart {}), pid {}", inst->name, inst->backoff.restartCount(), inst->pid));
      }
    }
  }
  beginRolloutIfNew(s);
  applyDecision(s, planRollout(rolloutInput(s, mine)));
  updateStatus(s);
}

RolloutInput Controller::rolloutInput(const Service& s, const std::vector<Instance*>& mine) const {
  RolloutInput in;
  in.service = s.name;
  in.spec = s.spec;
  in.currentHash = s.currentHash;
  in.currentRevision = s.currentRevision;
  in.stableKnown = s.revisionByHash.contains(s.status.stableHash);
  in.status = s.status;
  in.nowMs = nowMs();
  in.promoteRequested = s.promoteRequested;
  in.analysisPassedMs = s.analysisPassedMs;
  in.analysisSeenMs = s.analysisSeenMs;
  in.analyzedAvailable = s.analyzedAvailable;
  for (const Instance* inst : mine) {
    if (inst->phase == Instance::Phase::kTerminating) continue;
    bool updated = inst->hash == s.currentHash && inst->createdMs >= s.status.restartedAtMs;
    in.instances.push_back(InstanceView{inst->name, inst->hash, revisionNumber(&s, *inst), updated, inst->inRotation(),
                                        inst->countsAvailable(), inst->createdMs});
  }
  return in;
}

void Controller::applyDecision(Service& s, RolloutDecision d) {
  s.status = std::move(d.status);
  if (d.promoteConsumed) s.promoteRequested = false;
  s.analyzedAvailable = d.analyzedAvailable;
  s.analysisSeenMs = d.analysisSeenMs;
  for (const auto& e : d.events) event(s.name, "service/" + s.name, e.type, e.reason, e.message);
  noteBudget(s, d.heldByBudget, d.budget);
  for (const auto& stop : d.stops) {
    if (auto it = instances_.find(stop.name); it != instances_.end()) beginTermination(*it->second, stop.reason);
  }
  for (const auto& [hash, count] : d.starts) {
    for (int i = 0; i < count; ++i) startNew(s, hash);
  }
  if (d.wakeInMs) schedule(milliseconds(std::max<int64_t>(0, *d.wakeInMs)));
  if (d.analyze) runAnalysis(s, d.trafficOnNew);
}

void Controller::startNew(Service& s, const std::string& hash) {
  spec::Template tmpl = s.spec.tmpl;
  int64_t revision = s.currentRevision;
  if (hash != s.currentHash) {
    auto number = s.revisionByHash.find(hash);
    if (number == s.revisionByHash.end()) return;
    auto full = specWithTemplate(s.specJson, s.templateByNumber[number->second]);
    if (!full) {
      event(s.name, "service/" + s.name, kWarning, "FailedCreate",
            fmt::format("Cannot read the template of revision {}: {}", number->second, full.error().message));
      return;
    }
    tmpl = full->tmpl;
    revision = number->second;
  }
  auto port = ports_.allocate();
  if (!port) {
    event(s.name, "service/" + s.name, kWarning, "FailedCreate", "No free port for a new instance: " + port.error().message);
    return;
  }
  auto inst = std::make_unique<Instance>(clock_, options_.backoff);
  inst->name = supervisor::makeInstanceName(s.name, revision, random_);
  while (instances_.contains(inst->name)) inst->name = supervisor::makeInstanceName(s.name, revision, random_);
  inst->service = s.name;
  inst->hash = hash;
  inst->revision = revision;
  inst->tmpl = std::move(tmpl);
  inst->port = *port;
  inst->createdMs = nowMs();
  Instance& ref = *inst;
  instances_[inst->name] = std::move(inst);
  s.status.lastProgressMs = nowMs();
  // Recorded before it exists: should the daemon die between fork and the record with
  // the pid, the next daemon still knows the name and finds the process by it.
  record(ref);
  if (auto ok = spawn(ref); ok) {
    event(s.name, "instance/" + ref.name, kNormal, "Started",
          fmt::format("Started {} (revision {}, {}) on port {}, pid {}", ref.name, revision,
                      ref.tmpl.version.empty() ? "no version" : ref.tmpl.version, ref.port, ref.pid));
  }
}

Result<void> Controller::spawn(Instance& inst) {
  auto started = runtime_.start(launchSpec(inst));
  inst.ready = inst.available = inst.assumedReady = false;
  inst.killingForRestart = false;
  if (!started) {
    // Counted as a crash: back-off, then try again (a typo in command stays visible).
    auto delay = inst.backoff.exited(supervisor::ExitInfo::exited(127));
    inst.phase = Instance::Phase::kBackOff;
    inst.message = "FailedStart: " + started.error().message;
    event(inst.service, "instance/" + inst.name, kWarning, "FailedStart",
          fmt::format("Cannot start {}: {}; retrying in {}s", inst.name, started.error().message,
                      std::chrono::duration_cast<seconds>(delay).count()));
    record(inst);
    schedule(std::chrono::duration_cast<milliseconds>(delay));
    return fail(started.error());
  }
  inst.pid = started->pid;
  inst.startTicks = started->startTimeTicks;
  inst.startedMs = nowMs();
  inst.phase = Instance::Phase::kRunning;
  inst.message.clear();
  inst.backoff.started();
  auto sit = services_.find(inst.service);
  health_.setMinReadySeconds(inst.name, sit != services_.end() ? sit->second->spec.minReadySeconds : 0);
  if (auto ok = health_.add(inst.name, "127.0.0.1", inst.port, inst.tmpl, clock_.now(), execContext(inst)); !ok) {
    logger_->warn("instance {}: cannot probe: {}", inst.name, ok.error().message);
  }
  health_.setMinReadySeconds(inst.name, sit != services_.end() ? sit->second->spec.minReadySeconds : 0);
  record(inst);
  return {};
}

supervisor::LaunchSpec Controller::launchSpec(const Instance& inst) const {
  supervisor::LaunchSpec launch;
  launch.instance = inst.name;
  launch.service = inst.service;
  launch.revision = inst.revision;
  launch.version = inst.tmpl.version;
  launch.port = inst.port;
  launch.command = inst.tmpl.command;
  launch.env = inst.tmpl.env;
  launch.workingDir = inst.tmpl.workingDir;
  return launch;
}

probe::ExecContext Controller::execContext(const Instance& inst) const {
  return probe::ExecContext{launchSpec(inst), baseEnv_};
}

void Controller::record(const Instance& inst) {
  store::InstanceRecord r;
  r.name = inst.name;
  r.service = inst.service;
  auto sit = services_.find(inst.service);
  r.revision = revisionNumber(sit != services_.end() ? sit->second.get() : nullptr, inst);
  r.pid = inst.pid;
  r.startTimeTicks = inst.startTicks;
  r.port = inst.port;
  r.state = inst.phase == Instance::Phase::kRunning && inst.available ? "Available" : inst.phaseName();
  r.createdAtMs = inst.createdMs;
  if (auto ok = store_.upsertInstance(r); !ok) logger_->error("cannot record instance {}: {}", inst.name, ok.error().message);
}

void Controller::onProbeEvent(const std::string& name, const probe::ProbeEvent& e) {
  auto it = instances_.find(name);
  if (it == instances_.end()) return;
  Instance& inst = *it->second;
  if (inst.phase != Instance::Phase::kRunning) return;
  auto batch = store_.beginBatch();
  std::string object = "instance/" + name;
  switch (e.kind) {
    case probe::ProbeEventKind::kStarted:
      logger_->debug("{}: started ({})", name, e.reason);
      return;
    case probe::ProbeEventKind::kReady:
      inst.ready = true;
      inst.assumedReady = false;
      inst.message.clear();
      event(inst.service, object, kNormal, "Ready", fmt::format("{} is ready and in rotation ({})", name, e.reason));
      break;
    case probe::ProbeEventKind::kNotReady:
      inst.ready = inst.available = inst.assumedReady = false;
      inst.message = "NotReady: " + e.reason;
      event(inst.service, object, kWarning, "NotReady", fmt::format("{} taken out of rotation: {}", name, e.reason));
      break;
    case probe::ProbeEventKind::kAvailable:
      inst.available = true;
      if (auto sit = services_.find(inst.service); sit != services_.end() && inst.hash == sit->second->currentHash) {
        sit->second->status.lastProgressMs = nowMs();
      }
      break;
    case probe::ProbeEventKind::kRestartRequired:
      inst.assumedReady = false;
      event(inst.service, object, kWarning, "Unhealthy", fmt::format("{}: {}; restarting it", name, e.reason));
      killForRestart(inst, e.reason);
      break;
  }
  record(inst);
  pushSnapshot();
  poke();
}

void Controller::onExit(const std::string& name, const supervisor::ExitInfo& exit) {
  auto batch = store_.beginBatch();
  if (name == ProxyPort::kProcessName) {
    proxy_->onExit(exit);
    if (!proxyStopping_) {
      event("", "proxy", kWarning, "ProxyExited", "The proxy " + exit.str() + "; starting it again");
      poke();
    }
    return;
  }
  auto it = instances_.find(name);
  if (it == instances_.end()) return;
  Instance& inst = *it->second;
  if (inst.phase == Instance::Phase::kTerminating) {
    finishTermination(name, exit);
    return;
  }
  health_.remove(name);
  inst.step = Instance::Step::kNone;  // a restart's termination sequence ends here
  inst.killedAfterGrace = false;
  inst.preStopRunner.reset();
  if (inst.timer) inst.timer->cancel();
  bool wasRestart = inst.killingForRestart;
  inst.ready = inst.available = inst.assumedReady = inst.killingForRestart = false;
  inst.lastExit = exit.str();
  auto delay = inst.backoff.exited(exit);
  inst.phase = Instance::Phase::kBackOff;
  inst.message = fmt::format("{}; restart in {}s", exit.str(), std::chrono::duration_cast<seconds>(delay).count());
  event(inst.service, "instance/" + name, kWarning, wasRestart ? "Killed" : "BackOff",
        fmt::format("{} {}{}; back-off {}s before restarting it", name, exit.str(),
                    wasRestart ? " (stopped for a restart)" : "", std::chrono::duration_cast<seconds>(delay).count()));
  record(inst);
  pushSnapshot();
  schedule(std::chrono::duration_cast<milliseconds>(delay));
  poke();
}

void Controller::pushSnapshot() {
  std::vector<ServiceView> views;
  for (const auto& [name, s] : services_) {
    ServiceView v = viewFor(*s);
    bool anyDraining = std::any_of(v.endpoints.begin(), v.endpoints.end(), [](const EndpointView& e) { return e.draining; });
    if (!s->exists && !anyDraining) continue;
    views.push_back(std::move(v));
  }
  auto snapshot = buildRoutingSnapshot(views);
  bool same = lastPushed_ && lastPushed_->listeners == snapshot.listeners;
  if (!same) {
    // One push at a time: when it is done, it pushes again if the snapshot changed meanwhile.
    if (pushing_) return;
    // After a failure, one attempt a second.
    if (!pushError_.empty() && clock_.now() - lastPushAttempt_ < seconds(1)) return;
    lastPushAttempt_ = clock_.now();
    if (!proxy_->running()) {
      // A proxy being found or started gets the snapshot once it answers (ensureProxy pokes).
      if (!proxy_->starting()) setPushError("no proxy is running to take the routing snapshot");
      return;
    }
    pushing_ = true;
    proxy_->push(snapshot, [this, alive = std::weak_ptr<int>(alive_), snapshot](Result<uint64_t> pushed) {
      if (alive.expired()) return;
      auto batch = store_.beginBatch();  // like every entry point: its records in one transaction
      pushing_ = false;
      if (!pushed) {
        setPushError(pushed.error().message);
        return;
      }
      logger_->debug("routing snapshot {} sent", *pushed);
      lastPushed_ = snapshot;
      pushSnapshot();  // marks the drains it carried, or sends the newer snapshot
    });
    return;
  }
  setPushError("");
  for (auto& [iname, inst] : instances_) {
    if (inst->step != Instance::Step::kDrain || inst->drainPushed) continue;
    // Out of rotation now: its drain goes on at once rather than at its next poll.
    inst->drainPushed = true;
    asio::post(io_, [this, name = iname, alive = std::weak_ptr<int>(alive_)] {
      if (!alive.expired()) terminationStep(name);
    });
  }
}

void Controller::ensureProxy() {
  if (proxy_->running() || proxy_->starting() || proxyStopping_) return;
  proxy_->ensureRunning([this, alive = std::weak_ptr<int>(alive_)](Result<bool> started) {
    if (alive.expired()) return;
    auto batch = store_.beginBatch();
    if (!started) {
      logger_->error("proxy: {}", started.error().message);
      return;
    }
    if (*started) {
      event("", "proxy", kNormal, "ProxyStarted", "Started the proxy on " + proxy_->socketPath());
      lastPushed_.reset();
    }
    poke();  // the routing snapshot goes out now
  });
}

void Controller::setPushError(const std::string& error) {
  if (error == pushError_) return;
  bool recovered = error.empty();
  pushError_ = error;
  if (recovered) {
    event("", "proxy", kNormal, "RoutingSnapshotApplied", "The proxy took the routing snapshot");
  } else {
    event("", "proxy", kWarning, "RoutingSnapshotFailed", error);
  }
  // Seen in every service's status (the snapshot is one for all services).
  if (reconciling_) return;  // reconcileAll updates the statuses after the push
  for (auto& [name, s] : services_) {
    if (s->exists) updateStatus(*s);
  }
}

int64_t Controller::revisionNumber(const Service* s, const Instance& inst) const {
  if (s) {
    if (auto it = s->revisionByHash.find(inst.hash); it != s->revisionByHash.end()) return it->second;
  }
  return inst.revision;
}

void Controller::beginRolloutIfNew(Service& s) {
  ServiceStatus& st = s.status;
  st.strategy = spec::strategyTypeName(s.spec.strategy.type);
  if (st.observedHash == s.currentHash) return;
  // A new rollout: a new template, an undo, a rollback or a restart.
  int64_t now = nowMs();
  // The rollout this one supersedes (a restart: the same template) had all the traffic
  // (a canary at 100 %, a blue-green preview switched): its revision is the stable one
  // from now on. The old stable may be drained already, and going back to it would leave
  // nothing ready (torture seed 228).
  const std::string previous = st.observedHash.empty() ? s.currentHash : st.observedHash;
  if (st.canaryWeight == 100 && !st.aborted && !st.stableHash.empty() && previous != st.stableHash) {
    if (auto it = s.revisionByHash.find(previous); it != s.revisionByHash.end()) {
      st.stableHash = previous;
      st.stableRevision = it->second;
    }
  }
  bool first = st.observedHash.empty() && st.stableHash.empty();
  st.observedHash = s.currentHash;
  st.rolloutStrategy = st.strategy;
  st.rolloutStartedMs = now;
  st.lastProgressMs = now;
  st.stepStartedMs = now;
  st.phase = RolloutPhase::kProgressing;
  if (!s.rollingBack) st.rolledBackFrom = 0;  // only the rollout a rollback started carries it
  s.rollingBack = false;
  st.stepIndex = 0;
  st.canaryWeight = 0;
  st.canaryReplicas = 0;
  st.pauseReason.clear();
  st.aborted = false;
  st.abortReason.clear();
  st.analysis = nullptr;
  s.promoteRequested = false;
  s.run.reset();
  s.lastSample.reset();
  s.analysisPassedMs = 0;
  s.analysisSeenMs = 0;
  s.analyzedAvailable = 0;
  if (!first) {
    event(s.name, "service/" + s.name, kNormal, "RolloutStarted",
          fmt::format("Rolling out revision {} ({}){}", s.currentRevision, s.spec.tmpl.version,
                      st.skipStepsHash == s.currentHash ? " straight to 100 % (undo: no steps, no analysis)" : ""));
  }
}

void Controller::updateStatus(Service& s) {
  StatusInput in;
  in.service = s.name;
  in.spec = s.spec;
  in.generation = s.generation;
  in.currentHash = s.currentHash;
  in.currentRevision = s.currentRevision;
  in.stepsActive = stepsActive(s);
  in.status = s.status;
  // A template applied again is re-numbered: the stable and failed numbers follow it.
  if (auto it = s.revisionByHash.find(s.status.stableHash); it != s.revisionByHash.end()) {
    in.status.stableRevision = it->second;
  }
  if (auto it = s.revisionByHash.find(s.status.failedHash); it != s.revisionByHash.end()) {
    in.status.failedRevision = it->second;
  }
  in.routingError = pushError_;
  if (in.routingError.empty() && proxy_->starting()) {
    // Not an error (no event), but the proxy routes nothing of this yet.
    in.routingError = "the proxy is starting: the routing snapshot goes out when it answers";
  }
  in.nowMs = nowMs();
  for (const auto& [name, inst] : instances_) {
    if (inst->service != s.name) continue;
    in.instances.push_back(StatusInstance{inst->hash, revisionNumber(&s, *inst),
                                          inst->phase == Instance::Phase::kTerminating, inst->inRotation(),
                                          inst->countsAvailable(), inst->createdMs});
  }
  StatusOutcome out = computeStatus(in);
  s.status = std::move(out.status);
  ServiceStatus& st = s.status;
  for (const auto& e : out.events) event(s.name, "service/" + s.name, e.type, e.reason, e.message);
  if (out.completed) {
    if (auto pruned = store_.pruneRevisions(s.name, s.spec.revisionHistoryLimit, out.protectRevisions); pruned && *pruned > 0) {
      logger_->info("service {}: pruned {} old revision(s)", s.name, *pruned);
    }
  }
  if (out.deadlineExceeded) (void)store_.setRevisionPhase(s.name, s.currentRevision, "Failed");
  if (out.rollback) rollback(s);
  std::string text = toJson(st).dump();
  if (text != s.statusJson) {
    s.statusJson = text;
    ++s.seq;
    if (auto ok = store_.setServiceStatus(s.name, text); !ok) {
      logger_->error("cannot store the status of {}: {}", s.name, ok.error().message);
    }
    auto waiters = std::move(s.waiters);
    s.waiters.clear();
    for (auto& w : waiters) {
      if (w.timer) w.timer->cancel();
      w.reply(status(s.name));
    }
  }
}

void Controller::rollback(Service& s) {
  ServiceStatus& st = s.status;
  if (st.stableHash.empty() || st.stableHash == s.currentHash) {
    event(s.name, "service/" + s.name, kWarning, "RollbackSkipped",
          "autoRollback is on, but there is no earlier revision that completed a rollout");
    return;
  }
  auto number = s.revisionByHash.find(st.stableHash);
  if (number == s.revisionByHash.end()) {
    event(s.name, "service/" + s.name, kWarning, "RollbackSkipped", "the last stable revision was pruned");
    return;
  }
  auto target = specWithTemplate(s.specJson, s.templateByNumber[number->second]);
  if (!target) {
    event(s.name, "service/" + s.name, kWarning, "RollbackFailed", target.error().message);
    return;
  }
  auto outcome = store_.apply({toServiceInput(*target)});
  if (!outcome) {
    event(s.name, "service/" + s.name, kWarning, "RollbackFailed", outcome.error().message);
    return;
  }
  int64_t failed = s.currentRevision;
  st.rolledBackFrom = failed;
  s.rollingBack = true;
  st.skipStepsHash = spec::templateHash(target->tmpl);
  event(s.name, "service/" + s.name, kWarning, "RolledBack",
        fmt::format("Rolled back from revision {} to the last stable template ({}), now revision {}", failed,
                    target->tmpl.version, outcome->front().revision));
  refreshServices();
  // The next pass starts the rollout back; status.rolledBackFrom tells watchers why.
  poke();
}

Result<json> Controller::status(const std::string& service) const {
  auto it = services_.find(service);
  if (it == services_.end() || !it->second->exists) return fail(ErrorCode::kNotFound, "no service named {}", service);
  const Service& s = *it->second;
  json st = toJson(s.status);
  st.erase("stableHash");
  st.erase("failedHash");
  st.erase("observedHash");
  st.erase("previousHash");
  st.erase("skipStepsHash");
  st.erase("rolloutStrategy");
  return json{{"name", service}, {"generation", s.generation}, {"seq", s.seq}, {"status", st}};
}

void Controller::watchStatus(const std::string& service, uint64_t after, milliseconds wait,
                             std::function<void(Result<json>)> reply) {
  auto it = services_.find(service);
  if (it == services_.end() || !it->second->exists || it->second->seq > after || wait <= milliseconds(0)) {
    reply(status(service));
    return;
  }
  Service::Waiter w;
  w.after = after;
  w.reply = std::move(reply);
  w.timer = std::make_shared<asio::steady_timer>(io_);
  w.timer->expires_after(std::min(wait, milliseconds(60'000)));
  std::weak_ptr<asio::steady_timer> weak = w.timer;
  w.timer->async_wait([this, service, weak, alive = std::weak_ptr<int>(alive_)](const asio::error_code& ec) {
    if (ec || alive.expired()) return;
    auto sit = services_.find(service);
    if (sit == services_.end()) return;
    auto& waiters = sit->second->waiters;
    auto timer = weak.lock();
    auto found = std::find_if(waiters.begin(), waiters.end(), [&](const Service::Waiter& x) { return x.timer == timer; });
    if (found == waiters.end()) return;
    auto fn = std::move(found->reply);
    waiters.erase(found);
    fn(status(service));
  });
  it->second->waiters.push_back(std::move(w));
}

json Controller::instanceJson(const Instance& inst) const {
  auto sit = services_.find(inst.service);
  const Service* s = sit != services_.end() ? sit->second.get() : nullptr;
  return {{"name", inst.name},
          {"service", inst.service},
          {"revision", revisionNumber(s, inst)},
          {"version", inst.tmpl.version},
          {"pid", inst.phase == Instance::Phase::kBackOff ? 0 : inst.pid},
          {"port", inst.port},
          {"address", inst.address()},
          {"phase", inst.phaseName()},
          {"ready", inst.inRotation()},
          {"available", inst.countsAvailable()},
          {"restarts", inst.backoff.restartCount()},
          {"lastExit", inst.lastExit},
          {"message", inst.phase == Instance::Phase::kBackOff ? inst.backoff.describe() : inst.message},
          {"createdAtMs", inst.createdMs},
          {"startedAtMs", inst.startedMs}};
}

json Controller::instances(const std::string& service) const {
  json items = json::array();
  for (const auto& [name, inst] : instances_) {
    if (service.empty() || inst->service == service) items.push_back(instanceJson(*inst));
  }
  return {{"items", items}};
}

Result<int64_t> Controller::restart(const std::string& service) {
  auto it = services_.find(service);
  if (it == services_.end() || !it->second->exists) return fail(ErrorCode::kNotFound, "no service named {}", service);
  Service& s = *it->second;
  int64_t at = nowMs();
  s.status.restartedAtMs = at;
  s.status.observedHash.clear();  // counts as a new rollout
  event(service, "service/" + service, kNormal, "RestartRequested", "Replacing every instance (rollout restart)");
  updateStatus(s);
  poke();
  return at;
}

void Controller::shutdown(bool all, std::function<void()> done) {
  if (!all) {
    done();
    return;
  }
  event("", "daemon", kNormal, "ShuttingDown", "rollway down --all: draining and stopping every instance, then the proxy");
  shuttingDownAll_ = true;
  shutdownDone_ = std::move(done);
  poke();
}

void Controller::maybeFinishShutdown() {
  if (!shuttingDownAll_ || !shutdownDone_ || proxyStopping_ || !instances_.empty()) return;
  proxyStopping_ = true;
  proxy_->stop(seconds(35), [this, alive = std::weak_ptr<int>(alive_)] {
    if (alive.expired()) return;
    event("", "proxy", kNormal, "ProxyStopped", "The proxy has stopped");
    auto done = std::move(shutdownDone_);
    shutdownDone_ = nullptr;
    if (done) done();
  });
}

void Controller::event(const std::string& service, const std::string& object, EventType type,
                       const std::string& reason, const std::string& message) {
  if (type == kWarning) {
    logger_->warn("{} {}: {}", object, reason, message);
  } else {
    logger_->info("{} {}: {}", object, reason, message);
  }
  store::Event e;
  e.service = service;
  e.object = object;
  e.type = api::toString(type);
  e.reason = reason;
  e.message = message;
  if (auto ok = store_.appendEvent(std::move(e)); !ok) logger_->error("cannot record event: {}", ok.error().message);
}

}  // namespace rollway::controller
