#pragma once

// Shared by the strategy files (rollout_strategy.cc, rolling_strategy.cc,
// canary_strategy.cc, blue_green_strategy.cc); private to the controller.

#include <string>

#include "rollway/controller/rollout_decision.h"

namespace rollway::controller {

// The input's status and rollout state, nothing decided yet.
RolloutDecision startDecision(const RolloutInput& in);
// Instances of `hash` that are available.
int availableOn(const RolloutInput& in, const std::string& hash);
// An aborted Canary / BlueGreen holds the stable revision only (weight 0); false when
// the rollout is not aborted.
bool keepAborted(const RolloutInput& in, RolloutDecision& d);

}  // namespace rollway::controller
