#pragma once

// Timers are injected like the clock: a state machine asks a Timers for its timers, and
// production hands it AsioTimers (steady timers on the io_context) while tests hand it
// a ManualTimers driven by a FakeClock, so that "30 s later" is one call, not 30 s.

#include <chrono>
#include <functional>
#include <memory>
#include <vector>

#include <asio/io_context.hpp>

#include "rollway/common/clock.h"

namespace rollway {

// A one-shot timer that can be re-armed. Its callback runs on the owner's thread.
class Timer {
 public:
  virtual ~Timer() = default;
  // Calls `fn` once `delay` has passed. Arming again (or cancel(), or destroying the
  // timer) means the earlier `fn` is never called, even if it was already due.
  virtual void expireAfter(std::chrono::milliseconds delay, std::function<void()> fn) = 0;
  virtual void cancel() = 0;
};

class Timers {
 public:
  virtual ~Timers() = default;
  virtual std::unique_ptr<Timer> make() = 0;
};

// asio::steady_timer on one io_context; callbacks run on that io_context's thread.
class AsioTimers final : public Timers {
 public:
  explicit AsioTimers(asio::io_context& io) : io_(io) {}
  std::unique_ptr<Timer> make() override;

 private:
  asio::io_context& io_;
};

// Timers that move with a FakeClock: fireDue() calls, in due order, every callback whose
// time has come by the clock (callbacks may arm timers again; those due now run too).
class ManualTimers final : public Timers {
 public:
  explicit ManualTimers(const Clock& clock) : clock_(clock) {}
  std::unique_ptr<Timer> make() override;
  // The number of callbacks called.
  size_t fireDue();
  // Armed timers (for tests that check nothing is left waiting).
  size_t armed() const;

 private:
  struct Slot;
  friend class ManualTimer;
  const Clock& clock_;
  std::vector<std::weak_ptr<Slot>> slots_;
  uint64_t nextOrder_ = 0;
};

}  // namespace rollway
