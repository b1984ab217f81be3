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

// Seed 228: a new version applied while the canary had all the traffic but was not
// complete yet (here: one restarted instance not ready). The new rollout went back to
// the old stable revision, whose instances were already drained, and stopped every
// instance of the revision that carried all the traffic: 0 ready instances with
// maxUnavailable 0, requests held until the old stable had started again.
TEST_F(TortureFoundTest, ANewVersionWhileTheCanaryHasAllTheTrafficKeepsItServing) {
  service_.replicas = 2;
  service_.strategy =
      "  strategy:\n    type: Canary\n    rollingUpdate: {maxSurge: 1, maxUnavailable: 0}\n"
      "    canary: {steps: [{setWeight: 50}, {pause: {}}]}\n";
  ASSERT_EQ(apply(), 0);
  ASSERT_EQ(rolloutStatus(), 0) << daemon_->log();
  auto paused = [&] { return daemon_->status("web").value("phase", "") == "Paused"; };
  service_.version = "v2";
  service_.appArgs = {"--ready-delay", "2s"};
  ASSERT_EQ(apply(), 0);
  ASSERT_TRUE(waitFor(paused, 20s)) << daemon_->status("web").dump(2);
  ASSERT_EQ(daemon_->run({"rollout", "restart", "web"}).exitCode, 0);
  int64_t restartedAt = daemon_->status("web").value("restartedAtMs", int64_t{0});
  ASSERT_TRUE(waitFor(paused, 20s)) << daemon_->status("web").dump(2);
  ASSERT_EQ(daemon_->run({"rollout", "promote", "web"}).exitCode, 0);
  // Two restarted v2 instances start; one is held not ready, so the rollout reaches 100 %
  // (the older v2 instance and one restarted) but cannot complete.
  nlohmann::json fresh;
  ASSERT_TRUE(waitFor(
      [&] {
        fresh = nlohmann::json::array();
        for (const auto& i : daemon_->instances("web")) {
          if (i.value("version", "") == "v2" && i.value("createdAtMs", int64_t{0}) >= restartedAt) fresh.push_back(i);
        }
        return fresh.size() == 2;
      },
      10s))
      << daemon_->instances("web").dump(2);
  HttpConnection held(static_cast<uint16_t>(fresh[1].value("port", 0)));
  auto off = held.request("POST", "/admin/ready", {}, "off");
  ASSERT_TRUE(off && off->status == 200);
  ASSERT_TRUE(waitFor(
      [&] {
        auto st = daemon_->status("web");
        if (st.value("canaryWeight", 0) != 100) return false;
        for (const auto& i : daemon_->instances("web")) {
          if (i.value("version", "") == "v1") return false;  // the old stable, drained
        }
        return true;
      },
      20s))
      << daemon_->status("web").dump(2) << daemon_->instances("web").dump(2);
  service_.version = "v3";
  service_.appArgs = {"--ready-delay", "1s"};
  ASSERT_EQ(apply(), 0);
  // The v2 instances that carry the traffic stay in rotation while v3 comes up.
  auto end = std::chrono::steady_clock::now() + 3s;
  while (std::chrono::steady_clock::now() < end) {
    auto items = daemon_->instances("web");
    int ready = 0;
    for (const auto& i : items) ready += i.value("ready", false) && i.value("phase", "") != "Terminating" ? 1 : 0;
    ASSERT_GE(ready, 2) << items.dump(2) << daemon_->status("web").dump(2);
    std::this_thread::sleep_for(50ms);
  }
  EXPECT_EQ(daemon_->status("web").value("stableRevision", 0), 2) << daemon_->status("web").dump(2);
}

