#include "rollway/controller/event_log.h"

namespace rollway::controller {

void EventLog::record(const std::string& service, const std::string& object, EventType type, const std::string& reason,
                      const std::string& message) {
  if (type == EventType::kWarning) {
    logger_->warn("{} {}: {}", object, reason, message);
  } else {
    logger_->info("{} {}: {}", object, reason, message);
  }
  store::Event e;
  e.service = service;
  e.object = object;
  e.type = std::string(api::toString(type));
  e.reason = reason;
  e.message = message;
  if (auto ok = store_.appendEvent(std::move(e)); !ok) logger_->error("cannot record event: {}", ok.error().message);
}

}  // namespace rollway::controller
