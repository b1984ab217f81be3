#include "server.h"

#include <sys/resource.h>

#include <array>
#include <csignal>
#include <cstdio>
#include <cstdlib>

#include <fmt/format.h>

#include "rollway/http/request_parser.h"

namespace demo {
namespace {

using asio::awaitable;
using asio::redirect_error;
using asio::use_awaitable;
using asio::ip::tcp;

constexpr auto kLingerTime = std::chrono::seconds(2);
constexpr auto kAcceptRetry = std::chrono::milliseconds(50);
constexpr size_t kReadChunk = 16 * 1024;

const char* signalName(int signal) {
  switch (signal) {
    case SIGTERM:
      return "SIGTERM";
    case SIGINT:
      return "SIGINT";
    default:
      return "signal";
  }
}

std::string endpointText(const tcp::endpoint& endpoint) {
  auto address = endpoint.address();
  return address.is_v6() ? fmt::format("[{}]:{}", address.to_string(), endpoint.port())
                         : fmt::format("{}:{}", address.to_string(), endpoint.port());
}

// Hundreds of connections need more than the usual soft limit of 1024 descriptors.
void raiseFileLimit() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &limit);
  }
}

}  // namespace

Server::Server(const Options& options, rollway::Logger log, rollway::SteadyTime processStart)
    : options_(options),
      log_(std::move(log)),
      processStart_(processStart),
      handler_(options, processStart),
      acceptor_(io_),
      signals_(io_),
      startupTimer_(io_),
      crashTimer_(io_),
      shutdownTimer_(io_),
      drainTimer_(io_) {}

Server::~Server() = default;

auto Server::onCoroutineEnd(std::string_view what) {
  return [this, what](std::exception_ptr error) {
    if (!error) return;
    try {
      std::rethrow_exception(error);
    } catch (const std::exception& e) {
      log_->error("{} failed: {}", what, e.what());
    } catch (...) {
      log_->error("{} failed", what);
    }
    finish(1, "internal error");
  };
}

int Server::run() {
  raiseFileLimit();
  std::signal(SIGPIPE, SIG_IGN);  // a closed stdout must not kill us; sockets use MSG_NOSIGNAL anyway
  if (options_.ignoreSigterm) {
    std::signal(SIGTERM, SIG_IGN);
    log_->info("ignoring SIGTERM (--ignore-sigterm)");
  } else {
    signals_.add(SIGTERM);
  }
  signals_.add(SIGINT);
  asio::co_spawn(io_, watchSignals(), onCoroutineEnd("signal handling"));

  if (options_.crashAfter) {
    crashTimer_.expires_at(processStart_ + *options_.crashAfter);
    crashTimer_.async_wait([this](asio::error_code ec) {
      if (!ec) finish(3, fmt::format("crashing (--crash-after {})", formatDuration(*options_.crashAfter)));
    });
  }
  asio::co_spawn(io_, start(), onCoroutineEnd("start"));
  io_.run();
  return exitStatus_;
}

awaitable<void> Server::start() {
  if (options_.startupDelay.count() > 0) {
    log_->info("starting: not listening for {} (--startup-delay)", formatDuration(options_.startupDelay));
    startupTimer_.expires_at(processStart_ + options_.startupDelay);
    asio::error_code ec;
    co_await startupTimer_.async_wait(redirect_error(use_awaitable, ec));
  }
  if (phase_ != Phase::kStarting) co_return;

  asio::error_code ec;
  tcp::resolver resolver(io_);
  auto results = co_await resolver.async_resolve(options_.host, std::to_string(options_.port),
                                                 tcp::resolver::passive, redirect_error(use_awaitable, ec));
  if (ec || results.empty()) {
    finish(1, fmt::format("cannot resolve --host {}: {}", options_.host, ec ? ec.message() : "no address"));
    co_return;
  }
  tcp::endpoint endpoint = results.begin()->endpoint();
  acceptor_.open(endpoint.protocol(), ec);
  if (!ec) acceptor_.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) acceptor_.bind(endpoint, ec);
  if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    finish(1, fmt::format("cannot listen on {}: {}", endpointText(endpoint), ec.message()));
    co_return;
  }
  endpoint = acceptor_.local_endpoint(ec);
  std::string address = endpointText(endpoint);
  std::string instance = options_.instance;
  if (instance.empty()) {
    const char* env = std::getenv("ROLLWAY_INSTANCE");
    instance = env && *env ? env : address;
  }
  handler_.listening(endpoint.port(), instance, clock_.now());
  phase_ = Phase::kServing;
  fmt::print("listening on {}\n", address);
  std::fflush(stdout);
  log_->info("listening on {} version={} instance={} (ready in {})", address, options_.version, instance,
             formatDuration(options_.readyDelay));
  asio::co_spawn(io_, acceptLoop(), onCoroutineEnd("accept loop"));
}

