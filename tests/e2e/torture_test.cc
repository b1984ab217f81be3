// Issue 11's torture test: a seeded sequence of random steps (new versions, a quarter of
// them never ready; scale; pause/resume; undo and undo --to-revision; restart;
// promote/abort/retry; strategy changes between RollingUpdate, Canary with steps and
// BlueGreen; SIGKILL of the daemon at a random moment, of a random instance, and of an
// instance while the daemon is down) under steady load from a client that retries
// nothing. Checked after every step and during the pause after it (every ~150 ms):
//  1. load: every request (an idempotent GET /, keep-alive and fresh connections) gets a
//     2xx, or a 5xx the app itself answered (it carries the app's X-Version; some
//     versions fail 1 % on purpose). A socket error or any other status is a failure.
//     The last ready instance is never SIGKILLed (nothing could answer then); the daemon
//     must exit 0 after `down --all` (also under the sanitizers).
//  2. ready floor (the exact rule: torture_model.h): ready instances (not terminating,
//     any revision) >= replicas - maxUnavailable; the bar is lowered at once by a
//     scale-down, a larger maxUnavailable or an abort and raised only once reached; a
//     scale-up waits while paused; each SIGKILLed ready instance lowers it by one until
//     it is back. Plans never make replicas - maxUnavailable 0 (an outage by spec).
//  3. the controller acts on every spec change: observedGeneration == generation
//     within 10 s; a never-ready version is never Complete; a paused rollout starts and
//     stops no instance; everything applied survives a SIGKILL of the daemon.
//  4. revision history: numbers and templates exactly as applied (a template applied
//     again is re-numbered as the newest, as in Kubernetes); with revisionHistoryLimit
//     2-3 only pruning may remove one, never the current one. An automatic rollback
//     (autoRollback after the progress deadline) must be named by a RolledBack event.
//  5. convergence (at "converge" steps and at the end): resumed, promoted, a never-
//     ready version undone, within 90 s the status is Complete (or Degraded after an
//     abort) with replicas instances of the current (or stable) revision, all ready,
//     nothing else left, and every request answered by that version. A never-ready
//     version is never Complete.
//  6. after `down --all` (exit 0) no process of the sequence is left: every PID seen
//     (instances, proxy, daemon) and a /proc scan (the test's directory or port window).
// ROLLWAY_TORTURE_SEED=N reruns the sequence of seed N (the steps are drawn from the seed
// before anything runs); without it a fresh seed is drawn and printed first.
// ROLLWAY_TORTURE_STEPS (default 24, at least 20) sets the length;
// ROLLWAY_TORTURE_VERBOSE=1 prints the steps of a passing run too; ROLLWAY_TORTURE_LOG_DIR=D
// keeps the whole daemon log of a failed run in D/seed-N.daemon.log. `make test` runs
// three fixed seeds (tests/e2e/CMakeLists.txt), `make torture SEEDS=N` N fresh ones.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <iostream>
#include <random>
#include <set>

#include "torture_plan.h"
#include "torture_sequence.h"

namespace rollway::e2e::torture {
namespace {

uint64_t seedFromEnvironment() {
  if (const char* v = std::getenv("ROLLWAY_TORTURE_SEED"); v && *v) return std::strtoull(v, nullptr, 10);
  return std::random_device{}() ^ static_cast<uint64_t>(std::chrono::system_clock::now().time_since_epoch().count());
}

int stepsFromEnvironment() {
  const char* v = std::getenv("ROLLWAY_TORTURE_STEPS");
  return std::max(20, v && *v ? std::atoi(v) : 24);
}

TEST(TorturePlanTest, ASeedNamesExactlyOneSequence) {
  auto text = [](const Plan& p) {
    std::string t = describe(p);
    for (const auto& s : p.steps) t += "\n" + describe(s);
    return t;
  };
  EXPECT_EQ(text(makePlan(42, 24)), text(makePlan(42, 24)));
  EXPECT_NE(text(makePlan(42, 24)), text(makePlan(43, 24)));
  // Over a few seeds every kind of step is drawn.
  std::set<StepKind> kinds;
  for (uint64_t seed = 1; seed <= 10; ++seed) {
    for (const auto& s : makePlan(seed, 24).steps) kinds.insert(s.kind);
  }
  EXPECT_EQ(kinds.size(), 14u);
}

// The spec never allows an outage: replicas - maxUnavailable stays >= 1 at every step.
TEST(TorturePlanTest, NoStepAllowsZeroReadyInstances) {
  for (uint64_t seed = 1; seed <= 500; ++seed) {
    Plan p = makePlan(seed, 30);
    int replicas = p.replicas;
    Strategy strategy = p.strategy;
    ASSERT_GE(readyFloor(replicas, strategy), 1) << "seed " << seed;
    for (const auto& s : p.steps) {
      if (s.kind == StepKind::kScale) replicas = s.replicas;
      if (s.kind == StepKind::kChangeStrategy) strategy = s.strategy;
      ASSERT_GE(readyFloor(replicas, strategy), 1) << "seed " << seed << ": " << describe(s);
    }
  }
}

TEST(TortureTest, RandomSequenceKeepsEveryInvariant) {
  const uint64_t seed = seedFromEnvironment();
  // First, so that a run killed by ctest's timeout still names its seed.
  std::cout << "torture seed " << seed << " (rerun: ROLLWAY_TORTURE_SEED=" << seed << ")" << std::endl;
  Plan plan = makePlan(seed, stepsFromEnvironment());
  auto begin = std::chrono::steady_clock::now();
  Sequence run(plan);
  bool ok = run.execute();
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - begin).count();
  RecordProperty("seed", std::to_string(seed));
  if (!ok) {
    std::string saved;
    if (const char* dir = std::getenv("ROLLWAY_TORTURE_LOG_DIR"); dir && *dir) {
      saved = std::string(dir) + "/seed-" + std::to_string(seed) + ".daemon.log";
      run.saveDaemonLog(saved);
      saved = "the daemon's whole log: " + saved + "\n";
    }
    ADD_FAILURE() << run.report() << saved;
    return;
  }
  if (const char* v = std::getenv("ROLLWAY_TORTURE_VERBOSE"); v && *v == '1') std::cout << run.steps();
  std::cout << "torture seed " << seed << " passed: " << plan.steps.size() << " steps in " << seconds
            << " s; load: " << run.loadSummary() << std::endl;
}

}  // namespace
}  // namespace rollway::e2e::torture
