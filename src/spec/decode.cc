#include "spec/decode.h"

#include <fmt/format.h>

namespace rollway::spec {

namespace {

using R = NodeReader;

void decodeHeaders(const YAML::Node& node, const std::string& path, std::vector<HttpHeader>& out,
                   NodeReader& r) {
  if (!r.expectList(node, path)) return;
  std::size_t i = 0;
  for (auto it = node.begin(); it != node.end(); ++it, ++i) {
    Fields f = r.fields(*it, indexPath(path, i), {"name", "value"});
    HttpHeader header;
    r.opt(f, "name", header.name, &R::readString);
    r.opt(f, "value", header.value, &R::readString);
    if (f.isMap() && !f.get("name")) r.error(f.path("name"), "is required");
    out.push_back(std::move(header));
  }
}

HttpGetAction decodeHttpGet(const YAML::Node& node, const std::string& path, NodeReader& r) {
  HttpGetAction action;
  Fields f = r.fields(node, path, {"path", "port", "host", "scheme", "httpHeaders"});
  r.opt(f, "path", action.path, &R::readString);
  r.opt(f, "port", action.port, &R::readInt);
  r.opt(f, "host", action.host, &R::readString);
  r.opt(f, "scheme", action.scheme, &R::readString);
  if (const YAML::Node* n = f.get("httpHeaders")) {
    decodeHeaders(*n, f.path("httpHeaders"), action.httpHeaders, r);
  }
  return action;
}

TcpSocketAction decodeTcpSocket(const YAML::Node& node, const std::string& path, NodeReader& r) {
  TcpSocketAction action;
  Fields f = r.fields(node, path, {"port", "host"});
  r.opt(f, "port", action.port, &R::readInt);
  r.opt(f, "host", action.host, &R::readString);
  return action;
}

ExecAction decodeExec(const YAML::Node& node, const std::string& path, NodeReader& r) {
  ExecAction action;
  Fields f = r.fields(node, path, {"command"});
  r.opt(f, "command", action.command, &R::readStringList);
  return action;
}

// The handler keys of `f` that are set; reports "none" or "several".
std::vector<std::string_view> handlerKeys(const Fields& f, const std::vector<std::string_view>& kinds,
                                          NodeReader& r) {
  std::vector<std::string_view> set;
  for (auto kind : kinds) {
    if (f.present(kind)) set.push_back(kind);
  }
  if (!f.isMap()) return {};
  if (set.empty()) {
    r.error(f.path(), fmt::format("needs exactly one handler: {}", fmt::join(kinds, ", ")));
  } else if (set.size() > 1) {
    r.error(f.path(), fmt::format("has several handlers ({}): choose one", fmt::join(set, ", ")));
    return {};
  }
  return set;
}

Probe decodeProbe(const YAML::Node& node, const std::string& path, NodeReader& r) {
  Probe probe;
  Fields f = r.fields(node, path,
                      {"httpGet", "tcpSocket", "exec", "initialDelaySeconds", "periodSeconds",
                       "timeoutSeconds", "successThreshold", "failureThreshold"});
  auto kinds = handlerKeys(f, {"httpGet", "tcpSocket", "exec"}, r);
  if (kinds.size() == 1) {
    std::string_view kind = kinds.front();
    const YAML::Node* n = f.get(kind);
    YAML::Node empty(YAML::NodeType::Map);
    const YAML::Node& value = n ? *n : empty;  // "httpGet: {}" and "httpGet:" mean all defaults
    if (kind == "httpGet") {
      probe.kind = ProbeKind::kHttpGet;
      probe.httpGet = decodeHttpGet(value, f.path(kind), r);
    } else if (kind == "tcpSocket") {
      probe.kind = ProbeKind::kTcpSocket;
      probe.tcpSocket = decodeTcpSocket(value, f.path(kind), r);
    } else {
      probe.kind = ProbeKind::kExec;
      probe.exec = decodeExec(value, f.path(kind), r);
    }
  }
  r.opt(f, "initialDelaySeconds", probe.initialDelaySeconds, &R::readInt);
  r.opt(f, "periodSeconds", probe.periodSeconds, &R::readInt);
  r.opt(f, "timeoutSeconds", probe.timeoutSeconds, &R::readInt);
  r.opt(f, "successThreshold", probe.successThreshold, &R::readInt);
  r.opt(f, "failureThreshold", probe.failureThreshold, &R::readInt);
  return probe;
}

LifecycleHandler decodeHandler(const YAML::Node& node, const std::string& path, NodeReader& r) {
  LifecycleHandler handler;
  Fields f = r.fields(node, path, {"exec", "httpGet", "sleep"});
  auto kinds = handlerKeys(f, {"exec", "httpGet", "sleep"}, r);
  if (kinds.size() != 1) return handler;
  std::string_view kind = kinds.front();
  YAML::Node empty(YAML::NodeType::Map);
  const YAML::Node* n = f.get(kind);
  const YAML::Node& value = n ? *n : empty;
  if (kind == "exec") {
    handler.kind = HandlerKind::kExec;
    handler.exec = decodeExec(value, f.path(kind), r);
  } else if (kind == "httpGet") {
    handler.kind = HandlerKind::kHttpGet;
    handler.httpGet = decodeHttpGet(value, f.path(kind), r);
  } else {
    handler.kind = HandlerKind::kSleep;
    Fields sleep = r.fields(value, f.path(kind), {"seconds"});
    if (sleep.isMap() && !sleep.get("seconds")) r.error(sleep.path("seconds"), "is required");
    r.opt(sleep, "seconds", handler.sleepSeconds, &R::readInt);
  }
  return handler;
}

Template decodeTemplate(const YAML::Node& node, const std::string& path, NodeReader& r) {
  Template t;
  Fields f = r.fields(node, path,
                      {"version", "command", "env", "workingDir", "startupProbe", "livenessProbe",
                       "readinessProbe", "lifecycle", "terminationGracePeriodSeconds"});
  r.opt(f, "version", t.version, &R::readString);
  r.opt(f, "command", t.command, &R::readStringList);
  r.opt(f, "env", t.env, &R::readStringMap);
  r.opt(f, "workingDir", t.workingDir, &R::readString);
  if (const YAML::Node* n = f.get("startupProbe")) t.startupProbe = decodeProbe(*n, f.path("startupProbe"), r);
  if (const YAML::Node* n = f.get("livenessProbe")) t.livenessProbe = decodeProbe(*n, f.path("livenessProbe"), r);
  if (const YAML::Node* n = f.get("readinessProbe")) t.readinessProbe = decodeProbe(*n, f.path("readinessProbe"), r);
  if (const YAML::Node* n = f.get("lifecycle")) {
    Fields lifecycle = r.fields(*n, f.path("lifecycle"), {"preStop"});
    if (const YAML::Node* p = lifecycle.get("preStop")) {
      t.lifecycle.preStop = decodeHandler(*p, lifecycle.path("preStop"), r);
    }
  }
  r.opt(f, "terminationGracePeriodSeconds", t.terminationGracePeriodSeconds, &R::readInt);
  return t;
}

// {header: {name, value}} or {cookie: {name, value}}; `optional` allows an empty map.
CanaryRoute decodeRoute(const YAML::Node& node, const std::string& path, NodeReader& r) {
  CanaryRoute route;
  Fields f = r.fields(node, path, {"header", "cookie"});
  auto kinds = handlerKeys(f, {"header", "cookie"}, r);
  if (kinds.size() != 1) return route;
  std::string_view kind = kinds.front();
  YAML::Node empty(YAML::NodeType::Map);
  const YAML::Node* n = f.get(kind);
  Fields match = r.fields(n ? *n : empty, f.path(kind), {"name", "value"});
  std::string& name = kind == "header" ? route.headerName : route.cookieName;
  std::string& value = kind == "header" ? route.headerValue : route.cookieValue;
  r.opt(match, "name", name, &R::readString);
  r.opt(match, "value", value, &R::readString);
  if (match.isMap() && !match.get("name")) r.error(match.path("name"), "is required");
  if (match.isMap() && !match.get("value")) r.error(match.path("value"), "is required");
  return route;
}

CanaryStep decodeStep(const YAML::Node& node, const std::string& path, NodeReader& r) {
  CanaryStep step;
  Fields f = r.fields(node, path, {"setWeight", "pause", "analysis"});
  auto kinds = handlerKeys(f, {"setWeight", "pause", "analysis"}, r);
  if (kinds.size() != 1) return step;
  std::string_view kind = kinds.front();
  if (kind == "setWeight") {
    step.kind = StepKind::kSetWeight;
    if (const YAML::Node* n = f.get(kind)) {
      r.readInt(*n, f.path(kind), step.setWeight);
    } else {
      r.error(f.path(kind), "must be a weight from 0 to 100");
    }
  } else if (kind == "pause") {
    step.kind = StepKind::kPause;
    if (const YAML::Node* n = f.get(kind)) {
      Fields pause = r.fields(*n, f.path(kind), {"duration"});
      if (const YAML::Node* d = pause.get("duration")) {
        Duration duration{};
        if (r.readDuration(*d, pause.path("duration"), duration)) step.pauseDuration = duration;
      }
    }
  } else {
    step.kind = StepKind::kAnalysis;
    if (const YAML::Node* n = f.get(kind)) r.fields(*n, f.path(kind), {});
  }
  return step;
}

Strategy decodeStrategy(const YAML::Node& node, const std::string& path, NodeReader& r) {
  Strategy s;
  Fields f = r.fields(node, path, {"type", "rollingUpdate", "canary", "blueGreen"});
  if (const YAML::Node* n = f.get("type")) {
    std::string type;
    if (r.readString(*n, f.path("type"), type)) {
      if (type == "RollingUpdate") {
        s.type = StrategyType::kRollingUpdate;
      } else if (type == "Canary") {
        s.type = StrategyType::kCanary;
      } else if (type == "BlueGreen") {
        s.type = StrategyType::kBlueGreen;
      } else {
        r.error(f.path("type"), *n,
                fmt::format("must be RollingUpdate, Canary or BlueGreen, got {}", describe(*n)));
      }
    }
  }
  if (const YAML::Node* n = f.get("rollingUpdate")) {
    Fields ru = r.fields(*n, f.path("rollingUpdate"), {"maxSurge", "maxUnavailable"});
    r.opt(ru, "maxSurge", s.rollingUpdate.maxSurge, &R::readIntOrPercent);
    r.opt(ru, "maxUnavailable", s.rollingUpdate.maxUnavailable, &R::readIntOrPercent);
  }
  if (const YAML::Node* n = f.get("canary")) {
    Fields c = r.fields(*n, f.path("canary"), {"stickiness", "routes", "steps"});
    if (const YAML::Node* st = c.get("stickiness")) {
      Fields sticky = r.fields(*st, c.path("stickiness"), {"header", "cookie"});
      r.opt(sticky, "header", s.canary.stickiness.header, &R::readString);
      r.opt(sticky, "cookie", s.canary.stickiness.cookie, &R::readString);
    }
    if (const YAML::Node* routes = c.get("routes"); routes && r.expectList(*routes, c.path("routes"))) {
      std::size_t i = 0;
      for (auto it = routes->begin(); it != routes->end(); ++it, ++i) {
        s.canary.routes.push_back(decodeRoute(*it, indexPath(c.path("routes"), i), r));
      }
    }
    if (const YAML::Node* steps = c.get("steps"); steps && r.expectList(*steps, c.path("steps"))) {
      std::size_t i = 0;
      for (auto it = steps->begin(); it != steps->end(); ++it, ++i) {
        s.canary.steps.push_back(decodeStep(*it, indexPath(c.path("steps"), i), r));
      }
    }
  }
  if (const YAML::Node* n = f.get("blueGreen")) {
    Fields bg = r.fields(*n, f.path("blueGreen"),
                         {"autoPromotionSeconds", "scaleDownDelaySeconds", "previewListen", "previewRoute"});
    if (const YAML::Node* a = bg.get("autoPromotionSeconds")) {
      int seconds = 0;
      if (r.readInt(*a, bg.path("autoPromotionSeconds"), seconds)) s.blueGreen.autoPromotionSeconds = seconds;
    }
    r.opt(bg, "scaleDownDelaySeconds", s.blueGreen.scaleDownDelaySeconds, &R::readInt);
    r.opt(bg, "previewListen", s.blueGreen.previewListen, &R::readString);
    if (const YAML::Node* p = bg.get("previewRoute")) {
      s.blueGreen.previewRoute = decodeRoute(*p, bg.path("previewRoute"), r);
    }
  }
  return s;
}

Metric decodeMetric(const YAML::Node& node, const std::string& path, NodeReader& r) {
  Metric m;
  Fields f = r.fields(node, path, {"name", "successCondition", "provider"});
  r.opt(f, "name", m.name, &R::readString);
  r.opt(f, "successCondition", m.successCondition, &R::readString);
  if (const YAML::Node* n = f.get("provider")) {
    Fields p = r.fields(*n, f.path("provider"), {"prometheus", "webhook"});
    auto kinds = handlerKeys(p, {"prometheus", "webhook"}, r);
    if (kinds.size() == 1) {
      YAML::Node empty(YAML::NodeType::Map);
      const YAML::Node* v = p.get(kinds.front());
      if (kinds.front() == "prometheus") {
        m.provider = MetricProvider::kPrometheus;
        Fields prom = r.fields(v ? *v : empty, p.path("prometheus"), {"address", "query"});
        r.opt(prom, "address", m.prometheusAddress, &R::readString);
        r.opt(prom, "query", m.query, &R::readString);
      } else {
        m.provider = MetricProvider::kWebhook;
        Fields hook = r.fields(v ? *v : empty, p.path("webhook"), {"url"});
        r.opt(hook, "url", m.url, &R::readString);
      }
    }
  }
  return m;
}

Analysis decodeAnalysis(const YAML::Node& node, const std::string& path, NodeReader& r) {
  Analysis a;
  Fields f = r.fields(node, path, {"interval", "failureLimit", "inconclusiveLimit", "minRequests", "metrics"});
  r.opt(f, "interval", a.interval, &R::readDuration);
  r.opt(f, "failureLimit", a.failureLimit, &R::readInt);
  r.opt(f, "inconclusiveLimit", a.inconclusiveLimit, &R::readInt);
  r.opt(f, "minRequests", a.minRequests, &R::readInt);
  if (const YAML::Node* n = f.get("metrics"); n && r.expectList(*n, f.path("metrics"))) {
    std::size_t i = 0;
    for (auto it = n->begin(); it != n->end(); ++it, ++i) {
      a.metrics.push_back(decodeMetric(*it, indexPath(f.path("metrics"), i), r));
    }
  }
  return a;
}

void decodeSpec(const YAML::Node& node, const std::string& path, ServiceSpec& s, NodeReader& r) {
  Fields f = r.fields(node, path,
                      {"replicas", "listen", "hosts", "template", "minReadySeconds",
                       "progressDeadlineSeconds", "revisionHistoryLimit", "paused", "strategy",
                       "analysis", "autoRollback", "disruptionBudget", "placement", "preferLocal", "notifications",
                       "timeouts"});
  r.opt(f, "replicas", s.replicas, &R::readInt);
  r.opt(f, "listen", s.listen, &R::readString);
  r.opt(f, "hosts", s.hosts, &R::readStringList);
  if (const YAML::Node* n = f.get("template")) {
    s.tmpl = decodeTemplate(*n, f.path("template"), r);
  } else if (f.isMap()) {
    r.error(f.path("template"), "is required (the template says how to run an instance)");
  }
  r.opt(f, "minReadySeconds", s.minReadySeconds, &R::readInt);
  r.opt(f, "progressDeadlineSeconds", s.progressDeadlineSeconds, &R::readInt);
  r.opt(f, "revisionHistoryLimit", s.revisionHistoryLimit, &R::readInt);
  r.opt(f, "paused", s.paused, &R::readBool);
  if (const YAML::Node* n = f.get("strategy")) s.strategy = decodeStrategy(*n, f.path("strategy"), r);
  if (const YAML::Node* n = f.get("analysis")) s.analysis = decodeAnalysis(*n, f.path("analysis"), r);
  r.opt(f, "autoRollback", s.autoRollback, &R::readBool);
  r.opt(f, "preferLocal", s.preferLocal, &R::readBool);
  if (const YAML::Node* n = f.get("timeouts")) {
    Fields t = r.fields(*n, f.path("timeouts"), {"connect", "response", "body", "idle", "hold"});
    r.opt(t, "connect", s.timeouts.connect, &R::readDuration);
    r.opt(t, "response", s.timeouts.response, &R::readDuration);
    r.opt(t, "body", s.timeouts.body, &R::readDuration);
    r.opt(t, "idle", s.timeouts.idle, &R::readDuration);
    r.opt(t, "hold", s.timeouts.hold, &R::readDuration);
  }
  if (const YAML::Node* n = f.get("disruptionBudget")) {
    Fields b = r.fields(*n, f.path("disruptionBudget"), {"minAvailable", "maxUnavailable"});
    DisruptionBudget budget;
    for (std::string_view key : {"minAvailable", "maxUnavailable"}) {
      if (const YAML::Node* v = b.get(key)) {
        IntOrPercent value;
        if (r.readIntOrPercent(*v, b.path(key), value)) {
          (key == "minAvailable" ? budget.minAvailable : budget.maxUnavailable) = value;
        }
      }
    }
    s.disruptionBudget = budget;
  }
  if (const YAML::Node* n = f.get("placement")) {
    Fields p = r.fields(*n, f.path("placement"), {"maxPerNode", "nodeSelector"});
    r.opt(p, "maxPerNode", s.placement.maxPerNode, &R::readInt);
    r.opt(p, "nodeSelector", s.placement.nodeSelector, &R::readStringMap);
  }
  if (const YAML::Node* n = f.get("notifications")) {
    Fields notifications = r.fields(*n, f.path("notifications"), {"webhooks"});
    const YAML::Node* hooks = notifications.get("webhooks");
    if (hooks && r.expectList(*hooks, notifications.path("webhooks"))) {
      std::size_t i = 0;
      for (auto it = hooks->begin(); it != hooks->end(); ++it, ++i) {
        Fields hook = r.fields(*it, indexPath(notifications.path("webhooks"), i), {"url"});
        Webhook webhook;
        r.opt(hook, "url", webhook.url, &R::readString);
        s.webhooks.push_back(std::move(webhook));
      }
    }
  }
}

void requireConstant(const Fields& f, std::string_view key, std::string_view expected, NodeReader& r) {
  const YAML::Node* n = f.get(key);
  if (n == nullptr) {
    r.error(f.path(key), fmt::format("is required: must be '{}'", expected));
    return;
  }
  std::string value;
  if (r.readString(*n, f.path(key), value) && value != expected) {
    r.error(f.path(key), *n, fmt::format("must be '{}', got {}", expected, describe(*n)));
  }
}

}  // namespace

ServiceSpec decodeService(const YAML::Node& document, NodeReader& r) {
  ServiceSpec s;
  Fields f = r.fields(document, "", {"apiVersion", "kind", "metadata", "spec"});
  if (!f.isMap()) return s;
  requireConstant(f, "apiVersion", kApiVersion, r);
  requireConstant(f, "kind", kKindService, r);
  if (const YAML::Node* n = f.get("metadata")) {
    Fields m = r.fields(*n, "metadata", {"name", "labels"});
    r.opt(m, "name", s.metadata.name, &R::readString);
    r.opt(m, "labels", s.metadata.labels, &R::readStringMap);
  } else {
    r.error("metadata", "is required (metadata.name names the service)");
  }
  if (const YAML::Node* n = f.get("spec")) {
    decodeSpec(*n, "spec", s, r);
  } else {
    r.error("spec", "is required");
  }
  return s;
}

}  // namespace rollway::spec
