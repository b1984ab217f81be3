#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/steady_timer.hpp>

#include "rollway/probe/probe_state.h"

namespace rollway::probe {

// One bounded TCP exchange for a probe attempt: resolve (numeric hosts skip the
// resolver), connect, then whatever the owner does on the socket, all under one
// deadline. finish() is idempotent; after it, or after abandon(), every pending
// operation completes with an error and the owner's handlers must return.
// Shared by HttpGetRunner and TcpSocketRunner; always held by shared_ptr (handlers keep it
// alive until they have run).
class TcpConnector : public std::enable_shared_from_this<TcpConnector> {
 public:
  TcpConnector(asio::io_context& io, std::string host, int port, std::chrono::seconds timeout,
               std::function<void(ProbeResult)> done);

  // Starts the deadline and the connect; `connected` runs once the socket is up.
  void start(std::function<void()> connected);
  void finish(ProbeOutcome outcome, std::string message);
  // No callback any more; everything is closed.
  void abandon();

  bool finished() const { return finished_; }
  asio::ip::tcp::socket& socket() { return socket_; }
  const std::string& address() const { return address_; }  // "host:port", for messages

 private:
  void connect(const asio::ip::tcp::resolver::results_type& endpoints);

  asio::ip::tcp::socket socket_;
  asio::ip::tcp::resolver resolver_;
  asio::steady_timer timer_;
  std::string host_;
  int port_;
  std::chrono::seconds timeout_;
  std::string address_;
  std::function<void(ProbeResult)> done_;
  std::function<void()> connected_;
  bool finished_ = false;
};

}  // namespace rollway::probe
