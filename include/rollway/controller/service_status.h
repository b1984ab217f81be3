#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "rollway/proxy/routing_snapshot.h"

namespace rollway::controller {

// A service's rollout status as the controller keeps it (store: ServiceRecord::statusJson)
// and the API shows it. Field meanings: docs/api.md, "Rollout status".
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
  std::string phase = "Progressing";  // Progressing, Complete, Paused, Failed
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
// Missing fields, or fields of the wrong type, keep their defaults; a corrupt document
// gives a default status. The JSON form is what GET /v1/services/{name}/status holds
// under "status" (the CLI reads it with this too).
ServiceStatus statusFromJson(const nlohmann::json& status);
ServiceStatus statusFromJson(const std::string& text);

// "2 of 4 updated, 3 available" — the progress line `rollout status` prints.
std::string progressMessage(const ServiceStatus& status);

// What the routing snapshot needs of one service: where it listens and which
// instances take traffic (ready) or are draining.
struct EndpointView {
  std::string instance;
  std::string address;
  int64_t revision = 0;
  bool draining = false;
};

struct ServiceView {
  std::string name;
  std::string listen;
  std::vector<std::string> hosts;
  std::vector<EndpointView> endpoints;
  // Canary / BlueGreen: split by weight. The canary revision gets canaryWeight %, the
  // stable one the rest, any other revision 0 (its endpoints can only be draining).
  bool weighted = false;
  int64_t stableRevision = 0;
  int64_t canaryRevision = 0;
  int canaryWeight = 0;
  std::string stickyHeader;
  std::string stickyCookie;
  std::vector<proxy::RouteMatch> routes;  // force the canary
  // BlueGreen preview: a second listener serving only the canary revision.
  std::string previewListen;
  // spec.timeouts, in ms (0 = the proxy's own default).
  int connectTimeoutMs = 0;
  int responseTimeoutMs = 0;
  int bodyTimeoutMs = 0;
  int idleTimeoutMs = 0;
  int holdTimeoutMs = 10'000;
};

// One listener per listen address (services sharing one are told apart by Host), one
// revision entry per revision that has endpoints; split by endpoints (rolling update)
// or by weight (canary, blue-green). Version 0: the ProxyLink numbers snapshots.
proxy::RoutingSnapshot buildRoutingSnapshot(const std::vector<ServiceView>& services);

}  // namespace rollway::controller
