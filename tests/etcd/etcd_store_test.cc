// What only the etcd store does, against a real etcd: the controller's writes go out on
// the flusher's thread (never waiting on etcd), survive etcd being away, reach a store
// opened later (the next leader); a fenced store of a deposed leader writes nothing.
#include "rollway/cluster/etcd_store.h"

#include <atomic>
#include <chrono>
#include <string>

#include <gtest/gtest.h>

#include "etcd/etcd_cluster.h"
#include "unit/store/test_inputs.h"

namespace rollway::cluster {
namespace {

using etcd::testing::EtcdCluster;
using etcd::testing::eventually;
using std::chrono::milliseconds;
using std::chrono::seconds;
using store::ServiceInput;

class EtcdStoreTest : public ::testing::Test {
 protected:
  EtcdStoreTest() : cluster_(1), client_(etcd::ClientOptions{cluster_.endpoints(), milliseconds(1000)}) {}

  std::unique_ptr<EtcdStore> open(EtcdStoreOptions options = {}) {
    if (options.prefix == EtcdStoreOptions{}.prefix) options.prefix = kPrefix;
    auto opened = EtcdStore::open(client_, clock_, std::move(options));
    EXPECT_TRUE(opened) << opened.error().str();
    return opened ? std::move(*opened) : nullptr;
  }
  std::optional<std::string> raw(const std::string& key) {
    auto kv = client_.get(kPrefix + key);
    EXPECT_TRUE(kv) << kv.error().str();
    if (!kv || !*kv) return std::nullopt;
    return (*kv)->value;
  }
  size_t rawCount(const std::string& prefix) {
    auto range = client_.getPrefix(kPrefix + prefix);
    EXPECT_TRUE(range) << range.error().str();
    return range ? range->kvs.size() : 0;
  }
  // The leader key, made as a LeaderElection makes it; its fence.
  etcd::Fence becomeLeader(const std::string& who) {
    auto won = client_.txn({etcd::Compare::versionIs("/leader", 0)}, {etcd::Operation::put("/leader", who)},
                           {etcd::Operation::get("/leader")});
    EXPECT_TRUE(won && won->succeeded);
    auto kv = client_.get("/leader");
    return etcd::Fence{"/leader", (*kv)->createRevision};
  }

  static constexpr const char* kPrefix = "/t/";
  EtcdCluster cluster_;
  etcd::Client client_;
  FakeClock clock_;
};

TEST_F(EtcdStoreTest, ControllerWritesOfABatchReachEtcdAfterItEndsAndANewStoreReadsThem) {
  auto store = open();
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->apply({store::serviceInput("web", 2, "v1")}));
  EXPECT_TRUE(raw("svc/web"));  // apply is in etcd when it returns
  {
    auto batch = store->beginBatch();
    ASSERT_TRUE(store->setServiceStatus("web", R"({"phase":"Progressing"})"));
    ASSERT_TRUE(store->setRevisionPhase("web", 1, "Superseded"));
    ASSERT_TRUE(store->upsertInstance({"web-1-aaaaa", "web", 1, 4242, 7, 40001, "Running", 0}));
    ASSERT_TRUE(store->appendEvent({0, 0, "web", "service/web", "Normal", "Scaled", "scaled to 2"}));
    auto pending = store->pendingWrites();
    EXPECT_EQ(pending.statuses, 1u);
    EXPECT_EQ(pending.revisionPhases, 1u);
    EXPECT_EQ(pending.instances, 1u);
    EXPECT_EQ(pending.events, 1u);
    EXPECT_FALSE(raw("status/web"));  // not before the batch ends
    EXPECT_EQ(store->getService("web")->statusJson, R"({"phase":"Progressing"})");  // reads include it
  }
  ASSERT_TRUE(store->waitFlushed(seconds(10)));
  EXPECT_EQ(store->pendingWrites().total(), 0u);
  EXPECT_EQ(raw("status/web"), R"({"phase":"Progressing"})");

  auto next = open();  // the next leader
  ASSERT_TRUE(next);
  EXPECT_EQ(next->getService("web")->statusJson, R"({"phase":"Progressing"})");
  EXPECT_EQ(next->getRevision("web", 1)->phase, "Superseded");
  auto instances = next->listInstances();
  ASSERT_EQ(instances->size(), 1u);
  EXPECT_EQ((*instances)[0].pid, 4242);
  EXPECT_EQ(next->listEvents({})->back().reason, "Scaled");
  // Event ids go on after the ones already in etcd.
  auto nextId = next->appendEvent({0, 0, "web", "", "Normal", "Next", ""});
  ASSERT_TRUE(nextId);
  EXPECT_EQ(*nextId, next->listEvents({})->back().id);
  EXPECT_GT(next->listEvents({})->back().id, store->listEvents({})->back().id);
}

TEST_F(EtcdStoreTest, WhileEtcdIsDownControllerWritesReturnAtOnceStayReadableAndLandWhenItIsBack) {
  auto store = open();
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->apply({store::serviceInput("web", 2, "v1")}));
  cluster_.kill(cluster_.member(0));

  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 50; ++i) {
    ASSERT_TRUE(store->setServiceStatus("web", R"({"n":)" + std::to_string(i) + "}"));
    ASSERT_TRUE(store->appendEvent({0, 0, "web", "service/web", "Normal", "Tick", std::to_string(i)}));
  }
  ASSERT_TRUE(store->upsertInstance({"web-1-bbbbb", "web", 1, 99, 1, 40002, "Starting", 0}));
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_LT(took, milliseconds(200)) << "the controller's writes waited for etcd";
  EXPECT_EQ(store->getService("web")->statusJson, R"({"n":49})");
  EXPECT_GT(store->pendingWrites().total(), 0u);

  // A structural write fails, bounded, and changes nothing.
  const auto applyStart = std::chrono::steady_clock::now();
  auto applied = store->apply({store::serviceInput("api", 1, "v1")});
  ASSERT_FALSE(applied);
  EXPECT_LT(std::chrono::steady_clock::now() - applyStart, seconds(5));
  EXPECT_TRUE(applied.error().code == ErrorCode::kUnavailable || applied.error().code == ErrorCode::kTimeout)
      << applied.error().str();
  EXPECT_NE(applied.error().message.find("cannot write to etcd"), std::string::npos) << applied.error().message;
  EXPECT_EQ(store->getService("api").error().code, ErrorCode::kNotFound);

  cluster_.restart(cluster_.member(0));
  ASSERT_TRUE(store->waitFlushed(seconds(20))) << store->pendingWrites().total() << " writes still pending";
  EXPECT_EQ(raw("status/web"), R"({"n":49})");
  EXPECT_EQ(rawCount("event/"), 2u + 50u);  // ServiceCreated, NewRevision, 50 ticks
  EXPECT_TRUE(raw("inst/web-1-bbbbb"));
  // And structural writes work again.
  EXPECT_TRUE(store->apply({store::serviceInput("api", 1, "v1")}));
}

