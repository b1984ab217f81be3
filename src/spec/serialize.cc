#include "rollway/spec/serialize.h"

#include <cstdint>
#include <string_view>

#include <yaml-cpp/yaml.h>

namespace rollway::spec {

namespace {

using nlohmann::json;

json intOrPercentJson(const IntOrPercent& v) {
  if (v.isPercent()) return v.str();
  return v.value();
}

json commandJson(const std::vector<std::string>& command) { return json(command); }

json httpGetJson(const HttpGetAction& h) {
  json out = {{"path", h.path}, {"scheme", h.scheme}};
  if (h.port != 0) out["port"] = h.port;
  if (!h.host.empty()) out["host"] = h.host;
  if (!h.httpHeaders.empty()) {
    json headers = json::array();
    for (const auto& header : h.httpHeaders) headers.push_back({{"name", header.name}, {"value", header.value}});
    out["httpHeaders"] = std::move(headers);
  }
  return out;
}

json probeJson(const Probe& p) {
  json out = {{"initialDelaySeconds", p.initialDelaySeconds}, {"periodSeconds", p.periodSeconds},
              {"timeoutSeconds", p.timeoutSeconds}, {"successThreshold", p.successThreshold},
              {"failureThreshold", p.failureThreshold}};
  switch (p.kind) {
    case ProbeKind::kHttpGet: out["httpGet"] = httpGetJson(p.httpGet); break;
    case ProbeKind::kTcpSocket: {
      json tcp = json::object();
      if (p.tcpSocket.port != 0) tcp["port"] = p.tcpSocket.port;
      if (!p.tcpSocket.host.empty()) tcp["host"] = p.tcpSocket.host;
      out["tcpSocket"] = std::move(tcp);
      break;
    }
    case ProbeKind::kExec: out["exec"] = {{"command", commandJson(p.exec.command)}}; break;
  }
  return out;
}

json handlerJson(const LifecycleHandler& h) {
  switch (h.kind) {
    case HandlerKind::kExec: return {{"exec", {{"command", commandJson(h.exec.command)}}}};
    case HandlerKind::kHttpGet: return {{"httpGet", httpGetJson(h.httpGet)}};
    case HandlerKind::kSleep: break;
  }
  return {{"sleep", {{"seconds", h.sleepSeconds}}}};
}

// {header: {name, value}} or {cookie: {name, value}}; an empty route is an empty map.
json routeJson(const CanaryRoute& r) {
  json out = json::object();
  if (!r.headerName.empty() || !r.headerValue.empty()) {
    out["header"] = {{"name", r.headerName}, {"value", r.headerValue}};
  }
  if (!r.cookieName.empty() || !r.cookieValue.empty()) {
    out["cookie"] = {{"name", r.cookieName}, {"value", r.cookieValue}};
  }
  return out;
}

json stepJson(const CanaryStep& s) {
  switch (s.kind) {
    case StepKind::kSetWeight: return {{"setWeight", s.setWeight}};
    case StepKind::kAnalysis: return {{"analysis", json::object()}};
    case StepKind::kPause: break;
  }
  json pause = json::object();
  if (s.pauseDuration) pause["duration"] = formatDuration(*s.pauseDuration);
  return {{"pause", std::move(pause)}};
}

json strategyJson(const Strategy& s) {
  json out = {{"type", strategyTypeName(s.type)},
              {"rollingUpdate",
               {{"maxSurge", intOrPercentJson(s.rollingUpdate.maxSurge)},
                {"maxUnavailable", intOrPercentJson(s.rollingUpdate.maxUnavailable)}}}};
  // The blocks of the other strategies are kept only when they say something.
  if (s.type == StrategyType::kCanary || s.canary != Canary{}) {
    json stickiness = json::object();
    if (!s.canary.stickiness.header.empty()) stickiness["header"] = s.canary.stickiness.header;
    if (!s.canary.stickiness.cookie.empty()) stickiness["cookie"] = s.canary.stickiness.cookie;
    json routes = json::array();
    for (const auto& r : s.canary.routes) routes.push_back(routeJson(r));
    json steps = json::array();
    for (const auto& step : s.canary.steps) steps.push_back(stepJson(step));
    out["canary"] = {{"stickiness", std::move(stickiness)}, {"routes", std::move(routes)}, {"steps", std::move(steps)}};
  }
  if (s.type == StrategyType::kBlueGreen || s.blueGreen != BlueGreen{}) {
    json bg = {{"scaleDownDelaySeconds", s.blueGreen.scaleDownDelaySeconds}};
    if (s.blueGreen.autoPromotionSeconds) bg["autoPromotionSeconds"] = *s.blueGreen.autoPromotionSeconds;
    if (!s.blueGreen.previewListen.empty()) bg["previewListen"] = s.blueGreen.previewListen;
    if (s.blueGreen.previewRoute != CanaryRoute{}) bg["previewRoute"] = routeJson(s.blueGreen.previewRoute);
    out["blueGreen"] = std::move(bg);
  }
  return out;
}

json metricJson(const Metric& m) {
  json out = {{"name", m.name}, {"successCondition", m.successCondition}};
  switch (m.provider) {
    case MetricProvider::kBuiltin: break;
    case MetricProvider::kPrometheus:
      out["provider"] = {{"prometheus", {{"address", m.prometheusAddress}, {"query", m.query}}}};
      break;
    case MetricProvider::kWebhook: out["provider"] = {{"webhook", {{"url", m.url}}}}; break;
  }
  return out;
}

json analysisJson(const Analysis& a) {
  json metrics = json::array();
  for (const auto& m : a.metrics) metrics.push_back(metricJson(m));
  return {{"interval", formatDuration(a.interval)}, {"failureLimit", a.failureLimit},
          {"inconclusiveLimit", a.inconclusiveLimit}, {"minRequests", a.minRequests},
          {"metrics", std::move(metrics)}};
}

// Strings that a YAML reader would take for something else are quoted.
bool needsQuotes(const std::string& s) {
  if (s.empty()) return true;
  static constexpr std::string_view kSpecial[] = {"~", "null", "Null", "NULL", "true", "True", "TRUE",
                                                  "false", "False", "FALSE", "yes", "Yes", "YES", "no",
                                                  "No", "NO", "on", "On", "ON", "off", "Off", "OFF",
                                                  "y", "Y", "n", "N"};
  for (auto special : kSpecial) {
    if (s == special) return true;
  }
  // A raw control character (e.g. CR) would be read back as a line break or not at all;
  // quoted, the emitter writes it as an escape (fuzz corpus spec_yaml/crash-cr-*).
  for (char c : s) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return true;
  }
  if (s.front() == '.') return true;  // .5, .inf, .nan
  // Anything made only of number characters (1e5, 0x1F, 1_000, 1:30, -3) reads as a number.
  return s.find_first_not_of("0123456789.+-_:eExXoO") == std::string::npos;
}

void emit(YAML::Emitter& out, const json& j) {
  switch (j.type()) {
    case json::value_t::object:
      if (j.empty()) {
        out << YAML::Flow << YAML::BeginMap << YAML::EndMap;
        return;
      }
      out << YAML::BeginMap;
      for (auto it = j.begin(); it != j.end(); ++it) {
        out << YAML::Key << it.key() << YAML::Value;
        emit(out, it.value());
      }
      out << YAML::EndMap;
      return;
    case json::value_t::array:
      if (j.empty()) {
        out << YAML::Flow << YAML::BeginSeq << YAML::EndSeq;
        return;
      }
      out << YAML::BeginSeq;
      for (const auto& item : j) emit(out, item);
      out << YAML::EndSeq;
      return;
    case json::value_t::string: {
      const auto& s = j.get_ref<const std::string&>();
      if (needsQuotes(s)) out << YAML::DoubleQuoted;
      out << s;
      return;
    }
    case json::value_t::boolean: out << j.get<bool>(); return;
    case json::value_t::number_integer: out << j.get<std::int64_t>(); return;
    case json::value_t::number_unsigned: out << j.get<std::uint64_t>(); return;
    case json::value_t::number_float: out << j.get<double>(); return;
    case json::value_t::null:
    case json::value_t::binary:
    case json::value_t::discarded: out << YAML::Null; return;
  }
}

}  // namespace

