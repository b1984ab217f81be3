#pragma once

// Private to analysis: the http:// URLs of metric providers, and one blocking call to one.

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "rollway/common/result.h"
#include "rollway/http/message.h"
#include "rollway/net/endpoint.h"

namespace rollway::analysis {

struct HttpUrl {
  std::string text;        // as written
  net::Endpoint endpoint;  // TCP host:port (80 when absent)
  std::string path = "/";  // starts with '/'
  std::string query;       // after '?', empty when none

  // "http://host[:port][/path][?query]". https:// is "https is not supported yet";
  // user:password@ and any other scheme are refused.
  static Result<HttpUrl> parse(std::string_view text);
  // path + "?" + query, or path alone.
  std::string target() const;
};

// Percent-encodes everything but RFC 3986 unreserved characters (for a query value).
std::string urlEncode(std::string_view text);

// One request; `peer` names the other side in errors ("Prometheus", "webhook").
Result<http::Response> callUrl(const HttpUrl& url, std::string_view peer, std::string_view method,
                               const std::string& target, std::string_view body,
                               std::chrono::milliseconds timeout);

// A provider's round trip: callUrl, then `read(status, reply)` on the reply — which must
// be a JSON object, whatever the status. A reply that is not, or a nlohmann exception
// thrown by `read`, is an error naming the peer and the URL.
using JsonReader = std::function<Result<std::optional<double>>(int status, const nlohmann::json& reply)>;
Result<std::optional<double>> fetchJson(const HttpUrl& url, std::string_view peer, std::string_view method,
                                        const std::string& target, std::string_view body,
                                        std::chrono::milliseconds timeout, const JsonReader& read);

}  // namespace rollway::analysis
