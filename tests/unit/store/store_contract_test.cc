// The Store contract: what every implementation (SQLite, etcd) must do, run against each
// (see store_backend.h).
#include "rollway/store/store.h"

#include <chrono>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "unit/store/store_backend.h"
#include "unit/store/test_inputs.h"

namespace rollway::store {
namespace {

using std::chrono::milliseconds;

constexpr int64_t kStartMs = 1'700'000'000'000;

ServiceInput input(const std::string& name, int replicas, const std::string& version) {
  return serviceInput(name, replicas, version);
}

std::vector<std::string> reasons(const std::vector<Event>& events) {
  std::vector<std::string> out;
  for (const auto& e : events) out.push_back(e.reason);
  return out;
}

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(backend_->ok());
    reopen();
  }

  void reopen() {
    if (store_) backend_->settle(*store_);
    store_.reset();
    auto opened = backend_->open("rollway", clock_, {});
    ASSERT_TRUE(opened) << opened.error().str();
    store_ = std::move(*opened);
  }

  std::string where() const { return backend_->where("rollway"); }

  std::vector<ApplyOutcome> applyOk(const std::vector<ServiceInput>& inputs) {
    auto result = store_->apply(inputs);
    EXPECT_TRUE(result) << result.error().str();
    return result ? *result : std::vector<ApplyOutcome>{};
  }

  std::vector<Event> allEvents() {
    auto events = store_->listEvents({});
    EXPECT_TRUE(events) << events.error().str();
    return events ? *events : std::vector<Event>{};
  }

  std::vector<int64_t> revisionNumbers(const std::string& service) {
    auto revs = store_->listRevisions(service);
    EXPECT_TRUE(revs) << revs.error().str();
    std::vector<int64_t> out;
    if (revs) {
      for (const auto& r : *revs) out.push_back(r.number);
    }
    return out;
  }

  std::unique_ptr<StoreBackend> backend_ = makeStoreBackend();
  FakeClock clock_;
  std::unique_ptr<Store> store_;
};

TEST_F(StoreTest, CreateInsertsServiceRevisionAndEvents) {
  auto out = applyOk({input("web", 2, "v1")});
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].name, "web");
  EXPECT_EQ(out[0].action, ApplyAction::kCreated);
  EXPECT_STREQ(applyActionName(out[0].action), "created");
  EXPECT_EQ(out[0].generation, 1);
  EXPECT_EQ(out[0].revision, 1);
  EXPECT_TRUE(out[0].newRevision);
  EXPECT_FALSE(out[0].revisionReused);

  auto svc = store_->getService("web");
  ASSERT_TRUE(svc) << svc.error().str();
  EXPECT_EQ(svc->specJson, input("web", 2, "v1").specJson);
  EXPECT_EQ(svc->generation, 1);
  EXPECT_EQ(svc->currentRevision, 1);
  EXPECT_EQ(svc->createdAtMs, kStartMs);
  EXPECT_EQ(svc->updatedAtMs, kStartMs);
  EXPECT_EQ(svc->statusJson, "{}");

  auto rev = store_->getRevision("web", 1);
  ASSERT_TRUE(rev) << rev.error().str();
  EXPECT_EQ(rev->templateHash, "hash-v1");
  EXPECT_EQ(rev->templateJson, input("web", 2, "v1").templateJson);
  EXPECT_EQ(rev->createdAtMs, kStartMs);
  EXPECT_EQ(rev->phase, "");

  auto events = allEvents();
  ASSERT_EQ(reasons(events), (std::vector<std::string>{"ServiceCreated", "NewRevision"}));
  EXPECT_EQ(events[0].object, "service/web");
  EXPECT_EQ(events[0].service, "web");
  EXPECT_EQ(events[0].type, "Normal");
  EXPECT_EQ(events[0].timeMs, kStartMs);
  EXPECT_EQ(events[1].object, "revision/web-1");
  EXPECT_EQ(events[1].message, "revision 1 (template hash-v1) created");
}

TEST_F(StoreTest, IdenticalSpecIsUnchangedAndWritesNothing) {
  applyOk({input("web", 2, "v1")});
  clock_.advance(milliseconds(500));
  auto out = applyOk({input("web", 2, "v1")});
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].action, ApplyAction::kUnchanged);
  EXPECT_EQ(out[0].generation, 1);
  EXPECT_EQ(out[0].revision, 1);
  EXPECT_FALSE(out[0].newRevision);
  EXPECT_EQ(allEvents().size(), 2u);
  EXPECT_EQ(store_->getService("web")->updatedAtMs, kStartMs);
}

