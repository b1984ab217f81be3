// A full, failing or read-only disk under the store: user requests fail cleanly with
// nothing half-written, the controller's writes are kept and written when it recovers,
// and a failure streak is logged once.
#include <memory>
#include <sstream>
#include <string>

#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include "rollway/store/store.h"
#include "unit/store/faulty_vfs.h"
#include "unit/store/temp_dir.h"
#include "unit/store/test_inputs.h"

namespace rollway::store {
namespace {

using Fault = FaultyVfs::Fault;

size_t count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

class StoreWriteFailureTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(dir_.ok());
    auto sink = std::make_shared<spdlog::sinks::ostream_sink_st>(log_);
    options_.logger = std::make_shared<spdlog::logger>("store", sink);
    options_.vfs = vfs_.name();
    reopen();
    ASSERT_TRUE(store_->apply({serviceInput("web", 2, "v1")}));
    ASSERT_TRUE(store_->upsertInstance({"web-1-a", "web", 1, 100, 7, 40000, "Running", 0}));
    ASSERT_TRUE(store_->upsertInstance({"web-1-b", "web", 1, 101, 8, 40001, "Running", 0}));
  }

  void reopen() {
    store_.reset();
    auto opened = Store::open(path(), clock_, options_);
    ASSERT_TRUE(opened) << opened.error().str();
    store_ = std::move(*opened);
  }

  std::string path() const { return dir_.file("state.db"); }
  std::string committed(const std::string& sql) const { return committedValue(path(), sql); }
  std::string log() const { return log_.str(); }

  TempDir dir_;
  FaultyVfs vfs_;
  FakeClock clock_;
  std::ostringstream log_;
  StoreOptions options_;
  std::unique_ptr<Store> store_;
};

TEST_F(StoreWriteFailureTest, ApplyOnAFullDiskFailsWithStorageFullAndWritesNothing) {
  const std::string events = committed("SELECT COUNT(*) FROM events");
  vfs_.inject(Fault::kFull);
  auto out = store_->apply({serviceInput("web", 2, "v2"), serviceInput("api", 1, "v1")});
  ASSERT_FALSE(out);
  EXPECT_GT(vfs_.failedWrites(), 0);
  EXPECT_EQ(out.error().code, ErrorCode::kStorageFull);
  EXPECT_NE(out.error().message.find("the state directory's file system is full"), std::string::npos)
      << out.error().message;
  EXPECT_NE(out.error().message.find(path()), std::string::npos) << out.error().message;
  EXPECT_NE(out.error().message.find("free space there and retry"), std::string::npos) << out.error().message;
  // Nothing of it, from this connection or another.
  EXPECT_EQ(store_->getService("web")->generation, 1);
  EXPECT_EQ(store_->getService("api").error().code, ErrorCode::kNotFound);
  EXPECT_EQ(store_->listRevisions("web")->size(), 1u);
  EXPECT_EQ(committed("SELECT generation FROM services WHERE name = 'web'"), "1");
  EXPECT_EQ(committed("SELECT COUNT(*) FROM events"), events);

  vfs_.inject(Fault::kNone);
  auto again = store_->apply({serviceInput("web", 2, "v2"), serviceInput("api", 1, "v1")});
  ASSERT_TRUE(again) << again.error().str();
  EXPECT_EQ(again->front().revision, 2);
  EXPECT_EQ(committed("SELECT current_revision FROM services WHERE name = 'web'"), "2");
}

TEST_F(StoreWriteFailureTest, DeleteServiceOnAFullDiskFailsAndKeepsTheService) {
  vfs_.inject(Fault::kFull);
  auto deleted = store_->deleteService("web");
  ASSERT_FALSE(deleted);
  EXPECT_EQ(deleted.error().code, ErrorCode::kStorageFull);
  EXPECT_TRUE(store_->getService("web"));
  EXPECT_EQ(committed("SELECT COUNT(*) FROM revisions"), "1");
  vfs_.inject(Fault::kNone);
  ASSERT_TRUE(store_->deleteService("web"));
  EXPECT_EQ(committed("SELECT COUNT(*) FROM services"), "0");
}

TEST_F(StoreWriteFailureTest, PruneRevisionsOnAFullDiskFailsAndKeepsThem) {
  ASSERT_TRUE(store_->apply({serviceInput("web", 2, "v2")}));
  ASSERT_TRUE(store_->apply({serviceInput("web", 2, "v3")}));
  vfs_.inject(Fault::kFull);
  auto pruned = store_->pruneRevisions("web", 0, {});
  ASSERT_FALSE(pruned);
  EXPECT_EQ(pruned.error().code, ErrorCode::kStorageFull);
  EXPECT_EQ(store_->listRevisions("web")->size(), 3u);
  vfs_.inject(Fault::kNone);
  EXPECT_EQ(*store_->pruneRevisions("web", 0, {}), 2);
}

