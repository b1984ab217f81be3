// Issue 5's main acceptance: ten rolling updates under load, zero failed requests.
// A binary of its own (label "load") so that the sanitizer pass can leave it out:
// under ASan its timing says nothing and it takes minutes.
#include "rollout_fixture.h"

namespace rollway::e2e {
namespace {

// 5 versions with maxSurge 1 / maxUnavailable 0, then 5 with maxSurge 0 /
// maxUnavailable 1; instances take 1-2 s to become ready and drain on SIGTERM.
TEST_F(RolloutTest, TenRollingUpdatesUnderLoadLoseNoRequest) {
  service_.appArgs = {"--ready-delay", "1s"};
  ASSERT_EQ(apply(), 0);
  ASSERT_EQ(rolloutStatus(), 0) << daemon_->log();

  LoadClient load(service_.port, 64, 2, 10ms, 400s);
  std::vector<Rollout> rollouts;
  for (int i = 2; i <= 11; ++i) {
    if (i == 7) {
      service_.maxSurge = "0";
      service_.maxUnavailable = "1";
    }
    std::string delay = i % 2 == 0 ? "2s" : "1s";
    rollouts.push_back(rollTo("v" + std::to_string(i), {"--ready-delay", delay, "--shutdown-delay", "100ms"}));
    ASSERT_EQ(rollouts.back().exitCode, 0) << daemon_->log();
    EXPECT_TRUE(allOn("v" + std::to_string(i))) << daemon_->instances("web").dump(2);
  }
  auto before = load.requests();
  waitFor([&] { return load.requests() > before + 200; }, 10s);
  load.stop();
  auto totals = load.totals();

  std::string report = "rollout durations (apply to `rollout status` exit 0):";
  for (const auto& r : rollouts) report += fmt::format(" {} {:.1f}s", r.version, r.seconds);
  std::cout << report << "\nload: " << describe(totals) << std::endl;
  RecordProperty("requests", std::to_string(totals.requests));
  EXPECT_EQ(totals.failures(), 0u) << describe(totals);
  EXPECT_GT(totals.requests, 2000u) << describe(totals);
  EXPECT_GT(totals.byVersion["v11"], 0u);
}

}  // namespace
}  // namespace rollway::e2e
