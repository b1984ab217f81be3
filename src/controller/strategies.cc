// The controller's side of the strategies (the plans themselves are the pure functions of
// rollout_decision.h): the analysis that gates and aborts them, the disruption budget's
// events, the routing view, and the manual verbs.
#include <algorithm>
#include <cmath>

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

}  // namespace

bool Controller::stepsActive(const Service& s) const {
  return controller::stepsActive(s.spec.strategy.type, s.status, s.currentHash,
                                 s.revisionByHash.contains(s.status.stableHash));
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

void Controller::runAnalysis(Service& s, bool trafficOnNew) {
  if (!s.spec.analysis || !proxy_->running() || s.analysisPending) return;
  auto now = clock_.now();
  auto interval = s.spec.analysis->interval;
  if (s.lastSample && now - s.lastMeasure < interval) {
    schedule(std::chrono::duration_cast<std::chrono::milliseconds>(interval - (now - s.lastMeasure)));
    return;
  }
  // The proxy's counters, then the providers, are read off this thread. Their answers
  // apply only to the rollout they were asked for: when the service has moved on (a new
  // template, a retry, an abort) or is gone by then, they are dropped.
  s.analysisPending = true;
  auto current = [this, name = s.name, self = &s, hash = s.currentHash,
                  started = s.status.rolloutStartedMs]() -> Service* {
    auto it = services_.find(name);
    if (it == services_.end() || it->second.get() != self) return nullptr;
    Service& svc = *it->second;
    svc.analysisPending = false;
    bool same = svc.exists && svc.spec.analysis && svc.currentHash == hash && svc.status.rolloutStartedMs == started &&
                !svc.status.aborted;
    return same ? &svc : nullptr;
  };
  proxy_->metrics([this, alive = std::weak_ptr<int>(alive_), current, trafficOnNew](Result<nlohmann::json> metrics) {
    if (alive.expired()) return;
    Service* svc = current();
    if (svc == nullptr) return;
    auto in = analysisWindow(*svc, trafficOnNew, metrics);
    if (!in) return;
    svc->analysisPending = true;
    analysis::Analyzer(*svc->spec.analysis, prometheus_, webhook_)
        .measureAsync(*in, pool_, io_, alive_, [this, current](analysis::Measurement measurement) {
          auto batch = store_.beginBatch();
          if (Service* measured = current()) applyMeasurement(*measured, measurement);
        });
  });
}

std::optional<analysis::WindowInput> Controller::analysisWindow(Service& s, bool trafficOnNew,
                                                                const Result<nlohmann::json>& metrics) {
  if (!metrics) {
    logger_->warn("analysis of {}: cannot read the proxy's metrics: {}", s.name, metrics.error().message);
    return std::nullopt;
  }
  auto sample = analysis::MetricsSample::fromProxyJson(*metrics);
  if (!sample) {
    logger_->warn("analysis of {}: {}", s.name, sample.error().message);
    return std::nullopt;
  }
  ServiceStatus& st = s.status;
  auto now = clock_.now();
  auto interval = s.spec.analysis->interval;
  // Probe results per revision since the window began (probe-success-rate).
  std::map<std::string, std::pair<uint64_t, uint64_t>> probeNow;
  std::map<std::string, std::pair<uint64_t, uint64_t>> probeDelta;  // by template hash
  for (const auto& [name, inst] : instances_) {
    if (inst->service != s.name) continue;
    auto ps = health_.status(name);
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
    return std::nullopt;
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
  return in;
}

void Controller::applyMeasurement(Service& s, const analysis::Measurement& measurement) {
  ServiceStatus& st = s.status;
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
  poke();  // the next pass acts on the verdict (a rolling update's next batch, a canary's step)
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
    // On the pool: a slow receiver never holds up the loop, and a full pool drops the
    // notification with a warning instead of queueing without end.
    auto sent = pool_.submit<void>(
        [url = hook.url, body, http = analysis::HttpOptions{options_.caFile}] {
          return analysis::postNotification(url, body, std::chrono::seconds(5), http);
        },
        io_, alive_, [logger = logger_](Result<void> r) {
          if (!r) logger->warn("webhook: {}", r.error().message);
        });
    if (!sent) logger_->warn("webhook {} not sent: {}", hook.url, sent.error().message);
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
               s.revisionByHash.contains(st.stableHash) &&
               (st.rolloutStrategy != "RollingUpdate" || st.stableHash == s.currentHash);
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
