#include "rollway/controller/rollout_plan.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "rollway/controller/disruption_budget.h"
#include "rollway/controller/rolling_bounds.h"

namespace rollway::controller {
namespace plan_test {

using spec::IntOrPercent;

spec::RollingUpdate surgeAndUnavailable(IntOrPercent surge, IntOrPercent unavailable) {
  spec::RollingUpdate r;
  r.maxSurge = surge;
  r.maxUnavailable = unavailable;
  return r;
}

PlanInstance inst(std::string name, bool updated, bool available, int64_t revision = 1, int64_t createdMs = 0) {
  return PlanInstance{std::move(name), updated, available, available, revision, createdMs};
}

TEST(RolloutPlan, SteadyStateScalesUpAndDown) {
  EXPECT_EQ(planRollingUpdate(3, surgeAndUnavailable(IntOrPercent::absolute(1), IntOrPercent::absolute(0)), {}).start, 3);
  auto down = planRollingUpdate(1, surgeAndUnavailable(IntOrPercent::absolute(1), IntOrPercent::absolute(0)),
                                {inst("a", true, true, 1, 1), inst("b", true, false, 1, 2), inst("c", true, true, 1, 3)});
  // Not ready goes first, then the newest.
  EXPECT_EQ(down.stop, (std::vector<std::string>{"b", "c"}));
  EXPECT_EQ(down.start, 0);
}

// Cluster mode: among equals, an old instance on the node with the most of the service
// goes first, so that a rolling update ends as spread over the nodes as it began.
TEST(RolloutPlan, AmongEqualsTheOneOnTheMostCrowdedNodeStopsFirst) {
  auto r = surgeAndUnavailable(IntOrPercent::absolute(1), IntOrPercent::absolute(0));
  auto on = [](PlanInstance i, int colocated) {
    i.colocated = colocated;
    return i;
  };
  // h1: o1, n1 (the surge); h2: o2; h3: o3. The newest old one is o3, but o1 shares its node.
  std::vector<PlanInstance> all = {on(inst("o1", false, true, 1, 1), 2), on(inst("o2", false, true, 1, 2), 1),
                                   on(inst("o3", false, true, 1, 3), 1), on(inst("n1", true, true, 2, 4), 2)};
  EXPECT_EQ(planRollingUpdate(3, r, all).stop, (std::vector<std::string>{"o1"}));
  // One host (colocated 0 for all): the newest goes, as before.
  for (auto& i : all) i.colocated = 0;
  EXPECT_EQ(planRollingUpdate(3, r, all).stop, (std::vector<std::string>{"o3"}));
}

TEST(RolloutPlan, SurgeOneUnavailableZeroStartsOneThenWaits) {
  auto r = surgeAndUnavailable(IntOrPercent::absolute(1), IntOrPercent::absolute(0));
  std::vector<PlanInstance> all = {inst("o1", false, true), inst("o2", false, true), inst("o3", false, true)};
  EXPECT_EQ(planRollingUpdate(3, r, all), (RolloutPlan{1, {}}));
  all.push_back(inst("n1", true, false, 2));
  EXPECT_EQ(planRollingUpdate(3, r, all), (RolloutPlan{0, {}}));  // n1 not available yet
  all.back().available = all.back().ready = true;
  EXPECT_EQ(planRollingUpdate(3, r, all).stop.size(), 1u);
}

TEST(RolloutPlan, SurgeZeroUnavailableOneStopsFirst) {
  auto r = surgeAndUnavailable(IntOrPercent::absolute(0), IntOrPercent::absolute(1));
  std::vector<PlanInstance> all = {inst("o1", false, true), inst("o2", false, true), inst("o3", false, true)};
  auto plan = planRollingUpdate(3, r, all);
  EXPECT_EQ(plan.start, 0);
  EXPECT_EQ(plan.stop.size(), 1u);
}

TEST(RolloutPlan, UnhealthyOldInstancesGoFirst) {
  auto r = surgeAndUnavailable(IntOrPercent::absolute(1), IntOrPercent::absolute(1));
  std::vector<PlanInstance> all = {inst("o1", false, true, 1, 1), inst("o2", false, false, 1, 2),
                                   inst("o3", false, true, 1, 3), inst("o4", false, true, 1, 4)};
  auto plan = planRollingUpdate(4, r, all);
  ASSERT_FALSE(plan.stop.empty());
  EXPECT_EQ(plan.stop.front(), "o2");
}

TEST(RolloutPlan, OlderRevisionsScaleDownFirst) {
  auto r = surgeAndUnavailable(IntOrPercent::absolute(0), IntOrPercent::absolute(1));
  std::vector<PlanInstance> all = {inst("r2", false, true, 2, 1), inst("r1", false, true, 1, 2),
                                   inst("n", true, true, 3, 3)};
  auto plan = planRollingUpdate(3, r, all);
  EXPECT_EQ(plan.stop, (std::vector<std::string>{"r1"}));
}

// Runs a whole rollout: each round applies the plan; instances started in one round are
// available in the next. The invariants are checked after every round.
struct Sim {
  int replicas;
  spec::RollingUpdate rollingUpdate;
  int rounds = 0;
  int maxTotalSeen = 0;
  int minAvailableSeen = 1 << 30;
};

void runToCompletion(Sim& sim, int startOld, std::optional<std::pair<int, int>> scaleAt = std::nullopt) {
  std::vector<PlanInstance> all;
  int counter = 0;
  for (int i = 0; i < startOld; ++i) {
    ++counter;
    all.push_back(inst("o" + std::to_string(counter), false, true, 1, counter));
  }
  for (sim.rounds = 0; sim.rounds < 100; ++sim.rounds) {
    if (scaleAt && scaleAt->first == sim.rounds) sim.replicas = scaleAt->second;
    auto plan = planRollingUpdate(sim.replicas, sim.rollingUpdate, all);
    for (auto& i : all) i.available = i.ready = true;  // last round's starts are up now
    std::erase_if(all, [&](const PlanInstance& i) {
      return std::find(plan.stop.begin(), plan.stop.end(), i.name) != plan.stop.end();
    });
    int availableNow = static_cast<int>(std::count_if(all.begin(), all.end(), [](auto& i) { return i.available; }));
    sim.minAvailableSeen = std::min(sim.minAvailableSeen, availableNow);
    for (int i = 0; i < plan.start; ++i) {
      ++counter;
      all.push_back(inst("n" + std::to_string(counter), true, false, 2, counter));
    }
    sim.maxTotalSeen = std::max(sim.maxTotalSeen, static_cast<int>(all.size()));
    bool done = plan.start == 0 && plan.stop.empty() && static_cast<int>(all.size()) == sim.replicas &&
                std::all_of(all.begin(), all.end(), [](auto& i) { return i.updated && i.available; });
    if (done) return;
  }
  FAIL() << "rollout did not complete in 100 rounds";
}

struct RolloutCase {
  int replicas;
  IntOrPercent surge;
  IntOrPercent unavailable;
};

TEST(RolloutPlan, WholeRolloutsKeepBothFenceposts) {
  // Kubernetes' documented examples: 25%/25% (the default), surge-only, unavailable-only,
  // percentages that round (surge up, unavailable down).
  const RolloutCase cases[] = {
      {3, IntOrPercent::absolute(1), IntOrPercent::absolute(0)},   {3, IntOrPercent::absolute(0), IntOrPercent::absolute(1)},
      {4, IntOrPercent::percent(25), IntOrPercent::percent(25)}, {10, IntOrPercent::percent(25), IntOrPercent::percent(25)},
      {10, IntOrPercent::percent(30), IntOrPercent::percent(0)}, {5, IntOrPercent::absolute(2), IntOrPercent::absolute(2)},
      {1, IntOrPercent::absolute(1), IntOrPercent::absolute(0)},   {1, IntOrPercent::absolute(0), IntOrPercent::absolute(1)},
      {3, IntOrPercent::percent(10), IntOrPercent::percent(10)},  // 0.3 -> surge 1, unavailable 0
  };
  for (const auto& c : cases) {
    Sim sim{c.replicas,  surgeAndUnavailable(c.surge, c.unavailable)};
    runToCompletion(sim, c.replicas);
    RollingBounds b = resolveRollingBounds(c.replicas, sim.rollingUpdate);
    SCOPED_TRACE(testing::Message() << "replicas " << c.replicas << " surge " << b.maxSurge << " unavailable "
                                    << b.maxUnavailable);
    EXPECT_LE(sim.maxTotalSeen, c.replicas + b.maxSurge);
    EXPECT_GE(sim.minAvailableSeen, c.replicas - b.maxUnavailable);
  }
}

TEST(RolloutPlan, ScaleUpAndDownDuringARollout) {
  Sim up{4,  surgeAndUnavailable(IntOrPercent::absolute(1), IntOrPercent::absolute(0))};
  runToCompletion(up, 4, std::make_pair(1, 8));
  EXPECT_LE(up.maxTotalSeen, 9);
  EXPECT_GE(up.minAvailableSeen, 4);

  Sim down{8,  surgeAndUnavailable(IntOrPercent::percent(25), IntOrPercent::percent(25))};
  runToCompletion(down, 8, std::make_pair(1, 2));
  EXPECT_LE(down.maxTotalSeen, 10);
}

// spec.disruptionBudget resolved as Kubernetes' PDB desiredHealthy, capped at replicas.
TEST(DisruptionBudget, RequiredAvailableTable) {
  auto minAvail = [](IntOrPercent v) { return spec::DisruptionBudget{v, std::nullopt}; };
  auto maxUnavail = [](IntOrPercent v) { return spec::DisruptionBudget{std::nullopt, v}; };
  struct Row {
    int replicas;
    std::optional<spec::DisruptionBudget> budget;
    int want;
  } rows[] = {
      {4, std::nullopt, 0},
      {4, minAvail(IntOrPercent::absolute(3)), 3},
      {4, minAvail(IntOrPercent::percent(50)), 2},
      {5, minAvail(IntOrPercent::percent(50)), 3},   // rounds up
      {4, maxUnavail(IntOrPercent::absolute(1)), 3},
      {5, maxUnavail(IntOrPercent::percent(30)), 3},  // 30 % of 5 = 1.5 -> 2 may be unavailable
      {2, minAvail(IntOrPercent::absolute(5)), 2},    // capped: a scale down is not held
      {0, minAvail(IntOrPercent::absolute(1)), 0},
      {3, maxUnavail(IntOrPercent::absolute(5)), 0},
  };
  for (const auto& row : rows) {
    EXPECT_EQ(requiredAvailable(row.replicas, row.budget), row.want) << row.replicas;
  }
}

// The canary / blue-green scale downs (applyCounts): candidates in stop order.
TEST(DisruptionBudget, BudgetedStopsTable) {
  struct Row {
    std::vector<bool> candidates;
    int available;
    int required;
    BudgetedStops want;
  } rows[] = {
      {{true, true}, 4, 0, {{0, 1}, 0, 2}},
      {{true, true}, 4, 3, {{0}, 1, 3}},
      {{false, true, true}, 2, 2, {{0}, 2, 2}},    // the unavailable one goes, the others stay
      {{true, false}, 3, 3, {{1}, 1, 3}},
      {{}, 3, 3, {{}, 0, 3}},
  };
  for (const auto& row : rows) {
    EXPECT_EQ(budgetedStops(row.candidates, row.available, row.required), row.want)
        << row.available << " available, " << row.required << " required";
  }
}

// Rolling bounds allow stopping two old instances at once (maxUnavailable 2); the budget
// (3 of 4 available) allows one, and holds the other back.
TEST(RolloutPlan, BudgetHoldsBackWhatTheRollingBoundsAllow) {
  auto r = surgeAndUnavailable(IntOrPercent::absolute(0), IntOrPercent::absolute(2));
  std::vector<PlanInstance> all = {inst("o1", false, true, 1, 1), inst("o2", false, true, 1, 2),
                                   inst("o3", false, true, 1, 3), inst("o4", false, true, 1, 4)};
  struct Row {
    int budget;
    size_t stops;
    int held;
  } rows[] = {{0, 2, 0}, {2, 2, 0}, {3, 1, 1}, {4, 0, 2}};
  for (const auto& row : rows) {
    auto plan = planRollingUpdate(4, r, all, row.budget);
    EXPECT_EQ(plan.stop.size(), row.stops) << "budget " << row.budget;
    EXPECT_EQ(plan.heldByBudget, row.held) << "budget " << row.budget;
  }
}

// An old instance that is not available costs no availability: never held.
TEST(RolloutPlan, BudgetNeverHoldsUnavailableOldInstances) {
  auto r = surgeAndUnavailable(IntOrPercent::absolute(1), IntOrPercent::absolute(1));
  std::vector<PlanInstance> all = {inst("o1", false, true, 1, 1), inst("o2", false, false, 1, 2),
                                   inst("o3", false, true, 1, 3), inst("n1", true, true, 2, 4)};
  auto plan = planRollingUpdate(3, r, all, 3);
  EXPECT_EQ(plan.stop, (std::vector<std::string>{"o2"}));
}

// A whole rollout with maxUnavailable 50 % and a budget of 3 of 4: available never drops
// below 3, and the rollout still completes.
TEST(RolloutPlan, BudgetBoundsAWholeRollout) {
  auto r = surgeAndUnavailable(IntOrPercent::absolute(1), IntOrPercent::percent(50));
  std::vector<PlanInstance> all;
  for (int i = 0; i < 4; ++i) all.push_back(inst("o" + std::to_string(i), false, true, 1, i));
  int next = 0;
  int minAvailableSeen = 4;
  for (int round = 0; round < 40; ++round) {
    for (auto& i : all) i.available = i.ready = true;  // started last round: available now
    auto plan = planRollingUpdate(4, r, all, 3);
    std::erase_if(all, [&](const PlanInstance& i) {
      return std::find(plan.stop.begin(), plan.stop.end(), i.name) != plan.stop.end();
    });
    int available = static_cast<int>(std::count_if(all.begin(), all.end(), [](auto& i) { return i.available; }));
    minAvailableSeen = std::min(minAvailableSeen, available);
    for (int k = 0; k < plan.start; ++k, ++next) all.push_back(inst("n" + std::to_string(next), true, false, 2, 100 + next));
    bool done = all.size() == 4 && std::all_of(all.begin(), all.end(), [](auto& i) { return i.updated; });
    if (done) break;
  }
  EXPECT_GE(minAvailableSeen, 3);
  EXPECT_EQ(all.size(), 4u);
  EXPECT_TRUE(std::all_of(all.begin(), all.end(), [](auto& i) { return i.updated; }));
}

}  // namespace plan_test
}  // namespace rollway::controller
