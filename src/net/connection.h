#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include <asio.hpp>

#include "rollway/net/server.h"
#include "rollway/http/message.h"
#include "rollway/http/request_parser.h"

namespace rollway::net {

class Connection;

// Lets Responders post back to the server's io_context from any thread, and turns them
// into no-ops once the server is stopping (the io_context may be gone after that).
struct PostGate {
  explicit PostGate(asio::io_context& context) : io(context) {}
  std::mutex mutex;
  bool open = true;
  asio::io_context& io;
};

// What every connection of one server shares. Lives in Server::Impl; io thread only
// (except `gate`).
struct ConnectionContext {
  const ServerOptions* options = nullptr;
  const Handler* handler = nullptr;
  std::shared_ptr<PostGate> gate;
  Logger logger;
  std::function<void(Connection*)> onClosed;
};

// One accepted control-API connection: reads and parses requests, hands each to the
// Handler, and writes the responses back in request order (pipelining), whatever order
// the Responders are called in. Runs on the server's io thread only.
class Connection : public std::enable_shared_from_this<Connection> {
 public:
  using Socket = asio::generic::stream_protocol::socket;
  static constexpr size_t kMaxPipelined = 16;  // reading pauses beyond this many unanswered

  Connection(Socket socket, ConnectionContext& context, bool requireToken);
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  void start();
  // Closes at once (server stop); pending Responders become no-ops.
  void close();
  // The response for request number `sequence` (posted by its Responder).
  void complete(uint64_t sequence, http::Response response);

 private:
  struct Slot {
    uint64_t sequence = 0;
    std::optional<http::Response> response;
    bool closeAfter = false;
    bool head = false;  // a HEAD request: send the headers only
  };

  void doRead();
  void onRead(const asio::error_code& ec, size_t bytes);
  void processBuffer();
  void dispatch(http::Request request);
  bool authorized(const http::Request& request) const;
  bool authorizedValue(const std::string* header) const;
  // Holds a request's bytes back from the parser until its head is complete, then
  // checks the token (TCP) before any byte of the body is parsed. False when the
  // caller must wait (more bytes are being read) or the request was refused.
  bool admitHead();
  void refuseUnauthorized();
  void armHeadTimer();
  void onHeadTimeout();
  void queueError(int status, std::string message, bool closeAfter);
  void pump();
  void lingerAndClose();
  void armIdleTimer();
  void onIdle();

  Socket socket_;
  asio::steady_timer timer_;
  asio::steady_timer headTimer_;  // the head of the current request must arrive in time
  ConnectionContext& context_;
  bool requireToken_;
  http::RequestParser parser_;
  std::string input_;
  std::array<char, 16 * 1024> readBuffer_{};
  std::deque<Slot> slots_;
  uint64_t nextSequence_ = 0;
  std::string output_;
  bool reading_ = false;
  bool writing_ = false;
  bool readPaused_ = false;
  bool readingDone_ = false;  // no more requests will be read
  bool lingering_ = false;    // response sent, draining input before close
  bool closed_ = false;
  bool headAdmitted_ = false;  // the current request's head was complete and passed
  bool headTimerArmed_ = false;
  size_t lingerLimit_ = SIZE_MAX;  // bytes discarded while lingering before closing anyway
  size_t lingered_ = 0;
};

}  // namespace rollway::net
