// Timers: a re-armed, cancelled or destroyed timer never calls its earlier callback —
// with the fake clock (ManualTimers) and with the real io_context (AsioTimers).
#include "rollway/common/timer.h"

#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

namespace rollway {
namespace {

using namespace std::chrono_literals;

TEST(ManualTimers, FireOnlyWhenTheClockHasReachedThemInDueOrder) {
  FakeClock clock;
  ManualTimers timers(clock);
  std::vector<std::string> fired;
  auto a = timers.make();
  auto b = timers.make();
  auto c = timers.make();
  a->expireAfter(300ms, [&] { fired.push_back("a"); });
  b->expireAfter(100ms, [&] { fired.push_back("b"); });
  c->expireAfter(100ms, [&] { fired.push_back("c"); });
  EXPECT_EQ(timers.fireDue(), 0u);
  clock.advance(99ms);
  EXPECT_EQ(timers.fireDue(), 0u);
  clock.advance(1s);
  EXPECT_EQ(timers.fireDue(), 3u);
  EXPECT_EQ(fired, (std::vector<std::string>{"b", "c", "a"})) << "due order; equal times in arming order";
  EXPECT_EQ(timers.armed(), 0u);
  EXPECT_EQ(timers.fireDue(), 0u) << "one-shot";
}

TEST(ManualTimers, ReArmCancelAndDestroyDropTheEarlierCallback) {
  FakeClock clock;
  ManualTimers timers(clock);
  int first = 0;
  int second = 0;
  auto t = timers.make();
  t->expireAfter(10ms, [&] { ++first; });
  t->expireAfter(20ms, [&] { ++second; });
  clock.advance(1s);
  timers.fireDue();
  EXPECT_EQ(first, 0);
  EXPECT_EQ(second, 1);
  t->expireAfter(10ms, [&] { ++first; });
  t->cancel();
  auto gone = timers.make();
  gone->expireAfter(10ms, [&] { ++first; });
  gone.reset();
  clock.advance(1s);
  EXPECT_EQ(timers.fireDue(), 0u);
  EXPECT_EQ(first, 0);
}

TEST(ManualTimers, ACallbackThatArmsAtOnceRunsAtTheNextCallNotInALoop) {
  FakeClock clock;
  ManualTimers timers(clock);
  auto t = timers.make();
  int runs = 0;
  std::function<void()> again = [&] {
    ++runs;
    t->expireAfter(0ms, again);  // a poll that re-arms itself at 0 ms
  };
  t->expireAfter(0ms, again);
  EXPECT_EQ(timers.fireDue(), 1u);
  EXPECT_EQ(timers.fireDue(), 1u);
  EXPECT_EQ(runs, 2);
  EXPECT_EQ(timers.armed(), 1u);
}

TEST(ManualTimers, ACallbackMayCancelOneDueInTheSameRound) {
  FakeClock clock;
  ManualTimers timers(clock);
  auto a = timers.make();
  auto b = timers.make();
  int bRuns = 0;
  a->expireAfter(1ms, [&] { b->cancel(); });
  b->expireAfter(2ms, [&] { ++bRuns; });
  clock.advance(5ms);
  EXPECT_EQ(timers.fireDue(), 1u);
  EXPECT_EQ(bRuns, 0);
}

TEST(AsioTimers, ARearmedTimerNeverRunsTheCallbackAlreadyQueued) {
  asio::io_context io;
  AsioTimers timers(io);
  auto x = timers.make();
  auto t = timers.make();
  int old = 0;
  int fresh = 0;
  // Both expire before the loop runs, so both completions are queued in one go; x's
  // callback re-arms t while t's first completion is already queued behind it.
  x->expireAfter(0ms, [&] { t->expireAfter(1ms, [&] { ++fresh; }); });
  t->expireAfter(0ms, [&] { ++old; });
  std::this_thread::sleep_for(5ms);
  io.run_for(200ms);
  EXPECT_EQ(old, 0);
  EXPECT_EQ(fresh, 1);
}

TEST(AsioTimers, CancelAndDestroyDropTheCallback) {
  asio::io_context io;
  AsioTimers timers(io);
  int runs = 0;
  auto a = timers.make();
  a->expireAfter(1ms, [&] { ++runs; });
  a->cancel();
  auto b = timers.make();
  b->expireAfter(1ms, [&] { ++runs; });
  b.reset();
  auto c = timers.make();
  c->expireAfter(5ms, [&] { ++runs; });
  io.run_for(100ms);
  EXPECT_EQ(runs, 1) << "only the one left armed";
}

}  // namespace
}  // namespace rollway
