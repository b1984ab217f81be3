// Controller::evict against fakes (issue 15): an eviction goes through the disruption
// budget (429's code when it would break it), starts a replacement on the same revision
// first, and stops the evicted instance only once the replacement is available.
#include <gtest/gtest.h>

#include <algorithm>

#include "fakes/controller_harness.h"
#include "fakes/loop_helpers.h"
#include "rollway/controller/disruption_budget.h"

namespace rollway::controller::fakes {
namespace {

using namespace std::chrono_literals;

const std::string kBudgetOne = "  disruptionBudget: {maxUnavailable: 1}\n";

bool terminated(const ControllerHarness& h, const std::string& name) {
  return std::any_of(h.runtime.actions.begin(), h.runtime.actions.end(),
                     [&](const std::string& a) { return a.rfind("terminate " + name + " ", 0) == 0; });
}

nlohmann::json instance(ControllerHarness& h, const std::string& name) {
  for (const auto& i : h.instances()) {
    if (i.value("name", "") == name) return i;
  }
  return nullptr;
}

// Instances of v1 other than `known` (the replacements started since).
std::vector<std::string> newNames(ControllerHarness& h, const std::vector<std::string>& known) {
  std::vector<std::string> out;
  for (const auto& n : h.names("v1")) {
    if (!has(known, n)) out.push_back(n);
  }
  return out;
}

TEST(EvictionBudget, KubernetesCheck) {
  EXPECT_TRUE(evictionAllowed(true, 3, 2));
  EXPECT_FALSE(evictionAllowed(true, 2, 2));
  EXPECT_TRUE(evictionAllowed(false, 2, 2)) << "losing an unavailable instance costs nothing";
  EXPECT_TRUE(evictionAllowed(true, 1, 0)) << "no budget: replicas 1 may be evicted (its replacement comes first)";
  EXPECT_FALSE(evictionAllowed(true, 1, 1)) << "minAvailable = replicas blocks every eviction, as in Kubernetes";
}

TEST(Eviction, ReplacementFirstThenTheTerminationSequence) {
  ControllerHarness h;
  firstRollout(h, kRollingSurgeOne + kBudgetOne, 3);
  auto before = h.names("v1");
  const std::string victim = before[0];
  auto reply = h.ctl().evict(victim);
  ASSERT_TRUE(reply) << reply.error().message;
  EXPECT_TRUE(reply->created);
  EXPECT_EQ(reply->state, "Evicting");
  EXPECT_EQ(reply->service, "web");
  h.pass();
  auto started = newNames(h, before);
  ASSERT_EQ(started.size(), 1u) << "one replacement, on the evicted instance's revision";
  EXPECT_FALSE(terminated(h, victim)) << "nothing is signalled before the replacement is available";
  EXPECT_EQ(readyCount(h), 3);
  EXPECT_TRUE(instance(h, victim).value("evicting", false));
  EXPECT_EQ(instance(h, victim).value("replacement", ""), started[0]);
  EXPECT_EQ(h.status().value("phase", ""), "Complete") << "an eviction is not a rollout: " << h.status().dump(2);
  EXPECT_EQ(h.status().value("totalReplicas", 0), 3) << "the pending replacement is not counted";

  h.after(5s);
  EXPECT_FALSE(terminated(h, victim));
  h.makeHealthy("v1");
  EXPECT_TRUE(terminated(h, victim)) << "the replacement is available: the evicted one goes";
  EXPECT_EQ(readyCount(h), 3) << "the replacement is in, the evicted one out of rotation";
  h.exitTerminated();
  EXPECT_TRUE(instance(h, victim).is_null());
  EXPECT_EQ(h.names("v1").size(), 3u);
  EXPECT_EQ(h.status().value("phase", ""), "Complete");
  auto reasons = h.eventReasons();
  EXPECT_TRUE(has(reasons, "EvictionRequested"));
  EXPECT_TRUE(has(reasons, "EvictionReplacementReady"));
  EXPECT_TRUE(has(reasons, "Evicted"));
  EXPECT_EQ(h.runtime.count("start"), 4u) << "nothing else was started";
}

TEST(Eviction, OneReplicaWithoutBudgetNeverHasNoneAvailable) {
  ControllerHarness h;
  firstRollout(h, kRollingSurgeOne, 1);
  const std::string victim = h.names("v1")[0];
  ASSERT_TRUE(h.ctl().evict(victim));
  for (int step = 0; step < 4; ++step) {
    h.pass();
    EXPECT_GE(readyCount(h), 1) << "step " << step;
    h.after(1s);
    EXPECT_GE(readyCount(h), 1) << "step " << step;
  }
  EXPECT_FALSE(terminated(h, victim));
  h.makeHealthy("v1");
  EXPECT_GE(readyCount(h), 1);
  EXPECT_TRUE(terminated(h, victim));
  h.exitTerminated();
  EXPECT_EQ(readyCount(h), 1);
  EXPECT_EQ(h.names("v1").size(), 1u);
  EXPECT_NE(h.names("v1")[0], victim);
}

TEST(Eviction, TheBudgetAnswersTooManyRequestsCountingEvictionsUnderWay) {
  ControllerHarness h;
  firstRollout(h, kRollingSurgeOne + kBudgetOne, 3);
  auto names = h.names("v1");
  ASSERT_TRUE(h.ctl().evict(names[0]));
  auto second = h.ctl().evict(names[1]);
  ASSERT_FALSE(second) << "maxUnavailable 1 and one eviction under way";
  EXPECT_EQ(second.error().code, ErrorCode::kTooManyRequests);
  EXPECT_NE(second.error().message.find("2 available"), std::string::npos) << second.error().message;
  EXPECT_NE(second.error().message.find("requires 2"), std::string::npos) << second.error().message;
  EXPECT_NE(second.error().message.find("retry"), std::string::npos) << second.error().message;
  // Asked again and again (rollway evict --wait): one event per 10 s, not one per ask.
  for (int i = 0; i < 5; ++i) EXPECT_FALSE(h.ctl().evict(names[1]));
  auto reasons = h.eventReasons();
  EXPECT_EQ(std::count(reasons.begin(), reasons.end(), "EvictionBlocked"), 1);
  h.after(11s);
  EXPECT_FALSE(h.ctl().evict(names[1]));
  reasons = h.eventReasons();
  EXPECT_EQ(std::count(reasons.begin(), reasons.end(), "EvictionBlocked"), 2);

  // Once the first one's replacement is available, the next one may go.
  h.makeHealthy("v1");
  EXPECT_TRUE(terminated(h, names[0]));
  auto again = h.ctl().evict(names[1]);
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_TRUE(again->created);
}

TEST(Eviction, MinAvailableEqualToReplicasRefusesAsKubernetesDoes) {
  ControllerHarness h;
  firstRollout(h, kRollingSurgeOne + "  disruptionBudget: {minAvailable: 1}\n", 1);
  auto reply = h.ctl().evict(h.names("v1")[0]);
  ASSERT_FALSE(reply);
  EXPECT_EQ(reply.error().code, ErrorCode::kTooManyRequests);
  h.pass();
  EXPECT_EQ(h.runtime.count("start"), 1u) << "a refused eviction starts nothing";
}

TEST(Eviction, AnUnavailableInstanceMayAlwaysGo) {
  ControllerHarness h;
  firstRollout(h, kRollingSurgeOne + "  disruptionBudget: {minAvailable: 2}\n", 2);
  const std::string sick = h.names("v1")[0];
  h.health.emit(sick, probe::ProbeEventKind::kNotReady);
  h.pass();
  auto reply = h.ctl().evict(sick);
  ASSERT_TRUE(reply) << reply.error().message;
  h.pass();
  EXPECT_TRUE(terminated(h, sick)) << "it serves nothing: it stops as soon as its replacement runs";
  h.exitTerminated();
  EXPECT_EQ(h.names("v1").size(), 2u);
}

TEST(Eviction, ACrashLoopingReplacementKeepsTheEvictedOneRunning) {
  ControllerHarness h;
  firstRollout(h, kRollingSurgeOne, 2);
  auto before = h.names("v1");
  const std::string victim = before[0];
  ASSERT_TRUE(h.ctl().evict(victim));
  h.pass();
  auto started = newNames(h, before);
  ASSERT_EQ(started.size(), 1u);
  const std::string replacement = started[0];
  for (int crash = 0; crash < 4; ++crash) {
    h.runtime.exit(replacement, supervisor::ExitInfo::exited(1));
    h.pass();
    EXPECT_FALSE(terminated(h, victim)) << "crash " << crash;
    EXPECT_EQ(readyCount(h), 2);
    h.after(5min);  // past the back-off: restarted in place
  }
  auto reasons = h.eventReasons();
  EXPECT_EQ(std::count(reasons.begin(), reasons.end(), "EvictionStalled"), 1) << "once per replacement";
  auto shown = instance(h, victim);
  EXPECT_TRUE(shown.value("evicting", false));
  EXPECT_NE(shown.value("message", "").find("waiting for its replacement " + replacement), std::string::npos)
      << shown.dump();
  EXPECT_EQ(newNames(h, before).size(), 1u) << "the same replacement, restarted in place";
  EXPECT_EQ(h.status().value("phase", ""), "Complete");
  // It recovers: the eviction completes.
  h.makeHealthy("v1");
  EXPECT_TRUE(terminated(h, victim));
}

TEST(Eviction, RepeatedAndUnknownAndMalformed) {
  ControllerHarness h;
  firstRollout(h, kRollingSurgeOne, 2);
  const std::string victim = h.names("v1")[0];
  ASSERT_TRUE(h.ctl().evict(victim));
  h.pass();
  auto again = h.ctl().evict(victim);
  ASSERT_TRUE(again);
  EXPECT_FALSE(again->created);
  EXPECT_EQ(again->state, "Evicting");
  EXPECT_NE(again->message.find("already being evicted"), std::string::npos);
  h.pass();
  EXPECT_EQ(h.runtime.count("start"), 3u) << "one replacement however often it is asked";

  h.makeHealthy("v1");
  ASSERT_TRUE(terminated(h, victim));
  auto terminating = h.ctl().evict(victim);
  ASSERT_TRUE(terminating);
  EXPECT_FALSE(terminating->created);
  EXPECT_EQ(terminating->state, "Terminating");
  h.exitTerminated();

  auto gone = h.ctl().evict(victim);
  ASSERT_FALSE(gone);
  EXPECT_EQ(gone.error().code, ErrorCode::kNotFound);
  for (std::string bad : {std::string(""), std::string("../web"), std::string("web 1"), std::string(300, 'a'),
                          std::string("web\0x", 5), std::string("w\xff")}) {
    auto r = h.ctl().evict(bad);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument) << bad;
  }
}

TEST(Eviction, TheReplacementOfAPendingEvictionIsNotEvictedItself) {
  ControllerHarness h;
  firstRollout(h, kRollingSurgeOne, 2);
  auto before = h.names("v1");
  ASSERT_TRUE(h.ctl().evict(before[0]));
  h.pass();
  auto started = newNames(h, before);
  ASSERT_EQ(started.size(), 1u);
  auto r = h.ctl().evict(started[0]);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kConflict);
}

