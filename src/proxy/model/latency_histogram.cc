#include "rollway/proxy/latency_histogram.h"

#include <algorithm>
#include <cmath>

namespace rollway::proxy {

double LatencyHistogram::quantileMicros(double q) const {
  uint64_t n = total();
  if (n == 0) return 0;
  q = std::clamp(q, 0.0, 1.0);
  // The rank of the wanted observation, 1-based.
  double rank = std::max(1.0, std::ceil(q * static_cast<double>(n)));
  uint64_t seen = 0;
  for (int i = 0; i < kLatencyBuckets; ++i) {
    uint64_t c = counts[static_cast<size_t>(i)];
    if (c == 0) continue;
    if (static_cast<double>(seen + c) >= rank) {
      double lo = static_cast<double>(latencyBucketLowerMicros(i));
      double hi = static_cast<double>(latencyBucketUpperMicros(i));
      double within = (rank - static_cast<double>(seen)) / static_cast<double>(c);
      return lo + (hi - lo) * within;
    }
    seen += c;
  }
  return static_cast<double>(latencyBucketUpperMicros(kLatencyBuckets - 1));
}

}  // namespace rollway::proxy
