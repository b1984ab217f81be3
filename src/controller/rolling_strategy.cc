// RollingUpdate as the strategies see it: Kubernetes' rolling update (planRollingUpdate)
// under the disruption budget, gated between batches by analysis when spec.analysis is
// set. Canary and BlueGreen use it too outside their steps (first rollout, scaling,
// restarts, undo targets) with maxSurge 100 %, maxUnavailable 0: all new up, then old go.
#include "rollway/controller/disruption_budget.h"
#include "rollway/controller/rollout_decision.h"
#include "rollway/controller/rollout_plan.h"
#include "strategy_util.h"

namespace rollway::controller {

RolloutDecision planRolling(const RolloutInput& in) {
  RolloutDecision d = startDecision(in);
  ServiceStatus& st = d.status;
  const auto type = in.spec.strategy.type;
  spec::RollingUpdate rollingUpdate = in.spec.strategy.rollingUpdate;
  if (type != spec::StrategyType::kRollingUpdate) {
    rollingUpdate.maxSurge = spec::IntOrPercent::percent(100);
    rollingUpdate.maxUnavailable = spec::IntOrPercent::absolute(0);
  }
  // With spec.analysis, a batch that became available must pass one analysis window
  // before the next one starts. An undo / rollback target goes without analysis.
  bool analyzing = in.spec.analysis && type == spec::StrategyType::kRollingUpdate && !st.stableHash.empty() &&
                   st.stableHash != in.currentHash && in.stableKnown && st.skipStepsHash != in.currentHash;
  if (analyzing) {
    int newAvailable = availableOn(in, in.currentHash);
    d.analyze = true;
    d.trafficOnNew = newAvailable > 0;
    if (in.analysisPassedMs != in.analysisSeenMs || in.promoteRequested) {
      // A window passed since the last pass (or a person said go on): the batch that
      // is available now is cleared.
      d.analyzedAvailable = newAvailable;
      d.analysisSeenMs = in.analysisPassedMs;
      d.promoteConsumed = in.promoteRequested;
      st.pauseReason.clear();
    }
    if (newAvailable > d.analyzedAvailable && newAvailable < in.spec.replicas) return d;  // gated
  }
  std::vector<PlanInstance> view;
  view.reserve(in.instances.size());
  for (const InstanceView& i : in.instances) {
    view.push_back(PlanInstance{i.name, i.updated, i.ready, i.available, i.revision, i.createdMs, i.colocated});
  }
  d.budget = requiredAvailable(in.spec.replicas, in.spec.disruptionBudget);
  auto plan = planRollingUpdate(in.spec.replicas, rollingUpdate, view, d.budget);
  d.heldByBudget = plan.heldByBudget;
  for (const auto& name : plan.stop) {
    auto it = std::find_if(in.instances.begin(), in.instances.end(), [&](const InstanceView& i) { return i.name == name; });
    bool updated = it != in.instances.end() && it->hash == in.currentHash;
    d.stops.push_back({name, updated ? "scaling down" : "replaced by the new revision"});
    if (!updated) st.lastProgressMs = in.nowMs;
  }
  if (plan.start > 0) d.starts.emplace_back(in.currentHash, plan.start);
  return d;
}

}  // namespace rollway::controller
