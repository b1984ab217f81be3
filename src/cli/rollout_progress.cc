#include "rollout_progress.h"

#include <algorithm>
#include <sstream>
#include <utility>

#include <fmt/format.h>

#include "table.h"

namespace rollway::cli {

namespace {

using nlohmann::json;

// 0.002, 0.41, 1.5e-05: four significant digits; "-" when there is no value.
std::string metricValue(const json& value) {
  if (!value.is_number()) return "-";
  return fmt::format("{:.4g}", value.get<double>());
}

std::string stringField(const json& object, const char* key) {
  auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// The metrics of an analysis window that are objects; empty when there is no window.
std::vector<json> analysisMetrics(const json& analysis) {
  std::vector<json> metrics;
  if (!analysis.is_object()) return metrics;
  auto it = analysis.find("metrics");
  if (it == analysis.end() || !it->is_array()) return metrics;
  for (const auto& m : *it) {
    if (m.is_object()) metrics.push_back(m);
  }
  return metrics;
}

}  // namespace

std::string revisionText(int64_t revision, const std::string& version) {
  std::string text = "revision " + std::to_string(revision);
  if (!version.empty()) text += " (" + version + ")";
  return text;
}

std::string strategyProgress(const RolloutStatus& s) {
  // No steps without a stable revision to split with: the first rollout, or a restart.
  if (s.stableRevision == 0 || s.stableRevision == s.revision) return "";
  if (s.strategy == "Canary") {
    std::string traffic = std::to_string(s.canaryWeight) + "% of traffic on " + revisionText(s.revision, s.version);
    if (s.steps <= 0) return traffic;
    if (s.stepIndex >= s.steps) return "all " + std::to_string(s.steps) + " steps done, " + traffic;
    return "step " + std::to_string(std::max(s.stepIndex, 0) + 1) + "/" + std::to_string(s.steps) + ", " + traffic;
  }
  if (s.strategy == "BlueGreen") {
    if (s.canaryWeight >= 100) return "promoted";
    return s.stepIndex >= 1 ? "preview ready, waiting for promotion" : "preview not ready yet";
  }
  return "";
}

std::string analysisLine(const json& analysis) {
  std::string line;
  for (const auto& m : analysisMetrics(analysis)) {
    line += line.empty() ? "analysis: " : "; ";
    line += stringField(m, "name") + " " + metricValue(m.value("value", json()));
    if (auto stable = m.value("stableValue", json()); stable.is_number()) line += " (stable " + metricValue(stable) + ")";
    line += " " + stringField(m, "verdict");
  }
  return line;
}

std::string describeRollout(const RolloutStatus& s) {
  std::ostringstream out;
  auto field = [&](const std::string& label, const std::string& value) {
    out << fmt::format("  {:<19}{}\n", label + ":", value.empty() ? "<none>" : value);
  };
  const bool stepped = s.strategy == "Canary" || s.strategy == "BlueGreen";
  out << "Rollout:\n";
  field("Strategy", s.strategy);
  field("Phase", std::string(api::toString(s.phase)));
  field("Message", s.message);
  if (!s.routingError.empty()) field("Routing", s.routingError);
  if (s.strategy == "Canary") {
    field("Step", s.stepIndex >= s.steps ? fmt::format("{}/{} (all done)", s.steps, s.steps)
                                         : fmt::format("{}/{}", std::max(s.stepIndex, 0) + 1, s.steps));
  } else if (s.strategy == "BlueGreen") {
    field("Preview", strategyProgress(s));
  }
  if (stepped) {
    field("Canary weight", std::to_string(s.canaryWeight) + "%");
    field("Canary replicas", std::to_string(s.canaryReplicas));
  }
  if (!s.pauseReason.empty()) field("Pause reason", s.pauseReason);
  if (s.aborted || !s.abortReason.empty()) field("Abort reason", s.abortReason);
  field("Stable revision", s.stableRevision > 0 ? std::to_string(s.stableRevision) : "");
  auto metrics = analysisMetrics(s.analysis);
  if (s.analysis.is_object()) {
    std::string verdict = stringField(s.analysis, "verdict");
    if (auto requests = s.analysis.value("canaryRequests", json()); requests.is_number()) {
      verdict += fmt::format(" ({} canary requests)", requests.dump());
    }
    field("Analysis", verdict);
  }
  if (!metrics.empty()) {
    Table table({"    METRIC", "VERDICT", "VALUE", "STABLE", "MESSAGE"});
    for (const auto& m : metrics) {
      table.addRow({"    " + stringField(m, "name"), stringField(m, "verdict"), metricValue(m.value("value", json())),
                    metricValue(m.value("stableValue", json())), stringField(m, "message")});
    }
    table.print(out);
  }
  return out.str();
}

RolloutWatch::RolloutWatch(std::string service, int64_t generation)
    : service_(std::move(service)), generation_(generation) {}

std::string RolloutWatch::describeWatched() const { return revisionText(watched_, watchedVersion_); }

std::string RolloutWatch::stateLine(const RolloutStatus& s) const {
  std::string counts = std::to_string(s.updatedReplicas) + " of " + std::to_string(s.replicas) + " updated, " +
                       std::to_string(s.availableReplicas) + " available";
  if (s.terminatingReplicas > 0) counts += ", " + std::to_string(s.terminatingReplicas) + " terminating";
  if (auto progress = strategyProgress(s); !progress.empty()) counts += "; " + progress;
  if (!s.routingError.empty()) counts += "; " + s.routingError;
  return "Waiting for rollout of service/" + service_ + " to " + describeWatched() + ": " + counts + "...";
}

std::string RolloutWatch::pausedLine(const RolloutStatus& s) const {
  std::string head = "Rollout of service/" + service_ + " to " + describeWatched() + " is paused: ";
  if (!s.pauseReason.empty()) {
    // A canary pause step, a blue-green preview or inconclusive analysis: the message
    // carries the reason and the command that continues.
    return head + (s.message.empty() ? s.pauseReason : s.message);
  }
  return head + std::to_string(s.updatedReplicas) + " of " + std::to_string(s.replicas) + " updated, " +
         std::to_string(s.availableReplicas) + " available (continue with: rollway rollout resume " + service_ + ")";
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
  switch (s.phase) {
    case api::RolloutPhase::kComplete:
      step.verdict = RolloutVerdict::kComplete;
      emit("service/" + service_ + " successfully rolled out to " + describeWatched());
      break;
    case api::RolloutPhase::kFailed:
      step.verdict = RolloutVerdict::kFailed;
      step.error = withMessage("rollout of service/" + service_ + " to " + describeWatched() + " failed");
      break;
    case api::RolloutPhase::kDegraded:
      step.verdict = RolloutVerdict::kAborted;
      step.error = s.abortReason.empty()
                       ? withMessage("rollout of service/" + service_ + " to " + describeWatched() + " was aborted")
                       : "rollout of service/" + service_ + " to " + describeWatched() + " was aborted: " +
                             s.abortReason + "; traffic is on revision " + std::to_string(s.stableRevision) +
                             " (start again with: rollway rollout retry " + service_ + ")";
      break;
    case api::RolloutPhase::kPaused:
      step.verdict = RolloutVerdict::kPaused;
      emit(pausedLine(s));
      break;
    case api::RolloutPhase::kProgressing:
      step.verdict = RolloutVerdict::kWaiting;
      emit(stateLine(s));
      break;
  }
  if (auto analysis = analysisLine(s.analysis); !analysis.empty() && analysis != lastAnalysis_) {
    lastAnalysis_ = analysis;
    step.lines.push_back(std::move(analysis));
  }
  return step;
}

int exitCodeFor(RolloutVerdict verdict) {
  switch (verdict) {
    case RolloutVerdict::kComplete: return 0;
    case RolloutVerdict::kPaused: return 3;
    default: return 1;
  }
}

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
