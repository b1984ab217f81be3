// Issue 11's torture test: a seeded sequence of random steps (new versions, some never
// ready; scale; pause/resume; undo; restart; promote/abort/retry; strategy changes;
// SIGKILL of the daemon and of instances) under steady load, with the invariants
// checked after every step and at the end (tests/e2e/README.md lists them).
//
// ROLLWAY_TORTURE_SEED=N reruns the sequence of seed N; without it a fresh seed is
// drawn and printed first. ROLLWAY_TORTURE_STEPS (default 24, at least 20) sets the
// length; ROLLWAY_TORTURE_VERBOSE=1 prints the steps of a passing run too. `make test` runs a few fixed seeds, `make torture SEEDS=N` N fresh ones.
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
    ADD_FAILURE() << run.report();
    return;
  }
  if (const char* v = std::getenv("ROLLWAY_TORTURE_VERBOSE"); v && *v == '1') std::cout << run.steps();
  std::cout << "torture seed " << seed << " passed: " << plan.steps.size() << " steps in " << seconds
            << " s; load: " << run.loadSummary() << std::endl;
}

}  // namespace
}  // namespace rollway::e2e::torture
