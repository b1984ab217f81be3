#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "rollway/common/result.h"

namespace rollway::net {

// Where a control API listens / where a client connects.
//   unix:/run/rollway/rollway.sock   or an absolute path   -> unix socket
//   tcp:127.0.0.1:7070, 127.0.0.1:7070, http://127.0.0.1:7070, [::1]:7070 -> TCP
struct Endpoint {
  enum class Kind { kUnix, kTcp };
  Kind kind = Kind::kUnix;
  std::string path;  // kUnix
  std::string host;  // kTcp
  uint16_t port = 0; // kTcp; 0 = pick a free port (servers only)

  static Result<Endpoint> parse(std::string_view text);
  std::string str() const;  // "unix:/path" or "127.0.0.1:7070"
};

}  // namespace rollway::net
