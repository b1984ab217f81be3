#pragma once

#include <cstdint>
#include <memory>
#include <string_view>
#include <unordered_map>

#include <asio.hpp>

#include "handler.h"
#include "options.h"
#include "rollway/common/clock.h"
#include "rollway/common/log.h"
#include "rollway/http/message.h"

namespace demo {

// One io_context on one thread: the listener, every connection (keep-alive, pipelined,
// answered in order), the signal handling and the termination sequence.
//
// Lifecycle: starting (--startup-delay, nothing listens) → serving → stop requested
// (SIGTERM/SIGINT; still serving for --shutdown-delay) → draining (listener closed,
// idle connections closed, busy ones answered with "Connection: close") → done.
// A connection is busy while it holds part of a request or a request not yet answered;
// a hung /healthz request does not count (it would never finish).
class Server {
 public:
  Server(const Options& options, rollway::Logger log, rollway::SteadyTime processStart);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Runs until the process should exit; returns the exit status.
  int run();

 private:
  enum class Phase { kStarting, kServing, kStopRequested, kDraining, kDone };
  enum class ConnState { kIdle, kReading, kHandling, kHung, kClosing };
  struct Connection {
    explicit Connection(asio::ip::tcp::socket s) : socket(std::move(s)), timer(socket.get_executor()) {}
    asio::ip::tcp::socket socket;
    asio::steady_timer timer;  // response delays, then the lingering close
    ConnState state = ConnState::kIdle;
  };
  using ConnectionPtr = std::shared_ptr<Connection>;

  asio::awaitable<void> start();
  asio::awaitable<void> acceptLoop();
  asio::awaitable<void> watchSignals();
  asio::awaitable<void> serve(ConnectionPtr c, uint64_t id);
  // Answers one request; false when the connection must close afterwards.
  asio::awaitable<bool> respond(ConnectionPtr c, rollway::http::Request request);
  asio::awaitable<void> discardUntilClosed(ConnectionPtr c);
  asio::awaitable<void> closeGracefully(ConnectionPtr c);

  void onStopSignal(int signal);
  void beginDrain();
  void setState(Connection& c, ConnState state);
  void checkDrained();
  size_t busyConnections() const;
  bool draining() const { return phase_ == Phase::kDraining || phase_ == Phase::kDone; }
  void finish(int status, std::string_view why);
  // For co_spawn: an exception escaping a coroutine ends the process with status 1.
  auto onCoroutineEnd(std::string_view what);

  asio::io_context io_;  // first: destroyed last, after everything that uses it
  const Options& options_;
  rollway::Logger log_;
  rollway::SystemClock clock_;
  rollway::SteadyTime processStart_;
  Handler handler_;
  asio::ip::tcp::acceptor acceptor_;
  asio::signal_set signals_;
  asio::steady_timer startupTimer_;
  asio::steady_timer crashTimer_;
  asio::steady_timer shutdownTimer_;
  asio::steady_timer drainTimer_;
  std::unordered_map<uint64_t, ConnectionPtr> connections_;
  uint64_t nextId_ = 0;
  uint64_t served_ = 0;
  Phase phase_ = Phase::kStarting;
  int exitStatus_ = 0;
};

}  // namespace demo
