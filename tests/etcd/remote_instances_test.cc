// The leader's RemoteInstances and two nodes' Agents talking through a real etcd: the
// controller's ProcessRuntime / HealthSource calls on the leader become processes and
// probes on the nodes (fakes here), and what happens there comes back as the callbacks.
#include "rollway/cluster/remote_instances.h"

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include <asio/io_context.hpp>
#include <gtest/gtest.h>

#include "etcd/etcd_cluster.h"
#include "rollway/cluster/agent.h"
#include "rollway/etcd/node_registry.h"
#include "unit/controller/fakes/fake_health.h"
#include "unit/controller/fakes/fake_runtime.h"

namespace rollway::cluster {
namespace {

using controller::fakes::FakeHealth;
using controller::fakes::FakeRuntime;
using etcd::testing::EtcdCluster;
using std::chrono::milliseconds;
using std::chrono::seconds;

struct Node {
  Node(asio::io_context& io, etcd::Client& client, const std::string& name, const std::string& host) {
    auto reg = etcd::NodeRegistration::create(client, "/rollway/nodes/", etcd::NodeInfo{name, host, {{"zone", name}}, ""},
                                              seconds(5));
    EXPECT_TRUE(reg) << reg.error().str();
    if (reg) registration = std::move(*reg);
    AgentOptions options;
    options.node = name;
    options.host = host;
    options.staleGrace = milliseconds(1500);
    agent = std::make_unique<Agent>(AgentDeps{io, client, runtime, health, nullptr}, options);
    auto ok = agent->start();
    EXPECT_TRUE(ok) << ok.error().str();
  }
  FakeRuntime runtime;
  FakeHealth health;
  std::unique_ptr<etcd::NodeRegistration> registration;
  std::unique_ptr<Agent> agent;
};

class RemoteInstancesTest : public ::testing::Test {
 protected:
  RemoteInstancesTest() : cluster_(1), client_(etcd::ClientOptions{cluster_.endpoints(), milliseconds(1000)}) {}

  void SetUp() override {
    a_ = std::make_unique<Node>(io_, client_, "node-a", "10.0.0.1");
    b_ = std::make_unique<Node>(io_, client_, "node-b", "10.0.0.2");
    leader_ = makeLeader();
  }

  std::unique_ptr<RemoteInstances> makeLeader() {
    auto leader = std::make_unique<RemoteInstances>(io_, client_, RemoteInstancesOptions{}, nullptr);
    auto ok = leader->start();
    EXPECT_TRUE(ok) << ok.error().str();
    leader->runtime().setExitCallback([this](const std::string& name, const supervisor::ExitInfo& e) {
      exits_.push_back(name + " " + e.str());
    });
    leader->health().setEventCallback([this](const std::string& name, const probe::ProbeEvent& e) {
      events_.push_back(name + " " + probe::probeEventKindName(e.kind));
    });
    return leader;
  }

  template <typename F>
  bool runUntil(F done, milliseconds limit = milliseconds(10000)) {
    return etcd::testing::runIoUntil(io_, done, limit);
  }

  static supervisor::LaunchSpec launch(const std::string& name, int port) {
    supervisor::LaunchSpec l;
    l.instance = name;
    l.service = "web";
    l.revision = 1;
    l.port = port;
    l.command = {"./app", "--port", "${PORT}"};
    l.version = "v1";
    return l;
  }

  static spec::Template tmpl() {
    spec::Template t;
    t.command = {"./app", "--port", "${PORT}"};
    t.version = "v1";
    return t;
  }

  bool has(const std::vector<std::string>& list, const std::string& entry) {
    return std::find(list.begin(), list.end(), entry) != list.end();
  }

