#include "rollway/analysis/analyzer.h"

#include <algorithm>

#include <asio/post.hpp>

#include <fmt/format.h>

namespace rollway::analysis {

namespace {

enum class Builtin { kErrorRate, kSuccessRate, kP50, kP90, kP99, kProbeSuccessRate };

constexpr std::pair<const char*, Builtin> kBuiltins[] = {
    {"error-rate", Builtin::kErrorRate}, {"success-rate", Builtin::kSuccessRate},
    {"latency-p50", Builtin::kP50},      {"latency-p90", Builtin::kP90},
    {"latency-p99", Builtin::kP99},      {"probe-success-rate", Builtin::kProbeSuccessRate}};

std::optional<Builtin> builtinNamed(const std::string& name) {
  for (const auto& [n, b] : kBuiltins) {
    if (name == n) return b;
  }
  return std::nullopt;
}

std::string builtinNames() {
  std::string names;
  for (const auto& [n, b] : kBuiltins) names += fmt::format("{}{}", names.empty() ? "" : ", ", n);
  return names;
}

bool isLatency(std::optional<Builtin> b) { return b == Builtin::kP50 || b == Builtin::kP90 || b == Builtin::kP99; }

double statOf(Builtin b, const WindowStats& s) {
  switch (b) {
    case Builtin::kErrorRate: return s.errorRate;
    case Builtin::kSuccessRate: return s.successRate;
    case Builtin::kP50: return s.p50;
    case Builtin::kP90: return s.p90;
    default: return s.p99;
  }
}

// A revision's traffic is enough to speak for it: at least minRequests, and at least 1.
bool enoughTraffic(const WindowStats& s, int minRequests) {
  return s.requests >= static_cast<uint64_t>(std::max(1, minRequests));
}

std::string lowTraffic(const WindowStats& s, int minRequests) {
  if (s.requests == 0) return "no requests in the window";
  return fmt::format("{} requests < minRequests {}", s.requests, minRequests);
}

// "canary.X" / "stable.X" for one side. Rates and latencies only with enough traffic.
void addSide(std::map<std::string, double>& vars, const std::string& side, const WindowStats& s,
             std::optional<double> probeSuccessRate, int minRequests) {
  vars[side + ".requests"] = static_cast<double>(s.requests);
  if (probeSuccessRate) vars[side + ".probeSuccessRate"] = *probeSuccessRate;
  if (!enoughTraffic(s, minRequests)) return;
  vars[side + ".errorRate"] = s.errorRate;
  vars[side + ".successRate"] = s.successRate;
  vars[side + ".p50"] = s.p50;
  vars[side + ".p90"] = s.p90;
  vars[side + ".p99"] = s.p99;
}

std::string formatValue(std::optional<Builtin> b, double v) {
  if (isLatency(b)) return fmt::format("{:.4g}ms", v * 1000);
  return fmt::format("{:.4g}", v);
}

}  // namespace

Analyzer::Analyzer(spec::Analysis analysis, Provider& prometheus, Provider& webhook)
    : analysis_(std::move(analysis)), prometheus_(&prometheus), webhook_(&webhook) {
  conditions_.reserve(analysis_.metrics.size());
  for (const auto& metric : analysis_.metrics) conditions_.push_back(Condition::parse(metric.successCondition));
}

bool Analyzer::asksProvider(size_t i) const {
  return analysis_.metrics[i].provider != spec::MetricProvider::kBuiltin && conditions_[i].has_value();
}

bool Analyzer::needsProviders() const {
  for (size_t i = 0; i < analysis_.metrics.size(); ++i) {
    if (asksProvider(i)) return true;
  }
  return false;
}

ProviderAnswers Analyzer::fetch(const WindowInput& in) const {
  ProviderAnswers answers(analysis_.metrics.size());
  for (size_t i = 0; i < analysis_.metrics.size(); ++i) {
    if (!asksProvider(i)) continue;
    const spec::Metric& metric = analysis_.metrics[i];
    Provider& provider = metric.provider == spec::MetricProvider::kPrometheus ? *prometheus_ : *webhook_;
    answers[i] = provider.fetch(metric, in);
  }
  return answers;
}

MetricResult Analyzer::measureOne(const spec::Metric& metric, const Result<Condition>& condition,
                                  const WindowInput& in,
                                  const std::optional<Result<std::optional<double>>>& answer) const {
  MetricResult r;
  r.name = metric.name;
  auto inconclusive = [&](const std::string& why) {
    r.verdict = Verdict::kInconclusive;
    r.message = fmt::format("{}: {}", metric.name, why);
    return r;
  };
  if (!condition) {
    return inconclusive(fmt::format("successCondition '{}': {}", metric.successCondition, condition.error().message));
  }
  const int minRequests = analysis_.minRequests;
  std::optional<Builtin> builtin;
  if (metric.provider == spec::MetricProvider::kBuiltin) {
    builtin = builtinNamed(metric.name);
    if (!builtin) {
      return inconclusive(fmt::format("unknown builtin metric; use one of {}, or a prometheus or webhook provider",
                                      builtinNames()));
    }
    if (!enoughTraffic(in.canary, minRequests)) return inconclusive(lowTraffic(in.canary, minRequests));
    if (*builtin == Builtin::kProbeSuccessRate) {
      r.value = in.canaryProbeSuccessRate;
      r.stableValue = in.stableProbeSuccessRate;
      if (!r.value) return inconclusive("no probe results in the window");
    } else {
      r.value = statOf(*builtin, in.canary);
      if (in.stable && enoughTraffic(*in.stable, minRequests)) r.stableValue = statOf(*builtin, *in.stable);
    }
  } else {
    if (!answer) return inconclusive("no answer from its provider");
    if (!*answer) return inconclusive(answer->error().message);
    if (!**answer) return inconclusive("no data");
    r.value = **answer;
  }

  std::map<std::string, double> vars;
  addSide(vars, "canary", in.canary, in.canaryProbeSuccessRate, minRequests);
  if (in.stable) addSide(vars, "stable", *in.stable, in.stableProbeSuccessRate, minRequests);
  vars["canary.value"] = *r.value;
  if (r.stableValue) vars["stable.value"] = *r.stableValue;

  auto passed = condition->evaluate(vars, r.value);
  if (!passed) {
    std::string why = fmt::format("cannot evaluate '{}': {}", condition->text(), passed.error().message);
    if (passed.error().code == ErrorCode::kNotFound) {
      if (!in.stable) {
        why += " (no stable revision)";
      } else if (!enoughTraffic(*in.stable, minRequests)) {
        why += fmt::format(" (stable: {})", lowTraffic(*in.stable, minRequests));
      }
    }
    return inconclusive(why);
  }
  r.verdict = *passed ? Verdict::kSuccessful : Verdict::kFailed;
  std::string stable = r.stableValue ? fmt::format(" (stable {})", formatValue(builtin, *r.stableValue)) : "";
  r.message = fmt::format("{} {}{} {} {}", metric.name, formatValue(builtin, *r.value), stable,
                          *passed ? "passes" : "fails", condition->text());
  return r;
}

Measurement Analyzer::measure(const WindowInput& in) const { return evaluate(in, fetch(in)); }

void Analyzer::measureAsync(const WindowInput& in, BlockingPool& pool, asio::io_context& io,
                            std::weak_ptr<const void> owner, std::function<void(Measurement)> done) const {
  // The work and the completion share an immutable copy: this Analyzer may be gone by then.
  auto self = std::make_shared<const Analyzer>(*this);
  if (!needsProviders()) {
    asio::post(io, [self, in, owner, done = std::move(done)] {
      if (owner.lock()) done(self->evaluate(in, {}));
    });
    return;
  }
  auto completion = [self, in, done](Result<ProviderAnswers> answers) {
    done(self->evaluate(in, answers ? *answers : self->refused(answers.error())));
  };
  auto submitted = pool.submit<ProviderAnswers>([self, in] { return Result<ProviderAnswers>(self->fetch(in)); }, io,
                                                owner, completion);
  if (!submitted) {
    asio::post(io, [completion, owner, error = submitted.error()] {
      if (owner.lock()) completion(fail(error));
    });
  }
}

ProviderAnswers Analyzer::refused(const Error& error) const {
  ProviderAnswers answers(analysis_.metrics.size());
  for (size_t i = 0; i < analysis_.metrics.size(); ++i) {
    if (asksProvider(i)) answers[i] = Result<std::optional<double>>(fail(error));
  }
  return answers;
}

Measurement Analyzer::evaluate(const WindowInput& in, const ProviderAnswers& answers) const {
  Measurement m;
  m.canaryRequests = in.canary.requests;
  for (size_t i = 0; i < analysis_.metrics.size(); ++i) {
    const auto& answer = i < answers.size() ? answers[i] : std::nullopt;
    m.metrics.push_back(measureOne(analysis_.metrics[i], conditions_[i], in, answer));
  }
  auto any = [&](Verdict v) {
    return std::any_of(m.metrics.begin(), m.metrics.end(), [&](const MetricResult& r) { return r.verdict == v; });
  };
  if (m.metrics.empty()) {
    m.verdict = Verdict::kInconclusive;
    m.summary = "no metrics to evaluate";
    return m;
  }
  m.verdict = any(Verdict::kFailed) ? Verdict::kFailed
              : any(Verdict::kInconclusive) ? Verdict::kInconclusive
                                            : Verdict::kSuccessful;
  if (m.verdict == Verdict::kSuccessful) {
    m.summary = fmt::format("{} of {} metrics passed ({} canary requests)", m.metrics.size(), m.metrics.size(),
                            m.canaryRequests);
    return m;
  }
  for (const auto& r : m.metrics) {
    if (r.verdict == m.verdict) m.summary += (m.summary.empty() ? "" : "; ") + r.message;
  }
  return m;
}

}  // namespace rollway::analysis
