#pragma once

#include <chrono>
#include <cstddef>
#include <string>

namespace rollway::proxy {

using Millis = std::chrono::milliseconds;

// Limits and timeouts of the data plane. Defaults are conservative server defaults.
struct ProxyConfig {
  int workers = 1;
  size_t maxHeaderBytes = 64 * 1024;     // request line + headers; 431 beyond
  Millis headerTimeout{10'000};          // a request head must arrive within this; 408
  Millis idleTimeout{60'000};            // keep-alive connection with no request
  Millis connectTimeout{2'000};          // to an upstream endpoint
  Millis responseTimeout{60'000};        // upstream response head after the request; 504
  Millis bodyTimeout{60'000};            // no body progress in either direction
  Millis drainTimeout{30'000};           // graceful stop: in-flight requests get this long
  size_t maxConnections = 20'000;        // per worker; beyond, new connections are closed
  size_t maxIdlePerEndpoint = 128;       // pooled idle upstream connections per endpoint per worker
  // Retries in flight ≤ 50 % of active requests + 32 (per worker), every retry counted.
  // Envoy's default is 20 % + 3; that is too tight once refused and stale keep-alive
  // retries are counted too (they used to be exempt): a crashed instance fails all its
  // in-flight requests at the same instant — half of the active ones when two instances
  // serve — and each needs its retry then, before any other request has finished to make
  // room. 20 % + 32 still failed ~20 of 64 concurrent requests when one of two instances
  // was killed (Proxy.NoErrorsUnderLoadWhileEndpointsChange). Retries still cannot more
  // than double the load (at most one retry in flight per active request, over the floor).
  double retryBudgetPercent = 50.0;
  int retryMinConcurrency = 32;
  int maxAttempts = 3;                   // tries per request, the first included
  std::string accessLog;                 // JSON lines to this file ("-" = stderr); empty = off
};

}  // namespace rollway::proxy
