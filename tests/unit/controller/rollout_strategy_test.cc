// The strategies as pure functions: one pass of planRollout against a given instance
// view, compared with the expected stops, starts, weights, pause reason and events.
#include "rollway/controller/rollout_decision.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>

namespace rollway::controller {
namespace strategy_test {

using namespace std::chrono_literals;
constexpr int64_t kNow = 1'000'000;

// Stable revision "S" (revision 1) serving, rollout to "N" (revision 2).
RolloutInput base(spec::StrategyType type, int replicas = 4) {
  RolloutInput in;
  in.service = "web";
  in.spec.metadata.name = "web";
  in.spec.replicas = replicas;
  in.spec.strategy.type = type;
  in.currentHash = "N";
  in.currentRevision = 2;
  in.stableKnown = true;
  in.status.stableHash = "S";
  in.status.stableRevision = 1;
  in.status.observedHash = "N";
  in.status.stepStartedMs = kNow - 1000;
  in.nowMs = kNow;
  return in;
}

void addInstances(RolloutInput& in, const std::string& hash, int count, bool available, int64_t createdMs = 1) {
  int64_t revision = hash == "N" ? 2 : 1;
  for (int i = 0; i < count; ++i) {
    in.instances.push_back(InstanceView{hash + std::to_string(in.instances.size()), hash, revision, hash == in.currentHash,
                                        available, available, createdMs + static_cast<int64_t>(in.instances.size())});
  }
}

spec::CanaryStep weight(int w) {
  spec::CanaryStep s;
  s.kind = spec::StepKind::kSetWeight;
  s.setWeight = w;
  return s;
}
spec::CanaryStep pause(std::optional<std::chrono::milliseconds> d = std::nullopt) {
  spec::CanaryStep s;
  s.kind = spec::StepKind::kPause;
  if (d) s.pauseDuration = *d;
  return s;
}
spec::CanaryStep analysisStep() {
  spec::CanaryStep s;
  s.kind = spec::StepKind::kAnalysis;
  return s;
}

RolloutInput canary(std::vector<spec::CanaryStep> steps, int stepIndex, int replicas = 4) {
  RolloutInput in = base(spec::StrategyType::kCanary, replicas);
  in.spec.strategy.canary.steps = std::move(steps);
  in.status.stepIndex = stepIndex;
  return in;
}

int startsOf(const RolloutDecision& d, const std::string& hash) {
  for (const auto& [h, n] : d.starts) {
    if (h == hash) return n;
  }
  return 0;
}

std::vector<std::string> stopNames(const RolloutDecision& d) {
  std::vector<std::string> names;
  for (const auto& s : d.stops) names.push_back(s.name);
  return names;
}

// ---- Canary, table-driven: one pass from a step, with the canary's availability. ----

struct CanaryCase {
  const char* name;
  std::vector<spec::CanaryStep> steps;
  int stepIndex;
  int canaryAvailable;   // N instances that exist and are available
  int canaryStarting;    // N instances that exist and are not available yet
  bool promote;
  int64_t analysisPassedMs;
  bool withAnalysis;
  // Expected after the pass.
  int stepIndexAfter;
  int weightAfter;
  int canaryReplicasAfter;
  int newStarts;
  bool paused;                 // pauseReason set
  std::optional<int64_t> wake;
  bool promoteConsumed;
  size_t stepEvents;
};

class CanaryTable : public ::testing::TestWithParam<CanaryCase> {};

TEST_P(CanaryTable, OnePass) {
  const CanaryCase& c = GetParam();
  RolloutInput in = canary(c.steps, c.stepIndex);
  addInstances(in, "S", 4, true);
  addInstances(in, "N", c.canaryAvailable, true);
  addInstances(in, "N", c.canaryStarting, false);
  // The status as the earlier passes left it: the last setWeight's weight and replicas.
  for (int i = 0; i < c.stepIndex; ++i) {
    if (c.steps[static_cast<size_t>(i)].kind == spec::StepKind::kSetWeight) {
      in.status.canaryWeight = c.steps[static_cast<size_t>(i)].setWeight;
      in.status.canaryReplicas = std::max(1, (4 * in.status.canaryWeight + 99) / 100);
    }
  }
  in.promoteRequested = c.promote;
  in.analysisPassedMs = c.analysisPassedMs;
  if (c.withAnalysis) in.spec.analysis = spec::Analysis{};
  auto d = planRollout(in);
  EXPECT_EQ(d.status.stepIndex, c.stepIndexAfter);
  EXPECT_EQ(d.status.canaryWeight, c.weightAfter);
  EXPECT_EQ(d.status.canaryReplicas, c.canaryReplicasAfter);
  EXPECT_EQ(startsOf(d, "N"), c.newStarts);
  EXPECT_EQ(!d.status.pauseReason.empty(), c.paused) << d.status.pauseReason;
  EXPECT_EQ(d.wakeInMs, c.wake);
  EXPECT_EQ(d.promoteConsumed, c.promoteConsumed);
  EXPECT_EQ(d.events.size(), c.stepEvents);
  for (const auto& e : d.events) EXPECT_EQ(e.reason, "CanaryStep");
  EXPECT_EQ(d.status.steps, static_cast<int>(c.steps.size()));
  // Weight 100 only when the canary has every replica available; the stable stays up
  // until then.
  if (d.status.canaryWeight < 100) {
    EXPECT_TRUE(d.stops.empty()) << stopNames(d).size();
  }
}

const std::vector<spec::CanaryStep> kSteps = {weight(25), pause(), weight(50), pause(30s), analysisStep(), weight(75)};

INSTANTIATE_TEST_SUITE_P(
    Steps, CanaryTable,
    ::testing::Values(
        // setWeight 25 of 4 replicas = 1 canary: started, not available yet -> waits.
        CanaryCase{"SetWeightStartsItsReplicas", kSteps, 0, 0, 0, false, 0, false, 0, 0, 1, 1, false, {}, false, 0},
        CanaryCase{"SetWeightWaitsForAvailability", kSteps, 0, 0, 1, false, 0, false, 0, 0, 1, 0, false, {}, false, 0},
        // Available: weight 25, then the pause without duration stops it.
        CanaryCase{"SetWeightThenIndefinitePause", kSteps, 0, 1, 0, false, 0, false, 1, 25, 1, 0, true, {}, false, 1},
        CanaryCase{"IndefinitePauseHoldsWithoutPromote", kSteps, 1, 1, 0, false, 0, false, 1, 25, 1, 0, true, {}, false, 0},
        // Promote: past the pause, setWeight 50 needs 2 -> starts one and waits there.
        CanaryCase{"PromotePassesThePause", kSteps, 1, 1, 0, true, 0, false, 2, 25, 2, 1, false, {}, true, 1},
        // Timed pause: 1 s of 30 s gone -> wake in 29 s.
        CanaryCase{"TimedPauseWaits", kSteps, 3, 2, 0, false, 0, false, 3, 50, 2, 0, false, 29'000, false, 0},
        CanaryCase{"TimedPauseEndsEarlyOnPromote", kSteps, 3, 2, 0, true, 0, false, 5, 50, 3, 1, false, {}, true, 2},
        // Analysis step: no spec.analysis -> passes at once; with it, waits for a pass
        // newer than the step's start.
        CanaryCase{"AnalysisStepWithoutAnalysisPasses", kSteps, 4, 2, 0, false, 0, false, 5, 50, 3, 1, false, {}, false, 1},
        CanaryCase{"AnalysisStepWaits", kSteps, 4, 2, 0, false, kNow - 5000, true, 4, 50, 2, 0, false, {}, false, 0},
        CanaryCase{"AnalysisStepPasses", kSteps, 4, 2, 0, false, kNow - 10, true, 5, 50, 3, 1, false, {}, false, 1},
        CanaryCase{"AnalysisStepPromotedByHand", kSteps, 4, 2, 0, true, 0, true, 5, 50, 3, 1, false, {}, true, 1},
        // Last step done: the canary gets every replica, then all the traffic.
        CanaryCase{"AfterLastStepScalesTheCanaryUp", kSteps, 5, 3, 0, false, 0, false, 6, 75, 4, 1, false, {}, false, 1},
        CanaryCase{"AfterLastStepAllTraffic", kSteps, 6, 4, 0, false, 0, false, 6, 100, 4, 0, false, {}, false, 0}),
    [](const ::testing::TestParamInfo<CanaryCase>& param) { return std::string(param.param.name); });

TEST(CanaryStrategy, AllTrafficStopsTheStableRevision) {
  RolloutInput in = canary(kSteps, 6);
  in.status.canaryWeight = 75;
  addInstances(in, "S", 4, true);
  addInstances(in, "N", 4, true);
  auto d = planRollout(in);
  EXPECT_EQ(d.status.canaryWeight, 100);
  EXPECT_EQ(d.stops.size(), 4u);
  for (const auto& s : d.stops) {
    EXPECT_EQ(s.name[0], 'S');
    EXPECT_EQ(s.reason, "not wanted by the rollout any more");
  }
}

TEST(CanaryStrategy, AnalysisRunsWhileStepsRemainWithTrafficOnlyAfterAWeight) {
  RolloutInput in = canary({weight(25), analysisStep()}, 0);
  in.spec.analysis = spec::Analysis{};
  addInstances(in, "S", 4, true);
  auto d = planRollout(in);
  EXPECT_TRUE(d.analyze);
  EXPECT_FALSE(d.trafficOnNew);  // no canary available yet, weight still 0
  addInstances(in, "N", 1, true);
  d = planRollout(in);
  EXPECT_TRUE(d.analyze);
  EXPECT_TRUE(d.trafficOnNew);
  EXPECT_EQ(d.status.stepIndex, 1);
}

TEST(CanaryStrategy, AbortedHoldsTheStableOnlyAtWeightZero) {
  RolloutInput in = canary(kSteps, 2);
  in.status.aborted = true;
  in.status.canaryWeight = 25;
  addInstances(in, "S", 3, true);
  addInstances(in, "N", 2, true);
  auto d = planRollout(in);
  EXPECT_EQ(d.status.canaryWeight, 0);
  EXPECT_EQ(d.status.canaryReplicas, 0);
  EXPECT_EQ(stopNames(d), (std::vector<std::string>{"N4", "N3"}));  // newest first
  EXPECT_EQ(startsOf(d, "S"), 1);                                      // stable back to 4
  EXPECT_FALSE(d.analyze);
}

TEST(CanaryStrategy, UndoTargetSkipsEverySteps) {
  RolloutInput in = canary(kSteps, 0);
  in.status.skipStepsHash = "N";
  addInstances(in, "S", 4, true);
  auto d = planRollout(in);
  EXPECT_EQ(d.status.stepIndex, 6);
  EXPECT_EQ(d.status.canaryReplicas, 4);
  EXPECT_EQ(startsOf(d, "N"), 4);
  EXPECT_TRUE(d.events.empty());
}

TEST(CanaryStrategy, FirstRolloutHasNoStepsAllUpThenOldGo) {
  RolloutInput in = canary(kSteps, 0);
  in.status.stableHash.clear();  // nothing completed yet
  auto d = planRollout(in);
  EXPECT_EQ(startsOf(d, "N"), 4);
  EXPECT_EQ(d.status.stepIndex, 0);
  EXPECT_TRUE(d.events.empty());
}

TEST(CanaryStrategy, PrunedStableTemplateFallsBackToRolling) {
  RolloutInput in = canary(kSteps, 0);
  in.stableKnown = false;
  addInstances(in, "S", 4, true);
  auto d = planRollout(in);
  EXPECT_FALSE(stepsActive(in));
  EXPECT_EQ(startsOf(d, "N"), 4);  // maxSurge 100 %
  EXPECT_TRUE(d.stops.empty());    // maxUnavailable 0
}

// ---- BlueGreen ----

RolloutInput blueGreen(std::optional<int> autoPromotionSeconds = std::nullopt) {
  RolloutInput in = base(spec::StrategyType::kBlueGreen, 3);
  in.spec.strategy.blueGreen.autoPromotionSeconds = autoPromotionSeconds;
  in.spec.strategy.blueGreen.scaleDownDelaySeconds = 30;
  return in;
}

TEST(BlueGreenStrategy, PreviewStartsAtFullSizeBesideTheStable) {
  RolloutInput in = blueGreen();
  addInstances(in, "S", 3, true);
  auto d = planRollout(in);
  EXPECT_EQ(startsOf(d, "N"), 3);
  EXPECT_TRUE(d.stops.empty());
  EXPECT_EQ(d.status.canaryWeight, 0);
  EXPECT_EQ(d.status.canaryReplicas, 3);
  EXPECT_TRUE(d.status.pauseReason.empty());  // not ready yet: not waiting on a person
}

TEST(BlueGreenStrategy, ReadyPreviewWaitsForPromotion) {
  RolloutInput in = blueGreen();
  addInstances(in, "S", 3, true);
  addInstances(in, "N", 3, true);
  auto d = planRollout(in);
  EXPECT_EQ(d.status.canaryWeight, 0);
  EXPECT_EQ(d.status.stepIndex, 1);
  EXPECT_EQ(d.status.stepStartedMs, kNow);
  EXPECT_NE(d.status.pauseReason.find("rollway rollout promote web"), std::string::npos);
  EXPECT_TRUE(d.stops.empty());
}

TEST(BlueGreenStrategy, PromotionSwitchesAllTrafficAndKeepsTheOld) {
  RolloutInput in = blueGreen();
  in.promoteRequested = true;
  addInstances(in, "S", 3, true);
  addInstances(in, "N", 3, true);
  auto d = planRollout(in);
  EXPECT_EQ(d.status.canaryWeight, 100);
  EXPECT_EQ(d.status.promotedAtMs, kNow);
  EXPECT_EQ(d.status.previousHash, "S");
  EXPECT_TRUE(d.promoteConsumed);
  EXPECT_TRUE(d.stops.empty());  // the old one stays for scaleDownDelaySeconds
  ASSERT_EQ(d.events.size(), 1u);
  EXPECT_EQ(d.events[0].reason, "Promoted");
}

TEST(BlueGreenStrategy, AutoPromotionWakesThenPromotes) {
  RolloutInput in = blueGreen(10);
  addInstances(in, "S", 3, true);
  addInstances(in, "N", 3, true);
  auto d = planRollout(in);
  EXPECT_EQ(d.wakeInMs, 10'000);
  EXPECT_EQ(d.status.canaryWeight, 0);
  in.status = d.status;
  in.nowMs = kNow + 10'000;
  d = planRollout(in);
  EXPECT_EQ(d.status.canaryWeight, 100);
  EXPECT_FALSE(d.promoteConsumed);
}

TEST(BlueGreenStrategy, ScaleDownDelayKeepsThePreviousThenStopsIt) {
  // Completed: stable is now N, previous S promoted 10 s ago.
  RolloutInput in = blueGreen();
  in.status.stableHash = "N";
  in.status.previousHash = "S";
  in.status.promotedAtMs = kNow - 10'000;
  in.status.canaryWeight = 100;
  addInstances(in, "S", 3, true);
  addInstances(in, "N", 3, true);
  auto d = planRollout(in);
  EXPECT_TRUE(d.stops.empty());
  EXPECT_EQ(d.wakeInMs, 20'000);
  in.nowMs = kNow + 20'000;
  d = planRollout(in);
  EXPECT_EQ(d.stops.size(), 3u);
  for (const auto& s : d.stops) EXPECT_EQ(s.name[0], 'S');
}

TEST(BlueGreenStrategy, UndoInsideTheDelayIsOneSwap) {
  // Undo to S within the delay: S is current again and its instances are all there.
  RolloutInput in = blueGreen();
  in.currentHash = "S";
  in.currentRevision = 3;
  in.status.stableHash = "N";
  in.status.previousHash = "S";
  in.status.promotedAtMs = kNow - 10'000;
  in.status.skipStepsHash = "S";
  in.status.canaryWeight = 0;
  in.status.stepIndex = 0;
  addInstances(in, "S", 3, true);
  addInstances(in, "N", 3, true);
  for (auto& i : in.instances) i.updated = i.hash == "S";
  auto d = planRollout(in);
  EXPECT_EQ(d.status.canaryWeight, 100);  // promoted at once: no preview wait
  EXPECT_TRUE(d.starts.empty());
  EXPECT_TRUE(d.stops.empty());
}

TEST(BlueGreenStrategy, AbortedDrainsThePreview) {
  RolloutInput in = blueGreen();
  in.status.aborted = true;
  addInstances(in, "S", 3, true);
  addInstances(in, "N", 3, true);
  auto d = planRollout(in);
  EXPECT_EQ(d.stops.size(), 3u);
  for (const auto& s : d.stops) EXPECT_EQ(s.name[0], 'N');
  EXPECT_EQ(d.status.canaryWeight, 0);
}

// ---- RollingUpdate and what all strategies share ----

TEST(RollingStrategy, PausedMovesNothing) {
  RolloutInput in = base(spec::StrategyType::kRollingUpdate, 3);
  in.spec.paused = true;
  addInstances(in, "S", 3, true);
  auto d = planRollout(in);
  EXPECT_TRUE(d.starts.empty());
  EXPECT_TRUE(d.stops.empty());
  EXPECT_EQ(d.status, in.status);
}

TEST(RollingStrategy, AnalysisGatesTheNextBatchUntilAWindowPasses) {
  RolloutInput in = base(spec::StrategyType::kRollingUpdate, 4);
  in.spec.analysis = spec::Analysis{};
  in.spec.strategy.rollingUpdate.maxSurge = spec::IntOrPercent::absolute(1);
  in.spec.strategy.rollingUpdate.maxUnavailable = spec::IntOrPercent::absolute(0);
  addInstances(in, "S", 4, true);
  addInstances(in, "N", 1, true);  // the first batch is available
  auto d = planRollout(in);
  EXPECT_TRUE(d.analyze);
  EXPECT_TRUE(d.trafficOnNew);
  EXPECT_TRUE(d.starts.empty());  // gated: the batch has not passed a window
  EXPECT_TRUE(d.stops.empty());
  // A window passed: the batch is cleared and the rollout goes on.
  in.analysisPassedMs = kNow - 1;
  d = planRollout(in);
  EXPECT_EQ(d.analyzedAvailable, 1);
  EXPECT_EQ(d.analysisSeenMs, kNow - 1);
  EXPECT_EQ(d.stops.size(), 1u);
  // Next pass with that state: not gated while no new batch became available.
  in.analysisSeenMs = d.analysisSeenMs;
  in.analyzedAvailable = d.analyzedAvailable;
  d = planRollout(in);
  EXPECT_EQ(d.stops.size(), 1u);
}

TEST(RollingStrategy, PromoteClearsTheAnalysisGate) {
  RolloutInput in = base(spec::StrategyType::kRollingUpdate, 4);
  in.spec.analysis = spec::Analysis{};
  in.status.pauseReason = "analysis inconclusive";
  in.promoteRequested = true;
  addInstances(in, "S", 4, true);
  addInstances(in, "N", 1, true);
  auto d = planRollout(in);
  EXPECT_TRUE(d.promoteConsumed);
  EXPECT_TRUE(d.status.pauseReason.empty());
  EXPECT_EQ(d.analyzedAvailable, 1);
}

TEST(RollingStrategy, UndoTargetIsNotAnalyzed) {
  RolloutInput in = base(spec::StrategyType::kRollingUpdate, 2);
  in.spec.analysis = spec::Analysis{};
  in.status.skipStepsHash = "N";
  addInstances(in, "S", 2, true);
  auto d = planRollout(in);
  EXPECT_FALSE(d.analyze);
  EXPECT_EQ(startsOf(d, "N"), 1);  // maxSurge 25 % of 2 rounds up to 1
}

TEST(RollingStrategy, ReplacedOldInstancesCountAsProgress) {
  RolloutInput in = base(spec::StrategyType::kRollingUpdate, 2);
  in.status.lastProgressMs = 1;
  addInstances(in, "S", 2, true);
  addInstances(in, "N", 1, true);
  auto d = planRollout(in);
  ASSERT_EQ(d.stops.size(), 1u);
  EXPECT_EQ(d.stops[0].reason, "replaced by the new revision");
  EXPECT_EQ(d.status.lastProgressMs, kNow);
}

TEST(PlanCounts, DisruptionBudgetHoldsAvailableOnesNotBrokenOnes) {
  RolloutInput in = base(spec::StrategyType::kCanary, 3);
  spec::DisruptionBudget budget;
  budget.minAvailable = spec::IntOrPercent::absolute(3);
  in.spec.disruptionBudget = budget;
  addInstances(in, "S", 3, true);
  addInstances(in, "S", 1, false);  // a broken one: costs nothing to stop
  RolloutDecision d;
  planCounts(in, {{"S", 2}}, d);
  EXPECT_EQ(stopNames(d), (std::vector<std::string>{"S3"}));
  EXPECT_EQ(d.heldByBudget, 1);
  EXPECT_EQ(d.budget, 3);
}

TEST(PlanCounts, StartsWhatIsMissingPerHash) {
  RolloutInput in = base(spec::StrategyType::kCanary, 3);
  addInstances(in, "S", 1, true);
  RolloutDecision d;
  planCounts(in, {{"S", 3}, {"N", 2}}, d);
  EXPECT_EQ(startsOf(d, "S"), 2);
  EXPECT_EQ(startsOf(d, "N"), 2);
  EXPECT_TRUE(d.stops.empty());
}

}  // namespace strategy_test
}  // namespace rollway::controller