  EtcdCluster cluster_;
  etcd::Client client_;
  asio::io_context io_;
  std::unique_ptr<Node> a_;
  std::unique_ptr<Node> b_;
  std::unique_ptr<RemoteInstances> leader_;
  std::vector<std::string> exits_;
  std::vector<std::string> events_;
};

TEST_F(RemoteInstancesTest, InstancesAreSpreadStartedProbedAndTheirEventsComeBack) {
  ASSERT_TRUE(runUntil([&] { return leader_->nodes().size() == 2; }));
  auto p1 = leader_->runtime().start(launch("web-1-aaaaa", 20001));
  auto p2 = leader_->runtime().start(launch("web-1-bbbbb", 20002));
  ASSERT_TRUE(p1 && p2);
  EXPECT_NE(leader_->nodeOf("web-1-aaaaa"), leader_->nodeOf("web-1-bbbbb"));  // one per node
  EXPECT_EQ(p1->host, leader_->nodeOf("web-1-aaaaa") == "node-a" ? "10.0.0.1" : "10.0.0.2");
  ASSERT_TRUE(leader_->health().add("web-1-aaaaa", p1->host, 20001, tmpl(), SteadyTime{}, std::nullopt));
  ASSERT_TRUE(leader_->health().add("web-1-bbbbb", p2->host, 20002, tmpl(), SteadyTime{}, std::nullopt));

  Node& onA = leader_->nodeOf("web-1-aaaaa") == "node-a" ? *a_ : *b_;
  ASSERT_TRUE(runUntil([&] { return onA.runtime.running.contains("web-1-aaaaa") && onA.health.probed.contains("web-1-aaaaa"); }));
  EXPECT_EQ(onA.runtime.running["web-1-aaaaa"].env["ROLLWAY_HOST"], p1->host);
  EXPECT_EQ(onA.health.probed["web-1-aaaaa"], 20001);
  EXPECT_TRUE(leader_->runtime().watching("web-1-aaaaa"));

  onA.health.emit("web-1-aaaaa", probe::ProbeEventKind::kStarted);
  onA.health.healthy("web-1-aaaaa");
  ASSERT_TRUE(runUntil([&] { return has(events_, "web-1-aaaaa Available"); })) << ::testing::PrintToString(events_);
  EXPECT_TRUE(has(events_, "web-1-aaaaa Started"));
  EXPECT_TRUE(has(events_, "web-1-aaaaa Ready"));
  auto st = leader_->health().status("web-1-aaaaa");
  ASSERT_TRUE(st);
  EXPECT_TRUE(st->ready);
  EXPECT_TRUE(st->available);
}

TEST_F(RemoteInstancesTest, ACrashComesBackAsAnExitAndARestartIsTheNextIncarnation) {
  ASSERT_TRUE(runUntil([&] { return leader_->nodes().size() == 2; }));
  ASSERT_TRUE(leader_->runtime().start(launch("web-1-aaaaa", 20001)));
  Node& node = leader_->nodeOf("web-1-aaaaa") == "node-a" ? *a_ : *b_;
  ASSERT_TRUE(runUntil([&] { return node.runtime.running.contains("web-1-aaaaa"); }));
  node.runtime.exit("web-1-aaaaa", supervisor::ExitInfo::exited(3));
  ASSERT_TRUE(runUntil([&] { return !exits_.empty(); }));
  EXPECT_EQ(exits_[0], "web-1-aaaaa exited with code 3");
  EXPECT_FALSE(leader_->runtime().watching("web-1-aaaaa"));

  ASSERT_TRUE(leader_->runtime().start(launch("web-1-aaaaa", 20001)));  // the controller restarts it
  ASSERT_TRUE(runUntil([&] { return a_->runtime.count("start") + b_->runtime.count("start") == 2; }));
  EXPECT_EQ(exits_.size(), 1u);  // the first incarnation's exit is not delivered again
}

TEST_F(RemoteInstancesTest, TerminationAndPreStopRoundTrip) {
  ASSERT_TRUE(runUntil([&] { return leader_->nodes().size() == 2; }));
  ASSERT_TRUE(leader_->runtime().start(launch("web-1-aaaaa", 20001)));
  Node& node = leader_->nodeOf("web-1-aaaaa") == "node-a" ? *a_ : *b_;
  ASSERT_TRUE(runUntil([&] { return node.runtime.running.contains("web-1-aaaaa"); }));

  std::string preStop;
  ASSERT_TRUE(leader_->runtime().runPreStopExec("web-1-aaaaa", {"/bin/drain"}, milliseconds(5000),
                                                [&](const std::string&, const Result<supervisor::ExitInfo>& r) {
                                                  preStop = r ? r->str() : r.error().message;
                                                }));
  ASSERT_TRUE(runUntil([&] { return node.runtime.count("prestop") == 1; }));
  node.runtime.finishPreStop("web-1-aaaaa");
  ASSERT_TRUE(runUntil([&] { return !preStop.empty(); }));
  EXPECT_EQ(preStop, "exited with code 0");

  std::string terminated;
  ASSERT_TRUE(leader_->runtime().terminate("web-1-aaaaa", milliseconds(7000),
                                           [&](const std::string&, const supervisor::Termination& t) {
                                             terminated = t.outcome == supervisor::Termination::Outcome::kKilledAfterGrace
                                                              ? "killed"
                                                              : "exited";
                                           }));
  ASSERT_TRUE(runUntil([&] { return node.runtime.count("terminate") == 1; }));
  EXPECT_TRUE(has(node.runtime.actions, "terminate web-1-aaaaa 7000ms"));
  node.runtime.exitKilledAfterGrace("web-1-aaaaa");
  ASSERT_TRUE(runUntil([&] { return !exits_.empty(); }));
  EXPECT_EQ(terminated, "killed");
  EXPECT_EQ(exits_[0], "web-1-aaaaa killed by signal 9 (SIGKILL)");
  // The assignment is gone, and with it the agent's record of the instance.
  ASSERT_TRUE(runUntil([&] { return node.agent->known() == 0; }));
}

TEST_F(RemoteInstancesTest, ALostNodesInstancesExitForTheLeaderAndAreStoppedWhenItReturns) {
  ASSERT_TRUE(runUntil([&] { return leader_->nodes().size() == 2; }));
  ASSERT_TRUE(leader_->runtime().start(launch("web-1-aaaaa", 20001)));
  ASSERT_TRUE(leader_->runtime().start(launch("web-1-bbbbb", 20002)));
  ASSERT_TRUE(runUntil([&] { return a_->runtime.running.size() == 1 && b_->runtime.running.size() == 1; }));
  const std::string onB = b_->runtime.running.begin()->first;

  // node-b's registration ends (its lease expired); its agent, cut off, still runs the process.
  b_->registration.reset();
  ASSERT_TRUE(runUntil([&] { return exits_.size() == 1; }));
  EXPECT_EQ(exits_[0], onB + " lost with its node");
  EXPECT_EQ(leader_->nodes().size(), 1u);
  // The replacement goes to the node that is left.
  ASSERT_TRUE(leader_->runtime().start(launch(onB, 20002)));
  EXPECT_EQ(leader_->nodeOf(onB), "node-a");
  // node-b's agent sees its assignment gone and stops the stale process.
  ASSERT_TRUE(runUntil([&] { return b_->runtime.count("terminate") == 1; }));
  ASSERT_TRUE(runUntil([&] { return a_->runtime.running.contains(onB); }));
}

TEST_F(RemoteInstancesTest, ANewLeaderAdoptsWhatRunsAndHearsItsStateAndAnOrphanIsStopped) {
  ASSERT_TRUE(runUntil([&] { return leader_->nodes().size() == 2; }));
  auto p = leader_->runtime().start(launch("web-1-aaaaa", 20001));
  ASSERT_TRUE(leader_->runtime().start(launch("web-1-bbbbb", 20002)));
  ASSERT_TRUE(leader_->health().add("web-1-aaaaa", p->host, 20001, tmpl(), SteadyTime{}, std::nullopt));
  Node& node = leader_->nodeOf("web-1-aaaaa") == "node-a" ? *a_ : *b_;
  Node& other = &node == a_.get() ? *b_ : *a_;
  ASSERT_TRUE(runUntil([&] { return node.health.probed.contains("web-1-aaaaa"); }));
  node.health.healthy("web-1-aaaaa");
  ASSERT_TRUE(runUntil([&] { return has(events_, "web-1-aaaaa Available"); }));
  ASSERT_TRUE(leader_->waitWritten(seconds(5)));
  ASSERT_TRUE(node.agent->waitReported(seconds(5)));
  const pid_t pid = node.runtime.pids["web-1-aaaaa"];

  leader_.reset();  // the leader dies
  events_.clear();
  leader_ = makeLeader();
  auto adopted = leader_->runtime().adopt(launch("web-1-aaaaa", 20001), 0, 0);
  ASSERT_TRUE(adopted) << adopted.error().str();
  EXPECT_EQ(adopted->pid, pid);
  EXPECT_TRUE(adopted->adopted);
  ASSERT_TRUE(leader_->health().add("web-1-aaaaa", adopted->host, 20001, tmpl(), SteadyTime{}, std::nullopt));
  ASSERT_TRUE(runUntil([&] { return has(events_, "web-1-aaaaa Available"); })) << ::testing::PrintToString(events_);
  EXPECT_TRUE(has(events_, "web-1-aaaaa Ready"));
  EXPECT_EQ(node.runtime.count("start"), 1u);  // not started again

  // web-1-bbbbb is not in the new leader's store: it is stopped.
  leader_->forgetUnadopted();
  ASSERT_TRUE(runUntil([&] { return other.runtime.count("terminate") == 1; }));
}

TEST_F(RemoteInstancesTest, ARestartedAgentAdoptsItsRunningInstancesFromItsReports) {
  ASSERT_TRUE(runUntil([&] { return leader_->nodes().size() == 2; }));
  ASSERT_TRUE(leader_->runtime().start(launch("web-1-aaaaa", 20001)));
  Node& node = leader_->nodeOf("web-1-aaaaa") == "node-a" ? *a_ : *b_;
  ASSERT_TRUE(runUntil([&] { return node.runtime.running.contains("web-1-aaaaa"); }));
  ASSERT_TRUE(node.agent->waitReported(seconds(5)));
  const pid_t pid = node.runtime.pids["web-1-aaaaa"];
  node.runtime.keepAlive(pid, 1000 + pid);

  node.agent.reset();  // the daemon restarts; its process lives on
  node.runtime.running.clear();
  AgentOptions options;
  options.node = leader_->nodeOf("web-1-aaaaa");
  options.host = "10.0.0.9";
  node.agent = std::make_unique<Agent>(AgentDeps{io_, client_, node.runtime, node.health, nullptr}, options);
  ASSERT_TRUE(node.agent->start());
  EXPECT_TRUE(has(node.runtime.actions, "adopt web-1-aaaaa " + std::to_string(pid)));
  ASSERT_TRUE(node.runtime.running.contains("web-1-aaaaa"));
  io_.restart();
  io_.run_for(milliseconds(300));
  EXPECT_EQ(node.runtime.count("start"), 1u);
  EXPECT_TRUE(exits_.empty());
}

TEST_F(RemoteInstancesTest, WithoutANodeThatFitsStartFailsSayingWhy) {
  ASSERT_TRUE(runUntil([&] { return leader_->nodes().size() == 2; }));
  RemoteInstancesOptions options;
  options.placement = [](const std::string&) { return PlacementRule{1, {{"zone", "node-a"}}}; };
  auto leader = std::make_unique<RemoteInstances>(io_, client_, options, nullptr);
  ASSERT_TRUE(leader->start());
  ASSERT_TRUE(leader->runtime().start(launch("web-1-aaaaa", 20001)));
  EXPECT_EQ(leader->nodeOf("web-1-aaaaa"), "node-a");
  auto second = leader->runtime().start(launch("web-1-bbbbb", 20002));
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(second.error().message.find("no ready node can take an instance of web"), std::string::npos)
      << second.error().message;
}

TEST_F(RemoteInstancesTest, ACordonedNodeTakesNoNewInstanceAndTheNextLeaderKnowsIt) {
  ASSERT_TRUE(runUntil([&] { return leader_->nodes().size() == 2; }));
  ASSERT_TRUE(leader_->runtime().start(launch("web-1-aaaaa", 20001)));
  const std::string first = leader_->nodeOf("web-1-aaaaa");
  const std::string other = first == "node-a" ? "node-b" : "node-a";
  ASSERT_TRUE(leader_->cordon(other, true));
  EXPECT_EQ(leader_->cordon("node-z", true).error().code, ErrorCode::kNotFound);
  // Spread would put it on `other`; cordoned, it shares `first`.
  ASSERT_TRUE(leader_->runtime().start(launch("web-1-bbbbb", 20002)));
  EXPECT_EQ(leader_->nodeOf("web-1-bbbbb"), first);
  ASSERT_TRUE(leader_->waitWritten(seconds(5)));

  leader_.reset();
  leader_ = makeLeader();
  EXPECT_TRUE(leader_->cordoned(other));
  ASSERT_TRUE(leader_->runtime().adopt(launch("web-1-aaaaa", 20001), 0, 0));
  ASSERT_TRUE(leader_->runtime().adopt(launch("web-1-bbbbb", 20002), 0, 0));
  ASSERT_TRUE(leader_->cordon(other, false));
  ASSERT_TRUE(leader_->runtime().start(launch("web-1-ccccc", 20003)));
  EXPECT_EQ(leader_->nodeOf("web-1-ccccc"), other);
}

}  // namespace
}  // namespace rollway::cluster
