// A 3-member etcd cluster, one member per network-namespace host, and the faults the
// cluster tests will make: a member SIGKILLed, a host partitioned, a host frozen. Each
// prints what it measured ("[ measured ] ...") and records it in the XML output.

#include "cluster/etcd_on_hosts.h"

#include <signal.h>

#include <optional>

#include "cluster/netns_test.h"

namespace rollway::cluster_test {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

class EtcdOnHostsTest : public NetnsTest {
 protected:
  // Members 1..3 minus `host`.
  static std::vector<int> othersThan(int host) {
    std::vector<int> out;
    for (int h = 1; h <= 3; ++h) {
      if (h != host) out.push_back(h);
    }
    return out;
  }

  // Puts unique keys under `prefix` (through `members`, 500 ms each: the figure's
  // resolution) until one succeeds, for at most `limit`; how long it took, or nullopt.
  static std::optional<Clock::duration> untilAWriteSucceeds(EtcdOnHosts& etcd, const std::string& prefix,
                                                           const std::vector<int>& members, Clock::time_point since,
                                                           std::chrono::seconds limit) {
    for (int i = 0; i < 1000 && Clock::now() - since < limit; ++i) {
      if (etcd.put(prefix + std::to_string(i), "v", members, 500ms)) return Clock::now() - since;
      std::this_thread::sleep_for(50ms);
    }
    return std::nullopt;
  }

  int waitForLeader(EtcdOnHosts& etcd) {
    int leader = 0;
    eventually([&] { return (leader = etcd.leaderIndex()) != 0; }, 10s, 100ms);
    return leader;
  }
};

// (1) Healthy within 20 s; a put and a get through the cluster from the hub, a read
// through each member, each member's own copy; one leader.
TEST_F(EtcdOnHostsTest, ThreeMembersBecomeHealthyAndServeTheHub) {
  auto start = Clock::now();
  NetnsHosts hosts(3);
  EtcdOnHosts etcd(hosts);
  ASSERT_TRUE(etcd.waitHealthy(20s)) << etcd.log(1);
  measured("3 namespaces + 3 etcd members healthy", Clock::now() - start);
  ASSERT_TRUE(etcd.put("/netns/hello", "world"));
  EXPECT_EQ(etcd.get("/netns/hello"), "world");
  for (int h = 1; h <= 3; ++h) {
    EXPECT_EQ(etcd.get("/netns/hello", {h}), "world") << "through member " << h;
    EXPECT_TRUE(eventually([&] { return etcd.localGet(h, "/netns/hello") == "world"; }, 5s)) << "member " << h;
  }
  EXPECT_FALSE(etcd.get("/netns/absent"));
  int leader = waitForLeader(etcd);
  EXPECT_GE(leader, 1);
  EXPECT_LE(leader, 3);
}

// (2) SIGKILL of the leader: writes through the cluster succeed again within seconds,
// under another leader; the member started again catches up.
TEST_F(EtcdOnHostsTest, WritesSucceedAgainSoonAfterTheLeaderIsKilled) {
  NetnsHosts hosts(3);
  EtcdOnHosts etcd(hosts);
  ASSERT_TRUE(etcd.waitHealthy(20s)) << etcd.log(1);
  int leader = waitForLeader(etcd);
  ASSERT_NE(leader, 0);
  etcd.kill(leader);
  auto killed = Clock::now();
  auto took = untilAWriteSucceeds(etcd, "/netns/after-kill/", {}, killed, 15s);
  ASSERT_TRUE(took) << "no write succeeded within 15 s of the leader's SIGKILL";
  measured("writes again after SIGKILL of the leader", *took);
  EXPECT_LT(*took, 8s);
  int next = waitForLeader(etcd);
  EXPECT_NE(next, 0);
  EXPECT_NE(next, leader);
  ASSERT_TRUE(etcd.put("/netns/while-down", "written"));

  etcd.restart(leader);
  auto restarted = Clock::now();
  EXPECT_TRUE(eventually([&] { return etcd.localGet(leader, "/netns/while-down") == "written"; }, 15s, 100ms))
      << etcd.log(leader);
  measured("restarted member caught up", Clock::now() - restarted);
}

// (3) The leader's host partitioned: the other two elect a leader and take writes; the
// partitioned member cannot have them; linkUp: it catches up.
TEST_F(EtcdOnHostsTest, APartitionedLeaderLeavesTwoThatTakeWritesAndCatchesUpAfter) {
  NetnsHosts hosts(3);
  EtcdOnHosts etcd(hosts);
  ASSERT_TRUE(etcd.waitHealthy(20s)) << etcd.log(1);
  int leader = waitForLeader(etcd);
  ASSERT_NE(leader, 0);
  hosts.linkDown(leader);
  auto cut = Clock::now();
  auto took = untilAWriteSucceeds(etcd, "/netns/partition/", othersThan(leader), cut, 15s);
  ASSERT_TRUE(took) << "the two members left took no write within 15 s";
  measured("writes again after the leader's host was partitioned", *took);
  EXPECT_LT(*took, 8s);
  ASSERT_TRUE(etcd.put("/netns/during-partition", "written", othersThan(leader)));
  EXPECT_EQ(etcd.localGet(leader, "/netns/during-partition"), std::nullopt);
  EXPECT_EQ(etcd.localGet(othersThan(leader)[0], "/netns/during-partition"), "written");

  hosts.linkUp(leader);
  auto healed = Clock::now();
  EXPECT_TRUE(eventually([&] { return etcd.localGet(leader, "/netns/during-partition") == "written"; }, 15s, 100ms))
      << etcd.log(leader);
  measured("partitioned member caught up after linkUp", Clock::now() - healed);
  EXPECT_TRUE(etcd.waitHealthy(10s));
}

// (4) The leader's host frozen (SIGSTOP): the others elect a leader and take writes;
// thawed, the old leader follows and catches up.
TEST_F(EtcdOnHostsTest, AFrozenLeaderIsReplacedAndCatchesUpWhenThawed) {
  NetnsHosts hosts(3);
  EtcdOnHosts etcd(hosts);
  ASSERT_TRUE(etcd.waitHealthy(20s)) << etcd.log(1);
  int leader = waitForLeader(etcd);
  ASSERT_NE(leader, 0);
  hosts.freeze(leader);
  auto frozen = Clock::now();
  auto took = untilAWriteSucceeds(etcd, "/netns/frozen/", othersThan(leader), frozen, 15s);
  ASSERT_TRUE(took) << "the two members left took no write within 15 s";
  measured("writes again after the leader's host was frozen", *took);
  EXPECT_LT(*took, 8s);
  ASSERT_TRUE(etcd.put("/netns/during-freeze", "written", othersThan(leader)));

  hosts.thaw(leader);
  auto thawed = Clock::now();
  EXPECT_TRUE(eventually([&] { return etcd.localGet(leader, "/netns/during-freeze") == "written"; }, 15s, 100ms))
      << etcd.log(leader);
  measured("frozen member caught up after thaw", Clock::now() - thawed);
  EXPECT_TRUE(etcd.waitHealthy(10s));
  int now = waitForLeader(etcd);
  EXPECT_NE(now, 0);
}

}  // namespace
}  // namespace rollway::cluster_test