TEST_F(StoreTest, ReplicasOnlyChangeBumpsGenerationAndKeepsRevision) {
  applyOk({input("web", 2, "v1")});
  clock_.advance(milliseconds(1000));
  auto out = applyOk({input("web", 5, "v1")});
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].action, ApplyAction::kConfigured);
  EXPECT_STREQ(applyActionName(out[0].action), "configured");
  EXPECT_EQ(out[0].generation, 2);
  EXPECT_EQ(out[0].revision, 1);
  EXPECT_FALSE(out[0].newRevision);

  auto svc = store_->getService("web");
  ASSERT_TRUE(svc);
  EXPECT_EQ(svc->generation, 2);
  EXPECT_EQ(svc->specJson, input("web", 5, "v1").specJson);
  EXPECT_EQ(svc->createdAtMs, kStartMs);
  EXPECT_EQ(svc->updatedAtMs, kStartMs + 1000);
  EXPECT_EQ(revisionNumbers("web"), (std::vector<int64_t>{1}));
  EXPECT_EQ(reasons(allEvents()), (std::vector<std::string>{"ServiceCreated", "NewRevision", "ServiceConfigured"}));
}

TEST_F(StoreTest, TemplateChangeCreatesNextRevision) {
  applyOk({input("web", 2, "v1")});
  auto out = applyOk({input("web", 2, "v2")});
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].action, ApplyAction::kConfigured);
  EXPECT_EQ(out[0].generation, 2);
  EXPECT_EQ(out[0].revision, 2);
  EXPECT_TRUE(out[0].newRevision);
  EXPECT_FALSE(out[0].revisionReused);
  EXPECT_EQ(store_->getService("web")->currentRevision, 2);
  EXPECT_EQ(revisionNumbers("web"), (std::vector<int64_t>{2, 1}));
  EXPECT_EQ(store_->getRevision("web", 2)->templateHash, "hash-v2");
  auto events = allEvents();
  EXPECT_EQ(reasons(events),
            (std::vector<std::string>{"ServiceCreated", "NewRevision", "ServiceConfigured", "NewRevision"}));
  EXPECT_EQ(events.back().object, "revision/web-2");
}

TEST_F(StoreTest, ReapplyingAnOldTemplateReusesAndRenumbersItsRevision) {
  applyOk({input("web", 2, "v1")});
  applyOk({input("web", 2, "v2")});
  ASSERT_TRUE(store_->setRevisionPhase("web", 1, "Superseded"));
  auto out = applyOk({input("web", 2, "v1")});
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].action, ApplyAction::kConfigured);
  EXPECT_EQ(out[0].generation, 3);
  EXPECT_EQ(out[0].revision, 3);
  EXPECT_TRUE(out[0].newRevision);
  EXPECT_TRUE(out[0].revisionReused);

  EXPECT_EQ(revisionNumbers("web"), (std::vector<int64_t>{3, 2}));
  auto reused = store_->getRevision("web", 3);
  ASSERT_TRUE(reused);
  EXPECT_EQ(reused->templateHash, "hash-v1");
  EXPECT_EQ(reused->phase, "Superseded");  // the same revision, with its history
  EXPECT_EQ(reused->createdAtMs, kStartMs);
  auto gone = store_->getRevision("web", 1);
  ASSERT_FALSE(gone);
  EXPECT_EQ(gone.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(store_->getService("web")->currentRevision, 3);

  auto events = allEvents();
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.back().reason, "RevisionReused");
  EXPECT_EQ(events.back().message, "revision 1 (template hash-v1) reused as revision 3");

  // And again: numbers keep going up.
  out = applyOk({input("web", 2, "v2")});
  EXPECT_EQ(out[0].revision, 4);
  EXPECT_TRUE(out[0].revisionReused);
  EXPECT_EQ(revisionNumbers("web"), (std::vector<int64_t>{4, 3}));
}