awaitable<void> Server::acceptLoop() {
  asio::steady_timer retry(io_);
  while (acceptor_.is_open() && (phase_ == Phase::kServing || phase_ == Phase::kStopRequested)) {
    asio::error_code ec;
    tcp::socket socket = co_await acceptor_.async_accept(redirect_error(use_awaitable, ec));
    if (ec) {
      if (ec == asio::error::operation_aborted || !acceptor_.is_open()) break;
      // Out of descriptors or a connection reset before accept: wait a little, go on.
      log_->warn("accept: {}", ec.message());
      retry.expires_after(kAcceptRetry);
      co_await retry.async_wait(redirect_error(use_awaitable, ec));
      continue;
    }
    if (phase_ == Phase::kDone) break;
    socket.set_option(tcp::no_delay(true), ec);
    auto connection = std::make_shared<Connection>(std::move(socket));
    uint64_t id = nextId_++;
    connections_.emplace(id, connection);
    asio::co_spawn(io_, serve(connection, id), onCoroutineEnd("connection"));
  }
}

awaitable<void> Server::watchSignals() {
  for (;;) {
    asio::error_code ec;
    int signal = co_await signals_.async_wait(redirect_error(use_awaitable, ec));
    if (ec) co_return;
    onStopSignal(signal);
  }
}

void Server::onStopSignal(int signal) {
  switch (phase_) {
    case Phase::kStarting:
      log_->info("received {} before listening", signalName(signal));
      finish(0, "stopped before listening");
      return;
    case Phase::kServing:
      phase_ = Phase::kStopRequested;
      if (options_.shutdownDelay.count() > 0) {
        log_->info("received {}: serving normally for {} (--shutdown-delay), then draining", signalName(signal),
                   formatDuration(options_.shutdownDelay));
        shutdownTimer_.expires_after(options_.shutdownDelay);
        shutdownTimer_.async_wait([this](asio::error_code ec) {
          if (!ec) beginDrain();
        });
      } else {
        log_->info("received {}", signalName(signal));
        beginDrain();
      }
      return;
    case Phase::kStopRequested:
    case Phase::kDraining:
    case Phase::kDone:
      log_->info("received {}: already stopping", signalName(signal));
      return;
  }
}

void Server::beginDrain() {
  if (phase_ != Phase::kStopRequested) return;
  phase_ = Phase::kDraining;
  asio::error_code ec;
  acceptor_.close(ec);
  log_->info("draining: listener closed, new connections are refused");

  size_t closed = 0;
  for (auto& [id, c] : connections_) {
    if (c->state != ConnState::kIdle) continue;
    if (c->socket.available(ec) > 0) {
      // A request is already on its way: read it and answer it (with Connection: close).
      c->state = ConnState::kReading;
      continue;
    }
    c->socket.close(ec);
    ++closed;
  }
  size_t hung = 0;
  for (const auto& [id, c] : connections_) hung += c->state == ConnState::kHung ? 1 : 0;
  log_->info("draining: closed {} idle connection(s); {} busy, {} hung (not waited for); drain timeout {}", closed,
             busyConnections(), hung, formatDuration(options_.drainTimeout));
  drainTimer_.expires_after(options_.drainTimeout);
  drainTimer_.async_wait([this](asio::error_code timerError) {
    if (timerError) return;
    finish(1, fmt::format("drain timeout ({}): {} connection(s) still busy", formatDuration(options_.drainTimeout),
                          busyConnections()));
  });
  checkDrained();
}

size_t Server::busyConnections() const {
  size_t busy = 0;
  for (const auto& [id, c] : connections_) {
    if (c->state == ConnState::kReading || c->state == ConnState::kHandling) ++busy;
  }
  return busy;
}

void Server::setState(Connection& c, ConnState state) {
  c.state = state;
  if (state != ConnState::kReading && state != ConnState::kHandling) checkDrained();
}

void Server::checkDrained() {
  if (phase_ == Phase::kDraining && busyConnections() == 0) finish(0, "drained: nothing in flight");
}

void Server::finish(int status, std::string_view why) {
  if (phase_ == Phase::kDone) return;
  phase_ = Phase::kDone;
  exitStatus_ = status;
  if (status == 0) {
    log_->info("{}", why);
  } else {
    log_->error("{}", why);
  }
  log_->info("served {} requests; exiting with status {}", served_, status);
  asio::error_code ec;
  acceptor_.close(ec);
  io_.stop();
}

