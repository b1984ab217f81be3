#include "torture_plan.h"

#include <algorithm>
#include <array>
#include <utility>

#include <fmt/format.h>

namespace rollway::e2e::torture {

uint64_t Rng::next() {
  uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

namespace {

// How often each kind is drawn (out of the sum).
constexpr std::array<std::pair<StepKind, int>, 14> kWeights = {{
    {StepKind::kApplyVersion, 22},
    {StepKind::kScale, 8},
    {StepKind::kPause, 5},
    {StepKind::kResume, 6},
    {StepKind::kUndo, 6},
    {StepKind::kUndoToRevision, 5},
    {StepKind::kRestart, 5},
    {StepKind::kPromote, 8},
    {StepKind::kAbort, 4},
    {StepKind::kRetry, 2},
    {StepKind::kChangeStrategy, 8},
    {StepKind::kKillDaemon, 8},
    {StepKind::kKillInstance, 8},
    {StepKind::kConverge, 5},
}};

StepKind drawKind(Rng& rng) {
  int total = 0;
  for (const auto& [kind, weight] : kWeights) total += weight;
  int x = static_cast<int>(rng.below(static_cast<uint64_t>(total)));
  for (const auto& [kind, weight] : kWeights) {
    if (x < weight) return kind;
    x -= weight;
  }
  return StepKind::kConverge;
}

const char* kindName(StepKind kind) {
  switch (kind) {
    case StepKind::kApplyVersion: return "apply";
    case StepKind::kScale: return "scale";
    case StepKind::kPause: return "pause";
    case StepKind::kResume: return "resume";
    case StepKind::kUndo: return "undo";
    case StepKind::kUndoToRevision: return "undo --to-revision";
    case StepKind::kRestart: return "restart";
    case StepKind::kPromote: return "promote";
    case StepKind::kAbort: return "abort";
    case StepKind::kRetry: return "retry";
    case StepKind::kChangeStrategy: return "strategy";
    case StepKind::kKillDaemon: return "kill-daemon";
    case StepKind::kKillInstance: return "kill-instance";
    case StepKind::kConverge: return "converge";
  }
  return "?";
}

int resolve(const std::string& value, int total, bool roundUp) {
  if (value.ends_with('%')) {
    long long scaled = std::stoll(value.substr(0, value.size() - 1)) * total;
    return static_cast<int>(roundUp ? (scaled + 99) / 100 : scaled / 100);
  }
  return std::stoi(value);
}

}  // namespace

int readyFloor(int replicas, const Strategy& strategy) {
  int surge = resolve(strategy.maxSurge, replicas, /*roundUp=*/true);
  int unavailable = resolve(strategy.maxUnavailable, replicas, /*roundUp=*/false);
  if (surge == 0 && unavailable == 0) unavailable = 1;
  return std::max(0, replicas - unavailable);
}

Strategy randomStrategy(Rng& rng) {
  static const std::array<std::pair<const char*, const char*>, 6> kBounds = {
      {{"1", "0"}, {"0", "1"}, {"2", "1"}, {"25%", "25%"}, {"1", "1"}, {"50%", "0"}}};
  static const std::array<const char*, 5> kSteps = {
      "[]",
      "[{setWeight: 50}]",
      "[{setWeight: 30}, {pause: {}}]",
      "[{setWeight: 20}, {pause: {duration: 1s}}, {setWeight: 60}]",
      "[{setWeight: 50}, {pause: {}}, {setWeight: 80}, {pause: {}}]",
  };
  Strategy s;
  auto bounds = kBounds[rng.below(kBounds.size())];
  s.maxSurge = bounds.first;
  s.maxUnavailable = bounds.second;
  s.budget = rng.chance(30);
  switch (rng.below(3)) {
    case 0: s.type = "RollingUpdate"; break;
    case 1:
      s.type = "Canary";
      s.canarySteps = kSteps[rng.below(kSteps.size())];
      break;
    default:
      s.type = "BlueGreen";
      s.autoPromotionSeconds = rng.chance(50) ? -1 : static_cast<int>(rng.below(2));
      s.scaleDownDelaySeconds = static_cast<int>(rng.below(3));
      break;
  }
  return s;
}

Plan makePlan(uint64_t seed, int steps) {
  Rng rng(seed);
  Plan plan;
  plan.seed = seed;
  plan.replicas = rng.between(2, 4);
  plan.strategy = randomStrategy(rng);
  plan.readyDelayMs = 100 * rng.between(1, 5);
  plan.autoRollback = rng.chance(50);
  plan.progressDeadlineSeconds = rng.between(8, 12);
  plan.revisionHistoryLimit = rng.chance(70) ? 100 : rng.between(2, 3);
  int replicas = plan.replicas;  // as the steps leave them
  Strategy strategy = plan.strategy;
  for (int i = 0; i < steps; ++i) {
    Step step;
    step.kind = drawKind(rng);
    switch (step.kind) {
      case StepKind::kApplyVersion:
        step.bad = rng.chance(25);
        step.appErrors = rng.chance(20);
        step.readyDelayMs = 100 * rng.between(1, 8);
        break;
      case StepKind::kScale:
        step.replicas = rng.between(1, 5);
        if (readyFloor(step.replicas, strategy) == 0) step.replicas = 2;
        replicas = step.replicas;
        break;
      case StepKind::kChangeStrategy:
        step.strategy = randomStrategy(rng);
        if (readyFloor(replicas, step.strategy) == 0) {
          step.strategy.maxSurge = "1";
          step.strategy.maxUnavailable = "0";
        }
        strategy = step.strategy;
        break;
      case StepKind::kKillDaemon:
        step.delayMs = rng.between(0, 1500);
        step.downMs = rng.between(0, 2000);
        step.killWhileDown = rng.chance(30);
        step.pick = rng.next();
        break;
      case StepKind::kUndoToRevision:
      case StepKind::kKillInstance: step.pick = rng.next(); break;
      default: break;
    }
    step.gapMs = rng.between(200, 2500);
    plan.steps.push_back(step);
  }
  return plan;
}

std::string describe(const Strategy& s) {
  std::string text = fmt::format("{} surge {} unavailable {}", s.type, s.maxSurge, s.maxUnavailable);
  if (s.type == "Canary") text += " steps " + s.canarySteps;
  if (s.type == "BlueGreen") {
    text += s.autoPromotionSeconds < 0 ? " promote by hand" : fmt::format(" autoPromotion {}s", s.autoPromotionSeconds);
    text += fmt::format(" scaleDownDelay {}s", s.scaleDownDelaySeconds);
  }
  if (s.budget) text += " +disruptionBudget";
  return text;
}

std::string describe(const Step& step) {
  std::string text = kindName(step.kind);
  switch (step.kind) {
    case StepKind::kApplyVersion:
      text += fmt::format(" {}ready-delay {}ms{}", step.bad ? "BAD (never ready) " : "", step.readyDelayMs,
                          step.appErrors ? " app-errors 1%" : "");
      break;
    case StepKind::kScale: text += fmt::format(" {}", step.replicas); break;
    case StepKind::kChangeStrategy: text += " " + describe(step.strategy); break;
    case StepKind::kKillDaemon:
      text += fmt::format(" after {}ms, down {}ms{}", step.delayMs, step.downMs,
                          step.killWhileDown ? ", an instance killed meanwhile" : "");
      break;
    default: break;
  }
  return text + fmt::format(" (then {}ms)", step.gapMs);
}

std::string describe(const Plan& plan) {
  return fmt::format("replicas {}, {}, ready-delay {}ms, autoRollback {}, progressDeadline {}s, revisionHistoryLimit {}",
                     plan.replicas, describe(plan.strategy), plan.readyDelayMs, plan.autoRollback,
                     plan.progressDeadlineSeconds, plan.revisionHistoryLimit);
}

}  // namespace rollway::e2e::torture
