#include "http_url.h"

#include <algorithm>
#include <cctype>

#include <fmt/format.h>

#include "rollway/net/client.h"

namespace rollway::analysis {

Result<HttpUrl> HttpUrl::parse(std::string_view text) {
  constexpr std::string_view kScheme = "http://";
  if (text.starts_with("https://")) {
    return fail(ErrorCode::kInvalidArgument, "'{}': https is not supported yet, use http://", text);
  }
  if (!text.starts_with(kScheme)) {
    return fail(ErrorCode::kInvalidArgument, "'{}' is not an http:// URL (e.g. http://127.0.0.1:9090)", text);
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
  url.endpoint = std::move(*endpoint);
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

Result<http::Response> callUrl(const HttpUrl& url, std::string_view peer, std::string_view method,
                               const std::string& target, std::string_view body,
                               std::chrono::milliseconds timeout) {
  net::Client client(url.endpoint);
  auto response = client.call(method, target, body, "application/json", timeout);
  if (response) return response;
  // net::Client speaks of "rollway at ..." and `rollway serve`: name the real peer.
  Error e = response.error();
  std::string message = e.message;
  for (std::string_view hint : {" (is `rollway serve` running?)", " (the socket is only for the user running `rollway serve`)"}) {
    if (auto at = message.find(hint); at != std::string::npos) message.erase(at, hint.size());
  }
  if (auto at = message.find("rollway at "); at != std::string::npos) {
    e.message = message.replace(at, 7, peer);
  } else {
    e.message = fmt::format("{} {}: {}", peer, url.text, message);
  }
  return fail(e);
}

Result<std::optional<double>> fetchJson(const HttpUrl& url, std::string_view peer, std::string_view method,
                                        const std::string& target, std::string_view body,
                                        std::chrono::milliseconds timeout, const JsonReader& read) {
  auto response = callUrl(url, peer, method, target, body, timeout);
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
