#include "store/failure_streak.h"

#include <chrono>

namespace rollway::store {

void FailureStreak::failed(const Error& error, const PendingWrites& pending) {
  if (failures_++ > 0) return;
  since_ = clock_.now();
  if (!logger_) return;
  logger_->error(
      "{} — while this lasts, the controller's own changes are kept in memory ({} now) and written with the first "
      "commit that succeeds (tried again every reconcile pass); logged once until then",
      error.message, pending.total());
}

void FailureStreak::succeeded(size_t written) {
  if (failures_ == 0) return;
  const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(clock_.now() - since_).count();
  if (logger_) {
    logger_->info("the state database {} is writable again after {} failed commit(s) over {}s; {} change(s) kept in "
                  "memory were written",
                  path_, failures_, seconds, written);
  }
  failures_ = 0;
}

}  // namespace rollway::store
