#pragma once

// notifications.webhooks: one JSON POST to an http:// URL (the same URL rules and
// client as the webhook metric provider).

#include <chrono>
#include <string>

#include <nlohmann/json.hpp>

#include "rollway/common/result.h"

namespace rollway::analysis {

// POSTs `body` to `url`; an unreachable peer, a bad URL (https is not supported yet) or
// a non-2xx answer is an error naming the URL. Blocking: call it off the control loop.
Result<void> postNotification(const std::string& url, const nlohmann::json& body,
                              std::chrono::milliseconds timeout = std::chrono::seconds(5));

}  // namespace rollway::analysis
