// The Controller with a proxy that answers late (ProxyPort is asynchronous): a draining
// instance is not signalled before the push that takes it out of rotation is answered,
// pushes go one at a time and the last wanted snapshot follows, and a proxy that is still
// starting holds the rollout's completion without a warning.
#include <gtest/gtest.h>

#include "fakes/controller_harness.h"
#include "fakes/loop_helpers.h"

namespace rollway::controller::fakes {
namespace {

using namespace std::chrono_literals;

TEST(ControllerAsync, TheDrainWaitsForThePushToBeAnswered) {
  ControllerHarness h;
  firstRollout(h, kRollingSurgeOne, 1);
  h.proxy.holdPushes = true;
  h.apply(spec("v2", 1, kRollingSurgeOne));
  h.pass();
  h.makeHealthy("v2");  // v1 leaves rotation: that snapshot goes out, unanswered
  for (int i = 0; i < 3; ++i) h.after(500ms);
  ASSERT_EQ(h.names("v1", "Terminating").size(), 1u) << "draining";
  EXPECT_EQ(h.runtime.count("terminate"), 0u) << "signalled before the proxy took it out of rotation";
  EXPECT_EQ(h.proxy.heldPushes(), 1u) << "one push at a time";
  EXPECT_FALSE(has(h.eventReasons(), "DrainBlocked")) << "an unanswered push is no failure (yet)";
  EXPECT_EQ(h.status().value("routingError", "x"), "");
  const size_t pushesBefore = h.proxy.pushed.size();
  h.proxy.releasePushes();
  h.pass();
  EXPECT_EQ(h.runtime.count("terminate"), 1u) << "the answer lets the drain go on";
  EXPECT_TRUE(has(h.eventReasons(), "Drained"));
  h.exitTerminated();
  EXPECT_EQ(h.status().value("phase", ""), "Complete") << h.status().dump(2);
  // What changed while the push was held went out after its answer.
  ASSERT_GT(h.proxy.pushed.size(), pushesBefore);
  size_t endpoints = 0;
  for (const auto& listener : h.proxy.pushed.back().listeners) {
    for (const auto& svc : listener.services) {
      for (const auto& rev : svc.revisions) endpoints += rev.endpoints.size();
    }
  }
  EXPECT_EQ(endpoints, 1u) << "v2 only";
}

TEST(ControllerAsync, AProxyStillStartingHoldsCompletionUntilItAnswersAndGetsTheSnapshot) {
  ControllerHarness h;
  h.proxy.up = false;
  h.proxy.holdStart = true;
  h.apply(spec("v1", 2));
  ASSERT_TRUE(h.ctl().start());  // returns at once: the proxy has not answered
  h.pass();
  EXPECT_EQ(h.runtime.count("start"), 2u) << "the loop goes on meanwhile";
  h.makeHealthy("v1");
  h.after(2s);
  EXPECT_TRUE(h.proxy.starting());
  EXPECT_TRUE(h.proxy.pushed.empty());
  EXPECT_EQ(h.status().value("routingError", ""),
            "the proxy is starting: the routing snapshot goes out when it answers")
      << h.status().dump(2);
  EXPECT_FALSE(has(h.eventReasons(""), "RoutingSnapshotFailed")) << "no failure: no warning";
  EXPECT_NE(h.status().value("phase", ""), "Complete") << "the proxy does not route it yet";
  h.proxy.releaseStart();
  h.pass();
  EXPECT_TRUE(has(h.eventReasons(""), "ProxyStarted"));
  ASSERT_FALSE(h.proxy.pushed.empty()) << "the snapshot follows the proxy's answer";
  EXPECT_EQ(h.status().value("phase", ""), "Complete") << h.status().dump(2);
  EXPECT_EQ(h.status().value("routingError", "x"), "");
}

}  // namespace
}  // namespace rollway::controller::fakes
