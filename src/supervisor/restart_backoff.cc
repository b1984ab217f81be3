#include "rollway/supervisor/restart_backoff.h"

#include <algorithm>

#include <fmt/format.h>

namespace rollway::supervisor {

using std::chrono::duration_cast;
using std::chrono::milliseconds;
using std::chrono::seconds;

RestartBackoff::RestartBackoff(const Clock& clock, BackoffPolicy policy) : clock_(clock), policy_(policy) {}

void RestartBackoff::started() {
  if (starts_ > 0) {
    ++restart_count_;
  }
  ++starts_;
  phase_ = Phase::kRunning;
  started_at_ = clock_.now();
}

milliseconds RestartBackoff::exited(const ExitInfo& exit) {
  auto now = clock_.now();
  last_exit_ = exit;
  // Lost with its node: not a crash of its own; it starts again elsewhere at once.
  if (exit.kind == ExitInfo::Kind::kLost) {
    current_delay_ = milliseconds(0);
    phase_ = Phase::kCrashLoopBackOff;
    next_restart_at_ = now;
    return current_delay_;
  }
  // A long enough run proves the instance healthy: the back-off starts over.
  if (phase_ == Phase::kRunning && now - started_at_ >= policy_.resetAfter) {
    crashes_in_a_row_ = 0;
  }
  milliseconds delay = policy_.initial;
  for (int i = 0; i < crashes_in_a_row_ && delay < policy_.max; ++i) {
    delay *= 2;
  }
  current_delay_ = std::min(delay, policy_.max);
  ++crashes_in_a_row_;
  phase_ = Phase::kCrashLoopBackOff;
  next_restart_at_ = now + current_delay_;
  return current_delay_;
}

bool RestartBackoff::readyToRestart() const {
  return phase_ == Phase::kCrashLoopBackOff && clock_.now() >= next_restart_at_;
}

const char* RestartBackoff::phaseName(Phase phase) {
  switch (phase) {
    case Phase::kNotStarted:
      return "NotStarted";
    case Phase::kRunning:
      return "Running";
    case Phase::kCrashLoopBackOff:
      return "CrashLoopBackOff";
  }
  return "?";
}

std::string RestartBackoff::describe() const {
  if (phase_ != Phase::kCrashLoopBackOff) {
    return phaseName(phase_);
  }
  auto left = std::max(milliseconds(0), duration_cast<milliseconds>(next_restart_at_ - clock_.now()));
  auto left_s = duration_cast<seconds>(left + milliseconds(999)).count();  // round up
  return fmt::format("CrashLoopBackOff: back-off {}s (last: {}), restart in {}s",
                     duration_cast<seconds>(current_delay_).count(),
                     last_exit_ ? last_exit_->str() : std::string("no exit"), left_s);
}

}  // namespace rollway::supervisor
