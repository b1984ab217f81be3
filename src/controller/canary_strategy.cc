// Canary: the steps (setWeight, pause, analysis) one after the other, then the canary
// takes every replica and all the traffic, then the old stable drains.
#include <cmath>

#include <fmt/format.h>

#include "rollway/common/duration.h"
#include "rollway/controller/rollout_decision.h"
#include "strategy_util.h"

namespace rollway::controller {

namespace {

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

RolloutDecision planCanary(const RolloutInput& in) {
  RolloutDecision d = startDecision(in);
  ServiceStatus& st = d.status;
  const auto& steps = in.spec.strategy.canary.steps;
  const int count = static_cast<int>(steps.size());
  const int replicas = in.spec.replicas;
  const int64_t now = in.nowMs;
  st.steps = count;
  if (keepAborted(in, d)) return d;
  int canaryAvailable = availableOn(in, in.currentHash);
  bool promote = in.promoteRequested;
  auto advance = [&](const std::string& what) {
    d.events.push_back({"CanaryStep", fmt::format("revision {}: step {}/{} ({}) done", in.currentRevision,
                                                  st.stepIndex + 1, count, what)});
    ++st.stepIndex;
    st.stepStartedMs = now;
    st.pauseReason.clear();
    d.promoteConsumed = d.promoteConsumed || promote;
    promote = false;
    st.lastProgressMs = now;
  };
  if (st.skipStepsHash == in.currentHash) st.stepIndex = count;  // an undo target: no steps
  bool moved = true;
  while (moved && st.stepIndex < count) {
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
          if (left <= 0 || promote) {
            advance(stepText(step));
            moved = true;
          } else {
            d.wakeInMs = left;
          }
        } else if (promote) {
          advance("promoted by hand");
          moved = true;
        } else {
          st.pauseReason = fmt::format("step {}/{} is a pause: waiting for `rollway rollout promote {}`",
                                       st.stepIndex + 1, count, in.service);
        }
        break;
      case spec::StepKind::kAnalysis:
        if (!in.spec.analysis || promote || in.analysisPassedMs > st.stepStartedMs) {
          advance(promote ? "promoted by hand" : "analysis passed");
          moved = true;
        }
        break;
    }
  }
  if (st.stepIndex < count && steps[static_cast<size_t>(st.stepIndex)].kind != spec::StepKind::kSetWeight) {
    // Waiting by design (a pause, or analysis waiting for enough traffic) is not a lack
    // of progress: progressDeadlineSeconds must not fail it.
    st.lastProgressMs = now;
  }
  if (st.stepIndex >= count) {
    // After the last step: the canary takes every replica, then all the traffic; then
    // the old stable drains.
    st.canaryReplicas = replicas;
    if (canaryAvailable >= replicas) st.canaryWeight = 100;
  }
  std::map<std::string, int> wanted{{st.stableHash, replicas}, {in.currentHash, st.canaryReplicas}};
  if (st.canaryWeight == 100) wanted[st.stableHash] = 0;
  planCounts(in, wanted, d);
  if (st.stepIndex < count && in.spec.analysis) {
    d.analyze = true;
    d.trafficOnNew = st.canaryWeight > 0;
  }
  return d;
}

}  // namespace rollway::controller
