#include "rollway/spec/serialize.h"

#include <set>

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include "rollway/spec/parser.h"
#include "unit/spec/spec_test_util.h"

namespace rollway::spec {
namespace {

using testing::parseOne;

TEST(ToJson, FillsEveryDefault) {
  ServiceSpec s = parseOne(testing::minimalSpec("", "    readinessProbe: {httpGet: {}}\n"));
  nlohmann::json j = toJson(s);
  EXPECT_EQ(j["apiVersion"], "rollway.dev/v1");
  EXPECT_EQ(j["kind"], "Service");
  EXPECT_EQ(j["metadata"]["name"], "web");
  const auto& spec = j["spec"];
  EXPECT_EQ(spec["replicas"], 1);
  EXPECT_EQ(spec["progressDeadlineSeconds"], 600);
  EXPECT_EQ(spec["revisionHistoryLimit"], 10);
  EXPECT_EQ(spec["minReadySeconds"], 0);
  EXPECT_EQ(spec["paused"], false);
  EXPECT_EQ(spec["autoRollback"], false);
  EXPECT_EQ(spec["hosts"], nlohmann::json::array());
  EXPECT_EQ(spec["strategy"]["type"], "RollingUpdate");
  EXPECT_EQ(spec["strategy"]["rollingUpdate"]["maxSurge"], "25%");
  EXPECT_EQ(spec["strategy"]["rollingUpdate"]["maxUnavailable"], "25%");
  EXPECT_FALSE(spec["strategy"].contains("canary"));
  EXPECT_EQ(spec["template"]["terminationGracePeriodSeconds"], 30);
  const auto& probe = spec["template"]["readinessProbe"];
  EXPECT_EQ(probe["httpGet"]["path"], "/");
  EXPECT_EQ(probe["periodSeconds"], 10);
  EXPECT_EQ(probe["timeoutSeconds"], 1);
  EXPECT_EQ(probe["successThreshold"], 1);
  EXPECT_EQ(probe["failureThreshold"], 3);
  EXPECT_EQ(probe["initialDelaySeconds"], 0);
}

TEST(ToJson, DurationsAndIntOrPercent) {
  ServiceSpec s = parseOne(testing::minimalSpec(
      "  strategy: {type: Canary, rollingUpdate: {maxSurge: 2, maxUnavailable: 10%},\n"
      "             canary: {steps: [{setWeight: 10}, {pause: {duration: 90s}}, {pause: {}}]}}\n"
      "  analysis: {interval: 1500ms, metrics: [{name: errors, successCondition: '< 0.01'}]}\n"
      "  disruptionBudget: {minAvailable: 50%}\n"));
  nlohmann::json j = toJson(s)["spec"];
  EXPECT_EQ(j["strategy"]["rollingUpdate"]["maxSurge"], 2);
  EXPECT_EQ(j["strategy"]["rollingUpdate"]["maxUnavailable"], "10%");
  EXPECT_EQ(j["strategy"]["canary"]["steps"][1]["pause"]["duration"], "1m30s");
  EXPECT_EQ(j["strategy"]["canary"]["steps"][2]["pause"], nlohmann::json::object());
  EXPECT_EQ(j["analysis"]["interval"], "1s500ms");
  EXPECT_EQ(j["disruptionBudget"]["minAvailable"], "50%");
}

TEST(ToJson, PlacementOnlyWhenSetSoThatOlderSpecsKeepTheirCanonicalJson) {
  EXPECT_FALSE(toJson(parseOne(testing::minimalSpec("")))["spec"].contains("placement"));
  EXPECT_FALSE(toJson(parseOne(testing::minimalSpec("")))["spec"].contains("preferLocal"));
  EXPECT_EQ(toJson(parseOne(testing::minimalSpec("  preferLocal: true\n")))["spec"]["preferLocal"], true);
  ServiceSpec s = parseOne(testing::minimalSpec("  placement: {maxPerNode: 2, nodeSelector: {zone: a, disk: ssd}}\n"));
  EXPECT_EQ(s.placement.maxPerNode, 2);
  EXPECT_EQ(s.placement.nodeSelector.at("disk"), "ssd");
  nlohmann::json j = toJson(s)["spec"];
  EXPECT_EQ(j["placement"]["maxPerNode"], 2);
  EXPECT_EQ(j["placement"]["nodeSelector"]["zone"], "a");
  EXPECT_TRUE(toJson(s) == toJson(parseOne(toJson(s).dump())));
  EXPECT_EQ(templateHash(s.tmpl), templateHash(parseOne(testing::minimalSpec("")).tmpl)) << "not part of the template";
}

TEST(ToYaml, EmitsBlockYamlThatParsesBack) {
  ServiceSpec s = parseOne(testing::minimalSpec(
      "  hosts: [web.local]\n", "    version: \"2\"\n    env: {A: 'true', B: '', C: '0x10', D: null-ish}\n"));
  std::string yaml = toYaml(toJson(s));
  EXPECT_NE(yaml.find("apiVersion: rollway.dev/v1\n"), std::string::npos) << yaml;
  EXPECT_NE(yaml.find("spec:\n"), std::string::npos) << yaml;
  EXPECT_NE(yaml.find("version: \"2\""), std::string::npos) << yaml;
  EXPECT_NE(yaml.find("A: \"true\""), std::string::npos) << yaml;
  EXPECT_LT(yaml.find("apiVersion"), yaml.find("kind"));
  EXPECT_LT(yaml.find("kind"), yaml.find("metadata"));
  EXPECT_LT(yaml.find("metadata"), yaml.find("spec"));
  auto again = parseServices(yaml, "out.yaml");
  ASSERT_TRUE(again) << again.error().str() << "\n" << yaml;
  EXPECT_EQ(again->front(), s);
}

TEST(ToYaml, HandlesGenericJson) {
  nlohmann::json j = {{"a", 1}, {"b", {1, 2}}, {"c", nlohmann::json::object()}, {"d", nullptr}, {"e", 1.5}, {"f", "x y"}};
  std::string yaml = toYaml(j);
  EXPECT_NE(yaml.find("a: 1"), std::string::npos) << yaml;
  EXPECT_NE(yaml.find("c: {}"), std::string::npos) << yaml;
  EXPECT_NE(yaml.find("- 1"), std::string::npos) << yaml;
  YAML::Node n = YAML::Load(yaml);  // well-formed
  EXPECT_EQ(n["f"].as<std::string>(), "x y");
}

TEST(TemplateHash, StableAndShaped) {
  ServiceSpec s = parseOne(testing::minimalSpec());
  std::string h = templateHash(s.tmpl);
  ASSERT_EQ(h.size(), 10u);
  for (char c : h) EXPECT_TRUE((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) << h;
  EXPECT_EQ(templateHash(s.tmpl), h);
  EXPECT_EQ(templateHash(parseOne(testing::minimalSpec()).tmpl), h);
  // Pinned: the hash must not change between runs, machines or compilers. If the canonical
  // template JSON changes on purpose, every revision hash changes: update with care.
  Template plain;
  plain.command = {"./app"};
  EXPECT_EQ(h, templateHash(plain));
  EXPECT_EQ(toJson(s.tmpl).dump(),
            R"({"command":["./app"],"env":{},"terminationGracePeriodSeconds":30,"version":"","workingDir":""})");
  EXPECT_EQ(h, "5h8zsvxxs8");
}

TEST(TemplateHash, OnlyTemplateChangesMatter) {
  const std::string base = testing::minimalSpec("  replicas: 3\n", "    version: v1\n    env: {A: x}\n"
                                                "    readinessProbe: {httpGet: {path: /ready}}\n");
  std::string h = templateHash(parseOne(base).tmpl);

  auto with = [&](const std::string& from, const std::string& to) {
    std::string text = base;
    text.replace(text.find(from), from.size(), to);
    return templateHash(parseOne(text).tmpl);
  };
  // Outside the template: same hash.
  EXPECT_EQ(with("replicas: 3", "replicas: 7"), h);
  EXPECT_EQ(with("replicas: 3\n", "replicas: 3\n  strategy: {type: Canary}\n  paused: true\n"), h);
  EXPECT_EQ(with("listen: 127.0.0.1:8080", "listen: 127.0.0.1:9999"), h);
  // Spelling out defaults is not a change either.
  EXPECT_EQ(with("{path: /ready}}", "{path: /ready}, periodSeconds: 10}"), h);
  // Inside the template: a new hash each time, all different.
  std::set<std::string> hashes = {h};
  for (const auto& [from, to] : std::vector<std::pair<std::string, std::string>>{
           {"version: v1", "version: v2"},
           {"{A: x}", "{A: y}"},
           {"{A: x}", "{A: x, B: x}"},
           {"{path: /ready}}", "{path: /ready}, periodSeconds: 2}"},
           {"{path: /ready}}", "{path: /healthz}}"},
           {"command: [./app]", "command: [./app, --v]"},
           {"version: v1\n", "version: v1\n    workingDir: /srv\n"},
           {"version: v1\n", "version: v1\n    terminationGracePeriodSeconds: 31\n"},
           {"version: v1\n", "version: v1\n    lifecycle: {preStop: {sleep: {seconds: 1}}}\n"},
       }) {
    std::string changed = with(from, to);
    EXPECT_NE(changed, h) << to;
    EXPECT_TRUE(hashes.insert(changed).second) << "collision for " << to;
  }
}

}  // namespace
}  // namespace rollway::spec
