#pragma once

namespace rollway::probe {

// Which of Kubernetes' three probes a state machine runs.
enum class ProbeType { kStartup, kLiveness, kReadiness };
const char* probeTypeName(ProbeType type);

// The outcome of one probe attempt.
enum class ProbeOutcome { kSuccess, kFailure, kTimeout };
const char* probeOutcomeName(ProbeOutcome outcome);

}  // namespace rollway::probe
