#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "rollway/net/endpoint.h"
#include "rollway/common/result.h"
#include "rollway/http/message.h"

namespace rollway::net {

// A small blocking HTTP/1.1 client for the CLI and tests: one connection per call.
class Client {
 public:
  Client(Endpoint endpoint, std::string token = "");

  // Sends the request (Host, Content-Length and, when a token is set,
  // "Authorization: Bearer <token>" are added). A daemon that cannot be reached is a
  // kUnavailable error whose message names the endpoint, e.g.
  // "cannot reach rollway at unix:/run/rollway/rollway.sock: no such file (is `rollway serve` running?)".
  Result<http::Response> call(std::string_view method, std::string_view target,
                              std::string_view body = "",
                              std::string_view contentType = "application/json",
                              std::chrono::milliseconds timeout = std::chrono::seconds(30)) const;

  const Endpoint& endpoint() const { return endpoint_; }

 private:
  Endpoint endpoint_;
  std::string token_;
};

}  // namespace rollway::net