awaitable<void> Server::serve(ConnectionPtr c, uint64_t id) {
  rollway::http::RequestParser parser;  // default limits: 64 KiB of headers, 8 MiB of body
  std::string pending;                  // bytes read and not yet fed
  std::array<char, kReadChunk> chunk;
  bool linger = false;
  for (;;) {
    if (phase_ == Phase::kDone) co_return;
    // Answer every complete request already received, in order (pipelining).
    if (!pending.empty()) {
      auto result = parser.feed(pending);
      if (result.status == rollway::http::ParseStatus::kComplete) {
        pending.erase(0, result.consumed);
        setState(*c, ConnState::kHandling);
        if (co_await respond(c, parser.take())) continue;
        linger = c->state != ConnState::kHung;
        break;
      }
      if (result.status == rollway::http::ParseStatus::kError) {
        setState(*c, ConnState::kHandling);
        rollway::http::Response response;
        response.status = parser.error().status;
        response.headers.push_back({"Content-Type", "text/plain; charset=utf-8"});
        response.body = parser.error().reason + "\n";
        response.keepAlive = false;
        handler_.decorate(response);
        std::string wire = rollway::http::serialize(response);
        asio::error_code ec;
        co_await asio::async_write(c->socket, asio::buffer(wire), redirect_error(use_awaitable, ec));
        if (!ec) ++served_;
        linger = !ec;
        break;
      }
      pending.clear();  // kNeedMore: the parser holds everything
    }
    ConnState next = parser.inProgress() ? ConnState::kReading : ConnState::kIdle;
    if (next == ConnState::kIdle && draining()) {
      asio::error_code ec;
      if (c->socket.available(ec) == 0) break;  // idle while draining: close
      next = ConnState::kReading;               // a request is already on its way: answer it
    }
    setState(*c, next);
    if (phase_ == Phase::kDone) co_return;
    asio::error_code ec;
    size_t n = co_await c->socket.async_read_some(asio::buffer(chunk), redirect_error(use_awaitable, ec));
    if (ec) break;  // peer closed (a half-sent request is dropped), or closed by the drain
    pending.append(chunk.data(), n);
  }
  if (phase_ == Phase::kDone) co_return;
  if (linger) co_await closeGracefully(c);
  asio::error_code ec;
  c->socket.close(ec);
  c->state = ConnState::kClosing;
  connections_.erase(id);
  checkDrained();
}

awaitable<bool> Server::respond(ConnectionPtr c, rollway::http::Request request) {
  Reply reply = handler_.handle(request, clock_.now());
  if (request.path().starts_with("/admin/")) {
    log_->info("admin: {} {} '{}' -> {}", request.method, request.target, request.body.substr(0, 64),
               reply.response.status);
  }
  if (reply.hang) {
    setState(*c, ConnState::kHung);
    co_await discardUntilClosed(c);
    co_return false;
  }
  if (reply.delay.count() > 0) {
    asio::error_code ec;
    c->timer.expires_after(reply.delay);
    co_await c->timer.async_wait(redirect_error(use_awaitable, ec));
  }
  if (phase_ == Phase::kDone) co_return false;

  auto& response = reply.response;
  // Decided when sending: a request that was in flight when the drain began says close.
  bool keepAlive = request.keepAlive && request.versionMinor >= 1 && !draining() && !reply.exitStatus;
  response.keepAlive = keepAlive;
  handler_.decorate(response);
  if (request.method == "HEAD") {
    if (response.status != 204 && response.status != 304) {
      response.headers.push_back({"Content-Length", std::to_string(response.body.size())});
    }
    response.body.clear();
  }
  std::string wire = rollway::http::serialize(response);
  asio::error_code ec;
  co_await asio::async_write(c->socket, asio::buffer(wire), redirect_error(use_awaitable, ec));
  if (ec) co_return false;
  ++served_;
  if (reply.exitStatus) {
    finish(*reply.exitStatus, fmt::format("exiting with status {} (/admin/exit)", *reply.exitStatus));
    co_return false;
  }
  co_return keepAlive;
}

awaitable<void> Server::discardUntilClosed(ConnectionPtr c) {
  std::array<char, 4096> sink;
  for (;;) {
    asio::error_code ec;
    co_await c->socket.async_read_some(asio::buffer(sink), redirect_error(use_awaitable, ec));
    if (ec) co_return;
  }
}

// Closing right after a response with unread input would make the kernel send a reset,
// which can destroy the response before the client reads it: shut down our side, read
// until the peer closes (bounded), then close.
awaitable<void> Server::closeGracefully(ConnectionPtr c) {
  setState(*c, ConnState::kClosing);
  asio::error_code ec;
  c->socket.shutdown(tcp::socket::shutdown_send, ec);
  if (ec) co_return;
  c->timer.expires_after(kLingerTime);
  c->timer.async_wait([c](asio::error_code timerError) {
    if (timerError) return;
    asio::error_code ignored;
    c->socket.close(ignored);
  });
  co_await discardUntilClosed(c);
  c->timer.cancel();
}

}  // namespace demo
