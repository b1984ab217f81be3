#pragma once

// The fixture of the rollout end-to-end tests: a daemon, one demo-app service, helpers
// to roll it and to read what the load client counted.

#include <gtest/gtest.h>

#include <fmt/format.h>

#include "daemon.h"
#include "harness.h"
#include "http_client.h"
#include "load_client.h"

namespace rollway::e2e {

using namespace std::chrono_literals;

struct Rollout {
  std::string version;
  int exitCode = -1;
  double seconds = 0;
};

class RolloutTest : public ::testing::Test {
 protected:
  void SetUp() override {
    daemon_ = std::make_unique<Daemon>(tmp_ / "data");
    ASSERT_TRUE(daemon_->waitReady()) << daemon_->log();
    service_.port = freePort();
  }

  // Applies the service as it is now; returns apply's exit code.
  int apply() {
    auto r = daemon_->apply(service_, tmp_.path());
    EXPECT_EQ(r.exitCode, 0) << r.out << r.err;
    return r.exitCode;
  }

  // `rollout status web --timeout T`; its exit code.
  int rolloutStatus(const std::string& timeout = "60s") {
    return daemon_->run({"rollout", "status", service_.name, "--timeout", timeout}, 120s).exitCode;
  }

  Rollout rollTo(const std::string& version, std::vector<std::string> appArgs) {
    service_.version = version;
    service_.appArgs = std::move(appArgs);
    Rollout out{version};
    auto start = std::chrono::steady_clock::now();
    if (apply() != 0) return out;
    auto status = daemon_->run({"rollout", "status", service_.name, "--timeout", "90s"}, 120s);
    out.exitCode = status.exitCode;
    out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    EXPECT_EQ(status.exitCode, 0) << status.out << status.err;
    return out;
  }

  // Every instance that is not terminating runs `version` and is ready; there are `replicas`.
  bool allOn(const std::string& version) {
    auto items = daemon_->instances(service_.name);
    int live = 0;
    for (const auto& i : items) {
      if (i.value("phase", "") == "Terminating") continue;  // already out of rotation
      ++live;
      if (i.value("version", "") != version || !i.value("ready", false)) return false;
    }
    return live == service_.replicas;
  }

  static std::string describe(const LoadTotals& t) {
    std::string text = std::to_string(t.requests) + " requests, " + std::to_string(t.non2xx) + " non-2xx, " +
                       std::to_string(t.socketErrors) + " socket errors; by version:";
    for (const auto& [v, n] : t.byVersion) text += " " + v + "=" + std::to_string(n);
    for (const auto& f : t.firstFailures) text += "\n  " + f;
    return text;
  }

  TempDir tmp_;
  std::unique_ptr<Daemon> daemon_;
  DemoService service_;
};

}  // namespace rollway::e2e
