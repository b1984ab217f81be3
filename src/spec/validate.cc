// validate(): the semantic checks on a typed ServiceSpec (ranges, names, cross-field rules).
#include <set>

#include <fmt/format.h>

#include "rollway/common/host_pattern.h"
#include "rollway/common/listen_address.h"
#include "rollway/spec/parser.h"
#include "spec/condition_syntax.h"
#include "spec/lexical.h"
#include "spec/node_reader.h"

namespace rollway::spec {

namespace {

// Upper bounds of the time fields: none may overflow a clock, none is useful beyond them.
constexpr long long kDay = 86'400;
constexpr long long kMonth = 30 * kDay;          // 2592000 s = 720h
constexpr long long kProbeSeconds = 3'600;       // probe periods, timeouts; preStop sleep
constexpr Duration kMaxInterval = std::chrono::hours(24);
constexpr Duration kMaxPause = std::chrono::hours(24 * 30);

class Checker {
 public:
  explicit Checker(std::string_view file) : file_(file) {}

  void error(std::string path, std::string reason) {
    errors_.push_back(FieldError{file_, std::move(path), std::move(reason)});
  }
  void atLeast(const std::string& path, long long value, long long min) {
    if (value >= min) return;
    if (min == 0) {
      error(path, fmt::format("must not be negative, got {}", value));
    } else {
      error(path, fmt::format("must be at least {}, got {}", min, value));
    }
  }
  void range(const std::string& path, long long value, long long min, long long max) {
    if (value < min || value > max) error(path, fmt::format("must be from {} to {}, got {}", min, max, value));
  }
  // A count of seconds from `min` to `max`; the message shows the bound as a duration.
  void seconds(const std::string& path, long long value, long long min, long long max) {
    if (value < min) {
      atLeast(path, value, min);
    } else if (value > max) {
      error(path, fmt::format("must be at most {} ({}), got {}", max, formatDuration(std::chrono::seconds(max)), value));
    }
  }
  void duration(const std::string& path, Duration value, Duration min, Duration max) {
    if (value < min) {
      error(path, fmt::format("must be at least {}, got {}", formatDuration(min), formatDuration(value)));
    } else if (value > max) {
      error(path, fmt::format("must be at most {}, got {}", formatDuration(max), formatDuration(value)));
    }
  }
  void intOrPercent(const std::string& path, const IntOrPercent& v) {
    if (v.value() < 0) error(path, fmt::format("must not be negative, got {}", v.str()));
    if (v.isPercent() && v.value() > 100) error(path, fmt::format("must not be over 100%, got {}", v.str()));
  }
  std::vector<FieldError> take() { return std::move(errors_); }

