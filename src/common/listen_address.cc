#include "rollway/common/listen_address.h"

#include <arpa/inet.h>

#include <array>
#include <charconv>

namespace rollway {

namespace {

constexpr std::string_view kUsage = "must be IP:PORT, [IPv6]:PORT, localhost:PORT or :PORT (every interface)";

}  // namespace

std::string ListenAddress::str() const {
  return (v6 ? "[" + ip + "]" : ip) + ":" + std::to_string(port);
}

Result<ListenAddress> parseListenAddress(std::string_view text) {
  auto colon = text.rfind(':');
  if (colon == std::string_view::npos) return fail(ErrorCode::kInvalidArgument, "'{}' {}", text, kUsage);
  std::string_view host = text.substr(0, colon);
  std::string_view digits = text.substr(colon + 1);
  unsigned port = 0;
  auto [p, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), port);
  if (digits.empty() || ec != std::errc() || p != digits.data() + digits.size() || port < 1 || port > 65535) {
    return fail(ErrorCode::kInvalidArgument, "'{}': the port must be a number from 1 to 65535", text);
  }
  ListenAddress out;
  out.port = static_cast<uint16_t>(port);
  std::array<char, INET6_ADDRSTRLEN> buffer{};
  if (host.starts_with('[')) {
    if (host.size() < 3 || !host.ends_with(']')) {
      return fail(ErrorCode::kInvalidArgument, "'{}': an IPv6 address must be written [addr]:port", text);
    }
    std::string inside(host.substr(1, host.size() - 2));
    in6_addr a6{};
    if (inside.find('%') != std::string::npos || ::inet_pton(AF_INET6, inside.c_str(), &a6) != 1) {
      return fail(ErrorCode::kInvalidArgument, "'{}': '{}' is not an IPv6 address", text, inside);
    }
    ::inet_ntop(AF_INET6, &a6, buffer.data(), buffer.size());
    out.ip = buffer.data();
    out.v6 = true;
    return out;
  }
  if (host.empty()) {
    out.ip = "0.0.0.0";
    return out;
  }
  std::string name(host);
  for (char& c : name) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  if (name == "localhost") {
    out.ip = "127.0.0.1";
    return out;
  }
  if (name.find(':') != std::string::npos) {
    return fail(ErrorCode::kInvalidArgument, "'{}': an IPv6 address must be written [addr]:port", text);
  }
  in_addr a4{};
  if (::inet_pton(AF_INET, name.c_str(), &a4) != 1) {
    return fail(ErrorCode::kInvalidArgument,
                "'{}': '{}' is not an IP address; listen addresses are not looked up in DNS ({})", text, host,
                kUsage);
  }
  ::inet_ntop(AF_INET, &a4, buffer.data(), buffer.size());
  out.ip = buffer.data();
  return out;
}

std::string canonicalListen(std::string_view text) {
  auto parsed = parseListenAddress(text);
  return parsed ? parsed->str() : std::string(text);
}

bool listenOverlaps(const ListenAddress& a, const ListenAddress& b) {
  if (a.port != b.port) return false;
  if (a.ip == b.ip && a.v6 == b.v6) return true;
  if (a.ip == "::" || b.ip == "::") return true;  // dual-stack
  if (a.v6 != b.v6) return false;
  return a.isWildcard() || b.isWildcard();
}

}  // namespace rollway
