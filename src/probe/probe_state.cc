#include "rollway/probe/probe_state.h"

namespace rollway::probe {

const char* probeTypeName(ProbeType type) {
  switch (type) {
    case ProbeType::kStartup: return "startup";
    case ProbeType::kLiveness: return "liveness";
    case ProbeType::kReadiness: return "readiness";
  }
  return "unknown";
}

const char* probeTypeTitle(ProbeType type) {
  switch (type) {
    case ProbeType::kStartup: return "Startup";
    case ProbeType::kLiveness: return "Liveness";
    case ProbeType::kReadiness: return "Readiness";
  }
  return "Unknown";
}

const char* probeOutcomeName(ProbeOutcome outcome) {
  switch (outcome) {
    case ProbeOutcome::kSuccess: return "success";
    case ProbeOutcome::kFailure: return "failure";
    case ProbeOutcome::kTimeout: return "timeout";
  }
  return "unknown";
}

const char* probeEventKindName(ProbeEventKind kind) {
  switch (kind) {
    case ProbeEventKind::kStarted: return "Started";
    case ProbeEventKind::kReady: return "Ready";
    case ProbeEventKind::kNotReady: return "NotReady";
    case ProbeEventKind::kAvailable: return "Available";
    case ProbeEventKind::kRestartRequired: return "RestartRequired";
  }
  return "Unknown";
}

}  // namespace rollway::probe
