#pragma once

// One instance slot as the controller sees it: a process (restarted in place on a crash,
// with back-off) and where it is in its life, as one phase. The name stays for the
// slot's whole life. InstanceSet moves it between phases; Terminator runs its
// termination sequence. See docs/life-of-a-rollout.md.

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "rollway/common/clock.h"
#include "rollway/common/timer.h"
#include "rollway/probe/probe_runner.h"
#include "rollway/spec/service_spec.h"
#include "rollway/supervisor/restart_backoff.h"

namespace rollway::controller {

enum class InstancePhase {
  kStarting,      // its process runs; readiness not passed yet (out of rotation)
  kNotReady,      // its process runs; readiness failing (out of rotation)
  kReady,         // in rotation, not available yet (minReadySeconds)
  kAvailable,     // in rotation and available
  kAssumedReady,  // adopted after a daemon restart while it was ready: in rotation and
                  // counted available until its readiness probe speaks or assumedUntil
  kRestarting,    // a liveness (or startup) probe failed: in its termination sequence,
                  // then restarted in place with back-off
  kBackOff,       // exited or could not start: restarted in place when the back-off ends
  kTerminating,   // being stopped for good
};

// Stable names for logs and tests ("Starting", "AssumedReady", ...).
const char* toString(InstancePhase phase);

// The termination sequence under way (stop or liveness restart): Terminator's state.
struct Termination {
  enum class Step { kDrain, kPreStop, kSigterm };
  Step step = Step::kDrain;
  SteadyTime drainStart{};
  SteadyTime graceEnd{};
  bool outOfRotation = false;  // the proxy took a snapshot with it draining (or gone)
  bool warnedNotPushed = false;
  bool warnedInFlightUnknown = false;
  bool killedAfterGrace = false;
  std::unique_ptr<Timer> timer;
  std::unique_ptr<probe::ProbeRunner> preStopRunner;
};

// An eviction under way (Controller::evict, src/controller/eviction.cc): an instance of
// the same revision is started in its place first, and the evicted one runs its
// termination sequence only once that replacement is available. Until then the strategies
// see the evicted instance as the slot and do not see the replacement.
struct Eviction {
  int64_t requestedMs = 0;
  std::string replacement;    // "" = none yet (or lost); cleared when the evicted one stops
  bool stalledNoted = false;  // an EvictionStalled event was recorded for this replacement
  bool operator==(const Eviction&) const = default;
};

struct Instance {
  Instance(const Clock& clock, supervisor::BackoffPolicy policy) : backoff(clock, policy) {}

  std::string name;
  std::string service;
  std::string hash;  // template hash: the revision, whatever its number becomes ("" = its revision is gone)
  int64_t revision = 0;
  spec::Template tmpl;
  int port = 0;
  pid_t pid = 0;
  int64_t startTicks = 0;
  InstancePhase phase = InstancePhase::kStarting;
  SteadyTime assumedUntil{};  // kAssumedReady: until when
  supervisor::RestartBackoff backoff;
  int64_t createdMs = 0;
  int64_t startedMs = 0;
  std::string message;
  std::string lastExit;
  std::unique_ptr<Termination> termination;  // set while kRestarting / kTerminating with a sequence
  std::optional<Eviction> eviction;           // being evicted (see Eviction)
  // Its liveness (or startup) probe asked for a restart while it still served and the
  // disruption budget could not spare it: the reason; it restarts once the budget allows
  // or it stops serving (Controller::releaseHeldRestarts).
  std::optional<std::string> heldRestart;

  std::string host = "127.0.0.1";  // where it is reached (another node's address in cluster mode)
  std::string node;                // cluster mode: the node it runs on
  std::string address() const { return host + ":" + std::to_string(port); }
  // Its process runs (or is being stopped for a restart): probes and exits concern it.
  bool running() const { return phase != InstancePhase::kBackOff && phase != InstancePhase::kTerminating; }
  // Probe verdicts apply (not in a termination sequence, not waiting for a restart).
  bool probed() const { return running() && phase != InstancePhase::kRestarting; }
  bool inRotation() const {
    return phase == InstancePhase::kReady || phase == InstancePhase::kAvailable || phase == InstancePhase::kAssumedReady;
  }
  bool countsAvailable() const { return phase == InstancePhase::kAvailable || phase == InstancePhase::kAssumedReady; }
  // Out of rotation but still owed its in-flight requests (the proxy marks it draining).
  bool draining() const { return termination != nullptr; }
  // The API's phase (docs/api.md): Starting, Ready, NotReady, Restarting, CrashLoopBackOff,
  // Terminating.
  const char* apiPhase() const;
};

// The store's free-form `state` of an instance: its phase ("Available" or apiPhase()),
// followed while it is evicted (and not terminating yet) by " evicting" and
// " replacement=NAME", so that an eviction survives a daemon restart.
std::string recordedState(const Instance& inst);
struct RecordedState {
  std::string phase;
  std::optional<Eviction> eviction;
};
RecordedState parseRecordedState(const std::string& state);

// The replacements of evicted instances among `instances` that are not the slot's
// instance yet: their evicted instance still runs (and is not terminating).
std::set<std::string> pendingReplacements(const std::vector<Instance*>& instances);

}  // namespace rollway::controller
