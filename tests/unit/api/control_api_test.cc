// ControlApi over a real store in a temp dir, without a controller: what apply answers.
#include "rollway/api/control_api.h"

#include <gtest/gtest.h>

#include "api/request_util.h"
#include "unit/store/temp_dir.h"

namespace rollway::api {
namespace {

std::string spec(const std::string& name, const std::string& listen, const std::string& hosts = "",
                 const std::string& strategy = "") {
  return "apiVersion: rollway.dev/v1\nkind: Service\nmetadata: {name: " + name +
         "}\nspec:\n  listen: \"" + listen + "\"\n" + (hosts.empty() ? "" : "  hosts: " + hosts + "\n") +
         "  template:\n    command: [./app]\n" + strategy;
}

class ControlApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(dir_.ok());
    auto opened = store::Store::open(dir_.file("state.db"), clock_);
    ASSERT_TRUE(opened) << opened.error().str();
    store_ = std::move(*opened);
    api_ = std::make_unique<ControlApi>(*store_, clock_, nullLogger());
  }

  // POST /v1/apply through handle(): the status and body the client sees.
  http::Response post(const std::string& body) {
    http::Request request;
    request.method = "POST";
    request.target = "/v1/apply?filename=test.yaml";
    request.body = body;
    http::Response out;
    out.status = 0;
    api_->handle(request, [&](http::Response r) { out = std::move(r); });
    return out;
  }

  store::TempDir dir_;
  FakeClock clock_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<ControlApi> api_;
};

TEST_F(ControlApiTest, SameSocketSpelledDifferentlyIs409NamingTheOtherService) {
  ASSERT_EQ(post(spec("first", "127.0.0.1:18080")).status, 200);
  auto second = post(spec("second", "localhost:18080"));
  EXPECT_EQ(second.status, 409) << second.body;
  EXPECT_NE(second.body.find("first"), std::string::npos) << second.body;
  // Distinct hosts may share the one socket, however it is spelled.
  EXPECT_EQ(post(spec("third", "127.0.0.1:18081", "[a.example.com]")).status, 200);
  auto fourth = post(spec("fourth", "LOCALHOST:18081", "[b.example.com]"));
  EXPECT_EQ(fourth.status, 200) << fourth.body;
  auto fifth = post(spec("fifth", "localhost:18081", "[A.Example.com.]"));
  EXPECT_EQ(fifth.status, 409) << fifth.body;
  EXPECT_NE(fifth.body.find("third"), std::string::npos) << fifth.body;
}

TEST_F(ControlApiTest, WildcardAndSpecificAddressOnOnePortIs409) {
  ASSERT_EQ(post(spec("first", "127.0.0.1:18080", "[a.example.com]")).status, 200);
  for (const char* wide : {"0.0.0.0:18080", ":18080", "[::]:18080"}) {
    auto r = post(spec("second", wide, "[b.example.com]"));  // hosts do not help: two sockets
    EXPECT_EQ(r.status, 409) << wide << ": " << r.body;
    EXPECT_NE(r.body.find("first"), std::string::npos) << r.body;
  }
  EXPECT_EQ(post(spec("second", "127.0.0.2:18080")).status, 200);
  EXPECT_EQ(post(spec("third", "0.0.0.0:18082")).status, 200);
  EXPECT_EQ(post(spec("fourth", "[::1]:18082")).status, 200);  // 0.0.0.0 is IPv4 only
}

TEST_F(ControlApiTest, PreviewListenTakesPartInTheCheck) {
  ASSERT_EQ(post(spec("first", "127.0.0.1:18080")).status, 200);
  std::string blueGreen = "  strategy:\n    type: BlueGreen\n    blueGreen: {previewListen: \"localhost:18080\"}\n";
  auto r = post(spec("second", "127.0.0.1:18090", "", blueGreen));
  EXPECT_EQ(r.status, 409) << r.body;
  EXPECT_NE(r.body.find("previewListen"), std::string::npos) << r.body;
  // And a stored service's preview address blocks a later listen.
  std::string preview = "  strategy:\n    type: BlueGreen\n    blueGreen: {previewListen: \"127.0.0.1:18091\"}\n";
  ASSERT_EQ(post(spec("third", "127.0.0.1:18092", "", preview)).status, 200);
  r = post(spec("fourth", "0.0.0.0:18091"));
  EXPECT_EQ(r.status, 409) << r.body;
  EXPECT_NE(r.body.find("third"), std::string::npos) << r.body;
}

// Issue 10: GET /v1/events (what `events` and `describe` print) shows the newest events.
TEST_F(ControlApiTest, EventsAreTheNewestOldestFirst) {
  for (int i = 1; i <= 30; ++i) {
    store::Event e;
    e.service = "web";
    e.reason = "R" + std::to_string(i);
    ASSERT_TRUE(store_->appendEvent(e));
  }
  http::Request request;
  request.target = "/v1/events?service=web&limit=3";
  http::Response out;
  api_->handle(request, [&](http::Response r) { out = std::move(r); });
  ASSERT_EQ(out.status, 200) << out.body;
  auto items = nlohmann::json::parse(out.body)["items"];
  ASSERT_EQ(items.size(), 3u) << out.body;
  EXPECT_EQ(items[0]["reason"], "R28");
  EXPECT_EQ(items[2]["reason"], "R30");
}

TEST_F(ControlApiTest, ReapplyingTheSameServiceIsNotAConflict) {
  ASSERT_EQ(post(spec("first", "127.0.0.1:18080")).status, 200);
  EXPECT_EQ(post(spec("first", "localhost:18080")).status, 200);
}

}  // namespace
}  // namespace rollway::api

namespace rollway::api {
namespace {

TEST(ParseWaitMs, BoundedAndStrict) {
  EXPECT_EQ(*parseWaitMs(""), 0);
  EXPECT_EQ(*parseWaitMs("0"), 0);
  EXPECT_EQ(*parseWaitMs("1500"), 1500);
  EXPECT_EQ(*parseWaitMs("60000"), kMaxWaitMs);
  EXPECT_EQ(*parseWaitMs("600000"), kMaxWaitMs);
  EXPECT_EQ(*parseWaitMs("99999999999999999999"), kMaxWaitMs);  // overflow: the longest wait, not none
  for (const char* bad : {"-1", "-99999999999999999999", "1.5", "10s", "abc", " 1", "1 "}) {
    auto r = parseWaitMs(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
    EXPECT_NE(r.error().message.find("waitMs"), std::string::npos);
  }
}

}  // namespace
}  // namespace rollway::api
