#pragma once

// A ProxyPort that routes nothing: it keeps the snapshots pushed (the test reads the
// weights and endpoints the controller asked for), answers in-flight counts the test
// sets, and can refuse pushes. Like the real link it answers later, on the io_context
// (a posted callback, never inside the call) — or, when the test holds them, only once
// it releases them (a proxy that is slow to start or to take a snapshot).

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <asio/io_context.hpp>
#include <asio/post.hpp>

#include "rollway/controller/proxy_port.h"

namespace rollway::controller::fakes {

class FakeProxy final : public ProxyPort {
 public:
  explicit FakeProxy(asio::io_context& io) : io_(io) {}

  std::vector<proxy::RoutingSnapshot> pushed;
  std::map<std::string, uint64_t> inFlightByAddress;
  std::optional<std::string> refusePush;  // set: every push fails with this message
  std::optional<std::string> refuseInFlight;  // set: every in-flight query fails with this message
  bool up = true;
  nlohmann::json metricsJson = nlohmann::json::object();
  bool holdStart = false;   // ensureRunning answers at releaseStart()
  bool holdPushes = false;  // push answers at releasePushes()
  size_t heldPushes() const { return heldPushes_.size(); }

  bool running() const override { return up; }
  bool starting() const override { return !heldStarts_.empty(); }
  void ensureRunning(StartCallback done) override {
    if (holdStart) {
      heldStarts_.push_back(std::move(done));
      return;
    }
    bool started = !up;
    up = true;
    later(std::move(done), Result<bool>(started));
  }
  // The held start checks answer: the proxy now runs (started by the link: true).
  void releaseStart() {
    holdStart = false;
    up = true;
    for (auto& done : std::exchange(heldStarts_, {})) later(std::move(done), Result<bool>(true));
  }
  void releasePushes() {
    holdPushes = false;
    for (auto& answer : std::exchange(heldPushes_, {})) asio::post(io_, std::move(answer));
  }
  void onExit(const supervisor::ExitInfo&) override { up = false; }
  void push(proxy::RoutingSnapshot snapshot, PushCallback done) override {
    if (refusePush) {
      later(std::move(done), Result<uint64_t>(fail(ErrorCode::kUnavailable, "{}", *refusePush)));
      return;
    }
    snapshot.version = pushed.size() + 1;
    pushed.push_back(std::move(snapshot));
    if (holdPushes) {
      heldPushes_.push_back([alive = std::weak_ptr<int>(alive_), done = std::move(done), v = pushed.back().version] {
        if (!alive.expired()) done(v);
      });
      return;
    }
    later(std::move(done), Result<uint64_t>(pushed.back().version));
  }
  void metrics(MetricsCallback done) override { later(std::move(done), Result<nlohmann::json>(metricsJson)); }
  void inFlight(InFlightCallback done) override {
    if (refuseInFlight) {
      later(std::move(done), Result<std::map<std::string, uint64_t>>(fail(ErrorCode::kUnavailable, "{}", *refuseInFlight)));
      return;
    }
    later(std::move(done), Result<std::map<std::string, uint64_t>>(inFlightByAddress));
  }
  void stop(std::chrono::milliseconds, std::function<void()> done) override {
    up = false;
    asio::post(io_, [alive = std::weak_ptr<int>(alive_), done = std::move(done)] {
      if (!alive.expired()) done();
    });
  }
  const std::string& socketPath() const override { return socket_; }

 private:
  template <class Callback, class Value>
  void later(Callback done, Value value) {
    asio::post(io_, [alive = std::weak_ptr<int>(alive_), done = std::move(done), value = std::move(value)]() mutable {
      if (!alive.expired()) done(std::move(value));
    });
  }

  asio::io_context& io_;
  std::vector<StartCallback> heldStarts_;
  std::vector<std::function<void()>> heldPushes_;
  std::string socket_ = "fake.sock";
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);
};

}  // namespace rollway::controller::fakes
