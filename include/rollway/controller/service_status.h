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
};

// One listener per listen address (services sharing one are told apart by Host), one
// revision entry per revision that has endpoints, split by endpoints (rolling update).
// Version 0: the ProxyLink numbers snapshots.
proxy::RoutingSnapshot buildRoutingSnapshot(const std::vector<ServiceView>& services);

}  // namespace rollway::controller
