#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "rollway/common/clock.h"
#include "rollway/supervisor/exit_info.h"

namespace rollway::supervisor {

// Kubernetes' container restart back-off (restartPolicy: Always).
struct BackoffPolicy {
  std::chrono::milliseconds initial{std::chrono::seconds(10)};
  std::chrono::milliseconds max{std::chrono::minutes(5)};
  std::chrono::milliseconds resetAfter{std::chrono::minutes(10)};  // run this long = healthy
};

// Restart back-off of one instance slot: pure, time from an injected Clock.
//   started()  -> kRunning
//   exited(e)  -> kCrashLoopBackOff until nextRestartAt(); the delay is 10 s, 20 s,
//                 40 s ... capped at 5 min; a run of >= 10 min before exiting starts
//                 the sequence again at 10 s.
class RestartBackoff {
 public:
  enum class Phase { kNotStarted, kRunning, kCrashLoopBackOff };

  explicit RestartBackoff(const Clock& clock, BackoffPolicy policy = {});

  // The instance was (re)started now.
  void started();
  // The instance exited now; returns the delay before the next restart (none, and no
  // crash counted, when it was lost with its node).
  std::chrono::milliseconds exited(const ExitInfo& exit);

  Phase phase() const { return phase_; }
  // In kCrashLoopBackOff: whether the delay is over.
  bool readyToRestart() const;
  SteadyTime nextRestartAt() const { return next_restart_at_; }
  std::chrono::milliseconds currentDelay() const { return current_delay_; }
  // Number of restarts so far (starts after the first).
  int restartCount() const { return restart_count_; }
  const std::optional<ExitInfo>& lastExit() const { return last_exit_; }

  // "Running", or "CrashLoopBackOff: back-off 20s (last: exited with code 1),
  // restart in 13s".
  std::string describe() const;
  static const char* phaseName(Phase phase);

 private:
  const Clock& clock_;
  BackoffPolicy policy_;
  Phase phase_ = Phase::kNotStarted;
  SteadyTime started_at_{};
  SteadyTime next_restart_at_{};
  std::chrono::milliseconds current_delay_{0};
  int crashes_in_a_row_ = 0;
  int starts_ = 0;
  int restart_count_ = 0;
  std::optional<ExitInfo> last_exit_;
};

}  // namespace rollway::supervisor
