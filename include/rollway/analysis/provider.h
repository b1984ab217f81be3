#pragma once

// Providers of non-builtin metric values. A call blocks (HTTP, with a short timeout):
// the controller makes it on a BlockingPool thread (Analyzer::measureAsync), possibly
// several at once — implementations keep no mutable state.

#include <chrono>
#include <memory>
#include <optional>

#include "rollway/analysis/measurement.h"
#include "rollway/analysis/http_options.h"
#include "rollway/common/result.h"
#include "rollway/spec/service_spec.h"

namespace rollway::analysis {

class Provider {
 public:
  virtual ~Provider() = default;
  // The metric's value for this window; nullopt = no data (the metric is inconclusive);
  // an error (unreachable, bad reply) also makes it inconclusive, with the message.
  virtual Result<std::optional<double>> fetch(const spec::Metric& metric, const WindowInput& in) = 0;
};

inline constexpr std::chrono::milliseconds kProviderTimeout{5000};

// GET {address}/api/v1/query?query=<query> against Prometheus. In the query,
// {{service}}, {{canaryRevision}} and {{stableRevision}} are replaced by the window's.
// The value is the first sample of a vector result, or a scalar result. An empty vector
// or NaN = no data. status "error", a range vector, +-Inf or non-200 = an error.
std::unique_ptr<Provider> makePrometheusProvider(std::chrono::milliseconds timeout = kProviderTimeout,
                                                 HttpOptions http = {});

// POST {url} with {"service", "canaryRevision", "stableRevision", "metric",
// "canary": {requests, errorRate, successRate, p50, p90, p99}, "stable": {...} or null}.
// A 2xx reply is JSON, either {"value": x} (null = no data) or
// {"verdict": "pass" | "fail" | "inconclusive"}, read as value 1 / 0 / no data — so a
// verdict webhook takes successCondition "== 1". Anything else is an error.
std::unique_ptr<Provider> makeWebhookProvider(std::chrono::milliseconds timeout = kProviderTimeout,
                                              HttpOptions http = {});

}  // namespace rollway::analysis
