#pragma once

// A fake `rollway proxy` admin socket (net::Server on DIR/proxy.sock, its own thread)
// for ProxyLink's tests: scripted answers, the versions it was sent, and a silent mode
// in which requests are taken but never answered.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>
#include <nlohmann/json.hpp>

#include "rollway/net/server.h"

namespace rollway::controller::testing {

class FakeProxySocket {
 public:
  explicit FakeProxySocket(std::string path) : path_(std::move(path)) {}
  ~FakeProxySocket() { stop(); }

  bool start() {
    net::ServerOptions so;
    so.unixPath = path_;
    auto server = net::Server::start(so, [this](http::Request request, net::Responder respond) {
      handle(std::move(request), std::move(respond));
    });
    if (!server) return false;
    server_ = std::move(*server);
    return true;
  }
  void stop() {
    if (server_) server_->stop();
    server_.reset();
  }

  // Scripted state (any thread).
  void setVersion(uint64_t v) { with([&] { version_ = v; }); }
  // GET /healthz answers this body instead of {"snapshotVersion": N}.
  void setHealthBody(std::string body) { with([&] { healthBody_ = std::move(body); }); }
  void setSilent(bool silent) { with([&] { silent_ = silent; }); }
  void setSnapshotStatus(int status) { with([&] { snapshotStatus_ = status; }); }
  // The next `count` snapshot PUTs answer 409 (a newer version is installed).
  void conflictNext(int count) { with([&] { conflicts_ = count; }); }
  void setEndpoints(int status, std::string body) {
    with([&] {
      endpointsStatus_ = status;
      endpointsBody_ = std::move(body);
    });
  }
  std::vector<uint64_t> versionsReceived() {
    std::lock_guard lock(mutex_);
    return received_;
  }
  int requests() {
    std::lock_guard lock(mutex_);
    return requests_;
  }

 private:
  void with(const std::function<void()>& change) {
    std::lock_guard lock(mutex_);
    change();
  }

  void handle(http::Request request, net::Responder respond) {
    std::lock_guard lock(mutex_);
    ++requests_;
    if (silent_) {
      held_.push_back(std::move(respond));  // taken, never answered: the client times out
      return;
    }
    http::Response r;
    r.headers.push_back({"Content-Type", "application/json"});
    if (request.target == "/healthz") {
      r.body = healthBody_.empty() ? nlohmann::json{{"snapshotVersion", version_}}.dump() : healthBody_;
    } else if (request.target == "/v1/snapshot") {
      auto sent = nlohmann::json::parse(request.body, nullptr, false);
      uint64_t v = sent.is_object() ? sent.value("version", uint64_t{0}) : 0;
      received_.push_back(v);
      if (conflicts_ > 0) {
        --conflicts_;
        r.status = 409;
        r.body = R"({"error": {"code": "Conflict", "message": "a newer snapshot is installed"}})";
      } else if (snapshotStatus_ != 200) {
        r.status = snapshotStatus_;
        r.body = R"({"error": {"code": "InvalidArgument", "message": "listeners[0].listen: ':8080' is not host:port"}})";
      } else {
        version_ = v;
        r.body = "{}";
      }
    } else if (request.target == "/v1/endpoints") {
      r.status = endpointsStatus_;
      r.body = endpointsBody_;
    } else if (request.target == "/v1/metrics") {
      r.body = R"({"services": {}})";
    } else {
      r.status = 404;
    }
    respond(std::move(r));
  }

  std::string path_;
  std::unique_ptr<net::Server> server_;
  std::mutex mutex_;
  uint64_t version_ = 3;
  std::string healthBody_;
  bool silent_ = false;
  int snapshotStatus_ = 200;
  int conflicts_ = 0;
  int endpointsStatus_ = 200;
  std::string endpointsBody_ = R"({"items": [{"address": "127.0.0.1:20001", "inFlight": 2}]})";
  std::vector<uint64_t> received_;
  int requests_ = 0;
  std::vector<net::Responder> held_;
};

// Runs `io` on this thread until `done()` or `limit`; true when done.
inline bool runUntil(asio::io_context& io, const std::function<bool()>& done,
                     std::chrono::milliseconds limit = std::chrono::seconds(10)) {
  io.restart();
  auto guard = asio::make_work_guard(io);
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (!done() && std::chrono::steady_clock::now() < deadline) io.run_one_for(std::chrono::milliseconds(5));
  return done();
}

}  // namespace rollway::controller::testing
