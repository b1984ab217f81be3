#include "cli/rollout_progress.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

namespace rollway::cli {
namespace {

RolloutStatus status(int64_t revision, api::RolloutPhase phase, int64_t updated = 0, int64_t available = 0) {
  RolloutStatus s;
  s.observedGeneration = 5;
  s.revision = revision;
  s.version = fmt::format("v{}", revision - 1);  // not "v" + to_string(): a GCC 12 -Wrestrict false positive
  s.replicas = 4;
  s.updatedReplicas = updated;
  s.availableReplicas = available;
  s.phase = phase;
  return s;
}

RolloutStatus canary(RolloutStatus s, int stepIndex, int steps, int weight) {
  s.strategy = "Canary";
  if (s.stableRevision == 0) s.stableRevision = s.revision - 1;
  s.stepIndex = stepIndex;
  s.steps = steps;
  s.canaryWeight = weight;
  return s;
}

using Lines = std::vector<std::string>;

TEST(RolloutStatus, ReadsTheReplyAndToleratesMissingFields) {
  auto s = api::statusFromJson({{"revision", 3}, {"version", "v2"}, {"replicas", 4}, {"phase", "Paused"},
                                    {"rolledBackFrom", 2}, {"message", nullptr}});
  EXPECT_EQ(s.revision, 3);
  EXPECT_EQ(s.version, "v2");
  EXPECT_EQ(s.replicas, 4);
  EXPECT_EQ(s.phase, api::RolloutPhase::kPaused);
  EXPECT_EQ(s.rolledBackFrom, 2);
  EXPECT_EQ(s.message, "");
  EXPECT_EQ(api::statusFromJson(nlohmann::json(nullptr)).revision, 0);
}

TEST(RolloutWatch, PrintsProgressOnlyWhenItChangesThenSucceeds) {
  RolloutWatch w("web", 5);
  auto step = w.observe(status(3, api::RolloutPhase::kProgressing, 2, 3));
  EXPECT_EQ(step.verdict, RolloutVerdict::kWaiting);
  EXPECT_EQ(step.lines, Lines{"Waiting for rollout of service/web to revision 3 (v2): 2 of 4 updated, 3 available..."});
  EXPECT_EQ(w.watchedRevision(), 3);
  EXPECT_TRUE(w.observe(status(3, api::RolloutPhase::kProgressing, 2, 3)).lines.empty());
  auto terminating = status(3, api::RolloutPhase::kProgressing, 4, 4);
  terminating.terminatingReplicas = 1;
  EXPECT_EQ(w.observe(terminating).lines,
            Lines{"Waiting for rollout of service/web to revision 3 (v2): 4 of 4 updated, 4 available, 1 terminating..."});
  step = w.observe(status(3, api::RolloutPhase::kComplete, 4, 4));
  EXPECT_EQ(step.verdict, RolloutVerdict::kComplete);
  EXPECT_EQ(step.lines, Lines{"service/web successfully rolled out to revision 3 (v2)"});
  EXPECT_EQ(exitCodeFor(step.verdict), 0);
}

TEST(RolloutWatch, WaitsUntilTheControllerHasSeenTheGeneration) {
  RolloutWatch w("web", 6);
  auto stale = status(2, api::RolloutPhase::kComplete, 4, 4);  // observedGeneration 5: the old rollout, done
  auto step = w.observe(stale);
  EXPECT_EQ(step.verdict, RolloutVerdict::kWaiting);
  EXPECT_EQ(step.lines, Lines{"Waiting for the controller to act on generation 6 of service/web..."});
  EXPECT_EQ(w.watchedRevision(), 0);
  auto fresh = status(3, api::RolloutPhase::kProgressing, 0, 4);
  fresh.observedGeneration = 6;
  w.observe(fresh);
  EXPECT_EQ(w.watchedRevision(), 3);
}

TEST(RolloutWatch, FailedRolloutEndsWithTheMessage) {
  RolloutWatch w("web", 5);
  w.observe(status(3, api::RolloutPhase::kProgressing, 1, 4));
  auto failed = status(3, api::RolloutPhase::kFailed, 1, 4);
  failed.message = "progress deadline exceeded";
  auto step = w.observe(failed);
  EXPECT_EQ(step.verdict, RolloutVerdict::kFailed);
  EXPECT_EQ(step.error, "rollout of service/web to revision 3 (v2) failed: progress deadline exceeded");
  EXPECT_EQ(exitCodeFor(step.verdict), 1);
}

TEST(RolloutWatch, AutomaticRollbackAwayFromTheWatchedRevisionEndsIt) {
  RolloutWatch w("web", 5);
  w.observe(status(3, api::RolloutPhase::kProgressing, 1, 4));
  auto back = status(2, api::RolloutPhase::kProgressing, 3, 4);
  back.rolledBackFrom = 3;
  back.message = "error rate 7% > 1%";
  auto step = w.observe(back);
  EXPECT_EQ(step.verdict, RolloutVerdict::kRolledBack);
  EXPECT_EQ(step.error, "rollout of service/web to revision 3 (v2) failed and was rolled back to revision 2: "
                        "error rate 7% > 1%");
  EXPECT_TRUE(step.lines.empty());
}

TEST(RolloutWatch, FollowsANewerRevisionAppliedMeanwhile) {
  RolloutWatch w("web", 5);
  w.observe(status(3, api::RolloutPhase::kProgressing, 1, 4));
  auto step = w.observe(status(4, api::RolloutPhase::kProgressing, 0, 4));
  EXPECT_EQ(step.verdict, RolloutVerdict::kWaiting);
  EXPECT_EQ(step.lines, (Lines{"service/web: revision 4 was applied meanwhile; following it",
                               "Waiting for rollout of service/web to revision 4 (v3): 0 of 4 updated, 4 available..."}));
  EXPECT_EQ(w.watchedRevision(), 4);
  EXPECT_EQ(w.observe(status(4, api::RolloutPhase::kComplete, 4, 4)).verdict, RolloutVerdict::kComplete);
}

TEST(RolloutWatch, PausedForAPersonEndsWithExitThreeAndTheReason) {
  auto pausedLines = [](const RolloutStatus& s) {
    RolloutWatch w("web", 5);
    auto step = w.observe(s);
    EXPECT_EQ(step.verdict, RolloutVerdict::kPaused);
    EXPECT_EQ(exitCodeFor(step.verdict), 3);
    return step.lines;
  };
  // `rollway rollout pause` (spec.paused): no pauseReason.
  EXPECT_EQ(pausedLines(status(3, api::RolloutPhase::kPaused, 2, 4)),
            Lines{"Rollout of service/web to revision 3 (v2) is paused: 2 of 4 updated, 4 available "
                  "(continue with: rollway rollout resume web)"});
  // A `pause: {}` step (or a blue-green preview, inconclusive analysis): the message.
  auto s = canary(status(3, api::RolloutPhase::kPaused, 1, 4), 2, 5, 20);
  s.pauseReason = "step 3/5 is a pause: waiting for `rollway rollout promote web`";
  s.message = s.pauseReason + "; 1 of 4 updated, 4 available";
  EXPECT_EQ(pausedLines(s), Lines{"Rollout of service/web to revision 3 (v2) is paused: step 3/5 is a pause: waiting "
                                  "for `rollway rollout promote web`; 1 of 4 updated, 4 available"});
}

TEST(RolloutWatch, DegradedIsAnAbortWithTheReason) {
  RolloutWatch w("web", 5);
  w.observe(canary(status(3, api::RolloutPhase::kProgressing, 1, 4), 1, 5, 10));
  auto s = canary(status(3, api::RolloutPhase::kDegraded, 0, 4), 1, 5, 0);
  s.aborted = true;
  s.stableRevision = 2;
  s.abortReason = "analysis failed 3 time(s) in a row: error-rate 0.31 fails < 0.01";
  s.analysis = {{"verdict", "Failed"},
                {"metrics", {{{"name", "error-rate"}, {"verdict", "Failed"}, {"value", 0.31}, {"stableValue", 0}}}}};
  auto step = w.observe(s);
  EXPECT_EQ(step.verdict, RolloutVerdict::kAborted);
  EXPECT_EQ(step.lines, Lines{"analysis: error-rate 0.31 (stable 0) Failed"});
  EXPECT_EQ(step.error, "rollout of service/web to revision 3 (v2) was aborted: analysis failed 3 time(s) in a row: "
                        "error-rate 0.31 fails < 0.01; traffic is on revision 2 (start again with: rollway rollout "
                        "retry web)");
  EXPECT_EQ(exitCodeFor(step.verdict), 1);

  RolloutWatch bare("web", 5);  // no abortReason: the message
  auto noReason = status(3, api::RolloutPhase::kDegraded, 0, 4);
  noReason.message = "aborted by hand";
  EXPECT_EQ(bare.observe(noReason).error, "rollout of service/web to revision 3 (v2) was aborted: aborted by hand");
}

TEST(RolloutWatch, CanaryLinesShowTheStepAndTheAnalysisOnChange) {
  RolloutWatch w("web", 5);
  auto s = canary(status(3, api::RolloutPhase::kProgressing, 2, 4), 1, 5, 30);
  EXPECT_EQ(w.observe(s).lines, Lines{"Waiting for rollout of service/web to revision 3 (v2): 2 of 4 updated, "
                                      "4 available; step 2/5, 30% of traffic on revision 3 (v2)..."});
  s.analysis = {{"verdict", "Successful"},
                {"canaryRequests", 812},
                {"metrics",
                 {{{"name", "error-rate"}, {"verdict", "Successful"}, {"value", 0.002}, {"stableValue", 0.001}},
                  {{"name", "latency-p99"}, {"verdict", "Failed"}, {"value", 0.41}, {"stableValue", 0.12}}}}};
  EXPECT_EQ(w.observe(s).lines, Lines{"analysis: error-rate 0.002 (stable 0.001) Successful; latency-p99 0.41 "
                                      "(stable 0.12) Failed"});
  EXPECT_TRUE(w.observe(s).lines.empty());  // same window: nothing new
  s.stepIndex = 5;
  s.canaryWeight = 100;
  s.updatedReplicas = 4;
  EXPECT_EQ(w.observe(s).lines, Lines{"Waiting for rollout of service/web to revision 3 (v2): 4 of 4 updated, "
                                      "4 available; all 5 steps done, 100% of traffic on revision 3 (v2)..."});
}

TEST(StrategyProgress, CanaryBlueGreenAndRollingUpdate) {
  auto s = status(3, api::RolloutPhase::kProgressing, 1, 4);
  EXPECT_EQ(strategyProgress(s), "");
  s.strategy = "RollingUpdate";
  EXPECT_EQ(strategyProgress(s), "");
  EXPECT_EQ(strategyProgress(canary(s, 0, 4, 10)), "step 1/4, 10% of traffic on revision 3 (v2)");
  EXPECT_EQ(strategyProgress(canary(s, 0, 0, 0)), "0% of traffic on revision 3 (v2)");
  auto first = canary(s, 0, 4, 0);  // nothing to split with: the first rollout, a restart
  first.stableRevision = 0;
  EXPECT_EQ(strategyProgress(first), "");
  first.stableRevision = 3;
  EXPECT_EQ(strategyProgress(first), "");
  s.stableRevision = 2;
  s.strategy = "BlueGreen";
  EXPECT_EQ(strategyProgress(s), "preview not ready yet");
  s.stepIndex = 1;
  EXPECT_EQ(strategyProgress(s), "preview ready, waiting for promotion");
  s.canaryWeight = 100;
  EXPECT_EQ(strategyProgress(s), "promoted");
}

TEST(AnalysisLine, OneEntryPerMetricAndNothingWithoutAWindow) {
  EXPECT_EQ(analysisLine(nullptr), "");
  EXPECT_EQ(analysisLine(nlohmann::json::object()), "");
  EXPECT_EQ(analysisLine({{"verdict", "Inconclusive"}, {"metrics", nlohmann::json::array()}}), "");
  EXPECT_EQ(analysisLine({{"metrics",
                           {{{"name", "error-rate"}, {"verdict", "Inconclusive"}, {"value", nullptr}},
                            {{"name", "checkout"}, {"verdict", "Successful"}, {"value", 0.0123456}},
                            "not an object"}}}),
            "analysis: error-rate - Inconclusive; checkout 0.01235 Successful");
}

TEST(RolloutWatch, ShowsARoutingSnapshotTheProxyDidNotTake) {
  RolloutWatch w("web", 5);
  auto s = status(3, api::RolloutPhase::kProgressing, 4, 4);
  s.terminatingReplicas = 1;
  s.routingError = "proxy rejected routing snapshot 7: listeners[0].listen: bad address";
  EXPECT_EQ(w.observe(s).lines,
            Lines{"Waiting for rollout of service/web to revision 3 (v2): 4 of 4 updated, 4 available, 1 terminating; "
                  "proxy rejected routing snapshot 7: listeners[0].listen: bad address..."});
  s.strategy = "RollingUpdate";
  s.message = "rolling out";
  EXPECT_EQ(describeRollout(s),
            "Rollout:\n"
            "  Strategy:          RollingUpdate\n"
            "  Phase:             Progressing\n"
            "  Message:           rolling out\n"
            "  Routing:           proxy rejected routing snapshot 7: listeners[0].listen: bad address\n"
            "  Stable revision:   <none>\n");
}

TEST(DescribeRollout, RollingUpdateShowsTheBasics) {
  auto s = status(3, api::RolloutPhase::kComplete, 4, 4);
  s.strategy = "RollingUpdate";
  s.message = "revision 3 (v2) rolled out: 4 of 4 updated, 4 available";
  s.stableRevision = 3;
  EXPECT_EQ(describeRollout(s),
            "Rollout:\n"
            "  Strategy:          RollingUpdate\n"
            "  Phase:             Complete\n"
            "  Message:           revision 3 (v2) rolled out: 4 of 4 updated, 4 available\n"
            "  Stable revision:   3\n");
}

TEST(DescribeRollout, CanaryShowsStepWeightsReasonsAndTheLastAnalysis) {
  auto s = canary(status(3, api::RolloutPhase::kDegraded, 1, 4), 1, 5, 0);
  s.canaryReplicas = 0;
  s.message = "revision 3 (v2) was aborted";
  s.aborted = true;
  s.abortReason = "analysis failed";
  s.stableRevision = 2;
  s.analysis = {{"verdict", "Failed"},
                {"canaryRequests", 812},
                {"metrics",
                 {{{"name", "error-rate"},
                   {"verdict", "Failed"},
                   {"value", 0.31},
                   {"stableValue", 0.001},
                   {"message", "error-rate 0.31 fails < 0.01"}}}}};
  EXPECT_EQ(describeRollout(s),
            "Rollout:\n"
            "  Strategy:          Canary\n"
            "  Phase:             Degraded\n"
            "  Message:           revision 3 (v2) was aborted\n"
            "  Step:              2/5\n"
            "  Canary weight:     0%\n"
            "  Canary replicas:   0\n"
            "  Abort reason:      analysis failed\n"
            "  Stable revision:   2\n"
            "  Analysis:          Failed (812 canary requests)\n"
            "    METRIC       VERDICT   VALUE   STABLE   MESSAGE\n"
            "    error-rate   Failed    0.31    0.001    error-rate 0.31 fails < 0.01\n");
}

TEST(DescribeRollout, BlueGreenShowsThePreviewAndThePauseReason) {
  auto s = status(3, api::RolloutPhase::kPaused, 4, 8);
  s.strategy = "BlueGreen";
  s.stepIndex = 1;
  s.canaryReplicas = 4;
  s.stableRevision = 2;
  s.pauseReason = "preview of revision 3 is ready: waiting for `rollway rollout promote web`";
  auto text = describeRollout(s);
  EXPECT_NE(text.find("  Preview:           preview ready, waiting for promotion\n"), std::string::npos) << text;
  EXPECT_NE(text.find("  Pause reason:      preview of revision 3 is ready"), std::string::npos) << text;
  EXPECT_NE(text.find("  Message:           <none>\n"), std::string::npos) << text;
  EXPECT_NE(text.find("  Stable revision:   2\n"), std::string::npos) << text;
  EXPECT_EQ(text.find("Analysis"), std::string::npos) << text;
}

TEST(RolloutWatch, AlreadyCompleteAtTheFirstReply) {
  RolloutWatch w("web", 5);
  auto step = w.observe(status(2, api::RolloutPhase::kComplete, 4, 4));
  EXPECT_EQ(step.verdict, RolloutVerdict::kComplete);
  EXPECT_EQ(step.lines, Lines{"service/web successfully rolled out to revision 2 (v1)"});
}

TEST(ProgressBar, ShowsAvailableAndUpdatedCells) {
  auto s = status(3, api::RolloutPhase::kProgressing, 2, 3);
  s.updatedAvailableReplicas = 1;
  EXPECT_EQ(progressBar(s, 8), "[==--    ] 2/4 updated, 3/4 available");
  s.updatedAvailableReplicas = 4;
  s.updatedReplicas = 4;
  EXPECT_EQ(progressBar(s, 8), "[========] 4/4 updated, 3/4 available");
  s.replicas = 0;
  s.updatedReplicas = 0;
  s.availableReplicas = 0;
  EXPECT_EQ(progressBar(s, 4), "[====] 0/0 updated, 0/0 available");
  s.replicas = 3;
  s.updatedReplicas = 7;  // never more cells than the width
  s.updatedAvailableReplicas = 7;
  EXPECT_EQ(progressBar(s, 4), "[====] 7/3 updated, 0/3 available");
}

}  // namespace
}  // namespace rollway::cli
