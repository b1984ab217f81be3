// Mirror (a prefix kept locally by a watch) against real etcd: it reflects writes and
// deletes, waits for the revision of one's own write, and after its watch was away past
// a compaction it reads the prefix again rather than miss anything.
#include <gtest/gtest.h>

#include <atomic>

#include "etcd_cluster.h"
#include "rollway/etcd/mirror.h"

namespace rollway::etcd {
namespace {

using namespace std::chrono_literals;
using testing::eventually;

class MirrorTest : public testing::OneMemberTest {};

TEST_F(MirrorTest, ReflectsWhatWasThereAndEveryWriteAfter) {
  ASSERT_TRUE(client_.put(key("a"), "1"));
  ASSERT_TRUE(client_.put(key("b"), "2"));
  ASSERT_TRUE(client_.put("/elsewhere", "x"));
  std::atomic<int> changes{0};
  Mirror mirror(client_, key(""), [&] { ++changes; });
  ASSERT_TRUE(mirror.waitFor(0, 5s));
  EXPECT_EQ(mirror.list(key("")).size(), 2u);
  EXPECT_FALSE(mirror.get("/elsewhere")) << "only its prefix";
  auto written = client_.put(key("a"), "3");
  ASSERT_TRUE(written);
  ASSERT_TRUE(mirror.waitFor(*written, 5s)) << "read-your-writes";
  EXPECT_EQ(mirror.get(key("a"))->value, "3");
  auto deleted = client_.txn({}, {Operation::del(key("b"))});
  ASSERT_TRUE(deleted);
  ASSERT_TRUE(mirror.waitFor(deleted->revision, 5s));
  EXPECT_FALSE(mirror.get(key("b")));
  EXPECT_EQ(mirror.revision(), deleted->revision);
  // onChange runs after waiters are woken: it catches up right after.
  EXPECT_TRUE(eventually([&] { return changes.load() >= 3; }, 2s)) << changes.load();
  EXPECT_EQ(mirror.reads(), 1);
}

TEST_F(MirrorTest, WaitingForARevisionItNeverSeesTimesOut) {
  Mirror mirror(client_, key(""));
  ASSERT_TRUE(mirror.waitFor(0, 5s));
  EXPECT_FALSE(mirror.waitFor(mirror.revision() + 1000, 200ms));
}

// The mirror's only endpoint dies; meanwhile the others take writes and compact the
// history past what its watch has seen. When the member is back, the watch cannot resume
// from there: the mirror reads the prefix again and ends with every write.
TEST(MirrorCluster, AWatchAwayPastACompactionReadsThePrefixAgain) {
  testing::EtcdCluster cluster(3);
  auto& only = cluster.member(0);
  Client mirrorClient(ClientOptions{{only.endpoint()}, 1000ms});
  Client writer(ClientOptions{{cluster.member(1).endpoint(), cluster.member(2).endpoint()}, 1000ms});
  ASSERT_TRUE(writer.put("/m/k0", "0"));
  Mirror mirror(mirrorClient, "/m/");
  ASSERT_TRUE(mirror.waitFor(0, 5s));
  ASSERT_TRUE(eventually([&] { return mirror.get("/m/k0").has_value(); }, 5s));
  cluster.kill(only);
  int64_t last = 0;
  for (int i = 1; i <= 20; ++i) {
    for (int attempt = 0; attempt < 50; ++attempt) {  // a new leader may be elected first
      auto r = writer.put("/m/k" + std::to_string(i), std::to_string(i));
      if (r) {
        last = *r;
        break;
      }
      std::this_thread::sleep_for(100ms);
    }
  }
  ASSERT_GT(last, 0);
  ASSERT_TRUE(writer.del("/m/k0"));
  auto head = writer.get("/m/k20");
  ASSERT_TRUE(head && *head);
  ASSERT_TRUE(writer.compact((*head)->modRevision));
  cluster.restart(only);
  // Within seconds of the member's return (a channel left failing by its death must
  // connect again when asked, not after gRPC's 20 s reconnect timer).
  ASSERT_TRUE(eventually([&] { return mirror.list("/m/").size() == 20 && !mirror.get("/m/k0"); }, 10s))
      << mirror.list("/m/").size() << " keys mirrored";
  EXPECT_EQ(mirror.reads(), 2) << "read again after the compaction";
  EXPECT_EQ(mirror.get("/m/k20")->value, "20");
}

}  // namespace
}  // namespace rollway::etcd
