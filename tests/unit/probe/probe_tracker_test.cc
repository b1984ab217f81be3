#include "rollway/probe/probe_tracker.h"

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

namespace rollway::probe {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

spec::Probe probeWith(int period, int failureThreshold = 3, int successThreshold = 1, int initialDelay = 0) {
  spec::Probe probe;
  probe.periodSeconds = period;
  probe.failureThreshold = failureThreshold;
  probe.successThreshold = successThreshold;
  probe.initialDelaySeconds = initialDelay;
  return probe;
}

std::vector<ProbeEventKind> kinds(const std::vector<ProbeEvent>& events) {
  std::vector<ProbeEventKind> out;
  for (const auto& event : events) out.push_back(event.kind);
  return out;
}

using K = ProbeEventKind;

class ProbeTrackerTest : public ::testing::Test {
 protected:
  // Runs `type` now (it must be due) and records `outcome`.
  std::vector<ProbeEvent> run(ProbeTracker& tracker, ProbeType type, ProbeOutcome outcome,
                              const std::string& message = "msg") {
    EXPECT_TRUE(tracker.isDue(type)) << probeTypeName(type);
    EXPECT_TRUE(tracker.begin(type)) << probeTypeName(type);
    return tracker.record(type, outcome, message);
  }
  // Advances to the next due time of `type`, then runs it.
  std::vector<ProbeEvent> runNext(ProbeTracker& tracker, ProbeType type, ProbeOutcome outcome,
                                  const std::string& message = "msg") {
    auto due = tracker.nextDue(type);
    EXPECT_TRUE(due.has_value()) << probeTypeName(type);
    if (due && *due > clock_.now()) clock_.advance(*due - clock_.now());
    return run(tracker, type, outcome, message);
  }

