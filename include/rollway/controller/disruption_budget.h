#pragma once

#include <optional>

#include "rollway/spec/service_spec.h"

namespace rollway::controller {

// spec.disruptionBudget as Kubernetes' PodDisruptionBudget computes desiredHealthy:
// minAvailable resolved against `replicas` rounding up, or replicas - maxUnavailable
// (rounded up); no budget = 0. Capped at `replicas`, so a scale down is never held.
// Voluntary disruptions (rolling updates, rollout restart, canary / blue-green scale
// downs) never take an available instance away when fewer than this would remain;
// crashes and liveness restarts are not held.
int requiredAvailable(int replicas, const std::optional<spec::DisruptionBudget>& budget);

}  // namespace rollway::controller
