#pragma once

// The controller's per-instance and per-service state (private to the controller's
// .cc files: controller.cc runs the loop and the instances, strategies.cc the Canary
// and BlueGreen steps and the analysis).

#include <memory>
#include <optional>
#include <string>

#include <asio/steady_timer.hpp>

#include "rollway/analysis/analysis_run.h"
#include "rollway/analysis/metrics_sample.h"
#include "rollway/controller/controller.h"
#include "rollway/probe/probe_runner.h"

namespace rollway::controller {

// One instance slot: a process (restarted in place on a crash, with backoff) plus its
// probe and termination state. The name stays for the slot's whole life.
struct Controller::Instance {
  enum class Phase { kRunning, kBackOff, kTerminating };
  enum class Step { kNone, kDrain, kPreStop, kSigterm };

  Instance(const Clock& clock, supervisor::BackoffPolicy policy) : backoff(clock, policy) {}

  std::string name;
  std::string service;
  std::string hash;  // template hash: the revision, whatever its number becomes
  int64_t revision = 0;
  spec::Template tmpl;
  int port = 0;
  Phase phase = Phase::kRunning;
  pid_t pid = 0;
  int64_t startTicks = 0;
  bool ready = false;
  bool available = false;
  // Adopted after a daemon restart while it was ready: it stays in rotation until its
  // readiness probe has spoken (or assumedUntil passes), so a restart of the control
  // plane never empties the proxy.
  bool assumedReady = false;
  SteadyTime assumedUntil{};
  bool killingForRestart = false;  // in the termination sequence of a liveness restart
  supervisor::RestartBackoff backoff;
  int64_t createdMs = 0;
  int64_t startedMs = 0;
  std::string message;
  std::string lastExit;

  // Termination.
  Step step = Step::kNone;
  std::string stopReason;
  SteadyTime drainStart{};
  SteadyTime graceEnd{};
  bool drainPushed = false;  // the proxy has a snapshot with it draining (or gone)
  bool warnedNotPushed = false;
  bool warnedInFlightUnknown = false;
  bool killedAfterGrace = false;
  std::unique_ptr<asio::steady_timer> timer;
  std::unique_ptr<probe::ProbeRunner> preStopRunner;

  std::string address() const { return "127.0.0.1:" + std::to_string(port); }
  bool inRotation() const { return phase == Phase::kRunning && (ready || assumedReady); }
  bool countsAvailable() const { return phase == Phase::kRunning && (available || assumedReady); }
  const char* phaseName() const {
    switch (phase) {
      case Phase::kBackOff: return "CrashLoopBackOff";
      case Phase::kTerminating: return "Terminating";
      case Phase::kRunning: break;
    }
    if (ready || assumedReady) return "Ready";
    return startedMs > 0 && message.starts_with("NotReady") ? "NotReady" : "Starting";
  }
};

struct Controller::Service {
  std::string name;
  bool exists = false;
  spec::ServiceSpec spec;
  std::string specJson;
  int64_t generation = 0;
  std::string currentHash;
  int64_t currentRevision = 0;
  std::map<std::string, int64_t> revisionByHash;
  std::map<int64_t, std::string> templateByNumber;
  ServiceStatus status;
  std::string statusJson;  // as last stored
  uint64_t seq = 1;
  int64_t warnedGeneration = 0;
  bool rollingBack = false;  // the next new rollout was started by an automatic rollback
  bool promoteRequested = false;  // `rollway rollout promote`, consumed by the strategy
  std::string budgetNote;         // the disruption budget's last hold (an event when it changes)
  // Analysis of the current rollout: the last sample of the proxy's counters, when it
  // was taken, the consecutive-results tracker, when the last window passed.
  std::optional<analysis::MetricsSample> lastSample;
  SteadyTime lastMeasure{};
  std::unique_ptr<analysis::AnalysisRun> run;
  bool analysisPending = false;  // a window's metrics or measurement is on its way back
  // Probe results per instance at the start of the analysis window (successes, failures).
  std::map<std::string, std::pair<uint64_t, uint64_t>> probeCounts;
  int64_t analysisPassedMs = 0;  // Unix ms of the last window that passed
  int64_t analysisSeenMs = 0;    // RollingUpdate: the last pass the batch gate has taken in
  int analyzedAvailable = 0;     // RollingUpdate: new instances available at that pass
  struct Waiter {
    uint64_t after = 0;
    std::function<void(Result<nlohmann::json>)> reply;
    std::shared_ptr<asio::steady_timer> timer;
  };
  std::vector<Waiter> waiters;
};

}  // namespace rollway::controller
