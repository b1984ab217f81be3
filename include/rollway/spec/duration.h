#pragma once

// Durations live in common (the proxy parses them too); the spec uses them unchanged.
#include "rollway/common/duration.h"

namespace rollway::spec {
using rollway::Duration;
using rollway::formatDuration;
using rollway::parseDuration;
}  // namespace rollway::spec
