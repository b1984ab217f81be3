#pragma once

#include <chrono>
#include <cstdint>

namespace rollway {

using SteadyTime = std::chrono::steady_clock::time_point;
using WallTime = std::chrono::system_clock::time_point;

// Time is injected: state machines ask a Clock, tests hand them a FakeClock.
class Clock {
 public:
  virtual ~Clock() = default;
  // Monotonic time, for timeouts, periods and backoff.
  virtual SteadyTime now() const = 0;
  // Wall-clock time, for timestamps shown to people and stored.
  virtual WallTime wallNow() const = 0;
};

class SystemClock final : public Clock {
 public:
  SteadyTime now() const override { return std::chrono::steady_clock::now(); }
  WallTime wallNow() const override { return std::chrono::system_clock::now(); }
};

// A clock that moves only when told to.
class FakeClock final : public Clock {
 public:
  explicit FakeClock(WallTime wall_start = WallTime(std::chrono::seconds(1'700'000'000)))
      : wall_start_(wall_start) {}
  SteadyTime now() const override { return steady_; }
  WallTime wallNow() const override {
    return wall_start_ + std::chrono::duration_cast<WallTime::duration>(steady_.time_since_epoch());
  }
  void advance(std::chrono::nanoseconds by) { steady_ += by; }

 private:
  WallTime wall_start_;
  SteadyTime steady_{};
};

// Milliseconds since the Unix epoch, the form timestamps are stored in.
inline int64_t toUnixMillis(WallTime t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

}  // namespace rollway
