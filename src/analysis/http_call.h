#pragma once

// Private to analysis: one blocking HTTP(S) call of a provider or notification
// (libcurl). Blocking: the control thread runs it on a BlockingPool, never itself.

#include <chrono>
#include <functional>
#include <optional>
#include <string_view>

#include <nlohmann/json.hpp>

#include "curl_url.h"
#include "rollway/analysis/http_options.h"
#include "rollway/common/result.h"
#include "rollway/http/message.h"

namespace rollway::analysis {

// One request to `url` (status and body only), bounded by `timeout` as a whole; https
// peers are verified (chain and host name) against http.caFile or the system's store.
// `peer` names the other side in errors ("Prometheus", "webhook").
Result<http::Response> callUrl(const CurlUrl& url, std::string_view peer, std::string_view method,
                               std::string_view body, std::chrono::milliseconds timeout, const HttpOptions& http);

// A provider's round trip: callUrl, then `read(status, reply)` on the reply — which must
// be a JSON object, whatever the status. A reply that is not, or a nlohmann exception
// thrown by `read`, is an error naming the peer and the URL.
using JsonReader = std::function<Result<std::optional<double>>(int status, const nlohmann::json& reply)>;
Result<std::optional<double>> fetchJson(const CurlUrl& url, std::string_view peer, std::string_view method,
                                        std::string_view body, std::chrono::milliseconds timeout,
                                        const HttpOptions& http, const JsonReader& read);

}  // namespace rollway::analysis
