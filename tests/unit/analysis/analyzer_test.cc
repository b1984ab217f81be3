#include "rollway/analysis/analyzer.h"

#include <gtest/gtest.h>

#include <chrono>
#include <mutex>
#include <thread>

#include <asio/executor_work_guard.hpp>

namespace rollway::analysis {
namespace {

// Answers every fetch with a fixed result and records what it was asked.
// It may be asked from a pool thread: it records which.
class ScriptedProvider final : public Provider {
 public:
  Result<std::optional<double>> answer = std::optional<double>();
  std::vector<std::string> asked;
  std::thread::id askedOn;
  Result<std::optional<double>> fetch(const spec::Metric& metric, const WindowInput&) override {
    asked.push_back(metric.name);
    askedOn = std::this_thread::get_id();
    return answer;
  }
};

spec::Metric builtinMetric(const std::string& name, const std::string& condition) {
  spec::Metric m;
  m.name = name;
  m.successCondition = condition;
  return m;
}

spec::Analysis analysisOf(std::vector<spec::Metric> metrics, int minRequests = 50) {
  spec::Analysis a;
  a.minRequests = minRequests;
  a.metrics = std::move(metrics);
  return a;
}

WindowStats statsOf(uint64_t requests, double errorRate, double p99 = 0.1) {
  WindowStats s;
  s.requests = requests;
  s.errorRate = errorRate;
  s.successRate = 1 - errorRate;
  s.p50 = p99 / 4;
  s.p90 = p99 / 2;
  s.p99 = p99;
  return s;
}

WindowInput windowOf(WindowStats canary, std::optional<WindowStats> stable = std::nullopt) {
  WindowInput in;
  in.service = "web";
  in.canaryRevision = 2;
  in.stableRevision = 1;
  in.canary = canary;
  in.stable = stable;
  return in;
}

struct AnalyzerFixture : ::testing::Test {
  ScriptedProvider prometheus, webhook;
  Measurement measure(std::vector<spec::Metric> metrics, const WindowInput& in, int minRequests = 50) {
    Analyzer analyzer(analysisOf(std::move(metrics), minRequests), prometheus, webhook);
    return analyzer.measure(in);
  }
};

TEST_F(AnalyzerFixture, AbsoluteThresholdsPassAndFail) {
  auto ok = measure({builtinMetric("error-rate", "< 0.01")}, windowOf(statsOf(500, 0.002)));
  EXPECT_EQ(ok.verdict, Verdict::kSuccessful) << ok.summary;
  ASSERT_EQ(ok.metrics.size(), 1u);
  EXPECT_EQ(ok.metrics[0].value, 0.002);
  EXPECT_EQ(ok.metrics[0].message, "error-rate 0.002 passes < 0.01");
  EXPECT_EQ(ok.canaryRequests, 500u);
  EXPECT_EQ(ok.summary, "1 of 1 metrics passed (500 canary requests)");

  auto bad = measure({builtinMetric("error-rate", "< 0.01")}, windowOf(statsOf(500, 0.31), statsOf(5000, 0)));
  EXPECT_EQ(bad.verdict, Verdict::kFailed);
  EXPECT_EQ(bad.metrics[0].message, "error-rate 0.31 (stable 0) fails < 0.01");
  EXPECT_EQ(bad.metrics[0].stableValue, 0.0);
  EXPECT_EQ(bad.summary, bad.metrics[0].message);
}

TEST_F(AnalyzerFixture, EveryBuiltinMetric) {
  WindowInput in = windowOf(statsOf(100, 0.05, 0.4), statsOf(900, 0.0, 0.2));
  in.canaryProbeSuccessRate = 0.9;
  in.stableProbeSuccessRate = 1.0;
  auto m = measure({builtinMetric("error-rate", "<= 5%"), builtinMetric("success-rate", ">= 0.95"),
                    builtinMetric("latency-p50", "== 100ms"), builtinMetric("latency-p90", "<= 200ms"),
                    builtinMetric("latency-p99", "< 300ms"), builtinMetric("probe-success-rate", ">= 0.99")},
                   in);
  ASSERT_EQ(m.metrics.size(), 6u);
  EXPECT_EQ(m.metrics[0].verdict, Verdict::kSuccessful) << m.metrics[0].message;
  EXPECT_EQ(m.metrics[1].verdict, Verdict::kSuccessful) << m.metrics[1].message;
  EXPECT_EQ(m.metrics[2].verdict, Verdict::kSuccessful) << m.metrics[2].message;
  EXPECT_EQ(m.metrics[3].verdict, Verdict::kSuccessful) << m.metrics[3].message;
  EXPECT_EQ(m.metrics[4].verdict, Verdict::kFailed);
  EXPECT_EQ(m.metrics[4].message, "latency-p99 400ms (stable 200ms) fails < 300ms");
  EXPECT_EQ(m.metrics[5].verdict, Verdict::kFailed);
  EXPECT_EQ(m.metrics[5].value, 0.9);
  EXPECT_EQ(m.metrics[5].stableValue, 1.0);
  EXPECT_EQ(m.verdict, Verdict::kFailed);
  EXPECT_EQ(m.summary, m.metrics[4].message + "; " + m.metrics[5].message);
}

TEST_F(AnalyzerFixture, LowTrafficIsInconclusiveNeverFailed) {
  auto m = measure({builtinMetric("error-rate", "< 0.01"), builtinMetric("latency-p99", "< 1ms")},
                   windowOf(statsOf(12, 1.0, 9.0)));
  EXPECT_EQ(m.verdict, Verdict::kInconclusive);
  EXPECT_EQ(m.metrics[0].verdict, Verdict::kInconclusive);
  EXPECT_EQ(m.metrics[0].message, "error-rate: 12 requests < minRequests 50");
  EXPECT_EQ(m.metrics[1].message, "latency-p99: 12 requests < minRequests 50");
  EXPECT_FALSE(m.metrics[0].value);
  EXPECT_EQ(m.summary, m.metrics[0].message + "; " + m.metrics[1].message);
  // Exactly minRequests is enough.
  EXPECT_EQ(measure({builtinMetric("error-rate", "< 0.01")}, windowOf(statsOf(50, 0))).verdict, Verdict::kSuccessful);
  // minRequests 0 still needs one request: no traffic is no data.
  auto idle = measure({builtinMetric("latency-p99", "< 1s")}, windowOf(statsOf(0, 0, 0)), 0);
  EXPECT_EQ(idle.verdict, Verdict::kInconclusive);
  EXPECT_EQ(idle.metrics[0].message, "latency-p99: no requests in the window");
  EXPECT_EQ(measure({builtinMetric("latency-p99", "< 1s")}, windowOf(statsOf(1, 0)), 0).verdict, Verdict::kSuccessful);
}

TEST_F(AnalyzerFixture, RelativeToStable) {
  std::vector<spec::Metric> metrics = {builtinMetric("error-rate", "canary.errorRate <= stable.errorRate + 0.005"),
                                       builtinMetric("latency-p99", "canary.p99 <= stable.p99 * 1.2")};
  auto ok = measure(metrics, windowOf(statsOf(200, 0.011, 0.23), statsOf(2000, 0.01, 0.2)));
  EXPECT_EQ(ok.verdict, Verdict::kSuccessful) << ok.summary;
  auto slow = measure(metrics, windowOf(statsOf(200, 0.011, 0.25), statsOf(2000, 0.01, 0.2)));
  EXPECT_EQ(slow.verdict, Verdict::kFailed);
  EXPECT_EQ(slow.metrics[1].message, "latency-p99 250ms (stable 200ms) fails canary.p99 <= stable.p99 * 1.2");
  // canary.value / stable.value are the metric's own values.
  auto byValue = measure({builtinMetric("error-rate", "canary.value - stable.value < 1%")},
                         windowOf(statsOf(200, 0.02), statsOf(2000, 0.015)));
  EXPECT_EQ(byValue.verdict, Verdict::kSuccessful) << byValue.summary;
}

TEST_F(AnalyzerFixture, RelativeWithoutAStableIsInconclusive) {
  auto none = measure({builtinMetric("latency-p99", "canary.p99 <= stable.p99 * 1.2")}, windowOf(statsOf(200, 0)));
  EXPECT_EQ(none.verdict, Verdict::kInconclusive);
  EXPECT_EQ(none.metrics[0].message,
            "latency-p99: cannot evaluate 'canary.p99 <= stable.p99 * 1.2': no value for stable.p99 in this window "
            "(no stable revision)");
  // A stable with little traffic (p99 0 from no data) must not fail a good canary.
  auto quiet = measure({builtinMetric("latency-p99", "canary.p99 <= stable.p99 * 1.2")},
                       windowOf(statsOf(200, 0), statsOf(3, 0, 0)));
  EXPECT_EQ(quiet.verdict, Verdict::kInconclusive);
  EXPECT_NE(quiet.metrics[0].message.find("(stable: 3 requests < minRequests 50)"), std::string::npos)
      << quiet.metrics[0].message;
  EXPECT_FALSE(quiet.metrics[0].stableValue);
  // stable.requests is always there.
  auto requests = measure({builtinMetric("error-rate", "stable.requests >= 3")}, windowOf(statsOf(200, 0), statsOf(3, 0)));
  EXPECT_EQ(requests.verdict, Verdict::kSuccessful) << requests.summary;
}

TEST_F(AnalyzerFixture, UnknownMetricAndBadConditionAreInconclusive) {
  auto m = measure({builtinMetric("latency-p95", "< 1s"), builtinMetric("error-rate", "< 1 /"),
                    builtinMetric("success-rate", "canary.bogus > 0"), builtinMetric("error-rate", "< 1 / 0")},
                   windowOf(statsOf(200, 0)));
  EXPECT_EQ(m.verdict, Verdict::kInconclusive);
  EXPECT_EQ(m.metrics[0].message,
            "latency-p95: unknown builtin metric; use one of error-rate, success-rate, latency-p50, latency-p90, "
            "latency-p99, probe-success-rate, or a prometheus or webhook provider");
  EXPECT_NE(m.metrics[1].message.find("error-rate: successCondition '< 1 /': expected a number"), std::string::npos)
      << m.metrics[1].message;
  EXPECT_NE(m.metrics[2].message.find("unknown variable 'canary.bogus'"), std::string::npos) << m.metrics[2].message;
  EXPECT_NE(m.metrics[3].message.find("division by zero"), std::string::npos) << m.metrics[3].message;
  auto noProbes = measure({builtinMetric("probe-success-rate", ">= 0.99")}, windowOf(statsOf(200, 0)));
  EXPECT_EQ(noProbes.metrics[0].message, "probe-success-rate: no probe results in the window");
}

TEST_F(AnalyzerFixture, FailedBeatsInconclusiveBeatsSuccessful) {
  auto m = measure({builtinMetric("error-rate", "< 0.01"), builtinMetric("latency-p95", "< 1s"),
                    builtinMetric("success-rate", "> 0.999")},
                   windowOf(statsOf(200, 0.005)));
  EXPECT_EQ(m.verdict, Verdict::kFailed);
  EXPECT_EQ(m.summary, "success-rate 0.995 fails > 0.999");
  auto i = measure({builtinMetric("error-rate", "< 0.01"), builtinMetric("latency-p95", "< 1s")},
                   windowOf(statsOf(200, 0.005)));
  EXPECT_EQ(i.verdict, Verdict::kInconclusive);
  EXPECT_EQ(measure({}, windowOf(statsOf(200, 0))).verdict, Verdict::kInconclusive);
}

TEST_F(AnalyzerFixture, ProviderMetrics) {
  spec::Metric prom;
  prom.name = "prom-5xx";
  prom.provider = spec::MetricProvider::kPrometheus;
  prom.successCondition = "== 0";
  spec::Metric hook;
  hook.name = "external";
  hook.provider = spec::MetricProvider::kWebhook;
  hook.successCondition = "> 5";

  prometheus.answer = std::optional<double>(0.0);
  webhook.answer = std::optional<double>(7.0);
  // Providers are not gated by the proxy's request count.
  auto ok = measure({prom, hook}, windowOf(statsOf(3, 0)));
  EXPECT_EQ(ok.verdict, Verdict::kSuccessful) << ok.summary;
  EXPECT_EQ(prometheus.asked, std::vector<std::string>{"prom-5xx"});
  EXPECT_EQ(webhook.asked, std::vector<std::string>{"external"});
  EXPECT_EQ(ok.metrics[1].message, "external 7 passes > 5");

  webhook.answer = std::optional<double>(2.0);
  EXPECT_EQ(measure({prom, hook}, windowOf(statsOf(3, 0))).verdict, Verdict::kFailed);

  prometheus.answer = std::optional<double>();
  auto noData = measure({prom}, windowOf(statsOf(300, 0)));
  EXPECT_EQ(noData.verdict, Verdict::kInconclusive);
  EXPECT_EQ(noData.metrics[0].message, "prom-5xx: no data");

  prometheus.answer = fail(ErrorCode::kUnavailable, "cannot reach Prometheus at 127.0.0.1:1: connection refused");
  auto down = measure({prom}, windowOf(statsOf(300, 0)));
  EXPECT_EQ(down.verdict, Verdict::kInconclusive);
  EXPECT_EQ(down.metrics[0].message, "prom-5xx: cannot reach Prometheus at 127.0.0.1:1: connection refused");

  // A provider value compared with the proxy's view of the canary.
  prometheus.answer = std::optional<double>(0.02);
  prom.successCondition = "canary.value <= canary.errorRate + 0.01";
  EXPECT_EQ(measure({prom}, windowOf(statsOf(300, 0.015))).verdict, Verdict::kSuccessful);
}

TEST_F(AnalyzerFixture, ConditionsAreParsedOnce) {
  Analyzer analyzer(analysisOf({builtinMetric("error-rate", "< 0.01")}), prometheus, webhook);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(analyzer.measure(windowOf(statsOf(100, 0))).verdict, Verdict::kSuccessful);
  EXPECT_EQ(analyzer.analysis().metrics.size(), 1u);
}

// measureAsync: the providers are asked on the pool, the verdict comes back on the io
// thread, and nothing is delivered to an owner that is gone.
struct AnalyzerAsync : AnalyzerFixture {
  asio::io_context io;
  std::shared_ptr<int> owner = std::make_shared<int>(0);