TEST_F(StoreTest, BatchReportsOneOutcomePerServiceInOrder) {
  applyOk({input("api", 1, "v1")});
  auto out = applyOk({input("web", 1, "v1"), input("api", 1, "v1"), input("db", 3, "v1")});
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[0].name, "web");
  EXPECT_EQ(out[0].action, ApplyAction::kCreated);
  EXPECT_EQ(out[1].name, "api");
  EXPECT_EQ(out[1].action, ApplyAction::kUnchanged);
  EXPECT_STREQ(applyActionName(out[1].action), "unchanged");
  EXPECT_EQ(out[2].action, ApplyAction::kCreated);

  auto list = store_->listServices();
  ASSERT_TRUE(list);
  ASSERT_EQ(list->size(), 3u);
  EXPECT_EQ((*list)[0].name, "api");
  EXPECT_EQ((*list)[1].name, "db");
  EXPECT_EQ((*list)[2].name, "web");
}

TEST_F(StoreTest, DuplicateNamesInOneBatchAreRejectedBeforeWriting) {
  applyOk({input("web", 1, "v1")});
  auto result = store_->apply({input("api", 1, "v1"), input("web", 2, "v2"), input("web", 3, "v3")});
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(result.error().message.find("\"web\""), std::string::npos) << result.error().message;
  EXPECT_EQ(store_->getService("api").error().code, ErrorCode::kNotFound);
  EXPECT_EQ(store_->getService("web")->generation, 1);
  EXPECT_EQ(allEvents().size(), 2u);
}

TEST_F(StoreTest, InvalidJsonIsRejected) {
  ServiceInput bad = input("web", 1, "v1");
  bad.specJson = "{not json";
  auto result = store_->apply({bad});
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(store_->listServices()->size(), 0u);
}

TEST_F(StoreTest, FailureHalfWayThroughABatchRollsEverythingBack) {
  applyOk({input("web", 1, "v1")});
  // The second element fails inside the transaction, after the first one was written:
  // its hash already names a different template.
  ServiceInput clash = input("web", 2, "v2");
  clash.templateHash = "hash-v1";
  auto result = store_->apply({input("api", 1, "v1"), input("db", 1, "v1"), clash});
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, ErrorCode::kConflict);
  EXPECT_NE(result.error().message.find(where()), std::string::npos) << result.error().message;

  auto list = store_->listServices();
  ASSERT_TRUE(list);
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].name, "web");
  EXPECT_EQ((*list)[0].generation, 1);
  EXPECT_EQ(reasons(allEvents()), (std::vector<std::string>{"ServiceCreated", "NewRevision"}));

  // The store is still usable afterwards.
  auto out = applyOk({input("api", 1, "v1")});
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].action, ApplyAction::kCreated);
}

TEST_F(StoreTest, DeleteRemovesServiceAndRevisionsButKeepsEvents) {
  applyOk({input("web", 1, "v1")});
  applyOk({input("web", 1, "v2")});
  ASSERT_TRUE(store_->deleteService("web"));
  auto missing = store_->getService("web");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(missing.error().message, "service \"web\" not found");
  EXPECT_EQ(store_->listRevisions("web").error().code, ErrorCode::kNotFound);
  EXPECT_EQ(store_->getRevision("web", 1).error().code, ErrorCode::kNotFound);

  auto events = allEvents();
  ASSERT_EQ(events.size(), 5u);
  EXPECT_EQ(events.back().reason, "ServiceDeleted");
  EXPECT_EQ(events.back().object, "service/web");

  auto again = store_->deleteService("web");
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(again.error().message, "service \"web\" not found");
  EXPECT_EQ(allEvents().size(), 5u);

  // Re-created from scratch: generation and revisions start over.
  auto out = applyOk({input("web", 1, "v2")});
  EXPECT_EQ(out[0].action, ApplyAction::kCreated);
  EXPECT_EQ(out[0].generation, 1);
  EXPECT_EQ(out[0].revision, 1);
}

TEST_F(StoreTest, StatusAndPhaseUpdates) {
  applyOk({input("web", 1, "v1")});
  clock_.advance(milliseconds(10));
  ASSERT_TRUE(store_->setServiceStatus("web", R"({"readyReplicas":1})"));
  auto svc = store_->getService("web");
  EXPECT_EQ(svc->statusJson, R"({"readyReplicas":1})");
  EXPECT_EQ(svc->generation, 1);
  EXPECT_EQ(svc->updatedAtMs, kStartMs);
  EXPECT_EQ(store_->setServiceStatus("nope", "{}").error().code, ErrorCode::kNotFound);
  EXPECT_EQ(store_->setServiceStatus("web", "{oops").error().code, ErrorCode::kInvalidArgument);

  ASSERT_TRUE(store_->setRevisionPhase("web", 1, "Failed"));
  EXPECT_EQ(store_->getRevision("web", 1)->phase, "Failed");
  EXPECT_EQ(store_->setRevisionPhase("web", 9, "Failed").error().code, ErrorCode::kNotFound);
  // Re-applying the same spec keeps the status.
  applyOk({input("web", 1, "v1")});
  EXPECT_EQ(store_->getService("web")->statusJson, R"({"readyReplicas":1})");
}

