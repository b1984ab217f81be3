#pragma once

// Analysis of a rollout (docs/life-of-a-rollout.md, step 11): every `interval` it reads
// the proxy's cumulative per-revision counters, takes the window's difference and the
// probe results since the last window, has the providers judged off the control thread,
// and keeps the consecutive-results count (AnalysisRun). The verdicts go to its owner,
// which gates, pauses or aborts the rollout. Answers that come back for a rollout that
// has moved on (new template, retry, abort) are dropped.

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <asio/io_context.hpp>

#include "rollway/analysis/analysis_run.h"
#include "rollway/analysis/measurement.h"
#include "rollway/analysis/metrics_sample.h"
#include "rollway/analysis/provider.h"
#include "rollway/common/blocking_pool.h"
#include "rollway/common/clock.h"
#include "rollway/common/log.h"
#include "rollway/controller/proxy_port.h"
#include "rollway/probe/health_source.h"
#include "rollway/spec/service_spec.h"

namespace rollway::controller {

struct AnalysisGateDeps {
  asio::io_context& io;
  const Clock& clock;
  ProxyPort& proxy;
  probe::HealthSource& health;
  analysis::Provider& prometheus;  // called on `pool`
  analysis::Provider& webhook;
  BlockingPool& pool;
  Logger logger;
};

// One rollout as the gate measures it.
struct AnalysisTarget {
  std::string service;
  std::string rollout;  // which rollout (e.g. its template hash and start): a new one starts afresh
  spec::Analysis analysis;
  int64_t canaryRevision = 0;
  std::string canaryHash;
  int64_t stableRevision = 0;  // 0 = none
  std::string stableHash;
  // The service's instances (name, template hash): their probe results count per revision.
  std::vector<std::pair<std::string, std::string>> instances;
};

struct AnalysisVerdict {
  std::string service;
  std::string rollout;
  analysis::Measurement measurement;
  analysis::Decision decision = analysis::Decision::kContinue;
  int consecutiveFailures = 0;
  int consecutiveInconclusive = 0;
};

class AnalysisGate {
 public:
  using WakeIn = std::function<void(std::chrono::milliseconds)>;
  using OnVerdict = std::function<void(const AnalysisVerdict&)>;

  AnalysisGate(AnalysisGateDeps deps, WakeIn wakeIn, OnVerdict onVerdict);
  ~AnalysisGate();
  AnalysisGate(const AnalysisGate&) = delete;
  AnalysisGate& operator=(const AnalysisGate&) = delete;

  // A window when one is due (else a wake-up when it will be). `trafficOnNew`: the new
  // revision serves now; before that the window only (re)starts.
  void measure(const AnalysisTarget& target, bool trafficOnNew);
  // The rollout is over or replaced: its window, counts and answers under way go.
  void forget(const std::string& service);

 private:
  struct State {
    std::string rollout;
    std::optional<analysis::MetricsSample> lastSample;
    SteadyTime lastMeasure{};
    std::unique_ptr<analysis::AnalysisRun> run;
    uint64_t pending = 0;  // the token of the answer under way (0 = none)
    // Probe results per instance at the start of the window (successes, failures).
    std::map<std::string, std::pair<uint64_t, uint64_t>> probeCounts;
  };
  // The state still waiting for the answer `token`, or nullptr.
  State* waiting(const std::string& service, uint64_t token);
  std::optional<analysis::WindowInput> window(State& st, const AnalysisTarget& target, bool trafficOnNew,
                                              const Result<nlohmann::json>& metrics);

  AnalysisGateDeps deps_;
  WakeIn wakeIn_;
  OnVerdict onVerdict_;
  std::map<std::string, State> states_;
  uint64_t nextToken_ = 0;
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);
};

}  // namespace rollway::controller
