#include "rollway/controller/disruption_budget.h"

#include <algorithm>

namespace rollway::controller {

int requiredAvailable(int replicas, const std::optional<spec::DisruptionBudget>& budget) {
  replicas = std::max(replicas, 0);
  if (!budget) return 0;
  int required = 0;
  if (budget->minAvailable) {
    required = budget->minAvailable->resolve(replicas, /*roundUp=*/true);
  } else if (budget->maxUnavailable) {
    required = replicas - budget->maxUnavailable->resolve(replicas, /*roundUp=*/true);
  }
  return std::clamp(required, 0, replicas);
}

BudgetedStops budgetedStops(const std::vector<bool>& candidates, int available, int required) {
  BudgetedStops out;
  for (size_t i = 0; i < candidates.size(); ++i) {
    if (candidates[i]) {
      if (available - 1 < required) {
        ++out.held;
        continue;
      }
      --available;
    }
    out.stop.push_back(i);
  }
  out.availableAfter = available;
  return out;
}

bool evictionAllowed(bool targetAvailable, int available, int required) {
  return !targetAvailable || available - 1 >= required;
}

}  // namespace rollway::controller
