// The leader-agent protocol's JSON: everything round-trips; what is not ours is refused.
#include "rollway/cluster/protocol.h"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace rollway::cluster
