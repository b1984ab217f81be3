#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "rollway/proxy/routing_snapshot.h"

namespace rollway::proxy {

// The sticky bucket of a key, in [0, 10000): murmur3's fmix64 over FNV-1a 64 of the key
// bytes. Stable across processes, versions and machines: it is part of the contract
// "hash(key) mod 10000 < weight × 100 → canary".
uint32_t stickyBucket(std::string_view key);

// True when a ready endpoint exists in the revision.
bool hasReadyEndpoint(const RevisionRoute& revision);

// Picks the revision (index into service.revisions) for one request of a weighted
// service. The canary's range is [0, canaryWeight×100), then the other revisions in
// their listed order, so raising the canary's weight only ever moves buckets from
// stable to canary. `bucket` is the sticky bucket when the request has a key, else a
// random number in [0, 10000). A route match forces the canary. When the chosen revision
// has no ready endpoint, another with one is taken (non-canary first); -1 when none has.
int pickWeightedRevision(const ServiceRoute& service, uint32_t bucket, bool forceCanary);

// A sticky key the proxy assigns to a keyless request of a weighted service with a
// sticky cookie: 16 lowercase hex digits of `random` (the worker's seeded generator).
// Written into `out` (cleared first), whose capacity is reused between requests.
void assignStickyKey(std::string& out, uint64_t random);

// Appends "Set-Cookie: <cookie>=<key>; Path=/; HttpOnly; SameSite=Lax\r\n". The cookie
// records the key, not the side: the next request hashes the same way.
void appendStickyCookie(std::string& out, std::string_view cookie, std::string_view key);

// True when a Set-Cookie header value sets the cookie `name` (the application manages
// that cookie itself; the proxy then adds none).
bool setsCookie(std::string_view setCookieValue, std::string_view name);

}  // namespace rollway::proxy
