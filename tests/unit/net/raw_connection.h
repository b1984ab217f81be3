#pragma once

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "rollway/http/response_parser.h"

namespace rollway::net::test {

// A plain blocking client socket for tests that need byte-level control (keep-alive,
// pipelining, oversized heads). Every wait is bounded.
class RawConnection {
 public:
  static RawConnection unixSocket(const std::string& path) {
    RawConnection c;
    c.fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::strncpy(address.sun_path, path.c_str(), sizeof(address.sun_path) - 1);
    if (::connect(c.fd_, reinterpret_cast<const sockaddr*>(&address), sizeof(address)) != 0) c.close();
    return c;
  }
  static RawConnection tcp(uint16_t port) {
    RawConnection c;
    c.fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(c.fd_, reinterpret_cast<const sockaddr*>(&address), sizeof(address)) != 0) c.close();
    return c;
  }

  RawConnection() = default;
  RawConnection(RawConnection&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  RawConnection& operator=(RawConnection&& other) noexcept {
    std::swap(fd_, other.fd_);
    return *this;
  }
  ~RawConnection() { close(); }

  // The next response answers a HEAD request (no body).
  void expectHeadResponse() { parser_.setRequestMethod("HEAD"); }

  bool connected() const { return fd_ >= 0; }
  // A small kernel send buffer, so that what send() accepted is close to what the peer read.
  void setSendBuffer(int bytes) { ::setsockopt(fd_, SOL_SOCKET, SO_SNDBUF, &bytes, sizeof bytes); }
  // Sends up to `total` bytes of filler; returns how many the kernel accepted before an
  // error (the peer closed) or the timeout.
  size_t sendFiller(size_t total, std::chrono::milliseconds timeout) {
    std::string chunk(16 * 1024, 'x');
    size_t sent = 0;
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (sent < total && std::chrono::steady_clock::now() < deadline) {
      pollfd pfd{fd_, POLLOUT, 0};
      if (::poll(&pfd, 1, 50) <= 0) continue;
      if ((pfd.revents & (POLLERR | POLLHUP)) != 0) break;
      ssize_t n = ::send(fd_, chunk.data(), std::min(chunk.size(), total - sent), MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
      if (n <= 0) break;
      sent += static_cast<size_t>(n);
    }
    return sent;
  }
  void close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

  bool send(std::string_view bytes) {
    while (!bytes.empty()) {
      ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      bytes.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  }

  // Reads until `count` responses are parsed, EOF, or the timeout.
  std::vector<http::Response> read(size_t count, std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
    std::vector<http::Response> out;
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (out.size() < count) {
      // Bytes already buffered may hold further pipelined responses.
      while (!pending_.empty() && out.size() < count) {
        auto result = parser_.feed(pending_);
        if (result.status == http::ParseStatus::kComplete) {
          pending_.erase(0, result.consumed);
          out.push_back(parser_.take());
        } else if (result.status == http::ParseStatus::kNeedMore) {
          pending_.clear();
        } else {
          return out;
        }
      }
      if (out.size() >= count) break;
      char buffer[65536];
      ssize_t n = readSome(buffer, sizeof(buffer), deadline);
      if (n <= 0) {
        if (n == 0 && parser_.feedEof() == http::ParseStatus::kComplete) out.push_back(parser_.take());
        eof_ = n == 0;
        return out;
      }
      pending_.append(buffer, static_cast<size_t>(n));
    }
    return out;
  }

  // True when the server closes the connection within the timeout.
  bool waitForEof(std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
    if (eof_) return true;
    auto deadline = std::chrono::steady_clock::now() + timeout;
    char buffer[4096];
    while (true) {
      ssize_t n = readSome(buffer, sizeof(buffer), deadline);
      if (n == 0) return true;
      if (n < 0) return errno == ECONNRESET;
    }
  }

 private:
  // >0 bytes, 0 EOF, -1 error or timeout (errno ETIMEDOUT).
  ssize_t readSome(char* buffer, size_t size, std::chrono::steady_clock::time_point deadline) {
    while (true) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) {
        errno = ETIMEDOUT;
        return -1;
      }
      pollfd pfd{fd_, POLLIN, 0};
      int rc = ::poll(&pfd, 1, static_cast<int>(left.count()));
      if (rc < 0 && errno == EINTR) continue;
      if (rc <= 0) continue;
      return ::recv(fd_, buffer, size, 0);
    }
  }

  int fd_ = -1;
  std::string pending_;
  http::ResponseParser parser_;
  bool eof_ = false;
};

}  // namespace rollway::net::test
