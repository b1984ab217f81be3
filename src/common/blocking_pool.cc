#include "rollway/common/blocking_pool.h"

#include <pthread.h>
#include <signal.h>

#include <algorithm>

namespace rollway {

BlockingPool::BlockingPool(BlockingPoolOptions options) : options_(std::move(options)) {
  const int count = std::max(1, options_.threads);
  threads_.reserve(static_cast<std::size_t>(count));
  // Signals belong to the thread that waits for them (SignalWaiter), never to a worker:
  // the threads start with every signal blocked (they inherit this thread's mask).
  struct MaskAll {
    sigset_t previous;
    MaskAll() {
      sigset_t all;
      sigfillset(&all);
      pthread_sigmask(SIG_BLOCK, &all, &previous);
    }
    ~MaskAll() { pthread_sigmask(SIG_SETMASK, &previous, nullptr); }
  } masked;
  for (int i = 0; i < count; ++i) threads_.emplace_back([this] { loop(); });
}

BlockingPool::~BlockingPool() { shutdown(); }

Result<void> BlockingPool::enqueue(Task task) {
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return fail(ErrorCode::kUnavailable, "{} is shutting down: the work was not taken", options_.name);
    if (queue_.size() >= options_.maxQueued) {
      return fail(ErrorCode::kUnavailable, "{} is full: {} works are already waiting for one of its {} thread(s)",
                  options_.name, queue_.size(), threads_.size());
    }
    queue_.push_back(std::move(task));
  }
  wake_.notify_one();
  return {};
}

void BlockingPool::loop() {
  while (true) {
    Task task;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (stopping_) return;  // shutdown() cancels what is left
      task = std::move(queue_.front());
      queue_.pop_front();
      ++running_;
    }
    task.cancel = nullptr;  // run() holds the last reference to the delivery
    task.run();             // posts the completion before it returns
    task.run = nullptr;
    std::lock_guard lock(mutex_);
    --running_;
  }
}

void BlockingPool::shutdown() {
  std::deque<Task> dropped;
  {
    std::lock_guard lock(mutex_);
    if (stopping_ && threads_.empty()) return;
    stopping_ = true;
    dropped.swap(queue_);
  }
  wake_.notify_all();
  for (auto& task : dropped) {
    task.run = nullptr;
    task.cancel();
  }
  for (auto& thread : threads_) {
    if (thread.joinable()) thread.join();
  }
  threads_.clear();
}

bool BlockingPool::idle() const {
  std::lock_guard lock(mutex_);
  return queue_.empty() && running_ == 0;
}

std::size_t BlockingPool::queued() const {
  std::lock_guard lock(mutex_);
  return queue_.size();
}

}  // namespace rollway
