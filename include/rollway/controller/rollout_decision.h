#pragma once

// The strategies as pure functions (CONVENTIONS: "our own best rooms"): one reconcile
// pass of a service's rollout is  planRollout(RolloutInput) -> RolloutDecision,  with no
// clock, store, process or proxy behind it. The Controller builds the input from what it
// knows, applies the decision (stops, starts, events, a wake-up, an analysis window) and
// stores the new status. docs/life-of-a-rollout.md describes the rules.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "rollway/controller/service_status.h"
#include "rollway/spec/service_spec.h"

namespace rollway::controller {

// One instance of the service that is not terminating.
struct InstanceView {
  std::string name;
  std::string hash;        // its template hash (its revision, whatever its number)
  int64_t revision = 0;
  bool updated = false;    // on the current template and started after the last restart
  bool ready = false;      // in rotation (ready, or adopted as ready)
  bool available = false;  // ready for minReadySeconds
  int64_t createdMs = 0;
  int colocated = 0;       // cluster mode: instances of the service on its node (0: one host)
};

struct RolloutInput {
  std::string service;
  spec::ServiceSpec spec;
  std::string currentHash;
  int64_t currentRevision = 0;
  // The stable revision's template is still in the revision history (not pruned): the
  // steps of Canary / BlueGreen need it to route to.
  bool stableKnown = false;
  ServiceStatus status;
  std::vector<InstanceView> instances;
  int64_t nowMs = 0;
  // Rollout state kept beside the status: `rollway rollout promote` not consumed yet; the
  // last analysis window that passed; RollingUpdate: new instances available at that pass.
  bool promoteRequested = false;
  int64_t analysisPassedMs = 0;
  int64_t analysisSeenMs = 0;  // the last pass the rolling gate has taken into account
  int analyzedAvailable = 0;
};

struct DecisionEvent {
  std::string reason;
  std::string message;
  EventType type = EventType::kNormal;
  bool operator==(const DecisionEvent&) const = default;
};

struct InstanceStop {
  std::string name;
  std::string reason;
  bool operator==(const InstanceStop&) const = default;
};

struct RolloutDecision {
  ServiceStatus status;                       // the input's, moved on
  std::vector<InstanceStop> stops;            // drain and stop, in this order
  std::vector<std::pair<std::string, int>> starts;  // template hash -> new instances
  int heldByBudget = 0;                       // available instances the disruption budget kept
  int budget = 0;                             // how many must stay available
  std::vector<DecisionEvent> events;
  std::optional<int64_t> wakeInMs;            // reconcile again after this long at the latest
  bool promoteConsumed = false;
  int analyzedAvailable = 0;
  int64_t analysisSeenMs = 0;
  // Run an analysis window after applying this (the strategy is at a point that is
  // measured); `trafficOnNew`: the new revision serves traffic now.
  bool analyze = false;
  bool trafficOnNew = false;
};

// Canary / BlueGreen steps apply: the strategy has them, a stable revision exists (not
// the first rollout), the rollout goes elsewhere, and the stable template is known.
bool stepsActive(spec::StrategyType type, const ServiceStatus& status, const std::string& currentHash, bool stableKnown);
bool stepsActive(const RolloutInput& in);

// One pass: paused -> nothing moves; Canary / BlueGreen steps when stepsActive; the
// promoted blue-green's old revision kept for scaleDownDelaySeconds; else a rolling
// update (for Canary / BlueGreen: all new up first, then the old go), gated by analysis
// between batches when a RollingUpdate has spec.analysis.
RolloutDecision planRollout(const RolloutInput& in);

// The strategies one by one (planRollout picks), each pure.
RolloutDecision planRolling(const RolloutInput& in);
RolloutDecision planCanary(const RolloutInput& in);
RolloutDecision planBlueGreen(const RolloutInput& in);

// Stops and starts that give each template hash its wanted count (hashes not listed go
// to 0): not ready first, then the newest; an available instance stops only while the
// disruption budget allows. Fills decision.stops / starts / heldByBudget.
void planCounts(const RolloutInput& in, const std::map<std::string, int>& wanted, RolloutDecision& decision);

}  // namespace rollway::controller
