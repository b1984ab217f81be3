// The leader-agent protocol's JSON: everything round-trips; what is not ours is refused.
#include "rollway/cluster/protocol.h"

#include <gtest/gtest.h>

#include "rollway/cluster/proxy_agent.h"
#include "rollway/proxy/snapshot_json.h"
#include "rollway/spec/serialize.h"

namespace rollway::cluster {
namespace {

TEST(ClusterProtocol, AnAssignmentRoundTrips) {
  Assignment a;
  a.node = "node-a";
  a.launch.instance = "web-2-abcde";
  a.launch.service = "web";
  a.launch.revision = 2;
  a.launch.port = 20001;
  a.launch.command = {"./app", "--port", "${PORT}"};
  a.launch.env = {{"GREETING", "hi"}};
  a.launch.workingDir = "/srv/web";
  a.launch.version = "v2";
  a.start = 3;
  a.probeTemplate = R"({"command":["./app"]})";
  a.minReadySeconds = 5;
  a.terminateGraceMs = 30000;
  a.preStopSeq = 2;
  a.preStopArgv = {"/bin/drain", "now"};
  a.preStopTimeoutMs = 4000;
  auto back = assignmentFromJson(toJson(a));
  ASSERT_TRUE(back) << back.error().str();
  EXPECT_EQ(toJson(*back), toJson(a));
  EXPECT_EQ(back->launch.env.at("GREETING"), "hi");
  EXPECT_EQ(*back->terminateGraceMs, 30000);

  Assignment plain;
  plain.launch.instance = "x";
  auto plainBack = assignmentFromJson(toJson(plain));
  ASSERT_TRUE(plainBack);
  EXPECT_FALSE(plainBack->probeTemplate);
  EXPECT_FALSE(plainBack->terminateGraceMs);
}

TEST(ClusterProtocol, AReportRoundTrips) {
  InstanceReport r;
  r.node = "node-b";
  r.host = "10.0.0.2";
  r.port = 20002;
  r.start = 4;
  r.pid = 1234;
  r.startTimeTicks = 99;
  r.exit = supervisor::ExitInfo::signaled(9);
  r.killedAfterGrace = true;
  r.started = r.ready = true;
  r.probeSuccesses = 7;
  r.probeFailures = 1;
  r.probeEvents = {{1, {probe::ProbeEventKind::kStarted, std::nullopt, "up"}},
                   {2, {probe::ProbeEventKind::kNotReady, probe::ProbeType::kReadiness, "500"}}};
  r.preStopSeq = 1;
  r.preStopExit = supervisor::ExitInfo::exited(0);
  auto back = reportFromJson(toJson(r));
  ASSERT_TRUE(back) << back.error().str();
  EXPECT_EQ(toJson(*back), toJson(r));
  EXPECT_EQ(*back->exit, supervisor::ExitInfo::signaled(9));
  ASSERT_EQ(back->probeEvents.size(), 2u);
  EXPECT_EQ(*back->probeEvents[1].event.probe, probe::ProbeType::kReadiness);
}

TEST(ClusterProtocol, WhatIsNotOursIsAnErrorNotACrash) {
  for (const char* text : {"", "null", "[]", "{}", R"({"node":1})", "{\"node\":\"a\""}) {
    EXPECT_FALSE(assignmentFromJson(text)) << text;
    EXPECT_FALSE(reportFromJson(text)) << text;
  }
  InstanceReport r;
  std::string text = toJson(r);
  auto bad = nlohmann::json::parse(text);
  bad["probeEvents"] = nlohmann::json::array({{{"seq", 1}, {"kind", 99}, {"reason", ""}}});
  EXPECT_FALSE(reportFromJson(bad.dump()));
}

TEST(ClusterProtocol, TheProbeTemplateIsParsedAsTheSpecParserDoes) {
  spec::Template t;
  t.command = {"./app", "--port", "${PORT}"};
  t.version = "v7";
  auto back = templateFromJson("web", spec::toJson(t).dump());
  ASSERT_TRUE(back) << back.error().str();
  EXPECT_EQ(back->version, "v7");
  EXPECT_EQ(spec::templateHash(*back), spec::templateHash(t));
  EXPECT_FALSE(templateFromJson("web", "[1]"));
  EXPECT_FALSE(templateFromJson("web", "{not json"));
}

TEST(ClusterProtocol, KeysSplitBackIntoNodeAndInstance) {
  EXPECT_EQ(assignKey("node-a", "web-1-x"), "assign/node-a/web-1-x");
  EXPECT_EQ(reportKey("node-a", "web-1-x"), "report/node-a/web-1-x");
  std::string node, instance;
  ASSERT_TRUE(splitNodeInstance("node-a/web-1-x", node, instance));
  EXPECT_EQ(node, "node-a");
  EXPECT_EQ(instance, "web-1-x");
  EXPECT_FALSE(splitNodeInstance("node-a", node, instance));
  EXPECT_FALSE(splitNodeInstance("/x", node, instance));
  EXPECT_FALSE(splitNodeInstance("a/b/c", node, instance));
}

TEST(PreferLocal, AServiceThatPrefersLocalKeepsItsNodesReadyEndpointsPerRevision) {
  auto endpoint = [](std::string name, std::string address, bool draining = false) {
    return proxy::Endpoint{std::move(name), std::move(address),
                           draining ? proxy::EndpointState::kDraining : proxy::EndpointState::kReady};
  };
  proxy::RoutingSnapshot s;
  proxy::Listener l;
  l.address = "0.0.0.0:8080";
  proxy::ServiceRoute web;
  web.name = "web";
  web.preferLocal = true;
  proxy::RevisionRoute stable;  // one local, one remote, one remote draining
  stable.revision = 1;
  stable.endpoints = {endpoint("a", "10.0.0.1:20001"), endpoint("b", "10.0.0.2:20002"),
                      endpoint("c", "10.0.0.2:20003", true)};
  proxy::RevisionRoute canary;  // no local endpoint: all stay
  canary.revision = 2;
  canary.endpoints = {endpoint("d", "10.0.0.2:20004"), endpoint("e", "10.0.0.3:20005")};
  web.revisions = {stable, canary};
  proxy::ServiceRoute api = web;  // does not prefer local
  api.name = "api";
  api.preferLocal = false;
  l.services = {web};
  proxy::Listener other;
  other.address = "0.0.0.0:8081";
  other.services = {api};
  s.listeners = {l, other};

  auto local = preferLocalEndpoints(s, "10.0.0.1");
  const auto& w = local.listeners[0].services[0];
  ASSERT_EQ(w.revisions[0].endpoints.size(), 2u);
  EXPECT_EQ(w.revisions[0].endpoints[0].instance, "a");
  EXPECT_EQ(w.revisions[0].endpoints[1].instance, "c") << "draining endpoints stay, so their in-flight requests count";
  EXPECT_EQ(w.revisions[1].endpoints.size(), 2u) << "no local endpoint: every one stays";
  EXPECT_EQ(local.listeners[1].services[0], api) << "a service that does not prefer local is unchanged";
  // "10.0.0.1" must not match "10.0.0.10".
  EXPECT_EQ(preferLocalEndpoints(s, "10.0.0.").listeners[0].services[0].revisions[0].endpoints.size(), 3u);
  // Through the snapshot's JSON, the flag survives.
  auto back = proxy::snapshotFromJson(proxy::toJson(s));
  ASSERT_TRUE(back) << back.error().str();
  EXPECT_TRUE(back->listeners[0].services[0].preferLocal);
  EXPECT_FALSE(back->listeners[1].services[0].preferLocal);
  EXPECT_FALSE(proxy::toJson(s)["listeners"][1]["services"][0].contains("preferLocal"));
}

}  // namespace
}  // namespace rollway::cluster
