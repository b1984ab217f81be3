// The controller's strategies: RollingUpdate (the planner), Canary steps and BlueGreen
// preview/promotion, the analysis that gates and aborts them, and the manual verbs.
#include <algorithm>
#include <cmath>
#include <thread>

#include <fmt/format.h>

#include "controller_state.h"
#include "rollway/analysis/analyzer.h"
#include "rollway/analysis/measurement.h"
#include "rollway/common/duration.h"
#include "rollway/controller/disruption_budget.h"
#include "rollway/controller/rollout_plan.h"
#include "rollway/controller/spec_change.h"
#include "rollway/analysis/notify.h"

namespace rollway::controller {

namespace {

constexpr EventType kNormalEvent = EventType::kNormal;
constexpr EventType kWarningEvent = EventType::kWarning;

int64_t unixMs(const Clock& clock) { return toUnixMillis(clock.wallNow()); }

std::string stepText(const spec::CanaryStep& step) {
  switch (step.kind) {
    case spec::StepKind::kSetWeight: return fmt::format("setWeight {}", step.setWeight);
    case spec::StepKind::kPause:
      return step.pauseDuration ? fmt::format("pause {}", formatDuration(*step.pauseDuration)) : "pause (until promoted)";
    case spec::StepKind::kAnalysis: return "analysis";
  }
  return "?";
}

}  // namespace

bool Controller::stepsActive(const Service& s) const {
  const ServiceStatus& st = s.status;
  return s.spec.strategy.type != spec::StrategyType::kRollingUpdate && !st.stableHash.empty() &&
         st.stableHash != s.currentHash && s.revisionByHash.contains(st.stableHash);
}

void Controller::planRolling(Service& s, const std::vector<Instance*>& mine, const spec::RollingUpdate& rollingUpdate) {
  std::vector<PlanInstance> view;
  for (Instance* inst : mine) {
    if (inst->phase == Instance::Phase::kTerminating) continue;
    bool updated = inst->hash == s.currentHash && inst->createdMs >= s.status.restartedAtMs;
    view.push_back(PlanInstance{inst->name, updated, inst->ready || inst->assumedReady, inst->countsAvailable(),
                                revisionNumber(&s, *inst), inst->createdMs});
  }
  int budget = requiredAvailable(s.spec.replicas, s.spec.disruptionBudget);
  auto plan = planRollingUpdate(s.spec.replicas, rollingUpdate, view, budget);
  noteBudget(s, plan.heldByBudget, budget);
  for (const auto& name : plan.stop) {
    auto it = instances_.find(name);
    if (it == instances_.end()) continue;
    bool updated = it->second->hash == s.currentHash;
    beginTermination(*it->second, updated ? "scaling down" : "replaced by the new revision");
    if (!updated) s.status.lastProgressMs = unixMs(clock_);
  }
  for (int i = 0; i < plan.start; ++i) startNew(s, s.currentHash);
}

void Controller::applyCounts(Service& s, const std::vector<Instance*>& mine, const std::map<std::string, int>& wanted) {
  std::map<std::string, std::vector<Instance*>> byHash;
  int available = 0;
  for (Instance* inst : mine) {
    if (inst->phase == Instance::Phase::kTerminating) continue;
    byHash[inst->hash].push_back(inst);
    available += inst->countsAvailable() ? 1 : 0;
  }
  const int budget = requiredAvailable(s.spec.replicas, s.spec.disruptionBudget);
  int held = 0;
  for (auto& [hash, list] : byHash) {
    auto w = wanted.find(hash);
    size_t keep = w == wanted.end() ? 0 : static_cast<size_t>(std::max(0, w->second));
    if (list.size() <= keep) continue;
    std::sort(list.begin(), list.end(), [](const Instance* a, const Instance* b) {
      bool ar = a->inRotation(), br = b->inRotation();
      if (ar != br) return !ar;
      return a->createdMs > b->createdMs;
    });
    // The disruption budget: an available instance goes only while enough others stay.
    std::vector<bool> candidates;
    for (size_t i = 0; i < list.size() - keep; ++i) candidates.push_back(list[i]->countsAvailable());
    auto allowed = budgetedStops(candidates, available, budget);
    available = allowed.availableAfter;
    held += allowed.held;
    for (size_t i : allowed.stop) {
      beginTermination(*list[i], hash == s.currentHash ? "scaling down" : "not wanted by the rollout any more");
    }
  }
  noteBudget(s, held, budget);
  for (const auto& [hash, count] : wanted) {
    auto have = byHash.contains(hash) ? static_cast<int>(byHash[hash].size()) : 0;
    for (int i = have; i < count; ++i) startNew(s, hash);
  }
}

void Controller::noteBudget(Service& s, int held, int budget) {
  std::string note;
  if (held > 0) {
    note = fmt::format("disruption budget holds back stopping {} available instance(s): {} must stay available",
                       held, budget);
  }
  if (note == s.budgetNote) return;
  s.budgetNote = note;
  if (!note.empty()) event(s.name, "service/" + s.name, kNormalEvent, "DisruptionBudget", note);
}

int Controller::availableOn(const std::vector<Instance*>& mine, const std::string& hash) {
  return static_cast<int>(std::count_if(mine.begin(), mine.end(), [&](const Instance* i) {
    return i->hash == hash && i->countsAvailable();
  }));
}

bool Controller::keepAborted(Service& s, const std::vector<Instance*>& mine) {
  ServiceStatus& st = s.status;
  if (!st.aborted) return false;
  // Aborted: the stable revision at full size, nothing of the new one, no traffic to it.
  st.canaryWeight = 0;
  st.canaryReplicas = 0;
  applyCounts(s, mine, {{st.stableHash, s.spec.replicas}});
  return true;
}

void Controller::reconcileCanary(Service& s, const std::vector<Instance*>& mine) {
  ServiceStatus& st = s.status;
  const auto& steps = s.spec.strategy.canary.steps;
  const int replicas = s.spec.replicas;
  st.steps = static_cast<int>(steps.size());
  std::map<std::string, int> wanted{{st.stableHash, replicas}};
  if (keepAborted(s, mine)) return;
  int canaryAvailable = availableOn(mine, s.currentHash);
  auto now = unixMs(clock_);
  auto advance = [&](const std::string& what) {
    event(s.name, "service/" + s.name, kNormalEvent, "CanaryStep",
          fmt::format("revision {}: step {}/{} ({}) done", s.currentRevision, st.stepIndex + 1, steps.size(), what));
    ++st.stepIndex;
    st.stepStartedMs = now;
    st.pauseReason.clear();
    s.promoteRequested = false;
    st.lastProgressMs = now;
  };
  if (st.skipStepsHash == s.currentHash) st.stepIndex = static_cast<int>(steps.size());
  bool moved = true;
  while (moved && st.stepIndex < static_cast<int>(steps.size())) {
    moved = false;
    const auto& step = steps[static_cast<size_t>(st.stepIndex)];
    switch (step.kind) {
      case spec::StepKind::kSetWeight: {
        int target = std::max(1, static_cast<int>(std::ceil(replicas * step.setWeight / 100.0)));
        st.canaryReplicas = target;
        if (canaryAvailable >= target) {
          st.canaryWeight = step.setWeight;
          advance(stepText(step));
          moved = true;
        }
        break;
      }
      case spec::StepKind::kPause:
        if (step.pauseDuration) {
          int64_t left = st.stepStartedMs + step.pauseDuration->count() - now;
          if (left <= 0 || s.promoteRequested) {
            advance(stepText(step));
            moved = true;
          } else {
            schedule(std::chrono::milliseconds(left));
          }
        } else if (s.promoteRequested) {
          advance("promoted by hand");
          moved = true;
        } else {
          st.pauseReason = fmt::format("step {}/{} is a pause: waiting for `rollway rollout promote {}`",
                                       st.stepIndex + 1, steps.size(), s.name);
        }
        break;
      case spec::StepKind::kAnalysis:
        if (!s.spec.analysis || s.promoteRequested || s.analysisPassedMs > st.stepStartedMs) {
          advance(s.promoteRequested ? "promoted by hand" : "analysis passed");
          moved = true;
        }
        break;
    }
  }
  if (st.stepIndex < static_cast<int>(steps.size()) &&
      steps[static_cast<size_t>(st.stepIndex)].kind != spec::StepKind::kSetWeight) {
    // Waiting by design (a pause, or analysis waiting for enough traffic) is not a lack
    // of progress: progressDeadlineSeconds must not fail it.
    st.lastProgressMs = now;
  }
  if (st.stepIndex >= static_cast<int>(steps.size())) {
    // After the last step: the canary takes every replica, then all the traffic; then
    // the old stable drains.
    st.canaryReplicas = replicas;
    if (canaryAvailable >= replicas) st.canaryWeight = 100;
  }
  wanted[s.currentHash] = st.canaryReplicas;
  if (st.canaryWeight == 100) wanted[st.stableHash] = 0;
  applyCounts(s, mine, wanted);
  if (st.stepIndex < static_cast<int>(steps.size()) && s.spec.analysis) runAnalysis(s, st.canaryWeight > 0);
}

void Controller::reconcileBlueGreen(Service& s, const std::vector<Instance*>& mine) {
  ServiceStatus& st = s.status;
  const auto& bg = s.spec.strategy.blueGreen;
  const int replicas = s.spec.replicas;
  st.steps = 0;
  std::map<std::string, int> wanted{{st.stableHash, replicas}};
  if (keepAborted(s, mine)) return;
  st.canaryReplicas = replicas;
  wanted[s.currentHash] = replicas;
  int available = availableOn(mine, s.currentHash);
  auto now = unixMs(clock_);
  if (available >= replicas && st.canaryWeight < 100) {
    if (st.stepIndex == 0) {
      // The preview is fully available: the auto-promotion clock starts now.
      st.stepIndex = 1;
      st.stepStartedMs = now;
    }
    st.lastProgressMs = now;  // fully available, waiting for promotion: not stuck
    bool autoDue = bg.autoPromotionSeconds && now - st.stepStartedMs >= int64_t{*bg.autoPromotionSeconds} * 1000;
    if (st.skipStepsHash == s.currentHash || s.promoteRequested || autoDue) {
      st.canaryWeight = 100;
      st.promotedAtMs = now;
      st.previousHash = st.stableHash;
      st.pauseReason.clear();
      s.promoteRequested = false;
      st.lastProgressMs = now;
      event(s.name, "service/" + s.name, kNormalEvent, "Promoted",
            fmt::format("revision {} ({}) takes all traffic; the old revision stays up for {}s", s.currentRevision,
                        s.spec.tmpl.version, bg.scaleDownDelaySeconds));
    } else if (!bg.autoPromotionSeconds) {
      st.pauseReason = fmt::format("preview of revision {} is ready: waiting for `rollway rollout promote {}`",
                                   s.currentRevision, s.name);
    } else {
      schedule(std::chrono::milliseconds(st.stepStartedMs + int64_t{*bg.autoPromotionSeconds} * 1000 - now));
    }
  }
  applyCounts(s, mine, wanted);
}

void Controller::runAnalysis(Service& s, bool trafficOnNew) {
  if (!s.spec.analysis || !proxy_->running()) return;
  ServiceStatus& st = s.status;
  auto now = clock_.now();
  auto interval = s.spec.analysis->interval;
  if (s.lastSample && now - s.lastMeasure < interval) {
    schedule(std::chrono::duration_cast<std::chrono::milliseconds>(interval - (now - s.lastMeasure)));
    return;
  }
  auto metrics = proxy_->metrics();
  if (!metrics) {
    logger_->warn("analysis of {}: cannot read the proxy's metrics: {}", s.name, metrics.error().message);
    return;
  }
  auto sample = analysis::MetricsSample::fromProxyJson(*metrics);
  if (!sample) {
    logger_->warn("analysis of {}: {}", s.name, sample.error().message);
    return;
  }
  // Probe results per revision since the window began (probe-success-rate).
  std::map<std::string, std::pair<uint64_t, uint64_t>> probeNow;
  std::map<std::string, std::pair<uint64_t, uint64_t>> probeDelta;  // by template hash
  for (const auto& [name, inst] : instances_) {
    if (inst->service != s.name) continue;
    auto ps = prober_->status(name);
    if (!ps) continue;
    probeNow[name] = {ps->successes, ps->failures};
    auto before = s.probeCounts.find(name);
    uint64_t okBefore = before != s.probeCounts.end() ? before->second.first : 0;
    uint64_t badBefore = before != s.probeCounts.end() ? before->second.second : 0;
    auto& d = probeDelta[inst->hash];
    d.first += ps->successes - std::min(ps->successes, okBefore);
    d.second += ps->failures - std::min(ps->failures, badBefore);
  }
  auto probeRate = [&](const std::string& hash) -> std::optional<double> {
    auto it = probeDelta.find(hash);
    if (it == probeDelta.end() || it->second.first + it->second.second == 0) return std::nullopt;
    return static_cast<double>(it->second.first) / static_cast<double>(it->second.first + it->second.second);
  };
  s.probeCounts = std::move(probeNow);
  if (!s.lastSample || !trafficOnNew) {
    // The window starts now (nothing to measure before the canary takes traffic).
    s.lastSample = std::move(*sample);
    s.lastMeasure = now;
    schedule(std::chrono::duration_cast<std::chrono::milliseconds>(interval));
    return;
  }
  analysis::WindowInput in;
  in.service = s.name;
  in.canaryRevision = s.currentRevision;
  auto stable = s.revisionByHash.find(st.stableHash);
  in.stableRevision = stable != s.revisionByHash.end() ? stable->second : 0;
  in.canary = analysis::windowStats(*s.lastSample, *sample, s.name, in.canaryRevision);
  if (in.stableRevision != 0) in.stable = analysis::windowStats(*s.lastSample, *sample, s.name, in.stableRevision);
  in.canaryProbeSuccessRate = probeRate(s.currentHash);
  in.stableProbeSuccessRate = probeRate(st.stableHash);
  s.lastSample = std::move(*sample);
  s.lastMeasure = now;
  schedule(std::chrono::duration_cast<std::chrono::milliseconds>(interval));

  analysis::Analyzer analyzer(*s.spec.analysis, *prometheus_, *webhook_);
  auto measurement = analyzer.measure(in);
  st.analysis = analysis::toJson(measurement);
  if (!s.run) s.run = std::make_unique<analysis::AnalysisRun>(*s.spec.analysis);
  auto decision = s.run->add(measurement);
  switch (decision) {
    case analysis::Decision::kPassed:
      s.analysisPassedMs = unixMs(clock_);
      break;
    case analysis::Decision::kAbort:
      abortRollout(s, fmt::format("analysis failed {} time(s) in a row: {}", s.run->consecutiveFailures(),
                                  measurement.summary));
      break;
    case analysis::Decision::kPauseForHuman:
      st.pauseReason = fmt::format("analysis inconclusive {} time(s) in a row ({}): waiting for `rollway rollout "
                                   "promote {}` or `rollway rollout abort {}`",
                                   s.run->consecutiveInconclusive(), measurement.summary, s.name, s.name);
      event(s.name, "service/" + s.name, kWarningEvent, "AnalysisInconclusive", st.pauseReason);
      break;
    case analysis::Decision::kContinue:
      if (measurement.verdict == analysis::Verdict::kFailed) {
        event(s.name, "service/" + s.name, kWarningEvent, "AnalysisFailed", measurement.summary);
      }
      break;
  }
}

void Controller::abortRollout(Service& s, const std::string& reason) {
  ServiceStatus& st = s.status;
  if (st.aborted) return;
  if (s.spec.strategy.type == spec::StrategyType::kRollingUpdate) {
    // A rolling update has no weight to drop: it goes back to the stable revision
    // (straight to 100 %, as an undo).
    st.failedRevision = s.currentRevision;
    st.failedHash = s.currentHash;
    (void)store_.setRevisionPhase(s.name, s.currentRevision, "Failed");
    event(s.name, "service/" + s.name, kWarningEvent, "RolloutAborted",
          fmt::format("revision {} ({}) aborted: {}; rolling back to revision {}", s.currentRevision,
                      s.spec.tmpl.version, reason, st.stableRevision));
    notifyWebhooks(s, reason);
    rollback(s);
    return;
  }
  st.aborted = true;
  st.abortReason = reason;
  st.canaryWeight = 0;
  st.canaryReplicas = 0;
  st.failedRevision = s.currentRevision;
  st.failedHash = s.currentHash;
  st.pauseReason.clear();
  (void)store_.setRevisionPhase(s.name, s.currentRevision, "Failed");
  event(s.name, "service/" + s.name, kWarningEvent, "RolloutAborted",
        fmt::format("revision {} ({}) aborted: {}; all traffic back on revision {}", s.currentRevision,
                    s.spec.tmpl.version, reason, st.stableRevision));
  notifyWebhooks(s, reason);
  // Weight 0 now, in one swap; the canary drains on the next pass.
  pushSnapshot();
  poke();
}

void Controller::notifyWebhooks(const Service& s, const std::string& reason) {
  if (s.spec.webhooks.empty()) return;
  nlohmann::json body = {{"service", s.name},
                         {"revision", s.currentRevision},
                         {"version", s.spec.tmpl.version},
                         {"stableRevision", s.status.stableRevision},
                         {"reason", reason},
                         {"analysis", s.status.analysis}};
  for (const auto& hook : s.spec.webhooks) {
    // Off the control thread: a slow receiver must not hold up the loop.
    std::thread([url = hook.url, body, logger = logger_, http = analysis::HttpOptions{options_.caFile}] {
      if (auto sent = analysis::postNotification(url, body, std::chrono::seconds(5), http); !sent) {
        logger->warn("webhook: {}", sent.error().message);
      }
    }).detach();
  }
}

ServiceView Controller::viewFor(const Service& s) const {
  ServiceView v;
  v.name = s.name;
  v.listen = s.spec.listen;
  v.hosts = s.spec.hosts;
  v.connectTimeoutMs = static_cast<int>(s.spec.timeouts.connect.count());
  v.responseTimeoutMs = static_cast<int>(s.spec.timeouts.response.count());
  v.bodyTimeoutMs = static_cast<int>(s.spec.timeouts.body.count());
  v.idleTimeoutMs = static_cast<int>(s.spec.timeouts.idle.count());
  v.holdTimeoutMs = static_cast<int>(s.spec.timeouts.hold.count());
  const ServiceStatus& st = s.status;
  bool steps = s.spec.strategy.type != spec::StrategyType::kRollingUpdate && !st.stableHash.empty() &&
               s.revisionByHash.contains(st.stableHash);
  if (steps) {
    v.weighted = true;
    v.stableRevision = s.revisionByHash.at(st.stableHash);
    if (st.stableHash != s.currentHash) {
      v.canaryRevision = s.currentRevision;
      v.canaryWeight = st.aborted ? 0 : st.canaryWeight;
    }
    if (s.spec.strategy.type == spec::StrategyType::kCanary) {
      v.stickyHeader = s.spec.strategy.canary.stickiness.header;
      v.stickyCookie = s.spec.strategy.canary.stickiness.cookie;
      for (const auto& r : s.spec.strategy.canary.routes) {
        if (!r.headerName.empty()) v.routes.push_back(proxy::RouteMatch{r.headerName, "", r.headerValue});
        if (!r.cookieName.empty()) v.routes.push_back(proxy::RouteMatch{"", r.cookieName, r.cookieValue});
      }
    } else {
      const auto& preview = s.spec.strategy.blueGreen.previewRoute;
      if (!preview.headerName.empty()) v.routes.push_back(proxy::RouteMatch{preview.headerName, "", preview.headerValue});
      if (!preview.cookieName.empty()) v.routes.push_back(proxy::RouteMatch{"", preview.cookieName, preview.cookieValue});
      if (v.canaryRevision != 0 && !st.aborted) v.previewListen = s.spec.strategy.blueGreen.previewListen;
    }
  }
  for (const auto& [iname, inst] : instances_) {
    if (inst->service != s.name) continue;
    // Terminating, or stopping for a restart (failed liveness): draining either way.
    bool draining = inst->step != Instance::Step::kNone;
    if (!inst->inRotation() && !draining) continue;
    v.endpoints.push_back(EndpointView{iname, inst->address(), revisionNumber(&s, *inst), draining});
  }
  return v;
}

Result<void> Controller::promote(const std::string& service) {
  auto it = services_.find(service);
  if (it == services_.end() || !it->second->exists) return fail(ErrorCode::kNotFound, "no service named {}", service);
  Service& s = *it->second;
  if ((!stepsActive(s) && s.status.pauseReason.empty()) || s.status.aborted) {
    return fail(ErrorCode::kConflict, "service {} has no rollout waiting to be promoted", service);
  }
  s.promoteRequested = true;
  event(service, "service/" + service, kNormalEvent, "PromoteRequested", "Promotion requested by hand");
  poke();
  return {};
}

Result<void> Controller::abort(const std::string& service) {
  auto it = services_.find(service);
  if (it == services_.end() || !it->second->exists) return fail(ErrorCode::kNotFound, "no service named {}", service);
  Service& s = *it->second;
  if (!stepsActive(s)) {
    return fail(ErrorCode::kConflict,
                "service {} has no canary or blue-green rollout in progress (a rolling update goes back with "
                "`rollway rollout undo {}`)",
                service, service);
  }
  if (s.status.aborted) return fail(ErrorCode::kConflict, "the rollout of {} is already aborted", service);
  abortRollout(s, "aborted by hand");
  updateStatus(s);
  return {};
}

Result<void> Controller::retry(const std::string& service) {
  auto it = services_.find(service);
  if (it == services_.end() || !it->second->exists) return fail(ErrorCode::kNotFound, "no service named {}", service);
  Service& s = *it->second;
  if (!s.status.aborted) return fail(ErrorCode::kConflict, "the rollout of {} was not aborted; nothing to retry", service);
  ServiceStatus& st = s.status;
  st.aborted = false;
  st.abortReason.clear();
  st.stepIndex = 0;
  st.canaryWeight = 0;
  st.canaryReplicas = 0;
  st.stepStartedMs = st.lastProgressMs = st.rolloutStartedMs = unixMs(clock_);
  st.phase = RolloutPhase::kProgressing;
  st.analysis = nullptr;
  s.run.reset();
  s.lastSample.reset();
  (void)store_.setRevisionPhase(service, s.currentRevision, "");
  event(service, "service/" + service, kNormalEvent, "RolloutRetried",
        fmt::format("Retrying revision {} from its first step", s.currentRevision));
  updateStatus(s);
  poke();
  return {};
}

void Controller::skipSteps(const std::string& service) {
  auto it = services_.find(service);
  if (it == services_.end()) return;
  refreshServices();
  it->second->status.skipStepsHash = it->second->currentHash;
  poke();
}

}  // namespace rollway::controller
