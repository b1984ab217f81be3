#pragma once

// What one analysis interval measured, and the verdict per metric.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "rollway/analysis/metrics_sample.h"
#include "rollway/analysis/verdict.h"
#include "rollway/common/result.h"

namespace rollway::analysis {

// The inputs the controller gathers for one interval.
struct WindowInput {
  std::string service;
  int64_t canaryRevision = 0;
  int64_t stableRevision = 0;  // 0 = none
  WindowStats canary;
  std::optional<WindowStats> stable;
  std::optional<double> canaryProbeSuccessRate;  // 0..1 over the window, when probes ran
  std::optional<double> stableProbeSuccessRate;
};

struct MetricResult {
  std::string name;
  Verdict verdict = Verdict::kInconclusive;
  std::optional<double> value;        // the canary's value of this metric
  std::optional<double> stableValue;  // the stable's, for builtin metrics
  std::string message;                // e.g. "error-rate 0.31 (stable 0) fails < 0.01"
};

struct Measurement {
  Verdict verdict = Verdict::kInconclusive;
  std::vector<MetricResult> metrics;
  uint64_t canaryRequests = 0;
  std::string summary;  // one line: the failing (or inconclusive) metrics' messages
};

// {"verdict": "Failed", "canaryRequests": 812, "summary": "...",
//  "metrics": [{"name", "verdict", "value" (null when none), "stableValue", "message"}]}
nlohmann::json toJson(const Measurement& measurement);
Result<Measurement> measurementFromJson(const nlohmann::json& j);

Result<Verdict> verdictFromName(std::string_view name);

}  // namespace rollway::analysis
