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
  double retryBudgetPercent = 20.0;      // retries in flight ≤ 20 % of active requests …
  int retryMinConcurrency = 3;           // … + 3
  int maxAttempts = 3;                   // tries per request, the first included
  std::string accessLog;                 // JSON lines to this file ("-" = stderr); empty = off
};

}  // namespace rollway::proxy