  spec::Metric promMetric() {
    spec::Metric m;
    m.name = "prom-5xx";
    m.provider = spec::MetricProvider::kPrometheus;
    m.successCondition = "== 0";
    return m;
  }
  // Runs io until `got` is set or 5 s pass.
  bool runUntil(const std::optional<Measurement>& got) {
    io.restart();
    auto guard = asio::make_work_guard(io);
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (!got && std::chrono::steady_clock::now() < deadline) io.run_one_for(std::chrono::milliseconds(10));
    return got.has_value();
  }
};

TEST_F(AnalyzerAsync, ProvidersAreAskedOnThePoolAndTheVerdictComesBackOnTheIoThread) {
  BlockingPool pool({"analysis pool", 1, 4});
  prometheus.answer = std::optional<double>(1.0);
  std::optional<Measurement> got;
  std::thread::id deliveredOn;
  {
    // The analyzer is a temporary of the caller: what runs later holds its own copy.
    Analyzer analyzer(analysisOf({promMetric(), builtinMetric("error-rate", "< 0.01")}), prometheus, webhook);
    analyzer.measureAsync(windowOf(statsOf(500, 0.5)), pool, io, owner, [&](Measurement m) {
      deliveredOn = std::this_thread::get_id();
      got = std::move(m);
    });
    EXPECT_FALSE(got) << "never inline";
  }
  ASSERT_TRUE(runUntil(got));
  EXPECT_EQ(deliveredOn, std::this_thread::get_id());
  EXPECT_NE(prometheus.askedOn, std::this_thread::get_id());
  EXPECT_EQ(prometheus.asked, std::vector<std::string>{"prom-5xx"});
  EXPECT_EQ(got->verdict, Verdict::kFailed);
  ASSERT_EQ(got->metrics.size(), 2u);
  EXPECT_EQ(got->metrics[0].message, "prom-5xx 1 fails == 0");
  EXPECT_EQ(got->metrics[1].message, "error-rate 0.5 fails < 0.01");
}

TEST_F(AnalyzerAsync, BuiltinMetricsAloneNeedNoPool) {
  // A pool that takes nothing: builtin metrics do not need it.
  BlockingPool pool({"analysis pool", 1, 0});
  Analyzer analyzer(analysisOf({builtinMetric("error-rate", "< 0.01")}), prometheus, webhook);
  EXPECT_FALSE(analyzer.needsProviders());
  std::optional<Measurement> got;
  analyzer.measureAsync(windowOf(statsOf(500, 0)), pool, io, owner, [&](Measurement m) { got = std::move(m); });
  EXPECT_FALSE(got) << "never inline";
  ASSERT_TRUE(runUntil(got));
  EXPECT_EQ(got->verdict, Verdict::kSuccessful) << got->summary;
}

TEST_F(AnalyzerAsync, AFullPoolMakesProviderMetricsInconclusiveWithItsReason) {
  BlockingPool pool({"analysis pool", 1, 0});
  Analyzer analyzer(analysisOf({promMetric(), builtinMetric("error-rate", "< 0.01")}), prometheus, webhook);
  EXPECT_TRUE(analyzer.needsProviders());
  std::optional<Measurement> got;
  analyzer.measureAsync(windowOf(statsOf(500, 0)), pool, io, owner, [&](Measurement m) { got = std::move(m); });
  EXPECT_FALSE(got) << "never inline";
  ASSERT_TRUE(runUntil(got));
  EXPECT_TRUE(prometheus.asked.empty());
  EXPECT_EQ(got->verdict, Verdict::kInconclusive);
  EXPECT_EQ(got->metrics[0].message,
            "prom-5xx: analysis pool is full: 0 works are already waiting for one of its 1 thread(s)");
  EXPECT_EQ(got->metrics[1].verdict, Verdict::kSuccessful);
}

TEST_F(AnalyzerAsync, NothingIsDeliveredOnceTheOwnerIsGone) {
  BlockingPool pool({"analysis pool", 1, 4});
  Analyzer analyzer(analysisOf({promMetric()}), prometheus, webhook);
  Analyzer builtinOnly(analysisOf({builtinMetric("error-rate", "< 0.01")}), prometheus, webhook);
  bool called = false;
  analyzer.measureAsync(windowOf(statsOf(500, 0)), pool, io, owner, [&](Measurement) { called = true; });
  builtinOnly.measureAsync(windowOf(statsOf(500, 0)), pool, io, owner, [&](Measurement) { called = true; });
  owner.reset();
  pool.shutdown();  // the fetch has run or was dropped: its completion is posted either way
  // A live owner's measurement, posted last, shows that the io_context ran the others.
  auto other = std::make_shared<int>(0);
  std::optional<Measurement> last;
  builtinOnly.measureAsync(windowOf(statsOf(500, 0)), pool, io, other, [&](Measurement m) { last = std::move(m); });
  ASSERT_TRUE(runUntil(last));
  io.poll();
  EXPECT_FALSE(called);
}

}  // namespace
}  // namespace rollway::analysis
