#include "http_url.h"

#include <algorithm>
#include <cctype>

#include <fmt/format.h>


namespace rollway::analysis {

Result<HttpUrl> HttpUrl::parse(std::string_view text) {
  const bool tls = text.starts_with("https://");
  const std::string_view kScheme = tls ? "https://" : "http://";
  if (!text.starts_with(kScheme)) {
    return fail(ErrorCode::kInvalidArgument, "'{}' is not an http:// or https:// URL (e.g. http://127.0.0.1:9090)",
                text);
  }
  std::string_view rest = text.substr(kScheme.size());
  if (auto hash = rest.find('#'); hash != std::string_view::npos) rest = rest.substr(0, hash);
  size_t authorityEnd = std::min(rest.find('/'), rest.find('?'));
  std::string_view authority = rest.substr(0, authorityEnd);
  if (authority.empty()) return fail(ErrorCode::kInvalidArgument, "'{}': the host is empty", text);
  if (authority.find('@') != std::string_view::npos) {
    return fail(ErrorCode::kInvalidArgument, "'{}': credentials in the URL are not supported", text);
  }
  auto endpoint = net::Endpoint::parse(fmt::format("http://{}", authority));
  if (!endpoint) return fail(ErrorCode::kInvalidArgument, "'{}': {}", text, endpoint.error().message);
  HttpUrl url;
  url.text = std::string(text);
  url.tls = tls;
  url.authority = std::string(authority);
  url.endpoint = std::move(*endpoint);
  auto colon = authority.rfind(':');
  auto bracket = authority.rfind(']');
  bool explicitPort = colon != std::string_view::npos && (bracket == std::string_view::npos || colon > bracket);
  if (tls && !explicitPort) url.endpoint.port = 443;
  if (authorityEnd != std::string_view::npos) {
    std::string_view pathAndQuery = rest.substr(authorityEnd);
    size_t question = pathAndQuery.find('?');
    std::string_view path = pathAndQuery.substr(0, question);
    if (!path.empty()) url.path = std::string(path);
    if (question != std::string_view::npos) url.query = std::string(pathAndQuery.substr(question + 1));
  }
  return url;
}

std::string HttpUrl::target() const { return query.empty() ? path : path + "?" + query; }

std::string HttpUrl::origin() const { return (tls ? "https://" : "http://") + authority; }

std::string urlEncode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size() * 3);
  for (char c : text) {
    auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) != 0 || c == '-' || c == '_' || c == '.' || c == '~') {
      out += c;
    } else {
      out += '%';
      out += kHex[u >> 4];
      out += kHex[u & 15];
    }
  }
  return out;
}

Result<std::optional<double>> fetchJson(const HttpUrl& url, std::string_view peer, std::string_view method,
                                        const std::string& target, std::string_view body,
                                        std::chrono::milliseconds timeout, const HttpOptions& http,
                                        const JsonReader& read) {
  auto response = callUrl(url, peer, method, target, body, timeout, http);
  if (!response) return fail(response.error());
  auto reply = nlohmann::json::parse(response->body, nullptr, false);
  if (reply.is_discarded() || !reply.is_object()) {
    return fail(ErrorCode::kInvalidArgument, "{} {} answered HTTP {} that is not a JSON object: {}", peer, url.text,
                response->status, response->body.substr(0, 200));
  }
  try {
    return read(response->status, reply);
  } catch (const nlohmann::json::exception& e) {
    return fail(ErrorCode::kInvalidArgument, "{} {} sent an unexpected answer: {}", peer, url.text, e.what());
  }
}

}  // namespace rollway::analysis
