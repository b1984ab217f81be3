#include "rollway/net/client.h"

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "net/unix_socket_path.h"
#include "rollway/http/response_parser.h"

namespace rollway::net {
namespace {

using Clock = std::chrono::steady_clock;

// Closes the descriptor on every path.
class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(Fd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  Fd& operator=(Fd&& other) noexcept {
    std::swap(fd_, other.fd_);
    return *this;
  }
  int get() const { return fd_; }

 private:
  int fd_;
};

std::string describe(int err) {
  switch (err) {
    case ENOENT: return "no such file";
    case ECONNREFUSED: return "connection refused";
    case EACCES: return "permission denied";
    default: return std::strerror(err);
  }
}

Error unreachable(const Endpoint& endpoint, int err) {
  std::string message = "cannot reach rollway at " + endpoint.str() + ": " + describe(err);
  if (err == ENOENT || err == ECONNREFUSED || err == ENOTDIR) message += " (is `rollway serve` running?)";
  if (err == EACCES) message += " (the socket is only for the user running `rollway serve`)";
  return Error{ErrorCode::kUnavailable, std::move(message), {}};
}

int remainingMs(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return left <= 0 ? 0 : static_cast<int>(std::min<long long>(left, 1 << 30));
}

// Waits for `events` on fd; false on timeout. Retries EINTR.
bool waitFor(int fd, short events, Clock::time_point deadline) {
  while (true) {
    pollfd pfd{fd, events, 0};
    int rc = ::poll(&pfd, 1, remainingMs(deadline));
    if (rc > 0) return true;
    if (rc == 0) return false;
    if (errno != EINTR) return true;  // let the following call report the error
  }
}

// Non-blocking connect bounded by the deadline. Returns the errno on failure, -1 on timeout.
int connectWithin(int fd, const sockaddr* address, socklen_t length, Clock::time_point deadline) {
  if (::connect(fd, address, length) == 0) return 0;
  if (errno != EINPROGRESS && errno != EAGAIN) return errno;
  if (!waitFor(fd, POLLOUT, deadline)) return -1;
  int err = 0;
  socklen_t errLength = sizeof(err);
  if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &errLength) != 0) return errno;
  return err;
}

Result<Fd> connectTo(const Endpoint& endpoint, Clock::time_point deadline, std::chrono::milliseconds timeout) {
  auto timedOut = [&] {
    return fail(ErrorCode::kTimeout, "cannot reach rollway at {}: no connection within {} ms", endpoint.str(),
                timeout.count());
  };
  if (endpoint.kind == Endpoint::Kind::kUnix) {
    auto address = unixSocketAddress(endpoint.path);
    if (!address) return fail(address.error());
    Fd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
    if (fd.get() < 0) return fail(ErrorCode::kIo, "socket(): {}", std::strerror(errno));
    int err = connectWithin(fd.get(), reinterpret_cast<const sockaddr*>(&*address), sizeof(sockaddr_un), deadline);
    if (err == -1) return timedOut();
    if (err != 0) return fail(unreachable(endpoint, err));
    return fd;
  }
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* results = nullptr;
  std::string port = std::to_string(endpoint.port);
  int rc = ::getaddrinfo(endpoint.host.c_str(), port.c_str(), &hints, &results);
  if (rc != 0) {
    return fail(ErrorCode::kUnavailable, "cannot reach rollway at {}: cannot resolve {}: {}", endpoint.str(),
                endpoint.host, ::gai_strerror(rc));
  }
  int lastError = ECONNREFUSED;
  for (addrinfo* ai = results; ai != nullptr; ai = ai->ai_next) {
    Fd fd(::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, ai->ai_protocol));
    if (fd.get() < 0) {
      lastError = errno;
      continue;
    }
    int err = connectWithin(fd.get(), ai->ai_addr, ai->ai_addrlen, deadline);
    if (err == 0) {
      ::freeaddrinfo(results);
      int one = 1;
      ::setsockopt(fd.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
      return fd;
    }
    if (err == -1) {
      ::freeaddrinfo(results);
      return timedOut();
    }
    lastError = err;
  }
  ::freeaddrinfo(results);
  return fail(unreachable(endpoint, lastError));
}

}  // namespace