// Seed 404: the strategy changed from RollingUpdate to BlueGreen in the middle of a
// rolling update that had already replaced every old instance. The rollout switched to
// blue-green at once: the old revision, gone, was the stable one again; it was started
// anew, took all the traffic back as soon as it was ready (the new revision became a
// preview waiting for promotion). A rollout now finishes under the strategy it began with.
TEST_F(TortureFoundTest, AStrategyChangeMidRolloutKeepsTheNewVersionServing) {
  service_.replicas = 3;
  service_.maxSurge = "0";
  service_.maxUnavailable = "1";
  service_.appArgs = {"--ready-delay", "3s"};  // the old revision would take 3 s to come back
  ASSERT_EQ(apply(), 0);
  ASSERT_EQ(rolloutStatus(), 0) << daemon_->log();
  service_.version = "v2";
  service_.appArgs = {"--ready-delay", "1500ms"};
  ASSERT_EQ(apply(), 0);
  // The third v2 instance is held not ready: the rolling update has replaced every v1
  // instance but cannot complete.
  nlohmann::json third;
  ASSERT_TRUE(waitFor(
      [&] {
        int v2 = 0;
        third = nullptr;
        for (const auto& i : daemon_->instances("web")) {
          if (i.value("version", "") != "v2") continue;
          ++v2;
          if (third.is_null() || i.value("createdAtMs", int64_t{0}) > third.value("createdAtMs", int64_t{0})) third = i;
        }
        return v2 == 3;
      },
      20s))
      << daemon_->instances("web").dump(2);
  HttpConnection held(static_cast<uint16_t>(third.value("port", 0)));
  auto off = held.request("POST", "/admin/ready", {}, "off");
  ASSERT_TRUE(off && off->status == 200);
  ASSERT_TRUE(waitFor(
      [&] {
        int ready = 0;
        for (const auto& i : daemon_->instances("web")) {
          if (i.value("version", "") == "v1" && i.value("phase", "") != "Terminating") return false;
          ready += i.value("ready", false) ? 1 : 0;
        }
        return ready == 2;
      },
      20s))
      << daemon_->instances("web").dump(2);
  service_.strategy = "  strategy: {type: BlueGreen, rollingUpdate: {maxSurge: 0, maxUnavailable: 1}}\n";
  ASSERT_EQ(apply(), 0);
  // Every request is answered by v2, also once v1 could be ready again (3 s).
  auto end = std::chrono::steady_clock::now() + 5s;
  while (std::chrono::steady_clock::now() < end) {
    HttpConnection conn(service_.port, 5s);
    auto r = conn.request("GET", "/");
    ASSERT_TRUE(r) << daemon_->status("web").dump(2);
    const std::string* version = r->header("X-Version");
    ASSERT_TRUE(r->status == 200 && version && *version == "v2")
        << r->status << " " << (version ? *version : "-") << "\n" << daemon_->status("web").dump(2) << "\n"
        << daemon_->instances("web").dump(2);
    std::this_thread::sleep_for(50ms);
  }
  for (const auto& i : daemon_->instances("web")) EXPECT_EQ(i.value("version", ""), "v2") << i.dump() << daemon_->events("web");
}

// Found with seed 404: blue-green keeps the old revision up for scaleDownDelaySeconds
// after a switch, so that an undo is one swap. A service switched to BlueGreen within
// that delay after a rolling update had completed (its old instances all stopped)
// started `replicas` old instances again, only to stop them when the delay was over.
TEST_F(TortureFoundTest, BlueGreenDelayNeverStartsOldInstancesAgain) {
  service_.replicas = 2;
  ASSERT_EQ(apply(), 0);
  ASSERT_EQ(rolloutStatus(), 0) << daemon_->log();
  service_.version = "v2";
  ASSERT_EQ(apply(), 0);
  ASSERT_EQ(rolloutStatus(), 0) << daemon_->log();
  ASSERT_TRUE(waitFor([&] { return allOn("v2") && daemon_->instances("web").size() == 2; }, 10s));
  service_.strategy = "  strategy: {type: BlueGreen, blueGreen: {scaleDownDelaySeconds: 30}}\n";
  ASSERT_EQ(apply(), 0);
  auto end = std::chrono::steady_clock::now() + 3s;
  while (std::chrono::steady_clock::now() < end) {
    for (const auto& i : daemon_->instances("web")) ASSERT_EQ(i.value("version", ""), "v2") << i.dump();
    std::this_thread::sleep_for(100ms);
  }
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
