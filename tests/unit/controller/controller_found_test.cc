// The controller bugs the torture test found (tests/e2e/torture_found_test.cc pins them
// end to end), here as one reconcile story each against the fakes: no process, no
// sleeping, each fails without its fix.
#include <gtest/gtest.h>

#include "fakes/controller_harness.h"
#include "fakes/loop_helpers.h"

namespace rollway::controller::fakes {
namespace {

using namespace std::chrono_literals;

const std::string kCanaryPause =
    "  strategy:\n    type: Canary\n    rollingUpdate: {maxSurge: 1, maxUnavailable: 0}\n"
    "    canary: {steps: [{setWeight: 50}, {pause: {}}]}\n";
const std::string kBlueGreenNoDelay = "  strategy:\n    type: BlueGreen\n    blueGreen: {scaleDownDelaySeconds: 0}\n";

// Promotes whatever waits, lets every new instance become healthy and every stopped one
// exit, until Complete (at most `rounds`).
void driveToComplete(ControllerHarness& h, const std::string& version, int rounds = 8) {
  h.pass();  // the rollout of what was just applied begins (the status said Complete before)
  for (int i = 0; i < rounds && h.status().value("phase", "") != "Complete"; ++i) {
    if (h.status().value("phase", "") == "Paused") (void)h.ctl().promote("web");
    h.after(1s);
    h.makeHealthy(version);
    h.exitTerminated();
  }
}

int64_t createdAt(const nlohmann::json& instance) { return instance.value("createdAtMs", int64_t{0}); }

// Seed 109: the canary instances started before `rollout restart` counted for the plan
// (by template) but not as updated, so the rollout never completed.
void restartWhilePausedCompletes(const std::string& strategy) {
  ControllerHarness h;
  firstRollout(h, strategy, 2);
  h.apply(spec("v2", 2, strategy));
  h.pass();
  h.makeHealthy("v2");
  ASSERT_EQ(h.status().value("phase", ""), "Paused") << h.status().dump(2);
  h.clock().advance(1s);
  auto restartedAt = h.ctl().restart("web");
  ASSERT_TRUE(restartedAt);
  driveToComplete(h, "v2");
  h.exitTerminated();
  ASSERT_EQ(h.status().value("phase", ""), "Complete") << h.status().dump(2);
  EXPECT_EQ(h.status().value("updatedReplicas", 0), 2);
  ASSERT_EQ(h.names("v2").size(), 2u);
  for (const auto& i : h.instances()) {
    EXPECT_EQ(i.value("version", ""), "v2");
    EXPECT_GE(createdAt(i), *restartedAt) << "started after the restart: " << i.dump();
  }
}

TEST(ControllerFound, RestartDuringACanaryPauseReplacesTheCanaryAndCompletes) {
  restartWhilePausedCompletes(kCanaryPause);
}

TEST(ControllerFound, RestartDuringABlueGreenPreviewReplacesThePreviewAndCompletes) {
  restartWhilePausedCompletes(kBlueGreenNoDelay);
}

// Seed 228: a new version while the canary had all the traffic but was not complete yet
// went back to the old stable revision, already drained, and stopped the instances that
// carried the traffic. Not complete at 100 %: after a `rollout restart`, the instance
// started before it still serves while a restarted one is not ready.
TEST(ControllerFound, ANewVersionWhileTheCanaryHasAllTheTrafficTakesItAsTheStable) {
  ControllerHarness h;
  firstRollout(h, kCanaryPause, 2);
  h.apply(spec("v2", 2, kCanaryPause));
  h.pass();
  h.makeHealthy("v2");
  ASSERT_EQ(h.status().value("phase", ""), "Paused");
  h.clock().advance(1s);
  ASSERT_TRUE(h.ctl().restart("web"));
  h.pass();  // the restarted rollout: setWeight 50 holds with the older v2; one restarted starts
  ASSERT_EQ(h.status().value("phase", ""), "Paused") << h.status().dump(2);
  std::string restarted;
  for (const auto& i : h.instances()) {
    if (i.value("version", "") == "v2" && i.value("phase", "") == "Starting") restarted = i.value("name", "");
  }
  ASSERT_FALSE(restarted.empty()) << nlohmann::json(h.instances()).dump(2);
  h.clock().advance(1s);
  ASSERT_TRUE(h.ctl().promote("web"));
  h.pass();  // past the last step: one more restarted v2 starts, and is left not ready
  h.health.healthy(restarted);
  h.pass();
  h.exitTerminated();
  ASSERT_EQ(h.status().value("canaryWeight", 0), 100) << h.status().dump(2);
  ASSERT_TRUE(h.names("v1").empty()) << nlohmann::json(h.instances()).dump(2);
  ASSERT_NE(h.status().value("phase", ""), "Complete") << h.status().dump(2);
  auto carrying = h.names("v2", "Ready");
  ASSERT_EQ(carrying.size(), 2u) << nlohmann::json(h.instances()).dump(2);
  h.apply(spec("v3", 2, kCanaryPause));
  for (int i = 0; i < 3; ++i) {
    h.after(1s);
    EXPECT_EQ(h.names("v2", "Ready"), carrying) << "what carried all the traffic was taken out\n"
                                                << nlohmann::json(h.instances()).dump(2) << h.status().dump(2);
    EXPECT_TRUE(h.names("v1").empty()) << "the drained old stable is not started again";
  }
  EXPECT_EQ(h.status().value("stableRevision", 0), 2) << h.status().dump(2);
}

// Seed 404: RollingUpdate switched to BlueGreen after every old instance was replaced:
// the old revision became the stable one again, was started anew and took the traffic.
TEST(ControllerFound, ARollingUpdateSwitchedToBlueGreenHalfWayFinishesAsARollingUpdate) {
  const std::string rolling = "  strategy: {type: RollingUpdate, rollingUpdate: {maxSurge: 0, maxUnavailable: 1}}\n";
  ControllerHarness h;
  firstRollout(h, rolling, 3);
  h.apply(spec("v2", 3, rolling));
  // Every v1 replaced, the last v2 not ready yet.
  for (int i = 0; i < 6 && !h.names("v1").empty(); ++i) {
    h.pass();
    auto starting = h.names("v2", "Starting");
    if (h.names("v1").size() > 1 || h.names("v1", "Terminating").empty()) {
      for (const auto& name : starting) h.health.healthy(name);
    }
    h.exitTerminated();
  }
  ASSERT_TRUE(h.names("v1").empty()) << nlohmann::json(h.instances()).dump(2);
  ASSERT_NE(h.status().value("phase", ""), "Complete");
  h.apply(spec("v2", 3, "  strategy: {type: BlueGreen, rollingUpdate: {maxSurge: 0, maxUnavailable: 1}}\n"));
  for (int i = 0; i < 4; ++i) {
    h.pass();
    EXPECT_TRUE(h.names("v1").empty()) << "the old revision is not started again";
    const auto& last = h.proxy.pushed.back();
    for (const auto& l : last.listeners) {
      for (const auto& s : l.services) {
        for (const auto& r : s.revisions) {
          if (r.revision == 1) {
            EXPECT_EQ(r.weight, 0) << "traffic sent back to revision 1";
          }
        }
      }
    }
  }
  h.makeHealthy("v2");
  EXPECT_EQ(h.status().value("phase", ""), "Complete") << h.status().dump(2);
}

// Found with seed 404: switched to BlueGreen within its scaleDownDelaySeconds after a
// completed rolling update, it started `replicas` old instances again for the delay.
TEST(ControllerFound, BlueGreenDelayNeverStartsOldInstancesAgain) {
  ControllerHarness h;
  firstRollout(h, kRollingSurgeOne, 2);
  h.apply(spec("v2", 2, kRollingSurgeOne));
  driveToComplete(h, "v2");
  h.exitTerminated();
  ASSERT_EQ(h.status().value("phase", ""), "Complete") << h.status().dump(2) << nlohmann::json(h.instances()).dump(2);
  ASSERT_TRUE(h.names("v1").empty()) << nlohmann::json(h.instances()).dump(2);
  size_t starts = h.runtime.count("start");
  h.apply(spec("v2", 2, "  strategy:\n    type: BlueGreen\n    blueGreen: {scaleDownDelaySeconds: 30}\n"));
  for (int i = 0; i < 3; ++i) h.after(1s);
  EXPECT_EQ(h.runtime.count("start"), starts);
  EXPECT_TRUE(h.names("v1").empty());
}

// Seed 3059: a canary aborted, then the strategy switched to RollingUpdate (same
// template): the rolling update rolled the aborted revision out again (never ready, it
// held the service at 1 of 2 ready for good) instead of staying on the stable one.
TEST(ControllerFound, AnAbortedCanarySwitchedToRollingUpdateStaysAborted) {
  const std::string rolling = "  strategy: {type: RollingUpdate, rollingUpdate: {maxSurge: 1, maxUnavailable: 1}}\n";
  ControllerHarness h;
  firstRollout(h, kCanaryPause, 2);
  h.apply(spec("v2", 2, kCanaryPause));
  h.pass();
  h.makeHealthy("v2");
  ASSERT_TRUE(h.ctl().abort("web"));
  h.pass();
  h.exitTerminated();
  ASSERT_TRUE(h.names("v2").empty());
  size_t starts = h.runtime.count("start");
  h.apply(spec("v2", 2, rolling));  // the same template: no new rollout
  for (int i = 0; i < 3; ++i) h.after(1s);
  EXPECT_EQ(h.runtime.count("start"), starts) << "the aborted revision is not started again";
  EXPECT_EQ(h.names("v1", "Ready").size(), 2u);
  EXPECT_EQ(h.status().value("phase", ""), "Degraded") << h.status().dump(2);
  // Until a retry.
  ASSERT_TRUE(h.ctl().retry("web"));
  h.pass();
  EXPECT_GT(h.runtime.count("start"), starts);
}

}  // namespace
}  // namespace rollway::controller::fakes
