#pragma once

#include <string>

#include "rollway/spec/service_spec.h"

namespace rollway::spec {

// Why services `a` and `b` cannot both be served, or "" when they can. Each service
// claims spec.listen and, for blue-green, spec.strategy.blueGreen.previewListen, with
// its hosts (none = every Host). Two claims clash when their addresses are one socket
// (canonical form: "localhost:P" = "127.0.0.1:P", ":P" = "0.0.0.0:P") and a request
// could match both (no hosts on either side, or one host or wildcard in common), or
// when their addresses are different sockets that overlap (0.0.0.0:P and 127.0.0.1:P;
// [::]:P and anything on P), whatever the hosts. The message names `b`.
std::string listenConflict(const ServiceSpec& a, const ServiceSpec& b);

}  // namespace rollway::spec
