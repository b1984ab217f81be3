#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "rollway/api/service_status.h"

namespace rollway::cli {

// GET /v1/services/{name}/status's "status", read with api::parseStatusReply.
using RolloutStatus = api::ServiceStatus;

// kFailed: phase Failed; kAborted: phase Degraded (aborted by analysis or by hand);
// kPaused: phase Paused, a person must act (`rollout promote` or `rollout resume`);
// kRolledBack: an automatic rollback moved away from the watched revision.
enum class RolloutVerdict { kWaiting, kComplete, kFailed, kRolledBack, kAborted, kPaused };

// What one status reply means for the watcher.
struct RolloutStep {
  RolloutVerdict verdict = RolloutVerdict::kWaiting;
  std::vector<std::string> lines;  // for stdout; only what changed since the last step
  std::string error;               // for stderr ("error: " + error) when failed, aborted or rolled back
};

// Follows one service's rollout through its status replies. The watched revision is
// the first observed one; a newer revision applied meanwhile is followed, an automatic
// rollback away from the watched revision ends the watch, and so does a pause that waits
// for a person. The last analysis window is printed whenever it changes. Pure: no I/O,
// no clock.
class RolloutWatch {
 public:
  // `generation`: the spec generation when the watch started; replies the controller
  // has not caught up with (observedGeneration < generation) only say so.
  RolloutWatch(std::string service, int64_t generation);

  RolloutStep observe(const RolloutStatus& status);
  int64_t watchedRevision() const { return watched_; }

 private:
  std::string describeWatched() const;  // "revision 3 (v2)"
  std::string stateLine(const RolloutStatus& status) const;
  std::string pausedLine(const RolloutStatus& status) const;

  std::string service_;
  int64_t generation_;
  int64_t watched_ = 0;
  std::string watchedVersion_;
  std::string lastLine_;
  std::string lastAnalysis_;
};

// The exit code of `rollout status`: 0 complete, 3 paused for a person, 1 otherwise
// (failed, aborted, rolled back, or still waiting with --watch=false); 2, the timeout,
// is the caller's.
int exitCodeFor(RolloutVerdict verdict);

// "revision 3 (v2)", or "revision 3" without a version.
std::string revisionText(int64_t revision, const std::string& version);

// Canary: "step 2/5, 30% of traffic on revision 3 (v2)" ("all 5 steps done, ..." after
// the last); BlueGreen: "preview not ready yet", "preview ready, waiting for promotion"
// or "promoted"; "" for a rolling update, and with no other stable revision to split
// with (the first rollout, a restart).
std::string strategyProgress(const RolloutStatus& status);

// The last analysis window (status.analysis) in one line, "" when there is none:
// "analysis: error-rate 0.002 (stable 0.001) Successful; latency-p99 0.41 (stable 0.12) Failed".
std::string analysisLine(const nlohmann::json& analysis);

// The "Rollout:" section of `describe service`: strategy, phase, message, step, weights,
// pause / abort reasons, stable revision and the last analysis per metric. Ends in '\n'.
std::string describeRollout(const RolloutStatus& status);

// "[=====---      ] 2/4 updated, 1/4 available": '=' updated and available,
// '-' updated but not available yet. `width` is the number of cells between brackets.
std::string progressBar(const RolloutStatus& status, int width);

}  // namespace rollway::cli
