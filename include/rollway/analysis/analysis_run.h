#pragma once

// Turns consecutive measurements into what the rollout should do.

#include "rollway/analysis/measurement.h"
#include "rollway/spec/service_spec.h"

namespace rollway::analysis {

enum class Decision { kContinue, kPassed, kAbort, kPauseForHuman };
const char* decisionName(Decision decision);

// Successful → kPassed, and both counters start again.
// Failed → consecutiveFailures + 1 (the inconclusive streak ends); when it reaches
//   failureLimit (0 counts as 1: the first failure) → kAbort, else kContinue.
// Inconclusive → consecutiveInconclusive + 1; when inconclusiveLimit > 0 and it is
//   reached → kPauseForHuman (and the inconclusive count starts again, so that after
//   a resume the step waits inconclusiveLimit more windows), else kContinue.
//   An inconclusive window does not reset the failure count: it proves nothing, so
//   "fail, low traffic, fail" still aborts at failureLimit 2.
class AnalysisRun {
 public:
  explicit AnalysisRun(const spec::Analysis& analysis);

  Decision add(const Measurement& measurement);
  void reset();

  int consecutiveFailures() const { return failures_; }
  int consecutiveInconclusive() const { return inconclusive_; }

 private:
  int failureLimit_;
  int inconclusiveLimit_;
  int failures_ = 0;
  int inconclusive_ = 0;
};

}  // namespace rollway::analysis
