#include "probe/tcp_connector.h"

#include <utility>

#include <asio/connect.hpp>
#include <asio/post.hpp>
#include <fmt/format.h>

namespace rollway::probe {

TcpConnector::TcpConnector(asio::io_context& io, std::string host, int port, std::chrono::seconds timeout,
                           std::function<void(ProbeResult)> done)
    : socket_(io),
      resolver_(io),
      timer_(io),
      host_(std::move(host)),
      port_(port),
      timeout_(timeout),
      address_(fmt::format("{}:{}", host_, port_)),
      done_(std::move(done)) {}

void TcpConnector::start(std::function<void()> connected) {
  connected_ = std::move(connected);
  timer_.expires_after(timeout_);
  timer_.async_wait([this, self = shared_from_this()](const std::error_code& ec) {
    if (ec || finished_) return;
    finish(ProbeOutcome::kTimeout, fmt::format("{}: timed out after {}s", address_, timeout_.count()));
  });
  if (port_ <= 0 || port_ > 65535) {
    asio::post(socket_.get_executor(), [this, self = shared_from_this()] {
      finish(ProbeOutcome::kFailure, fmt::format("{}: invalid port", address_));
    });
    return;
  }
  std::error_code ec;
  auto address = asio::ip::make_address(host_, ec);
  if (!ec) {
    asio::ip::tcp::endpoint endpoint(address, static_cast<unsigned short>(port_));
    connect(asio::ip::tcp::resolver::results_type::create(endpoint, host_, std::to_string(port_)));
    return;
  }
  resolver_.async_resolve(host_, std::to_string(port_),
                          [this, self = shared_from_this()](const std::error_code& rec, const asio::ip::tcp::resolver::results_type& results) {
                            if (finished_) return;
                            if (rec) {
                              finish(ProbeOutcome::kFailure, fmt::format("resolve {}: {}", host_, rec.message()));
                              return;
                            }
                            connect(results);
                          });
}

void TcpConnector::connect(const asio::ip::tcp::resolver::results_type& endpoints) {
  asio::async_connect(socket_, endpoints, [this, self = shared_from_this()](const std::error_code& ec, const asio::ip::tcp::endpoint&) {
    if (finished_) return;
    if (ec) {
      finish(ProbeOutcome::kFailure, fmt::format("connect {}: {}", address_, ec.message()));
      return;
    }
    auto connected = std::move(connected_);
    if (connected) connected();
  });
}

void TcpConnector::finish(ProbeOutcome outcome, std::string message) {
  if (finished_) return;
  finished_ = true;
  std::error_code ignored;
  timer_.cancel();
  resolver_.cancel();
  socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  socket_.close(ignored);
  connected_ = nullptr;
  auto done = std::move(done_);
  done_ = nullptr;
  if (done) done(ProbeResult{outcome, std::move(message)});
}

void TcpConnector::abandon() {
  done_ = nullptr;
  finish(ProbeOutcome::kFailure, "cancelled");
}

}  // namespace rollway::probe
