// LeaderElection against a real etcd member: one leader among candidates, a quick
// takeover when the leader resigns, and a deposed leader (its lease revoked behind its
// back, as when it was paused past its TTL) that can no longer write.
#include <gtest/gtest.h>

#include <atomic>

#include "etcd_cluster.h"
#include "rollway/etcd/election.h"

namespace rollway::etcd {
namespace {

using namespace std::chrono_literals;

using testing::eventually;

class Election : public testing::OneMemberTest {
 protected:
  ElectionOptions options(const std::string& name) {
    ElectionOptions o;
    o.key = key("leader");
    o.candidate = name;
    o.ttl = 4s;  // renewals every 1.3 s: a loaded machine does not make a leader step down
    return o;
  }
};

TEST_F(Election, ExactlyOneOfThreeCandidatesLeadsAndTheKeyNamesIt) {
  std::atomic<int> changes{0};
  auto count = [&](bool) { ++changes; };
  LeaderElection a(client_, options("a"), count);
  LeaderElection b(client_, options("b"), count);
  LeaderElection c(client_, options("c"), count);
  ASSERT_TRUE(eventually([&] { return a.isLeader() + b.isLeader() + c.isLeader() == 1; }, 5s));
  std::this_thread::sleep_for(5s);  // longer than the TTL: still one, the same
  EXPECT_EQ(a.isLeader() + b.isLeader() + c.isLeader(), 1);
  EXPECT_EQ(changes.load(), 1);
  std::string leader = a.isLeader() ? "a" : b.isLeader() ? "b" : "c";
  auto held = client_.get(options("").key);
  ASSERT_TRUE(held && *held);
  EXPECT_EQ((*held)->value, leader);
}

TEST_F(Election, WhenTheLeaderResignsAnotherTakesOverWellWithinTheTtl) {
  auto first = std::make_unique<LeaderElection>(client_, options("first"));
  ASSERT_TRUE(eventually([&] { return first->isLeader(); }, 5s));
  LeaderElection second(client_, options("second"));
  std::this_thread::sleep_for(300ms);
  EXPECT_FALSE(second.isLeader());
  auto start = std::chrono::steady_clock::now();
  first.reset();  // resigns: revokes its lease
  ASSERT_TRUE(eventually([&] { return second.isLeader(); }, 5s));
  EXPECT_LT(std::chrono::steady_clock::now() - start, 1500ms) << "not a TTL's wait";
}

TEST_F(Election, ADeposedLeaderIsFencedOutAndStepsDown) {
  std::atomic<int> lostLeadership{0};
  LeaderElection old(client_, options("old"), [&](bool leading) {
    if (!leading) ++lostLeadership;
  });
  ASSERT_TRUE(eventually([&] { return old.isLeader(); }, 5s));
  auto oldFence = old.fence();
  ASSERT_TRUE(oldFence);
  const std::string data = options("").key + "-data";
  ASSERT_TRUE(client_.txn({oldFence->compare()}, {Operation::put(data, "by old")})->succeeded);
  // Its lease ends behind its back (as for a leader paused past its TTL); another
  // candidate stands. Whoever wins now (the newcomer, or the old one campaigning again
  // with a new lease) holds a new fence.
  ASSERT_TRUE(client_.revokeLease(old.lease()));
  LeaderElection fresh(client_, options("new"));
  std::optional<Fence> now;
  ASSERT_TRUE(eventually([&] {
    now = fresh.isLeader() ? fresh.fence() : old.fence();
    return now && now->revision != oldFence->revision;
  }, 5s));
  // Until its next renewal the old leader may still believe it leads: that window is
  // what the fence is for. What is written under the old fence is refused.
  auto stale = client_.txn({oldFence->compare()}, {Operation::put(data, "under the old fence")});
  ASSERT_TRUE(stale);
  EXPECT_FALSE(stale->succeeded);
  EXPECT_EQ((*client_.get(data))->value, "by old");
  EXPECT_TRUE(client_.txn({now->compare()}, {Operation::put(data, "under the new fence")})->succeeded);
  // Then it notices (within a renewal period) and steps down.
  EXPECT_TRUE(eventually([&] { return lostLeadership.load() == 1; }, 3s));
  EXPECT_TRUE(eventually([&] { return fresh.isLeader() + old.isLeader() == 1; }, 3s));
}

}  // namespace
}  // namespace rollway::etcd
