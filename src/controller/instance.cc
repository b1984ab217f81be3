#include "rollway/controller/instance.h"

namespace rollway::controller {

const char* toString(InstancePhase phase) {
  switch (phase) {
    case InstancePhase::kStarting: return "Starting";
    case InstancePhase::kNotReady: return "NotReady";
    case InstancePhase::kReady: return "Ready";
    case InstancePhase::kAvailable: return "Available";
    case InstancePhase::kAssumedReady: return "AssumedReady";
    case InstancePhase::kRestarting: return "Restarting";
    case InstancePhase::kBackOff: return "BackOff";
    case InstancePhase::kTerminating: return "Terminating";
  }
  return "?";
}

const char* Instance::apiPhase() const {
  switch (phase) {
    case InstancePhase::kReady:
    case InstancePhase::kAvailable:
    case InstancePhase::kAssumedReady: return "Ready";
    case InstancePhase::kNotReady: return "NotReady";
    case InstancePhase::kBackOff: return "CrashLoopBackOff";
    case InstancePhase::kTerminating: return "Terminating";
    case InstancePhase::kRestarting: return "Restarting";
    case InstancePhase::kStarting: break;
  }
  return "Starting";
}

}  // namespace rollway::controller