nlohmann::json toJson(const Template& t) {
  json out = {{"version", t.version},
              {"command", commandJson(t.command)},
              {"env", t.env.empty() ? json::object() : json(t.env)},
              {"workingDir", t.workingDir},
              {"terminationGracePeriodSeconds", t.terminationGracePeriodSeconds}};
  if (t.startupProbe) out["startupProbe"] = probeJson(*t.startupProbe);
  if (t.livenessProbe) out["livenessProbe"] = probeJson(*t.livenessProbe);
  if (t.readinessProbe) out["readinessProbe"] = probeJson(*t.readinessProbe);
  if (t.lifecycle.preStop) out["lifecycle"] = {{"preStop", handlerJson(*t.lifecycle.preStop)}};
  return out;
}

nlohmann::json toJson(const ServiceSpec& s) {
  json metadata = {{"name", s.metadata.name}};
  if (!s.metadata.labels.empty()) metadata["labels"] = s.metadata.labels;
  json spec = {{"replicas", s.replicas},
               {"listen", s.listen},
               {"hosts", json(s.hosts)},
               {"template", toJson(s.tmpl)},
               {"minReadySeconds", s.minReadySeconds},
               {"progressDeadlineSeconds", s.progressDeadlineSeconds},
               {"revisionHistoryLimit", s.revisionHistoryLimit},
               {"paused", s.paused},
               {"strategy", strategyJson(s.strategy)},
               {"autoRollback", s.autoRollback}};
  if (s.analysis) spec["analysis"] = analysisJson(*s.analysis);
  if (s.disruptionBudget) {
    json budget = json::object();
    if (s.disruptionBudget->minAvailable) budget["minAvailable"] = intOrPercentJson(*s.disruptionBudget->minAvailable);
    if (s.disruptionBudget->maxUnavailable) budget["maxUnavailable"] = intOrPercentJson(*s.disruptionBudget->maxUnavailable);
    spec["disruptionBudget"] = std::move(budget);
  }
  if (s.preferLocal) spec["preferLocal"] = true;  // absent when false, as placement
  if (!s.placement.empty()) {  // absent when unset: the canonical JSON of older specs stays the same
    json placement = json::object();
    if (s.placement.maxPerNode > 0) placement["maxPerNode"] = s.placement.maxPerNode;
    if (!s.placement.nodeSelector.empty()) placement["nodeSelector"] = s.placement.nodeSelector;
    spec["placement"] = std::move(placement);
  }
  spec["timeouts"] = {{"connect", formatDuration(s.timeouts.connect)},
                      {"response", formatDuration(s.timeouts.response)},
                      {"body", formatDuration(s.timeouts.body)},
                      {"idle", formatDuration(s.timeouts.idle)},
                      {"hold", formatDuration(s.timeouts.hold)}};
  if (!s.webhooks.empty()) {
    json hooks = json::array();
    for (const auto& w : s.webhooks) hooks.push_back({{"url", w.url}});
    spec["notifications"] = {{"webhooks", std::move(hooks)}};
  }
  return {{"apiVersion", kApiVersion}, {"kind", kKindService}, {"metadata", std::move(metadata)},
          {"spec", std::move(spec)}};
}

std::string toYaml(const nlohmann::json& j) {
  YAML::Emitter out;
  out.SetIndent(2);
  emit(out, j);
  std::string text = out.c_str();
  if (!text.empty() && text.back() != '\n') text += '\n';
  return text;
}

std::string templateHash(const Template& t) {
  // FNV-1a 64 over the canonical JSON (object keys sorted), rendered in base 36.
  std::uint64_t hash = 14695981039346656037ULL;
  for (unsigned char c : toJson(t).dump()) {
    hash ^= c;
    hash *= 1099511628211ULL;
  }
  constexpr std::string_view kDigits = "0123456789abcdefghijklmnopqrstuvwxyz";
  std::string out(10, '0');
  for (int i = 9; i >= 0; --i) {
    out[static_cast<std::size_t>(i)] = kDigits[hash % 36];
    hash /= 36;
  }
  return out;
}

}  // namespace rollway::spec
