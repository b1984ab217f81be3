#include "rollway/controller/rollout_plan.h"

#include <gtest/gtest.h>

#include <algorithm>

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

}  // namespace plan_test
}  // namespace rollway::controller
