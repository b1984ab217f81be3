#include "proxy/split.h"

#include <map>
#include <string>

#include <gtest/gtest.h>

namespace rollway::proxy {
namespace {

ServiceRoute twoRevisions(int canaryWeight) {
  ServiceRoute s;
  s.split = SplitMode::kWeights;
  s.revisions.push_back({1, 100 - canaryWeight, false, {{"web-1-a", "127.0.0.1:9001", EndpointState::kReady}}});
  s.revisions.push_back({2, canaryWeight, true, {{"web-2-b", "127.0.0.1:9002", EndpointState::kReady}}});
  return s;
}

TEST(StickyBucket, StableAndInRange) {
  EXPECT_EQ(stickyBucket("user-42"), stickyBucket("user-42"));
  for (int i = 0; i < 1000; ++i) EXPECT_LT(stickyBucket("user-" + std::to_string(i)), 10000u);
  // Pinned values: changing the hash would move users between revisions mid-rollout.
  EXPECT_EQ(stickyBucket(""), 4342u);
  EXPECT_EQ(stickyBucket("user-42"), 1453u);
  EXPECT_EQ(stickyBucket("alice"), 7236u);
}

TEST(StickyBucket, SpreadsSequentialKeys) {
  // 20 000 sequential keys over 10 deciles: each within ±5 % of 2 000.
  std::map<int, int> deciles;
  for (int i = 0; i < 20000; ++i) ++deciles[static_cast<int>(stickyBucket("user-" + std::to_string(i)) / 1000)];
  for (int d = 0; d < 10; ++d) EXPECT_NEAR(deciles[d], 2000, 100) << d;
}

TEST(WeightedSplit, RaisingTheWeightNeverMovesAKeyBack) {
  std::map<std::string, int> side;
  for (int weight : {10, 30, 60, 100}) {
    auto s = twoRevisions(weight);
    for (int i = 0; i < 1000; ++i) {
      std::string key = "user-" + std::to_string(i);
      int pick = pickWeightedRevision(s, stickyBucket(key), false);
      ASSERT_GE(pick, 0);
      if (side.count(key) && side[key] == 1) {
        EXPECT_EQ(pick, 1) << key << " went back to stable at " << weight;
      }
      side[key] = pick;
    }
  }
}

TEST(WeightedSplit, SharesFollowWeights) {
  auto s = twoRevisions(10);
  int canary = 0;
  for (uint32_t b = 0; b < 10000; ++b) canary += pickWeightedRevision(s, b, false) == 1;
  EXPECT_EQ(canary, 1000);
}

TEST(WeightedSplit, RouteForcesCanaryAndZeroWeightNeverPicksIt) {
  auto s = twoRevisions(0);
  for (uint32_t b = 0; b < 10000; b += 7) EXPECT_EQ(pickWeightedRevision(s, b, false), 0);
  EXPECT_EQ(pickWeightedRevision(s, 5, true), 1);
}

TEST(WeightedSplit, FallsBackWhenTheChosenSideHasNoReadyEndpoint) {
  auto s = twoRevisions(50);
  s.revisions[1].endpoints[0].state = EndpointState::kDraining;
  EXPECT_EQ(pickWeightedRevision(s, 0, false), 0);
  EXPECT_EQ(pickWeightedRevision(s, 0, true), 0);
  s.revisions[0].endpoints.clear();
  EXPECT_EQ(pickWeightedRevision(s, 9999, false), -1);
}

TEST(StickyCookie, AssignedKeysAreSixteenHexDigits) {
  std::string key = "previous request's key, longer than sixteen";
  assignStickyKey(key, 0x0123456789abcdefULL);
  EXPECT_EQ(key, "0123456789abcdef");
  assignStickyKey(key, 0xfULL);
  EXPECT_EQ(key, "000000000000000f");
}

TEST(StickyCookie, SetCookieLineAndDetection) {
  std::string out = "X: y\r\n";
  appendStickyCookie(out, "rollway-key", "00ff");
  EXPECT_EQ(out, "X: y\r\nSet-Cookie: rollway-key=00ff; Path=/; HttpOnly; SameSite=Lax\r\n");
  EXPECT_TRUE(setsCookie("rollway-key=abc; Path=/", "rollway-key"));
  EXPECT_TRUE(setsCookie(" rollway-key=", "rollway-key"));
  EXPECT_FALSE(setsCookie("rollway-keys=abc", "rollway-key"));
  EXPECT_FALSE(setsCookie("session=rollway-key=1", "rollway-key"));
  EXPECT_FALSE(setsCookie("rollway-key", "rollway-key"));
}

}  // namespace
}  // namespace rollway::proxy
