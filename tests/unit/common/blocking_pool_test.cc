// BlockingPool: work off the calling thread, results back on the io_context, bounded
// queue, exceptions as values, shutdown with queued work, the owner's weak guard.
#include "rollway/common/blocking_pool.h"

#include <gtest/gtest.h>

#include <pthread.h>
#include <signal.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <future>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <thread>

#include <asio/executor_work_guard.hpp>

namespace rollway {
namespace {

using namespace std::chrono_literals;

// Runs `io` on this thread until `done()` or 5 s.
bool runUntil(asio::io_context& io, const std::function<bool()>& done) {
  io.restart();
  auto guard = asio::make_work_guard(io);
  auto deadline = std::chrono::steady_clock::now() + 5s;
  while (!done() && std::chrono::steady_clock::now() < deadline) io.run_one_for(10ms);
  return done();
}

// A gate the test opens; pool work waits on it (at most 5 s, so a broken test ends).
class Gate {
 public:
  void open() {
    {
      std::lock_guard lock(mutex_);
      open_ = true;
    }
    cv_.notify_all();
  }
  bool wait() {
    std::unique_lock lock(mutex_);
    return cv_.wait_for(lock, 5s, [this] { return open_; });
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  bool open_ = false;
};

TEST(BlockingPool, RunsWorkOffTheCallerAndCompletesOnTheIoThread) {
  asio::io_context io;
  BlockingPool pool({"test pool", 2, 8});
  auto owner = std::make_shared<int>(0);
  std::thread::id workThread;
  std::thread::id completionThread;
  std::optional<Result<int>> got;
  auto ok = pool.submit<int>(
      [&] {
        workThread = std::this_thread::get_id();
        return Result<int>(42);
      },
      io, owner, [&](Result<int> r) {
        completionThread = std::this_thread::get_id();
        got = std::move(r);
      });
  ASSERT_TRUE(ok) << ok.error().message;
  ASSERT_TRUE(runUntil(io, [&] { return got.has_value(); }));
  ASSERT_TRUE(*got);
  EXPECT_EQ(**got, 42);
  EXPECT_NE(workThread, std::this_thread::get_id());
  EXPECT_EQ(completionThread, std::this_thread::get_id());
}

TEST(BlockingPool, IdleMeansEveryCompletionIsPosted) {
  asio::io_context io;
  BlockingPool pool({"test pool", 2, 8});
  auto owner = std::make_shared<int>(0);
  EXPECT_TRUE(pool.idle());
  Gate gate;
  int completed = 0;
  for (int i = 0; i < 4; ++i) {
    ASSERT_TRUE(pool.submit<int>(
        [&gate, i] {
          gate.wait();
          return Result<int>(i);
        },
        io, owner, [&](Result<int>) { ++completed; }));
  }
  EXPECT_FALSE(pool.idle());
  gate.open();
  auto until = std::chrono::steady_clock::now() + 5s;
  while (!pool.idle() && std::chrono::steady_clock::now() < until) std::this_thread::sleep_for(1ms);
  ASSERT_TRUE(pool.idle());
  io.poll();  // no waiting: they are all in the io_context's queue already
  EXPECT_EQ(completed, 4);
}

TEST(BlockingPool, ItsThreadsNeverTakeSignals) {
  // The daemon waits for SIGTERM on its main thread (SignalWaiter), which may block the
  // signals only after the pool has started.
  asio::io_context io;
  BlockingPool pool({"test pool", 1, 8});
  auto owner = std::make_shared<int>(0);
  std::optional<Result<bool>> blocked;
  ASSERT_TRUE(pool.submit<bool>(
      [] {
        sigset_t mask;
        pthread_sigmask(SIG_BLOCK, nullptr, &mask);
        return Result<bool>(sigismember(&mask, SIGTERM) == 1 && sigismember(&mask, SIGINT) == 1);
      },
      io, owner, [&](Result<bool> r) { blocked = r; }));
  ASSERT_TRUE(runUntil(io, [&] { return blocked.has_value(); }));
  EXPECT_TRUE(*blocked && **blocked);
  sigset_t mine;
  pthread_sigmask(SIG_BLOCK, nullptr, &mine);
  EXPECT_EQ(sigismember(&mine, SIGTERM), 0) << "the creating thread's mask is left as it was";
}

TEST(BlockingPool, WorksRunInParallelOnItsThreads) {
  asio::io_context io;
  BlockingPool pool({"test pool", 2, 8});
  auto owner = std::make_shared<int>(0);
  // Each work waits for the other to have started: only two threads finish both.
  std::mutex mutex;
  std::condition_variable cv;
  int started = 0;
  int done = 0;
  auto work = [&]() -> Result<bool> {
    std::unique_lock lock(mutex);
    ++started;
    cv.notify_all();
    return cv.wait_for(lock, 5s, [&] { return started == 2; });
  };
  int together = 0;
  for (int i = 0; i < 2; ++i) {
    ASSERT_TRUE(pool.submit<bool>(work, io, owner, [&](Result<bool> r) {
      ++done;
      together += r && *r ? 1 : 0;
    }));
  }
  ASSERT_TRUE(runUntil(io, [&] { return done == 2; }));
  EXPECT_EQ(together, 2);
}

TEST(BlockingPool, AFullQueueIsAnErrorNotABlock) {
  asio::io_context io;
  BlockingPool pool({"provider pool", 1, 2});
  auto owner = std::make_shared<int>(0);
  Gate gate;
  std::atomic<int> ran{0};
  int completed = 0;
  auto blocked = [&]() -> Result<void> {
    gate.wait();
    ++ran;
    return {};
  };
  auto count = [&](Result<void>) { ++completed; };
  ASSERT_TRUE(pool.submit<void>(blocked, io, owner, count));  // the thread takes it...
  auto until = std::chrono::steady_clock::now() + 5s;
  while (pool.queued() != 0 && std::chrono::steady_clock::now() < until) std::this_thread::sleep_for(1ms);
  ASSERT_TRUE(pool.submit<void>(blocked, io, owner, count));  // ...two wait...
  ASSERT_TRUE(pool.submit<void>(blocked, io, owner, count));
  auto before = std::chrono::steady_clock::now();
  auto refused = pool.submit<void>(blocked, io, owner, count);  // ...the third is refused at once
  EXPECT_LT(std::chrono::steady_clock::now() - before, 1s);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(refused.error().message, "provider pool is full: 2 works are already waiting for one of its 1 thread(s)");
  gate.open();
  ASSERT_TRUE(runUntil(io, [&] { return completed == 3; }));
  EXPECT_EQ(ran.load(), 3);  // the refused work never ran
  EXPECT_EQ(completed, 3);
}

TEST(BlockingPool, AnExceptionInWorkIsAnErrorValue) {
  asio::io_context io;
  BlockingPool pool({"webhook pool", 1, 4});
  auto owner = std::make_shared<int>(0);
  std::optional<Result<int>> threw;
  std::optional<Result<int>> threwOther;
  ASSERT_TRUE(pool.submit<int>([]() -> Result<int> { throw std::runtime_error("disk on fire"); }, io, owner,
                               [&](Result<int> r) { threw = std::move(r); }));
  ASSERT_TRUE(pool.submit<int>([]() -> Result<int> { throw 7; }, io, owner,
                               [&](Result<int> r) { threwOther = std::move(r); }));
  ASSERT_TRUE(runUntil(io, [&] { return threw && threwOther; }));
  ASSERT_FALSE(*threw);
  EXPECT_EQ(threw->error().code, ErrorCode::kInternal);
  EXPECT_EQ(threw->error().message, "webhook pool: the work failed with an exception: disk on fire");
  ASSERT_FALSE(*threwOther);
  EXPECT_EQ(threwOther->error().message, "webhook pool: the work failed with an unknown exception");
  // The thread survived both.
  std::optional<Result<int>> after;
  ASSERT_TRUE(pool.submit<int>([] { return Result<int>(1); }, io, owner, [&](Result<int> r) { after = r; }));
  ASSERT_TRUE(runUntil(io, [&] { return after.has_value(); }));
  EXPECT_TRUE(*after);
}

TEST(BlockingPool, ShutdownDropsQueuedWorkAndJoinsTheRunningOne) {
  asio::io_context io;
  auto pool = std::make_unique<BlockingPool>(BlockingPoolOptions{"test pool", 1, 8});
  auto owner = std::make_shared<int>(0);
  Gate gate;
  std::atomic<bool> runningStarted{false};
  std::atomic<int> queuedRan{0};
  std::optional<Result<int>> running;
  std::vector<Result<int>> queued;
  ASSERT_TRUE(pool->submit<int>(
      [&] {
        runningStarted = true;
        gate.wait();
        return Result<int>(1);
      },
      io, owner, [&](Result<int> r) { running = std::move(r); }));
  auto until = std::chrono::steady_clock::now() + 5s;
  while (!runningStarted && std::chrono::steady_clock::now() < until) std::this_thread::sleep_for(1ms);
  ASSERT_TRUE(runningStarted);
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(pool->submit<int>(
        [&] {
          ++queuedRan;
          return Result<int>(2);
        },
        io, owner, [&](Result<int> r) { queued.push_back(std::move(r)); }));
  }
  std::thread stopper([&] { pool->shutdown(); });  // joins: waits for the running work
  until = std::chrono::steady_clock::now() + 5s;
  while (pool->queued() != 0 && std::chrono::steady_clock::now() < until) std::this_thread::sleep_for(1ms);
  auto late = pool->submit<int>([] { return Result<int>(3); }, io, owner, [](Result<int>) {});
  ASSERT_FALSE(late);
  EXPECT_EQ(late.error().message, "test pool is shutting down: the work was not taken");
  gate.open();
  stopper.join();
  pool.reset();  // a second shutdown (the destructor) is harmless
  ASSERT_TRUE(runUntil(io, [&] { return running.has_value() && queued.size() == 3; }));
  ASSERT_TRUE(*running);
  EXPECT_EQ(**running, 1);
  EXPECT_EQ(queuedRan.load(), 0);
  for (const auto& r : queued) {
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, ErrorCode::kUnavailable);
    EXPECT_EQ(r.error().message, "test pool is shutting down: the work did not run");
  }
}

TEST(BlockingPool, NoCompletionOnceTheOwnerIsGone) {
  asio::io_context io;
  BlockingPool pool({"test pool", 1, 8});
  auto owner = std::make_shared<int>(0);
  Gate gate;
  std::atomic<bool> workDone{false};
  bool called = false;
  // The owner goes while the work runs...
  ASSERT_TRUE(pool.submit<int>(
      [&] {
        gate.wait();
        workDone = true;
        return Result<int>(1);
      },
      io, owner, [&](Result<int>) { called = true; }));
  owner.reset();
  gate.open();
  // ...and after the work, before the completion runs.
  auto owner2 = std::make_shared<int>(0);
  std::atomic<bool> work2Done{false};
  ASSERT_TRUE(pool.submit<int>(
      [&] {
        work2Done = true;
        return Result<int>(2);
      },
      io, owner2, [&](Result<int>) { called = true; }));
  auto until = std::chrono::steady_clock::now() + 5s;
  while (!(workDone && work2Done) && std::chrono::steady_clock::now() < until) std::this_thread::sleep_for(1ms);
  ASSERT_TRUE(workDone && work2Done);
  owner2.reset();
  // A live owner's completion, submitted last, shows that the io_context did run the others.
  auto owner3 = std::make_shared<int>(0);
  bool third = false;
  ASSERT_TRUE(pool.submit<int>([] { return Result<int>(3); }, io, owner3, [&](Result<int>) { third = true; }));
  ASSERT_TRUE(runUntil(io, [&] { return third; }));
  io.poll();
  EXPECT_FALSE(called);
}

TEST(BlockingPool, TheCompletionIsDestroyedOnTheIoThread) {
  // What a completion captures may belong to the control thread (timers, loggers):
  // it must not be destroyed on a pool thread.
  struct Witness {
    std::thread::id* where;
    ~Witness() { *where = std::this_thread::get_id(); }
  };
  asio::io_context io;
  BlockingPool pool({"test pool", 1, 8});
  auto owner = std::make_shared<int>(0);
  std::thread::id destroyedOn;
  bool called = false;
  {
    auto witness = std::make_shared<Witness>(&destroyedOn);
    ASSERT_TRUE(pool.submit<int>([] { return Result<int>(1); }, io, owner,
                                 [witness, &called](Result<int>) { called = true; }));
  }
  EXPECT_EQ(destroyedOn, std::thread::id());
  ASSERT_TRUE(runUntil(io, [&] { return called; }));
  // The handler that held it is gone once run: wait for the pool's thread to let go too.
  auto until = std::chrono::steady_clock::now() + 5s;
  while (destroyedOn == std::thread::id() && std::chrono::steady_clock::now() < until) {
    io.poll();
    std::this_thread::sleep_for(1ms);
  }
  EXPECT_EQ(destroyedOn, std::this_thread::get_id());
}

}  // namespace
}  // namespace rollway
