#pragma once

// Listen addresses ("host:port") in one canonical form, so that two spellings of one
// socket compare equal and sockets that overlap (a wildcard and a specific address on
// one port) are recognised. Shared by the spec, the control API and the proxy.

#include <cstdint>
#include <string>
#include <string_view>

#include "rollway/common/result.h"

namespace rollway {

struct ListenAddress {
  std::string ip;     // numeric, canonical: "127.0.0.1", "0.0.0.0", "::1", "::"
  uint16_t port = 0;  // 1..65535
  bool v6 = false;

  bool isWildcard() const { return ip == "0.0.0.0" || ip == "::"; }
  // "127.0.0.1:8080" or "[::1]:8080".
  std::string str() const;
  bool operator==(const ListenAddress&) const = default;
};

// Reads "ipv4:port", "[ipv6]:port", "localhost:port" (= 127.0.0.1) or ":port" (= every
// IPv4 interface, 0.0.0.0; write [::]:port for IPv4 and IPv6). Other host names are
// refused: a listen address is never looked up in DNS.
Result<ListenAddress> parseListenAddress(std::string_view text);

// The canonical text of a valid address, else `text` unchanged.
std::string canonicalListen(std::string_view text);

// Whether two addresses cannot both be bound as separate sockets without one of them
// taking connections meant for the other: same port and the same address, or a
// wildcard on the other's family ([::] is dual-stack, so it overlaps every address).
bool listenOverlaps(const ListenAddress& a, const ListenAddress& b);

}  // namespace rollway
