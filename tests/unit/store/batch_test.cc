// Store::Batch: the state changes of one reconcile pass as one transaction (one fsync).
#include <string>

#include <gtest/gtest.h>

#include "rollway/store/store.h"
#include "unit/store/faulty_vfs.h"
#include "unit/store/temp_dir.h"
#include "unit/store/test_inputs.h"

namespace rollway::store {
namespace {

class StoreBatchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(dir_.ok());
    StoreOptions options;
    options.vfs = vfs_.name();
    auto opened = Store::open(path(), clock_, options);
    ASSERT_TRUE(opened) << opened.error().str();
    store_ = std::move(*opened);
    ASSERT_TRUE(store_->apply({serviceInput("web", 1, "v1")}));
    for (const char* name : {"web-1-a", "web-1-b"}) {
      ASSERT_TRUE(store_->upsertInstance({name, "web", 1, 1, 7, 40000, "Starting", 0}));
    }
  }

  std::string path() const { return dir_.file("state.db"); }
  std::string committed(const std::string& sql) const { return committedValue(path(), sql); }

  // What one reconcile pass of a rollout writes: a status, two instance records, two events.
  void onePass(int i) {
    ASSERT_TRUE(store_->setServiceStatus("web", R"({"pass":)" + std::to_string(i) + "}"));
    for (const char* name : {"web-1-a", "web-1-b"}) {
      ASSERT_TRUE(store_->upsertInstance({name, "web", 1, 100 + i, 7, 40000, "Running", 0}));
    }
    ASSERT_TRUE(store_->appendEvent(Event{0, 0, "web", "instance/web-1-a", "Normal", "Ready", "ready"}));
    ASSERT_TRUE(store_->appendEvent(Event{0, 0, "web", "instance/web-1-b", "Normal", "Ready", "ready"}));
  }

  TempDir dir_;
  FaultyVfs vfs_;
  FakeClock clock_;
  std::unique_ptr<Store> store_;
};

TEST_F(StoreBatchTest, ABatchIsOneCommitWhereSingleWritesAreOneEach) {
  int before = vfs_.syncs();
  for (int i = 0; i < 10; ++i) onePass(i);
  const int unbatched = vfs_.syncs() - before;

  before = vfs_.syncs();
  for (int i = 0; i < 10; ++i) {
    auto batch = store_->beginBatch();
    onePass(i);
  }
  const int batched = vfs_.syncs() - before;
  EXPECT_GE(unbatched, 50) << "5 writes per pass, each its own commit";
  EXPECT_LE(batched, 10 + 2) << "one commit per pass (a checkpoint may add a sync or two)";
  EXPECT_EQ(committed("SELECT status_json FROM services WHERE name = 'web'"), R"({"pass":9})");
  EXPECT_EQ(committed("SELECT pid FROM instances WHERE name = 'web-1-b'"), "109");
  EXPECT_EQ(committed("SELECT COUNT(*) FROM events WHERE reason = 'Ready'"), "40");
}

TEST_F(StoreBatchTest, WritesAreCommittedWhenTheBatchEndsAndReadableBefore) {
  {
    auto batch = store_->beginBatch();
    onePass(1);
    // This connection sees them; the file does not have them yet.
    EXPECT_EQ(store_->getService("web")->statusJson, R"({"pass":1})");
    EXPECT_EQ(store_->listInstances("web")->size(), 2u);
    auto events = store_->listEvents({"web", 0, 1000});
    ASSERT_TRUE(events);
    EXPECT_EQ(events->back().reason, "Ready");
    EXPECT_EQ(committed("SELECT status_json FROM services WHERE name = 'web'"), "{}");
    EXPECT_EQ(committed("SELECT group_concat(pid) FROM instances"), "1,1");
    EXPECT_EQ(store_->pendingWrites().total(), 5u);
  }
  EXPECT_EQ(store_->pendingWrites().total(), 0u);
  EXPECT_EQ(committed("SELECT status_json FROM services WHERE name = 'web'"), R"({"pass":1})");
  EXPECT_EQ(committed("SELECT group_concat(pid) FROM instances"), "101,101");
}

TEST_F(StoreBatchTest, EventIdsGivenInABatchAreTheIdsTheyGet) {
  auto first = store_->listEvents({});
  ASSERT_TRUE(first);
  const int64_t last = first->back().id;
  int64_t a = 0, b = 0;
  {
    auto batch = store_->beginBatch();
    a = *store_->appendEvent(Event{0, 0, "web", "", "Normal", "A", ""});
    b = *store_->appendEvent(Event{0, 0, "", "", "Warning", "B", ""});
    auto paged = store_->listEvents({"", last, 10});
    ASSERT_TRUE(paged);
    ASSERT_EQ(paged->size(), 2u);
    EXPECT_EQ((*paged)[0].id, a);
    EXPECT_EQ((*paged)[1].id, b);
  }
  EXPECT_EQ(a, last + 1);
  EXPECT_EQ(b, last + 2);
  EXPECT_EQ(committed("SELECT reason FROM events WHERE id = " + std::to_string(b)), "B");
}

TEST_F(StoreBatchTest, NestedBatchesJoinTheOutermost) {
  auto outer = store_->beginBatch();
  {
    auto inner = store_->beginBatch();
    onePass(1);
    ASSERT_TRUE(inner.commit());
  }
  EXPECT_EQ(committed("SELECT group_concat(pid) FROM instances"), "1,1") << "an inner batch committed on its own";
  ASSERT_TRUE(outer.commit());
  EXPECT_EQ(committed("SELECT group_concat(pid) FROM instances"), "101,101");
  EXPECT_TRUE(outer.commit()) << "a second commit does nothing";
}

