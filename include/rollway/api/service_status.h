#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "rollway/api/status_types.h"
#include "rollway/common/result.h"

namespace rollway::api {

// A service's rollout status: what the controller keeps (store: ServiceRecord::statusJson),
// what GET /v1/services/{name}/status holds under "status" and what the CLI reads.
// Field meanings: docs/api.md, "Rollout status".
struct ServiceStatus {
  int64_t observedGeneration = 0;
  int64_t revision = 0;
  std::string version;
  int replicas = 0;
  int totalReplicas = 0;
  int updatedReplicas = 0;
  int readyReplicas = 0;
  int availableReplicas = 0;
  int updatedAvailableReplicas = 0;
  int terminatingReplicas = 0;
  RolloutPhase phase = RolloutPhase::kProgressing;
  std::string message;
  int64_t stableRevision = 0;
  std::string stableHash;   // template hash of stableRevision (numbers move on re-use)
  int64_t failedRevision = 0;
  std::string failedHash;
  int64_t rolledBackFrom = 0;
  int64_t rolloutStartedMs = 0;
  int64_t lastProgressMs = 0;
  int64_t restartedAtMs = 0;
  std::string observedHash;  // the template hash the current rollout is moving to

  // Canary and BlueGreen (docs/api.md).
  std::string strategy;            // RollingUpdate, Canary, BlueGreen
  std::string rolloutStrategy;     // the strategy the current rollout began with (it ends with it)
  int stepIndex = 0;               // Canary: the step being run (== steps when all done)
  int steps = 0;
  int canaryWeight = 0;            // % of traffic the proxy sends to the new revision
  int canaryReplicas = 0;          // instances the new revision should have now
  int64_t stepStartedMs = 0;
  std::string pauseReason;         // non-empty: waiting for `rollway rollout promote`
  bool aborted = false;            // the new revision was aborted (retry or a new apply resumes)
  std::string abortReason;
  int64_t promotedAtMs = 0;        // when the last rollout completed (BlueGreen: switched)
  std::string previousHash;        // the stable template before it (BlueGreen keeps it up a while)
  std::string skipStepsHash;       // an undo/rollback target: straight to 100 %, no steps
  nlohmann::json analysis;         // the last Measurement (analysis::toJson), or null
  // Non-empty while the proxy has not taken the current routing snapshot (it refused it
  // or did not answer): what the proxy routes is older than this status; instances
  // leaving rotation are not signalled until it is in effect.
  std::string routingError;
  bool operator==(const ServiceStatus&) const = default;
};

nlohmann::json toJson(const ServiceStatus& status);

// For a status the daemon stored (it rebuilds it on the next reconcile): missing fields,
// fields of the wrong type and a phase this version does not know keep their defaults;
// a corrupt document gives a default status. Never throws.
ServiceStatus statusFromJson(const nlohmann::json& status);
ServiceStatus statusFromJson(const std::string& text);

// For a status a daemon sent (the CLI): as statusFromJson, except that a "phase" that is
// there but not a RolloutPhase (a newer daemon's, a wrong type) is a kInvalidArgument
// error, so that nobody mistakes an unknown phase for Progressing.
Result<ServiceStatus> parseStatusReply(const nlohmann::json& status);

// "2 of 4 updated, 3 available" — the progress line `rollout status` prints.
std::string progressMessage(const ServiceStatus& status);

}  // namespace rollway::api
