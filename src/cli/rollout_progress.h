#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "rollway/controller/service_status.h"

namespace rollway::cli {

// GET /v1/services/{name}/status's "status", read with controller::statusFromJson.
using RolloutStatus = controller::ServiceStatus;

enum class RolloutVerdict { kWaiting, kComplete, kFailed, kRolledBack };

// What one status reply means for the watcher.
struct RolloutStep {
  RolloutVerdict verdict = RolloutVerdict::kWaiting;
  std::vector<std::string> lines;  // for stdout; only what changed since the last step
  std::string error;               // for stderr ("error: " + error) when failed or rolled back
};

// Follows one service's rollout through its status replies. The watched revision is
// the first observed one; a newer revision applied meanwhile is followed, an automatic
// rollback away from the watched revision ends the watch. Pure: no I/O, no clock.
class RolloutWatch {
 public:
  // `generation`: the spec generation when the watch started; replies the controller
  // has not caught up with (observedGeneration < generation) only say so.
  RolloutWatch(std::string service, int64_t generation);

  RolloutStep observe(const RolloutStatus& status);
  int64_t watchedRevision() const { return watched_; }

 private:
  std::string describeWatched() const;  // "revision 3 (v2)"
  RolloutVerdict verdictFor(const RolloutStatus& status) const;
  std::string stateLine(const RolloutStatus& status) const;

  std::string service_;
  int64_t generation_;
  int64_t watched_ = 0;
  std::string watchedVersion_;
  std::string lastLine_;
};

// 0 when complete, 1 otherwise (the exit code of `rollout status`).
int exitCodeFor(RolloutVerdict verdict);

// "[=====---      ] 2/4 updated, 1/4 available": '=' updated and available,
// '-' updated but not available yet. `width` is the number of cells between brackets.
std::string progressBar(const RolloutStatus& status, int width);

}  // namespace rollway::cli
