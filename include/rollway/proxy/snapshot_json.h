#pragma once

#include <nlohmann/json.hpp>

#include "rollway/common/result.h"
#include "rollway/proxy/routing_snapshot.h"

namespace rollway::proxy {

inline constexpr int kSnapshotFormat = 1;

// {"format": 1, "version": N, "listeners": [{"address": "127.0.0.1:8080", "services": [
//   {"name": "web", "hosts": [], "split": "endpoints"|"weights", "stickyHeader": "",
//    "stickyCookie": "", "holdTimeoutMs": 10000, "connectTimeoutMs": 2000,
//    "responseTimeoutMs": 60000, "bodyTimeoutMs": 60000, "idleTimeoutMs": 60000,
//    (timeouts 0..3600000; the four last optional, absent or 0 = the proxy's flags)
//    "routes": [{"header": "X-Canary", "value": "always"}],
//    "revisions": [{"revision": 3, "weight": 10, "canary": true,
//                   "endpoints": [{"instance": "web-3-x7k2q", "address": "127.0.0.1:9001",
//                                  "state": "ready"|"draining"}]}]}]}]}
nlohmann::json toJson(const RoutingSnapshot& snapshot);

// Decodes and validates: known format, endpoint addresses host:port with port 1..65535,
// listener addresses as parseListenAddress reads them (":8080", "localhost:8080") of
// which no two are one socket or overlap (0.0.0.0:P and 127.0.0.1:P), host names or
// "*.suffix" wildcards, unique (listener, host) service selection (case and a trailing
// dot ignored), weights 0..100 adding
// up to 100 for weighted services with endpoints, at most one canary per service.
// Errors carry field paths such as listeners[0].services[1].revisions[0].weight.
Result<RoutingSnapshot> snapshotFromJson(const nlohmann::json& json);

}  // namespace rollway::proxy
