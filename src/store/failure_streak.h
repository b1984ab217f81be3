#pragma once

#include <cstddef>
#include <string>
#include <utility>

#include "rollway/common/clock.h"
#include "rollway/common/log.h"
#include "rollway/store/store.h"

namespace rollway::store {

// Failed commits in a row, logged once when the streak starts and once when a commit
// succeeds again, never per write.
class FailureStreak {
 public:
  FailureStreak(Logger logger, const Clock& clock, std::string path)
      : logger_(std::move(logger)), clock_(clock), path_(std::move(path)) {}

  void failed(const Error& error, const PendingWrites& pending);
  // `written`: the pending writes this commit wrote.
  void succeeded(size_t written);

  bool active() const { return failures_ > 0; }
  int failures() const { return failures_; }

 private:
  Logger logger_;
  const Clock& clock_;
  std::string path_;
  int failures_ = 0;
  SteadyTime since_{};
};

}  // namespace rollway::store
