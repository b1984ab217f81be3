#include "rollway/controller/analysis_gate.h"

#include <algorithm>

#include "rollway/analysis/analyzer.h"

namespace rollway::controller {

namespace {

using std::chrono::milliseconds;

}  // namespace

AnalysisGate::AnalysisGate(AnalysisGateDeps deps, WakeIn wakeIn, OnVerdict onVerdict)
    : deps_(std::move(deps)), wakeIn_(std::move(wakeIn)), onVerdict_(std::move(onVerdict)) {}

AnalysisGate::~AnalysisGate() = default;

void AnalysisGate::forget(const std::string& service) { states_.erase(service); }

AnalysisGate::State* AnalysisGate::waiting(const std::string& service, uint64_t token) {
  auto it = states_.find(service);
  if (it == states_.end() || it->second.pending != token) return nullptr;
  it->second.pending = 0;
  return &it->second;
}

void AnalysisGate::measure(const AnalysisTarget& target, bool trafficOnNew) {
  State& st = states_[target.service];
  if (st.rollout != target.rollout) {
    st = State{};
    st.rollout = target.rollout;
  }
  if (!deps_.proxy.running() || st.pending != 0) return;
  auto now = deps_.clock.now();
  auto interval = target.analysis.interval;
  if (st.lastSample && now - st.lastMeasure < interval) {
    wakeIn_(std::chrono::duration_cast<milliseconds>(interval - (now - st.lastMeasure)));
    return;
  }
  // The proxy's counters, then the providers, are read off this thread.
  uint64_t token = st.pending = ++nextToken_;
  deps_.proxy.metrics([this, alive = std::weak_ptr<int>(alive_), target, trafficOnNew, token](
                          Result<nlohmann::json> metrics) {
    if (alive.expired()) return;
    State* asked = waiting(target.service, token);
    if (asked == nullptr) return;
    auto in = window(*asked, target, trafficOnNew, metrics);
    if (!in) return;
    uint64_t measuring = asked->pending = ++nextToken_;
    analysis::Analyzer(target.analysis, deps_.prometheus, deps_.webhook)
        .measureAsync(*in, deps_.pool, deps_.io, alive_, [this, target, measuring](analysis::Measurement m) {
          State* measured = waiting(target.service, measuring);
          if (measured == nullptr) return;
          if (!measured->run) measured->run = std::make_unique<analysis::AnalysisRun>(target.analysis);
          AnalysisVerdict v;
          v.service = target.service;
          v.rollout = target.rollout;
          v.decision = measured->run->add(m);
          v.consecutiveFailures = measured->run->consecutiveFailures();
          v.consecutiveInconclusive = measured->run->consecutiveInconclusive();
          v.measurement = std::move(m);
          onVerdict_(v);
        });
  });
}

std::optional<analysis::WindowInput> AnalysisGate::window(State& st, const AnalysisTarget& target, bool trafficOnNew,
                                                          const Result<nlohmann::json>& metrics) {
  if (!metrics) {
    deps_.logger->warn("analysis of {}: cannot read the proxy's metrics: {}", target.service, metrics.error().message);
    return std::nullopt;
  }
  auto sample = analysis::MetricsSample::fromProxyJson(*metrics);
  if (!sample) {
    deps_.logger->warn("analysis of {}: {}", target.service, sample.error().message);
    return std::nullopt;
  }
  auto now = deps_.clock.now();
  auto interval = std::chrono::duration_cast<milliseconds>(target.analysis.interval);
  // Probe results per revision since the window began (probe-success-rate).
  std::map<std::string, std::pair<uint64_t, uint64_t>> probeNow;
  std::map<std::string, std::pair<uint64_t, uint64_t>> probeDelta;  // by template hash
  for (const auto& [name, hash] : target.instances) {
    auto ps = deps_.health.status(name);
    if (!ps) continue;
    probeNow[name] = {ps->successes, ps->failures};
    auto before = st.probeCounts.find(name);
    uint64_t okBefore = before != st.probeCounts.end() ? before->second.first : 0;
    uint64_t badBefore = before != st.probeCounts.end() ? before->second.second : 0;
    auto& d = probeDelta[hash];
    d.first += ps->successes - std::min(ps->successes, okBefore);
    d.second += ps->failures - std::min(ps->failures, badBefore);
  }
  auto probeRate = [&](const std::string& hash) -> std::optional<double> {
    auto it = probeDelta.find(hash);
    if (it == probeDelta.end() || it->second.first + it->second.second == 0) return std::nullopt;
    return static_cast<double>(it->second.first) / static_cast<double>(it->second.first + it->second.second);
  };
  st.probeCounts = std::move(probeNow);
  bool first = !st.lastSample;
  std::optional<analysis::WindowInput> in;
  if (!first && trafficOnNew) {
    in.emplace();
    in->service = target.service;
    in->canaryRevision = target.canaryRevision;
    in->stableRevision = target.stableRevision;
    in->canary = analysis::windowStats(*st.lastSample, *sample, target.service, in->canaryRevision);
    if (in->stableRevision != 0) in->stable = analysis::windowStats(*st.lastSample, *sample, target.service, in->stableRevision);
    in->canaryProbeSuccessRate = probeRate(target.canaryHash);
    in->stableProbeSuccessRate = probeRate(target.stableHash);
  }
  // Without traffic on the new revision the window starts now: nothing to measure before.
  st.lastSample = std::move(*sample);
  st.lastMeasure = now;
  wakeIn_(interval);
  return in;
}

}  // namespace rollway::controller
