// The controller's side of a rollout (the plans themselves are the pure functions of
// rollout_decision.h, the status that of status_compute.h): its start, the status and
// what it triggers (pruning, a failed revision, rollback), the analysis verdicts that
// gate and abort it, the disruption budget's events and the routing view.
#include <algorithm>

#include <fmt/format.h>

#include "controller_state.h"
#include "rollway/analysis/notify.h"
#include "rollway/controller/rollout_plan.h"
#include "rollway/controller/spec_change.h"
#include "rollway/controller/status_compute.h"

namespace rollway::controller {

namespace {


}  // namespace

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
  gate_.forget(s.name);
  s.analysisPassedMs = 0;
  s.analysisSeenMs = 0;
  s.analyzedAvailable = 0;
  if (!first) {
    event(s, kNormal, "RolloutStarted",
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
  std::vector<Instance*> mine = instances_.ofService(s.name);
  // As the strategies see them: a pending eviction's replacement is not counted (its
  // evicted instance is, until it stops).
  const std::set<std::string> replacements = pendingReplacements(mine);
  for (const Instance* inst : mine) {
    if (replacements.contains(inst->name)) continue;
    in.instances.push_back(StatusInstance{inst->hash, revisionNumber(*inst), inst->phase == InstancePhase::kTerminating,
                                          inst->inRotation(), inst->countsAvailable(), inst->createdMs});
  }
  StatusOutcome out = computeStatus(in);
  s.status = std::move(out.status);
  for (const auto& e : out.events) event(s, e.type, e.reason, e.message);
  if (out.completed) {
    if (auto pruned = store_.pruneRevisions(s.name, s.spec.revisionHistoryLimit, out.protectRevisions); pruned && *pruned > 0) {
      logger_->info("service {}: pruned {} old revision(s)", s.name, *pruned);
    }
  }
  if (out.deadlineExceeded) (void)store_.setRevisionPhase(s.name, s.currentRevision, "Failed");
  if (out.rollback) rollback(s);
  std::string text = toJson(s.status).dump();
  if (text != s.statusJson) {
    s.statusJson = text;
    ++s.seq;
    if (auto ok = store_.setServiceStatus(s.name, text); !ok) {
      logger_->error("cannot store the status of {}: {}", s.name, ok.error().message);
    }
    auto waiters = std::move(s.waiters);
    s.waiters.clear();
    for (auto& w : waiters) w.reply(status(s.name));
  }
}

void Controller::rollback(Service& s) {
  ServiceStatus& st = s.status;
  if (st.stableHash.empty() || st.stableHash == s.currentHash) {
    event(s, kWarning, "RollbackSkipped", "autoRollback is on, but there is no earlier revision that completed a rollout");
    return;
  }
  auto number = s.revisionByHash.find(st.stableHash);
  if (number == s.revisionByHash.end()) {
    event(s, kWarning, "RollbackSkipped", "the last stable revision was pruned");
    return;
  }
  auto target = specWithTemplate(s.specJson, s.templateByNumber[number->second]);
  if (!target) {
    event(s, kWarning, "RollbackFailed", target.error().message);
    return;
  }
  auto outcome = store_.apply({toServiceInput(*target)});
  if (!outcome) {
    event(s, kWarning, "RollbackFailed", outcome.error().message);
    return;
  }
  int64_t failed = s.currentRevision;
  st.rolledBackFrom = failed;
  s.rollingBack = true;
  st.skipStepsHash = spec::templateHash(target->tmpl);
  event(s, kWarning, "RolledBack",
        fmt::format("Rolled back from revision {} to the last stable template ({}), now revision {}", failed,
                    target->tmpl.version, outcome->front().revision));
  refreshServices();
  // The next pass starts the rollout back; status.rolledBackFrom tells watchers why.
  poke();
}

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
  if (!note.empty()) event(s, kNormal, "DisruptionBudget", note);
}

void Controller::runAnalysis(Service& s, bool trafficOnNew) {
  if (!s.spec.analysis) return;
  AnalysisTarget t;
  t.service = s.name;
  t.rollout = s.rolloutKey();
  t.analysis = *s.spec.analysis;
  t.canaryRevision = s.currentRevision;
  t.canaryHash = s.currentHash;
  auto stable = s.revisionByHash.find(s.status.stableHash);
  t.stableRevision = stable != s.revisionByHash.end() ? stable->second : 0;
  t.stableHash = s.status.stableHash;
  for (const Instance* inst : instances_.ofService(s.name)) t.instances.emplace_back(inst->name, inst->hash);
  gate_.measure(t, trafficOnNew);
}

void Controller::onVerdict(const AnalysisVerdict& v) {
  // Only for the rollout it measured, while it still runs.
  Service* found = find(v.service);
  if (found == nullptr || !found->exists || !found->spec.analysis || found->rolloutKey() != v.rollout ||
      found->status.aborted) {
    return;
  }
  auto batch = store_.beginBatch();
  Service& s = *found;
  ServiceStatus& st = s.status;
  st.analysis = analysis::toJson(v.measurement);
  switch (v.decision) {
    case analysis::Decision::kPassed:
      s.analysisPassedMs = nowMs();
      break;
    case analysis::Decision::kAbort:
      abortRollout(s, fmt::format("analysis failed {} time(s) in a row: {}", v.consecutiveFailures,
                                  v.measurement.summary));
      break;
    case analysis::Decision::kPauseForHuman:
      st.pauseReason = fmt::format("analysis inconclusive {} time(s) in a row ({}): waiting for `rollway rollout "
                                   "promote {}` or `rollway rollout abort {}`",
                                   v.consecutiveInconclusive, v.measurement.summary, s.name, s.name);
      event(s, kWarning, "AnalysisInconclusive", st.pauseReason);
      break;
    case analysis::Decision::kContinue:
      if (v.measurement.verdict == analysis::Verdict::kFailed) event(s, kWarning, "AnalysisFailed", v.measurement.summary);
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
    event(s, kWarning, "RolloutAborted",
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
  event(s, kWarning, "RolloutAborted",
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

}  // namespace rollway::controller
