#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "rollway/net/endpoint.h"
#include "rollway/common/log.h"
#include "rollway/common/result.h"
#include "rollway/http/message.h"

namespace rollway::net {

// Sends the response for one request. Call it exactly once, from any thread, now or
// later (long-polling); calls after the first, or after the server stopped, are ignored.
using Responder = std::function<void(http::Response)>;
using Handler = std::function<void(http::Request, Responder)>;

struct ServerOptions {
  std::string unixPath;               // created with mode 0600 (parent dir 0700 if created); may be empty when tcp is set
  std::optional<Endpoint> tcp;        // optional TCP listener
  std::string token;                  // bearer token required on TCP (never on the unix socket)
  bool openTcp = false;               // TCP without a token: only for read-only endpoints (metrics)
  size_t maxHeaderBytes = 64 * 1024;  // 431 beyond
  size_t maxBodyBytes = 8 * 1024 * 1024;  // 413 beyond
  std::chrono::milliseconds idleTimeout{60'000};
  // From the first byte of a request to the end of its head; never longer than
  // idleTimeout. Bytes trickling in do not extend it (408, then closed).
  std::chrono::milliseconds headerTimeout{10'000};
  // Open connections per listener (unix, TCP); a connection beyond it is closed at once.
  size_t maxConnections = 64;
  Logger logger;                      // nullLogger() when unset
};

// HTTP/1.1 server for the control API on a unix socket (+ optional TCP). Runs its own
// thread with one asio::io_context; the handler runs on that thread and must not block
// for long. Keep-alive and pipelined requests are answered in order. On TCP the bearer
// token is checked as soon as a request's head is complete: a request without it gets
// 401 and the connection is closed without its body being read.
class Server {
 public:
  // Binds, then serves in the background. A stale socket file (no one listening) is
  // replaced; a live one is a kConflict error ("another daemon is running on ...").
  // TCP without a token is refused (kInvalidArgument).
  static Result<std::unique_ptr<Server>> start(ServerOptions options, Handler handler);
  ~Server();  // stop()
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Stops accepting, closes connections, joins the thread, removes the socket file.
  void stop();
  // The bound TCP port (useful with port 0), 0 when no TCP listener.
  uint16_t tcpPort() const;

 private:
  struct Impl;
  explicit Server(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace rollway::net
