#include "rollway/proxy/routing_snapshot.h"

namespace rollway::proxy {

const char* endpointStateName(EndpointState state) {
  switch (state) {
    case EndpointState::kReady: return "ready";
    case EndpointState::kDraining: return "draining";
  }
  return "unknown";
}

const char* splitModeName(SplitMode mode) {
  switch (mode) {
    case SplitMode::kEndpoints: return "endpoints";
    case SplitMode::kWeights: return "weights";
  }
  return "unknown";
}

}  // namespace rollway::proxy