// The rolling update sees the evicted instance as the slot and never the replacement, so
// its maxSurge / maxUnavailable arithmetic holds; the real availability is sampled at every
// step: old instances evicted mid-rollout (their replacement on the old revision), new ones
// too, and the rollout still completes with nothing left over.
TEST(Eviction, DuringARollingUpdateTheBoundsHold) {
  for (const std::string& strategy :
       {std::string("  strategy: {type: RollingUpdate, rollingUpdate: {maxSurge: 1, maxUnavailable: 0}}\n"),
        std::string("  strategy: {type: RollingUpdate, rollingUpdate: {maxSurge: 0, maxUnavailable: 1}}\n")}) {
    SCOPED_TRACE(strategy);
    ControllerHarness h;
    firstRollout(h, strategy + kBudgetOne, 3);
    const int minReady = strategy.find("maxUnavailable: 0") != std::string::npos ? 3 : 2;
    h.apply(spec("v2", 3, strategy + kBudgetOne));
    h.pass();
    ASSERT_EQ(h.status().value("phase", ""), "Progressing");
    int evictions = 0;
    int refused = 0;
    for (int round = 0; round < 30 && h.status().value("phase", "") != "Complete"; ++round) {
      h.pass();
      EXPECT_GE(readyCount(h), minReady) << "round " << round;
      // Each round, evict the oldest instance that is not yet leaving (v1 first, then v2).
      for (const std::string& version : {std::string("v1"), std::string("v2")}) {
        auto names = h.names(version, "Ready");
        auto it = std::find_if(names.begin(), names.end(),
                               [&](const std::string& n) { return !instance(h, n).value("evicting", false); });
        if (it == names.end()) continue;
        auto r = h.ctl().evict(*it);
        if (r) {
          evictions += r->created ? 1 : 0;
        } else {
          EXPECT_EQ(r.error().code, ErrorCode::kTooManyRequests) << r.error().message;
          ++refused;
        }
        break;
      }
      h.pass();
      EXPECT_GE(readyCount(h), minReady) << "round " << round;
      if (round % 2 == 0) h.makeHealthy("v1");  // old-revision replacements come up too
      EXPECT_GE(readyCount(h), minReady) << "round " << round;
      h.makeHealthy("v2");
      EXPECT_GE(readyCount(h), minReady) << "round " << round;
      h.exitTerminated();
      EXPECT_GE(readyCount(h), minReady) << "round " << round;
    }
    for (int i = 0; i < 5 && h.status().value("phase", "") != "Complete"; ++i) {
      h.makeHealthy("v2");
      h.exitTerminated();
    }
    EXPECT_EQ(h.status().value("phase", ""), "Complete") << h.status().dump(2);
    // With maxUnavailable 0 evictions go through between batches; with maxUnavailable 1
    // the rollout itself uses up the budget's one disruption, so they are refused (429).
    if (minReady == 3) {
      EXPECT_GT(evictions, 1);
    }
    EXPECT_GE(evictions + refused, 3);
    EXPECT_TRUE(h.names("v1").empty());
    EXPECT_EQ(h.names("v2").size(), 3u) << "no replacement left over";
    for (const auto& i : h.instances()) EXPECT_FALSE(i.value("evicting", false)) << i.dump();
  }
}

