// Routing across hosts through a real etcd: the leader's ClusterProxy and two nodes'
// ProxyAgents, each in front of a fake local proxy. A push is done only when both
// proxies took it; in-flight counts and metrics are the nodes' sums.
#include "rollway/cluster/cluster_proxy.h"

#include <chrono>
#include <memory>
#include <string>

#include <asio/io_context.hpp>
#include <gtest/gtest.h>

#include "etcd/etcd_cluster.h"
#include "rollway/cluster/proxy_agent.h"
#include "rollway/etcd/node_registry.h"
#include "unit/controller/fakes/fake_proxy.h"

namespace rollway::cluster {
namespace {

using controller::fakes::FakeProxy;
using etcd::testing::EtcdCluster;
using std::chrono::milliseconds;
using std::chrono::seconds;

struct ProxyNode {
  ProxyNode(asio::io_context& io, etcd::Client& client, const std::string& name) : proxy(io) {
    auto reg = etcd::NodeRegistration::create(client, "/rollway/nodes/", etcd::NodeInfo{name, "10.0.0.1", {}, ""}, seconds(5));
    EXPECT_TRUE(reg) << reg.error().str();
    if (reg) registration = std::move(*reg);
    ProxyAgentOptions options;
    options.node = name;
    options.reportPeriod = milliseconds(200);
    options.drainPeriod = milliseconds(50);
    agent = std::make_unique<ProxyAgent>(io, client, proxy, options, nullptr);
    auto ok = agent->start();
    EXPECT_TRUE(ok) << ok.error().str();
  }
  FakeProxy proxy;
  std::unique_ptr<etcd::NodeRegistration> registration;
  std::unique_ptr<ProxyAgent> agent;
};

proxy::RoutingSnapshot snapshotWith(const std::string& address, proxy::EndpointState state) {
  proxy::RoutingSnapshot s;
  proxy::Listener l;
  l.address = "0.0.0.0:8080";
  proxy::ServiceRoute svc;
  svc.name = "web";
  proxy::RevisionRoute rev;
  rev.revision = 1;
  rev.weight = 100;
  rev.endpoints.push_back(proxy::Endpoint{"web-1-aaaaa", address, state});
  svc.revisions.push_back(rev);
  l.services.push_back(svc);
  s.listeners.push_back(l);
  return s;
}

class ClusterProxyTest : public ::testing::Test {
 protected:
  ClusterProxyTest() : cluster_(1), client_(etcd::ClientOptions{cluster_.endpoints(), milliseconds(1000)}) {}

  void SetUp() override {
    a_ = std::make_unique<ProxyNode>(io_, client_, "node-a");
    b_ = std::make_unique<ProxyNode>(io_, client_, "node-b");
    ClusterProxyOptions options;
    options.pushTimeout = milliseconds(3000);
    leader_ = std::make_unique<ClusterProxy>(io_, client_, options, nullptr);
    ASSERT_TRUE(leader_->start());
    ASSERT_TRUE(runUntil([&] { return leader_->running(); }));
  }

  template <typename F>
  bool runUntil(F done, milliseconds limit = milliseconds(10000)) {
    return etcd::testing::runIoUntil(io_, done, limit);
  }