TEST_F(StoreTest, EventsAreOrderedAndFilterable) {
  applyOk({input("web", 1, "v1")});  // events 1, 2
  applyOk({input("api", 1, "v1")});  // events 3, 4
  clock_.advance(milliseconds(250));
  Event manual;
  manual.service = "web";
  manual.object = "instance/web-1-abcde";
  manual.type = "Warning";
  manual.reason = "Unhealthy";
  manual.message = "readiness probe failed";
  auto id = store_->appendEvent(manual);
  ASSERT_TRUE(id) << id.error().str();
  EXPECT_EQ(*id, 5);

  Event dated;
  dated.timeMs = 42;
  dated.reason = "DaemonStarted";
  auto id2 = store_->appendEvent(dated);
  ASSERT_TRUE(id2);
  EXPECT_EQ(*id2, 6);

  auto events = allEvents();
  ASSERT_EQ(events.size(), 6u);
  for (size_t i = 0; i < events.size(); ++i) EXPECT_EQ(events[i].id, static_cast<int64_t>(i + 1));
  EXPECT_EQ(events[4].timeMs, kStartMs + 250);
  EXPECT_EQ(events[4].type, "Warning");
  EXPECT_EQ(events[4].message, "readiness probe failed");
  EXPECT_EQ(events[5].timeMs, 42);
  EXPECT_EQ(events[5].type, "Normal");
  EXPECT_EQ(events[5].service, "");

  EventFilter web;
  web.service = "web";
  auto webEvents = store_->listEvents(web);
  ASSERT_TRUE(webEvents);
  EXPECT_EQ(reasons(*webEvents), (std::vector<std::string>{"ServiceCreated", "NewRevision", "Unhealthy"}));

  EventFilter after;
  after.afterId = 3;
  EXPECT_EQ(reasons(*store_->listEvents(after)),
            (std::vector<std::string>{"NewRevision", "Unhealthy", "DaemonStarted"}));

  after.limit = 2;
  auto page = store_->listEvents(after);
  ASSERT_EQ(page->size(), 2u);
  EXPECT_EQ((*page)[0].id, 4);
  EXPECT_EQ((*page)[1].id, 5);

  web.afterId = 2;
  EXPECT_EQ(reasons(*store_->listEvents(web)), (std::vector<std::string>{"Unhealthy"}));

  Event noReason;
  EXPECT_EQ(store_->appendEvent(noReason).error().code, ErrorCode::kInvalidArgument);
}

// Issue 10: without a cursor, the newest `limit` events (oldest first within them), not
// the oldest ones; with a cursor, the next page after it.
TEST_F(StoreTest, ListEventsWithoutACursorShowsTheNewest) {
  for (int i = 1; i <= 30; ++i) {
    Event e;
    e.service = i % 3 == 0 ? "api" : "web";
    e.reason = "R" + std::to_string(i);
    ASSERT_TRUE(store_->appendEvent(e));
  }
  EventFilter web;
  web.service = "web";
  web.limit = 3;
  EXPECT_EQ(reasons(*store_->listEvents(web)), (std::vector<std::string>{"R26", "R28", "R29"}));
  EventFilter all;
  all.limit = 4;
  EXPECT_EQ(reasons(*store_->listEvents(all)), (std::vector<std::string>{"R27", "R28", "R29", "R30"}));
  all.afterId = 10;
  all.limit = 2;
  EXPECT_EQ(reasons(*store_->listEvents(all)), (std::vector<std::string>{"R11", "R12"}));
}

