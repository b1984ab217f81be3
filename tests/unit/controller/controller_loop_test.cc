// The Controller's loop against fakes: each test applies a spec, runs reconcile passes,
// plays the instances' health and exits, and compares what the controller asked of the
// runtime, the health source and the proxy. No process, no socket, no sleeping.
#include <gtest/gtest.h>

#include <algorithm>

#include "fakes/controller_harness.h"
#include "fakes/loop_helpers.h"

namespace rollway::controller::fakes {
namespace {

using namespace std::chrono_literals;

TEST(ControllerLoop, FirstRolloutStartsProbesAndRoutesEveryReplica) {
  ControllerHarness h;
  h.apply(spec("v1", 3));
  ASSERT_TRUE(h.ctl().start());
  h.pass();
  EXPECT_EQ(h.runtime.count("start"), 3u);
  EXPECT_EQ(h.health.probed.size(), 3u);
  EXPECT_EQ(h.status().value("phase", ""), "Progressing");
  h.makeHealthy("v1");
  EXPECT_EQ(h.status().value("phase", ""), "Complete");
  ASSERT_FALSE(h.proxy.pushed.empty());
  const auto& last = h.proxy.pushed.back();
  ASSERT_EQ(last.listeners.size(), 1u);
  size_t endpoints = 0;
  for (const auto& svc : last.listeners[0].services) {
    for (const auto& rev : svc.revisions) endpoints += rev.endpoints.size();
  }
  EXPECT_EQ(endpoints, 3u);
  EXPECT_TRUE(has(h.eventReasons(), "RolloutComplete"));
}

TEST(ControllerLoop, RollingUpdateSurgeOneNeverDropsBelowReplicas) {
  ControllerHarness h;
  firstRollout(h);
  h.apply(spec("v2", 2, kRollingSurgeOne));
  h.pass();
  // Each round: the new one becomes healthy, an old one drains and exits.
  for (int round = 0; round < 6 && h.status().value("phase", "") != "Complete"; ++round) {
    h.pass();
    EXPECT_LE(h.instances().size(), 3u) << "maxSurge 1";
    EXPECT_GE(readyCount(h), 2) << "maxUnavailable 0";
    h.makeHealthy("v2");
    EXPECT_GE(readyCount(h), 2);
    h.exitTerminated();
  }
  EXPECT_EQ(h.status().value("phase", ""), "Complete") << h.status().dump(2);
  EXPECT_EQ(h.names("v2").size(), 2u);
  EXPECT_TRUE(h.names("v1").empty());
  EXPECT_EQ(h.runtime.count("terminate"), 2u);
}

TEST(ControllerLoop, DrainWaitsForInFlightThenTheGracePeriodEnds) {
  ControllerHarness h;
  firstRollout(h, kRollingSurgeOne, 1);
  auto old = h.instances()[0];
  h.proxy.inFlightByAddress[old.value("address", "")] = 2;
  h.apply(spec("v2", 1, kRollingSurgeOne));
  h.pass();
  h.makeHealthy("v2");
  // Out of rotation (the proxy has it draining), not signalled while requests run.
  EXPECT_EQ(h.runtime.count("terminate"), 0u);
  EXPECT_EQ(h.names("v1", "Terminating").size(), 1u);
  h.proxy.inFlightByAddress.clear();
  h.pass();
  EXPECT_EQ(h.runtime.count("terminate"), 1u);
  EXPECT_TRUE(has(h.eventReasons(), "Drained"));
}

TEST(ControllerLoop, DrainEndsAtTheGracePeriodWithRequestsStillInFlight) {
  ControllerHarness h;
  firstRollout(h, kRollingSurgeOne, 1);
  auto old = h.instances()[0];
  h.proxy.inFlightByAddress[old.value("address", "")] = 1;
  h.apply(spec("v2", 1, kRollingSurgeOne));
  h.pass();
  h.makeHealthy("v2");
  EXPECT_EQ(h.runtime.count("terminate"), 0u);
  h.after(31s);  // terminationGracePeriodSeconds defaults to 30
  EXPECT_EQ(h.runtime.count("terminate"), 1u);
}

TEST(ControllerLoop, RefusedSnapshotHoldsTerminationAndShowsInStatus) {
  ControllerHarness h;
  firstRollout(h, kRollingSurgeOne, 1);
  h.proxy.refusePush = "listener 127.0.0.1:18080: address in use";
  h.apply(spec("v2", 1, kRollingSurgeOne));
  h.pass();
  h.makeHealthy("v2");
  h.after(2s);
  EXPECT_EQ(h.runtime.count("terminate"), 0u) << "an instance the proxy may still route to is never signalled";
  EXPECT_NE(h.status().value("routingError", "").find("address in use"), std::string::npos) << h.status().dump(2);
  EXPECT_NE(h.status().value("phase", ""), "Complete");
  h.proxy.refusePush.reset();
  h.after(2s);
  EXPECT_EQ(h.runtime.count("terminate"), 1u);
  h.exitTerminated();
  EXPECT_EQ(h.status().value("phase", ""), "Complete");
  EXPECT_EQ(h.status().value("routingError", "x"), "");
}

TEST(ControllerLoop, CrashBacksOffThenRestartsInPlace) {
  ControllerHarness h;
  firstRollout(h, kRollingSurgeOne, 1);
  std::string name = h.names("v1")[0];
  h.runtime.exit(name, supervisor::ExitInfo::exited(3));
  h.pass();
  auto inst = h.instances()[0];
  EXPECT_EQ(inst.value("phase", ""), "CrashLoopBackOff");
  EXPECT_EQ(h.runtime.count("start"), 1u);
  h.after(10s);  // past the initial back-off
  EXPECT_EQ(h.runtime.count("start"), 2u);
  EXPECT_EQ(h.names("v1").at(0), name) << "restarted in place, same name";
  EXPECT_EQ(h.instances()[0].value("restarts", 0), 1);
}

TEST(ControllerLoop, AnInstanceLostWithItsNodeStartsAgainAtOnceWithoutBackOff) {
  ControllerHarness h;
  firstRollout(h, kRollingSurgeOne, 1);
  std::string name = h.names("v1")[0];
  h.runtime.exit(name, supervisor::ExitInfo::lost());
  h.pass();
  EXPECT_EQ(h.runtime.count("start"), 2u) << "no back-off: its node was lost, it did not crash";
  EXPECT_TRUE(has(h.eventReasons(), "NodeLost"));
  EXPECT_FALSE(has(h.eventReasons(), "BackOff"));
}

// A liveness restart is a disruption that can wait while the instance still serves: with
// disruptionBudget {maxUnavailable: 1}, two instances failing liveness restart one after
// the other; without a budget, both at once (below).
TEST(ControllerLoop, LivenessRestartsOfServingInstancesWaitForTheDisruptionBudget) {
  ControllerHarness h;
  firstRollout(h, kRollingSurgeOne + "  disruptionBudget: {maxUnavailable: 1}\n", 3);
  auto names = h.names("v1");
  ASSERT_EQ(names.size(), 3u);
  h.health.emit(names[0], probe::ProbeEventKind::kRestartRequired, "Liveness probe failed 3 times");
  h.health.emit(names[1], probe::ProbeEventKind::kRestartRequired, "Liveness probe failed 3 times");
  h.pass();
  EXPECT_EQ(h.runtime.count("terminate"), 1u) << "the second waits: the budget spares one";
  EXPECT_TRUE(has(h.eventReasons(), "DisruptionBudget"));
  h.exitTerminated();
  h.after(10s);  // back-off, then the first starts again
  EXPECT_EQ(h.runtime.count("terminate"), 1u) << "not before the first is available again";
  h.makeHealthy("v1");
  h.pass();
  EXPECT_EQ(h.runtime.count("terminate"), 2u) << "the held restart goes once the budget allows";
}

TEST(ControllerLoop, AHeldLivenessRestartGoesAtOnceWhenTheInstanceStopsServing) {
  ControllerHarness h;
  firstRollout(h, kRollingSurgeOne + "  disruptionBudget: {minAvailable: 3}\n", 3);
  auto names = h.names("v1");
  h.health.emit(names[0], probe::ProbeEventKind::kRestartRequired, "Liveness probe failed 3 times");
  h.pass();
  EXPECT_EQ(h.runtime.count("terminate"), 0u) << "minAvailable = replicas: held while it serves";
  h.health.emit(names[0], probe::ProbeEventKind::kNotReady, "Readiness probe failed");
  h.pass();
  EXPECT_EQ(h.runtime.count("terminate"), 1u) << "serving nothing, it costs the budget nothing";
}

TEST(ControllerLoop, WithoutABudgetLivenessRestartsAreNotHeld) {
  ControllerHarness h;
  firstRollout(h, kRollingSurgeOne, 3);
  auto names = h.names("v1");
  h.health.emit(names[0], probe::ProbeEventKind::kRestartRequired, "Liveness probe failed 3 times");
  h.health.emit(names[1], probe::ProbeEventKind::kRestartRequired, "Liveness probe failed 3 times");
  h.pass();
  EXPECT_EQ(h.runtime.count("terminate"), 2u);
}

TEST(ControllerLoop, LivenessFailureDrainsThenRestartsTheSameSlot) {
  ControllerHarness h;
  firstRollout(h, kRollingSurgeOne, 1);
  std::string name = h.names("v1")[0];
  h.health.emit(name, probe::ProbeEventKind::kRestartRequired, "Liveness probe failed 3 times");
  h.pass();
  EXPECT_EQ(h.runtime.count("terminate"), 1u);
  EXPECT_TRUE(has(h.eventReasons(), "Unhealthy"));
  h.exitTerminated();
  h.after(10s);
  EXPECT_EQ(h.runtime.count("start"), 2u);
  EXPECT_EQ(h.names("v1").at(0), name);
}

TEST(ControllerLoop, DeadlineFailsTheRolloutAndAutoRollbackGoesBack) {
  ControllerHarness h;
  firstRollout(h, kRollingSurgeOne, 1);
  h.apply(spec("v2", 1, kRollingSurgeOne + "  autoRollback: true\n"));
  h.pass();
  EXPECT_EQ(h.names("v2").size(), 1u);  // never becomes ready
  h.after(61s);
  auto reasons = h.eventReasons();
  EXPECT_TRUE(has(reasons, "ProgressDeadlineExceeded"));
  EXPECT_TRUE(has(reasons, "RolledBack"));
  h.pass();
  h.exitTerminated();
  EXPECT_EQ(h.status().value("rolledBackFrom", 0), 2);
  EXPECT_EQ(h.status().value("revision", 0), 3) << "the old template comes back as a new revision";
  EXPECT_EQ(h.status().value("phase", ""), "Complete") << h.status().dump(2);
  EXPECT_TRUE(h.names("v2").empty());
}

TEST(ControllerLoop, AdoptsRunningInstancesAfterADaemonRestartWithoutStartingNewOnes) {
  ControllerHarness h;
  firstRollout(h, kRollingSurgeOne, 2);
  for (const auto& [name, pid] : h.runtime.pids) h.runtime.keepAlive(pid, 1000 + pid);
  h.runtime.running.clear();  // the old daemon's watches are gone with it
  size_t startsBefore = h.runtime.count("start");
  h.make();
  ASSERT_TRUE(h.ctl().start());
  h.pass();
  EXPECT_EQ(h.runtime.count("adopt"), 2u);
  EXPECT_EQ(h.runtime.count("start"), startsBefore);
  EXPECT_EQ(readyCount(h), 2) << "adopted ready instances stay in rotation until probed";
}

TEST(ControllerLoop, AnInstanceThatDiedWithTheDaemonIsReplaced) {
  ControllerHarness h;
  firstRollout(h, kRollingSurgeOne, 2);
  auto pids = h.runtime.pids;
  h.runtime.keepAlive(pids.begin()->second, 1000 + pids.begin()->second);  // only the first survives
  h.runtime.running.clear();
  h.make();
  ASSERT_TRUE(h.ctl().start());
  h.pass();
  EXPECT_TRUE(has(h.eventReasons(), "InstanceLost"));
  EXPECT_EQ(h.runtime.count("start"), 3u);
}

const std::string kCanary =
    "  strategy:\n    type: Canary\n    canary:\n      steps:\n        - setWeight: 50\n        - pause: {}\n";

int canaryWeightPushed(ControllerHarness& h) {
  if (h.proxy.pushed.empty()) return -1;
  for (const auto& l : h.proxy.pushed.back().listeners) {
    for (const auto& s : l.services) {
      for (const auto& r : s.revisions) {
        if (r.revision == 2) return r.weight;
      }
    }
  }
  return 0;
}

// v2 applied over a complete v1 with `strategy`; its first instances healthy.
void startV2(ControllerHarness& h, const std::string& strategy, int replicas = 2) {
  h.apply(spec("v2", replicas, strategy));
  h.pass();
  h.makeHealthy("v2");
}

// The canary of kCanary promoted past its pause to Complete.
void finishCanary(ControllerHarness& h) {
  ASSERT_TRUE(h.ctl().promote("web"));
  h.pass();
  h.makeHealthy("v2");
  h.exitTerminated();
  ASSERT_EQ(h.status().value("phase", ""), "Complete") << h.status().dump(2);
}

TEST(ControllerLoop, CanaryStepsPauseThenPromoteThenStableDrains) {
  ControllerHarness h;
  firstRollout(h, kCanary, 2);
  h.apply(spec("v2", 2, kCanary));
  h.pass();
  EXPECT_EQ(h.names("v2").size(), 1u);  // setWeight 50 of 2
  h.makeHealthy("v2");
  EXPECT_EQ(h.status().value("canaryWeight", 0), 50);
  EXPECT_EQ(canaryWeightPushed(h), 50);
  EXPECT_EQ(h.status().value("phase", ""), "Paused");
  EXPECT_TRUE(has(h.eventReasons(), "CanaryStep"));
  ASSERT_TRUE(h.ctl().promote("web"));
  h.pass();
  EXPECT_EQ(h.names("v2").size(), 2u);
  h.makeHealthy("v2");
  EXPECT_EQ(h.status().value("canaryWeight", 0), 100);
  h.exitTerminated();
  EXPECT_EQ(h.status().value("phase", ""), "Complete") << h.status().dump(2);
  EXPECT_TRUE(h.names("v1").empty());
}

TEST(ControllerLoop, CanaryAbortPutsWeightZeroAndDrainsTheCanaryRetryStartsOver) {
  ControllerHarness h;
  firstRollout(h, kCanary, 2);
  startV2(h, kCanary);
  ASSERT_EQ(canaryWeightPushed(h), 50);
  ASSERT_TRUE(h.ctl().abort("web"));
  EXPECT_EQ(canaryWeightPushed(h), 0) << "weight 0 in one swap, before the canary drains";
  h.pass();
  h.exitTerminated();
  EXPECT_TRUE(h.names("v2").empty());
  EXPECT_EQ(h.status().value("phase", ""), "Degraded");
  EXPECT_FALSE(h.ctl().abort("web")) << "already aborted";
  ASSERT_TRUE(h.ctl().retry("web"));
  h.pass();
  EXPECT_EQ(h.names("v2").size(), 1u);
  EXPECT_EQ(h.status().value("stepIndex", -1), 0);
}

TEST(ControllerLoop, PromoteWithNothingWaitingIsAConflict) {
  ControllerHarness h;
  firstRollout(h, kCanary, 2);
  auto r = h.ctl().promote("web");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kConflict);
  EXPECT_EQ(h.ctl().promote("nope").error().code, ErrorCode::kNotFound);
}

const std::string kBlueGreen =
    "  strategy:\n    type: BlueGreen\n    blueGreen: {scaleDownDelaySeconds: 30}\n";

TEST(ControllerLoop, BlueGreenPreviewThenOneSwapThenOldGoesAfterTheDelay) {
  ControllerHarness h;
  firstRollout(h, kBlueGreen, 2);
  h.apply(spec("v2", 2, kBlueGreen));
  h.pass();
  EXPECT_EQ(h.names("v2").size(), 2u);  // full-size preview
  h.makeHealthy("v2");
  EXPECT_EQ(canaryWeightPushed(h), 0);
  EXPECT_EQ(h.status().value("phase", ""), "Paused");
  ASSERT_TRUE(h.ctl().promote("web"));
  h.pass();
  EXPECT_EQ(canaryWeightPushed(h), 100);
  EXPECT_EQ(h.status().value("phase", ""), "Complete");
  EXPECT_EQ(h.runtime.count("terminate"), 0u) << "old revision kept for scaleDownDelaySeconds";
  h.after(31s);
  h.exitTerminated();
  EXPECT_EQ(h.runtime.count("terminate"), 2u);
  EXPECT_TRUE(h.names("v1").empty());
}

TEST(ControllerLoop, BlueGreenUndoWithinTheDelayIsOneSwapBackToTheSameInstances) {
  ControllerHarness h;
  firstRollout(h, kBlueGreen, 2);
  auto v1 = h.names("v1");
  h.apply(spec("v2", 2, kBlueGreen));
  h.pass();
  h.makeHealthy("v2");
  ASSERT_TRUE(h.ctl().promote("web"));
  h.pass();
  ASSERT_EQ(h.status().value("phase", ""), "Complete");
  size_t starts = h.runtime.count("start");
  h.after(10s);  // within scaleDownDelaySeconds (30)
  // rollout undo: the old template again (revision 3), straight to all traffic.
  h.apply(spec("v1", 2, kBlueGreen));
  h.ctl().skipSteps("web");
  h.pass();
  EXPECT_EQ(h.runtime.count("start"), starts) << "nothing started: the kept instances take the traffic back";
  EXPECT_EQ(h.names("v1", "Ready"), v1);
  EXPECT_EQ(h.status().value("phase", ""), "Complete") << h.status().dump(2);
  int v1Weight = -1;
  for (const auto& l : h.proxy.pushed.back().listeners) {
    for (const auto& svc : l.services) {
      for (const auto& r : svc.revisions) {
        if (r.revision == 3) v1Weight = r.weight;
      }
    }
  }
  EXPECT_EQ(v1Weight, 100) << "one swap";
}

TEST(ControllerLoop, ATimedCanaryPauseEndsWhenTheClockSaysSoWithoutAPoke) {
  const std::string timed =
      "  strategy:\n    type: Canary\n    canary:\n      steps:\n        - setWeight: 50\n"
      "        - pause: {duration: 20s}\n        - setWeight: 75\n";
  ControllerHarness h;
  firstRollout(h, timed, 4);
  h.apply(spec("v2", 4, timed));
  h.pass();
  h.makeHealthy("v2");
  ASSERT_EQ(h.status().value("stepIndex", -1), 1) << h.status().dump(2);
  h.clock().advance(19s);
  h.pass();
  EXPECT_EQ(h.status().value("stepIndex", -1), 1);
  // The controller's own timer (armed for the pause's end) fires: no API call, no poke.
  h.clock().advance(1s);
  h.fireTimers();
  EXPECT_EQ(h.status().value("stepIndex", -1), 2) << h.status().dump(2);
  EXPECT_EQ(h.names("v2").size(), 3u) << "setWeight 75 of 4";
}

TEST(ControllerLoop, UndoWithoutStepsGoesStraightToAllTraffic) {
  ControllerHarness h;
  firstRollout(h, kCanary, 2);
  startV2(h, kCanary);
  finishCanary(h);
  // rollout undo (the API applies the old template, then skipSteps).
  auto reasonsBefore = h.eventReasons();
  auto stepsBefore = std::count(reasonsBefore.begin(), reasonsBefore.end(), "CanaryStep");
  h.apply(spec("v1", 2, kCanary));
  h.ctl().skipSteps("web");
  h.pass();
  EXPECT_EQ(h.names("v1").size(), 2u) << "all replicas at once: no setWeight 50 step";
  h.makeHealthy("v1");
  EXPECT_EQ(h.status().value("canaryWeight", 0), 100);
  h.exitTerminated();
  EXPECT_EQ(h.status().value("phase", ""), "Complete") << h.status().dump(2);
  EXPECT_TRUE(h.names("v2").empty());
  auto reasons = h.eventReasons();
  EXPECT_EQ(std::count(reasons.begin(), reasons.end(), "CanaryStep"), stepsBefore) << "no step ran";
}

// ---- Analysis through the providers, and the verbs that change a spec ----

const std::string kAnalysis =
    "  analysis:\n    interval: 5s\n    failureLimit: 1\n    minRequests: 0\n    metrics:\n"
    "      - name: prom-errors\n        successCondition: \"== 0\"\n"
    "        provider: {prometheus: {address: \"http://127.0.0.1:9\", query: \"x\"}}\n";
const std::string kCanaryWithAnalysis =
    "  strategy:\n    type: Canary\n    canary:\n      steps:\n        - setWeight: 50\n        - analysis: {}\n" +
    kAnalysis;

// Moves the clock one analysis interval at a time until `done` (at most `rounds`).
template <typename F>
void analysisRounds(ControllerHarness& h, int rounds, F done) {
  for (int i = 0; i < rounds && !done(); ++i) h.after(5s);
}

TEST(ControllerLoop, CanaryAnalysisStepPassesOnAGoodWindowThenGoesOn) {
  ControllerHarness h;
  h.proxy.metricsJson = {{"services", nlohmann::json::object()}};
  h.prometheus.value = 0.0;
  firstRollout(h, kCanaryWithAnalysis, 2);
  startV2(h, kCanaryWithAnalysis);
  ASSERT_EQ(h.status().value("stepIndex", -1), 1);
  analysisRounds(h, 4, [&] { return h.status().value("stepIndex", -1) == 2; });
  EXPECT_EQ(h.status().value("stepIndex", -1), 2) << h.status().dump(2);
  EXPECT_GE(h.prometheus.calls, 1);
  EXPECT_EQ(h.status()["analysis"].value("verdict", ""), "Successful") << h.status()["analysis"].dump();
  h.makeHealthy("v2");
  h.exitTerminated();
  EXPECT_EQ(h.status().value("phase", ""), "Complete");
}

TEST(ControllerLoop, CanaryAnalysisFailingAbortsToTheStable) {
  ControllerHarness h;
  h.proxy.metricsJson = {{"services", nlohmann::json::object()}};
  h.prometheus.value = 3.0;
  firstRollout(h, kCanaryWithAnalysis, 2);
  startV2(h, kCanaryWithAnalysis);
  analysisRounds(h, 6, [&] { return h.status().value("aborted", false); });
  EXPECT_TRUE(h.status().value("aborted", false)) << h.status().dump(2);
  EXPECT_TRUE(has(h.eventReasons(), "RolloutAborted"));
  EXPECT_EQ(canaryWeightPushed(h), 0);
  h.pass();
  h.exitTerminated();
  EXPECT_TRUE(h.names("v2").empty());
  EXPECT_EQ(h.status().value("phase", ""), "Degraded");
}

TEST(ControllerLoop, RollingUpdateAnalysisFailingRollsBack) {
  ControllerHarness h;
  h.proxy.metricsJson = {{"services", nlohmann::json::object()}};
  h.prometheus.value = 3.0;
  firstRollout(h, kRollingSurgeOne + kAnalysis, 2);
  h.apply(spec("v2", 2, kRollingSurgeOne + kAnalysis));
  h.pass();
  h.makeHealthy("v2");
  analysisRounds(h, 6, [&] { return has(h.eventReasons(), "RolledBack"); });
  EXPECT_TRUE(has(h.eventReasons(), "RolloutAborted"));
  EXPECT_TRUE(has(h.eventReasons(), "RolledBack"));
  for (int i = 0; i < 4; ++i) {
    h.makeHealthy("v1");
    h.exitTerminated();
  }
  EXPECT_EQ(h.status().value("phase", ""), "Complete") << h.status().dump(2);
  EXPECT_EQ(h.status().value("rolledBackFrom", 0), 2);
  EXPECT_TRUE(h.names("v2").empty());
}

TEST(ControllerLoop, UndoWithStepsRunsTheStepsAgain) {
  ControllerHarness h;
  firstRollout(h, kCanary, 2);
  startV2(h, kCanary);
  finishCanary(h);
  h.apply(spec("v1", 2, kCanary));  // `rollout undo --with-steps`: no skipSteps
  h.pass();
  EXPECT_EQ(h.names("v1").size(), 1u) << "setWeight 50 first";
  h.makeHealthy("v1");
  EXPECT_EQ(h.status().value("phase", ""), "Paused");
}

TEST(ControllerLoop, RestartReplacesEveryInstanceWithoutANewRevision) {
  ControllerHarness h;
  firstRollout(h, kRollingSurgeOne, 2);
  auto before = h.names("v1");
  h.clock().advance(1s);  // instances created before the restart are the ones it replaces
  ASSERT_TRUE(h.ctl().restart("web"));
  for (int i = 0; i < 6; ++i) {
    h.after(1s);
    EXPECT_GE(readyCount(h), 2);
    h.makeHealthy("v1");
    h.exitTerminated();
  }
  auto after = h.names("v1");
  ASSERT_EQ(after.size(), 2u) << nlohmann::json(h.instances()).dump(2) << h.status().dump(2);
  for (const auto& name : after) EXPECT_FALSE(has(before, name)) << name;
  EXPECT_EQ(h.status().value("revision", 0), 1);
  EXPECT_EQ(h.status().value("phase", ""), "Complete");
}

TEST(ControllerLoop, ScaleUpAndDownKeepTheRevision) {
  ControllerHarness h;
  firstRollout(h, kRollingSurgeOne, 2);
  h.apply(spec("v1", 4, kRollingSurgeOne));
  h.pass();
  EXPECT_EQ(h.runtime.count("start"), 4u);
  h.makeHealthy("v1");
  EXPECT_EQ(h.status().value("phase", ""), "Complete");
  h.apply(spec("v1", 1, kRollingSurgeOne));
  h.pass();
  EXPECT_EQ(h.runtime.count("terminate"), 3u);
  h.exitTerminated();
  EXPECT_EQ(h.names("v1").size(), 1u);
  EXPECT_EQ(h.status().value("revision", 0), 1);
}

TEST(ControllerLoop, PausedSpecHoldsANewVersionUntilResumed) {
  ControllerHarness h;
  firstRollout(h, kRollingSurgeOne, 2);
  h.apply(spec("v2", 2, kRollingSurgeOne + "  paused: true\n"));
  h.pass();
  h.after(120s);
  EXPECT_TRUE(h.names("v2").empty());
  EXPECT_EQ(h.status().value("phase", ""), "Paused");
  EXPECT_FALSE(has(h.eventReasons(), "ProgressDeadlineExceeded")) << "a paused rollout has no deadline";
  h.apply(spec("v2", 2, kRollingSurgeOne));
  h.pass();
  EXPECT_EQ(h.names("v2").size(), 1u);
}

TEST(ControllerLoop, ChangingStrategyMidCanaryFinishesAsARollingUpdate) {
  ControllerHarness h;
  firstRollout(h, kCanary, 2);
  startV2(h, kCanary);
  ASSERT_EQ(h.status().value("phase", ""), "Paused");
  h.apply(spec("v2", 2, kRollingSurgeOne));  // same template: no new revision
  for (int i = 0; i < 6 && h.status().value("phase", "") != "Complete"; ++i) {
    h.pass();
    h.makeHealthy("v2");
    h.exitTerminated();
  }
  EXPECT_EQ(h.status().value("phase", ""), "Complete") << h.status().dump(2);
  EXPECT_EQ(h.names("v2").size(), 2u);
  EXPECT_TRUE(h.names("v1").empty());
  EXPECT_EQ(h.status().value("revision", 0), 2);
}

TEST(ControllerLoop, ShutdownAllDrainsEveryInstanceThenStopsTheProxy) {
  ControllerHarness h;
  firstRollout(h, kRollingSurgeOne, 2);
  bool done = false;
  h.ctl().shutdown(true, [&] { done = true; });
  h.pass();
  EXPECT_EQ(h.runtime.count("terminate"), 2u);
  EXPECT_FALSE(done);
  h.exitTerminated();
  EXPECT_TRUE(done);
  EXPECT_FALSE(h.proxy.up);
}

}  // namespace
}  // namespace rollway::controller::fakes
