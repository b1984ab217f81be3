#include "export/argo_rollout.h"

#include <gtest/gtest.h>

#include "unit/export/export_test_util.h"

namespace rollway::exporter {
namespace {

using nlohmann::json;
using namespace testing;  // NOLINT

const std::string kCanary =
    "  replicas: 4\n  autoRollback: true\n"
    "  strategy:\n    type: Canary\n    canary:\n"
    "      stickiness: {header: X-User-Id}\n"
    "      routes: [{header: {name: X-Canary, value: always}}]\n"
    "      steps: [{setWeight: 10}, {pause: {duration: 1m30s}}, {analysis: {}}, {setWeight: 50}, {pause: {}}]\n";

TEST(ArgoRollout, CanaryStepsMapOneToOne) {
  auto m = render(service("web", kCanary +
                                     "  analysis:\n    interval: 10s\n    failureLimit: 3\n    metrics:\n"
                                     "      - name: errors\n        successCondition: '<= 1%'\n"
                                     "        provider: {prometheus: {address: 'http://prom:9090', query: 'sum(x)'}}\n"));
  EXPECT_EQ(kindsAndNames(m), (std::vector<std::string>{"Service/web", "Service/web-canary", "Service/web-stable",
                                                        "AnalysisTemplate/web", "Rollout/web"}));
  json r = find(m, "Rollout", "web");
  EXPECT_EQ(r["apiVersion"], "argoproj.io/v1alpha1");
  EXPECT_EQ(r["spec"]["replicas"], 4);
  EXPECT_EQ(r["spec"]["progressDeadlineAbort"], true);
  EXPECT_EQ(r["spec"]["template"]["spec"]["containers"][0]["env"][4]["valueFrom"]["fieldRef"]["fieldPath"],
            "metadata.labels['rollouts-pod-template-hash']");
  const json canary = r["spec"]["strategy"]["canary"];
  EXPECT_EQ(canary["canaryService"], "web-canary");
  EXPECT_EQ(canary["stableService"], "web-stable");
  EXPECT_EQ(canary["maxUnavailable"], 0);
  EXPECT_EQ(canary["steps"], json::parse(R"([{"setWeight": 10}, {"pause": {"duration": "1m30s"}},
      {"analysis": {"templates": [{"templateName": "web"}]}}, {"setWeight": 50}, {"pause": {}}])"));
  json t = find(m, "AnalysisTemplate", "web");
  EXPECT_EQ(t["spec"]["metrics"], json::parse(R"j([{"name": "errors", "interval": "10s", "count": 3,
      "failureLimit": 2, "successCondition": "result[0] <= 0.01",
      "provider": {"prometheus": {"address": "http://prom:9090", "query": "sum(x)"}}}])j"));
  EXPECT_TRUE(hasNote(m, "spec.strategy.canary.stickiness"));
  EXPECT_TRUE(hasNote(m, "spec.strategy.canary.routes[0]", "web-canary"));
  EXPECT_TRUE(hasNote(m, "spec.strategy.canary.steps", "replica counts"));
  EXPECT_TRUE(hasNote(m, "spec.analysis", "minRequests 50"));
}

TEST(ArgoRollout, AnalysisWithNothingToMapBecomesAPauseAndEachMetricIsNoted) {
  auto m = render(service("web", kCanary +
                                     "  analysis:\n    metrics:\n"
                                     "      - {name: error-rate, successCondition: '< 0.01'}\n"
                                     "      - name: relative\n        successCondition: 'canary.p99 <= stable.p99 * 1.2'\n"
                                     "        provider: {prometheus: {address: 'http://prom:9090', query: 'q'}}\n"
                                     "      - name: hook\n        successCondition: '> 5'\n"
                                     "        provider: {webhook: {url: 'http://hook/'}}\n"));
  EXPECT_TRUE(find(m, "AnalysisTemplate", "web").is_null());
  EXPECT_EQ(find(m, "Rollout", "web")["spec"]["strategy"]["canary"]["steps"][2], json::parse(R"({"pause": {}})"));
  EXPECT_TRUE(hasNote(m, "spec.strategy.canary.steps[2]", "pause {}"));
  EXPECT_TRUE(hasNote(m, "spec.analysis.metrics[0]", "rollway's proxy"));
  EXPECT_TRUE(hasNote(m, "spec.analysis.metrics[1]", "compares canary with stable"));
  EXPECT_TRUE(hasNote(m, "spec.analysis.metrics[2]", "webhook"));
}

TEST(ArgoRollout, CanaryWithoutStepsHasNoStepsKey) {
  auto m = render(service("web", "  strategy: {type: Canary}\n"));
  EXPECT_FALSE(find(m, "Rollout", "web")["spec"]["strategy"]["canary"].contains("steps"));
  EXPECT_FALSE(find(m, "Rollout", "web")["spec"].contains("progressDeadlineAbort"));
  EXPECT_TRUE(m.notes.empty());
}

TEST(ArgoRollout, BlueGreenByHand) {
  auto m = render(service("web",
                          "  strategy:\n    type: BlueGreen\n    blueGreen:\n      scaleDownDelaySeconds: 60\n"
                          "      previewListen: 127.0.0.1:9082\n"
                          "      previewRoute: {header: {name: X-Preview, value: '1'}}\n"));
  EXPECT_EQ(kindsAndNames(m), (std::vector<std::string>{"Service/web", "Service/web-preview", "Rollout/web"}));
  EXPECT_EQ(find(m, "Rollout", "web")["spec"]["strategy"], json::parse(R"({"blueGreen": {"activeService": "web",
      "previewService": "web-preview", "autoPromotionEnabled": false, "scaleDownDelaySeconds": 60}})"));
  EXPECT_EQ(find(m, "Service", "web-preview")["spec"]["ports"][0]["port"], 9082);
  EXPECT_EQ(find(m, "Service", "web")["spec"]["ports"][0]["port"], 8080);
  EXPECT_TRUE(hasNote(m, "spec.strategy.blueGreen.previewRoute", "web-preview"));
}

TEST(ArgoRollout, BlueGreenAutoPromotion) {
  auto m = render(service("web", "  strategy: {type: BlueGreen, blueGreen: {autoPromotionSeconds: 300}}\n"));
  const json bg = find(m, "Rollout", "web")["spec"]["strategy"]["blueGreen"];
  EXPECT_EQ(bg["autoPromotionEnabled"], true);
  EXPECT_EQ(bg["autoPromotionSeconds"], 300);
  EXPECT_EQ(bg["scaleDownDelaySeconds"], 30);
  EXPECT_EQ(find(m, "Service", "web-preview")["spec"]["ports"][0]["port"], 8080);  // no previewListen
}

TEST(ArgoRollout, ConditionsInArgosTerms) {
  EXPECT_EQ(argoCondition("< 0.01"), "result[0] < 0.01");
  EXPECT_EQ(argoCondition("<= 300ms"), "result[0] <= 0.3");
  EXPECT_EQ(argoCondition(">= 98%"), "result[0] >= 0.98");
  EXPECT_EQ(argoCondition("== 0"), "result[0] == 0");
  EXPECT_EQ(argoCondition("!= 2m"), "result[0] != 120");
  EXPECT_EQ(argoCondition(" > 5 "), "result[0] > 5");
  EXPECT_EQ(argoCondition("canary.errorRate < stable.errorRate"), std::nullopt);
  EXPECT_EQ(argoCondition("< 1 + 2"), std::nullopt);
}

}  // namespace
}  // namespace rollway::exporter
