#include "rollout_progress.h"

#include <algorithm>
#include <utility>

namespace rollway::cli {

RolloutWatch::RolloutWatch(std::string service, int64_t generation)
    : service_(std::move(service)), generation_(generation) {}

std::string RolloutWatch::describeWatched() const {
  std::string text = "revision " + std::to_string(watched_);
  if (!watchedVersion_.empty()) text += " (" + watchedVersion_ + ")";
  return text;
}

RolloutVerdict RolloutWatch::verdictFor(const RolloutStatus& s) const {
  if (s.phase == "RolledBack") return RolloutVerdict::kRolledBack;
  if (s.phase == "Failed") return RolloutVerdict::kFailed;
  if (s.phase == "Complete") return RolloutVerdict::kComplete;
  return RolloutVerdict::kWaiting;
}

std::string RolloutWatch::stateLine(const RolloutStatus& s) const {
  std::string counts = std::to_string(s.updatedReplicas) + " of " + std::to_string(s.replicas) + " updated, " +
                       std::to_string(s.availableReplicas) + " available";
  if (s.terminatingReplicas > 0) counts += ", " + std::to_string(s.terminatingReplicas) + " terminating";
  if (s.phase == "Paused") {
    return "Rollout of service/" + service_ + " to " + describeWatched() + " is paused: " + counts +
           " (continue with: rollway rollout resume " + service_ + ")";
  }
  return "Waiting for rollout of service/" + service_ + " to " + describeWatched() + ": " + counts + "...";
}

RolloutStep RolloutWatch::observe(const RolloutStatus& s) {
  RolloutStep step;
  auto emit = [&](std::string line) {
    if (line == lastLine_) return;
    lastLine_ = line;
    step.lines.push_back(std::move(line));
  };
  auto withMessage = [&](std::string text) { return s.message.empty() ? text : text + ": " + s.message; };
  if (s.observedGeneration < generation_) {
    emit("Waiting for the controller to act on generation " + std::to_string(generation_) + " of service/" +
         service_ + "...");
    return step;
  }
  if (watched_ != 0 && s.revision != watched_) {
    if (s.rolledBackFrom == watched_) {
      step.verdict = RolloutVerdict::kRolledBack;
      step.error = withMessage("rollout of service/" + service_ + " to " + describeWatched() +
                               " failed and was rolled back to revision " + std::to_string(s.revision));
      return step;
    }
    watched_ = 0;  // someone applied a newer revision: follow it
    emit("service/" + service_ + ": revision " + std::to_string(s.revision) + " was applied meanwhile; following it");
  }
  if (watched_ == 0) watched_ = s.revision;
  if (!s.version.empty()) watchedVersion_ = s.version;
  step.verdict = verdictFor(s);
  switch (step.verdict) {
    case RolloutVerdict::kComplete:
      emit("service/" + service_ + " successfully rolled out to " + describeWatched());
      break;
    case RolloutVerdict::kFailed:
      step.error = withMessage("rollout of service/" + service_ + " to " + describeWatched() + " failed");
      break;
    case RolloutVerdict::kRolledBack:
      step.error = withMessage("rollout of service/" + service_ + " to " + describeWatched() + " was rolled back");
      break;
    case RolloutVerdict::kWaiting:
      emit(stateLine(s));
      break;
  }
  return step;
}

int exitCodeFor(RolloutVerdict verdict) { return verdict == RolloutVerdict::kComplete ? 0 : 1; }

std::string progressBar(const RolloutStatus& s, int width) {
  width = std::max(width, 1);
  int64_t total = std::max<int64_t>(s.replicas, 1);
  auto cells = [&](int64_t n) {
    return static_cast<int>(std::clamp<int64_t>(n, 0, total) * width / total);
  };
  int done = s.replicas == 0 ? width : cells(s.updatedAvailableReplicas);
  int started = std::max(done, cells(s.updatedReplicas));
  std::string bar = "[" + std::string(static_cast<size_t>(done), '=') +
                    std::string(static_cast<size_t>(started - done), '-') +
                    std::string(static_cast<size_t>(width - started), ' ') + "] ";
  return bar + std::to_string(s.updatedReplicas) + "/" + std::to_string(s.replicas) + " updated, " +
         std::to_string(s.availableReplicas) + "/" + std::to_string(s.replicas) + " available";
}

}  // namespace rollway::cli
