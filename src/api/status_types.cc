#include "rollway/api/status_types.h"

#include <string>

namespace rollway::api {

namespace {

// Finds the value whose name is `text`; the error lists the names there are.
template <class Enum, size_t N>
Result<Enum> parseName(std::string_view text, const std::array<Enum, N>& values, const char* what) {
  std::string known;
  for (Enum value : values) {
    if (toString(value) == text) return value;
    known += known.empty() ? "" : ", ";
    known += toString(value);
  }
  // Shown verbatim in messages: keep an unknown name short and printable.
  std::string shown;
  for (char c : text.substr(0, 64)) shown += c >= 0x20 && c < 0x7f ? c : '?';
  if (text.size() > 64) shown += "...";
  return fail(ErrorCode::kInvalidArgument, "unknown {} '{}': expected one of {}", what, shown, known);
}

}  // namespace

std::string_view toString(RolloutPhase phase) {
  switch (phase) {
    case RolloutPhase::kProgressing: return "Progressing";
    case RolloutPhase::kComplete: return "Complete";
    case RolloutPhase::kPaused: return "Paused";
    case RolloutPhase::kFailed: return "Failed";
    case RolloutPhase::kDegraded: return "Degraded";
  }
  return "Unknown";  // not an enumerator (a cast from a bad integer)
}

std::string_view toString(EventType type) {
  switch (type) {
    case EventType::kNormal: return "Normal";
    case EventType::kWarning: return "Warning";
  }
  return "Unknown";
}

Result<RolloutPhase> parseRolloutPhase(std::string_view text) { return parseName(text, kRolloutPhases, "rollout phase"); }

Result<EventType> parseEventType(std::string_view text) { return parseName(text, kEventTypes, "event type"); }

}  // namespace rollway::api