  EtcdCluster cluster_;
  etcd::Client client_;
  asio::io_context io_;
  std::unique_ptr<ProxyNode> a_;
  std::unique_ptr<ProxyNode> b_;
  std::unique_ptr<ClusterProxy> leader_;
};

TEST_F(ClusterProxyTest, APushIsDoneOnlyWhenEveryNodesProxyTookIt) {
  b_->proxy.holdPushes = true;  // node-b's proxy is slow to take it
  std::optional<Result<uint64_t>> result;
  leader_->push(snapshotWith("10.0.0.1:20001", proxy::EndpointState::kReady), [&](Result<uint64_t> r) { result = r; });
  ASSERT_TRUE(runUntil([&] { return a_->proxy.pushed.size() == 1 && b_->proxy.heldPushes() == 1; }));
  io_.restart();
  io_.run_for(milliseconds(300));
  EXPECT_FALSE(result) << "done before node-b's proxy took it";
  b_->proxy.releasePushes();
  ASSERT_TRUE(runUntil([&] { return result.has_value(); }));
  ASSERT_TRUE(*result) << result->error().str();
  EXPECT_EQ(**result, 1u);
  EXPECT_EQ(b_->proxy.pushed.back().listeners.at(0).services.at(0).revisions.at(0).endpoints.at(0).address,
            "10.0.0.1:20001");
}

TEST_F(ClusterProxyTest, InFlightIsTheSumOverNodesAndFollowsADrainToZero) {
  a_->proxy.inFlightByAddress = {{"10.0.0.1:20001", 2}};
  b_->proxy.inFlightByAddress = {{"10.0.0.1:20001", 3}};
  std::optional<Result<uint64_t>> pushed;
  leader_->push(snapshotWith("10.0.0.1:20001", proxy::EndpointState::kDraining), [&](Result<uint64_t> r) { pushed = r; });
  ASSERT_TRUE(runUntil([&] { return pushed.has_value(); }));
  ASSERT_TRUE(*pushed);

  auto ask = [&] {
    std::optional<Result<std::map<std::string, uint64_t>>> counts;
    leader_->inFlight([&](Result<std::map<std::string, uint64_t>> c) { counts = c; });
    EXPECT_FALSE(counts) << "answered inside the call";
    EXPECT_TRUE(runUntil([&] { return counts.has_value(); }));
    return *counts;
  };
  auto first = ask();
  ASSERT_TRUE(first) << first.error().str();
  EXPECT_EQ(first->at("10.0.0.1:20001"), 5u);

  a_->proxy.inFlightByAddress = {{"10.0.0.1:20001", 0}};
  b_->proxy.inFlightByAddress = {};
  ASSERT_TRUE(runUntil([&] {
    auto c = ask();
    return c && c->count("10.0.0.1:20001") > 0 && c->at("10.0.0.1:20001") == 0;
  }));
}

TEST_F(ClusterProxyTest, AProxyThatRefusesFailsThePushNamingItsNode) {
  b_->proxy.refusePush = "snapshot refused: listener 0.0.0.0:8080 cannot bind";
  std::optional<Result<uint64_t>> result;
  leader_->push(snapshotWith("10.0.0.1:20001", proxy::EndpointState::kReady), [&](Result<uint64_t> r) { result = r; });
  ASSERT_TRUE(runUntil([&] { return result.has_value(); }));
  ASSERT_FALSE(*result);
  EXPECT_NE(result->error().message.find("node node-b: snapshot refused"), std::string::npos) << result->error().message;
}

TEST_F(ClusterProxyTest, ANodeThatNeverTakesItFailsThePushAtTheTimeoutAndALostNodeNoLongerCounts) {
  b_->proxy.holdPushes = true;
  std::optional<Result<uint64_t>> result;
  leader_->push(snapshotWith("10.0.0.1:20001", proxy::EndpointState::kReady), [&](Result<uint64_t> r) { result = r; });
  ASSERT_TRUE(runUntil([&] { return result.has_value(); }, milliseconds(8000)));
  ASSERT_FALSE(*result);
  EXPECT_EQ(result->error().code, ErrorCode::kTimeout);
  EXPECT_NE(result->error().message.find("node-b"), std::string::npos) << result->error().message;

  // node-b is lost: the next push needs node-a only.
  b_->registration.reset();
  result.reset();
  leader_->push(snapshotWith("10.0.0.1:20002", proxy::EndpointState::kReady), [&](Result<uint64_t> r) { result = r; });
  ASSERT_TRUE(runUntil([&] { return result.has_value(); }));
  EXPECT_TRUE(*result) << result->error().str();
}

TEST_F(ClusterProxyTest, MetricsAreSummedOverTheNodes) {
  a_->proxy.metricsJson = nlohmann::json::parse(
      R"({"services":{"web":{"revisions":{"1":{"requests":10,"byClass":{"5xx":1},"latencyBuckets":[1,2,3]}}}}})");
  b_->proxy.metricsJson = nlohmann::json::parse(
      R"({"services":{"web":{"revisions":{"1":{"requests":5,"byClass":{"5xx":0,"2xx":5},"latencyBuckets":[0,1]},"2":{"requests":1}}}}})");
  std::optional<Result<nlohmann::json>> m;
  ASSERT_TRUE(runUntil([&] {
    m.reset();
    leader_->metrics([&](Result<nlohmann::json> r) { m = r; });
    runUntil([&] { return m.has_value(); });
    return *m && (**m)["services"]["web"]["revisions"].contains("2") &&
           (**m)["services"]["web"]["revisions"]["1"]["requests"] == 15;
  }));
  const auto& r1 = (**m)["services"]["web"]["revisions"]["1"];
  EXPECT_EQ(r1["byClass"]["5xx"], 1);
  EXPECT_EQ(r1["byClass"]["2xx"], 5);
  EXPECT_EQ(r1["latencyBuckets"], nlohmann::json::parse("[1,3,3]"));
}

TEST(SumMetrics, AddsNumbersObjectsAndArraysAndKeepsTheRest) {
  auto sum = sumMetrics({nlohmann::json::parse(R"({"a":1,"b":[1,2],"c":{"d":2.5},"e":"x"})"),
                         nlohmann::json::parse(R"({"a":2,"b":[1],"c":{"d":0.5,"f":1},"e":"y"})"), nlohmann::json()});
  EXPECT_EQ(sum, nlohmann::json::parse(R"({"a":3,"b":[2,2],"c":{"d":3.0,"f":1},"e":"x"})"));
}

}  // namespace
}  // namespace rollway::cluster
