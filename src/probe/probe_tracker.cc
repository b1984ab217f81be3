#include "rollway/probe/probe_tracker.h"

#include <algorithm>
#include <utility>

#include <fmt/format.h>

namespace rollway::probe {
namespace {

spec::Probe normalized(spec::Probe probe, ProbeType type) {
  probe.initialDelaySeconds = std::max(probe.initialDelaySeconds, 0);
  probe.periodSeconds = std::max(probe.periodSeconds, 1);
  probe.timeoutSeconds = std::max(probe.timeoutSeconds, 1);
  probe.failureThreshold = std::max(probe.failureThreshold, 1);
  probe.successThreshold = std::max(probe.successThreshold, 1);
  if (type != ProbeType::kReadiness) probe.successThreshold = 1;
  return probe;
}

const std::optional<spec::Probe>& probeOf(const spec::Template& tmpl, ProbeType type) {
  switch (type) {
    case ProbeType::kStartup: return tmpl.startupProbe;
    case ProbeType::kLiveness: return tmpl.livenessProbe;
    case ProbeType::kReadiness: break;
  }
  return tmpl.readinessProbe;
}

const char* times(int n) { return n == 1 ? "time" : "times"; }

}  // namespace

ProbeTracker::ProbeTracker(const Clock& clock, const spec::Template& tmpl, SteadyTime startTime,
                           int minReadySeconds)
    : clock_(clock), startTime_(startTime), minReady_(std::max(minReadySeconds, 0)) {
  for (ProbeType type : kAllProbeTypes) {
    const auto& configured = probeOf(tmpl, type);
    if (!configured) continue;
    Slot& s = slot(type);
    s.probe = normalized(*configured, type);
    s.due = startTime_ + std::chrono::seconds(s.probe->initialDelaySeconds);
  }
}

std::vector<ProbeEvent> ProbeTracker::poll() {
  std::vector<ProbeEvent> events;
  if (restartRequired_) return events;
  if (!polled_) {
    polled_ = true;
    if (!slot(ProbeType::kStartup).probe) markStarted("No startup probe: started at once", events);
  }
  checkAvailable(events);
  return events;
}

std::optional<SteadyTime> ProbeTracker::nextDue(ProbeType type) const {
  if (restartRequired_) return std::nullopt;
  const Slot& s = slot(type);
  if (!s.probe || s.inFlight) return std::nullopt;
  if (type == ProbeType::kStartup ? started_ : !started_) return std::nullopt;
  return s.due;
}

std::optional<SteadyTime> ProbeTracker::nextWakeup() const {
  std::optional<SteadyTime> wake = availableDue();
  if (!polled_ && !restartRequired_) wake = startTime_;
  for (ProbeType type : kAllProbeTypes) {
    auto due = nextDue(type);
    if (due && (!wake || *due < *wake)) wake = due;
  }
  return wake;
}

bool ProbeTracker::isDue(ProbeType type) const {
  auto due = nextDue(type);
  return due && *due <= clock_.now();
}

bool ProbeTracker::begin(ProbeType type) {
  auto due = nextDue(type);
  if (!due || clock_.now() < *due) return false;
  Slot& s = slot(type);
  s.inFlight = true;
  s.scheduled = *due;
  return true;
}

void ProbeTracker::abandon(ProbeType type) {
  Slot& s = slot(type);
  if (!s.inFlight) return;
  s.inFlight = false;
  s.due = clock_.now();
}

std::vector<ProbeEvent> ProbeTracker::record(ProbeType type, ProbeOutcome outcome,
                                             std::string_view message) {
  std::vector<ProbeEvent> events;
  Slot& s = slot(type);
  if (!s.inFlight || restartRequired_) return events;
  s.inFlight = false;

  // Next run: the first slot of the period grid that is not in the past.
  const SteadyTime now = clock_.now();
  const auto period = std::chrono::duration_cast<SteadyTime::duration>(std::chrono::seconds(s.probe->periodSeconds));
  SteadyTime next = s.scheduled + period;
  if (next < now) next += period * ((now - next + period - SteadyTime::duration(1)) / period);
  s.due = next;

  s.lastMessage = message.empty() ? std::string(probeOutcomeName(outcome)) : std::string(message);
  if (outcome == ProbeOutcome::kSuccess) {
    ++s.successes;
    s.failures = 0;
  } else {
    ++s.failures;
    s.successes = 0;
  }

  switch (type) {
    case ProbeType::kStartup:
      if (outcome == ProbeOutcome::kSuccess) {
        markStarted("Startup probe succeeded", events);
      } else if (s.failures >= s.probe->failureThreshold) {
        requireRestart(type, events);
      }
      break;
    case ProbeType::kLiveness:
      if (outcome != ProbeOutcome::kSuccess && s.failures >= s.probe->failureThreshold) {
        requireRestart(type, events);
      }
      break;
    case ProbeType::kReadiness:
      if (!ready_ && s.successes >= s.probe->successThreshold) {
        markReady(type,
                  s.probe->successThreshold > 1
                      ? fmt::format("Readiness probe succeeded {} times in a row", s.successes)
                      : std::string("Readiness probe succeeded"),
                  events);
      } else if (ready_ && s.failures >= s.probe->failureThreshold) {
        ready_ = false;
        available_ = false;
        events.push_back({ProbeEventKind::kNotReady, type,
                          fmt::format("Readiness probe failed {} {}: {}", s.failures, times(s.failures), s.lastMessage)});
      }
      break;
  }
  return events;
}

void ProbeTracker::setMinReadySeconds(int seconds) { minReady_ = std::chrono::seconds(std::max(seconds, 0)); }

const spec::Probe* ProbeTracker::probe(ProbeType type) const {
  const Slot& s = slot(type);
  return s.probe ? &*s.probe : nullptr;
}

void ProbeTracker::markStarted(std::string reason, std::vector<ProbeEvent>& events) {
  started_ = true;
  const SteadyTime now = clock_.now();
  bool viaProbe = slot(ProbeType::kStartup).probe.has_value();
  events.push_back({ProbeEventKind::kStarted,
                    viaProbe ? std::optional<ProbeType>(ProbeType::kStartup) : std::nullopt,
                    std::move(reason)});
  // Liveness and readiness were waiting for startup: they run at once, but not before
  // their own initial delay.
  for (ProbeType type : {ProbeType::kLiveness, ProbeType::kReadiness}) {
    Slot& s = slot(type);
    if (s.probe && s.due && *s.due < now) s.due = now;
  }
  if (!slot(ProbeType::kReadiness).probe) {
    markReady(std::nullopt, "No readiness probe: ready once started", events);
  }
}

void ProbeTracker::markReady(std::optional<ProbeType> probe, std::string reason,
                             std::vector<ProbeEvent>& events) {
  ready_ = true;
  readySince_ = clock_.now();
  events.push_back({ProbeEventKind::kReady, probe, std::move(reason)});
  checkAvailable(events);
}

std::optional<SteadyTime> ProbeTracker::availableDue() const {
  if (!ready_ || available_ || restartRequired_) return std::nullopt;
  return readySince_ + minReady_;
}

void ProbeTracker::checkAvailable(std::vector<ProbeEvent>& events) {
  auto due = availableDue();
  if (!due || clock_.now() < *due) return;
  available_ = true;
  events.push_back({ProbeEventKind::kAvailable, std::nullopt,
                    fmt::format("Ready for {}s (minReadySeconds {})", minReady_.count(), minReady_.count())});
}

void ProbeTracker::requireRestart(ProbeType type, std::vector<ProbeEvent>& events) {
  const Slot& s = slot(type);
  std::string reason = fmt::format("{} probe failed {} {}: {}", probeTypeTitle(type), s.failures, times(s.failures), s.lastMessage);
  if (ready_) {
    ready_ = false;
    available_ = false;
    events.push_back({ProbeEventKind::kNotReady, type, reason + "; restarting"});
  }
  restartRequired_ = true;
  for (Slot& other : slots_) other.inFlight = false;
  events.push_back({ProbeEventKind::kRestartRequired, type, std::move(reason)});
}

}  // namespace rollway::probe
