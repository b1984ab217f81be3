// computeStatus: the phase, counts and transitions of a service's rollout status.
#include "rollway/controller/status_compute.h"

#include <gtest/gtest.h>

namespace rollway::controller {
namespace status_test {

constexpr int64_t kNow = 5'000'000;

StatusInput input(int replicas = 2) {
  StatusInput in;
  in.service = "web";
  in.spec.replicas = replicas;
  in.spec.progressDeadlineSeconds = 60;
  in.spec.tmpl.version = "v2";
  in.generation = 7;
  in.currentHash = "N";
  in.currentRevision = 2;
  in.status.stableHash = "S";
  in.status.stableRevision = 1;
  in.status.lastProgressMs = kNow - 1000;
  in.nowMs = kNow;
  return in;
}

void add(StatusInput& in, const std::string& hash, int count, bool available, bool terminating = false) {
  for (int i = 0; i < count; ++i) {
    in.instances.push_back(StatusInstance{hash, hash == "N" ? 2 : 1, terminating, available, available, 10});
  }
}

TEST(StatusCompute, ProgressingCountsEveryKind) {
  StatusInput in = input(3);
  add(in, "S", 2, true);
  add(in, "N", 1, true);
  add(in, "N", 1, false);
  add(in, "S", 1, false, true);
  auto out = computeStatus(in);
  EXPECT_EQ(out.status.phase, RolloutPhase::kProgressing);
  EXPECT_EQ(out.status.totalReplicas, 4);
  EXPECT_EQ(out.status.updatedReplicas, 2);
  EXPECT_EQ(out.status.readyReplicas, 3);
  EXPECT_EQ(out.status.availableReplicas, 3);
  EXPECT_EQ(out.status.updatedAvailableReplicas, 1);
  EXPECT_EQ(out.status.terminatingReplicas, 1);
  EXPECT_EQ(out.status.observedGeneration, 7);
  EXPECT_FALSE(out.completed);
  EXPECT_TRUE(out.events.empty());
}

TEST(StatusCompute, CompleteOnceAllUpdatedAvailableAndNoOldOnes) {
  StatusInput in = input();
  add(in, "N", 2, true);
  add(in, "S", 1, false, true);  // still terminating: does not hold completion
  auto out = computeStatus(in);
  EXPECT_EQ(out.status.phase, RolloutPhase::kComplete);
  EXPECT_EQ(out.status.stableHash, "N");
  EXPECT_EQ(out.status.stableRevision, 2);
  EXPECT_EQ(out.status.previousHash, "S");
  EXPECT_EQ(out.status.promotedAtMs, kNow);
  EXPECT_TRUE(out.completed);
  EXPECT_EQ(out.protectRevisions, (std::vector<int64_t>{2, 2, 1}));
  ASSERT_EQ(out.events.size(), 1u);
  EXPECT_EQ(out.events[0].reason, "RolloutComplete");
  // The next pass: still complete, no second event, no second prune.
  in.status = out.status;
  out = computeStatus(in);
  EXPECT_EQ(out.status.phase, RolloutPhase::kComplete);
  EXPECT_FALSE(out.completed);
  EXPECT_TRUE(out.events.empty());
}

TEST(StatusCompute, NotCompleteWhileTheProxyHasAnOlderSnapshot) {
  StatusInput in = input();
  add(in, "N", 2, true);
  in.routingError = "proxy refused the snapshot";
  auto out = computeStatus(in);
  EXPECT_EQ(out.status.phase, RolloutPhase::kProgressing);
  EXPECT_EQ(out.status.routingError, "proxy refused the snapshot");
  // Once complete, a later routing error does not take completion back.
  in.routingError.clear();
  in.status = computeStatus(in).status;
  in.routingError = "proxy gone";
  EXPECT_EQ(computeStatus(in).status.phase, RolloutPhase::kComplete);
}

TEST(StatusCompute, OldInstancesLeftKeepItProgressingExceptAPromotedBlueGreen) {
  StatusInput in = input();
  add(in, "N", 2, true);
  add(in, "S", 2, true);
  EXPECT_EQ(computeStatus(in).status.phase, RolloutPhase::kProgressing);
  in.spec.strategy.type = spec::StrategyType::kBlueGreen;
  in.status.canaryWeight = 100;
  in.status.promotedAtMs = kNow - 10;
  auto out = computeStatus(in);
  EXPECT_EQ(out.status.phase, RolloutPhase::kComplete);
  EXPECT_EQ(out.status.promotedAtMs, kNow - 10);  // the switch time stays
}

TEST(StatusCompute, AbortedIsDegradedAndNamesTheRetry) {
  StatusInput in = input();
  in.status.aborted = true;
  in.status.abortReason = "analysis failed";
  add(in, "S", 2, true);
  auto out = computeStatus(in);
  EXPECT_EQ(out.status.phase, RolloutPhase::kDegraded);
  EXPECT_NE(out.status.message.find("rollway rollout retry web"), std::string::npos) << out.status.message;
  EXPECT_EQ(out.status.lastProgressMs, kNow);
}

TEST(StatusCompute, PausedHasNoDeadline) {
  StatusInput in = input();
  in.spec.paused = true;
  in.status.lastProgressMs = kNow - 3'600'000;
  add(in, "S", 2, true);
  auto out = computeStatus(in);
  EXPECT_EQ(out.status.phase, RolloutPhase::kPaused);
  EXPECT_EQ(out.status.lastProgressMs, kNow);
  EXPECT_FALSE(out.deadlineExceeded);
  EXPECT_NE(out.status.message.find("rollway rollout resume web"), std::string::npos);
  in.spec.paused = false;
  in.status.pauseReason = "step 2/3 is a pause";
  EXPECT_EQ(computeStatus(in).status.phase, RolloutPhase::kPaused);
}

TEST(StatusCompute, DeadlineFailsOnceAndRollsBackOnlyWithAutoRollback) {
  StatusInput in = input();
  in.status.lastProgressMs = kNow - 61'000;
  add(in, "S", 2, true);
  add(in, "N", 1, false);
  auto out = computeStatus(in);
  EXPECT_EQ(out.status.phase, RolloutPhase::kFailed);
  EXPECT_EQ(out.status.failedRevision, 2);
  EXPECT_TRUE(out.deadlineExceeded);
  EXPECT_FALSE(out.rollback);
  ASSERT_EQ(out.events.size(), 1u);
  EXPECT_EQ(out.events[0].reason, "ProgressDeadlineExceeded");
  EXPECT_EQ(out.events[0].type, EventType::kWarning);
  // Stays Failed without a second event.
  in.status = out.status;
  out = computeStatus(in);
  EXPECT_EQ(out.status.phase, RolloutPhase::kFailed);
  EXPECT_FALSE(out.deadlineExceeded);
  EXPECT_TRUE(out.events.empty());
  // With autoRollback, the transition asks for the rollback.
  StatusInput again = input();
  again.spec.autoRollback = true;
  again.status.lastProgressMs = kNow - 61'000;
  EXPECT_TRUE(computeStatus(again).rollback);
}

TEST(StatusCompute, ACompletedRevisionLosingAnInstanceIsNotFailed) {
  StatusInput in = input();
  in.status.stableHash = "N";
  in.status.phase = RolloutPhase::kComplete;
  in.status.lastProgressMs = kNow - 3'600'000;
  add(in, "N", 1, true);
  add(in, "N", 1, false);
  auto out = computeStatus(in);
  EXPECT_EQ(out.status.phase, RolloutPhase::kProgressing);
  EXPECT_FALSE(out.deadlineExceeded);
}

TEST(StatusCompute, StepsShowInTheMessage) {
  StatusInput in = input();
  in.spec.strategy.type = spec::StrategyType::kCanary;
  in.stepsActive = true;
  in.status.stepIndex = 1;
  in.status.steps = 3;
  in.status.canaryWeight = 25;
  add(in, "S", 2, true);
  EXPECT_NE(computeStatus(in).status.message.find("step 2/3, 25% of traffic on the canary"), std::string::npos);
}

}  // namespace status_test
}  // namespace rollway::controller
