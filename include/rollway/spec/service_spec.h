#pragma once

// The typed form of a rollway Service document (apiVersion rollway.dev/v1, kind Service).
// Field names follow Kubernetes wherever the concept exists there. Every default listed
// here is the one filled in by the parser when the field is absent.

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "rollway/spec/duration.h"
#include "rollway/spec/int_or_percent.h"

namespace rollway::spec {

inline constexpr const char* kApiVersion = "rollway.dev/v1";
inline constexpr const char* kKindService = "Service";

struct HttpHeader {
  std::string name;
  std::string value;
  bool operator==(const HttpHeader&) const = default;
};

struct HttpGetAction {
  std::string path = "/";
  int port = 0;                 // 0 = the instance's own ${PORT}
  std::string host;             // empty = 127.0.0.1
  std::string scheme = "HTTP";  // HTTP only for now
  std::vector<HttpHeader> httpHeaders;
  bool operator==(const HttpGetAction&) const = default;
};

struct TcpSocketAction {
  int port = 0;  // 0 = the instance's own ${PORT}
  std::string host;
  bool operator==(const TcpSocketAction&) const = default;
};

struct ExecAction {
  std::vector<std::string> command;  // argv, never run through a shell
  bool operator==(const ExecAction&) const = default;
};

enum class ProbeKind { kHttpGet, kTcpSocket, kExec };

struct Probe {
  ProbeKind kind = ProbeKind::kHttpGet;
  HttpGetAction httpGet;
  TcpSocketAction tcpSocket;
  ExecAction exec;
  int initialDelaySeconds = 0;
  int periodSeconds = 10;
  int timeoutSeconds = 1;
  int successThreshold = 1;  // must be 1 for liveness and startup probes
  int failureThreshold = 3;
  bool operator==(const Probe&) const = default;
};

enum class HandlerKind { kExec, kHttpGet, kSleep };

// lifecycle.preStop
struct LifecycleHandler {
  HandlerKind kind = HandlerKind::kSleep;
  ExecAction exec;
  HttpGetAction httpGet;
  int sleepSeconds = 0;
  bool operator==(const LifecycleHandler&) const = default;
};

struct Lifecycle {
  std::optional<LifecycleHandler> preStop;
  bool operator==(const Lifecycle&) const = default;
};

// spec.template: everything that defines a revision. Any change here = a new revision.
struct Template {
  std::string version;                    // free-form label, e.g. "v2"
  std::vector<std::string> command;       // argv; ${PORT} and ${VAR} substituted at start
  std::map<std::string, std::string> env;
  std::string workingDir;                 // empty = the directory of the spec file
  std::optional<Probe> startupProbe;
  std::optional<Probe> livenessProbe;
  std::optional<Probe> readinessProbe;
  Lifecycle lifecycle;
  int terminationGracePeriodSeconds = 30;
  bool operator==(const Template&) const = default;
};

struct RollingUpdate {
  IntOrPercent maxSurge = IntOrPercent::percent(25);        // rounds up
  IntOrPercent maxUnavailable = IntOrPercent::percent(25);  // rounds down
  bool operator==(const RollingUpdate&) const = default;
};

struct Stickiness {
  std::string header;  // e.g. X-User-Id
  std::string cookie;  // e.g. session
  bool operator==(const Stickiness&) const = default;
};

// A request matching a route is forced to the canary.
struct CanaryRoute {
  std::string headerName;
  std::string headerValue;
  std::string cookieName;
  std::string cookieValue;
  bool operator==(const CanaryRoute&) const = default;
};

enum class StepKind { kSetWeight, kPause, kAnalysis };

struct CanaryStep {
  StepKind kind = StepKind::kPause;
  int setWeight = 0;                      // 0..100, for kSetWeight
  std::optional<Duration> pauseDuration;  // kPause: absent = until promoted by hand
  bool operator==(const CanaryStep&) const = default;
};

struct Canary {
  Stickiness stickiness;
  std::vector<CanaryRoute> routes;
  std::vector<CanaryStep> steps;
  bool operator==(const Canary&) const = default;
};

struct BlueGreen {
  std::optional<int> autoPromotionSeconds;  // absent = promote by hand
  int scaleDownDelaySeconds = 30;
  std::string previewListen;                // optional host:port for the preview
  CanaryRoute previewRoute;                 // optional header/cookie for the preview
  bool operator==(const BlueGreen&) const = default;
};

enum class StrategyType { kRollingUpdate, kCanary, kBlueGreen };

struct Strategy {
  StrategyType type = StrategyType::kRollingUpdate;
  RollingUpdate rollingUpdate;
  Canary canary;
  BlueGreen blueGreen;
  bool operator==(const Strategy&) const = default;
};

enum class MetricProvider { kBuiltin, kPrometheus, kWebhook };

struct Metric {
  std::string name;              // unique within analysis.metrics
  MetricProvider provider = MetricProvider::kBuiltin;
  std::string successCondition;  // e.g. "< 0.01", "< 300ms", "canary.p99 <= stable.p99 * 1.2"
  std::string prometheusAddress;  // kPrometheus
  std::string query;              // kPrometheus
  std::string url;                // kWebhook
  bool operator==(const Metric&) const = default;
};

struct Analysis {
  Duration interval = Duration(5000);
  int failureLimit = 2;
  int inconclusiveLimit = 0;  // 0 = keep waiting
  int minRequests = 50;
  std::vector<Metric> metrics;
  bool operator==(const Analysis&) const = default;
};

struct DisruptionBudget {
  std::optional<IntOrPercent> minAvailable;
  std::optional<IntOrPercent> maxUnavailable;
  bool operator==(const DisruptionBudget&) const = default;
};

// spec.timeouts: the proxy's timeouts for this service (not part of a revision).
struct Timeouts {
  Duration connect = Duration(2'000);    // connecting to an instance
  Duration response = Duration(60'000);  // the response head after the request was sent; 504
  Duration body = Duration(60'000);      // no body progress in either direction
  Duration idle = Duration(60'000);      // a client keep-alive connection idle after a response
  Duration hold = Duration(10'000);      // a request waiting for a ready instance; 503
  bool operator==(const Timeouts&) const = default;
};

// Where instances may run in cluster mode (docs/cluster.md); ignored on one host. Not part
// of the template: changing it makes no new revision (it applies to new instances).
struct Placement {
  int maxPerNode = 0;  // 0: no cap of its own (instances are spread over the least loaded nodes)
  std::map<std::string, std::string> nodeSelector;  // every label must match the node's
  bool empty() const { return maxPerNode == 0 && nodeSelector.empty(); }
  bool operator==(const Placement&) const = default;
};

struct Webhook {
  std::string url;
  bool operator==(const Webhook&) const = default;
};

struct Metadata {
  std::string name;  // DNS label: [a-z0-9]([-a-z0-9]*[a-z0-9])?, at most 63
  std::map<std::string, std::string> labels;
  bool operator==(const Metadata&) const = default;
};

struct ServiceSpec {
  Metadata metadata;
  int replicas = 1;
  std::string listen;              // host:port where the proxy serves this service
  std::vector<std::string> hosts;  // optional Host-header names sharing a listener
  Template tmpl;                   // "template" in YAML
  int minReadySeconds = 0;
  int progressDeadlineSeconds = 600;
  int revisionHistoryLimit = 10;
  bool paused = false;
  Strategy strategy;
  std::optional<Analysis> analysis;
  bool autoRollback = false;
  std::optional<DisruptionBudget> disruptionBudget;
  Placement placement;
  bool preferLocal = false;  // cluster mode: each node's proxy sends to its own node's instances first
  std::vector<Webhook> webhooks;  // notifications.webhooks
  Timeouts timeouts;
  bool operator==(const ServiceSpec&) const = default;
};

const char* strategyTypeName(StrategyType type);

}  // namespace rollway::spec