TEST_F(EtcdStoreTest, ADeposedLeadersStoreWritesNothingMoreAndSaysSo) {
  std::atomic<int> deposedCalls{0};
  EtcdStoreOptions options;
  options.fence = becomeLeader("node-a");
  options.onDeposed = [&] { ++deposedCalls; };
  auto old = open(options);
  ASSERT_TRUE(old);
  ASSERT_TRUE(old->apply({store::serviceInput("web", 2, "v1")}));
  ASSERT_TRUE(old->setServiceStatus("web", R"({"by":"a"})"));
  ASSERT_TRUE(old->waitFlushed(seconds(10)));

  // node-a's lease expired; node-b won.
  ASSERT_TRUE(client_.del("/leader"));
  EtcdStoreOptions bOptions;
  bOptions.fence = becomeLeader("node-b");
  auto fresh = open(bOptions);
  ASSERT_TRUE(fresh);
  ASSERT_TRUE(fresh->setServiceStatus("web", R"({"by":"b"})"));
  ASSERT_TRUE(fresh->waitFlushed(seconds(10)));

  // node-a, paused until now, goes on writing: nothing of it lands.
  ASSERT_TRUE(old->setServiceStatus("web", R"({"by":"a, late"})"));
  EXPECT_TRUE(eventually([&] { return old->deposed(); }, seconds(10)));
  EXPECT_EQ(deposedCalls.load(), 1);
  auto applied = old->apply({store::serviceInput("web", 3, "v2")});
  ASSERT_FALSE(applied);
  EXPECT_EQ(applied.error().code, ErrorCode::kConflict);
  EXPECT_NE(applied.error().message.find("no longer the cluster leader"), std::string::npos);
  EXPECT_EQ(old->setServiceStatus("web", "{}").error().code, ErrorCode::kConflict);
  EXPECT_EQ(raw("status/web"), R"({"by":"b"})");
  EXPECT_EQ(fresh->getService("web")->generation, 1);
  EXPECT_EQ(deposedCalls.load(), 1);
}

TEST_F(EtcdStoreTest, PendingWritesGoInTransactionsOfAtMostMaxTxnOps) {
  EtcdStoreOptions options;
  options.maxTxnOps = 5;
  auto store = open(options);
  ASSERT_TRUE(store);
  {
    auto batch = store->beginBatch();
    for (int i = 0; i < 23; ++i) ASSERT_TRUE(store->appendEvent({0, 0, "", "", "Normal", "E", std::to_string(i)}));
  }
  ASSERT_TRUE(store->waitFlushed(seconds(10)));
  EXPECT_EQ(rawCount("event/"), 23u);
  // One apply of more keys than a transaction may change is refused, clearly, whole.
  auto applied = store->apply({store::serviceInput("a", 1, "v1"), store::serviceInput("b", 1, "v1")});
  ASSERT_FALSE(applied);
  EXPECT_EQ(applied.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(applied.error().message.find("--max-txn-ops"), std::string::npos) << applied.error().message;
  EXPECT_EQ(rawCount("svc/"), 0u);
  EXPECT_EQ(store->listServices()->size(), 0u);
}

TEST_F(EtcdStoreTest, AValueThatCannotBeDecodedIsRefusedAtOpenNamingItsKey) {
  ASSERT_TRUE(client_.put(std::string(kPrefix) + "svc/web", "not json"));
  EtcdStoreOptions options;
  options.prefix = kPrefix;
  auto opened = EtcdStore::open(client_, clock_, options);
  ASSERT_FALSE(opened);
  EXPECT_EQ(opened.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(opened.error().message.find("/t/svc/web"), std::string::npos) << opened.error().message;
}

TEST_F(EtcdStoreTest, OpenWithoutEtcdIsUnavailable) {
  etcd::Client nowhere(etcd::ClientOptions{{"127.0.0.1:" + std::to_string(etcd::testing::freePort())}, milliseconds(500)});
  auto opened = EtcdStore::open(nowhere, clock_, {});
  ASSERT_FALSE(opened);
  EXPECT_TRUE(opened.error().code == ErrorCode::kUnavailable || opened.error().code == ErrorCode::kTimeout)
      << opened.error().str();
  EXPECT_NE(opened.error().message.find("cannot read the cluster's state"), std::string::npos);
}

}  // namespace
}  // namespace rollway::cluster