  FakeClock clock_;
  SteadyTime start_ = clock_.now();
};

TEST_F(ProbeTrackerTest, DefaultsAreKubernetes) {
  spec::Probe probe;
  EXPECT_EQ(probe.initialDelaySeconds, 0);
  EXPECT_EQ(probe.periodSeconds, 10);
  EXPECT_EQ(probe.timeoutSeconds, 1);
  EXPECT_EQ(probe.successThreshold, 1);
  EXPECT_EQ(probe.failureThreshold, 3);
}

TEST_F(ProbeTrackerTest, NoProbesStartedReadyAndAvailableAtOnce) {
  ProbeTracker tracker(clock_, spec::Template{}, start_);
  EXPECT_EQ(kinds(tracker.poll()), (std::vector<K>{K::kStarted, K::kReady, K::kAvailable}));
  EXPECT_TRUE(tracker.started());
  EXPECT_TRUE(tracker.ready());
  EXPECT_TRUE(tracker.available());
  EXPECT_TRUE(tracker.poll().empty());
  EXPECT_FALSE(tracker.nextWakeup().has_value());
}

TEST_F(ProbeTrackerTest, InitialDelayThenPeriod) {
  spec::Template tmpl;
  tmpl.livenessProbe = probeWith(10, 3, 1, 5);
  ProbeTracker tracker(clock_, tmpl, start_);
  tracker.poll();
  EXPECT_EQ(tracker.nextDue(ProbeType::kLiveness), start_ + seconds(5));
  EXPECT_FALSE(tracker.isDue(ProbeType::kLiveness));
  EXPECT_FALSE(tracker.begin(ProbeType::kLiveness));
  clock_.advance(milliseconds(4999));
  EXPECT_FALSE(tracker.isDue(ProbeType::kLiveness));
  clock_.advance(milliseconds(1));
  ASSERT_TRUE(tracker.begin(ProbeType::kLiveness));
  // Never two at once: nothing is due while the attempt is in flight.
  EXPECT_FALSE(tracker.nextDue(ProbeType::kLiveness).has_value());
  EXPECT_FALSE(tracker.begin(ProbeType::kLiveness));
  clock_.advance(milliseconds(300));
  tracker.record(ProbeType::kLiveness, ProbeOutcome::kSuccess, "ok");
  // Next on the period grid of the scheduled time, not of the completion.
  EXPECT_EQ(tracker.nextDue(ProbeType::kLiveness), start_ + seconds(15));
}

TEST_F(ProbeTrackerTest, SlowAttemptSkipsGridSlots) {
  spec::Template tmpl;
  tmpl.livenessProbe = probeWith(2);
  ProbeTracker tracker(clock_, tmpl, start_);
  tracker.poll();
  ASSERT_TRUE(tracker.begin(ProbeType::kLiveness));
  clock_.advance(milliseconds(4500));  // took longer than two periods
  tracker.record(ProbeType::kLiveness, ProbeOutcome::kSuccess, "ok");
  EXPECT_EQ(tracker.nextDue(ProbeType::kLiveness), start_ + seconds(6));
}

TEST_F(ProbeTrackerTest, StartupGatesLivenessAndReadiness) {
  spec::Template tmpl;
  tmpl.startupProbe = probeWith(1, 30);
  tmpl.livenessProbe = probeWith(10);
  tmpl.readinessProbe = probeWith(2);
  ProbeTracker tracker(clock_, tmpl, start_);
  EXPECT_TRUE(tracker.poll().empty());
  EXPECT_FALSE(tracker.started());
  EXPECT_TRUE(tracker.isDue(ProbeType::kStartup));
  EXPECT_FALSE(tracker.nextDue(ProbeType::kLiveness).has_value());
  EXPECT_FALSE(tracker.nextDue(ProbeType::kReadiness).has_value());
  EXPECT_FALSE(tracker.begin(ProbeType::kReadiness));

  EXPECT_TRUE(run(tracker, ProbeType::kStartup, ProbeOutcome::kFailure).empty());
  clock_.advance(seconds(1));
  EXPECT_TRUE(run(tracker, ProbeType::kStartup, ProbeOutcome::kFailure).empty());
  EXPECT_FALSE(tracker.nextDue(ProbeType::kLiveness).has_value());
  clock_.advance(seconds(1));
  auto events = run(tracker, ProbeType::kStartup, ProbeOutcome::kSuccess);
  ASSERT_EQ(kinds(events), (std::vector<K>{K::kStarted}));
  EXPECT_EQ(events[0].probe, ProbeType::kStartup);
  EXPECT_EQ(events[0].reason, "Startup probe succeeded");
  EXPECT_TRUE(tracker.started());
  EXPECT_FALSE(tracker.ready());
  // Startup is done for good; the gated probes run at once.
  EXPECT_FALSE(tracker.nextDue(ProbeType::kStartup).has_value());
  EXPECT_TRUE(tracker.isDue(ProbeType::kLiveness));
  EXPECT_TRUE(tracker.isDue(ProbeType::kReadiness));
  EXPECT_EQ(kinds(run(tracker, ProbeType::kReadiness, ProbeOutcome::kSuccess)),
            (std::vector<K>{K::kReady, K::kAvailable}));
}

TEST_F(ProbeTrackerTest, GatedProbeStillHonoursItsInitialDelay) {
  spec::Template tmpl;
  tmpl.startupProbe = probeWith(1);
  tmpl.readinessProbe = probeWith(10, 3, 1, 20);
  ProbeTracker tracker(clock_, tmpl, start_);
  tracker.poll();
  clock_.advance(seconds(3));
  tracker.begin(ProbeType::kStartup);
  tracker.record(ProbeType::kStartup, ProbeOutcome::kSuccess, "");
  EXPECT_EQ(tracker.nextDue(ProbeType::kReadiness), start_ + seconds(20));
}

TEST_F(ProbeTrackerTest, StartupFailureThresholdRequiresRestart) {
  spec::Template tmpl;
  tmpl.startupProbe = probeWith(1, 30);
  tmpl.livenessProbe = probeWith(10);
  ProbeTracker tracker(clock_, tmpl, start_);
  tracker.poll();
  for (int i = 1; i < 30; ++i) {
    EXPECT_TRUE(runNext(tracker, ProbeType::kStartup, ProbeOutcome::kFailure, "HTTP probe failed with statuscode: 500").empty()) << i;
  }
  EXPECT_EQ(clock_.now(), start_ + seconds(28));
  auto events = runNext(tracker, ProbeType::kStartup, ProbeOutcome::kFailure, "HTTP probe failed with statuscode: 500");
  ASSERT_EQ(kinds(events), (std::vector<K>{K::kRestartRequired}));
  EXPECT_EQ(events[0].probe, ProbeType::kStartup);
  EXPECT_EQ(events[0].reason, "Startup probe failed 30 times: HTTP probe failed with statuscode: 500");
  EXPECT_TRUE(tracker.restartRequired());
  EXPECT_FALSE(tracker.started());
  // Terminal: nothing is due any more.
  EXPECT_FALSE(tracker.nextWakeup().has_value());
  for (ProbeType type : kAllProbeTypes) EXPECT_FALSE(tracker.nextDue(type).has_value());
}

TEST_F(ProbeTrackerTest, LivenessFailureThresholdRequiresRestart) {
  spec::Template tmpl;
  tmpl.livenessProbe = probeWith(10, 3);
  ProbeTracker tracker(clock_, tmpl, start_);
  EXPECT_EQ(kinds(tracker.poll()), (std::vector<K>{K::kStarted, K::kReady, K::kAvailable}));
  EXPECT_TRUE(runNext(tracker, ProbeType::kLiveness, ProbeOutcome::kFailure).empty());
  EXPECT_TRUE(runNext(tracker, ProbeType::kLiveness, ProbeOutcome::kFailure).empty());
  EXPECT_EQ(tracker.consecutiveFailures(ProbeType::kLiveness), 2);
  auto events = runNext(tracker, ProbeType::kLiveness, ProbeOutcome::kFailure, "connect 127.0.0.1:8080: Connection refused");
  // Out of rotation first, then the restart.
  ASSERT_EQ(kinds(events), (std::vector<K>{K::kNotReady, K::kRestartRequired}));
  EXPECT_EQ(events[1].reason, "Liveness probe failed 3 times: connect 127.0.0.1:8080: Connection refused");
  EXPECT_EQ(events[0].reason, "Liveness probe failed 3 times: connect 127.0.0.1:8080: Connection refused; restarting");
  EXPECT_EQ(clock_.now(), start_ + seconds(20));
  EXPECT_FALSE(tracker.ready());
  EXPECT_FALSE(tracker.available());
  EXPECT_TRUE(tracker.restartRequired());
}

TEST_F(ProbeTrackerTest, FailureStreakInterruptedBySuccessDoesNotRestart) {
  spec::Template tmpl;
  tmpl.livenessProbe = probeWith(1, 3);
  ProbeTracker tracker(clock_, tmpl, start_);
  tracker.poll();
  for (int round = 0; round < 5; ++round) {
    EXPECT_TRUE(runNext(tracker, ProbeType::kLiveness, ProbeOutcome::kFailure).empty());
    EXPECT_TRUE(runNext(tracker, ProbeType::kLiveness, ProbeOutcome::kTimeout).empty());
    EXPECT_TRUE(runNext(tracker, ProbeType::kLiveness, ProbeOutcome::kSuccess).empty());
    EXPECT_EQ(tracker.consecutiveFailures(ProbeType::kLiveness), 0);
  }
  EXPECT_FALSE(tracker.restartRequired());
}

TEST_F(ProbeTrackerTest, TimeoutsCountAsFailures) {
  spec::Template tmpl;
  tmpl.livenessProbe = probeWith(5, 2);
  ProbeTracker tracker(clock_, tmpl, start_);
  tracker.poll();
  EXPECT_TRUE(runNext(tracker, ProbeType::kLiveness, ProbeOutcome::kTimeout, "timed out after 1s").empty());
  auto events = runNext(tracker, ProbeType::kLiveness, ProbeOutcome::kTimeout, "timed out after 1s");
  ASSERT_EQ(kinds(events).back(), K::kRestartRequired);
  EXPECT_EQ(events.back().reason, "Liveness probe failed 2 times: timed out after 1s");
}

TEST_F(ProbeTrackerTest, NotReadyBeforeFirstReadinessSuccess) {
  spec::Template tmpl;
  tmpl.readinessProbe = probeWith(2, 3);
  ProbeTracker tracker(clock_, tmpl, start_);
  EXPECT_EQ(kinds(tracker.poll()), (std::vector<K>{K::kStarted}));
  EXPECT_TRUE(tracker.started());
  EXPECT_FALSE(tracker.ready());
  // Failures before the first success change nothing (already not ready, no restart).
  for (int i = 0; i < 5; ++i) {
    EXPECT_TRUE(runNext(tracker, ProbeType::kReadiness, ProbeOutcome::kFailure).empty());
  }
  EXPECT_FALSE(tracker.ready());
  EXPECT_FALSE(tracker.restartRequired());
  auto events = runNext(tracker, ProbeType::kReadiness, ProbeOutcome::kSuccess);
  ASSERT_EQ(kinds(events), (std::vector<K>{K::kReady, K::kAvailable}));
  EXPECT_EQ(events[0].reason, "Readiness probe succeeded");
  EXPECT_EQ(events[0].probe, ProbeType::kReadiness);
  EXPECT_TRUE(tracker.ready());
}

TEST_F(ProbeTrackerTest, ReadinessSuccessThresholdNeedsConsecutiveSuccesses) {
  spec::Template tmpl;
  tmpl.readinessProbe = probeWith(1, 3, 3);
  ProbeTracker tracker(clock_, tmpl, start_);
  tracker.poll();
  EXPECT_TRUE(runNext(tracker, ProbeType::kReadiness, ProbeOutcome::kSuccess).empty());
  EXPECT_TRUE(runNext(tracker, ProbeType::kReadiness, ProbeOutcome::kSuccess).empty());
  EXPECT_TRUE(runNext(tracker, ProbeType::kReadiness, ProbeOutcome::kFailure).empty());  // resets the count
  EXPECT_TRUE(runNext(tracker, ProbeType::kReadiness, ProbeOutcome::kSuccess).empty());
  EXPECT_TRUE(runNext(tracker, ProbeType::kReadiness, ProbeOutcome::kSuccess).empty());
  EXPECT_FALSE(tracker.ready());
  auto events = runNext(tracker, ProbeType::kReadiness, ProbeOutcome::kSuccess);
  ASSERT_EQ(kinds(events), (std::vector<K>{K::kReady, K::kAvailable}));
  EXPECT_EQ(events[0].reason, "Readiness probe succeeded 3 times in a row");
}

TEST_F(ProbeTrackerTest, SuccessThresholdIsOneForLivenessAndStartup) {
  spec::Template tmpl;
  tmpl.startupProbe = probeWith(1, 3, 5);
  ProbeTracker tracker(clock_, tmpl, start_);
  tracker.poll();
  EXPECT_EQ(tracker.probe(ProbeType::kStartup)->successThreshold, 1);
  EXPECT_EQ(kinds(run(tracker, ProbeType::kStartup, ProbeOutcome::kSuccess)),
            (std::vector<K>{K::kStarted, K::kReady, K::kAvailable}));
}

TEST_F(ProbeTrackerTest, ReadinessFailuresNotReadyThenBackToReady) {
  spec::Template tmpl;
  tmpl.readinessProbe = probeWith(1, 3, 2);
  ProbeTracker tracker(clock_, tmpl, start_);
  tracker.poll();
  runNext(tracker, ProbeType::kReadiness, ProbeOutcome::kSuccess);
  ASSERT_EQ(kinds(runNext(tracker, ProbeType::kReadiness, ProbeOutcome::kSuccess)),
            (std::vector<K>{K::kReady, K::kAvailable}));
  // Two failures: still ready (threshold 3).
  EXPECT_TRUE(runNext(tracker, ProbeType::kReadiness, ProbeOutcome::kFailure).empty());
  EXPECT_TRUE(runNext(tracker, ProbeType::kReadiness, ProbeOutcome::kTimeout).empty());
  EXPECT_TRUE(tracker.ready());
  auto events = runNext(tracker, ProbeType::kReadiness, ProbeOutcome::kFailure, "HTTP probe failed with statuscode: 503");
  ASSERT_EQ(kinds(events), (std::vector<K>{K::kNotReady}));
  EXPECT_EQ(events[0].reason, "Readiness probe failed 3 times: HTTP probe failed with statuscode: 503");
  EXPECT_FALSE(tracker.ready());
  EXPECT_FALSE(tracker.available());
  EXPECT_FALSE(tracker.restartRequired());  // readiness never restarts
  // More failures: no more events; the probe keeps running.
  EXPECT_TRUE(runNext(tracker, ProbeType::kReadiness, ProbeOutcome::kFailure).empty());
  EXPECT_TRUE(runNext(tracker, ProbeType::kReadiness, ProbeOutcome::kSuccess).empty());
  EXPECT_FALSE(tracker.ready());
  EXPECT_EQ(kinds(runNext(tracker, ProbeType::kReadiness, ProbeOutcome::kSuccess)),
            (std::vector<K>{K::kReady, K::kAvailable}));
  EXPECT_TRUE(tracker.ready());
}

TEST_F(ProbeTrackerTest, AvailableOnlyAfterMinReadySeconds) {
  spec::Template tmpl;
  tmpl.readinessProbe = probeWith(1, 1);
  ProbeTracker tracker(clock_, tmpl, start_, 10);
  tracker.poll();
  ASSERT_EQ(kinds(run(tracker, ProbeType::kReadiness, ProbeOutcome::kSuccess)), (std::vector<K>{K::kReady}));
  const SteadyTime readyAt = clock_.now();
  EXPECT_FALSE(tracker.available());
  // The owner is told to wake up when availability is due.
  clock_.advance(milliseconds(500));
  runNext(tracker, ProbeType::kReadiness, ProbeOutcome::kSuccess);
  EXPECT_LE(*tracker.nextWakeup(), readyAt + seconds(10));
  clock_.advance(readyAt + seconds(10) - milliseconds(1) - clock_.now());
  EXPECT_TRUE(tracker.poll().empty());
  EXPECT_FALSE(tracker.available());
  clock_.advance(milliseconds(1));
  auto events = tracker.poll();
  ASSERT_EQ(kinds(events), (std::vector<K>{K::kAvailable}));
  EXPECT_EQ(events[0].reason, "Ready for 10s (minReadySeconds 10)");
  EXPECT_TRUE(tracker.available());
}

TEST_F(ProbeTrackerTest, NotReadyResetsTheAvailabilityClock) {
  spec::Template tmpl;
  tmpl.readinessProbe = probeWith(1, 1);
  ProbeTracker tracker(clock_, tmpl, start_, 5);
  tracker.poll();
  run(tracker, ProbeType::kReadiness, ProbeOutcome::kSuccess);  // ready at t=0
  clock_.advance(seconds(3));
  ASSERT_EQ(kinds(runNext(tracker, ProbeType::kReadiness, ProbeOutcome::kFailure)), (std::vector<K>{K::kNotReady}));
  EXPECT_FALSE(tracker.available());
  ASSERT_EQ(kinds(runNext(tracker, ProbeType::kReadiness, ProbeOutcome::kSuccess)), (std::vector<K>{K::kReady}));
  const SteadyTime readyAgain = clock_.now();  // t=4
  clock_.advance(seconds(2));                 // t=6: 5s after the first Ready, but not continuously
  EXPECT_TRUE(tracker.poll().empty());
  EXPECT_FALSE(tracker.available());
  clock_.advance(readyAgain + seconds(5) - clock_.now());
  EXPECT_EQ(kinds(tracker.poll()), (std::vector<K>{K::kAvailable}));
}

TEST_F(ProbeTrackerTest, AvailableEndsWithNotReady) {
  spec::Template tmpl;
  tmpl.readinessProbe = probeWith(1, 1);
  ProbeTracker tracker(clock_, tmpl, start_, 0);
  tracker.poll();
  EXPECT_EQ(kinds(run(tracker, ProbeType::kReadiness, ProbeOutcome::kSuccess)),
            (std::vector<K>{K::kReady, K::kAvailable}));
  EXPECT_EQ(kinds(runNext(tracker, ProbeType::kReadiness, ProbeOutcome::kFailure)), (std::vector<K>{K::kNotReady}));
  EXPECT_FALSE(tracker.available());
}

TEST_F(ProbeTrackerTest, MinReadySecondsWithoutReadinessProbe) {
  ProbeTracker tracker(clock_, spec::Template{}, start_, 3);
  EXPECT_EQ(kinds(tracker.poll()), (std::vector<K>{K::kStarted, K::kReady}));
  EXPECT_EQ(tracker.nextWakeup(), start_ + seconds(3));
  clock_.advance(seconds(3));
  EXPECT_EQ(kinds(tracker.poll()), (std::vector<K>{K::kAvailable}));
}

TEST_F(ProbeTrackerTest, SetMinReadySecondsAppliesToTheRunningClock) {
  ProbeTracker tracker(clock_, spec::Template{}, start_, 60);
  tracker.poll();
  clock_.advance(seconds(5));
  EXPECT_TRUE(tracker.poll().empty());
  tracker.setMinReadySeconds(5);
  EXPECT_EQ(kinds(tracker.poll()), (std::vector<K>{K::kAvailable}));
}

TEST_F(ProbeTrackerTest, LivenessAndReadinessRunIndependently) {
  spec::Template tmpl;
  tmpl.livenessProbe = probeWith(10, 3);
  tmpl.readinessProbe = probeWith(5, 1);
  ProbeTracker tracker(clock_, tmpl, start_);
  tracker.poll();
  ASSERT_TRUE(tracker.begin(ProbeType::kLiveness));
  ASSERT_TRUE(tracker.begin(ProbeType::kReadiness));
  EXPECT_TRUE(tracker.inFlight(ProbeType::kLiveness));
  EXPECT_TRUE(tracker.inFlight(ProbeType::kReadiness));
  tracker.record(ProbeType::kReadiness, ProbeOutcome::kSuccess, "");
  EXPECT_EQ(tracker.nextWakeup(), start_ + seconds(5));
  tracker.record(ProbeType::kLiveness, ProbeOutcome::kFailure, "");
  EXPECT_TRUE(tracker.ready());  // liveness failures below the threshold leave readiness alone
  EXPECT_EQ(tracker.nextDue(ProbeType::kLiveness), start_ + seconds(10));
}

TEST_F(ProbeTrackerTest, RecordWithoutAttemptIsIgnored) {
  spec::Template tmpl;
  tmpl.livenessProbe = probeWith(1, 1);
  ProbeTracker tracker(clock_, tmpl, start_);
  tracker.poll();
  EXPECT_TRUE(tracker.record(ProbeType::kLiveness, ProbeOutcome::kFailure, "stray").empty());
  EXPECT_FALSE(tracker.restartRequired());
}

TEST_F(ProbeTrackerTest, AbandonedAttemptIsNotCounted) {
  spec::Template tmpl;
  tmpl.livenessProbe = probeWith(1, 1);
  ProbeTracker tracker(clock_, tmpl, start_);
  tracker.poll();
  ASSERT_TRUE(tracker.begin(ProbeType::kLiveness));
  tracker.abandon(ProbeType::kLiveness);
  EXPECT_TRUE(tracker.isDue(ProbeType::kLiveness));
  EXPECT_EQ(tracker.consecutiveFailures(ProbeType::kLiveness), 0);
}

TEST_F(ProbeTrackerTest, OutOfRangeFieldsAreClamped) {
  spec::Template tmpl;
  tmpl.readinessProbe = probeWith(0, 0, 0, -5);
  ProbeTracker tracker(clock_, tmpl, start_);
  const spec::Probe* probe = tracker.probe(ProbeType::kReadiness);
  ASSERT_NE(probe, nullptr);
  EXPECT_EQ(probe->periodSeconds, 1);
  EXPECT_EQ(probe->failureThreshold, 1);
  EXPECT_EQ(probe->successThreshold, 1);
  EXPECT_EQ(probe->initialDelaySeconds, 0);
}

}  // namespace
}  // namespace rollway::probe
