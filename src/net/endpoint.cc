#include "rollway/net/endpoint.h"

#include <charconv>
#include <string>

namespace rollway::net {
namespace {

bool startsWith(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

Result<Endpoint> parseUnix(std::string_view original, std::string_view path) {
  if (path.empty()) {
    return fail(ErrorCode::kInvalidArgument,
                "endpoint '{}': the unix socket path is empty (e.g. unix:/run/rollway/rollway.sock)",
                original);
  }
  if (path.front() != '/') {
    return fail(ErrorCode::kInvalidArgument,
                "endpoint '{}': the unix socket path '{}' is relative; an absolute path is needed "
                "(e.g. unix:/run/rollway/rollway.sock)",
                original, path);
  }
  Endpoint endpoint;
  endpoint.kind = Endpoint::Kind::kUnix;
  endpoint.path = std::string(path);
  return endpoint;
}

Result<Endpoint> parseTcp(std::string_view original, std::string_view hostPort, bool defaultPort80) {
  if (!hostPort.empty() && hostPort.back() == '/') hostPort.remove_suffix(1);
  std::string_view host;
  std::string_view port;
  if (startsWith(hostPort, "[")) {
    auto close = hostPort.find(']');
    if (close == std::string_view::npos) {
      return fail(ErrorCode::kInvalidArgument, "endpoint '{}': missing ']' after an IPv6 address", original);
    }
    host = hostPort.substr(1, close - 1);
    std::string_view rest = hostPort.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') {
        return fail(ErrorCode::kInvalidArgument, "endpoint '{}': expected ':<port>' after ']'", original);
      }
      port = rest.substr(1);
      if (port.empty()) {
        return fail(ErrorCode::kInvalidArgument, "endpoint '{}': the port after ':' is empty", original);
      }
    }
  } else {
    auto colon = hostPort.rfind(':');
    if (colon != std::string_view::npos) {
      host = hostPort.substr(0, colon);
      port = hostPort.substr(colon + 1);
      if (port.empty()) {
        return fail(ErrorCode::kInvalidArgument, "endpoint '{}': the port after ':' is empty", original);
      }
      if (host.find(':') != std::string_view::npos) {
        return fail(ErrorCode::kInvalidArgument,
                    "endpoint '{}': write an IPv6 address in brackets, e.g. [::1]:7070", original);
      }
    } else {
      host = hostPort;
    }
  }
  if (host.empty()) {
    return fail(ErrorCode::kInvalidArgument, "endpoint '{}': the host is empty (expected host:port)",
                original);
  }
  if (port.empty() && !defaultPort80) {
    return fail(ErrorCode::kInvalidArgument,
                "endpoint '{}': expected host:port (e.g. tcp:127.0.0.1:7070)", original);
  }
  unsigned value = 80;
  if (!port.empty()) {
    auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (ec == std::errc::result_out_of_range ||
        (ec == std::errc() && end == port.data() + port.size() && value > 65535)) {
      return fail(ErrorCode::kInvalidArgument, "endpoint '{}': port {} is out of range (0-65535)",
                  original, port);
    }
    if (ec != std::errc() || end != port.data() + port.size()) {
      return fail(ErrorCode::kInvalidArgument, "endpoint '{}': port '{}' is not a number", original, port);
    }
  }
  Endpoint endpoint;
  endpoint.kind = Endpoint::Kind::kTcp;
  endpoint.host = std::string(host);
  endpoint.port = static_cast<uint16_t>(value);
  return endpoint;
}

}  // namespace

Result<Endpoint> Endpoint::parse(std::string_view text) {
  if (text.empty()) {
    return fail(ErrorCode::kInvalidArgument,
                "empty endpoint: expected unix:/path/to.sock, an absolute path, or host:port");
  }
  if (startsWith(text, "unix:")) return parseUnix(text, text.substr(5));
  if (text.front() == '/') return parseUnix(text, text);
  if (startsWith(text, "tcp:")) return parseTcp(text, text.substr(4), false);
  if (startsWith(text, "http://")) return parseTcp(text, text.substr(7), true);
  if (startsWith(text, "https://")) {
    return fail(ErrorCode::kInvalidArgument, "endpoint '{}': https is not supported, use http://", text);
  }
  if (text.front() == '[' || text.find(':') != std::string_view::npos) return parseTcp(text, text, false);
  return fail(ErrorCode::kInvalidArgument,
              "endpoint '{}' is neither host:port nor an absolute unix socket path; a unix socket "
              "needs an absolute path (e.g. unix:/run/rollway/rollway.sock)",
              text);
}

std::string Endpoint::str() const {
  if (kind == Kind::kUnix) return "unix:" + path;
  if (host.find(':') != std::string::npos) return "[" + host + "]:" + std::to_string(port);
  return host + ":" + std::to_string(port);
}

}  // namespace rollway::net
