#pragma once

#include <cstddef>
#include <optional>
#include <vector>

#include "rollway/spec/service_spec.h"

namespace rollway::controller {

// spec.disruptionBudget as Kubernetes' PodDisruptionBudget computes desiredHealthy:
// minAvailable resolved against `replicas` rounding up, or replicas - maxUnavailable
// (rounded up); no budget = 0. Capped at `replicas`, so a scale down is never held.
// Voluntary disruptions (rolling updates, rollout restart, canary / blue-green scale
// downs, evictions, and a liveness restart of an instance that still serves) never take an
// available instance away when fewer than this would remain; crashes are not held.
int requiredAvailable(int replicas, const std::optional<spec::DisruptionBudget>& budget);

// Which of `candidates` (in stop order; true = available) may stop now when `available`
// instances of the service are available and `required` must stay: an unavailable one
// always, an available one only while available - 1 >= required.
struct BudgetedStops {
  std::vector<size_t> stop;  // indexes into candidates, in order
  int held = 0;              // available candidates the budget keeps
  int availableAfter = 0;
  bool operator==(const BudgetedStops&) const = default;
};
BudgetedStops budgetedStops(const std::vector<bool>& candidates, int available, int required);

// Kubernetes' eviction check (the PDB's disruptionsAllowed = currentHealthy -
// desiredHealthy > 0): may an instance be evicted now, when `available` instances of the
// service are available and not already leaving (terminating or being evicted; the target
// counts in it when it is available) and `required` must stay? One that is not available
// always (losing it costs nothing), an available one only while available - 1 >= required.
bool evictionAllowed(bool targetAvailable, int available, int required);

}  // namespace rollway::controller
