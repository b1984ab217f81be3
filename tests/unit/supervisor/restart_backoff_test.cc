#include "rollway/supervisor/restart_backoff.h"

#include <gtest/gtest.h>

namespace rollway::supervisor {
namespace {

using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;

TEST(RestartBackoff, KubernetesSchedule) {
  FakeClock clock;
  RestartBackoff backoff(clock);
  EXPECT_EQ(backoff.phase(), RestartBackoff::Phase::kNotStarted);
  std::vector<long> delays;
  for (int i = 0; i < 7; ++i) {
    backoff.started();
    EXPECT_EQ(backoff.phase(), RestartBackoff::Phase::kRunning);
    clock.advance(seconds(2));
    auto delay = backoff.exited(ExitInfo::exited(1));
    delays.push_back(std::chrono::duration_cast<seconds>(delay).count());
    EXPECT_EQ(backoff.phase(), RestartBackoff::Phase::kCrashLoopBackOff);
    EXPECT_EQ(backoff.nextRestartAt(), clock.now() + delay);
    EXPECT_FALSE(backoff.readyToRestart());
    clock.advance(delay - milliseconds(1));
    EXPECT_FALSE(backoff.readyToRestart());
    clock.advance(milliseconds(1));
    EXPECT_TRUE(backoff.readyToRestart());
  }
  EXPECT_EQ(delays, (std::vector<long>{10, 20, 40, 80, 160, 300, 300}));
  EXPECT_EQ(backoff.restartCount(), 6);
}

TEST(RestartBackoff, ResetsAfterTenMinutesUp) {
  FakeClock clock;
  RestartBackoff backoff(clock);
  for (int i = 0; i < 4; ++i) {
    backoff.started();
    backoff.exited(ExitInfo::exited(1));
    clock.advance(backoff.currentDelay());
  }
  EXPECT_EQ(backoff.currentDelay(), seconds(80));
  backoff.started();
  clock.advance(minutes(9));
  EXPECT_EQ(backoff.exited(ExitInfo::exited(1)), seconds(160));  // 9 min is not enough
  clock.advance(backoff.currentDelay());
  backoff.started();
  clock.advance(minutes(10));
  EXPECT_EQ(backoff.exited(ExitInfo::signaled(9)), seconds(10));
  clock.advance(backoff.currentDelay());
  backoff.started();
  EXPECT_EQ(backoff.exited(ExitInfo::exited(1)), seconds(20));
}

TEST(RestartBackoff, DescribesCrashLoop) {
  FakeClock clock;
  RestartBackoff backoff(clock);
  EXPECT_EQ(backoff.describe(), "NotStarted");
  backoff.started();
  EXPECT_EQ(backoff.describe(), "Running");
  backoff.exited(ExitInfo::exited(3));
  clock.advance(seconds(4));
  EXPECT_EQ(backoff.describe(), "CrashLoopBackOff: back-off 10s (last: exited with code 3), restart in 6s");
  ASSERT_TRUE(backoff.lastExit());
  EXPECT_EQ(*backoff.lastExit(), ExitInfo::exited(3));
}

TEST(RestartBackoff, CustomPolicy) {
  FakeClock clock;
  RestartBackoff backoff(clock, BackoffPolicy{milliseconds(100), milliseconds(250), seconds(1)});
  backoff.started();
  EXPECT_EQ(backoff.exited(ExitInfo::exited(1)), milliseconds(100));
  backoff.started();
  EXPECT_EQ(backoff.exited(ExitInfo::exited(1)), milliseconds(200));
  backoff.started();
  EXPECT_EQ(backoff.exited(ExitInfo::exited(1)), milliseconds(250));
}

TEST(RestartBackoff, AnInstanceLostWithItsNodeStartsAgainAtOnceAndIsNoCrash) {
  FakeClock clock;
  RestartBackoff backoff(clock);
  backoff.started();
  clock.advance(seconds(2));
  EXPECT_EQ(backoff.exited(ExitInfo::exited(1)), seconds(10));  // a crash: 10 s
  backoff.started();
  clock.advance(seconds(2));
  EXPECT_EQ(backoff.exited(ExitInfo::lost()), milliseconds(0));
  EXPECT_TRUE(backoff.readyToRestart());
  backoff.started();
  clock.advance(seconds(2));
  EXPECT_EQ(backoff.exited(ExitInfo::exited(1)), seconds(20));  // the crash sequence goes on, not doubled by the loss
  EXPECT_EQ(ExitInfo::lost().str(), "lost with its node");
}

}  // namespace
}  // namespace rollway::supervisor
