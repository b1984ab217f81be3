#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "rollway/spec/service_spec.h"

namespace rollway::controller {

// One instance of a service as the rolling-update planner sees it. Terminating
// instances are not given to the planner (as Kubernetes does not count terminating
// pods): they are already out of rotation and on their way out.
struct PlanInstance {
  std::string name;
  bool updated = false;    // on the desired revision (and started after the last restart)
  bool ready = false;
  bool available = false;  // ready for minReadySeconds
  int64_t revision = 0;    // older revisions are scaled down first
  int64_t createdMs = 0;   // among equals, the newest goes first (Kubernetes' pod ranking)
  int colocated = 0;       // cluster mode: instances of the service on its node; more go first
};

// What one reconcile should do.
struct RolloutPlan {
  int start = 0;                  // new instances of the desired revision to start now
  std::vector<std::string> stop;  // instances to drain and stop now, in this order
  int heldByBudget = 0;           // old available instances the rolling bounds allowed to stop, the budget not
  bool operator==(const RolloutPlan&) const = default;
};

// One step of Kubernetes' rolling update (deployment controller: reconcileNewReplicaSet
// then reconcileOldReplicaSets), both halves in one call:
//   - no old instances: scale the desired revision to `replicas` (extra ones: not ready
//     first, then not available, then the newest);
//   - scale up: start  min(replicas + maxSurge - total, replicas - updated)  new ones;
//   - scale down: maxScaledDown = total - minAvailable - newUnavailable; first the old
//     instances that are not available (unhealthy go first), up to maxScaledDown; then
//     old available ones while  available > replicas - maxUnavailable.
// So at all times total <= replicas + maxSurge and available >= replicas - maxUnavailable
// (once reached). The disruption budget (`budgetAvailable`, see requiredAvailable)
// bounds the second half too: an old available instance is stopped only while at least
// budgetAvailable others stay available (an unavailable one costs no availability and is
// never held); what it holds back is counted in heldByBudget. Pure: the same input gives
// the same plan.
RolloutPlan planRollingUpdate(int replicas, const spec::RollingUpdate& rollingUpdate,
                              const std::vector<PlanInstance>& instances, int budgetAvailable = 0);

}  // namespace rollway::controller
