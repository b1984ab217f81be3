#include "argo_rollout.h"

#include <charconv>
#include <fmt/format.h>

namespace rollway::exporter {

namespace {

using nlohmann::json;

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool isRoute(const spec::CanaryRoute& r) {
  return !r.headerName.empty() || !r.headerValue.empty() || !r.cookieName.empty() || !r.cookieValue.empty();
}

std::string routeText(const spec::CanaryRoute& r) {
  if (!r.headerName.empty()) return fmt::format("header {}: {}", r.headerName, r.headerValue);
  return fmt::format("cookie {}={}", r.cookieName, r.cookieValue);
}

json canaryStrategy(ServiceContext& ctx, bool withAnalysis) {
  const auto& s = ctx.spec();
  const auto& canary = s.strategy.canary;
  // rollway keeps every stable replica while the canary runs: nothing of it may go.
  json out = {{"canaryService", canaryServiceName(ctx.name())},
              {"stableService", stableServiceName(ctx.name())},
              {"maxUnavailable", 0}};
  json steps = json::array();
  bool weighted = false;
  for (size_t i = 0; i < canary.steps.size(); ++i) {
    const auto& step = canary.steps[i];
    switch (step.kind) {
      case spec::StepKind::kSetWeight:
        steps.push_back({{"setWeight", step.setWeight}});
        weighted = true;
        break;
      case spec::StepKind::kPause: {
        json pause = json::object();
        if (step.pauseDuration) pause["duration"] = formatDuration(*step.pauseDuration);
        steps.push_back({{"pause", std::move(pause)}});
        break;
      }
      case spec::StepKind::kAnalysis:
        if (withAnalysis) {
          steps.push_back({{"analysis", {{"templates", json::array({{{"templateName", ctx.name()}}})}}}});
        } else {
          steps.push_back({{"pause", json::object()}});
          ctx.note(fmt::format("spec.strategy.canary.steps[{}]", i),
                   "analysis with no metric that maps to Argo: rendered as pause {} (promote by hand)");
        }
        break;
    }
  }
  if (!steps.empty()) out["steps"] = std::move(steps);
  if (weighted) {
    ctx.note("spec.strategy.canary.steps",
             "setWeight without a traffic router: Argo approximates the weight by replica counts (rollway splits "
             "requests exactly); add spec.strategy.canary.trafficRouting for your ingress or mesh");
  }
  if (!canary.stickiness.header.empty() || !canary.stickiness.cookie.empty()) {
    ctx.note("spec.strategy.canary.stickiness",
             "a sticky split by header/cookie hash has no Argo equivalent without a traffic router; not carried over");
  }
  for (size_t i = 0; i < canary.routes.size(); ++i) {
    if (!isRoute(canary.routes[i])) continue;
    ctx.note(fmt::format("spec.strategy.canary.routes[{}]", i),
             fmt::format("{} forces the canary in rollway; not carried over (reach it through the Service {}, or "
                         "a setHeaderRoute step with a traffic router)",
                         routeText(canary.routes[i]), canaryServiceName(ctx.name())));
  }
  return {{"canary", std::move(out)}};
}

json blueGreenStrategy(ServiceContext& ctx) {
  const auto& bg = ctx.spec().strategy.blueGreen;
  json out = {{"activeService", ctx.name()},
              {"previewService", previewServiceName(ctx.name())},
              {"scaleDownDelaySeconds", bg.scaleDownDelaySeconds}};
  if (bg.autoPromotionSeconds) {
    out["autoPromotionEnabled"] = true;
    out["autoPromotionSeconds"] = *bg.autoPromotionSeconds;
  } else {
    out["autoPromotionEnabled"] = false;
  }
  if (isRoute(bg.previewRoute)) {
    ctx.note("spec.strategy.blueGreen.previewRoute",
             fmt::format("{} reaches the preview in rollway; not carried over (use the Service {})",
                         routeText(bg.previewRoute), previewServiceName(ctx.name())));
  }
  return {{"blueGreen", std::move(out)}};
}

}  // namespace

std::string canaryServiceName(const std::string& service) { return service + "-canary"; }
std::string stableServiceName(const std::string& service) { return service + "-stable"; }
std::string previewServiceName(const std::string& service) { return service + "-preview"; }

std::optional<std::string> argoCondition(std::string_view condition) {
  std::string_view text = trim(condition);
  std::string_view op;
  for (std::string_view candidate : {"<=", ">=", "==", "!=", "<", ">"}) {
    if (text.substr(0, candidate.size()) == candidate) {
      op = candidate;
      break;
    }
  }
  if (op.empty()) return std::nullopt;
  std::string_view operand = trim(text.substr(op.size()));
  size_t unitStart = operand.find_first_not_of("0123456789.");
  std::string_view number = operand.substr(0, unitStart);
  std::string_view unit = unitStart == std::string_view::npos ? std::string_view() : trim(operand.substr(unitStart));
  double value = 0;
  auto [ptr, ec] = std::from_chars(number.data(), number.data() + number.size(), value);
  if (number.empty() || ec != std::errc() || ptr != number.data() + number.size()) return std::nullopt;
  double factor = 0;
  if (unit.empty() || unit == "s") {
    factor = 1;
  } else if (unit == "ms") {
    factor = 0.001;
  } else if (unit == "m") {
    factor = 60;
  } else if (unit == "h") {
    factor = 3600;
  } else if (unit == "%") {
    factor = 0.01;
  } else {
    return std::nullopt;
  }
  return fmt::format("result[0] {} {:.12g}", op, value * factor);
}

std::optional<nlohmann::json> analysisTemplate(ServiceContext& ctx) {
  const auto& s = ctx.spec();
  if (!s.analysis) return std::nullopt;
  const auto& a = *s.analysis;
  json metrics = json::array();
  for (size_t i = 0; i < a.metrics.size(); ++i) {
    const auto& m = a.metrics[i];
    const std::string field = fmt::format("spec.analysis.metrics[{}]", i);
    if (m.provider == spec::MetricProvider::kBuiltin) {
      ctx.note(field, fmt::format("'{}' is measured by rollway's proxy; Argo needs a metrics provider: not carried "
                                  "over (write it as a Prometheus query of your ingress or mesh)",
                                  m.name));
      continue;
    }
    if (m.provider == spec::MetricProvider::kWebhook) {
      ctx.note(field, fmt::format("'{}': rollway's webhook is posted the proxy's window statistics, which Argo's web "
                                  "provider does not send; not carried over",
                                  m.name));
      continue;
    }
    auto condition = argoCondition(m.successCondition);
    if (!condition) {
      ctx.note(field, fmt::format("'{}': the condition '{}' compares canary with stable; Argo has no such "
                                  "condition: not carried over",
                                  m.name, m.successCondition));
      continue;
    }
    // rollway: the step passes at the first passing window and fails after failureLimit
    // failing windows in a row. Argo measures `count` times and fails above failureLimit
    // failures: count F with limit F-1 takes the same decision (it just always takes F windows).
    json metric = {{"name", m.name},
                   {"interval", formatDuration(a.interval)},
                   {"count", std::max(a.failureLimit, 1)},
                   {"failureLimit", std::max(a.failureLimit - 1, 0)},
                   {"successCondition", *condition},
                   {"provider", {{"prometheus", {{"address", m.prometheusAddress}, {"query", m.query}}}}}};
    metrics.push_back(std::move(metric));
  }
  if (metrics.empty()) return std::nullopt;
  ctx.note("spec.analysis",
           fmt::format("minRequests {} and inconclusive windows (too few requests, no data; inconclusiveLimit {}) have "
                       "no Argo equivalent: Argo counts no data as a measurement error; not carried over",
                       a.minRequests, a.inconclusiveLimit));
  return json{{"apiVersion", kArgoApiVersion},
              {"kind", "AnalysisTemplate"},
              {"metadata", ctx.metadata(ctx.name())},
              {"spec", {{"metrics", std::move(metrics)}}}};
}

nlohmann::json rolloutStrategy(ServiceContext& ctx, bool withAnalysis) {
  if (ctx.spec().strategy.type == spec::StrategyType::kBlueGreen) return blueGreenStrategy(ctx);
  return canaryStrategy(ctx, withAnalysis);
}

}  // namespace rollway::exporter
