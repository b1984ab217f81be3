#pragma once

#include <string>

namespace rollway::analysis {

// Outbound HTTP(S) of the providers and notifications (libcurl): TLS peers are always
// verified (certificate chain and host name).
struct HttpOptions {
  std::string caFile;  // PEM CA bundle to verify https peers with; "" = the system's store
};

}  // namespace rollway::analysis
