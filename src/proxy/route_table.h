#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "rollway/common/result.h"
#include "rollway/proxy/routing_snapshot.h"

namespace rollway::proxy {

// A routing snapshot compiled for lookups on the request path. Immutable once built;
// every worker holds a shared_ptr<const RouteTable> and swaps it between requests.
class RouteTable {
 public:
  struct EndpointInfo {
    std::string address;   // host:port as in the snapshot
    std::string host;      // split for connecting
    uint16_t port = 0;
    std::string instance;
    bool ready = false;
    int service = -1;      // index into services()
    int revision = -1;     // index into the service's revisions
  };
  struct RevisionInfo {
    int64_t number = 0;
    std::vector<uint32_t> ready;  // endpoint ids
  };
  struct ServiceInfo {
    const ServiceRoute* route = nullptr;  // points into snapshot()
    std::vector<RevisionInfo> revisions;  // same order as route->revisions
    std::vector<uint32_t> ready;          // every ready endpoint of every revision
    bool hasReady() const { return !ready.empty(); }
  };
  struct ListenerInfo {
    std::string address;
    std::string host;
    uint16_t port = 0;
    std::vector<std::pair<std::string, int>> byHost;     // normalized exact host -> service index
    std::vector<std::pair<std::string, int>> wildcards;  // "*.suffix" -> service, longest first
    int anyHost = -1;                                    // service with no hosts, or -1
  };

  // Compiles a validated snapshot. Listener addresses are read with parseListenAddress
  // and kept in canonical form (":8080" -> 0.0.0.0:8080, localhost -> 127.0.0.1).
  static Result<std::shared_ptr<const RouteTable>> build(std::shared_ptr<const RoutingSnapshot> snapshot);

  const RoutingSnapshot& snapshot() const { return *snapshot_; }
  const std::vector<ListenerInfo>& listeners() const { return listeners_; }
  const std::vector<ServiceInfo>& services() const { return services_; }
  const std::vector<EndpointInfo>& endpoints() const { return endpoints_; }

  // Index of the listener bound to `address` (any spelling of it), or -1.
  int findListener(std::string_view address) const;
  // The service of a listener for a Host header value (port, case and a trailing dot
  // ignored): an exact host first, then the longest matching wildcard "*.suffix" (any
  // subdomain depth, not suffix itself), then the service without hosts; else -1.
  int findService(int listener, std::string_view hostHeader) const;
  // The endpoint id of an address in this table (any state), or -1.
  int findEndpoint(int service, std::string_view address) const;

 private:
  std::shared_ptr<const RoutingSnapshot> snapshot_;
  std::vector<ListenerInfo> listeners_;
  std::vector<ServiceInfo> services_;
  std::vector<EndpointInfo> endpoints_;
};

// Splits "host:port" / "[v6]:port"; "localhost" becomes 127.0.0.1.
Result<std::pair<std::string, uint16_t>> splitHostPort(std::string_view address);

}  // namespace rollway::proxy
