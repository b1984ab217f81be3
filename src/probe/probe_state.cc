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

const char* probeOutcomeName(ProbeOutcome outcome) {
  switch (outcome) {
    case ProbeOutcome::kSuccess: return "success";
    case ProbeOutcome::kFailure: return "failure";
    case ProbeOutcome::kTimeout: return "timeout";
  }
  return "unknown";
}

}  // namespace rollway::probe
