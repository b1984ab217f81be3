#pragma once

// Private to analysis: the http:// and https:// URLs of metric providers and webhooks,
// and one blocking call to one (libcurl: http_call.cc).

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "rollway/analysis/http_options.h"
#include "rollway/common/result.h"
#include "rollway/http/message.h"
#include "rollway/net/endpoint.h"

namespace rollway::analysis {

struct HttpUrl {
  std::string text;        // as written
  bool tls = false;        // https://
  std::string authority;   // host[:port] as written
  net::Endpoint endpoint;  // TCP host:port (80, or 443 for https, when absent)
  std::string path = "/";  // starts with '/'
  std::string query;       // after '?', empty when none

  // "http[s]://host[:port][/path][?query]"; user:password@ and any other scheme are
  // refused.
  static Result<HttpUrl> parse(std::string_view text);
  // path + "?" + query, or path alone.
  std::string target() const;
  // "http[s]://authority": prefix of target() for a request.
  std::string origin() const;
};

// Percent-encodes everything but RFC 3986 unreserved characters (for a query value).
std::string urlEncode(std::string_view text);

// One request (status and body only), bounded by `timeout` as a whole; https peers are
// verified (chain and host name) against http.caFile or the system's store. `peer`
// names the other side in errors ("Prometheus", "webhook").
Result<http::Response> callUrl(const HttpUrl& url, std::string_view peer, std::string_view method,
                               const std::string& target, std::string_view body,
                               std::chrono::milliseconds timeout, const HttpOptions& http);

// A provider's round trip: callUrl, then `read(status, reply)` on the reply — which must
// be a JSON object, whatever the status. A reply that is not, or a nlohmann exception
// thrown by `read`, is an error naming the peer and the URL.
using JsonReader = std::function<Result<std::optional<double>>(int status, const nlohmann::json& reply)>;
Result<std::optional<double>> fetchJson(const HttpUrl& url, std::string_view peer, std::string_view method,
                                        const std::string& target, std::string_view body,
                                        std::chrono::milliseconds timeout, const HttpOptions& http,
                                        const JsonReader& read);

}  // namespace rollway::analysis