// An old instance evicted mid-rollout whose slot the rollout then replaces: its replacement
// (on the old revision, not available yet) goes with it instead of staying behind.
TEST(Eviction, ARolloutThatStopsTheEvictedSlotStopsItsReplacementToo) {
  ControllerHarness h;
  firstRollout(h, kRollingSurgeOne, 2);
  auto v1 = h.names("v1");
  ASSERT_TRUE(h.ctl().evict(v1[0]));
  h.pass();
  auto replacement = newNames(h, v1);
  ASSERT_EQ(replacement.size(), 1u);
  h.apply(spec("v2", 2, kRollingSurgeOne));
  h.pass();
  ASSERT_EQ(h.status().value("phase", ""), "Progressing");
  for (int round = 0; round < 8 && h.status().value("phase", "") != "Complete"; ++round) {
    h.pass();
    EXPECT_GE(readyCount(h), 2);
    h.makeHealthy("v2");
    h.exitTerminated();
  }
  EXPECT_EQ(h.status().value("phase", ""), "Complete") << h.status().dump(2);
  EXPECT_TRUE(h.names("v1").empty()) << "the old revision's replacement did not stay: " << h.ctl().instances("web").dump() << h.status().dump();
  EXPECT_TRUE(terminated(h, replacement[0]));
  EXPECT_TRUE(has(h.eventReasons(), "Evicted"));
}

