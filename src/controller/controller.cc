#include "rollway/controller/controller.h"

#include "controller_state.h"

#include <algorithm>
#include <filesystem>
#include <set>

#include <asio/post.hpp>
#include <fmt/format.h>

#include "rollway/controller/spec_change.h"

namespace rollway::controller {

namespace {

using nlohmann::json;
using std::chrono::milliseconds;
using std::chrono::seconds;


}  // namespace

Controller::Controller(ControllerDeps deps, ControllerOptions options, Logger logger)
    : io_(deps.io),
      store_(deps.store),
      clock_(deps.clock),
      timers_(deps.timers),
      options_(std::move(options)),
      logger_(std::move(logger)),
      events_(store_, logger_),
      logs_(options_.dataDir + "/logs"),
      runtime_(deps.runtime),
      health_(deps.health),
      proxy_(&deps.proxy),
      pool_(deps.pool),
      instances_(InstanceSetDeps{io_, clock_, deps.random, runtime_, health_, store_, events_, logger_},
                 InstanceSetOptions{options_.portFirst, options_.portLast, options_.backoff,
                                    supervisor::baseEnvironmentFromProcess()},
                 InstanceSetHooks{[this](const Instance& inst) { return revisionNumber(inst); },
                                  [this](const std::string& service) {
                                    auto it = services_.find(service);
                                    return it != services_.end() ? it->second->spec.minReadySeconds : 0;
                                  },
                                  [this](milliseconds delay) { schedule(delay); }}),
      terminator_(TerminatorDeps{io_, clock_, timers_, runtime_, health_, *proxy_, instances_, events_},
                  options_.drainPollPeriod,
                  TerminatorHooks{[this] { pushSnapshot(); }, [this] { return pushError_; },
                                  [this](const std::string& service) {
                                    if (Service* s = find(service)) s->status.lastProgressMs = nowMs();
                                    poke();
                                  }}),
      gate_(AnalysisGateDeps{io_, clock_, *proxy_, health_, deps.prometheus, deps.webhook, pool_, logger_},
            [this](milliseconds delay) { schedule(delay); }, [this](const AnalysisVerdict& v) { onVerdict(v); }),
      timer_(timers_.make()) {
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
  for (const auto& r : *records) {
    // Its revision's template; none when its service or revision is gone (it is stopped).
    std::optional<spec::Template> tmpl;
    if (Service* s = find(r.service)) {
      if (auto t = s->templateByNumber.find(r.revision); t != s->templateByNumber.end()) {
        if (auto full = specWithTemplate(s->specJson, t->second); full) tmpl = full->tmpl;
      }
    }
    instances_.adopt(r, std::move(tmpl));
  }
  ensureProxy();
  schedule(milliseconds(0));
  return {};
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
  timer_->expireAfter(delay, [this] {
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
  instances_.expireAssumptions();
  for (auto& [name, s] : services_) reconcileService(*s);
  // Instances whose service record vanished and that were never tied to a Service entry.
  std::vector<std::string> orphans;
  for (const auto& [name, inst] : instances_.all()) {
    if (!services_.contains(inst->service) && inst->phase != InstancePhase::kTerminating) orphans.push_back(name);
  }
  for (const auto& name : orphans) {
    if (Instance* inst = instances_.find(name)) terminator_.stop(*inst, "its service was deleted");
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
    bool hasInstances = !instances_.ofService(it->first).empty();
    if (!it->second->exists && !hasInstances) {
      for (auto& w : it->second->waiters) w.reply(fail(ErrorCode::kNotFound, "service {} was deleted", it->first));
      gate_.forget(it->first);
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
  std::vector<Instance*> mine = instances_.ofService(s.name);
  if (!s.exists || shuttingDownAll_) {
    for (Instance* inst : mine) terminator_.stop(*inst, shuttingDownAll_ ? "rollway down --all" : "its service was deleted");
    if (s.exists) updateStatus(s);
    return;
  }
  // Instances that lost their revision's template (adopted orphans) are simply stopped.
  for (Instance* inst : mine) {
    if (inst->hash.empty()) terminator_.stop(*inst, "its revision no longer exists");
  }
  // Evicted instances: replacements first; an evicted one serving nothing goes at once.
  reconcileEvictions(s);
  // Liveness restarts the budget held back, once it can spare them.
  releaseHeldRestarts(s);
  // Crashed instances whose back-off is over start again, in place.
  instances_.restartDue(s.name);
  beginRolloutIfNew(s);
  applyDecision(s, planRollout(rolloutInput(s, instances_.ofService(s.name))));
  // The replacements of evicted instances the plan stopped are not needed any more.
  reconcileEvictions(s);
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
  // A pending eviction's replacement is not seen: its evicted instance is the slot.
  const std::set<std::string> replacements = pendingReplacements(mine);
  std::map<std::string, int> perNode;  // cluster mode: where they run
  for (const Instance* inst : mine) {
    if (inst->phase != InstancePhase::kTerminating && !inst->node.empty()) ++perNode[inst->node];
  }
  for (const Instance* inst : mine) {
    if (inst->phase == InstancePhase::kTerminating || replacements.contains(inst->name)) continue;
    bool updated = inst->hash == s.currentHash && inst->createdMs >= s.status.restartedAtMs;
    in.instances.push_back(InstanceView{inst->name, inst->hash, revisionNumber(*inst), updated, inst->inRotation(),
                                        inst->countsAvailable(), inst->createdMs,
                                        inst->node.empty() ? 0 : perNode[inst->node]});
  }
  return in;
}

void Controller::applyDecision(Service& s, RolloutDecision d) {
  s.status = std::move(d.status);
  if (d.promoteConsumed) s.promoteRequested = false;
  s.analyzedAvailable = d.analyzedAvailable;
  s.analysisSeenMs = d.analysisSeenMs;
  for (const auto& e : d.events) event(s, e.type, e.reason, e.message);
  noteBudget(s, d.heldByBudget, d.budget);
  for (const auto& stop : d.stops) {
    if (Instance* inst = instances_.find(stop.name)) terminator_.stop(*inst, stop.reason);
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
      event(s, kWarning, "FailedCreate",
            fmt::format("Cannot read the template of revision {}: {}", number->second, full.error().message));
      return;
    }
    tmpl = full->tmpl;
    revision = number->second;
  }
  if (instances_.create(s.name, hash, revision, std::move(tmpl)) != nullptr) s.status.lastProgressMs = nowMs();
}

void Controller::onProbeEvent(const std::string& name, const probe::ProbeEvent& e) {
  if (e.kind == probe::ProbeEventKind::kStarted) {
    logger_->debug("{}: started ({})", name, e.reason);
    return;
  }
  auto batch = store_.beginBatch();
  ProbeEffect effect = instances_.onProbe(name, e);
  if (effect == ProbeEffect::kIgnored) return;
  Instance* inst = instances_.find(name);
  if (effect == ProbeEffect::kBecameAvailable) {
    if (Service* s = find(inst->service); s != nullptr && inst->hash == s->currentHash) s->status.lastProgressMs = nowMs();
  }
  if (effect == ProbeEffect::kRestartRequired) restartOrHold(*inst, e.reason);
  pushSnapshot();
  poke();
}

void Controller::onExit(const std::string& name, const supervisor::ExitInfo& exit) {
  auto batch = store_.beginBatch();
  if (name == ProxyPort::kProcessName) {
    proxy_->onExit(exit);
    if (!proxyStopping_) {
      events_.record("", "proxy", kWarning, "ProxyExited", "The proxy " + exit.str() + "; starting it again");
      poke();
    }
    return;
  }
  Instance* inst = instances_.find(name);
  if (inst == nullptr) return;
  if (inst->phase == InstancePhase::kTerminating) {
    terminator_.exited(name, exit);
    return;
  }
  instances_.onCrash(*inst, exit);
  pushSnapshot();
  poke();
}

void Controller::shutdown(bool all, std::function<void()> done) {
  if (!all) {
    done();
    return;
  }
  events_.record("", "daemon", kNormal, "ShuttingDown",
                 "rollway down --all: draining and stopping every instance, then the proxy");
  shuttingDownAll_ = true;
  shutdownDone_ = std::move(done);
  poke();
}

void Controller::maybeFinishShutdown() {
  if (!shuttingDownAll_ || !shutdownDone_ || proxyStopping_ || !instances_.empty()) return;
  proxyStopping_ = true;
  proxy_->stop(seconds(35), [this, alive = std::weak_ptr<int>(alive_)] {
    if (alive.expired()) return;
    events_.record("", "proxy", kNormal, "ProxyStopped", "The proxy has stopped");
    auto done = std::move(shutdownDone_);
    shutdownDone_ = nullptr;
    if (done) done();
  });
}

}  // namespace rollway::controller
