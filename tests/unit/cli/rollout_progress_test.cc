#include "cli/rollout_progress.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

namespace rollway::cli {
namespace {

RolloutStatus status(int64_t revision, const std::string& phase, int64_t updated = 0, int64_t available = 0) {
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

using Lines = std::vector<std::string>;

TEST(RolloutStatus, ReadsTheReplyAndToleratesMissingFields) {
  auto s = controller::statusFromJson({{"revision", 3}, {"version", "v2"}, {"replicas", 4}, {"phase", "Paused"},
                                    {"rolledBackFrom", 2}, {"message", nullptr}});
  EXPECT_EQ(s.revision, 3);
  EXPECT_EQ(s.version, "v2");
  EXPECT_EQ(s.replicas, 4);
  EXPECT_EQ(s.phase, "Paused");
  EXPECT_EQ(s.rolledBackFrom, 2);
  EXPECT_EQ(s.message, "");
  EXPECT_EQ(controller::statusFromJson(nlohmann::json(nullptr)).revision, 0);
}

TEST(RolloutWatch, PrintsProgressOnlyWhenItChangesThenSucceeds) {
  RolloutWatch w("web", 5);
  auto step = w.observe(status(3, "Progressing", 2, 3));
  EXPECT_EQ(step.verdict, RolloutVerdict::kWaiting);
  EXPECT_EQ(step.lines, Lines{"Waiting for rollout of service/web to revision 3 (v2): 2 of 4 updated, 3 available..."});
  EXPECT_EQ(w.watchedRevision(), 3);
  EXPECT_TRUE(w.observe(status(3, "Progressing", 2, 3)).lines.empty());
  auto terminating = status(3, "Progressing", 4, 4);
  terminating.terminatingReplicas = 1;
  EXPECT_EQ(w.observe(terminating).lines,
            Lines{"Waiting for rollout of service/web to revision 3 (v2): 4 of 4 updated, 4 available, 1 terminating..."});
  step = w.observe(status(3, "Complete", 4, 4));
  EXPECT_EQ(step.verdict, RolloutVerdict::kComplete);
  EXPECT_EQ(step.lines, Lines{"service/web successfully rolled out to revision 3 (v2)"});
  EXPECT_EQ(exitCodeFor(step.verdict), 0);
}

TEST(RolloutWatch, WaitsUntilTheControllerHasSeenTheGeneration) {
  RolloutWatch w("web", 6);
  auto stale = status(2, "Complete", 4, 4);  // observedGeneration 5: the old rollout, done
  auto step = w.observe(stale);
  EXPECT_EQ(step.verdict, RolloutVerdict::kWaiting);
  EXPECT_EQ(step.lines, Lines{"Waiting for the controller to act on generation 6 of service/web..."});
  EXPECT_EQ(w.watchedRevision(), 0);
  auto fresh = status(3, "Progressing", 0, 4);
  fresh.observedGeneration = 6;
  w.observe(fresh);
  EXPECT_EQ(w.watchedRevision(), 3);
}

TEST(RolloutWatch, FailedRolloutEndsWithTheMessage) {
  RolloutWatch w("web", 5);
  w.observe(status(3, "Progressing", 1, 4));
  auto failed = status(3, "Failed", 1, 4);
  failed.message = "progress deadline exceeded";
  auto step = w.observe(failed);
  EXPECT_EQ(step.verdict, RolloutVerdict::kFailed);
  EXPECT_EQ(step.error, "rollout of service/web to revision 3 (v2) failed: progress deadline exceeded");
  EXPECT_EQ(exitCodeFor(step.verdict), 1);
}

TEST(RolloutWatch, AutomaticRollbackAwayFromTheWatchedRevisionEndsIt) {
  RolloutWatch w("web", 5);
  w.observe(status(3, "Progressing", 1, 4));
  auto back = status(2, "Progressing", 3, 4);
  back.rolledBackFrom = 3;
  back.message = "error rate 7% > 1%";
  auto step = w.observe(back);
  EXPECT_EQ(step.verdict, RolloutVerdict::kRolledBack);
  EXPECT_EQ(step.error, "rollout of service/web to revision 3 (v2) failed and was rolled back to revision 2: "
                        "error rate 7% > 1%");
  EXPECT_TRUE(step.lines.empty());
}

TEST(RolloutWatch, RolledBackPhaseOnTheWatchedRevisionEndsIt) {
  RolloutWatch w("web", 5);
  w.observe(status(3, "Progressing", 1, 4));
  auto step = w.observe(status(3, "RolledBack", 0, 4));
  EXPECT_EQ(step.verdict, RolloutVerdict::kRolledBack);
  EXPECT_EQ(step.error, "rollout of service/web to revision 3 (v2) was rolled back");
}

TEST(RolloutWatch, FollowsANewerRevisionAppliedMeanwhile) {
  RolloutWatch w("web", 5);
  w.observe(status(3, "Progressing", 1, 4));
  auto step = w.observe(status(4, "Progressing", 0, 4));
  EXPECT_EQ(step.verdict, RolloutVerdict::kWaiting);
  EXPECT_EQ(step.lines, (Lines{"service/web: revision 4 was applied meanwhile; following it",
                               "Waiting for rollout of service/web to revision 4 (v3): 0 of 4 updated, 4 available..."}));
  EXPECT_EQ(w.watchedRevision(), 4);
  EXPECT_EQ(w.observe(status(4, "Complete", 4, 4)).verdict, RolloutVerdict::kComplete);
}

TEST(RolloutWatch, PausedKeepsWaiting) {
  RolloutWatch w("web", 5);
  auto step = w.observe(status(3, "Paused", 2, 4));
  EXPECT_EQ(step.verdict, RolloutVerdict::kWaiting);
  EXPECT_EQ(step.lines, Lines{"Rollout of service/web to revision 3 (v2) is paused: 2 of 4 updated, 4 available "
                              "(continue with: rollway rollout resume web)"});
}

TEST(RolloutWatch, AlreadyCompleteAtTheFirstReply) {
  RolloutWatch w("web", 5);
  auto step = w.observe(status(2, "Complete", 4, 4));
  EXPECT_EQ(step.verdict, RolloutVerdict::kComplete);
  EXPECT_EQ(step.lines, Lines{"service/web successfully rolled out to revision 2 (v1)"});
}

TEST(ProgressBar, ShowsAvailableAndUpdatedCells) {
  auto s = status(3, "Progressing", 2, 3);
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
