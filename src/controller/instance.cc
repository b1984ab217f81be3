#include "rollway/controller/instance.h"

#include <sstream>

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

std::string recordedState(const Instance& inst) {
  std::string state = inst.phase == InstancePhase::kAvailable ? "Available" : inst.apiPhase();
  if (inst.eviction && inst.phase != InstancePhase::kTerminating) {
    state += " evicting";
    if (!inst.eviction->replacement.empty()) state += " replacement=" + inst.eviction->replacement;
  }
  return state;
}

RecordedState parseRecordedState(const std::string& state) {
  RecordedState out;
  std::istringstream words(state);
  words >> out.phase;
  std::string word;
  while (words >> word) {
    if (word == "evicting") {
      out.eviction.emplace();
    } else if (word.starts_with("replacement=") && out.eviction) {
      out.eviction->replacement = word.substr(std::string_view("replacement=").size());
    }
  }
  return out;
}

std::set<std::string> pendingReplacements(const std::vector<Instance*>& instances) {
  std::set<std::string> out;
  for (const Instance* inst : instances) {
    if (inst->eviction && inst->phase != InstancePhase::kTerminating && !inst->eviction->replacement.empty()) {
      out.insert(inst->eviction->replacement);
    }
  }
  return out;
}

}  // namespace rollway::controller