TEST_F(StoreWriteFailureTest, ControllerWritesAreKeptReadableAndWrittenWhenSpaceReturns) {
  const int64_t lastId = store_->listEvents({})->back().id;
  vfs_.inject(Fault::kFull);
  // Every kind of the controller's writes succeeds for its caller ...
  ASSERT_TRUE(store_->setServiceStatus("web", R"({"phase":"Progressing"})"));
  ASSERT_TRUE(store_->setServiceStatus("web", R"({"phase":"Complete"})"));  // the latest value wins
  ASSERT_TRUE(store_->setRevisionPhase("web", 1, "Failed"));
  ASSERT_TRUE(store_->upsertInstance({"web-1-a", "web", 1, 200, 9, 40000, "Terminating", 0}));
  ASSERT_TRUE(store_->deleteInstance("web-1-b"));
  ASSERT_TRUE(store_->upsertInstance({"web-2-c", "web", 2, 300, 10, 40002, "Starting", 0}));
  auto id = store_->appendEvent(Event{0, 0, "web", "instance/web-2-c", "Normal", "Started", "started"});
  ASSERT_TRUE(id);
  EXPECT_EQ(*id, lastId + 1);
  {
    auto batch = store_->beginBatch();
    ASSERT_TRUE(store_->appendEvent(Event{0, 0, "web", "instance/web-2-c", "Normal", "Ready", "ready"}));
    auto committedBatch = batch.commit();
    ASSERT_FALSE(committedBatch);
    EXPECT_EQ(committedBatch.error().code, ErrorCode::kStorageFull);
  }
  // ... is not in the file ...
  EXPECT_EQ(committed("SELECT status_json FROM services WHERE name = 'web'"), "{}");
  EXPECT_EQ(committed("SELECT phase FROM revisions WHERE number = 1"), "");
  EXPECT_EQ(committed("SELECT group_concat(name || ':' || state) FROM instances"), "web-1-a:Running,web-1-b:Running");
  EXPECT_EQ(committed("SELECT MAX(id) FROM events"), std::to_string(lastId));
  // ... and is what the store answers.
  EXPECT_EQ((PendingWrites{1, 1, 3, 2}).total(), store_->pendingWrites().total());
  EXPECT_EQ(store_->getService("web")->statusJson, R"({"phase":"Complete"})");
  EXPECT_EQ(store_->listServices()->front().statusJson, R"({"phase":"Complete"})");
  EXPECT_EQ(store_->getRevision("web", 1)->phase, "Failed");
  EXPECT_EQ(store_->listRevisions("web")->front().phase, "Failed");
  auto instances = store_->listInstances("web");
  ASSERT_EQ(instances->size(), 2u);
  EXPECT_EQ((*instances)[0].state, "Terminating");
  EXPECT_EQ((*instances)[1].name, "web-2-c");
  auto events = store_->listEvents({"web", lastId, 10});
  ASSERT_EQ(events->size(), 2u);
  EXPECT_EQ((*events)[1].id, lastId + 2);
  EXPECT_EQ((*events)[1].reason, "Ready");

  // Space returns: the next transaction (here the resync's empty batch) writes them all.
  vfs_.inject(Fault::kNone);
  ASSERT_TRUE(store_->beginBatch().commit());
  EXPECT_EQ(store_->pendingWrites().total(), 0u);
  EXPECT_EQ(committed("SELECT status_json FROM services WHERE name = 'web'"), R"({"phase":"Complete"})");
  EXPECT_EQ(committed("SELECT phase FROM revisions WHERE number = 1"), "Failed");
  EXPECT_EQ(committed("SELECT group_concat(name || ':' || state) FROM instances"),
            "web-1-a:Terminating,web-2-c:Starting");
  EXPECT_EQ(committed("SELECT reason FROM events WHERE id = " + std::to_string(lastId + 2)), "Ready");
  EXPECT_EQ(committed("SELECT COUNT(*) FROM events WHERE id > " + std::to_string(lastId)), "2");
}

TEST_F(StoreWriteFailureTest, AUserRequestAfterSpaceReturnsCarriesThePendingWrites) {
  vfs_.inject(Fault::kFull);
  ASSERT_TRUE(store_->setServiceStatus("web", R"({"phase":"Complete"})"));
  ASSERT_FALSE(store_->apply({serviceInput("web", 3, "v1")}));
  vfs_.inject(Fault::kNone);
  ASSERT_TRUE(store_->apply({serviceInput("web", 3, "v1")}));
  EXPECT_EQ(committed("SELECT status_json FROM services WHERE name = 'web'"), R"({"phase":"Complete"})");
  EXPECT_EQ(store_->pendingWrites().total(), 0u);
}

TEST_F(StoreWriteFailureTest, ClosingTheStoreTriesThePendingWritesOnceMore) {
  vfs_.inject(Fault::kFull);
  ASSERT_TRUE(store_->setServiceStatus("web", R"({"phase":"Complete"})"));
  vfs_.inject(Fault::kNone);
  store_.reset();
  EXPECT_EQ(committed("SELECT status_json FROM services WHERE name = 'web'"), R"({"phase":"Complete"})");
}

