#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

namespace rollway::proxy {

// Latency buckets in microseconds with 4 sub-buckets per power of two (as HdrHistogram
// does with 2 significant bits): bucket i < 4 holds [i, i+1) µs; bucket i >= 4
// (m = i/4 + 1, s = i%4) holds [(4+s)·2^(m-2), (5+s)·2^(m-2)) µs. Relative width ≤ 25 %, so a quantile
// interpolated inside its bucket is within about 12 % of the truth. The last bucket
// also takes everything beyond ~400 s. Fixed boundaries make histograms of different
// workers and processes mergeable by adding counts.
inline constexpr int kLatencyBuckets = 4 * 28;

constexpr int latencyBucket(uint64_t micros) {
  if (micros < 4) return static_cast<int>(micros);
  int msb = 63 - __builtin_clzll(micros);
  int index = 4 * (msb - 1) + static_cast<int>((micros >> (msb - 2)) & 3);
  return index < kLatencyBuckets ? index : kLatencyBuckets - 1;
}

// Exclusive upper bound of bucket i, in microseconds.
constexpr uint64_t latencyBucketUpperMicros(int i) {
  if (i < 4) return static_cast<uint64_t>(i) + 1;
  int m = i / 4 + 1, s = i % 4;
  return static_cast<uint64_t>(5 + s) << (m - 2);
}

constexpr uint64_t latencyBucketLowerMicros(int i) {
  if (i < 4) return static_cast<uint64_t>(i);
  int m = i / 4 + 1, s = i % 4;
  return static_cast<uint64_t>(4 + s) << (m - 2);
}

// Plain counts: what workers publish and what the analysis engine reads.
struct LatencyHistogram {
  std::array<uint64_t, kLatencyBuckets> counts{};

  void record(uint64_t micros) { ++counts[static_cast<size_t>(latencyBucket(micros))]; }
  void merge(const LatencyHistogram& other) {
    for (size_t i = 0; i < counts.size(); ++i) counts[i] += other.counts[i];
  }
  // The difference of two cumulative histograms (a window).
  LatencyHistogram minus(const LatencyHistogram& earlier) const {
    LatencyHistogram d;
    for (size_t i = 0; i < counts.size(); ++i) d.counts[i] = counts[i] >= earlier.counts[i] ? counts[i] - earlier.counts[i] : 0;
    return d;
  }
  uint64_t total() const {
    uint64_t n = 0;
    for (auto c : counts) n += c;
    return n;
  }
  // q in [0, 1]; linear interpolation inside the bucket; 0 when empty.
  double quantileMicros(double q) const;
};

}  // namespace rollway::proxy