TEST(Eviction, AScaleDownDuringAnEvictionLeavesTheWantedCount) {
  ControllerHarness h;
  firstRollout(h, kRollingSurgeOne, 3);
  auto before = h.names("v1");
  ASSERT_TRUE(h.ctl().evict(before[0]));
  h.pass();
  h.apply(spec("v1", 1, kRollingSurgeOne));
  h.pass();
  h.exitTerminated();
  h.makeHealthy("v1");
  h.exitTerminated();
  EXPECT_EQ(h.names("v1").size(), 1u);
  EXPECT_EQ(readyCount(h), 1);
}

TEST(Eviction, SurvivesADaemonRestart) {
  ControllerHarness h;
  firstRollout(h, kRollingSurgeOne + kBudgetOne, 3);
  auto before = h.names("v1");
  const std::string victim = before[0];
  ASSERT_TRUE(h.ctl().evict(victim));
  h.pass();
  auto started = newNames(h, before);
  ASSERT_EQ(started.size(), 1u);
  for (const auto& [name, pid] : h.runtime.pids) h.runtime.keepAlive(pid, 1000 + pid);
  h.runtime.running.clear();
  h.make();
  ASSERT_TRUE(h.ctl().start());
  h.pass();
  EXPECT_EQ(h.runtime.count("start"), 4u) << "the replacement was adopted, not started again";
  auto shown = instance(h, victim);
  EXPECT_TRUE(shown.value("evicting", false)) << shown.dump();
  EXPECT_EQ(shown.value("replacement", ""), started[0]);
  auto blocked = h.ctl().evict(before[1]);
  ASSERT_FALSE(blocked) << "the eviction under way still counts against the budget";
  EXPECT_EQ(blocked.error().code, ErrorCode::kTooManyRequests);
  for (const auto& name : h.names("v1")) h.health.healthy(name);
  h.pass();
  EXPECT_TRUE(terminated(h, victim));
  h.exitTerminated();
  EXPECT_EQ(h.names("v1").size(), 3u);
  EXPECT_TRUE(instance(h, victim).is_null());
}

TEST(Eviction, AReplacementLostWithTheDaemonIsStartedAgain) {
  ControllerHarness h;
  firstRollout(h, kRollingSurgeOne, 2);
  auto before = h.names("v1");
  ASSERT_TRUE(h.ctl().evict(before[0]));
  h.pass();
  auto started = newNames(h, before);
  ASSERT_EQ(started.size(), 1u);
  for (const auto& name : before) h.runtime.keepAlive(h.runtime.pids[name], 1000 + h.runtime.pids[name]);
  h.runtime.running.clear();
  h.make();
  ASSERT_TRUE(h.ctl().start());
  h.pass();
  EXPECT_TRUE(has(h.eventReasons(), "InstanceLost"));
  auto now = newNames(h, before);
  ASSERT_EQ(now.size(), 1u) << "one new replacement, no extra instance";
  EXPECT_NE(now[0], started[0]);
  EXPECT_FALSE(terminated(h, before[0]));
  EXPECT_EQ(readyCount(h), 2);
}

}  // namespace
}  // namespace rollway::controller::fakes
