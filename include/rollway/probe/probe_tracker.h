#pragma once

#include <array>
#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "rollway/common/clock.h"
#include "rollway/probe/probe_state.h"
#include "rollway/spec/service_spec.h"

namespace rollway::probe {

// The probe state of one instance, with Kubernetes' semantics. Pure: no I/O, no sleeping;
// time comes from the injected Clock. The owner asks what is due (nextDue / nextWakeup),
// runs the probe, and reports the result; every call returns the transitions it caused.
//
//   - Startup gates liveness and readiness; no startup probe = started at once.
//   - Startup or liveness failing failureThreshold times in a row = RestartRequired
//     (terminal: nothing is due afterwards; the owner restarts the instance and makes a
//     new tracker). A ready instance first gets NotReady, so it leaves rotation before
//     anything is signalled.
//   - Readiness: not ready until successThreshold consecutive successes; when ready,
//     failureThreshold consecutive failures = NotReady; successThreshold consecutive
//     successes = Ready again. No readiness probe = ready once started.
//   - Available = ready continuously for minReadySeconds; NotReady ends it.
//   - Scheduling: the first run of a probe is at startTime + initialDelaySeconds (for
//     liveness/readiness, not before startup has succeeded: then at once); later runs
//     on the period grid of the previous run's scheduled time, never two attempts of
//     the same probe at once (grid slots that pass while one is in flight are skipped).
class ProbeTracker {
 public:
  // Clock must outlive the tracker. Out-of-range probe fields are clamped to what
  // Kubernetes accepts (period/timeout/thresholds >= 1; successThreshold 1 for startup
  // and liveness).
  ProbeTracker(const Clock& clock, const spec::Template& tmpl, SteadyTime startTime,
               int minReadySeconds = 0);

  // Time-driven transitions at clock.now(): Started/Ready without probes, Available.
  // Call it first after construction and whenever nextWakeup() has passed.
  std::vector<ProbeEvent> poll();

  // When `type` should run next; empty when it is not configured, gated by startup,
  // in flight, no longer needed (startup after success) or after RestartRequired.
  std::optional<SteadyTime> nextDue(ProbeType type) const;
  // The earliest of the probes' nextDue and of the time Available is due.
  std::optional<SteadyTime> nextWakeup() const;
  bool isDue(ProbeType type) const;

  // An attempt of `type` starts now. False (and nothing changes) when it is not due.
  bool begin(ProbeType type);
  // The attempt of `type` begun earlier finished. Ignored when none is in flight.
  std::vector<ProbeEvent> record(ProbeType type, ProbeOutcome outcome, std::string_view message);
  // Forget the attempt in flight without counting it (e.g. it was cancelled).
  void abandon(ProbeType type);

  // Applies from now on; an instance already available stays available.
  void setMinReadySeconds(int seconds);

  bool started() const { return started_; }
  bool ready() const { return ready_; }
  bool available() const { return available_; }
  bool restartRequired() const { return restartRequired_; }
  bool inFlight(ProbeType type) const { return slot(type).inFlight; }
  // The probe as it is applied (defaults and clamping done); nullptr when absent.
  const spec::Probe* probe(ProbeType type) const;
  int consecutiveSuccesses(ProbeType type) const { return slot(type).successes; }
  int consecutiveFailures(ProbeType type) const { return slot(type).failures; }
  const std::string& lastMessage(ProbeType type) const { return slot(type).lastMessage; }

 private:
  struct Slot {
    std::optional<spec::Probe> probe;
    std::optional<SteadyTime> due;  // next scheduled run (before gating)
    SteadyTime scheduled{};         // the slot the attempt in flight was scheduled for
    bool inFlight = false;
    int successes = 0;
    int failures = 0;
    std::string lastMessage;
  };

  Slot& slot(ProbeType type) { return slots_[static_cast<size_t>(type)]; }
  const Slot& slot(ProbeType type) const { return slots_[static_cast<size_t>(type)]; }
  void markStarted(std::string reason, std::vector<ProbeEvent>& events);
  void markReady(std::optional<ProbeType> probe, std::string reason, std::vector<ProbeEvent>& events);
  void checkAvailable(std::vector<ProbeEvent>& events);
  void requireRestart(ProbeType type, std::vector<ProbeEvent>& events);
  std::optional<SteadyTime> availableDue() const;

  const Clock& clock_;
  SteadyTime startTime_;
  std::chrono::seconds minReady_;
  std::array<Slot, 3> slots_;
  bool polled_ = false;
  bool started_ = false;
  bool ready_ = false;
  bool available_ = false;
  bool restartRequired_ = false;
  SteadyTime readySince_{};
};

}  // namespace rollway::probe
