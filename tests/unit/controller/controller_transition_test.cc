// One row per rollout transition: bring the service to a state, do one thing (a verb,
// an apply, the clock), run one reconcile, and compare what the controller asked of
// the fakes (processes started and signalled, the weight pushed) and what it recorded
// (phase, events). The stories with several passes are in controller_loop_test.cc.
#include <gtest/gtest.h>

#include <functional>

#include "fakes/controller_harness.h"
#include "fakes/loop_helpers.h"

namespace rollway::controller::fakes {
namespace {

using namespace std::chrono_literals;

const std::string kCanaryTwoSteps = "  strategy:\n    type: Canary\n    canary: {steps: [{setWeight: 50}, {pause: {}}]}\n";
const std::string kBlueGreenDelay30 = "  strategy:\n    type: BlueGreen\n    blueGreen: {scaleDownDelaySeconds: 30}\n";

int weightPushed(ControllerHarness& h, int64_t revision) {
  if (h.proxy.pushed.empty()) return -1;
  for (const auto& l : h.proxy.pushed.back().listeners) {
    for (const auto& s : l.services) {
      for (const auto& r : s.revisions) {
        if (r.revision == revision) return r.weight;
      }
    }
  }
  return -1;
}

// States to start from.
void completeV1(ControllerHarness& h, const std::string& strategy) { firstRollout(h, strategy, 2); }
void v2WaitingForPromotion(ControllerHarness& h, const std::string& strategy) {
  firstRollout(h, strategy, 2);
  h.apply(spec("v2", 2, strategy));
  h.pass();
  h.makeHealthy("v2");
  ASSERT_EQ(h.status().value("phase", ""), "Paused") << h.status().dump(2);
}

struct Transition {
  const char* name;
  std::function<void(ControllerHarness&)> from;
  std::function<void(ControllerHarness&)> act;  // then one pass
  size_t starts;      // processes started by the act and its pass
  size_t terminates;  // SIGTERMs sent by them
  const char* phase;
  const char* event;         // an event the act recorded ("" = none checked)
  int weightOfRevision2 = -2;  // in the last snapshot pushed (-2 = not checked)
};

void PrintTo(const Transition& t, std::ostream* os) { *os << t.name; }

class Transitions : public ::testing::TestWithParam<Transition> {};

TEST_P(Transitions, OneReconcile) {
  const Transition& t = GetParam();
  ControllerHarness h;
  t.from(h);
  if (::testing::Test::HasFatalFailure()) return;
  size_t starts = h.runtime.count("start");
  size_t terminates = h.runtime.count("terminate");
  auto events = h.eventReasons().size();
  t.act(h);
  h.pass();
  EXPECT_EQ(h.runtime.count("start") - starts, t.starts) << h.runtime.actions.back();
  EXPECT_EQ(h.runtime.count("terminate") - terminates, t.terminates);
  EXPECT_EQ(h.status().value("phase", ""), t.phase) << h.status().dump(2);
  if (*t.event != '\0') {
    auto all = h.eventReasons();
    std::vector<std::string> recorded(all.begin() + static_cast<std::ptrdiff_t>(events), all.end());
    EXPECT_TRUE(has(recorded, t.event)) << t.event << " not among " << ::testing::PrintToString(recorded);
  }
  if (t.weightOfRevision2 != -2) {
    EXPECT_EQ(weightPushed(h, 2), t.weightOfRevision2);
  }
}

INSTANTIATE_TEST_SUITE_P(
    Rollouts, Transitions,
    ::testing::Values(
        Transition{"RollingNewVersionSurgesOne", [](auto& h) { completeV1(h, kRollingSurgeOne); },
                   [](auto& h) { h.apply(spec("v2", 2, kRollingSurgeOne)); }, 1, 0, "Progressing", "RolloutStarted"},
        Transition{"PausedSpecStartsNothing", [](auto& h) { completeV1(h, kRollingSurgeOne); },
                   [](auto& h) { h.apply(spec("v2", 2, kRollingSurgeOne + "  paused: true\n")); }, 0, 0, "Paused", ""},
        Transition{"ScaleDownStopsTheExtra", [](auto& h) { completeV1(h, kRollingSurgeOne); },
                   [](auto& h) { h.apply(spec("v1", 1, kRollingSurgeOne)); }, 0, 1, "Complete", "Draining"},
        Transition{"RestartStartsAReplacement", [](auto& h) { completeV1(h, kRollingSurgeOne); },
                   [](auto& h) {
                     h.clock().advance(1s);
                     ASSERT_TRUE(h.ctl().restart("web"));
                   },
                   1, 0, "Progressing", "RestartRequested"},
        Transition{"CanarySetWeightStartsOneOfTwo", [](auto& h) { completeV1(h, kCanaryTwoSteps); },
                   [](auto& h) { h.apply(spec("v2", 2, kCanaryTwoSteps)); }, 1, 0, "Progressing", "RolloutStarted", 0},
        Transition{"CanaryPromotePastThePause", [](auto& h) { v2WaitingForPromotion(h, kCanaryTwoSteps); },
                   [](auto& h) { ASSERT_TRUE(h.ctl().promote("web")); }, 1, 0, "Progressing", "CanaryStep", 50},
        Transition{"CanaryAbortWeightZeroAndDrain", [](auto& h) { v2WaitingForPromotion(h, kCanaryTwoSteps); },
                   [](auto& h) { ASSERT_TRUE(h.ctl().abort("web")); }, 0, 1, "Degraded", "RolloutAborted", 0},
        Transition{"CanaryRetryStartsOver",
                   [](auto& h) {
                     v2WaitingForPromotion(h, kCanaryTwoSteps);
                     ASSERT_TRUE(h.ctl().abort("web"));
                     h.pass();
                     h.exitTerminated();
                   },
                   [](auto& h) { ASSERT_TRUE(h.ctl().retry("web")); }, 1, 0, "Progressing", "RolloutRetried", 0},
        Transition{"CanaryUndoWithoutStepsAllAtOnce",
                   [](auto& h) {
                     v2WaitingForPromotion(h, kCanaryTwoSteps);
                     ASSERT_TRUE(h.ctl().promote("web"));
                     h.pass();
                     h.makeHealthy("v2");
                     h.exitTerminated();
                   },
                   [](auto& h) {
                     h.apply(spec("v1", 2, kCanaryTwoSteps));
                     h.ctl().skipSteps("web");
                   },
                   2, 0, "Progressing", "RolloutStarted"},
        Transition{"BlueGreenFullSizePreview", [](auto& h) { completeV1(h, kBlueGreenDelay30); },
                   [](auto& h) { h.apply(spec("v2", 2, kBlueGreenDelay30)); }, 2, 0, "Progressing", "RolloutStarted", 0},
        Transition{"BlueGreenPromoteIsOneSwapKeepingTheOld", [](auto& h) { v2WaitingForPromotion(h, kBlueGreenDelay30); },
                   [](auto& h) { ASSERT_TRUE(h.ctl().promote("web")); }, 0, 0, "Complete", "RolloutComplete", 100},
        Transition{"BlueGreenScaleDownDelayOver",
                   [](auto& h) {
                     v2WaitingForPromotion(h, kBlueGreenDelay30);
                     ASSERT_TRUE(h.ctl().promote("web"));
                     h.pass();
                   },
                   [](auto& h) { h.clock().advance(31s); }, 0, 2, "Complete", "Draining", 100},
        Transition{"DeadlineWithAutoRollbackGoesBack",
                   [](auto& h) {
                     completeV1(h, kRollingSurgeOne);
                     h.apply(spec("v2", 2, kRollingSurgeOne + "  autoRollback: true\n"));
                     h.pass();
                   },
                   // The old template comes back as revision 3 onto the v1 instances still up.
                   [](auto& h) { h.clock().advance(61s); }, 0, 1, "Complete", "RolledBack"}),
    [](const auto& param) { return std::string(param.param.name); });

}  // namespace
}  // namespace rollway::controller::fakes
