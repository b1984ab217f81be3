#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "rollway/common/result.h"

namespace rollway {

using Duration = std::chrono::milliseconds;

// Parses Go/Kubernetes-style durations: "500ms", "30s", "2m", "1h", "1m30s", "0".
// A bare integer is not accepted (ambiguous): the unit is required except for "0".
Result<Duration> parseDuration(std::string_view text);

// The shortest exact form: 90000ms -> "1m30s", 500ms -> "500ms", 0 -> "0s".
std::string formatDuration(Duration d);

}  // namespace rollway
