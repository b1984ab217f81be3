#include "rollway/spec/parser.h"
#include "rollway/spec/serialize.h"

#include <random>

#include <gtest/gtest.h>

#include "unit/spec/spec_test_util.h"

namespace rollway::spec {
namespace {

using testing::minimalSpec;

using testing::parseOne;

// The error text, or "" when the input was accepted.
std::string errorOf(const std::string& text) {
  auto parsed = parseServices(text, "test.yaml");
  return parsed ? "" : parsed.error().str();
}

bool hasField(const Error& e, const std::string& path) {
  for (const auto& f : e.fields) {
    if (f.path == path) return true;
  }
  return false;
}

TEST(Parser, FillsInKubernetesDefaults) {
  ServiceSpec s = parseOne(minimalSpec("", "    readinessProbe: {httpGet: {}}\n"));
  EXPECT_EQ(s.metadata.name, "web");
  EXPECT_EQ(s.replicas, 1);
  EXPECT_EQ(s.minReadySeconds, 0);
  EXPECT_EQ(s.progressDeadlineSeconds, 600);
  EXPECT_EQ(s.revisionHistoryLimit, 10);
  EXPECT_FALSE(s.paused);
  EXPECT_FALSE(s.autoRollback);
  EXPECT_EQ(s.tmpl.terminationGracePeriodSeconds, 30);
  EXPECT_EQ(s.strategy.type, StrategyType::kRollingUpdate);
  EXPECT_EQ(s.strategy.rollingUpdate.maxSurge, IntOrPercent::percent(25));
  EXPECT_EQ(s.strategy.rollingUpdate.maxUnavailable, IntOrPercent::percent(25));
  EXPECT_EQ(s.strategy.blueGreen.scaleDownDelaySeconds, 30);
  EXPECT_FALSE(s.analysis);
  ASSERT_TRUE(s.tmpl.readinessProbe);
  const Probe& p = *s.tmpl.readinessProbe;
  EXPECT_EQ(p.kind, ProbeKind::kHttpGet);
  EXPECT_EQ(p.httpGet.path, "/");
  EXPECT_EQ(p.httpGet.port, 0);
  EXPECT_EQ(p.httpGet.scheme, "HTTP");
  EXPECT_EQ(p.initialDelaySeconds, 0);
  EXPECT_EQ(p.periodSeconds, 10);
  EXPECT_EQ(p.timeoutSeconds, 1);
  EXPECT_EQ(p.successThreshold, 1);
  EXPECT_EQ(p.failureThreshold, 3);
}

TEST(Parser, AnalysisDefaults) {
  ServiceSpec s = parseOne(minimalSpec("  analysis: {metrics: [{name: errors, successCondition: '< 0.01'}]}\n"));
  ASSERT_TRUE(s.analysis);
  EXPECT_EQ(s.analysis->interval, std::chrono::seconds(5));
  EXPECT_EQ(s.analysis->failureLimit, 2);
  EXPECT_EQ(s.analysis->inconclusiveLimit, 0);
  EXPECT_EQ(s.analysis->minRequests, 50);
  ASSERT_EQ(s.analysis->metrics.size(), 1u);
  EXPECT_EQ(s.analysis->metrics[0].provider, MetricProvider::kBuiltin);
}

TEST(Parser, ReadsEveryStrategyShape) {
  ServiceSpec s = parseOne(minimalSpec(
      "  strategy:\n"
      "    type: Canary\n"
      "    canary:\n"
      "      stickiness: {header: X-User-Id}\n"
      "      routes: [{cookie: {name: canary, value: yes}}]\n"
      "      steps: [{setWeight: 10}, {pause: {duration: 30s}}, {pause: {}}, {pause: }, {setWeight: 100}]\n"
      "    blueGreen: {autoPromotionSeconds: 0}\n"));
  EXPECT_EQ(s.strategy.type, StrategyType::kCanary);
  EXPECT_EQ(s.strategy.canary.stickiness.header, "X-User-Id");
  ASSERT_EQ(s.strategy.canary.routes.size(), 1u);
  EXPECT_EQ(s.strategy.canary.routes[0].cookieName, "canary");
  EXPECT_EQ(s.strategy.canary.routes[0].cookieValue, "yes");  // a string field: 'yes' is text
  ASSERT_EQ(s.strategy.canary.steps.size(), 5u);
  EXPECT_EQ(s.strategy.canary.steps[0].kind, StepKind::kSetWeight);
  EXPECT_EQ(s.strategy.canary.steps[0].setWeight, 10);
  EXPECT_EQ(s.strategy.canary.steps[1].pauseDuration, std::chrono::seconds(30));
  EXPECT_EQ(s.strategy.canary.steps[2].kind, StepKind::kPause);
  EXPECT_FALSE(s.strategy.canary.steps[2].pauseDuration);
  EXPECT_EQ(s.strategy.canary.steps[3].kind, StepKind::kPause);
  EXPECT_EQ(s.strategy.blueGreen.autoPromotionSeconds, 0);
}

TEST(Parser, CanaryWithoutStepsIsAllowed) {
  ServiceSpec s = parseOne(minimalSpec("  strategy: {type: Canary}\n"));
  EXPECT_EQ(s.strategy.type, StrategyType::kCanary);
  EXPECT_TRUE(s.strategy.canary.steps.empty());
}

TEST(Parser, CollectsAllErrorsWithPaths) {
  auto parsed = parseServices(
      "apiVersion: rollway.dev/v1\nkind: Service\nmetadata: {name: Bad_Name}\n"
      "spec:\n"
      "  replicas: -1\n"
      "  replcas: 3\n"
      "  listen: nowhere\n"
      "  template:\n"
      "    command: []\n"
      "    env: {1X: a}\n"
      "    livenessProbe: {httpGet: {}, successThreshold: 2}\n"
      "  strategy:\n"
      "    rollingUpdate: {maxSurge: 25x}\n"
      "    canary: {steps: [{setWeight: 101}]}\n"
      "  analysis:\n"
      "    interval: 5\n"
      "    metrics: [{name: a, successCondition: '< 1'}, {name: a, successCondition: 'nope'}]\n",
      "web.yaml");
  ASSERT_FALSE(parsed);
  const Error& e = parsed.error();
  EXPECT_EQ(e.code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(e.message, "web.yaml: " + std::to_string(e.fields.size()) + " error(s) in the spec");
  for (const char* path :
       {"metadata.name", "spec.replicas", "spec.replcas", "spec.listen", "spec.template.command",
        "spec.template.env.1X", "spec.template.livenessProbe.successThreshold",
        "spec.strategy.rollingUpdate.maxSurge", "spec.strategy.canary.steps[0].setWeight",
        "spec.analysis.interval", "spec.analysis.metrics[1].name", "spec.analysis.metrics[1].successCondition"}) {
    EXPECT_TRUE(hasField(e, path)) << path << " missing in\n" << e.str();
  }
  EXPECT_EQ(e.fields.size(), 12u) << e.str();
  for (const auto& f : e.fields) EXPECT_EQ(f.file, "web.yaml");
}

TEST(Parser, UnknownFieldSuggestsTheClosestName) {
  std::string err = errorOf(minimalSpec("  replcas: 3\n"));
  EXPECT_NE(err.find("spec.replcas: unknown field 'replcas': did you mean 'replicas'?"), std::string::npos) << err;
  err = errorOf(minimalSpec("  Replicas: 3\n"));
  EXPECT_NE(err.find("did you mean 'replicas'?"), std::string::npos) << err;
  err = errorOf(minimalSpec("  image: nginx\n"));
  EXPECT_NE(err.find("unknown field 'image'"), std::string::npos) << err;
  EXPECT_EQ(err.find("did you mean"), std::string::npos) << err;
}

TEST(Parser, ErrorsCarryLineNumbers) {
  std::string err = errorOf(minimalSpec("  replicas: -3\n"));
  EXPECT_NE(err.find("spec.replicas: must not be negative, got -3 (line 8, column 13)"), std::string::npos) << err;
}

TEST(Parser, RejectsWrongTypes) {
  struct Case {
    std::string specExtra;
    std::string path;
  };
  for (const Case& c : std::vector<Case>{
           {"  replicas: \"3\"\n", "spec.replicas"},
           {"  replicas: 3.0\n", "spec.replicas"},
           {"  replicas: 1e3\n", "spec.replicas"},
           {"  replicas: [3]\n", "spec.replicas"},
           {"  replicas: 0x10\n", "spec.replicas"},
           {"  replicas: 4294967296\n", "spec.replicas"},
           {"  paused: yes\n", "spec.paused"},
           {"  paused: \"true\"\n", "spec.paused"},
           {"  paused: 1\n", "spec.paused"},
           {"  hosts: web.local\n", "spec.hosts"},
           {"  hosts: [[a]]\n", "spec.hosts[0]"},
           {"  listen: {host: x}\n", "spec.listen"},
           {"  strategy: [RollingUpdate]\n", "spec.strategy"},
           {"  strategy: {rollingUpdate: {maxSurge: [1]}}\n", "spec.strategy.rollingUpdate.maxSurge"},
           {"  strategy: {rollingUpdate: {maxSurge: -1}}\n", "spec.strategy.rollingUpdate.maxSurge"},
           {"  analysis: {interval: 5, metrics: [{name: a, successCondition: '<1'}]}\n", "spec.analysis.interval"},
           {"  disruptionBudget: {minAvailable: 101%}\n", "spec.disruptionBudget.minAvailable"},
           {"  placement: {maxPerNode: -1}\n", "spec.placement.maxPerNode"},
           {"  placement: {maxPerNode: two}\n", "spec.placement.maxPerNode"},
           {"  placement: {nodeSelector: [zone]}\n", "spec.placement.nodeSelector"},
           {"  placement: {nodeSelector: {\"a=b\": c}}\n", "spec.placement.nodeSelector"},
           {"  placement: {spread: true}\n", "spec.placement.spread"},
       }) {
    auto parsed = parseServices(minimalSpec(c.specExtra), "t.yaml");
    ASSERT_FALSE(parsed) << c.specExtra;
    EXPECT_TRUE(hasField(parsed.error(), c.path)) << c.specExtra << parsed.error().str();
  }
}

TEST(Parser, NullMeansAbsent) {
  ServiceSpec s = parseOne(minimalSpec("  replicas: ~\n  hosts:\n  strategy: null\n"));
  EXPECT_EQ(s.replicas, 1);
  EXPECT_TRUE(s.hosts.empty());
}

TEST(Parser, SurgeAndUnavailableBothZeroDependsOnReplicas) {
  // 10% of 3 rounds up to 1 for surge: fine. 0 surge and 10% unavailable of 3 rounds down to 0: invalid.
  EXPECT_EQ(errorOf(minimalSpec("  replicas: 3\n  strategy: {rollingUpdate: {maxSurge: 10%, maxUnavailable: 0}}\n")), "");
  EXPECT_NE(errorOf(minimalSpec("  replicas: 3\n  strategy: {rollingUpdate: {maxSurge: 0, maxUnavailable: 10%}}\n")), "");
  EXPECT_EQ(errorOf(minimalSpec("  replicas: 10\n  strategy: {rollingUpdate: {maxSurge: 0, maxUnavailable: 10%}}\n")), "");
  EXPECT_EQ(errorOf(minimalSpec("  replicas: 0\n  strategy: {rollingUpdate: {maxSurge: 0, maxUnavailable: 0}}\n")), "");
}

TEST(Parser, ValidatesTypedSpecsDirectly) {
  ServiceSpec s;
  s.metadata.name = "web";
  s.listen = "127.0.0.1:8080";
  s.tmpl.command = {"./app"};
  EXPECT_TRUE(validate(s, "").empty());
  s.replicas = -1;
  s.strategy.rollingUpdate.maxSurge = IntOrPercent::percent(150);
  s.strategy.canary.steps.push_back(CanaryStep{StepKind::kSetWeight, 200, std::nullopt});
  auto errors = validate(s, "x.yaml");
  ASSERT_EQ(errors.size(), 3u);
  EXPECT_EQ(errors[0].path, "spec.replicas");
  EXPECT_EQ(errors[0].file, "x.yaml");
  EXPECT_EQ(errors[1].path, "spec.strategy.rollingUpdate.maxSurge");
  EXPECT_EQ(errors[2].path, "spec.strategy.canary.steps[0].setWeight");
}

TEST(Parser, MultipleDocumentsAreOneUnit) {
  std::string a = minimalSpec();
  std::string b = "apiVersion: rollway.dev/v1\nkind: Service\nmetadata: {name: api}\n"
                  "spec: {listen: '127.0.0.1:9090', template: {command: [./api]}}\n";
  auto both = parseServices(a + "---\n" + b, "two.yaml");
  ASSERT_TRUE(both) << both.error().str();
  ASSERT_EQ(both->size(), 2u);
  EXPECT_EQ((*both)[0].metadata.name, "web");
  EXPECT_EQ((*both)[1].metadata.name, "api");

  // One bad document rejects the whole file.
  std::string badB = b;
  badB.replace(badB.find("listen"), 6, "lisen");
  auto bad = parseServices(a + "---\n" + badB, "two.yaml");
  ASSERT_FALSE(bad);
  EXPECT_TRUE(hasField(bad.error(), "spec.lisen"));
  EXPECT_NE(bad.error().str().find("line 12"), std::string::npos) << bad.error().str();

  // Same listener: allowed with disjoint hosts, rejected when hosts overlap or one has none.
  std::string c = "apiVersion: rollway.dev/v1\nkind: Service\nmetadata: {name: api}\n"
                  "spec: {listen: '127.0.0.1:8080', hosts: [api.local], template: {command: [./api]}}\n";
  EXPECT_NE(errorOf(a + "---\n" + c), "");
  std::string aHosts = minimalSpec("  hosts: [web.local]\n");
  EXPECT_EQ(errorOf(aHosts + "---\n" + c), "");
  std::string cSame = c;
  cSame.replace(cSame.find("api.local"), 9, "WEB.local");
  EXPECT_NE(errorOf(aHosts + "---\n" + cSame), "");
}

TEST(Parser, EmptyInputsAreRejected) {
  for (const char* text : {"", "\n", "# just a comment\n", "---\n", "---\n---\n", "...\n", "%YAML 1.2\n---\n"}) {
    auto parsed = parseServices(text, "empty.yaml");
    ASSERT_FALSE(parsed) << text;
    EXPECT_NE(parsed.error().str().find("no document"), std::string::npos) << parsed.error().str();
  }
  for (const char* text : {"~\n", "null\n", ",\n", "---\n,\na: 1\n"}) {
    auto parsed = parseServices(text, "empty.yaml");
    ASSERT_FALSE(parsed) << text;
    EXPECT_NE(parsed.error().str().find("empty or not valid YAML"), std::string::npos) << parsed.error().str();
  }
}

TEST(Parser, DocumentsKeepTheirLineNumbers) {
  std::string text = "# header\n---\n" + minimalSpec() + "...\n---\n" + minimalSpec("  replicas: -1\n");
  auto parsed = parseServices(text, "lines.yaml");
  ASSERT_FALSE(parsed);
  ASSERT_EQ(parsed.error().fields.size(), 2u) << parsed.error().str();  // the negative replicas, the duplicate name
  // Line 1 comment, 2 ---, 3-9 first document, 10 ..., 11 ---, 12-18 second, 19 replicas.
  EXPECT_NE(parsed.error().str().find("spec.replicas: must not be negative, got -1 (line 19, column 13)"),
            std::string::npos) << parsed.error().str();
  EXPECT_NE(parsed.error().str().find("metadata.name: duplicate service name 'web' (documents 1 and 2) (line 14"),
            std::string::npos) << parsed.error().str();
  // A byte order mark and CRLF line ends are fine.
  std::string second = minimalSpec("  listen: 127.0.0.1:9\n");
  second.replace(second.find("name: web"), 9, "name: api");
  std::string crlf = "\xef\xbb\xbf";
  for (char c : minimalSpec() + "---\n" + second) {
    if (c == '\n') crlf += '\r';
    crlf += c;
  }
  EXPECT_NE(errorOf(crlf).find("spec.listen"), std::string::npos) << errorOf(crlf);  // listen given twice
}

TEST(Parser, SyntaxErrorsReportLineAndColumn) {
  auto parsed = parseServices("a: [1, 2\nb: 3\n", "bad.yaml");
  ASSERT_FALSE(parsed);
  ASSERT_EQ(parsed.error().fields.size(), 1u);
  EXPECT_NE(parsed.error().fields[0].reason.find("YAML syntax error at line"), std::string::npos);
}

TEST(Parser, ParseServicesFileReportsIoErrors) {
  auto parsed = parseServicesFile("/nonexistent/rollway.yaml");
  ASSERT_FALSE(parsed);
  EXPECT_EQ(parsed.error().code, ErrorCode::kIo);
}

// Inputs that must produce an error (never a crash, a hang or an exception).
TEST(Parser, GarbageNeverCrashes) {
  std::vector<std::string> inputs = {
      ",", ",\xa2", "a: b\n---\n,\n", "[:", "{:", "[:]", "{:]", "- !+(.,.)", "42", "- a\n- b\n", "\"just a string\"", "[", "{", "}", "]]]", ":", "? : ?", "&a *a", "*unknown",
      "a: &x [*x]\n", "apiVersion: &v rollway.dev/v1\nkind: *v\n",
      "spec: &s {template: *s}\n", "metadata: {name: [web]}\n", "{apiVersion: {a: b}, kind: [], metadata: 1, spec: true}",
      "!!binary aGVsbG8=", "%YAML 1.2\n---\na: 1\n", "%TAG ! tag:x,2000:\n---\n!foo a: b\n",
      std::string("a: b\0c", 6), "\xff\xfe\xfd", "\t\t- x", "a: 'unterminated", "? [a, b]\n: c\n",
      minimalSpec("  replicas: 999999999999999999999999999999999999999999\n"),
      minimalSpec("  strategy: {canary: {steps: [[], {}, 1, ~, {pause: 3}, {analysis: [1]}, {setWeight: ~}]}}\n"),
      minimalSpec("  analysis: {metrics: [1, [], {name: ~}, {provider: {}}, {provider: {webhook: ~, prometheus: ~}}]}\n"),
      minimalSpec("", "    readinessProbe: {httpGet: 1}\n    livenessProbe: []\n    lifecycle: {preStop: {sleep: 1}}\n"),
  };
  inputs.push_back(std::string(100000, '['));
  inputs.push_back(std::string(100000, '{'));
  inputs.push_back(std::string(3000, '[') + std::string(3000, ']'));
  std::string blockNesting;
  for (int i = 0; i < 500; ++i) blockNesting += std::string(static_cast<std::size_t>(i) * 2, ' ') + "- \n";
  inputs.push_back(blockNesting);
  std::string mapNesting;
  for (int i = 0; i < 500; ++i) mapNesting += std::string(static_cast<std::size_t>(i) * 2, ' ') + "a:\n";
  inputs.push_back(mapNesting);
  std::string laughs = "a: &a [x, x, x, x, x, x, x, x]\n";
  for (char c = 'b'; c <= 'z'; ++c) {
    laughs += std::string(1, c) + ": &" + c + " [*" + static_cast<char>(c - 1) + ", *" + static_cast<char>(c - 1) + "]\n";
  }
  inputs.push_back(laughs);
  std::mt19937 rng(12345);
  for (int i = 0; i < 300; ++i) {
    std::string random(static_cast<std::size_t>(rng() % 200), '\0');
    for (char& ch : random) ch = static_cast<char>(rng() % 256);
    inputs.push_back(random);
  }
  // Mutations of a valid spec: flip, drop and duplicate characters.
  const std::string valid = minimalSpec("  strategy: {type: Canary, canary: {steps: [{setWeight: 10}, {pause: {duration: 5s}}]}}\n");
  for (int i = 0; i < 300; ++i) {
    std::string m = valid;
    for (int k = 0; k < 3; ++k) {
      std::size_t at = rng() % m.size();
      switch (rng() % 3) {
        case 0: m[at] = static_cast<char>(rng() % 128); break;
        case 1: m.erase(at, 1); break;
        default: m.insert(at, 1, m[rng() % m.size()]); break;
      }
    }
    inputs.push_back(m);
  }
  for (const auto& input : inputs) {
    Result<std::vector<ServiceSpec>> parsed;
    EXPECT_NO_THROW(parsed = parseServices(input, "garbage.yaml"));
    if (!parsed) {
      EXPECT_EQ(parsed.error().code, ErrorCode::kInvalidArgument);
      EXPECT_FALSE(parsed.error().fields.empty());
    }
  }
}

}  // namespace
}  // namespace rollway::spec

namespace rollway::spec {
namespace {

TEST(Parser, TimeoutsDefaultToTheProxyValues) {
  ServiceSpec s = testing::parseOne(testing::minimalSpec());
  EXPECT_EQ(s.timeouts.connect, Duration(2'000));
  EXPECT_EQ(s.timeouts.response, Duration(60'000));
  EXPECT_EQ(s.timeouts.body, Duration(60'000));
  EXPECT_EQ(s.timeouts.idle, Duration(60'000));
  EXPECT_EQ(s.timeouts.hold, Duration(10'000));
}

TEST(Parser, TimeoutsAreReadPerService) {
  ServiceSpec s = testing::parseOne(
      testing::minimalSpec("  timeouts: {connect: 250ms, response: 5s, body: 1s, idle: 2m, hold: 30s}\n"));
  EXPECT_EQ(s.timeouts.connect, Duration(250));
  EXPECT_EQ(s.timeouts.response, Duration(5'000));
  EXPECT_EQ(s.timeouts.body, Duration(1'000));
  EXPECT_EQ(s.timeouts.idle, Duration(120'000));
  EXPECT_EQ(s.timeouts.hold, Duration(30'000));
  // Partial: the others keep their defaults.
  ServiceSpec partial = testing::parseOne(testing::minimalSpec("  timeouts: {body: 3s}\n"));
  EXPECT_EQ(partial.timeouts.body, Duration(3'000));
  EXPECT_EQ(partial.timeouts.connect, Duration(2'000));
}

TEST(Parser, TimeoutsAreValidated) {
  auto parsed = parseServices(testing::minimalSpec("  timeouts: {connect: 0s, response: 2h, hold: 0ms}\n"), "t.yaml");
  ASSERT_FALSE(parsed);
  EXPECT_TRUE(hasField(parsed.error(), "spec.timeouts.connect")) << parsed.error().str();
  EXPECT_TRUE(hasField(parsed.error(), "spec.timeouts.response")) << parsed.error().str();
  EXPECT_TRUE(hasField(parsed.error(), "spec.timeouts.hold")) << parsed.error().str();
  EXPECT_FALSE(hasField(parsed.error(), "spec.timeouts.body"));
  EXPECT_NE(parsed.error().str().find("at most 1h"), std::string::npos) << parsed.error().str();
  EXPECT_NE(errorOf(testing::minimalSpec("  timeouts: {bodyy: 1s}\n")).find("spec.timeouts.bodyy"), std::string::npos)
      << errorOf(testing::minimalSpec("  timeouts: {bodyy: 1s}\n"));
  EXPECT_NE(errorOf(testing::minimalSpec("  timeouts: {body: fast}\n")), "");
  EXPECT_NE(errorOf(testing::minimalSpec("  timeouts: {idle: -1s}\n")), "");
  EXPECT_EQ(errorOf(testing::minimalSpec("  timeouts: {idle: 1h}\n")), "");
}

TEST(Parser, TimeoutsSurviveTheCanonicalForm) {
  ServiceSpec s = testing::parseOne(testing::minimalSpec("  timeouts: {connect: 250ms, body: 1500ms}\n"));
  auto j = toJson(s);
  EXPECT_EQ(j["spec"]["timeouts"]["connect"], "250ms");
  EXPECT_EQ(j["spec"]["timeouts"]["hold"], "10s");
  ServiceSpec back = testing::parseOne(j.dump());
  EXPECT_EQ(back.timeouts, s.timeouts);
  EXPECT_EQ(templateHash(back.tmpl), templateHash(testing::parseOne(testing::minimalSpec()).tmpl));
}

}  // namespace
}  // namespace rollway::spec
