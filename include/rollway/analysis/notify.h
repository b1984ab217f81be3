#pragma once

// notifications.webhooks: one JSON POST to an http:// or https:// URL (the same URL
// rules and client as the webhook metric provider).

#include <chrono>
#include <string>

#include <nlohmann/json.hpp>

#include "rollway/analysis/http_options.h"
#include "rollway/common/result.h"

namespace rollway::analysis {

// POSTs `body` to `url`; an unreachable peer, a bad URL, a TLS peer that does not
// verify or a non-2xx answer is an error naming the URL. Blocking: the controller runs it
// on its BlockingPool (bounded: a full pool drops the notification with a warning).
Result<void> postNotification(const std::string& url, const nlohmann::json& body,
                              std::chrono::milliseconds timeout = std::chrono::seconds(5), const HttpOptions& http = {});

}  // namespace rollway::analysis
