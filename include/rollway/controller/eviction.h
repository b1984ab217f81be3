#pragma once

// What Controller::evict answers (POST /v1/instances/NAME/eviction, docs/api.md).

#include <string>

namespace rollway::controller {

struct EvictionReply {
  std::string instance;
  std::string service;
  // A new eviction (HTTP 201); false: the instance was already being evicted or already
  // terminating, nothing changed (HTTP 200).
  bool created = false;
  std::string state;  // "Evicting" (new or already under way) or "Terminating"
  std::string message;
};

}  // namespace rollway::controller