 private:
  std::string file_;
  std::vector<FieldError> errors_;
};

void checkCommand(Checker& c, const std::string& path, const std::vector<std::string>& command) {
  if (command.empty()) {
    c.error(path, "is required: a list such as [\"./app\", \"--port\", \"${PORT}\"]");
  } else if (command.front().empty()) {
    c.error(indexPath(path, 0), "must name the program to run");
  }
}

void checkHttpGet(Checker& c, const std::string& path, const HttpGetAction& h) {
  if (!h.path.starts_with('/')) c.error(childPath(path, "path"), fmt::format("must start with '/', got '{}'", h.path));
  c.range(childPath(path, "port"), h.port, 0, 65535);
  if (h.scheme != "HTTP") c.error(childPath(path, "scheme"), fmt::format("must be HTTP (HTTPS is not supported yet), got '{}'", h.scheme));
  for (std::size_t i = 0; i < h.httpHeaders.size(); ++i) {
    if (!isHttpToken(h.httpHeaders[i].name)) {
      c.error(childPath(indexPath(childPath(path, "httpHeaders"), i), "name"),
              fmt::format("'{}' is not a valid header name", h.httpHeaders[i].name));
    }
  }
}

void checkProbe(Checker& c, const std::string& path, const Probe& p, bool successMustBeOne) {
  switch (p.kind) {
    case ProbeKind::kHttpGet: checkHttpGet(c, childPath(path, "httpGet"), p.httpGet); break;
    case ProbeKind::kTcpSocket: c.range(childPath(path, "tcpSocket.port"), p.tcpSocket.port, 0, 65535); break;
    case ProbeKind::kExec: checkCommand(c, childPath(path, "exec.command"), p.exec.command); break;
  }
  c.seconds(childPath(path, "initialDelaySeconds"), p.initialDelaySeconds, 0, kDay);
  c.seconds(childPath(path, "periodSeconds"), p.periodSeconds, 1, kProbeSeconds);
  c.seconds(childPath(path, "timeoutSeconds"), p.timeoutSeconds, 1, kProbeSeconds);
  c.atLeast(childPath(path, "successThreshold"), p.successThreshold, 1);
  c.atLeast(childPath(path, "failureThreshold"), p.failureThreshold, 1);
  if (successMustBeOne && p.successThreshold != 1) {
    c.error(childPath(path, "successThreshold"),
            fmt::format("must be 1 for liveness and startup probes, got {}", p.successThreshold));
  }
}

void checkTemplate(Checker& c, const Template& t) {
  const std::string path = "spec.template";
  checkCommand(c, childPath(path, "command"), t.command);
  for (const auto& [name, value] : t.env) {
    if (!isEnvName(name)) {
      c.error(childPath(childPath(path, "env"), name),
              fmt::format("'{}' is not a valid variable name (letters, digits and _, not starting with a digit)", name));
    }
  }
  if (t.startupProbe) checkProbe(c, childPath(path, "startupProbe"), *t.startupProbe, true);
  if (t.livenessProbe) checkProbe(c, childPath(path, "livenessProbe"), *t.livenessProbe, true);
  if (t.readinessProbe) checkProbe(c, childPath(path, "readinessProbe"), *t.readinessProbe, false);
  if (t.lifecycle.preStop) {
    const auto& h = *t.lifecycle.preStop;
    std::string p = childPath(path, "lifecycle.preStop");
    switch (h.kind) {
      case HandlerKind::kExec: checkCommand(c, childPath(p, "exec.command"), h.exec.command); break;
      case HandlerKind::kHttpGet: checkHttpGet(c, childPath(p, "httpGet"), h.httpGet); break;
      case HandlerKind::kSleep: c.seconds(childPath(p, "sleep.seconds"), h.sleepSeconds, 0, kProbeSeconds); break;
    }
  }
  c.seconds(childPath(path, "terminationGracePeriodSeconds"), t.terminationGracePeriodSeconds, 0, kDay);
}

void checkRoute(Checker& c, const std::string& path, const CanaryRoute& r, bool allowEmpty) {
  bool header = !r.headerName.empty() || !r.headerValue.empty();
  bool cookie = !r.cookieName.empty() || !r.cookieValue.empty();
  if (!header && !cookie) {
    if (!allowEmpty) c.error(path, "needs a header or a cookie to match");
    return;
  }
  if (header && cookie) {
    c.error(path, "must match either a header or a cookie, not both");
    return;
  }
  std::string p = childPath(path, header ? "header" : "cookie");
  const std::string& name = header ? r.headerName : r.cookieName;
  const std::string& value = header ? r.headerValue : r.cookieValue;
  if (!isHttpToken(name)) c.error(childPath(p, "name"), fmt::format("'{}' is not a valid name", name));
  if (value.empty()) c.error(childPath(p, "value"), "must not be empty");
}

void checkStrategy(Checker& c, const ServiceSpec& s) {
  const Strategy& st = s.strategy;
  const std::string ru = "spec.strategy.rollingUpdate";
  c.intOrPercent(childPath(ru, "maxSurge"), st.rollingUpdate.maxSurge);
  c.intOrPercent(childPath(ru, "maxUnavailable"), st.rollingUpdate.maxUnavailable);
  if (s.replicas > 0 && st.rollingUpdate.maxSurge.resolve(s.replicas, true) == 0 &&
      st.rollingUpdate.maxUnavailable.resolve(s.replicas, false) == 0) {
    c.error(childPath(ru, "maxSurge"),
            fmt::format("maxSurge ({}) and maxUnavailable ({}) both resolve to 0 for {} replicas: "
                        "the update could never make progress",
                        st.rollingUpdate.maxSurge.str(), st.rollingUpdate.maxUnavailable.str(), s.replicas));
  }
  const std::string canary = "spec.strategy.canary";
  if (!st.canary.stickiness.header.empty() && !isHttpToken(st.canary.stickiness.header)) {
    c.error(childPath(canary, "stickiness.header"), fmt::format("'{}' is not a valid header name", st.canary.stickiness.header));
  }
  if (!st.canary.stickiness.cookie.empty() && !isHttpToken(st.canary.stickiness.cookie)) {
    c.error(childPath(canary, "stickiness.cookie"), fmt::format("'{}' is not a valid cookie name", st.canary.stickiness.cookie));
  }
  for (std::size_t i = 0; i < st.canary.routes.size(); ++i) {
    checkRoute(c, indexPath(childPath(canary, "routes"), i), st.canary.routes[i], false);
  }
  for (std::size_t i = 0; i < st.canary.steps.size(); ++i) {
    const CanaryStep& step = st.canary.steps[i];
    std::string p = indexPath(childPath(canary, "steps"), i);
    if (step.kind == StepKind::kSetWeight) c.range(childPath(p, "setWeight"), step.setWeight, 0, 100);
    if (step.kind == StepKind::kPause && step.pauseDuration) {
      c.duration(childPath(p, "pause.duration"), *step.pauseDuration, Duration(0), kMaxPause);
    }
    if (step.kind == StepKind::kAnalysis && (!s.analysis || s.analysis->metrics.empty())) {
      c.error(childPath(p, "analysis"), "an analysis step needs spec.analysis with at least one metric");
    }
  }
  const std::string bg = "spec.strategy.blueGreen";
  if (st.blueGreen.autoPromotionSeconds) {
    c.seconds(childPath(bg, "autoPromotionSeconds"), *st.blueGreen.autoPromotionSeconds, 0, kMonth);
  }
  c.seconds(childPath(bg, "scaleDownDelaySeconds"), st.blueGreen.scaleDownDelaySeconds, 0, kMonth);
  if (!st.blueGreen.previewListen.empty()) {
    std::string reason = checkListen(st.blueGreen.previewListen);
    if (!reason.empty()) {
      c.error(childPath(bg, "previewListen"), fmt::format("'{}': {}", st.blueGreen.previewListen, reason));
    } else if (auto a = parseListenAddress(st.blueGreen.previewListen), b = parseListenAddress(s.listen);
               a && b && listenOverlaps(*a, *b)) {
      c.error(childPath(bg, "previewListen"),
              fmt::format("'{}' ({}) must be a socket apart from spec.listen '{}' ({}): not the same address, "
                          "and not a wildcard and an address on one port",
                          st.blueGreen.previewListen, a->str(), s.listen, b->str()));
    }
  }
  checkRoute(c, childPath(bg, "previewRoute"), st.blueGreen.previewRoute, true);
}

void checkAnalysis(Checker& c, const Analysis& a) {
  const std::string path = "spec.analysis";
  if (a.interval.count() <= 0) {
    c.error(childPath(path, "interval"), "must be longer than 0s");
  } else {
    c.duration(childPath(path, "interval"), a.interval, Duration(1), kMaxInterval);
  }
  c.atLeast(childPath(path, "failureLimit"), a.failureLimit, 0);
  c.atLeast(childPath(path, "inconclusiveLimit"), a.inconclusiveLimit, 0);
  c.atLeast(childPath(path, "minRequests"), a.minRequests, 0);
  if (a.metrics.empty()) c.error(childPath(path, "metrics"), "needs at least one metric");
  std::set<std::string> names;
  for (std::size_t i = 0; i < a.metrics.size(); ++i) {
    const Metric& m = a.metrics[i];
    std::string p = indexPath(childPath(path, "metrics"), i);
    if (m.name.empty()) {
      c.error(childPath(p, "name"), "is required");
    } else if (!isDnsLabel(m.name)) {
      c.error(childPath(p, "name"), fmt::format("'{}' must be lowercase letters, digits and '-'", m.name));
    } else if (!names.insert(m.name).second) {
      c.error(childPath(p, "name"), fmt::format("duplicate metric name '{}'", m.name));
    }
    if (m.successCondition.empty()) {
      c.error(childPath(p, "successCondition"), "is required, e.g. \"< 0.01\"");
    } else if (std::string reason = checkConditionSyntax(m.successCondition); !reason.empty()) {
      c.error(childPath(p, "successCondition"), fmt::format("'{}': {}", m.successCondition, reason));
    }
    if (m.provider == MetricProvider::kPrometheus) {
      if (!isHttpUrl(m.prometheusAddress)) {
        c.error(childPath(p, "provider.prometheus.address"), "must be an http:// or https:// URL");
      }
      if (m.query.empty()) c.error(childPath(p, "provider.prometheus.query"), "is required");
    }
    if (m.provider == MetricProvider::kWebhook && !isHttpUrl(m.url)) {
      c.error(childPath(p, "provider.webhook.url"), "must be an http:// or https:// URL");
    }
  }
}

}  // namespace

std::vector<FieldError> validate(const ServiceSpec& s, std::string_view file) {
  Checker c(file);
  if (s.metadata.name.empty()) {
    c.error("metadata.name", "is required");
  } else if (!isDnsLabel(s.metadata.name)) {
    c.error("metadata.name",
            fmt::format("'{}' must be a DNS label: lowercase letters, digits and '-', starting and "
                        "ending with a letter or digit, at most 63 characters",
                        s.metadata.name));
  }
  c.atLeast("spec.replicas", s.replicas, 0);
  if (s.listen.empty()) {
    c.error("spec.listen", "is required: the host:port the proxy serves this service on, e.g. 127.0.0.1:8080");
  } else if (std::string reason = checkListen(s.listen); !reason.empty()) {
    c.error("spec.listen", fmt::format("'{}': {}", s.listen, reason));
  }
  std::set<std::string> hosts;
  for (std::size_t i = 0; i < s.hosts.size(); ++i) {
    std::string p = indexPath("spec.hosts", i);
    if (!isHostName(s.hosts[i])) {
      c.error(p, fmt::format("'{}' is not a host name (no scheme, no port) or a wildcard such as *.example.com "
                             "(only a leading '*.')",
                             s.hosts[i]));
    } else if (!hosts.insert(normalizeHostPattern(s.hosts[i])).second) {
      c.error(p, fmt::format("'{}' is listed twice", s.hosts[i]));
    }
  }
  checkTemplate(c, s.tmpl);
  c.seconds("spec.minReadySeconds", s.minReadySeconds, 0, kDay);
  c.seconds("spec.progressDeadlineSeconds", s.progressDeadlineSeconds, 1, kMonth);
  if (s.progressDeadlineSeconds >= 1 && s.minReadySeconds >= 0 && s.progressDeadlineSeconds <= s.minReadySeconds) {
    c.error("spec.progressDeadlineSeconds", fmt::format("must be greater than minReadySeconds ({})", s.minReadySeconds));
  }
  c.atLeast("spec.revisionHistoryLimit", s.revisionHistoryLimit, 0);
  checkStrategy(c, s);
  if (s.analysis) checkAnalysis(c, *s.analysis);
  if (s.disruptionBudget) {
    const auto& b = *s.disruptionBudget;
    if (b.minAvailable && b.maxUnavailable) {
      c.error("spec.disruptionBudget", "set minAvailable or maxUnavailable, not both");
    } else if (!b.minAvailable && !b.maxUnavailable) {
      c.error("spec.disruptionBudget", "needs minAvailable or maxUnavailable");
    }
    if (b.minAvailable) c.intOrPercent("spec.disruptionBudget.minAvailable", *b.minAvailable);
    if (b.maxUnavailable) c.intOrPercent("spec.disruptionBudget.maxUnavailable", *b.maxUnavailable);
  }
  c.atLeast("spec.placement.maxPerNode", s.placement.maxPerNode, 0);
  for (const auto& [key, value] : s.placement.nodeSelector) {
    if (key.empty() || key.find_first_of("= ,") != std::string::npos) {
      c.error("spec.placement.nodeSelector", fmt::format("'{}' is not a label name (no '=', ',' or space)", key));
    }
    if (value.find_first_of("= ,") != std::string::npos) {
      c.error(childPath("spec.placement.nodeSelector", key), fmt::format("'{}' is not a label value", value));
    }
  }
  // The proxy takes each timeout in milliseconds up to one hour.
  constexpr Duration kMaxTimeout = Duration(3'600'000);
  const std::pair<const char*, Duration> timeouts[] = {{"connect", s.timeouts.connect},
                                                       {"response", s.timeouts.response},
                                                       {"body", s.timeouts.body},
                                                       {"idle", s.timeouts.idle},
                                                       {"hold", s.timeouts.hold}};
  for (const auto& [name, value] : timeouts) {
    if (value.count() <= 0) {
      c.error(childPath("spec.timeouts", name), fmt::format("must be longer than 0s, got {}", formatDuration(value)));
    } else if (value > kMaxTimeout) {
      c.error(childPath("spec.timeouts", name), fmt::format("must be at most 1h, got {}", formatDuration(value)));
    }
  }
  for (std::size_t i = 0; i < s.webhooks.size(); ++i) {
    if (!isHttpUrl(s.webhooks[i].url)) {
      c.error(childPath(indexPath("spec.notifications.webhooks", i), "url"), "must be an http:// or https:// URL");
    }
  }
  return c.take();
}

}  // namespace rollway::spec
