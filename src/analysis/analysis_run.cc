#include "rollway/analysis/analysis_run.h"

#include <algorithm>

namespace rollway::analysis {

const char* decisionName(Decision decision) {
  switch (decision) {
    case Decision::kContinue: return "Continue";
    case Decision::kPassed: return "Passed";
    case Decision::kAbort: return "Abort";
    case Decision::kPauseForHuman: return "PauseForHuman";
  }
  return "Unknown";
}

AnalysisRun::AnalysisRun(const spec::Analysis& analysis)
    : failureLimit_(std::max(1, analysis.failureLimit)), inconclusiveLimit_(analysis.inconclusiveLimit) {}

Decision AnalysisRun::add(const Measurement& measurement) {
  switch (measurement.verdict) {
    case Verdict::kSuccessful:
      reset();
      return Decision::kPassed;
    case Verdict::kFailed:
      inconclusive_ = 0;
      ++failures_;
      return failures_ >= failureLimit_ ? Decision::kAbort : Decision::kContinue;
    case Verdict::kInconclusive:
      ++inconclusive_;
      if (inconclusiveLimit_ > 0 && inconclusive_ >= inconclusiveLimit_) {
        inconclusive_ = 0;
        return Decision::kPauseForHuman;
      }
      return Decision::kContinue;
  }
  return Decision::kContinue;
}

void AnalysisRun::reset() {
  failures_ = 0;
  inconclusive_ = 0;
}

}  // namespace rollway::analysis
