#pragma once

// Evaluates every metric of spec::Analysis over one window.

#include <optional>
#include <vector>

#include "rollway/analysis/condition.h"
#include "rollway/analysis/measurement.h"
#include "rollway/analysis/provider.h"
#include "rollway/spec/service_spec.h"

namespace rollway::analysis {

// Builtin metric names (provider kBuiltin): error-rate, success-rate, latency-p50,
// latency-p90, latency-p99 (seconds) and probe-success-rate. Any other builtin name is
// inconclusive with a message naming the known ones.
//
// Low traffic is never a failure: with canary.requests < minRequests (or 0 requests)
// every builtin metric is inconclusive ("12 requests < minRequests 50"), and stable.X
// variables other than stable.requests have no value when the stable revision saw
// fewer than minRequests (or 0) requests, so relative conditions are inconclusive too.
// Provider metrics are not gated by minRequests: their data is not the proxy's.
//
// Overall: Failed if any metric failed, else Inconclusive if any is, else Successful.
class Analyzer {
 public:
  // Conditions are parsed here, once; a condition that does not parse makes its metric
  // inconclusive at every window (the spec module normally rejects it earlier).
  Analyzer(spec::Analysis analysis, Provider& prometheus, Provider& webhook);

  Measurement measure(const WindowInput& in);

  const spec::Analysis& analysis() const { return analysis_; }

 private:
  MetricResult measureOne(const spec::Metric& metric, const Result<Condition>& condition, const WindowInput& in);

  spec::Analysis analysis_;
  std::vector<Result<Condition>> conditions_;  // one per analysis_.metrics
  Provider& prometheus_;
  Provider& webhook_;
};

}  // namespace rollway::analysis
