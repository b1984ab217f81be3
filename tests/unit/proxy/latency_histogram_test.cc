#include "rollway/proxy/latency_histogram.h"

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include <gtest/gtest.h>

namespace rollway::proxy {
namespace {

TEST(LatencyHistogram, BucketsTileTheAxis) {
  for (int i = 0; i + 1 < kLatencyBuckets; ++i) {
    EXPECT_EQ(latencyBucketUpperMicros(i), latencyBucketLowerMicros(i + 1)) << i;
    EXPECT_EQ(latencyBucket(latencyBucketLowerMicros(i)), i) << i;
    EXPECT_EQ(latencyBucket(latencyBucketUpperMicros(i) - 1), i) << i;
  }
  EXPECT_EQ(latencyBucket(0), 0);
  EXPECT_EQ(latencyBucket(UINT64_MAX), kLatencyBuckets - 1);
  EXPECT_GT(latencyBucketUpperMicros(kLatencyBuckets - 1), 100'000'000u);  // > 100 s
}

TEST(LatencyHistogram, QuantilesWithinTwelvePercent) {
  LatencyHistogram h;
  std::mt19937_64 rng(1);
  std::vector<uint64_t> values;
  std::lognormal_distribution<double> dist(std::log(2000.0), 1.0);
  for (int i = 0; i < 100000; ++i) {
    auto v = static_cast<uint64_t>(dist(rng));
    values.push_back(v);
    h.record(v);
  }
  std::sort(values.begin(), values.end());
  for (double q : {0.5, 0.9, 0.99, 0.999}) {
    double truth = static_cast<double>(values[static_cast<size_t>(q * values.size()) - 1]);
    EXPECT_NEAR(h.quantileMicros(q), truth, truth * 0.12) << q;
  }
}

TEST(LatencyHistogram, MergeAndWindow) {
  LatencyHistogram a, b;
  for (int i = 0; i < 100; ++i) a.record(1000);
  for (int i = 0; i < 100; ++i) b.record(300000);
  LatencyHistogram all = a;
  all.merge(b);
  EXPECT_EQ(all.total(), 200u);
  EXPECT_GT(all.quantileMicros(0.99), 250000);
  auto window = all.minus(a);
  EXPECT_EQ(window.total(), 100u);
  EXPECT_GT(window.quantileMicros(0.5), 250000);
  EXPECT_EQ(LatencyHistogram{}.quantileMicros(0.99), 0);
}

}  // namespace
}  // namespace rollway::proxy
