#pragma once

// Small rules of HTTP/1.1 message handling shared by both sides of ClientConnection
// (client_connection.cc: requests; response_relay.cc: responses).

#include <charconv>
#include <cstddef>
#include <string>
#include <string_view>

#include <asio.hpp>
#include <asio/experimental/as_tuple.hpp>

#include "rollway/http/message.h"
#include "rollway/http/status.h"

namespace rollway::proxy::detail {

inline constexpr auto kNoThrow = asio::experimental::as_tuple(asio::use_awaitable);
inline constexpr size_t kReadChunk = 16 * 1024;

inline bool isHopByHop(std::string_view name) {
  using http::equalsIgnoreCase;
  switch (name.size()) {
    case 2: return equalsIgnoreCase(name, "te");
    case 7: return equalsIgnoreCase(name, "trailer") || equalsIgnoreCase(name, "upgrade");
    case 10: return equalsIgnoreCase(name, "connection") || equalsIgnoreCase(name, "keep-alive");
    case 16: return equalsIgnoreCase(name, "proxy-connection");
    case 17: return equalsIgnoreCase(name, "transfer-encoding");
    default: return false;
  }
}

// Header names listed in a Connection header are hop-by-hop too (RFC 9110 §7.6.1).
inline bool listedInConnection(std::string_view connection, std::string_view name) {
  size_t i = 0;
  while (i < connection.size()) {
    size_t j = connection.find(',', i);
    if (j == std::string_view::npos) j = connection.size();
    std::string_view token = connection.substr(i, j - i);
    while (!token.empty() && (token.front() == ' ' || token.front() == '\t')) token.remove_prefix(1);
    while (!token.empty() && (token.back() == ' ' || token.back() == '\t')) token.remove_suffix(1);
    if (http::equalsIgnoreCase(token, name)) return true;
    i = j + 1;
  }
  return false;
}

inline void appendStatusLine(std::string& out, int status) {
  char buf[8];
  auto [p, ec] = std::to_chars(buf, buf + sizeof buf, status);
  (void)ec;
  out.append("HTTP/1.1 ");
  out.append(buf, p);
  out.push_back(' ');
  out.append(http::statusReason(status));
  out.append("\r\n");
}

}  // namespace rollway::proxy::detail