Client::Client(Endpoint endpoint, std::string token) : endpoint_(std::move(endpoint)), token_(std::move(token)) {}

Result<http::Response> Client::call(std::string_view method, std::string_view target, std::string_view body,
                                    std::string_view contentType, std::chrono::milliseconds timeout) const {
  const Clock::time_point deadline = Clock::now() + timeout;
  auto unsafe = [](std::string_view text) { return text.find_first_of(" \r\n\t", 0) != std::string_view::npos; };
  if (method.empty() || unsafe(method) || unsafe(target) || token_.find_first_of("\r\n") != std::string::npos ||
      contentType.find_first_of("\r\n") != std::string_view::npos) {
    return fail(ErrorCode::kInvalidArgument, "invalid request '{} {}': no whitespace or line breaks allowed",
                method, target);
  }
  auto timedOut = [&](const char* what) {
    return fail(ErrorCode::kTimeout, "no {} from rollway at {} within {} ms ({} {})", what, endpoint_.str(),
                timeout.count(), method, target);
  };

  auto connected = connectTo(endpoint_, deadline, timeout);
  if (!connected) return fail(connected.error());
  Fd fd = std::move(*connected);

  http::Request request;
  request.method = std::string(method);
  request.target = target.empty() ? std::string("/") : std::string(target);
  request.keepAlive = false;  // one connection per call
  request.headers.push_back(
      {"Host", endpoint_.kind == Endpoint::Kind::kUnix ? std::string("localhost") : endpoint_.str()});
  if (!body.empty() && !contentType.empty()) request.headers.push_back({"Content-Type", std::string(contentType)});
  if (!token_.empty()) request.headers.push_back({"Authorization", "Bearer " + token_});
  request.headers.push_back({"Accept", "application/json"});
  request.body = std::string(body);
  const std::string wire = http::serialize(request);

  size_t sent = 0;
  while (sent < wire.size()) {
    ssize_t n = ::send(fd.get(), wire.data() + sent, wire.size() - sent, MSG_NOSIGNAL);
    if (n > 0) {
      sent += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      if (!waitFor(fd.get(), POLLOUT, deadline)) return timedOut("request accepted");
      continue;
    }
    // The server may have answered early (e.g. 413) and closed: read that answer below.
    if (n < 0 && (errno == EPIPE || errno == ECONNRESET)) break;
    return fail(ErrorCode::kIo, "cannot send to rollway at {}: {}", endpoint_.str(), std::strerror(errno));
  }

  http::ResponseParser parser;
  parser.setRequestMethod(method);
  char buffer[16 * 1024];
  while (true) {
    if (!waitFor(fd.get(), POLLIN, deadline)) return timedOut("response");
    ssize_t n = ::recv(fd.get(), buffer, sizeof(buffer), 0);
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK) continue;
      if (errno == ECONNRESET && parser.inProgress()) {
        // fall through to EOF handling: a close-delimited body may be complete
      } else {
        return fail(ErrorCode::kUnavailable, "connection to rollway at {} failed: {}", endpoint_.str(),
                    std::strerror(errno));
      }
    }
    if (n <= 0) {
      http::ParseStatus status = parser.feedEof();
      if (status == http::ParseStatus::kComplete) return parser.take();
      return fail(ErrorCode::kUnavailable, "rollway at {} closed the connection {}", endpoint_.str(),
                  status == http::ParseStatus::kNeedMore ? "without answering"
                                                         : "mid-response: " + parser.error().reason);
    }
    http::FeedResult result = parser.feed(std::string_view(buffer, static_cast<size_t>(n)));
    if (result.status == http::ParseStatus::kComplete) return parser.take();
    if (result.status == http::ParseStatus::kError) {
      return fail(ErrorCode::kInternal, "rollway at {} sent an invalid HTTP response: {}", endpoint_.str(),
                  parser.error().reason);
    }
  }
}

}  // namespace rollway::net
