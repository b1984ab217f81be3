#pragma once

// The proxy's cumulative per-revision counters (GET /v1/metrics of its admin socket) and
// what one revision did between two readings of them.

#include <cstdint>
#include <map>
#include <string>

#include <nlohmann/json.hpp>

#include "rollway/common/result.h"
#include "rollway/proxy/latency_histogram.h"

namespace rollway::analysis {

// Cumulative counters of one revision, as the proxy reports them:
// {"requests", "byClass": {"error","1xx","2xx","3xx","4xx","5xx"}, "latencyBuckets": [...]}.
struct RevisionCounters {
  uint64_t requests = 0;
  uint64_t errors = 0;     // the "error" class: no answer from the upstream
  uint64_t status5xx = 0;
  proxy::LatencyHistogram latency;
};

// One reading of GET /v1/metrics: service → revision → counters.
struct MetricsSample {
  std::map<std::string, std::map<int64_t, RevisionCounters>> services;

  // {"services": {"web": {"revisions": {"3": {...}}}}}; other fields are ignored. A
  // malformed document is a kInvalidArgument error naming the offending field.
  static Result<MetricsSample> fromProxyJson(const nlohmann::json& j);
  // The counters of one revision, nullptr when the proxy has none.
  const RevisionCounters* find(const std::string& service, int64_t revision) const;
};

// One revision over a window. With no requests: errorRate 0, successRate 1, quantiles 0.
struct WindowStats {
  uint64_t requests = 0;
  double errorRate = 0;    // (5xx + error) / requests
  double successRate = 1;  // 1 - errorRate
  double p50 = 0, p90 = 0, p99 = 0;  // seconds, within ~12 % (the histogram's accuracy)
};

// `after - before` for one revision. A revision missing from `before` counts from zero;
// when any counter went backwards the proxy restarted in between, and `before` is
// treated as zero (the window then starts at the restart).
WindowStats windowStats(const MetricsSample& before, const MetricsSample& after, const std::string& service,
                        int64_t revision);
// The same from two readings of one revision's counters.
WindowStats windowStats(const RevisionCounters& before, const RevisionCounters& after);

}  // namespace rollway::analysis
