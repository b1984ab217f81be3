#pragma once

// A tiny HTTP server for probe tests, on the test's own io_context, 127.0.0.1, port 0.

#include <array>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/write.hpp>

namespace rollway::probe::testing {

class TestHttpServer {
 public:
  enum class Mode { kRespond, kHang, kClose };

  explicit TestHttpServer(asio::io_context& io) : acceptor_(io) {
    asio::ip::tcp::endpoint endpoint(asio::ip::make_address("127.0.0.1"), 0);
    acceptor_.open(endpoint.protocol());
    acceptor_.set_option(asio::ip::tcp::acceptor::reuse_address(true));
    acceptor_.bind(endpoint);
    acceptor_.listen(1024);
    accept();
  }
  ~TestHttpServer() {
    std::error_code ignored;
    acceptor_.close(ignored);
    for (auto& weak : sessions_) {
      if (auto session = weak.lock()) session->socket.close(ignored);
    }
  }

  int port() const { return acceptor_.local_endpoint().port(); }
  // The raw response to send for every request (kRespond).
  void respond(std::string raw) {
    mode_ = Mode::kRespond;
    response_ = std::move(raw);
  }
  void respondStatus(int status, const std::string& reason) {
    respond("HTTP/1.1 " + std::to_string(status) + " " + reason + "\r\nContent-Length: 2\r\n\r\nok");
  }
  void setMode(Mode mode) { mode_ = mode; }
  const std::vector<std::string>& requests() const { return requests_; }
  int accepted() const { return accepted_; }

 private:
  struct Session {
    explicit Session(asio::ip::tcp::socket s) : socket(std::move(s)) {}
    asio::ip::tcp::socket socket;
    std::array<char, 4096> buffer{};
    std::string received;
  };

  void accept() {
    acceptor_.async_accept([this](const std::error_code& ec, asio::ip::tcp::socket socket) {
      if (ec) return;
      ++accepted_;
      auto session = std::make_shared<Session>(std::move(socket));
      sessions_.push_back(session);
      if (mode_ == Mode::kClose) {
        std::error_code ignored;
        session->socket.close(ignored);
      } else {
        read(session);
      }
      accept();
    });
  }

  void read(const std::shared_ptr<Session>& session) {
    session->socket.async_read_some(asio::buffer(session->buffer),
                                    [this, session](const std::error_code& ec, size_t n) {
                                      if (ec) return;
                                      session->received.append(session->buffer.data(), n);
                                      if (session->received.find("\r\n\r\n") == std::string::npos) {
                                        return read(session);
                                      }
                                      requests_.push_back(session->received);
                                      if (mode_ == Mode::kHang) return read(session);  // keep it open, say nothing
                                      asio::async_write(session->socket, asio::buffer(response_),
                                                        [session](const std::error_code&, size_t) {
                                                          std::error_code ignored;
                                                          session->socket.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
                                                          session->socket.close(ignored);
                                                        });
                                    });
  }

  asio::ip::tcp::acceptor acceptor_;
  Mode mode_ = Mode::kRespond;
  std::string response_ = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
  std::vector<std::string> requests_;
  std::vector<std::weak_ptr<Session>> sessions_;
  int accepted_ = 0;
};

// A port on 127.0.0.1 with nothing listening (bound, then released).
inline int unusedPort(asio::io_context& io) {
  asio::ip::tcp::acceptor acceptor(io, asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  int port = acceptor.local_endpoint().port();
  return port;
}

// Runs the io_context until `done()` or `limit` has passed; returns done().
inline bool runUntil(asio::io_context& io, const std::function<bool()>& done,
                     std::chrono::milliseconds limit = std::chrono::milliseconds(5000)) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  io.restart();
  while (!done() && std::chrono::steady_clock::now() < deadline) {
    io.run_one_for(std::chrono::milliseconds(20));
    if (io.stopped()) io.restart();
  }
  return done();
}

}  // namespace rollway::probe::testing
