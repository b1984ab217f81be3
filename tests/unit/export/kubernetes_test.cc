#include "rollway/export/kubernetes.h"

#include <gtest/gtest.h>

#include "unit/export/export_test_util.h"

namespace rollway::exporter {
namespace {

using nlohmann::json;
using namespace testing;  // NOLINT

KubernetesOptions options(std::string image, int containerPort = 8080) {
  KubernetesOptions o;
  o.defaultImage = std::move(image);
  o.containerPort = containerPort;
  return o;
}

json container(const json& workload) { return workload["spec"]["template"]["spec"]["containers"][0]; }

TEST(RenderKubernetes, RollingUpdateMapsEveryDeploymentField) {
  auto m = render(service("web",
                          "  replicas: 4\n  minReadySeconds: 5\n  progressDeadlineSeconds: 300\n"
                          "  revisionHistoryLimit: 3\n  paused: true\n"
                          "  strategy: {type: RollingUpdate, rollingUpdate: {maxSurge: 1, maxUnavailable: 0}}\n",
                          "    terminationGracePeriodSeconds: 45\n"));
  EXPECT_EQ(kindsAndNames(m), (std::vector<std::string>{"Service/web", "Deployment/web"}));
  json d = find(m, "Deployment", "web");
  EXPECT_EQ(d["apiVersion"], "apps/v1");
  EXPECT_EQ(d["spec"]["replicas"], 4);
  EXPECT_EQ(d["spec"]["minReadySeconds"], 5);
  EXPECT_EQ(d["spec"]["progressDeadlineSeconds"], 300);
  EXPECT_EQ(d["spec"]["revisionHistoryLimit"], 3);
  EXPECT_EQ(d["spec"]["paused"], true);
  EXPECT_EQ(d["spec"]["strategy"], json::parse(R"({"type": "RollingUpdate",
                                                    "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0}})"));
  EXPECT_EQ(d["spec"]["selector"]["matchLabels"], json::parse(R"({"app.kubernetes.io/name": "web"})"));
  EXPECT_EQ(d["spec"]["template"]["metadata"]["labels"]["app.kubernetes.io/name"], "web");
  EXPECT_EQ(d["spec"]["template"]["metadata"]["labels"]["app.kubernetes.io/version"], "v1");
  EXPECT_EQ(d["spec"]["template"]["spec"]["terminationGracePeriodSeconds"], 45);
  const json c = container(d);
  EXPECT_EQ(c["name"], "web");
  EXPECT_EQ(c["image"], "registry.example.com/web:v1");
  EXPECT_EQ(c["command"], json::parse(R"(["/srv/app"])"));
  EXPECT_EQ(c["args"], json::parse(R"j(["--port", "$(PORT)"])j"));
  EXPECT_EQ(c["ports"], json::parse(R"([{"name": "http", "containerPort": 8080, "protocol": "TCP"}])"));
  json s = find(m, "Service", "web");
  EXPECT_EQ(s["spec"]["ports"], json::parse(R"([{"name": "http", "port": 8080, "targetPort": "http", "protocol": "TCP"}])"));
  EXPECT_EQ(s["spec"]["selector"], json::parse(R"({"app.kubernetes.io/name": "web"})"));
  EXPECT_TRUE(m.notes.empty()) << m.notes.front().str();
}

TEST(RenderKubernetes, PercentStaysAStringAndIntAnInt) {
  auto m = render(service("web", "  strategy: {rollingUpdate: {maxSurge: 25%, maxUnavailable: 1}}\n"
                                 "  disruptionBudget: {maxUnavailable: 10%}\n"));
  json d = find(m, "Deployment", "web");
  EXPECT_EQ(d["spec"]["strategy"]["rollingUpdate"]["maxSurge"], "25%");
  EXPECT_EQ(d["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"], 1);
  json pdb = find(m, "PodDisruptionBudget", "web");
  EXPECT_EQ(pdb["apiVersion"], "policy/v1");
  EXPECT_EQ(pdb["spec"]["maxUnavailable"], "10%");
  EXPECT_FALSE(pdb["spec"].contains("minAvailable"));
  EXPECT_EQ(pdb["spec"]["selector"]["matchLabels"]["app.kubernetes.io/name"], "web");

  auto ints = render(service("web", "  disruptionBudget: {minAvailable: 2}\n"));
  EXPECT_EQ(find(ints, "PodDisruptionBudget", "web")["spec"]["minAvailable"], 2);
  EXPECT_EQ(find(ints, "Deployment", "web")["spec"]["strategy"]["rollingUpdate"]["maxSurge"], "25%");  // default
}

TEST(RenderKubernetes, PlacementsNodeSelectorIsThePodsAndMaxPerNodeANote) {
  auto m = render(service("web", "  placement: {maxPerNode: 2, nodeSelector: {zone: a}}\n"));
  json d = find(m, "Deployment", "web");
  EXPECT_EQ(d["spec"]["template"]["spec"]["nodeSelector"], json::parse(R"({"zone": "a"})"));
  EXPECT_TRUE(hasNote(m, "spec.placement.maxPerNode", "not carried over"));
  auto plain = render(service("web"));
  EXPECT_FALSE(find(plain, "Deployment", "web")["spec"]["template"]["spec"].contains("nodeSelector"));
  EXPECT_FALSE(hasNote(plain, "spec.placement.maxPerNode"));
}

TEST(RenderKubernetes, NoBudgetWithoutDisruptionBudget) {
  auto m = render(service("web"));
  EXPECT_TRUE(find(m, "PodDisruptionBudget", "web").is_null());
}

TEST(RenderKubernetes, ProbesKeepKindsPeriodsThresholdsAndTimeouts) {
  auto m = render(service("web", "",
                          "    startupProbe: {httpGet: {path: /healthz, httpHeaders: [{name: X-Probe, value: '1'}]},"
                          " periodSeconds: 1, failureThreshold: 30, initialDelaySeconds: 2}\n"
                          "    livenessProbe: {tcpSocket: {port: 9000}, timeoutSeconds: 3}\n"
                          "    readinessProbe: {exec: {command: [/bin/check, '${PORT}']}, successThreshold: 2}\n"));
  const json c = container(find(m, "Deployment", "web"));
  EXPECT_EQ(c["startupProbe"], json::parse(R"({"httpGet": {"path": "/healthz", "port": "http", "scheme": "HTTP",
      "httpHeaders": [{"name": "X-Probe", "value": "1"}]}, "initialDelaySeconds": 2, "periodSeconds": 1,
      "timeoutSeconds": 1, "successThreshold": 1, "failureThreshold": 30})"));
  EXPECT_EQ(c["livenessProbe"]["tcpSocket"], json::parse(R"({"port": 9000})"));
  EXPECT_EQ(c["livenessProbe"]["timeoutSeconds"], 3);
  EXPECT_EQ(c["livenessProbe"]["periodSeconds"], 10);
  // Kubernetes substitutes nothing in exec: ${PORT} becomes the container port.
  EXPECT_EQ(c["readinessProbe"]["exec"]["command"], json::parse(R"(["/bin/check", "8080"])"));
  EXPECT_EQ(c["readinessProbe"]["successThreshold"], 2);
}

TEST(RenderKubernetes, ProbeHostIsDroppedWithANote) {
  auto m = render(service("web", "", "    readinessProbe: {httpGet: {path: /ready, host: 127.0.0.1, port: 9001}}\n"));
  const json probe = container(find(m, "Deployment", "web"))["readinessProbe"]["httpGet"];
  EXPECT_FALSE(probe.contains("host"));
  EXPECT_EQ(probe["port"], 9001);
  EXPECT_TRUE(hasNote(m, "spec.template.readinessProbe.httpGet.host", "pod's IP"));
}

TEST(RenderKubernetes, PreStopExecAndHttpGetCarryOverAndSleepBecomesExec) {
  auto exec = render(service("web", "", "    lifecycle: {preStop: {exec: {command: [/bin/drain, --port, '${PORT}']}}}\n"));
  EXPECT_EQ(container(find(exec, "Deployment", "web"))["lifecycle"],
            json::parse(R"({"preStop": {"exec": {"command": ["/bin/drain", "--port", "8080"]}}})"));
  EXPECT_TRUE(exec.notes.empty());

  auto http = render(service("web", "", "    lifecycle: {preStop: {httpGet: {path: /quit}}}\n"));
  EXPECT_EQ(container(find(http, "Deployment", "web"))["lifecycle"]["preStop"]["httpGet"],
            json::parse(R"({"path": "/quit", "port": "http", "scheme": "HTTP"})"));

  auto sleep = render(service("web", "", "    lifecycle: {preStop: {sleep: {seconds: 5}}}\n"));
  EXPECT_EQ(container(find(sleep, "Deployment", "web"))["lifecycle"],
            json::parse(R"({"preStop": {"exec": {"command": ["sleep", "5"]}}})"));
  EXPECT_TRUE(hasNote(sleep, "spec.template.lifecycle.preStop.sleep", "exec [sleep, 5]"));
}

TEST(RenderKubernetes, EnvHasRollwaysVariablesFirstThenTheTemplates) {
  auto m = render(service("web", "", "    env: {GREETING: hello, URL: 'http://x:${PORT}/', PORT: '1'}\n"));
  const json env = container(find(m, "Deployment", "web"))["env"];
  ASSERT_EQ(env.size(), 7u);
  EXPECT_EQ(env[0], json::parse(R"({"name": "PORT", "value": "8080"})"));
  EXPECT_EQ(env[1], json::parse(R"({"name": "ROLLWAY_SERVICE", "value": "web"})"));
  EXPECT_EQ(env[2], json::parse(R"({"name": "ROLLWAY_VERSION", "value": "v1"})"));
  EXPECT_EQ(env[3]["valueFrom"]["fieldRef"]["fieldPath"], "metadata.name");
  EXPECT_EQ(env[4]["valueFrom"]["fieldRef"]["fieldPath"], "metadata.labels['pod-template-hash']");
  EXPECT_EQ(env[5], json::parse(R"({"name": "GREETING", "value": "hello"})"));
  EXPECT_EQ(env[6], json::parse(R"({"name": "URL", "value": "http://x:$(PORT)/"})"));
  // rollway sets PORT itself, whatever the template says: so does the export, and says so.
  EXPECT_TRUE(hasNote(m, "spec.template.env.PORT", "not carried over"));
}

TEST(RenderKubernetes, MissingImageIsAPlaceholderAndANote) {
  auto out = renderKubernetes(parse(service("web")), {});
  ASSERT_TRUE(out) << out.error().str();
  EXPECT_EQ(container(find(*out, "Deployment", "web"))["image"], "IMAGE-NOT-SET/web");
  ASSERT_EQ(out->notes.size(), 1u);
  EXPECT_EQ(out->notes[0].field, "spec.template");
  EXPECT_NE(out->notes[0].str().find("web: spec.template: no container image"), std::string::npos);
  EXPECT_NE(out->yaml().find("#   spec.template: no container image"), std::string::npos);
}

TEST(RenderKubernetes, ImagesPerServiceWinOverTheDefault) {
  KubernetesOptions o = options("r.example.com/{name}:{version}");
  o.images = {{"api", "ghcr.io/acme/api@sha256:abc"}};
  auto m = render(service("web") + "---\n" + service("api", "", "", "127.0.0.1:8081"), o);
  EXPECT_EQ(container(find(m, "Deployment", "web"))["image"], "r.example.com/web:v1");
  EXPECT_EQ(container(find(m, "Deployment", "api"))["image"], "ghcr.io/acme/api@sha256:abc");
}

TEST(RenderKubernetes, SeveralServicesInFileOrderEachCompleteBeforeTheNext) {
  auto m = render(service("web", "  disruptionBudget: {minAvailable: 50%}\n") + "---\n" +
                  service("api", "  strategy: {type: BlueGreen}\n", "", "127.0.0.1:8081") + "---\n" +
                  service("cart", "  strategy: {type: Canary, canary: {steps: [{setWeight: 20}]}}\n", "",
                          "127.0.0.1:8082"));
  EXPECT_EQ(kindsAndNames(m), (std::vector<std::string>{
                                  "Service/web", "PodDisruptionBudget/web", "Deployment/web",             //
                                  "Service/api", "Service/api-preview", "Rollout/api",                   //
                                  "Service/cart", "Service/cart-canary", "Service/cart-stable", "Rollout/cart"}));
  EXPECT_EQ(find(m, "Service", "api")["spec"]["ports"][0]["port"], 8081);
  std::string yaml = m.yaml();
  EXPECT_EQ(yaml.rfind("---\n# rollway Service web (RollingUpdate strategy)\napiVersion: v1\n", 0), 0u) << yaml;
  EXPECT_NE(yaml.find("---\n# rollway Service cart (Canary strategy)\n"), std::string::npos);
  EXPECT_EQ(yaml, render(service("web", "  disruptionBudget: {minAvailable: 50%}\n") + "---\n" +
                         service("api", "  strategy: {type: BlueGreen}\n", "", "127.0.0.1:8081") + "---\n" +
                         service("cart", "  strategy: {type: Canary, canary: {steps: [{setWeight: 20}]}}\n", "",
                                 "127.0.0.1:8082"))
                      .yaml());
}

TEST(RenderKubernetes, NamespaceAndValidLabelsGoOnEveryObject) {
  KubernetesOptions o = options("r/x:1");
  o.namespaceName = "shop";
  auto m = render("apiVersion: rollway.dev/v1\nkind: Service\nmetadata: {name: web, labels: {team: payments, "
                  "'bad key!': x}}\nspec:\n  listen: :80\n  template: {command: [/app]}\n"
                  "  disruptionBudget: {minAvailable: 1}\n",
                  o);
  for (const auto& d : m.documents) {
    EXPECT_EQ(d.object["metadata"]["namespace"], "shop");
    EXPECT_EQ(d.object["metadata"]["labels"]["team"], "payments");
    EXPECT_FALSE(d.object["metadata"]["labels"].contains("bad key!"));
  }
  EXPECT_TRUE(hasNote(m, "metadata.labels.bad key!", "not a valid Kubernetes label"));
  // No version: no version label, no annotation.
  EXPECT_FALSE(find(m, "Deployment", "web")["spec"]["template"]["metadata"].contains("annotations"));
}

TEST(RenderKubernetes, WhatKubernetesHasNoPlaceForIsNoted) {
  auto m = render(service("web",
                          "  hosts: [web.example.com]\n  autoRollback: true\n"
                          "  timeouts: {response: 30s, hold: 10s}\n"
                          "  notifications: {webhooks: [{url: 'https://hooks.example.com/x'}]}\n"
                          "  analysis: {metrics: [{name: error-rate, successCondition: '< 0.01'}]}\n",
                          "    workingDir: /srv\n"));
  EXPECT_TRUE(hasNote(m, "spec.hosts", "Ingress"));
  EXPECT_TRUE(hasNote(m, "spec.timeouts.response", "30s"));
  EXPECT_FALSE(hasNote(m, "spec.timeouts.hold"));  // the default: nothing lost
  EXPECT_TRUE(hasNote(m, "spec.notifications.webhooks[0]"));
  EXPECT_TRUE(hasNote(m, "spec.autoRollback", "not rolled back"));
  EXPECT_TRUE(hasNote(m, "spec.analysis", "no analysis"));
  EXPECT_TRUE(hasNote(m, "spec.template.workingDir", "/srv"));
  EXPECT_FALSE(container(find(m, "Deployment", "web")).contains("workingDir"));
  for (const auto& n : m.notes) EXPECT_EQ(n.service, "web");
}

TEST(RenderKubernetes, RelativeCommandIsNoted) {
  auto m = render("apiVersion: rollway.dev/v1\nkind: Service\nmetadata: {name: web}\nspec:\n  listen: :80\n"
                  "  template: {command: [../bin/app]}\n");
  EXPECT_TRUE(hasNote(m, "spec.template.command[0]", "WORKDIR"));
}

TEST(RenderKubernetes, NameClashesAndBadOptionsAreErrors) {
  auto clash = renderKubernetes(
      parse(service("web", "  strategy: {type: Canary}\n") + "---\n" + service("web-canary", "", "", "127.0.0.1:8081")),
      options("r/x:1"));
  ASSERT_FALSE(clash);
  EXPECT_EQ(clash.error().code, ErrorCode::kInvalidArgument);
  ASSERT_EQ(clash.error().fields.size(), 1u);
  EXPECT_NE(clash.error().fields[0].reason.find("the Service 'web-canary' would also be rendered"), std::string::npos)
      << clash.error().str();

  auto digit = renderKubernetes(parse(service("1web")), options("r/x:1"));
  ASSERT_FALSE(digit);
  EXPECT_NE(digit.error().str().find("must start with a letter"), std::string::npos) << digit.error().str();

  KubernetesOptions images;
  images.images = {{"api", "r/api:1"}};
  auto unknown = renderKubernetes(parse(service("web")), images);
  ASSERT_FALSE(unknown);
  EXPECT_NE(unknown.error().str().find("no service of that name"), std::string::npos);

  auto port = renderKubernetes(parse(service("web")), options("", 0));
  ASSERT_FALSE(port);
  EXPECT_NE(port.error().str().find("--container-port"), std::string::npos);

  auto space = renderKubernetes(parse(service("web")), options("r/x :1"));
  EXPECT_FALSE(space);
}

TEST(RenderKubernetes, ContainerPortOptionMovesPortEverywhere) {
  auto m = render(service("web", "", "    readinessProbe: {exec: {command: [/check, '${PORT}']}}\n"),
                  options("r/x:1", 3000));
  const json c = container(find(m, "Deployment", "web"));
  EXPECT_EQ(c["ports"][0]["containerPort"], 3000);
  EXPECT_EQ(c["env"][0]["value"], "3000");
  EXPECT_EQ(c["readinessProbe"]["exec"]["command"][1], "3000");
}

}  // namespace
}  // namespace rollway::exporter
