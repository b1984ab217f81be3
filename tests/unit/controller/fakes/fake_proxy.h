#pragma once

// A ProxyPort that routes nothing: it keeps the snapshots pushed (the test reads the
// weights and endpoints the controller asked for), answers in-flight counts the test
// sets, and can refuse pushes.

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "rollway/controller/proxy_port.h"

namespace rollway::controller::fakes {

class FakeProxy final : public ProxyPort {
 public:
  std::vector<proxy::RoutingSnapshot> pushed;
  std::map<std::string, uint64_t> inFlightByAddress;
  std::optional<std::string> refusePush;  // set: every push fails with this message
  bool up = true;
  nlohmann::json metricsJson = nlohmann::json::object();

  Result<bool> ensureRunning() override {
    bool started = !up;
    up = true;
    return started;
  }
  void onExit(const supervisor::ExitInfo&) override { up = false; }
  bool running() const override { return up; }
  Result<uint64_t> push(proxy::RoutingSnapshot snapshot) override {
    if (refusePush) return fail(ErrorCode::kUnavailable, "{}", *refusePush);
    snapshot.version = pushed.size() + 1;
    pushed.push_back(std::move(snapshot));
    return pushed.back().version;
  }
  Result<nlohmann::json> metrics() const override { return metricsJson; }
  Result<std::map<std::string, uint64_t>> inFlight() const override { return inFlightByAddress; }
  void stop(std::chrono::milliseconds, std::function<void()> done) override {
    up = false;
    done();
  }
  const std::string& socketPath() const override { return socket_; }

 private:
  std::string socket_ = "fake.sock";
};

}  // namespace rollway::controller::fakes
