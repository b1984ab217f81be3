#pragma once

// Evaluates every metric of spec::Analysis over one window.

#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include <asio/io_context.hpp>

#include "rollway/analysis/condition.h"
#include "rollway/analysis/measurement.h"
#include "rollway/analysis/provider.h"
#include "rollway/common/blocking_pool.h"
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
// What the providers answered for one window: one entry per metric of the analysis,
// nullopt for a metric that needs no call (builtin, or a condition that does not parse).
using ProviderAnswers = std::vector<std::optional<Result<std::optional<double>>>>;

// Measuring is two halves: fetch() asks the providers (blocking: HTTP with a timeout,
// on a BlockingPool), evaluate() judges every metric from the window and those answers
// (pure, on the control thread). measureAsync() chains them for the control thread.
class Analyzer {
 public:
  // Conditions are parsed here, once; a condition that does not parse makes its metric
  // inconclusive at every window (the spec module normally rejects it earlier). The
  // providers must outlive every fetch (and so every pool that runs one).
  Analyzer(spec::Analysis analysis, Provider& prometheus, Provider& webhook);

  // True when some metric asks a provider (Prometheus or webhook).
  bool needsProviders() const;
  // Blocking: asks the provider of every such metric, one after the other, each call
  // bounded by its provider's timeout. Never on the control thread.
  ProviderAnswers fetch(const WindowInput& in) const;
  // Pure: the verdict of every metric. A provider metric without an answer in
  // `answers` is inconclusive ("no answer from its provider").
  Measurement evaluate(const WindowInput& in, const ProviderAnswers& answers) const;
  // evaluate(in, fetch(in)) on the calling thread (blocking when needsProviders()).
  Measurement measure(const WindowInput& in) const;

  // For the control thread: fetch() on `pool`, then evaluate() and `done` on `io` —
  // unless `owner` has expired by then (done is then never called). Without provider
  // metrics nothing goes to the pool; `done` is still posted, never called inline. A
  // pool that refuses the work makes each provider metric inconclusive with its reason.
  void measureAsync(const WindowInput& in, BlockingPool& pool, asio::io_context& io, std::weak_ptr<const void> owner,
                    std::function<void(Measurement)> done) const;

  const spec::Analysis& analysis() const { return analysis_; }

 private:
  MetricResult measureOne(const spec::Metric& metric, const Result<Condition>& condition, const WindowInput& in,
                          const std::optional<Result<std::optional<double>>>& answer) const;
  bool asksProvider(size_t i) const;
  // Every provider metric answered with `error` (the pool refused the work).
  ProviderAnswers refused(const Error& error) const;

  spec::Analysis analysis_;
  std::vector<Result<Condition>> conditions_;  // one per analysis_.metrics
  Provider* prometheus_;
  Provider* webhook_;
};

}  // namespace rollway::analysis