class StoreEventHistoryTest : public ::testing::Test {
 protected:
  std::unique_ptr<Store> open(int history, int pruneEvery) {
    StoreOptions options;
    options.eventHistory = history;
    options.pruneEvery = pruneEvery;
    auto opened = backend_->open("events", clock_, options);
    EXPECT_TRUE(opened) << opened.error().str();
    return opened ? std::move(*opened) : nullptr;
  }
  static void append(Store& store, const std::string& service, int n, int first = 0) {
    for (int i = 0; i < n; ++i) {
      Event e;
      e.service = service;
      e.reason = "R" + std::to_string(first + i);
      ASSERT_TRUE(store.appendEvent(e));
    }
  }
  static std::vector<Event> of(Store& store, const std::string& service) {
    EventFilter f;
    f.service = service;
    f.limit = 0;
    return *store.listEvents(f);
  }
  std::unique_ptr<StoreBackend> backend_ = makeStoreBackend();
  FakeClock clock_;
};

TEST(StoreOptions, KeepsTenThousandEventsPerServiceByDefault) { EXPECT_EQ(StoreOptions{}.eventHistory, 10'000); }

TEST_F(StoreEventHistoryTest, PrunesEachServiceToItsNewestEvents) {
  auto store = open(20, 5);
  ASSERT_TRUE(store);
  append(*store, "api", 3);
  for (int round = 0; round < 10; ++round) {
    append(*store, "web", 10, round * 10);
    auto web = of(*store, "web");
    // Pruned every 5 inserts of a service: never more than 20 + 4 kept.
    EXPECT_LE(web.size(), 24u) << "round " << round;
    EXPECT_EQ(web.back().reason, "R" + std::to_string(round * 10 + 9));
  }
  auto web = of(*store, "web");
  EXPECT_GE(web.size(), 20u);
  for (size_t i = 1; i < web.size(); ++i) EXPECT_LT(web[i - 1].id, web[i].id);
  EXPECT_EQ(web.front().reason, "R" + std::to_string(100 - web.size()));  // the newest, without a gap
  EXPECT_EQ(of(*store, "api").size(), 3u);  // another service's history is its own
}

TEST_F(StoreEventHistoryTest, ApplyEventsArePrunedToo) {
  auto store = open(4, 1);
  ASSERT_TRUE(store);
  for (int v = 1; v <= 6; ++v) ASSERT_TRUE(store->apply({input("web", 1, "v" + std::to_string(v))}));
  EXPECT_EQ(of(*store, "web").size(), 4u);
}

TEST_F(StoreEventHistoryTest, ASmallerLimitAppliesAtOpen) {
  {
    auto store = open(100, 10);
    ASSERT_TRUE(store);
    append(*store, "web", 60);
  }
  auto store = open(10, 10);
  ASSERT_TRUE(store);
  auto web = of(*store, "web");
  ASSERT_EQ(web.size(), 10u);
  EXPECT_EQ(web.front().reason, "R50");
}

TEST_F(StoreEventHistoryTest, InvalidOptionsAreRefused) {
  StoreOptions options;
  options.eventHistory = 0;
  auto opened = backend_->open("bad", clock_, options);
  ASSERT_FALSE(opened);
  EXPECT_EQ(opened.error().code, ErrorCode::kInvalidArgument);
}

TEST_F(StoreTest, PruneKeepsNewestOldRevisionsCurrentAndProtected) {
  for (int v = 1; v <= 6; ++v) applyOk({input("web", 1, "v" + std::to_string(v))});
  ASSERT_EQ(revisionNumbers("web"), (std::vector<int64_t>{6, 5, 4, 3, 2, 1}));

  // Old revisions: 5 4 3 2 1. Keep 2 (5, 4); of 3 2 1, 2 is protected.
  auto deleted = store_->pruneRevisions("web", 2, {2});
  ASSERT_TRUE(deleted) << deleted.error().str();
  EXPECT_EQ(*deleted, 2);
  EXPECT_EQ(revisionNumbers("web"), (std::vector<int64_t>{6, 5, 4, 2}));

  // Nothing more to do at the same limit.
  EXPECT_EQ(*store_->pruneRevisions("web", 2, {2}), 0);

  // keep 0: only the current one and the protected ones stay.
  EXPECT_EQ(*store_->pruneRevisions("web", 0, {4}), 2);
  EXPECT_EQ(revisionNumbers("web"), (std::vector<int64_t>{6, 4}));

  EXPECT_EQ(store_->pruneRevisions("web", -1, {}).error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(store_->pruneRevisions("nope", 1, {}).error().code, ErrorCode::kNotFound);

  // keep 0 and nothing protected: only the current revision is left.
  EXPECT_EQ(*store_->pruneRevisions("web", 0, {}), 1);
  EXPECT_EQ(revisionNumbers("web"), (std::vector<int64_t>{6}));
  // A pruned template applied again becomes a brand-new revision with the next number.
  auto out = applyOk({input("web", 1, "v1")});
  EXPECT_EQ(out[0].revision, 7);
  EXPECT_FALSE(out[0].revisionReused);
}

TEST_F(StoreTest, EverythingSurvivesReopen) {
  applyOk({input("web", 3, "v1"), input("api", 1, "v1")});
  applyOk({input("web", 3, "v2")});
  ASSERT_TRUE(store_->setServiceStatus("api", R"({"phase":"Healthy"})"));
  ASSERT_TRUE(store_->setRevisionPhase("web", 1, "Superseded"));
  auto before = allEvents();

  reopen();
  ASSERT_TRUE(store_);
  EXPECT_EQ(store_->schemaVersion(), 1);
  auto list = store_->listServices();
  ASSERT_TRUE(list);
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].statusJson, R"({"phase":"Healthy"})");
  EXPECT_EQ((*list)[1].generation, 2);
  EXPECT_EQ((*list)[1].currentRevision, 2);
  EXPECT_EQ((*list)[1].specJson, input("web", 3, "v2").specJson);
  EXPECT_EQ(revisionNumbers("web"), (std::vector<int64_t>{2, 1}));
  EXPECT_EQ(store_->getRevision("web", 1)->phase, "Superseded");
  auto after = allEvents();
  ASSERT_EQ(after.size(), before.size());
  for (size_t i = 0; i < after.size(); ++i) {
    EXPECT_EQ(after[i].id, before[i].id);
    EXPECT_EQ(after[i].reason, before[i].reason);
    EXPECT_EQ(after[i].message, before[i].message);
  }
  // Unchanged after reopen; new ids continue after the old ones.
  EXPECT_EQ(applyOk({input("web", 3, "v2")})[0].action, ApplyAction::kUnchanged);
  auto id = store_->appendEvent(Event{0, 0, "", "", "Normal", "Ping", ""});
  ASSERT_TRUE(id);
  EXPECT_EQ(*id, before.back().id + 1);
}

TEST_F(StoreTest, InstancesUpsertListDeleteAndFollowRenumbering) {
  applyOk({input("web", 1, "v1")});
  applyOk({input("web", 1, "v2")});
  InstanceRecord a{"web-1-aaaaa", "web", 1, 1234, 99, 40001, "Running", 0};
  InstanceRecord b{"web-2-bbbbb", "web", 2, 1235, 100, 40002, "Starting", 0};
  InstanceRecord c{"api-1-ccccc", "api", 1, 1236, 101, 40003, "Running", 7};
  ASSERT_TRUE(store_->upsertInstance(a));
  ASSERT_TRUE(store_->upsertInstance(b));
  ASSERT_TRUE(store_->upsertInstance(c));

  clock_.advance(milliseconds(5));
  b.state = "Running";
  ASSERT_TRUE(store_->upsertInstance(b));

  auto all = store_->listInstances();
  ASSERT_TRUE(all) << all.error().str();
  ASSERT_EQ(all->size(), 3u);
  EXPECT_EQ((*all)[0].name, "api-1-ccccc");
  EXPECT_EQ((*all)[0].createdAtMs, 7);
  auto web = store_->listInstances("web");
  ASSERT_EQ(web->size(), 2u);
  EXPECT_EQ((*web)[1].state, "Running");
  EXPECT_EQ((*web)[1].createdAtMs, kStartMs);  // kept from the first upsert
  EXPECT_EQ((*web)[0].pid, 1234);
  EXPECT_EQ((*web)[0].startTimeTicks, 99);
  EXPECT_EQ((*web)[0].port, 40001);

  // v1 comes back as revision 3: its instance follows.
  applyOk({input("web", 1, "v1")});
  web = store_->listInstances("web");
  EXPECT_EQ((*web)[0].revision, 3);
  EXPECT_EQ((*web)[1].revision, 2);

  // Instances outlive their service until the supervisor deletes them.
  ASSERT_TRUE(store_->deleteService("web"));
  EXPECT_EQ(store_->listInstances("web")->size(), 2u);
  ASSERT_TRUE(store_->deleteInstance("web-1-aaaaa"));
  EXPECT_EQ(store_->deleteInstance("web-1-aaaaa").error().code, ErrorCode::kNotFound);
  EXPECT_EQ(store_->listInstances()->size(), 2u);
}

}  // namespace
}  // namespace rollway::store
