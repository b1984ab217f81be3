#pragma once

// The routing snapshot: the one type the control plane and the data plane share.
// The control plane builds it from desired + actual state and sends it (as versioned
// JSON) over the proxy's admin socket; the proxy validates it, persists it, and hands
// each worker a shared_ptr<const RoutingSnapshot>. Nothing in it is mutated after
// publication.

#include <cstdint>
#include <string>
#include <vector>

namespace rollway::proxy {

enum class EndpointState { kReady, kDraining };
const char* endpointStateName(EndpointState state);

struct Endpoint {
  std::string instance;  // e.g. web-3-x7k2q
  std::string address;   // host:port
  EndpointState state = EndpointState::kReady;
};

struct RevisionRoute {
  int64_t revision = 0;
  int weight = 0;  // 0..100; the weights of a service's revisions add up to 100
  bool canary = false;
  std::vector<Endpoint> endpoints;
};

struct HeaderMatch {
  std::string header;  // or cookie, when cookie is set
  std::string cookie;
  std::string value;
};

struct ServiceRoute {
  std::string name;
  std::vector<std::string> hosts;  // empty = any Host on this listener
  std::string stickyHeader;
  std::string stickyCookie;
  std::vector<HeaderMatch> canaryRoutes;
  std::vector<RevisionRoute> revisions;
};

struct Listener {
  std::string address;  // host:port
  std::vector<ServiceRoute> services;
};

struct RoutingSnapshot {
  uint64_t version = 0;  // strictly increasing per control plane
  std::vector<Listener> listeners;
};

}  // namespace rollway::proxy
