#pragma once

// The routing snapshot: the one type the control plane and the data plane share.
// The control plane builds it from desired + actual state and sends it (as versioned
// JSON, snapshot_json.h) over the proxy's admin socket; the proxy validates it, persists
// it, and hands each worker a shared_ptr<const RoutingSnapshot>. Nothing in it is
// mutated after publication.

#include <cstdint>
#include <string>
#include <vector>

namespace rollway::proxy {

enum class EndpointState { kReady, kDraining };
const char* endpointStateName(EndpointState state);

struct Endpoint {
  std::string instance;  // e.g. web-3-x7k2q; unique within a service
  std::string address;   // host:port
  EndpointState state = EndpointState::kReady;
  bool operator==(const Endpoint&) const = default;
};

struct RevisionRoute {
  int64_t revision = 0;
  int weight = 0;        // 0..100, used when the service splits by weight
  bool canary = false;   // the revision that stickiness buckets and route matches pick
  std::vector<Endpoint> endpoints;
  bool operator==(const RevisionRoute&) const = default;
};

// A request matching a route goes to the canary revision whatever the weights.
struct RouteMatch {
  std::string header;  // header name (case-insensitive), or
  std::string cookie;  // cookie name
  std::string value;   // exact value
  bool operator==(const RouteMatch&) const = default;
};

// How requests are spread over the revisions of a service.
enum class SplitMode {
  kEndpoints,  // one pool of every ready endpoint of every revision (rolling updates)
  kWeights,    // by revision weight; sticky by key hash; route matches force the canary
};
const char* splitModeName(SplitMode mode);

struct ServiceRoute {
  std::string name;
  std::vector<std::string> hosts;  // empty = any Host on this listener
  SplitMode split = SplitMode::kEndpoints;
  std::string stickyHeader;  // key source for the sticky split (header first, then cookie)
  std::string stickyCookie;
  std::vector<RouteMatch> routes;
  std::vector<RevisionRoute> revisions;
  int holdTimeoutMs = 10'000;  // how long a request waits for a ready endpoint
  // Cluster mode: each node's proxy agent keeps only the ready endpoints on its own node
  // when there are any (per revision); the proxy itself does not read it.
  bool preferLocal = false;
  // The proxy's timeouts for this service, in ms; 0 = the proxy's own default (its flags).
  int connectTimeoutMs = 0;   // connecting to an endpoint
  int responseTimeoutMs = 0;  // the response head after the request was sent (504)
  int bodyTimeoutMs = 0;      // no body progress in either direction
  int idleTimeoutMs = 0;      // a keep-alive client connection idle after this service's response
  bool operator==(const ServiceRoute&) const = default;
};

struct Listener {
  std::string address;  // host:port
  std::vector<ServiceRoute> services;
  bool operator==(const Listener&) const = default;
};

struct RoutingSnapshot {
  uint64_t version = 0;  // strictly increasing per control plane
  std::vector<Listener> listeners;
  bool operator==(const RoutingSnapshot&) const = default;
};

}  // namespace rollway::proxy
