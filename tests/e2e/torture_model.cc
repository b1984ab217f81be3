#include "torture_model.h"

#include <algorithm>

#include <fmt/format.h>

namespace rollway::e2e::torture {

Model::Model(const Plan& plan) : plan_(plan), replicas_(plan.replicas), strategy_(plan.strategy) {
  newTemplate(false, false, plan.readyDelayMs);
  applyTemplate("v1");
  bar_ = 0;  // nothing is up yet; the first sample at specFloor raises it
}

DemoService Model::service(uint16_t port) const {
  DemoService s;
  s.port = port;
  s.replicas = replicas_;
  s.version = current().version;
  s.appArgs = current().appArgs;
  s.maxSurge = strategy_.maxSurge;
  s.maxUnavailable = strategy_.maxUnavailable;
  s.progressDeadlineSeconds = plan_.progressDeadlineSeconds;
  s.autoRollback = plan_.autoRollback;
  s.terminationGracePeriodSeconds = 5;
  s.extraSpec = fmt::format("  revisionHistoryLimit: {}\n", plan_.revisionHistoryLimit);
  if (paused_) s.extraSpec += "  paused: true\n";
  if (strategy_.budget) s.extraSpec += fmt::format("  disruptionBudget: {{maxUnavailable: {}}}\n", strategy_.maxUnavailable);
  std::string bounds = fmt::format("rollingUpdate: {{maxSurge: {}, maxUnavailable: {}}}", strategy_.maxSurge,
                                   strategy_.maxUnavailable);
  if (strategy_.type == "Canary") {
    s.strategy = fmt::format("  strategy: {{type: Canary, {}, canary: {{steps: {}}}}}\n", bounds, strategy_.canarySteps);
  } else if (strategy_.type == "BlueGreen") {
    std::string bg = fmt::format("scaleDownDelaySeconds: {}", strategy_.scaleDownDelaySeconds);
    if (strategy_.autoPromotionSeconds >= 0) bg += fmt::format(", autoPromotionSeconds: {}", strategy_.autoPromotionSeconds);
    s.strategy = fmt::format("  strategy: {{type: BlueGreen, {}, blueGreen: {{{}}}}}\n", bounds, bg);
  } else {
    s.strategy = fmt::format("  strategy: {{type: RollingUpdate, {}}}\n", bounds);
  }
  return s;
}

const Template& Model::newTemplate(bool bad, bool appErrors, int readyDelayMs) {
  Template t;
  t.version = "v" + std::to_string(nextVersion_++);
  t.bad = bad;
  t.appArgs = {"--ready-delay", std::to_string(readyDelayMs) + "ms"};
  // Never ready: readiness fails from the process's start on.
  if (bad) t.appArgs.insert(t.appArgs.end(), {"--fail-ready-after", "0s"});
  // The app's own 500s (marked by its X-Instance header): not failures of rollway.
  if (appErrors) t.appArgs.insert(t.appArgs.end(), {"--error-rate", "0.01"});
  auto [it, inserted] = templates_.emplace(t.version, t);
  return it->second;
}

int64_t Model::applyTemplate(std::string version) {
  if (current_ != 0 && revisions_.at(current_) == version) return current_;
  int64_t next = revisions_.empty() ? 1 : revisions_.rbegin()->first + 1;
  for (auto it = revisions_.begin(); it != revisions_.end(); ++it) {
    if (it->second == version) {
      revisions_.erase(it);
      break;
    }
  }
  revisions_[next] = version;
  current_ = next;
  return next;
}

void Model::setReplicas(int replicas) {
  replicas_ = replicas;
  lowerFloor();
}

void Model::setStrategy(const Strategy& strategy) {
  strategy_ = strategy;
  lowerFloor();
}

void Model::lowerFloor() { bar_ = std::min(bar_, specFloor()); }

void Model::sample(const std::set<std::string>& ready, const std::set<std::string>& live) {
  bool atFloor = static_cast<int>(ready.size()) >= specFloor();
  if (atFloor) bar_ = specFloor();
  for (auto it = killed_.begin(); it != killed_.end();) {
    const std::string& name = it->first;
    bool& seenDead = it->second;
    if (!ready.contains(name)) seenDead = true;
    bool back = seenDead && (ready.contains(name) || (!live.contains(name) && atFloor));
    it = back ? killed_.erase(it) : std::next(it);
  }
}

std::string Model::floorText() const {
  return fmt::format("bar {} (replicas {}, specFloor {}, lowered to {}, {} ready instance(s) killed since)", bar(),
                     replicas_, specFloor(), bar_, killed_.size());
}

const Template* Model::byVersion(const std::string& version) const {
  auto it = templates_.find(version);
  return it == templates_.end() ? nullptr : &it->second;
}

}  // namespace rollway::e2e::torture
