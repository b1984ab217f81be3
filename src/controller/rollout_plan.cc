#include "rollway/controller/rollout_plan.h"

#include <algorithm>

#include "rollway/controller/rolling_bounds.h"

namespace rollway::controller {

namespace {

// Kubernetes' ActivePodsWithRanks, reduced to what we know: not ready before ready,
// not available before available, older revision before newer, on a node with more of
// the service before one with fewer (so a rollout keeps them spread), newest before oldest.
bool stopsFirst(const PlanInstance& a, const PlanInstance& b) {
  if (a.ready != b.ready) return !a.ready;
  if (a.available != b.available) return !a.available;
  if (a.revision != b.revision) return a.revision < b.revision;
  if (a.colocated != b.colocated) return a.colocated > b.colocated;
  if (a.createdMs != b.createdMs) return a.createdMs > b.createdMs;
  return a.name < b.name;
}

std::vector<const PlanInstance*> ranked(const std::vector<PlanInstance>& all, bool updated) {
  std::vector<const PlanInstance*> out;
  for (const auto& i : all) {
    if (i.updated == updated) out.push_back(&i);
  }
  std::sort(out.begin(), out.end(), [](const PlanInstance* a, const PlanInstance* b) { return stopsFirst(*a, *b); });
  return out;
}

}  // namespace

RolloutPlan planRollingUpdate(int replicas, const spec::RollingUpdate& rollingUpdate,
                              const std::vector<PlanInstance>& instances, int budgetAvailable) {
  RolloutPlan plan;
  replicas = std::max(replicas, 0);
  auto updated = ranked(instances, true);
  auto old = ranked(instances, false);
  int newCount = static_cast<int>(updated.size());
  int total = static_cast<int>(instances.size());

  // Too many on the desired revision (a scale down): drop the least useful ones.
  size_t extra = newCount > replicas ? static_cast<size_t>(newCount - replicas) : 0;
  for (size_t i = 0; i < extra; ++i) plan.stop.push_back(updated[i]->name);
  newCount -= static_cast<int>(extra);
  total -= static_cast<int>(extra);
  if (old.empty()) {
    plan.start = std::max(0, replicas - newCount);
    return plan;
  }

  RollingBounds bounds = resolveRollingBounds(replicas, rollingUpdate);
  if (newCount < replicas && total < bounds.maxTotal) {
    plan.start = std::min(bounds.maxTotal - total, replicas - newCount);
    newCount += plan.start;
    total += plan.start;
  }

  int newAvailable = 0;
  for (size_t i = extra; i < updated.size(); ++i) newAvailable += updated[i]->available ? 1 : 0;
  int newUnavailable = newCount - newAvailable;
  int maxScaledDown = total - bounds.minAvailable - newUnavailable;
  if (maxScaledDown <= 0) return plan;

  // Old instances that are not available go first: stopping them costs no capacity.
  size_t next = 0;
  while (next < old.size() && maxScaledDown > 0 && !old[next]->available) {
    plan.stop.push_back(old[next]->name);
    ++next;
    --maxScaledDown;
  }
  // Then available old ones, as long as enough stay available.
  int available = newAvailable;
  for (size_t i = next; i < old.size(); ++i) available += old[i]->available ? 1 : 0;
  int oldLeft = static_cast<int>(old.size() - next);
  int byBounds = std::clamp(available - bounds.minAvailable, 0, oldLeft);
  int canStop = std::min(byBounds, std::max(0, available - budgetAvailable));
  plan.heldByBudget = byBounds - canStop;
  while (next < old.size() && canStop > 0) {
    plan.stop.push_back(old[next]->name);
    ++next;
    --canStop;
  }
  return plan;
}

}  // namespace rollway::controller
