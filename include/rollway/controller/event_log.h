#pragma once

// Where the controller's parts record what they decided: an event in the store (the
// API's `events`) and a log line, warnings as warnings.

#include <string>

#include "rollway/api/status_types.h"
#include "rollway/common/log.h"
#include "rollway/store/store.h"

namespace rollway::controller {

using api::EventType;
inline constexpr EventType kNormal = EventType::kNormal;
inline constexpr EventType kWarning = EventType::kWarning;

class EventLog {
 public:
  EventLog(store::Store& store, Logger logger) : store_(store), logger_(std::move(logger)) {}
  // `service` "" for the daemon's own objects (proxy, daemon); `object` "service/web",
  // "instance/web-2-x7k2p", "proxy".
  void record(const std::string& service, const std::string& object, EventType type, const std::string& reason,
              const std::string& message);

 private:
  store::Store& store_;
  Logger logger_;
};

}  // namespace rollway::controller