TEST_F(StoreBatchTest, ABatchMovedFromEndsOnce) {
  auto first = store_->beginBatch();
  auto second = std::move(first);
  EXPECT_TRUE(first.commit());  // moved from: nothing to end
  onePass(1);
  EXPECT_EQ(committed("SELECT group_concat(pid) FROM instances"), "1,1");
  ASSERT_TRUE(second.commit());
  EXPECT_EQ(committed("SELECT group_concat(pid) FROM instances"), "101,101");
  // Depth is back to 0: a single write commits at once again.
  ASSERT_TRUE(store_->deleteInstance("web-1-a"));
  EXPECT_EQ(committed("SELECT COUNT(*) FROM instances"), "1");
}

TEST_F(StoreBatchTest, AnApplyInsideABatchIsDurableOnReturnWithTheBatchSoFar) {
  auto batch = store_->beginBatch();
  onePass(1);
  auto out = store_->apply({serviceInput("web", 1, "v2")});
  ASSERT_TRUE(out) << out.error().str();
  EXPECT_EQ(committed("SELECT current_revision FROM services WHERE name = 'web'"), "2");
  EXPECT_EQ(committed("SELECT group_concat(pid) FROM instances"), "101,101");  // went with it
  EXPECT_EQ(store_->pendingWrites().total(), 0u);
  ASSERT_TRUE(store_->setRevisionPhase("web", 2, "Failed"));
  EXPECT_EQ(committed("SELECT phase FROM revisions WHERE number = 2"), "");
  ASSERT_TRUE(batch.commit());
  EXPECT_EQ(committed("SELECT phase FROM revisions WHERE number = 2"), "Failed");
}

TEST_F(StoreBatchTest, APendingPhaseIsWrittenBeforeAnApplyRenumbersItsRevision) {
  ASSERT_TRUE(store_->apply({serviceInput("web", 1, "v2")}));  // revision 2
  auto batch = store_->beginBatch();
  ASSERT_TRUE(store_->setRevisionPhase("web", 1, "Failed"));
  // v1 comes back as revision 3: the phase set on revision 1 must follow it.
  auto out = store_->apply({serviceInput("web", 1, "v1")});
  ASSERT_TRUE(out) << out.error().str();
  EXPECT_EQ(out->front().revision, 3);
  EXPECT_EQ(store_->getRevision("web", 3)->phase, "Failed");
  EXPECT_EQ(committed("SELECT phase FROM revisions WHERE number = 3"), "Failed");
}

TEST_F(StoreBatchTest, APendingStatusDoesNotOutliveItsService) {
  auto batch = store_->beginBatch();
  ASSERT_TRUE(store_->setServiceStatus("web", R"({"phase":"Progressing"})"));
  ASSERT_TRUE(store_->deleteService("web"));
  EXPECT_EQ(store_->setServiceStatus("web", "{}").error().code, ErrorCode::kNotFound);
  ASSERT_TRUE(batch.commit());
  ASSERT_TRUE(store_->apply({serviceInput("web", 1, "v1")}));
  EXPECT_EQ(store_->getService("web")->statusJson, "{}");
}

// The controller records a new instance before it forks it: that record must be in
// the file when upsertInstance returns, or a daemon killed right after the fork loses
// the process (found again only by a recorded name).
TEST_F(StoreBatchTest, TheFirstRecordOfAnInstanceIsCommittedAtOnceEvenInABatch) {
  auto batch = store_->beginBatch();
  ASSERT_TRUE(store_->setServiceStatus("web", R"({"pass":1})"));
  ASSERT_TRUE(store_->upsertInstance({"web-1-new", "web", 1, 0, 0, 40000, "Starting", 0}));
  EXPECT_EQ(committed("SELECT state FROM instances WHERE name = 'web-1-new'"), "Starting");
  EXPECT_EQ(committed("SELECT status_json FROM services WHERE name = 'web'"), R"({"pass":1})");  // went with it
  // Later records of it wait for the end of the batch.
  ASSERT_TRUE(store_->upsertInstance({"web-1-new", "web", 1, 4242, 9, 40000, "Running", 0}));
  EXPECT_EQ(committed("SELECT state FROM instances WHERE name = 'web-1-new'"), "Starting");
  ASSERT_TRUE(batch.commit());
  EXPECT_EQ(committed("SELECT pid || ' ' || state FROM instances WHERE name = 'web-1-new'"), "4242 Running");
}

TEST_F(StoreBatchTest, InstanceDeletesAndUpsertsInABatchKeepTheirMeaning) {
  ASSERT_TRUE(store_->upsertInstance({"web-1-x", "web", 1, 1, 1, 40000, "Running", 5}));
  auto batch = store_->beginBatch();
  ASSERT_TRUE(store_->upsertInstance({"web-1-x", "web", 1, 2, 2, 40000, "Terminating", 0}));
  auto listed = store_->listInstances();
  ASSERT_EQ(listed->size(), 3u);
  EXPECT_EQ(listed->back().createdAtMs, 5) << "the first upsert's creation time stays";
  EXPECT_EQ(listed->back().state, "Terminating");
  ASSERT_TRUE(store_->deleteInstance("web-1-x"));
  EXPECT_EQ(store_->listInstances()->size(), 2u);
  EXPECT_EQ(store_->deleteInstance("web-1-x").error().code, ErrorCode::kNotFound);
  ASSERT_TRUE(store_->deleteInstance("web-1-a"));
  EXPECT_EQ(store_->deleteInstance("nope").error().code, ErrorCode::kNotFound);
  EXPECT_EQ(committed("SELECT group_concat(name) FROM instances"), "web-1-a,web-1-b,web-1-x");
  ASSERT_TRUE(batch.commit());
  EXPECT_EQ(committed("SELECT group_concat(name) FROM instances"), "web-1-b");
}

}  // namespace
}  // namespace rollway::store
