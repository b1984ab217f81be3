// Node registration against a real etcd member: a node is listed while its daemon keeps
// its lease, is gone once the lease ends (a dead daemon), its name cannot be taken while
// it lives, and a clean stop removes it at once.
#include <gtest/gtest.h>

#include <atomic>

#include "etcd_cluster.h"
#include "rollway/etcd/node_registry.h"

namespace rollway::etcd {
namespace {

using namespace std::chrono_literals;

class Nodes : public testing::OneMemberTest {
 protected:
  static std::string prefix() { return key("nodes/"); }
  std::vector<std::string> names() {
    std::vector<std::string> out;
    auto nodes = listNodes(client_, prefix());
    if (nodes) {
      for (const auto& n : *nodes) out.push_back(n.name);
    }
    return out;
  }
};

TEST_F(Nodes, RegisteredNodesAreListedWithTheirAddressAndLabels) {
  auto a = NodeRegistration::create(client_, prefix(), NodeInfo{"h1", "10.0.0.1", {{"zone", "a"}}, ""}, 3s);
  auto b = NodeRegistration::create(client_, prefix(), NodeInfo{"h2", "10.0.0.2", {}, ""}, 3s);
  ASSERT_TRUE(a) << a.error().message;
  ASSERT_TRUE(b);
  auto nodes = listNodes(client_, prefix());
  ASSERT_TRUE(nodes);
  ASSERT_EQ(nodes->size(), 2u);
  EXPECT_EQ((*nodes)[0], (NodeInfo{"h1", "10.0.0.1", {{"zone", "a"}}, ""}));
  std::this_thread::sleep_for(4s);  // past the TTL: kept alive
  EXPECT_EQ(names(), (std::vector<std::string>{"h1", "h2"}));
}

TEST_F(Nodes, ANameHeldByALiveNodeIsRefusedWithAMessageThatSaysWhy) {
  auto a = NodeRegistration::create(client_, prefix(), NodeInfo{"h1", "10.0.0.1", {}, ""}, 3s);
  ASSERT_TRUE(a);
  auto twin = NodeRegistration::create(client_, prefix(), NodeInfo{"h1", "10.0.0.9", {}, ""}, 3s);
  ASSERT_FALSE(twin);
  EXPECT_EQ(twin.error().code, ErrorCode::kConflict);
  EXPECT_NE(twin.error().message.find("10.0.0.1"), std::string::npos) << twin.error().message;
  EXPECT_FALSE(NodeRegistration::create(client_, prefix(), NodeInfo{"a/b", "x", {}, ""}, 3s));
}

TEST_F(Nodes, ACleanStopRemovesTheNodeAtOnceADeadOneWhenItsLeaseEnds) {
  auto stopping = NodeRegistration::create(client_, prefix(), NodeInfo{"clean", "10.0.0.1", {}, ""}, 3s);
  std::atomic<int> lost{0};
  auto dying = NodeRegistration::create(client_, prefix(), NodeInfo{"dead", "10.0.0.2", {}, ""}, 2s, [&] { ++lost; });
  ASSERT_TRUE(stopping && dying);
  stopping->reset();
  EXPECT_EQ(names(), (std::vector<std::string>{"dead"}));
  // A daemon that dies stops renewing: here its lease is revoked behind its back, as the
  // server does when it expires; the registration learns it on its next renewal.
  ASSERT_TRUE(client_.revokeLease((*dying)->lease()));
  EXPECT_TRUE(names().empty());
  EXPECT_TRUE(testing::eventually([&] { return lost.load() == 1; }, 3s));
  EXPECT_FALSE((*dying)->alive());
  // Its name is free again.
  EXPECT_TRUE(NodeRegistration::create(client_, prefix(), NodeInfo{"dead", "10.0.0.3", {}, ""}, 2s));
}

TEST_F(Nodes, ADetachedNodeStaysForItsLeaseAndItsOwnDaemonTakesItOverAnotherIsRefused) {
  NodeInfo info{"h1", "10.0.0.1", {}, "daemon-1"};
  auto first = NodeRegistration::create(client_, prefix(), info, 3s);
  ASSERT_TRUE(first);
  (*first)->detach();  // the daemon stops to be restarted
  first->reset();
  EXPECT_EQ(names(), (std::vector<std::string>{"h1"}));
  NodeInfo stranger{"h1", "10.0.0.9", {}, "daemon-2"};
  auto refused = NodeRegistration::create(client_, prefix(), stranger, 3s);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kConflict);
  auto again = NodeRegistration::create(client_, prefix(), info, 3s);  // restarted in time
  ASSERT_TRUE(again) << again.error().str();
  std::this_thread::sleep_for(4s);  // past the first lease: the key is on the new one
  EXPECT_EQ(names(), (std::vector<std::string>{"h1"}));
}

TEST_F(Nodes, ALostRegistrationRegistersAgainWhenEtcdTakesItAndSaysSo) {
  std::atomic<int> lost{0};
  std::atomic<int> rejoined{0};
  auto reg = NodeRegistration::create(client_, prefix(), NodeInfo{"h1", "10.0.0.1", {}, "d1"}, 2s, [&] { ++lost; },
                                      [&] { ++rejoined; });
  ASSERT_TRUE(reg);
  const int64_t first = (*reg)->lease();
  ASSERT_TRUE(client_.revokeLease(first));  // as when the lease expired during a partition
  EXPECT_TRUE(names().empty());
  ASSERT_TRUE(testing::eventually([&] { return rejoined.load() == 1; }, 5s));
  EXPECT_EQ(lost.load(), 1);
  EXPECT_TRUE((*reg)->alive());
  EXPECT_NE((*reg)->lease(), first);
  EXPECT_EQ(names(), (std::vector<std::string>{"h1"}));
  std::this_thread::sleep_for(3s);  // kept alive on the new lease
  EXPECT_EQ(names(), (std::vector<std::string>{"h1"}));
}

TEST_F(Nodes, ANodeWhoseDaemonStopsRenewingDisappearsAfterTheTimeout) {
  // Registered by hand, as a daemon that died right after would have left it.
  auto lease = client_.grantLease(2s);
  ASSERT_TRUE(lease);
  ASSERT_TRUE(client_.put(prefix() + "ghost", toJson(NodeInfo{"ghost", "10.0.0.4", {}, ""}), *lease));
  EXPECT_EQ(names(), (std::vector<std::string>{"ghost"}));
  EXPECT_TRUE(testing::eventually([&] { return names().empty(); }, 5s)) << "still listed past its lease";
}

TEST(NodeJson, ARecordThatIsNotANodeIsAnErrorNamingTheKey) {
  auto bad = nodeFromJson("/rollway/nodes/x", "{\"address\": 1}");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("/rollway/nodes/x"), std::string::npos);
  EXPECT_FALSE(nodeFromJson("k", "not json"));
  auto ok = nodeFromJson("k", toJson(NodeInfo{"n", "a", {{"x", "y"}}, ""}));
  ASSERT_TRUE(ok);
  EXPECT_EQ(*ok, (NodeInfo{"n", "a", {{"x", "y"}}, ""}));
}

}  // namespace
}  // namespace rollway::etcd
