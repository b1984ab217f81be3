// AnalysisGate against the fake proxy and providers: when a window starts, when it is
// measured, and that answers for a rollout that moved on are dropped.
#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "fakes/fake_health.h"
#include "fakes/fake_provider.h"
#include "fakes/fake_proxy.h"
#include "rollway/controller/analysis_gate.h"
#include "rollway/spec/parser.h"

namespace rollway::controller::fakes {
namespace {

using namespace std::chrono_literals;

spec::Analysis analysisSpec(int failureLimit = 1) {
  std::string yaml =
      "apiVersion: rollway.dev/v1\nkind: Service\nmetadata: {name: web}\nspec:\n  replicas: 1\n"
      "  listen: 127.0.0.1:18080\n  template: {version: v1, command: [/bin/app]}\n"
      "  analysis:\n    interval: 5s\n    failureLimit: " + std::to_string(failureLimit) +
      "\n    minRequests: 0\n    metrics:\n      - name: prom-errors\n        successCondition: \"== 0\"\n"
      "        provider: {prometheus: {address: \"http://127.0.0.1:9\", query: \"x\"}}\n";
  auto specs = spec::parseServices(yaml, "t.yaml");
  if (!specs || !specs->front().analysis) throw std::runtime_error("bad analysis spec");
  return *specs->front().analysis;
}

class Gate {
 public:
  Gate() {
    proxy.metricsJson = {{"services", nlohmann::json::object()}};
    gate = std::make_unique<AnalysisGate>(
        AnalysisGateDeps{io_, clock, proxy, health, prometheus, webhook, pool_, nullLogger()},
        [this](std::chrono::milliseconds d) { wakes.push_back(d); },
        [this](const AnalysisVerdict& v) { verdicts.push_back(v); });
  }
  AnalysisTarget target(const std::string& rollout = "h2@1") {
    AnalysisTarget t;
    t.service = "web";
    t.rollout = rollout;
    t.analysis = analysisSpec();
    t.canaryRevision = 2;
    t.canaryHash = "h2";
    t.stableRevision = 1;
    t.stableHash = "h1";
    return t;
  }
  // A window started, then one interval later measured.
  void twoWindows(bool trafficOnNew = true) {
    gate->measure(target(), trafficOnNew);
    run();
    clock.advance(5s);
    gate->measure(target(), trafficOnNew);
    run();
  }
  void run() {
    for (int i = 0; i < 1000; ++i) {
      if (io_.poll_one() != 0) continue;
      io_.restart();
      if (io_.poll_one() != 0) continue;
      if (pool_.idle()) break;
      std::this_thread::sleep_for(1ms);
    }
    io_.restart();
  }

  FakeClock clock;
  FakeHealth health;
  FakeProvider prometheus;
  FakeProvider webhook;
  std::vector<std::chrono::milliseconds> wakes;
  std::vector<AnalysisVerdict> verdicts;

 private:
  asio::io_context io_;
  BlockingPool pool_{BlockingPoolOptions{"the test's pool", 1, 4}};

 public:
  FakeProxy proxy{io_};
  std::unique_ptr<AnalysisGate> gate;
};

TEST(AnalysisGate, TheFirstSampleOnlyStartsTheWindowThenEachIntervalIsJudged) {
  Gate g;
  g.prometheus.value = 0.0;
  g.gate->measure(g.target(), true);
  g.run();
  EXPECT_TRUE(g.verdicts.empty());
  EXPECT_EQ(g.prometheus.calls, 0);
  ASSERT_FALSE(g.wakes.empty());
  EXPECT_EQ(g.wakes.back(), 5s);
  g.clock.advance(2s);
  g.gate->measure(g.target(), true);
  g.run();
  EXPECT_TRUE(g.verdicts.empty()) << "not due yet";
  EXPECT_EQ(g.wakes.back(), 3s) << "woken for the rest of the interval";
  g.clock.advance(3s);
  g.gate->measure(g.target(), true);
  g.run();
  ASSERT_EQ(g.verdicts.size(), 1u);
  EXPECT_EQ(g.verdicts[0].rollout, "h2@1");
  EXPECT_EQ(g.verdicts[0].measurement.verdict, analysis::Verdict::kSuccessful);
  EXPECT_EQ(g.prometheus.calls, 1);
}

TEST(AnalysisGate, FailuresUpToTheLimitAbort) {
  Gate g;
  g.prometheus.value = 3.0;
  g.twoWindows();
  ASSERT_EQ(g.verdicts.size(), 1u);
  EXPECT_EQ(g.verdicts[0].decision, analysis::Decision::kAbort);
  EXPECT_EQ(g.verdicts[0].consecutiveFailures, 1);
}

TEST(AnalysisGate, WithoutTrafficOnTheNewRevisionTheWindowOnlyRestarts) {
  Gate g;
  for (int i = 0; i < 3; ++i) {
    g.gate->measure(g.target(), false);
    g.run();
    g.clock.advance(5s);
  }
  EXPECT_TRUE(g.verdicts.empty());
  EXPECT_EQ(g.prometheus.calls, 0);
}

TEST(AnalysisGate, AnAnswerForARolloutThatMovedOnIsDropped) {
  Gate g;
  g.prometheus.value = 3.0;
  g.gate->measure(g.target(), true);
  g.run();
  g.clock.advance(5s);
  g.gate->measure(g.target(), true);  // the proxy's answer is on its way
  g.gate->forget("web");             // a new template, a retry, an abort
  g.run();
  EXPECT_TRUE(g.verdicts.empty());
  EXPECT_EQ(g.prometheus.calls, 0);
  // The next rollout starts its own window: no verdict from the first sample.
  g.gate->measure(g.target("h3@9"), true);
  g.run();
  EXPECT_TRUE(g.verdicts.empty());
}

TEST(AnalysisGate, ANewRolloutKeyStartsAfreshEvenWithoutForget) {
  Gate g;
  g.prometheus.value = 3.0;
  g.gate->measure(g.target("h2@1"), true);
  g.run();
  g.clock.advance(5s);
  g.gate->measure(g.target("h2@2"), true);  // a restart of the same template
  g.run();
  EXPECT_TRUE(g.verdicts.empty()) << "the restarted rollout's first sample starts its window";
}

TEST(AnalysisGate, OneWindowAtATimeAndNothingWhileTheProxyIsDown) {
  Gate g;
  g.proxy.up = false;
  g.gate->measure(g.target(), true);
  g.run();
  EXPECT_TRUE(g.wakes.empty());
  g.proxy.up = true;
  g.gate->measure(g.target(), true);
  g.gate->measure(g.target(), true);  // the first is still under way
  g.run();
  EXPECT_EQ(g.wakes.size(), 1u) << "one window started";
}

TEST(AnalysisGate, MetricsThatDoNotParseMeasureNothing) {
  Gate g;
  g.proxy.metricsJson = nlohmann::json::array();
  g.prometheus.value = 3.0;
  g.twoWindows();
  EXPECT_TRUE(g.verdicts.empty());
  EXPECT_EQ(g.prometheus.calls, 0);
}

}  // namespace
}  // namespace rollway::controller::fakes
