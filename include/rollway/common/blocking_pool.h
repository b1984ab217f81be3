#pragma once

// A small, fixed pool of threads for the control plane's blocking calls (metric
// providers, webhooks, the proxy's admin socket). The control thread hands a call over
// with submit() and gets its result back on its own io_context: it never waits for it.
//
// Lifetimes: the io_context outlives the pool (build it first, destroy the pool first);
// whatever `work` touches outlives the pool too (the destructor joins the threads).
// `work` runs on a pool thread: it may not touch state of the control thread — copy
// what it needs in, hand what it found out to the completion.

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <asio/io_context.hpp>
#include <asio/post.hpp>

#include "rollway/common/result.h"

namespace rollway {

struct BlockingPoolOptions {
  std::string name = "blocking pool";  // names the pool in its error messages
  int threads = 2;                      // at least 1
  std::size_t maxQueued = 64;           // works waiting for a thread; one more is refused
};

class BlockingPool {
 public:
  explicit BlockingPool(BlockingPoolOptions options = {});
  // shutdown(), then the threads are joined.
  ~BlockingPool();
  BlockingPool(const BlockingPool&) = delete;
  BlockingPool& operator=(const BlockingPool&) = delete;

  // Runs `work` on a pool thread, then posts `completion(result)` to `io`. When it
  // runs there, the completion is skipped if `owner` has expired (the weak guard of the
  // object it belongs to), so it never touches an object that is gone. An exception
  // thrown by `work` becomes a kInternal error naming the pool. Work still waiting when
  // the pool shuts down never runs: its completion gets kUnavailable ("... is shutting
  // down"). Refused with kUnavailable — `work` and `completion` are then never called —
  // when maxQueued works are already waiting or the pool has shut down.
  template <class T>
  Result<void> submit(std::function<Result<T>()> work, asio::io_context& io, std::weak_ptr<const void> owner,
                      std::function<void(Result<T>)> completion);

  // Takes no more work, drops the works that wait (their completions say so) and joins
  // the threads once the running works have returned. Idempotent; called by the destructor.
  void shutdown();

  std::size_t queued() const;
  // No work waits or runs; the completion of every work done so far has been posted.
  // (For tests that run the io_context by hand until everything has settled.)
  bool idle() const;
  int threads() const { return static_cast<int>(threads_.size()); }
  const std::string& name() const { return options_.name; }

 private:
  struct Task {
    std::function<void()> run;     // on a pool thread
    std::function<void()> cancel;  // instead of run, when the pool shuts down first
  };

  Result<void> enqueue(Task task);
  void loop();

  template <class T>
  static Result<T> guarded(const std::function<Result<T>()>& work, const std::string& name) {
    try {
      return work();
    } catch (const std::exception& e) {
      return fail(ErrorCode::kInternal, "{}: the work failed with an exception: {}", name, e.what());
    } catch (...) {
      return fail(ErrorCode::kInternal, "{}: the work failed with an unknown exception", name);
    }
  }

  BlockingPoolOptions options_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Task> queue_;
  int running_ = 0;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

template <class T>
Result<void> BlockingPool::submit(std::function<Result<T>()> work, asio::io_context& io,
                                  std::weak_ptr<const void> owner, std::function<void(Result<T>)> completion) {
  // Shared by run and cancel, one of which moves it into the handler posted to `io`:
  // the completion (and what it captured) is destroyed on the io_context's thread.
  struct Delivery {
    asio::io_context* io;
    std::weak_ptr<const void> owner;
    std::function<void(Result<T>)> completion;
  };
  auto delivery = std::make_shared<Delivery>(Delivery{&io, std::move(owner), std::move(completion)});
  auto deliver = [](std::shared_ptr<Delivery> d, Result<T> result) {
    asio::io_context& target = *d->io;
    asio::post(target, [d = std::move(d), result = std::move(result)]() mutable {
      auto alive = d->owner.lock();
      if (!alive) return;
      d->completion(std::move(result));
    });
  };
  Task task;
  task.run = [work = std::move(work), delivery, deliver, name = options_.name]() mutable {
    deliver(std::move(delivery), guarded<T>(work, name));
  };
  task.cancel = [delivery, deliver, name = options_.name]() mutable {
    deliver(std::move(delivery), fail(ErrorCode::kUnavailable, "{} is shutting down: the work did not run", name));
  };
  return enqueue(std::move(task));
}

}  // namespace rollway
