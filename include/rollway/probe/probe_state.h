#pragma once

#include <optional>
#include <string>

namespace rollway::probe {

// Which of Kubernetes' three probes a state machine runs.
enum class ProbeType { kStartup, kLiveness, kReadiness };
const char* probeTypeName(ProbeType type);
// "Startup", "Liveness", "Readiness": the word that starts an event reason.
const char* probeTypeTitle(ProbeType type);
inline constexpr ProbeType kAllProbeTypes[] = {ProbeType::kStartup, ProbeType::kLiveness,
                                               ProbeType::kReadiness};

// The outcome of one probe attempt. A timeout counts as a failure.
enum class ProbeOutcome { kSuccess, kFailure, kTimeout };
const char* probeOutcomeName(ProbeOutcome outcome);

// What one attempt reported: the outcome and a message for people (status code,
// connect error, command output).
struct ProbeResult {
  ProbeOutcome outcome = ProbeOutcome::kFailure;
  std::string message;
};

// A transition of an instance's probe state, for the owner and the event log.
enum class ProbeEventKind {
  kStarted,          // the startup probe succeeded (or there is none)
  kReady,            // into rotation
  kNotReady,         // out of rotation (readiness failures, or about to be restarted)
  kAvailable,        // ready continuously for minReadySeconds
  kRestartRequired,  // startup or liveness probe failed failureThreshold times
};
const char* probeEventKindName(ProbeEventKind kind);

struct ProbeEvent {
  ProbeEventKind kind = ProbeEventKind::kStarted;
  std::optional<ProbeType> probe;  // the probe that caused it; empty for time-based events
  std::string reason;              // e.g. "Liveness probe failed 3 times: HTTP probe failed with statuscode: 500"
};

}  // namespace rollway::probe
