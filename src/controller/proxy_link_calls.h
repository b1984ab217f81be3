#pragma once

// Private to ProxyLink: its blocking calls to the proxy's admin socket. They run on
// ProxyLink's pool thread and touch nothing but their arguments.

#include <cstdint>
#include <map>
#include <string>

#include <nlohmann/json.hpp>

#include "rollway/common/result.h"
#include "rollway/net/client.h"
#include "rollway/proxy/routing_snapshot.h"

namespace rollway::controller::proxy_calls {

// GET /healthz: the snapshot version the proxy holds.
Result<uint64_t> readVersion(const net::Client& client, const std::string& socket);

struct PushOutcome {
  Result<uint64_t> version;  // the version the proxy took, or why not
  bool unreachable = false;  // no answer at all (as opposed to a refusal)
};
// PUT /v1/snapshot as `version`; when the proxy holds a newer one (409: another control
// plane, a restore) once more as the version after the proxy's own.
PushOutcome putSnapshot(const net::Client& client, const std::string& socket, proxy::RoutingSnapshot snapshot,
                        uint64_t version);

// GET /v1/metrics.
Result<nlohmann::json> readMetrics(const net::Client& client);

// GET /v1/endpoints: in-flight requests per endpoint address.
Result<std::map<std::string, uint64_t>> readInFlight(const net::Client& client);

}  // namespace rollway::controller::proxy_calls