TEST_F(StoreWriteFailureTest, PendingEventsAreBoundedLikeTheHistory) {
  options_.eventHistory = 3;
  reopen();
  const int64_t lastId = store_->listEvents({})->back().id;
  vfs_.inject(Fault::kFull);
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(store_->appendEvent(Event{0, 0, "web", "", "Normal", "E" + std::to_string(i), ""}));
  }
  ASSERT_TRUE(store_->appendEvent(Event{0, 0, "", "", "Normal", "Daemon", ""}));
  EXPECT_EQ(store_->pendingWrites().events, 4u);
  auto web = store_->listEvents({"web", lastId, 100});
  ASSERT_EQ(web->size(), 3u);
  EXPECT_EQ(web->front().reason, "E2");
  vfs_.inject(Fault::kNone);
  ASSERT_TRUE(store_->beginBatch().commit());
  EXPECT_EQ(committed("SELECT group_concat(reason) FROM events WHERE id > " + std::to_string(lastId)),
            "E2,E3,E4,Daemon");
}

TEST_F(StoreWriteFailureTest, AFailureStreakIsLoggedOnceAndItsEndOnce) {
  vfs_.inject(Fault::kFull);
  for (int i = 0; i < 20; ++i) {
    ASSERT_TRUE(store_->setServiceStatus("web", R"({"i":)" + std::to_string(i) + "}"));
    ASSERT_TRUE(store_->appendEvent(Event{0, 0, "web", "", "Normal", "Tick", ""}));
    ASSERT_FALSE(store_->apply({serviceInput("web", 5, "v1")}));
    (void)store_->beginBatch().commit();
  }
  EXPECT_EQ(count(log(), "[error]"), 1u) << log();
  EXPECT_EQ(count(log(), "file system is full"), 1u) << log();
  EXPECT_EQ(count(log(), "kept in memory"), 1u) << log();
  EXPECT_EQ(count(log(), "writable again"), 0u) << log();

  vfs_.inject(Fault::kNone);
  ASSERT_TRUE(store_->beginBatch().commit());
  ASSERT_TRUE(store_->setServiceStatus("web", "{}"));
  EXPECT_EQ(count(log(), "writable again"), 1u) << log();
  EXPECT_NE(log().find("after 80 failed commit(s)"), std::string::npos) << log();
  EXPECT_NE(log().find("21 change(s) kept in memory were written"), std::string::npos) << log();

  vfs_.inject(Fault::kFull);  // a second streak is a new message
  ASSERT_TRUE(store_->setServiceStatus("web", R"({"again":1})"));
  EXPECT_EQ(count(log(), "[error]"), 2u) << log();
}

TEST_F(StoreWriteFailureTest, RequestFailuresAreNotStorageStreaks) {
  ASSERT_EQ(store_->deleteService("nope").error().code, ErrorCode::kNotFound);
  EXPECT_EQ(count(log(), "[error]"), 0u) << log();
}

TEST_F(StoreWriteFailureTest, AnIoErrorSaysToCheckTheDisk) {
  vfs_.inject(Fault::kIoError);
  auto out = store_->apply({serviceInput("web", 2, "v2")});
  ASSERT_FALSE(out);
  EXPECT_EQ(out.error().code, ErrorCode::kIo);
  EXPECT_NE(out.error().message.find("cannot be read or written"), std::string::npos) << out.error().message;
  EXPECT_NE(out.error().message.find("Input/output error"), std::string::npos) << out.error().message;
  EXPECT_NE(out.error().message.find("check the disk"), std::string::npos) << out.error().message;
  ASSERT_TRUE(store_->setServiceStatus("web", R"({"phase":"Complete"})"));
  EXPECT_EQ(store_->pendingWrites().statuses, 1u);
  vfs_.inject(Fault::kNone);
  ASSERT_TRUE(store_->apply({serviceInput("web", 2, "v2")}));
  EXPECT_EQ(committed("SELECT status_json FROM services WHERE name = 'web'"), R"({"phase":"Complete"})");
}

TEST_F(StoreWriteFailureTest, AReadOnlyFileSystemSaysToMakeItWritable) {
  vfs_.inject(Fault::kReadOnly);
  auto deleted = store_->deleteService("web");
  ASSERT_FALSE(deleted);
  EXPECT_EQ(deleted.error().code, ErrorCode::kIo);
  EXPECT_NE(deleted.error().message.find("Read-only file system"), std::string::npos) << deleted.error().message;
  EXPECT_NE(deleted.error().message.find("make the state directory and its file system writable"),
            std::string::npos)
      << deleted.error().message;
  EXPECT_TRUE(store_->getService("web"));
}

}  // namespace
}  // namespace rollway::store
