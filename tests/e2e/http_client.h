#pragma once

// A blocking HTTP/1.1 client for end-to-end tests: one keep-alive TCP connection to
// 127.0.0.1, every read bounded by a timeout.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "rollway/http/message.h"

namespace rollway::e2e {

// A port that was free a moment ago (bind to 0, read, close).
uint16_t freePort();
// Polls until something accepts TCP connections on the port.
bool waitForPort(uint16_t port, std::chrono::milliseconds timeout);

class HttpConnection {
 public:
  explicit HttpConnection(uint16_t port, std::chrono::milliseconds timeout = std::chrono::seconds(10));
  ~HttpConnection();
  HttpConnection(const HttpConnection&) = delete;
  HttpConnection& operator=(const HttpConnection&) = delete;

  bool connected() const { return fd_ >= 0; }
  int fd() const { return fd_; }
  bool sendRaw(const std::string& bytes);
  // Reads one response; nullopt on timeout, close or a malformed answer.
  std::optional<http::Response> readResponse(const std::string& requestMethod = "GET");
  // Sends a request (Host and Content-Length added) and reads its response.
  std::optional<http::Response> request(const std::string& method, const std::string& target,
                                        const http::Headers& headers = {}, const std::string& body = "");
  // True when the peer closed (read returns 0) within the timeout.
  bool waitClosed(std::chrono::milliseconds timeout);

 private:
  int fd_ = -1;
  std::chrono::milliseconds timeout_;
  std::string buffer_;
};

// One request on a fresh connection.
std::optional<http::Response> httpGet(uint16_t port, const std::string& target, const http::Headers& headers = {});

// Runs wrk against http://127.0.0.1:port/path and returns what it counted.
struct WrkResult {
  bool ran = false;
  uint64_t requests = 0;
  uint64_t non2xx = 0;
  uint64_t socketErrors = 0;  // connect + read + write + timeout
  std::string output;
};
WrkResult runWrk(uint16_t port, const std::string& path, int connections, int seconds);

}  // namespace rollway::e2e
