#pragma once

// One Controller over fakes: a real Store in a temp dir (state is data, not a side
// effect to fake), a FakeClock, and the fake runtime, health source and proxy. A test
// applies specs, runs one reconcile (`pass()`), reports probe results and exits, and
// compares what the controller asked for.

#include <memory>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include <asio/io_context.hpp>
#include <gtest/gtest.h>

#include "fake_health.h"
#include "fake_provider.h"
#include "fake_proxy.h"
#include "fake_runtime.h"
#include "rollway/common/clock.h"
#include "rollway/common/random.h"
#include "rollway/common/timer.h"
#include "rollway/controller/controller.h"
#include "rollway/controller/spec_change.h"
#include "rollway/spec/parser.h"
#include "rollway/store/store.h"
#include "unit/store/temp_dir.h"

namespace rollway::controller::fakes {

class ControllerHarness {
 public:
  ControllerHarness() {
    auto opened = store::Store::open(dir_.file("state.db"), clock_);
    if (!opened) throw std::runtime_error(opened.error().message);
    store_ = std::move(*opened);
    make();
  }

  // A new Controller on the same store and fakes, as after a daemon restart.
  void make() {
    controller_.reset();
    ControllerOptions options;
    options.dataDir = dir_.path();
    options.portFirst = 47000;
    options.portLast = 47999;
    options.drainPollPeriod = std::chrono::milliseconds(0);  // pass() runs the drain polls
    controller_ = std::make_unique<Controller>(
        ControllerDeps{io_, *store_, clock_, timers_, random_, runtime, health, proxy, prometheus, webhook, pool_}, options,
        nullLogger());
  }

  // Applies one YAML document (as `rollway apply`); fails the test when invalid.
  void apply(const std::string& yaml) {
    auto specs = spec::parseServices(yaml, "test.yaml");
    ASSERT_TRUE(specs) << specs.error().message;
    ASSERT_EQ(specs->size(), 1u);
    auto outcome = store_->apply({toServiceInput(specs->front())});
    ASSERT_TRUE(outcome) << outcome.error().message;
    controller_->poke();
  }

  Controller& ctl() { return *controller_; }
  store::Store& store() { return *store_; }
  FakeClock& clock() { return clock_; }

  // Runs everything the controller has posted or made due by the fake clock (one
  // reconcile pass and its follow-ups, its timers that are due, the fake proxy's answers,
  // the providers' answers from the pool).
  void pass() {
    controller_->poke();
    // Handler by handler, bounded: a drain waiting on in-flight requests re-arms itself.
    for (int i = 0; i < 2000; ++i) {
      if (io_.poll_one() != 0) continue;
      io_.restart();
      if (io_.poll_one() != 0) continue;
      if (timers_.fireDue() != 0) continue;
      if (pool_.idle()) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(1));  // a provider call on the pool
    }
    io_.restart();
  }
  // Only what the controller's timers do once due by the clock (no poke).
  void fireTimers() {
    for (int i = 0; i < 100 && (timers_.fireDue() != 0 || io_.poll() != 0); ++i) io_.restart();
    io_.restart();
  }
  // Moves the fake clock (timers due by then fire), then a pass.
  void after(std::chrono::milliseconds d) {
    clock_.advance(d);
    pass();
  }

  // Live instances of a service (the API's view).
  std::vector<nlohmann::json> instances(const std::string& service = "web") {
    std::vector<nlohmann::json> out;
    nlohmann::json all = controller_->instances(service);
    for (const auto& i : all["items"]) out.push_back(i);
    return out;
  }
  std::vector<std::string> names(const std::string& version, const std::string& phase = "") {
    std::vector<std::string> out;
    for (const auto& i : instances()) {
      if (i.value("version", "") == version && (phase.empty() || i.value("phase", "") == phase)) {
        out.push_back(i.value("name", ""));
      }
    }
    return out;
  }
  // Every instance of `version` not yet ready becomes ready and available.
  void makeHealthy(const std::string& version) {
    for (const auto& name : names(version)) {
      if (health.probed.contains(name) && !health.statuses[name].ready) health.healthy(name);
    }
    pass();
  }
  // Every SIGTERMed instance exits; then a pass.
  void exitTerminated() {
    runtime.exitTerminated();
    pass();
  }
  nlohmann::json status(const std::string& service = "web") {
    auto st = controller_->status(service);
    return st ? (*st)["status"] : nlohmann::json();
  }
  std::vector<std::string> eventReasons(const std::string& service = "web") {
    std::vector<std::string> out;
    store::EventFilter filter;
    filter.service = service;
    auto events = store_->listEvents(filter);
    if (!events) return out;
    for (const auto& e : *events) out.push_back(e.reason);
    return out;
  }

  FakeRuntime runtime;
  FakeHealth health;
  FakeProxy proxy{io_};  // binds to io_ (declared below), used only once it is built
  FakeProvider prometheus;
  FakeProvider webhook;

 private:
  store::TempDir dir_;
  asio::io_context io_;
  BlockingPool pool_{BlockingPoolOptions{"the test's pool", 1, 16}};  // after io_: joined before it goes
  FakeClock clock_;
  ManualTimers timers_{clock_};
  SeededRandom random_{7};
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<Controller> controller_;
};

}  // namespace rollway::controller::fakes
