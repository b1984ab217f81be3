#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "rollway/api/service_status.h"
#include "rollway/proxy/routing_snapshot.h"

namespace rollway::controller {

// The rollout status is part of the API contract (rollway/api/service_status.h),
// shared with the CLI; the controller uses it under its own namespace.
using api::EventType;
using api::RolloutPhase;
using api::ServiceStatus;
using api::statusFromJson;

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
  bool preferLocal = false;  // spec.preferLocal (cluster mode)
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
