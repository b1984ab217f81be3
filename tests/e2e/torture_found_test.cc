// Bugs the torture test found (torture_test.cc), each pinned by a focused test that
// fails without its fix.
#include <gtest/gtest.h>

#include <thread>

#include "rollout_fixture.h"

namespace rollway::e2e {
namespace {

class TortureFoundTest : public RolloutTest {
 protected:
  // Promotes whatever waits until the rollout is Complete, Failed or `timeout` passed;
  // returns the last status.
  nlohmann::json promoteToEnd(std::chrono::seconds timeout) {
    nlohmann::json st;
    auto end = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < end) {
      st = daemon_->status("web");
      std::string phase = st.is_null() ? "" : st.value("phase", "");
      if (phase == "Complete" || phase == "Failed") break;
      if (phase == "Paused") daemon_->run({"rollout", "promote", "web"});
      std::this_thread::sleep_for(200ms);
    }
    return st;
  }

  // `rollout restart` while a Canary / BlueGreen rollout waits at a pause: the rollout
  // must still complete, on instances started after the restart.
  void restartWhilePaused(const std::string& strategy) {
    service_.replicas = 2;
    service_.progressDeadlineSeconds = 6;
    service_.strategy = strategy;
    ASSERT_EQ(apply(), 0);
    ASSERT_EQ(rolloutStatus(), 0) << daemon_->log();
    service_.version = "v2";
    ASSERT_EQ(apply(), 0);
    ASSERT_TRUE(waitFor([&] { return daemon_->status("web").value("phase", "") == "Paused"; }, 20s))
        << daemon_->status("web").dump(2);
    auto restart = daemon_->run({"rollout", "restart", "web"});
    ASSERT_EQ(restart.exitCode, 0) << restart.out << restart.err;
    int64_t restartedAt = daemon_->status("web").value("restartedAtMs", int64_t{0});
    ASSERT_GT(restartedAt, 0);
    auto st = promoteToEnd(30s);
    // Before the fix the canary / preview instances started before the restart counted
    // for the plan (by template) but not as updated: "1 of 2 updated" for ever, then
    // ProgressDeadlineExceeded (and autoRollback would undo a healthy revision).
    ASSERT_EQ(st.value("phase", ""), "Complete") << st.dump(2) << "\n" << daemon_->events("web");
    EXPECT_EQ(st.value("updatedReplicas", 0), 2);
    EXPECT_TRUE(waitFor([&] { return allOn("v2"); }, 10s)) << daemon_->instances("web").dump(2);
    for (const auto& i : daemon_->instances("web")) {
      if (i.value("phase", "") == "Terminating") continue;
      EXPECT_GE(i.value("createdAtMs", int64_t{0}), restartedAt) << i.dump();
    }
  }
};

// Seed 109: Canary, `rollout restart` during the canary, then the rollout never completed.
TEST_F(TortureFoundTest, RestartDuringACanaryStillCompletes) {
  restartWhilePaused(
      "  strategy:\n    type: Canary\n    canary: {steps: [{setWeight: 50}, {pause: {}}]}\n");
}

// The same through a blue-green preview waiting for promotion.
TEST_F(TortureFoundTest, RestartDuringABlueGreenPreviewStillCompletes) {
  restartWhilePaused("  strategy:\n    type: BlueGreen\n    blueGreen: {scaleDownDelaySeconds: 0}\n");
}

// Seed 117: the stable template was applied again (re-numbered, as Kubernetes does) and
// left again before it completed; the status kept the old number, which no revision has
// any more ("traffic is on revision 1" after an abort, with no revision 1 in the history).
TEST_F(TortureFoundTest, StableRevisionFollowsItsTemplateWhenRenumbered) {
  service_.replicas = 2;
  service_.strategy = "  strategy:\n    type: BlueGreen\n    blueGreen: {scaleDownDelaySeconds: 0}\n";
  ASSERT_EQ(apply(), 0);
  ASSERT_EQ(rolloutStatus(), 0) << daemon_->log();
  service_.version = "v2";
  ASSERT_EQ(apply(), 0);  // revision 2: its preview comes up, then waits for promotion
  ASSERT_TRUE(waitFor([&] { return daemon_->status("web").value("phase", "") == "Paused"; }, 20s))
      << daemon_->status("web").dump(2);
  ASSERT_EQ(daemon_->run({"rollout", "pause", "web"}).exitCode, 0);
  // v1 again: revision 1 becomes revision 3; paused, the v2 preview stays, so it does
  // not complete (which would have written the new number).
  auto undo = daemon_->run({"rollout", "undo", "web", "--to-revision", "1"});
  ASSERT_EQ(undo.exitCode, 0) << undo.out << undo.err;
  service_.version = "v3";
  ASSERT_EQ(apply(), 0);  // revision 4
  ASSERT_EQ(daemon_->run({"rollout", "resume", "web"}).exitCode, 0);
  ASSERT_TRUE(waitFor([&] { return daemon_->status("web").value("phase", "") == "Paused"; }, 20s))
      << daemon_->status("web").dump(2);
  auto abort = daemon_->run({"rollout", "abort", "web"});
  ASSERT_EQ(abort.exitCode, 0) << abort.out << abort.err;
  auto st = daemon_->status("web");
  EXPECT_EQ(st.value("stableRevision", 0), 3) << st.dump(2) << "\n" << daemon_->run({"rollout", "history", "web"}).out;
  EXPECT_NE(st.value("message", "").find("traffic is on revision 3"), std::string::npos) << st.dump(2);
}

}  // namespace
}  // namespace rollway::e2e
