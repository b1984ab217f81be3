// planRollout: which strategy runs this pass, and the parts they share (counts per
// template hash under the disruption budget, the aborted state).
#include <algorithm>

#include "rollway/controller/disruption_budget.h"
#include "rollway/controller/rollout_decision.h"
#include "strategy_util.h"

namespace rollway::controller {

bool stepsActive(spec::StrategyType type, const ServiceStatus& status, const std::string& currentHash, bool stableKnown) {
  // A rollout that began as a RollingUpdate ends as one: switched to weights half-way, it
  // would send the traffic back to the old revision (torture seed 404).
  return type != spec::StrategyType::kRollingUpdate && status.rolloutStrategy != "RollingUpdate" &&
         !status.stableHash.empty() && status.stableHash != currentHash && stableKnown;
}

bool stepsActive(const RolloutInput& in) {
  return stepsActive(in.spec.strategy.type, in.status, in.currentHash, in.stableKnown);
}

RolloutDecision startDecision(const RolloutInput& in) {
  RolloutDecision d;
  d.status = in.status;
  d.analyzedAvailable = in.analyzedAvailable;
  d.analysisSeenMs = in.analysisSeenMs;
  return d;
}

int availableOn(const RolloutInput& in, const std::string& hash) {
  return static_cast<int>(std::count_if(in.instances.begin(), in.instances.end(),
                                        [&](const InstanceView& i) { return i.hash == hash && i.available; }));
}

bool keepAborted(const RolloutInput& in, RolloutDecision& d) {
  ServiceStatus& st = d.status;
  if (!st.aborted) return false;
  // Aborted: the stable revision at full size, nothing of the new one, no traffic to it.
  st.canaryWeight = 0;
  st.canaryReplicas = 0;
  planCounts(in, {{st.stableHash, in.spec.replicas}}, d);
  return true;
}

void planCounts(const RolloutInput& in, const std::map<std::string, int>& wanted, RolloutDecision& d) {
  // Instances of the current template started before the last `rollout restart` are
  // replaced: they count apart and stay only until as many restarted ones are available
  // (counted with the others they would never be replaced, and the rollout never
  // completes: the status counts only restarted ones as updated).
  const std::string restartedKey = "\n" + in.currentHash + " (before the restart)";
  std::map<std::string, int> want = wanted;
  std::map<std::string, std::vector<const InstanceView*>> byHash;
  int available = 0;
  int restartedAvailable = 0;
  for (const InstanceView& i : in.instances) {
    bool stale = i.hash == in.currentHash && !i.updated;
    byHash[stale ? restartedKey : i.hash].push_back(&i);
    available += i.available ? 1 : 0;
    restartedAvailable += i.hash == in.currentHash && i.updated && i.available ? 1 : 0;
  }
  if (auto w = wanted.find(in.currentHash); w != wanted.end()) {
    want[restartedKey] = std::max(0, w->second - restartedAvailable);
  }
  d.budget = requiredAvailable(in.spec.replicas, in.spec.disruptionBudget);
  for (auto& [hash, list] : byHash) {
    auto w = want.find(hash);
    size_t keep = w == want.end() ? 0 : static_cast<size_t>(std::max(0, w->second));
    if (list.size() <= keep) continue;
    // Not in rotation first, then on the most crowded node, then the newest (Kubernetes'
    // pod ranking for scale down).
    std::sort(list.begin(), list.end(), [](const InstanceView* a, const InstanceView* b) {
      if (a->ready != b->ready) return !a->ready;
      if (a->colocated != b->colocated) return a->colocated > b->colocated;
      return a->createdMs > b->createdMs;
    });
    std::vector<bool> candidates;
    for (size_t i = 0; i < list.size() - keep; ++i) candidates.push_back(list[i]->available);
    auto allowed = budgetedStops(candidates, available, d.budget);
    available = allowed.availableAfter;
    d.heldByBudget += allowed.held;
    for (size_t i : allowed.stop) {
      d.stops.push_back({list[i]->name, hash == in.currentHash    ? "scaling down"
                                        : hash == restartedKey ? "replaced after `rollout restart`"
                                                               : "not wanted by the rollout any more"});
    }
  }
  for (const auto& [hash, count] : wanted) {
    auto it = byHash.find(hash);
    int have = it == byHash.end() ? 0 : static_cast<int>(it->second.size());
    if (count > have) d.starts.emplace_back(hash, count - have);
  }
}

RolloutDecision planRollout(const RolloutInput& in) {
  if (in.spec.paused) return startDecision(in);
  if (in.status.aborted && in.stableKnown && in.status.stableHash != in.currentHash) {
    // Aborted stays aborted, whatever strategy the spec says now, until a retry or a new
    // template: a switch to RollingUpdate rolled the aborted revision out again (torture
    // seed 3059).
    RolloutDecision d = startDecision(in);
    keepAborted(in, d);
    return d;
  }
  if (stepsActive(in)) {
    return in.spec.strategy.type == spec::StrategyType::kCanary ? planCanary(in) : planBlueGreen(in);
  }
  const ServiceStatus& st = in.status;
  int64_t keepPreviousMs = int64_t{in.spec.strategy.blueGreen.scaleDownDelaySeconds} * 1000 - (in.nowMs - st.promotedAtMs);
  if (in.spec.strategy.type == spec::StrategyType::kBlueGreen && !st.previousHash.empty() &&
      st.previousHash != in.currentHash && keepPreviousMs > 0) {
    // Promoted: the old revision stays up (out of rotation) for scaleDownDelaySeconds, so
    // that an undo in that window is one swap. What is left of it stays; nothing of it is
    // started again (after a rolling update there is nothing left).
    RolloutDecision d = startDecision(in);
    int previousLeft = static_cast<int>(std::count_if(in.instances.begin(), in.instances.end(),
                                                      [&](const InstanceView& i) { return i.hash == st.previousHash; }));
    planCounts(in, {{in.currentHash, in.spec.replicas}, {st.previousHash, std::min(previousLeft, in.spec.replicas)}}, d);
    d.wakeInMs = keepPreviousMs;
    return d;
  }
  return planRolling(in);
}

}  // namespace rollway::controller
