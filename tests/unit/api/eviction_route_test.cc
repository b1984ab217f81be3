// POST /v1/instances/NAME/eviction through ControlApi::handle, with a Controller over the
// controller tests' fakes: the statuses, headers and bodies a client (rollway evict,
// rollway drain, a Kubernetes-minded script) relies on.
#include <gtest/gtest.h>

#include "rollway/api/control_api.h"
#include "unit/controller/fakes/controller_harness.h"
#include "unit/controller/fakes/loop_helpers.h"

namespace rollway::api {
namespace {

using controller::fakes::ControllerHarness;

class EvictionRouteTest : public ::testing::Test {
 protected:
  void SetUp() override {
    controller::fakes::firstRollout(h_,
                                    controller::fakes::kRollingSurgeOne + "  disruptionBudget: {maxUnavailable: 1}\n", 2);
    api_ = std::make_unique<ControlApi>(h_.store(), h_.clock(), nullLogger(), ApiRuntime{&h_.ctl(), nullptr, {}});
  }

  http::Response call(const std::string& method, const std::string& target, const std::string& body = "") {
    http::Request request;
    request.method = method;
    request.target = target;
    request.body = body;
    http::Response out;
    out.status = 0;
    api_->handle(request, [&](http::Response r) { out = std::move(r); });
    return out;
  }
  static nlohmann::json json(const http::Response& r) { return nlohmann::json::parse(r.body, nullptr, false); }

  ControllerHarness h_;
  std::unique_ptr<ControlApi> api_;
};

TEST_F(EvictionRouteTest, CreatedThenAlreadyThenTooManyRequestsWithRetryAfter) {
  auto names = h_.names("v1");
  ASSERT_EQ(names.size(), 2u);
  auto first = call("POST", "/v1/instances/" + names[0] + "/eviction");
  EXPECT_EQ(first.status, 201) << first.body;
  EXPECT_EQ(json(first).value("state", ""), "Evicting");
  EXPECT_EQ(json(first).value("service", ""), "web");
  EXPECT_TRUE(json(first).value("created", false));

  // Kubernetes clients send an Eviction object: allowed, ignored.
  auto again = call("POST", "/v1/instances/" + names[0] + "/eviction",
                    R"({"apiVersion": "policy/v1", "kind": "Eviction", "metadata": {"name": ")" + names[0] + "\"}}");
  EXPECT_EQ(again.status, 200) << again.body;
  EXPECT_FALSE(json(again).value("created", true));

  auto blocked = call("POST", "/v1/instances/" + names[1] + "/eviction");
  EXPECT_EQ(blocked.status, 429) << blocked.body;
  ASSERT_NE(blocked.header("Retry-After"), nullptr);
  EXPECT_EQ(*blocked.header("Retry-After"), "5");
  EXPECT_EQ(json(blocked)["error"].value("code", ""), "TooManyRequests");
  EXPECT_NE(json(blocked)["error"].value("message", "").find("requires 1"), std::string::npos) << blocked.body;
}

TEST_F(EvictionRouteTest, HostileRequests) {
  EXPECT_EQ(call("POST", "/v1/instances/web-9-nope/eviction").status, 404);
  EXPECT_EQ(call("POST", "/v1/instances/web%201/eviction").status, 400);
  EXPECT_EQ(call("POST", "/v1/instances/..%2f..%2fetc/eviction").status, 400);
  EXPECT_EQ(call("POST", "/v1/instances/" + std::string(5000, 'a') + "/eviction").status, 400);
  auto name = h_.names("v1")[0];
  EXPECT_EQ(call("GET", "/v1/instances/" + name + "/eviction").status, 405);
  EXPECT_EQ(call("DELETE", "/v1/instances/" + name + "/eviction").status, 405);
  EXPECT_EQ(call("POST", "/v1/instances/" + name + "/eviction", "[1, 2").status, 400);
  EXPECT_EQ(call("POST", "/v1/instances/" + name + "/eviction", "\"x\"").status, 400);
  EXPECT_EQ(call("POST", "/v1/instances/" + name + "/evictions").status, 404);
  h_.pass();
  EXPECT_EQ(h_.runtime.count("start"), 2u) << "none of these evicted anything";
}

}  // namespace
}  // namespace rollway::api
