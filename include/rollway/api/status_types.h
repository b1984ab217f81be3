#pragma once

#include <array>
#include <string_view>

#include "rollway/common/result.h"

namespace rollway::api {

// The phase of a service's rollout (ServiceStatus::phase). Meanings: docs/api.md,
// "Rollout phases" (a unit test keeps that table and this enum the same).
enum class RolloutPhase {
  kProgressing,  // moving to the desired revision
  kComplete,     // every instance on the desired revision and available
  kPaused,       // waits for a person (spec.paused, a pause step, a preview, inconclusive analysis)
  kFailed,       // no progress within progressDeadlineSeconds (autoRollback: the way back runs)
  kDegraded,     // the new revision was aborted, by analysis or by hand
};
inline constexpr std::array kRolloutPhases{RolloutPhase::kProgressing, RolloutPhase::kComplete,
                                           RolloutPhase::kPaused, RolloutPhase::kFailed, RolloutPhase::kDegraded};
static_assert(kRolloutPhases.size() == static_cast<size_t>(RolloutPhase::kDegraded) + 1);

// The type of an event, as in Kubernetes: Normal, or Warning (something a person may
// want to look at). Event reasons are strings; docs/api.md lists them all.
enum class EventType { kNormal, kWarning };
inline constexpr std::array kEventTypes{EventType::kNormal, EventType::kWarning};
static_assert(kEventTypes.size() == static_cast<size_t>(EventType::kWarning) + 1);

// The names used in JSON, the store and the CLI: "Progressing", ..., "Normal", "Warning".
std::string_view toString(RolloutPhase phase);
std::string_view toString(EventType type);

// The inverses. A name that is not one of them (another version's phase, a typo) is a
// kInvalidArgument error that names the known ones. Exact, case-sensitive names.
Result<RolloutPhase> parseRolloutPhase(std::string_view text);
Result<EventType> parseEventType(std::string_view text);

}  // namespace rollway::api
