#include "rollway/analysis/analysis_run.h"

#include <gtest/gtest.h>

namespace rollway::analysis {
namespace {

Measurement verdictOnly(Verdict v) {
  Measurement m;
  m.verdict = v;
  return m;
}

spec::Analysis limits(int failureLimit, int inconclusiveLimit) {
  spec::Analysis a;
  a.failureLimit = failureLimit;
  a.inconclusiveLimit = inconclusiveLimit;
  return a;
}

const Measurement kOk = verdictOnly(Verdict::kSuccessful);
const Measurement kBad = verdictOnly(Verdict::kFailed);
const Measurement kUnsure = verdictOnly(Verdict::kInconclusive);

TEST(AnalysisRun, FailureLimitConsecutiveFailuresAbort) {
  AnalysisRun run(limits(2, 0));
  EXPECT_EQ(run.add(kBad), Decision::kContinue);
  EXPECT_EQ(run.consecutiveFailures(), 1);
  EXPECT_EQ(run.add(kBad), Decision::kAbort);
  EXPECT_EQ(run.consecutiveFailures(), 2);
}

TEST(AnalysisRun, SuccessPassesAndResets) {
  AnalysisRun run(limits(2, 3));
  EXPECT_EQ(run.add(kBad), Decision::kContinue);
  EXPECT_EQ(run.add(kUnsure), Decision::kContinue);
  EXPECT_EQ(run.add(kOk), Decision::kPassed);
  EXPECT_EQ(run.consecutiveFailures(), 0);
  EXPECT_EQ(run.consecutiveInconclusive(), 0);
  EXPECT_EQ(run.add(kBad), Decision::kContinue);  // counting starts again
  EXPECT_EQ(run.add(kBad), Decision::kAbort);
}

TEST(AnalysisRun, FailureLimitZeroAndOneAbortOnTheFirstFailure) {
  AnalysisRun zero(limits(0, 0));
  EXPECT_EQ(zero.add(kBad), Decision::kAbort);
  AnalysisRun one(limits(1, 0));
  EXPECT_EQ(one.add(kOk), Decision::kPassed);
  EXPECT_EQ(one.add(kBad), Decision::kAbort);
  AnalysisRun three(limits(3, 0));
  EXPECT_EQ(three.add(kBad), Decision::kContinue);
  EXPECT_EQ(three.add(kBad), Decision::kContinue);
  EXPECT_EQ(three.add(kBad), Decision::kAbort);
}

TEST(AnalysisRun, InconclusiveNeverAbortsAndWaitsWithLimitZero) {
  AnalysisRun run(limits(1, 0));
  for (int i = 0; i < 100; ++i) ASSERT_EQ(run.add(kUnsure), Decision::kContinue);
  EXPECT_EQ(run.consecutiveInconclusive(), 100);
  EXPECT_EQ(run.consecutiveFailures(), 0);
}

TEST(AnalysisRun, InconclusiveLimitPausesForAPerson) {
  AnalysisRun run(limits(2, 3));
  EXPECT_EQ(run.add(kUnsure), Decision::kContinue);
  EXPECT_EQ(run.add(kUnsure), Decision::kContinue);
  EXPECT_EQ(run.consecutiveInconclusive(), 2);
  EXPECT_EQ(run.add(kUnsure), Decision::kPauseForHuman);
  // After the pause, another inconclusiveLimit windows before the next one.
  EXPECT_EQ(run.consecutiveInconclusive(), 0);
  EXPECT_EQ(run.add(kUnsure), Decision::kContinue);
  EXPECT_EQ(run.add(kUnsure), Decision::kContinue);
  EXPECT_EQ(run.add(kUnsure), Decision::kPauseForHuman);
}

TEST(AnalysisRun, AFailureEndsTheInconclusiveStreak) {
  AnalysisRun run(limits(5, 2));
  EXPECT_EQ(run.add(kUnsure), Decision::kContinue);
  EXPECT_EQ(run.add(kBad), Decision::kContinue);
  EXPECT_EQ(run.consecutiveInconclusive(), 0);
  EXPECT_EQ(run.add(kUnsure), Decision::kContinue);
  EXPECT_EQ(run.add(kUnsure), Decision::kPauseForHuman);
}

TEST(AnalysisRun, InconclusiveWindowsDoNotClearFailures) {
  AnalysisRun run(limits(2, 0));
  EXPECT_EQ(run.add(kBad), Decision::kContinue);
  EXPECT_EQ(run.add(kUnsure), Decision::kContinue);
  EXPECT_EQ(run.consecutiveFailures(), 1);
  EXPECT_EQ(run.add(kBad), Decision::kAbort);
}

TEST(AnalysisRun, ResetAndNames) {
  AnalysisRun run(limits(2, 0));
  run.add(kBad);
  run.reset();
  EXPECT_EQ(run.add(kBad), Decision::kContinue);
  EXPECT_STREQ(decisionName(Decision::kPauseForHuman), "PauseForHuman");
  EXPECT_STREQ(decisionName(Decision::kAbort), "Abort");
}

}  // namespace
}  // namespace rollway::analysis
