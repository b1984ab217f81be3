#pragma once

// The torture test's plan: a sequence of random steps drawn from one seed, before
// anything runs. Every random number a step needs (which instance to kill, which
// revision to undo to, how long to wait) is drawn here, so a seed names exactly one
// sequence; only what it meets at run time (how many instances there are) differs.

#include <cstdint>
#include <string>
#include <vector>

namespace rollway::e2e::torture {

// splitmix64: the same numbers on every platform and standard library (std::
// distributions are not specified bit for bit).
class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}
  uint64_t next();
  // Uniform in [0, n) (n > 0).
  uint64_t below(uint64_t n) { return next() % n; }
  // Uniform in [lo, hi].
  int between(int lo, int hi) { return lo + static_cast<int>(below(static_cast<uint64_t>(hi - lo + 1))); }
  bool chance(int percent) { return below(100) < static_cast<uint64_t>(percent); }

 private:
  uint64_t state_;
};

enum class StepKind {
  kApplyVersion,     // a new template; `bad`: it never passes its readiness probe
  kScale,            // replicas = `replicas`
  kPause,
  kResume,
  kUndo,             // back to the newest earlier revision not marked Failed
  kUndoToRevision,   // `pick` chooses among the revisions the model knows
  kRestart,
  kPromote,
  kAbort,
  kRetry,
  kChangeStrategy,   // `strategy`
  kKillDaemon,       // SIGKILL after `delayMs`, down for `downMs`, maybe an instance killed meanwhile
  kKillInstance,     // SIGKILL the instance `pick` chooses among the running ones
  kConverge,         // drive the rollout to its end and compare everything with the spec
};

// A strategy as the spec writes it (RollingUpdate bounds are kept under every type:
// they are the rule the ready-instance check applies).
struct Strategy {
  std::string type = "RollingUpdate";  // RollingUpdate | Canary | BlueGreen
  std::string maxSurge = "1";
  std::string maxUnavailable = "0";
  std::string canarySteps;           // YAML flow list, e.g. "[{setWeight: 30}, {pause: {}}]"
  int autoPromotionSeconds = -1;     // BlueGreen; -1 = promote by hand
  int scaleDownDelaySeconds = 0;     // BlueGreen
  bool budget = false;               // spec.disruptionBudget {maxUnavailable: <maxUnavailable>}
};

struct Step {
  StepKind kind = StepKind::kConverge;
  bool bad = false;           // kApplyVersion
  bool appErrors = false;     // kApplyVersion: the app answers 1 % of requests with its own 500
  int readyDelayMs = 0;       // kApplyVersion
  int replicas = 0;           // kScale
  Strategy strategy;          // kChangeStrategy
  uint64_t pick = 0;          // kUndoToRevision, kKillInstance, kKillDaemon (instance killed while down)
  int delayMs = 0;            // kKillDaemon: before the kill
  int downMs = 0;             // kKillDaemon: between the kill and the start
  bool killWhileDown = false; // kKillDaemon
  int gapMs = 0;              // after the step, while the invariants are sampled
};

// The sequence's fixed parts: the service as first applied, then the steps.
struct Plan {
  uint64_t seed = 0;
  int replicas = 3;
  Strategy strategy;
  int readyDelayMs = 200;
  bool autoRollback = false;
  int progressDeadlineSeconds = 10;
  int revisionHistoryLimit = 100;  // 100: nothing is ever pruned; 2 or 3: pruning is exercised
  std::vector<Step> steps;
};

// replicas - maxUnavailable as the controller resolves it (surge rounds up, unavailable
// down, both 0 counts as unavailable 1).
int readyFloor(int replicas, const Strategy& strategy);

// The plan never lets replicas - maxUnavailable reach 0 (a scale to 1 becomes 2, a
// strategy that would allow it gets maxSurge 1, maxUnavailable 0): the spec would then
// allow an outage, and a version that never gets ready would leave nothing to answer.
Plan makePlan(uint64_t seed, int steps);
Strategy randomStrategy(Rng& rng);
std::string describe(const Step& step);
std::string describe(const Strategy& strategy);
std::string describe(const Plan& plan);  // the fixed parts, one line

}  // namespace rollway::e2e::torture
