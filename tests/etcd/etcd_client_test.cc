// etcd::Client and etcd::Watcher against real etcd members on 127.0.0.1 (Debian's
// etcd-server): one member for the API's semantics, three for failover — the member the
// client talks to is SIGKILLed, and writes and the watch go on without losing an event.
#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <set>

#include "etcd_cluster.h"

namespace rollway::etcd {
namespace {

using namespace std::chrono_literals;
using testing::EtcdCluster;

using testing::eventually;

class OneMember : public testing::OneMemberTest {};

TEST_F(OneMember, PutGetDeleteAndPrefixReads) {
  auto r1 = client_.put(key("a"), "1");
  ASSERT_TRUE(r1) << r1.error().message;
  auto r2 = client_.put(key("b"), "2");
  ASSERT_TRUE(r2);
  EXPECT_GT(*r2, *r1) << "each write is a new revision";
  ASSERT_TRUE(client_.put(key("a"), "3"));
  auto a = client_.get(key("a"));
  ASSERT_TRUE(a && *a);
  EXPECT_EQ((*a)->value, "3");
  EXPECT_EQ((*a)->version, 2);
  EXPECT_EQ((*a)->createRevision, *r1);
  auto none = client_.get(key("nope"));
  ASSERT_TRUE(none);
  EXPECT_FALSE(*none);
  auto range = client_.getPrefix(key(""));
  ASSERT_TRUE(range);
  ASSERT_EQ(range->kvs.size(), 2u);
  EXPECT_EQ(range->kvs[0].key, key("a"));
  EXPECT_GE(range->revision, *r2);
  auto deleted = client_.del(key(""), true);
  ASSERT_TRUE(deleted);
  EXPECT_EQ(*deleted, 2);
  EXPECT_TRUE(client_.getPrefix(key(""))->kvs.empty());
}

TEST_F(OneMember, TxnCreatesOnceAndFencesOnTheRevisionItRead) {
  auto create = [&] {
    return client_.txn({Compare::versionIs(key("leader"), 0)}, {Operation::put(key("leader"), "me")},
                       {Operation::get(key("leader"))});
  };
  auto first = create();
  ASSERT_TRUE(first) << first.error().message;
  EXPECT_TRUE(first->succeeded);
  auto second = create();
  ASSERT_TRUE(second);
  EXPECT_FALSE(second->succeeded) << "the key exists";
  ASSERT_EQ(second->gets.size(), 1u);
  ASSERT_EQ(second->gets[0].size(), 1u);
  int64_t read = second->gets[0][0].modRevision;
  // A write fenced on what was read goes through once; the second, on a stale read, not.
  auto fenced = client_.txn({Compare::modRevisionIs(key("leader"), read)}, {Operation::put(key("leader"), "me2")});
  ASSERT_TRUE(fenced);
  EXPECT_TRUE(fenced->succeeded);
  auto stale = client_.txn({Compare::modRevisionIs(key("leader"), read)}, {Operation::put(key("leader"), "old")});
  ASSERT_TRUE(stale);
  EXPECT_FALSE(stale->succeeded);
  EXPECT_EQ((*client_.get(key("leader")))->value, "me2");
}

TEST_F(OneMember, AKeyOnALeaseGoesWhenTheLeaseExpiresUnlessKeptAlive) {
  auto lease = client_.grantLease(2s);
  ASSERT_TRUE(lease) << lease.error().message;
  ASSERT_TRUE(client_.put(key("node"), "up", *lease));
  EXPECT_EQ((*client_.get(key("node")))->lease, *lease);
  // Kept alive past its TTL, it stays.
  for (int i = 0; i < 4; ++i) {
    std::this_thread::sleep_for(800ms);
    auto ttl = client_.keepAlive(*lease);
    ASSERT_TRUE(ttl) << ttl.error().message;
    EXPECT_GT(*ttl, 0);
  }
  EXPECT_TRUE(*client_.get(key("node")));
  // Left alone, it expires and takes the key with it.
  EXPECT_TRUE(eventually([&] { return !*client_.get(key("node")); }, 6s));
  auto expired = client_.keepAlive(*lease);
  ASSERT_FALSE(expired);
  EXPECT_EQ(expired.error().code, ErrorCode::kNotFound);
  // Revoking another lease deletes its keys at once.
  auto other = client_.grantLease(30s);
  ASSERT_TRUE(other);
  ASSERT_TRUE(client_.put(key("other"), "x", *other));
  ASSERT_TRUE(client_.revokeLease(*other));
  EXPECT_FALSE(*client_.get(key("other")));
}

TEST_F(OneMember, AWatchReplaysHistoryFromARevisionThenFollowsInOrder) {
  auto first = client_.put(key("k1"), "a");
  ASSERT_TRUE(first);
  ASSERT_TRUE(client_.put(key("k2"), "b"));
  std::mutex m;
  std::vector<WatchEvent> seen;
  Watcher w(client_, key(""), *first, [&](const std::vector<WatchEvent>& events) {
    std::lock_guard lock(m);
    seen.insert(seen.end(), events.begin(), events.end());
  });
  ASSERT_TRUE(client_.del(key("k1")));
  ASSERT_TRUE(client_.put(key("k3"), "c"));
  ASSERT_TRUE(eventually([&] {
    std::lock_guard lock(m);
    return seen.size() == 4;
  }, 5s));
  std::lock_guard lock(m);
  EXPECT_EQ(seen[0].kv.key, key("k1"));
  EXPECT_EQ(seen[1].kv.key, key("k2"));
  EXPECT_EQ(seen[2].type, WatchEvent::Type::kDelete);
  EXPECT_EQ(seen[3].kv.value, "c");
  for (size_t i = 1; i < seen.size(); ++i) EXPECT_GT(seen[i].kv.modRevision, seen[i - 1].kv.modRevision);
  EXPECT_EQ(w.lastRevision(), seen.back().kv.modRevision);
}

TEST_F(OneMember, AWatchFromCompactedHistoryIsAnErrorThatSaysReadAgain) {
  auto first = client_.put(key("k"), "1");
  ASSERT_TRUE(first);
  auto last = client_.put(key("k"), "2");
  ASSERT_TRUE(last);
  ASSERT_TRUE(client_.compact(*last));
  std::mutex m;
  std::vector<Error> errors;
  std::atomic<int> events{0};
  Watcher w(
      client_, key(""), *first, [&](const std::vector<WatchEvent>&) { ++events; },
      [&](const Error& e) {
        std::lock_guard lock(m);
        errors.push_back(e);
      });
  ASSERT_TRUE(eventually([&] {
    std::lock_guard lock(m);
    return !errors.empty();
  }, 5s));
  std::lock_guard lock(m);
  EXPECT_EQ(errors[0].code, ErrorCode::kConflict);
  EXPECT_NE(errors[0].message.find("compacted"), std::string::npos) << errors[0].message;
  EXPECT_EQ(events.load(), 0) << "nothing delivered from a history with a gap";
}

TEST(EtcdClient, NoEndpointAnsweringIsAnErrorNamingThemWithinTheDeadline) {
  int a = testing::freePort();
  int b = testing::freePort();
  Client client(ClientOptions{{"127.0.0.1:" + std::to_string(a), "127.0.0.1:" + std::to_string(b)}, 300ms});
  auto start = std::chrono::steady_clock::now();
  auto got = client.get("/x");
  ASSERT_FALSE(got);
  EXPECT_EQ(got.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(got.error().message.find(std::to_string(a)), std::string::npos) << got.error().message;
  EXPECT_NE(got.error().message.find(std::to_string(b)), std::string::npos) << got.error().message;
  auto put = client.put("/x", "y");
  ASSERT_FALSE(put);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 3s);
}

// Three members; the one the client (and its watch) talks to is SIGKILLed while writes
// go on: every write is acknowledged by the survivors (after retries while a new leader
// is elected, if the dead one led), and the watch sees every acknowledged write once.
TEST(EtcdCluster3, KillingTheClientsMemberLosesNoWriteAndNoWatchEvent) {
  EtcdCluster cluster(3);
  Client client(ClientOptions{cluster.endpoints(), 1000ms});
  ASSERT_TRUE(client.put("/seq/0", "0"));
  auto start = client.get("/seq/0");
  ASSERT_TRUE(start && *start);
  std::mutex m;
  std::vector<std::string> seen;
  Watcher watcher(client, "/seq/", (*start)->modRevision, [&](const std::vector<WatchEvent>& events) {
    std::lock_guard lock(m);
    for (const auto& e : events) seen.push_back(e.kv.key);
  });
  std::vector<std::string> acked{"/seq/0"};
  auto writeUntilAcked = [&](const std::string& k) {
    // A write whose outcome is unknown is not acknowledged; one that never reached a
    // member is retried. Either way the key is written at most once per success here.
    for (int attempt = 0; attempt < 100; ++attempt) {
      auto r = client.txn({Compare::versionIs(k, 0)}, {Operation::put(k, "v")});
      if (r) return true;
      std::this_thread::sleep_for(100ms);
    }
    return false;
  };
  for (int i = 1; i <= 10; ++i) {
    std::string k = "/seq/" + std::to_string(i);
    ASSERT_TRUE(writeUntilAcked(k));
    acked.push_back(k);
  }
  size_t victim = cluster.indexOf(client.endpoint());
  cluster.kill(cluster.member(victim));
  for (int i = 11; i <= 30; ++i) {
    std::string k = "/seq/" + std::to_string(i);
    ASSERT_TRUE(writeUntilAcked(k)) << "no write went through after member " << victim << " died";
    acked.push_back(k);
  }
  EXPECT_NE(client.endpoint(), cluster.member(victim).endpoint());
  ASSERT_TRUE(eventually([&] {
    std::lock_guard lock(m);
    return seen.size() >= acked.size();
  }, 10s)) << "the watch stopped after the member died";
  std::lock_guard lock(m);
  std::set<std::string> unique(seen.begin(), seen.end());
  EXPECT_EQ(unique.size(), seen.size()) << "an event delivered twice";
  for (const auto& k : acked) EXPECT_TRUE(unique.contains(k)) << k << " acknowledged, never seen by the watch";
  EXPECT_GE(watcher.reconnects(), 1);
}

}  // namespace
}  // namespace rollway::etcd
