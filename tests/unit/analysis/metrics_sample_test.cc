#include "rollway/analysis/metrics_sample.h"

#include <algorithm>
#include <random>
#include <vector>

#include <gtest/gtest.h>

namespace rollway::analysis {
namespace {

using nlohmann::json;

// One revision as the proxy's totalsJson() writes it.
json revisionJson(uint64_t requests, uint64_t errors, uint64_t s5xx, const proxy::LatencyHistogram& latency = {}) {
  json buckets = json::array();
  for (auto c : latency.counts) buckets.push_back(c);
  uint64_t s2xx = requests - errors - s5xx;
  return {{"requests", requests},
          {"byClass", {{"error", errors}, {"1xx", 0}, {"2xx", s2xx}, {"3xx", 0}, {"4xx", 0}, {"5xx", s5xx}}},
          {"upstreamErrors", 0},
          {"retries", 0},
          {"held", 0},
          {"inFlight", 0},
          {"latencyBuckets", buckets},
          {"p50Ms", 0.0},
          {"p99Ms", 0.0}};
}

MetricsSample sampleOf(const json& revisions) {
  auto s = MetricsSample::fromProxyJson({{"snapshotVersion", 3}, {"connections", 2},
                                         {"services", {{"web", {{"revisions", revisions}}}}}});
  EXPECT_TRUE(s) << s.error().message;
  return s ? *s : MetricsSample{};
}

TEST(MetricsSample, ParsesTheProxyDocument) {
  proxy::LatencyHistogram h;
  h.record(1500);
  h.record(1500);
  auto s = sampleOf({{"1", revisionJson(10, 1, 2, h)}, {"2", revisionJson(4, 0, 0)}});
  const RevisionCounters* r1 = s.find("web", 1);
  ASSERT_NE(r1, nullptr);
  EXPECT_EQ(r1->requests, 10u);
  EXPECT_EQ(r1->errors, 1u);
  EXPECT_EQ(r1->status5xx, 2u);
  EXPECT_EQ(r1->latency.total(), 2u);
  EXPECT_EQ(r1->latency.counts[static_cast<size_t>(proxy::latencyBucket(1500))], 2u);
  ASSERT_NE(s.find("web", 2), nullptr);
  EXPECT_EQ(s.find("web", 3), nullptr);
  EXPECT_EQ(s.find("api", 1), nullptr);
}

TEST(MetricsSample, EmptyAndMissingPartsAreZero) {
  auto s = MetricsSample::fromProxyJson({{"services", json::object()}});
  ASSERT_TRUE(s);
  EXPECT_TRUE(s->services.empty());
  auto partial = MetricsSample::fromProxyJson({{"services", {{"web", {{"revisions", {{"7", {{"requests", 3}}}}}}}}}});
  ASSERT_TRUE(partial) << partial.error().message;
  EXPECT_EQ(partial->find("web", 7)->requests, 3u);
  EXPECT_EQ(partial->find("web", 7)->latency.total(), 0u);
}

TEST(MetricsSample, MalformedDocumentsAreErrors) {
  auto error = [](const json& j) {
    auto s = MetricsSample::fromProxyJson(j);
    EXPECT_FALSE(s) << j.dump();
    return s ? std::string() : s.error().message;
  };
  EXPECT_NE(error(json::array()).find("not an object"), std::string::npos);
  EXPECT_NE(error({{"connections", 1}}).find("no \"services\" object"), std::string::npos);
  EXPECT_NE(error({{"services", {{"web", 1}}}}).find("services.web is not an object"), std::string::npos);
  EXPECT_NE(error({{"services", {{"web", {{"revisions", {{"x1", {{"requests", 1}}}}}}}}}}).find("'x1' is not a revision"),
            std::string::npos);
  EXPECT_NE(error({{"services", {{"web", {{"revisions", {{"1", {{"requests", -1}}}}}}}}}})
                .find("services.web.revisions.1.requests is not a non-negative integer"),
            std::string::npos);
  EXPECT_NE(error({{"services", {{"web", {{"revisions", {{"1", {{"requests", "3"}}}}}}}}}}).find("requests"),
            std::string::npos);
  EXPECT_NE(error({{"services", {{"web", {{"revisions", {{"1", {{"byClass", 3}}}}}}}}}}).find("byClass is not an object"),
            std::string::npos);
  EXPECT_NE(error({{"services", {{"web", {{"revisions", {{"1", {{"latencyBuckets", {1, "a"}}}}}}}}}}})
                .find("latencyBuckets[1] is not a count"),
            std::string::npos);
}

TEST(WindowStats, DeltasOverTheWindow) {
  auto before = sampleOf({{"3", revisionJson(100, 1, 4)}});
  auto after = sampleOf({{"3", revisionJson(300, 11, 24)}});
  WindowStats w = windowStats(before, after, "web", 3);
  EXPECT_EQ(w.requests, 200u);
  EXPECT_DOUBLE_EQ(w.errorRate, 30.0 / 200);
  EXPECT_DOUBLE_EQ(w.successRate, 1 - 30.0 / 200);
}

TEST(WindowStats, NewRevisionCountsFromZeroAndAbsentRevisionIsEmpty) {
  auto before = sampleOf({{"1", revisionJson(50, 0, 0)}});
  auto after = sampleOf({{"1", revisionJson(60, 0, 0)}, {"2", revisionJson(20, 0, 5)}});
  WindowStats fresh = windowStats(before, after, "web", 2);
  EXPECT_EQ(fresh.requests, 20u);
  EXPECT_DOUBLE_EQ(fresh.errorRate, 0.25);
  WindowStats none = windowStats(before, after, "web", 9);
  EXPECT_EQ(none.requests, 0u);
  EXPECT_EQ(none.errorRate, 0);
  EXPECT_EQ(none.successRate, 1);
  EXPECT_EQ(none.p99, 0);
  EXPECT_EQ(windowStats(before, after, "other", 1).requests, 0u);
  // No traffic in the window: the rates keep their neutral values.
  WindowStats idle = windowStats(after, after, "web", 2);
  EXPECT_EQ(idle.requests, 0u);
  EXPECT_EQ(idle.successRate, 1);
}

TEST(WindowStats, CountersGoingBackwardsMeanTheProxyRestarted) {
  auto before = sampleOf({{"1", revisionJson(1000, 10, 10)}});
  auto after = sampleOf({{"1", revisionJson(40, 0, 4)}});
  WindowStats w = windowStats(before, after, "web", 1);
  EXPECT_EQ(w.requests, 40u);
  EXPECT_DOUBLE_EQ(w.errorRate, 0.1);
  // Only the 5xx counter went back (more requests since the restart than before it).
  auto before2 = sampleOf({{"1", revisionJson(10, 0, 5)}});
  auto after2 = sampleOf({{"1", revisionJson(20, 0, 2)}});
  WindowStats w2 = windowStats(before2, after2, "web", 1);
  EXPECT_EQ(w2.requests, 20u);
  EXPECT_DOUBLE_EQ(w2.errorRate, 0.1);
  // Only a latency bucket went back.
  proxy::LatencyHistogram slow, fast;
  for (int i = 0; i < 5; ++i) slow.record(900'000);
  for (int i = 0; i < 30; ++i) fast.record(1000);
  WindowStats w3 = windowStats(sampleOf({{"1", revisionJson(5, 0, 0, slow)}}),
                               sampleOf({{"1", revisionJson(30, 0, 0, fast)}}), "web", 1);
  EXPECT_EQ(w3.requests, 30u);
  EXPECT_NEAR(w3.p99, 0.001, 0.001 * 0.12);
}

// Quantiles over a window come from the difference of two histograms: the traffic
// before the window must not leak into them.
TEST(WindowStats, QuantilesWithinTheHistogramAccuracy) {
  std::mt19937_64 rng(7);
  std::lognormal_distribution<double> dist(std::log(20'000.0), 0.8);  // ~20 ms median, in µs
  proxy::LatencyHistogram early, all;
  for (int i = 0; i < 5000; ++i) early.record(100);  // 0.1 ms, before the window
  all = early;
  std::vector<double> window;
  for (int i = 0; i < 20000; ++i) {
    double v = dist(rng);
    window.push_back(v / 1e6);
    all.record(static_cast<uint64_t>(v));
  }
  std::sort(window.begin(), window.end());
  auto truth = [&](double q) { return window[static_cast<size_t>(q * static_cast<double>(window.size())) - 1]; };
  auto before = sampleOf({{"4", revisionJson(5000, 0, 0, early)}});
  auto after = sampleOf({{"4", revisionJson(25000, 0, 0, all)}});
  WindowStats w = windowStats(before, after, "web", 4);
  EXPECT_EQ(w.requests, 20000u);
  EXPECT_NEAR(w.p50, truth(0.50), truth(0.50) * 0.12);
  EXPECT_NEAR(w.p90, truth(0.90), truth(0.90) * 0.12);
  EXPECT_NEAR(w.p99, truth(0.99), truth(0.99) * 0.12);
}

TEST(WindowStats, FromCountersDirectly) {
  RevisionCounters a, b;
  b.requests = 10;
  b.errors = 10;
  b.status5xx = 10;  // inconsistent counters never give a rate above 1
  WindowStats w = windowStats(a, b);
  EXPECT_EQ(w.errorRate, 1.0);
  EXPECT_EQ(w.successRate, 0.0);
}

}  // namespace
}  // namespace rollway::analysis
