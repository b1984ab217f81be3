#include "http_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <regex>
#include <thread>

#include "harness.h"
#include "rollway/http/response_parser.h"

namespace rollway::e2e {

namespace {

int connectTo(uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;
  }
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

}  // namespace

uint16_t freePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

bool waitForPort(uint16_t port, std::chrono::milliseconds timeout) {
  return waitFor(
      [port] {
        int fd = connectTo(port);
        if (fd < 0) return false;
        ::close(fd);
        return true;
      },
      timeout);
}

HttpConnection::HttpConnection(uint16_t port, std::chrono::milliseconds timeout) : timeout_(timeout) {
  fd_ = connectTo(port);
}

HttpConnection::~HttpConnection() {
  if (fd_ >= 0) ::close(fd_);
}

bool HttpConnection::sendRaw(const std::string& bytes) {
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::send(fd_, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
    if (n <= 0) return false;
    done += static_cast<size_t>(n);
  }
  return true;
}

std::optional<http::Response> HttpConnection::readResponse(const std::string& requestMethod) {
  http::ResponseParser parser(http::ParseLimits{64 * 1024, 256 * 1024 * 1024});
  parser.setRequestMethod(requestMethod);
  auto deadline = std::chrono::steady_clock::now() + timeout_;
  for (;;) {
    if (!buffer_.empty()) {
      auto r = parser.feed(buffer_);
      if (r.status == http::ParseStatus::kComplete) {
        buffer_.erase(0, r.consumed);
        return parser.take();
      }
      if (r.status == http::ParseStatus::kError) return std::nullopt;
      buffer_.clear();
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return std::nullopt;
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) return std::nullopt;
    char buf[65536];
    ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n <= 0) {
      if (parser.feedEof() == http::ParseStatus::kComplete) return parser.take();
      return std::nullopt;
    }
    buffer_.append(buf, static_cast<size_t>(n));
  }
}

std::optional<http::Response> HttpConnection::request(const std::string& method, const std::string& target,
                                                      const http::Headers& headers, const std::string& body) {
  http::Request r;
  r.method = method;
  r.target = target;
  r.headers = headers;
  if (!r.header("Host")) r.headers.push_back({"Host", "127.0.0.1"});
  r.body = body;
  if (!sendRaw(http::serialize(r))) return std::nullopt;
  return readResponse(method);
}

bool HttpConnection::waitClosed(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) return false;
    char buf[4096];
    ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n <= 0) return true;
  }
}

std::optional<http::Response> httpGet(uint16_t port, const std::string& target, const http::Headers& headers) {
  HttpConnection c(port);
  if (!c.connected()) return std::nullopt;
  return c.request("GET", target, headers);
}

WrkResult runWrk(uint16_t port, const std::string& path, int connections, int seconds) {
  WrkResult out;
  auto r = run({"/usr/bin/wrk", "-t1", "-c" + std::to_string(connections), "-d" + std::to_string(seconds) + "s",
                "--timeout", "5s", "http://127.0.0.1:" + std::to_string(port) + path},
               std::chrono::seconds(seconds + 30));
  out.output = r.out + r.err;
  if (r.exitCode != 0) return out;
  out.ran = true;
  std::smatch m;
  if (std::regex_search(out.output, m, std::regex("(\\d+) requests in"))) out.requests = std::stoull(m[1]);
  if (std::regex_search(out.output, m, std::regex("Non-2xx or 3xx responses: (\\d+)"))) out.non2xx = std::stoull(m[1]);
  if (std::regex_search(out.output, m,
                        std::regex("Socket errors: connect (\\d+), read (\\d+), write (\\d+), timeout (\\d+)"))) {
    out.socketErrors = std::stoull(m[1]) + std::stoull(m[2]) + std::stoull(m[3]) + std::stoull(m[4]);
  }
  return out;
}

}  // namespace rollway::e2e
