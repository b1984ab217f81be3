#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "rollway/common/result.h"

namespace rollway {

using Duration = std::chrono::milliseconds;

// The longest duration parseDuration accepts (ten years), so that any parsed duration can
// be added to a clock's time point, even in nanoseconds; callers bound their own fields
// more tightly (the spec: 30 days at most).
inline constexpr Duration kMaxDuration = std::chrono::hours(24 * 365 * 10);

// Parses Go/Kubernetes-style durations: "500ms", "30s", "2m", "1h", "1m30s", "0".
// A bare integer is not accepted (ambiguous): the unit is required except for "0".
// Longer than kMaxDuration (or an overflow) is an error.
Result<Duration> parseDuration(std::string_view text);

// The shortest exact form: 90000ms -> "1m30s", 500ms -> "500ms", 0 -> "0s".
std::string formatDuration(Duration d);

}  // namespace rollway
