// Issue 10, the control plane's part: exec probes in the instance's context, liveness
// restarts through the termination sequence, drains that never trust a silent proxy,
// failed snapshot pushes made visible (and holding terminations), disruption budgets.
#include <signal.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <optional>
#include <set>
#include <thread>

#include "daemon.h"
#include "harness.h"
#include "http_client.h"

namespace rollway::e2e {
namespace {

using namespace std::chrono_literals;

class ControlHardeningTest : public ::testing::Test {
 protected:
  void SetUp() override {
    daemon_ = std::make_unique<Daemon>(tmp_ / "data");
    ASSERT_TRUE(daemon_->waitReady()) << daemon_->log();
    service_.port = freePort();
  }

  void apply() {
    auto r = daemon_->apply(service_, tmp_.path());
    ASSERT_EQ(r.exitCode, 0) << r.out << r.err;
  }

  // The instances that are ready, once there are `n` of them.
  nlohmann::json waitReady(size_t n, std::chrono::milliseconds timeout) {
    return daemon_->waitReadyInstances(service_.name, n, timeout);
  }

  std::string events() { return daemon_->events(service_.name); }

  std::string instanceLog(const std::string& name) { return readFile(daemon_->dataDir() + "/logs/" + name + ".log"); }

  pid_t proxyPid() {
    std::ifstream in(daemon_->dataDir() + "/proxy/proxy.pid");
    long pid = 0;
    in >> pid;
    return static_cast<pid_t>(pid);
  }

  // SIGSTOPs the proxy; SIGCONT when it goes out of scope (also on a failed assertion).
  struct Frozen {
    explicit Frozen(pid_t p) : pid(p) { ::kill(pid, SIGSTOP); }
    ~Frozen() { thaw(); }
    void thaw() {
      if (pid > 0) ::kill(pid, SIGCONT);
      pid = 0;
    }
    pid_t pid;
  };

  TempDir tmp_;
  std::unique_ptr<Daemon> daemon_;
  DemoService service_;
};

// The readiness probe runs inside the instance's context: its env (GREETING), its
// working directory (./marker) and ${PORT} substituted in argv. Without that context the
// same probe fails, so readiness proves it.
TEST_F(ControlHardeningTest, ExecProbeRunsInTheInstanceContext) {
  std::string work = tmp_ / "work";
  std::filesystem::create_directories(work);
  writeFile(work + "/marker", "");
  service_.replicas = 1;
  service_.readiness =
      "{exec: {command: [\"sh\", \"-c\", \"test \\\"$GREETING\\\" = hello && test -f ./marker && test ${PORT} -gt 0 "
      "&& test \\\"$PORT\\\" = ${PORT}\"]}, periodSeconds: 1}";
  service_.extraTemplate = "    env: {GREETING: hello}\n    workingDir: " + work + "\n";
  apply();
  auto ready = waitReady(1, 15s);
  ASSERT_EQ(ready.size(), 1u) << daemon_->instances().dump(2) << events();

  // Control: the same probe where the marker does not exist never becomes ready.
  std::filesystem::remove(work + "/marker");
  DemoService other = service_;
  other.name = "other";
  other.port = freePort();
  ASSERT_EQ(daemon_->apply(other, tmp_.path()).exitCode, 0);
  std::this_thread::sleep_for(3s);
  auto items = daemon_->instances("other");
  ASSERT_EQ(items.size(), 1u);
  EXPECT_FALSE(items[0].value("ready", true)) << items.dump(2);
}

// A failed liveness probe restarts the instance through the whole termination sequence
// (as the kubelet does): out of rotation, drain, preStop, SIGTERM; then the restart.
TEST_F(ControlHardeningTest, LivenessRestartRunsPreStopBeforeSigterm) {
  std::string marker = tmp_ / "prestop-ran";
  service_.replicas = 1;
  service_.terminationGracePeriodSeconds = 5;
  service_.appArgs = {"--hang-healthz-after", "4s"};
  // The startup probe holds liveness back until the app listens (an ASan build starts
  // slowly: without it, liveness with failureThreshold 1 restarts it before it is up).
  service_.extraTemplate =
      "    startupProbe: {httpGet: {path: /healthz}, periodSeconds: 1, failureThreshold: 15}\n"
      "    livenessProbe: {httpGet: {path: /healthz}, periodSeconds: 1, timeoutSeconds: 1, failureThreshold: 1}\n"
      "    lifecycle: {preStop: {exec: {command: [\"sh\", \"-c\", \"echo PRESTOP-RAN; touch " + marker + "\"]}}}\n";
  apply();
  auto ready = waitReady(1, 15s);
  ASSERT_EQ(ready.size(), 1u) << events() << daemon_->log();
  std::string name = ready[0].value("name", "");
  ASSERT_TRUE(waitFor([&] { return events().find("Restarted") != std::string::npos; }, 30s)) << events();
  EXPECT_TRUE(std::filesystem::exists(marker)) << events();
  auto log = instanceLog(name);
  auto prestop = log.find("PRESTOP-RAN");
  auto sigterm = log.find("received SIGTERM");
  ASSERT_NE(prestop, std::string::npos) << log;
  ASSERT_NE(sigterm, std::string::npos) << log;
  EXPECT_LT(prestop, sigterm) << log;
  auto ev = events();
  auto unhealthy = ev.find("Unhealthy");
  auto draining = ev.find("Draining", unhealthy);
  auto drained = ev.find("Drained", draining);
  auto preStop = ev.find("PreStop", drained);
  auto killing = ev.find("Killing", preStop);
  auto restarted = ev.find("Restarted", killing);
  ASSERT_NE(unhealthy, std::string::npos) << ev;
  EXPECT_NE(draining, std::string::npos) << ev;
  EXPECT_NE(drained, std::string::npos) << ev;
  EXPECT_NE(preStop, std::string::npos) << ev;
  EXPECT_NE(killing, std::string::npos) << ev;
  EXPECT_NE(restarted, std::string::npos) << ev;
  auto items = daemon_->instances(service_.name);
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(items[0].value("name", ""), name) << "restarted in place";
  EXPECT_GE(items[0].value("restarts", 0), 1);
}

// The proxy stops answering in the middle of a drain (SIGSTOP) while a slow request is
// in flight: "no answer" is not "nothing in flight"; the instance is not signalled.
TEST_F(ControlHardeningTest, SilentProxyDuringDrainIsNotNothingInFlight) {
  service_.replicas = 1;
  service_.terminationGracePeriodSeconds = 30;
  apply();
  auto ready = waitReady(1, 15s);
  ASSERT_EQ(ready.size(), 1u) << events() << daemon_->log();
  std::string name = ready[0].value("name", "");
  pid_t proxy = proxyPid();
  ASSERT_GT(proxy, 0);
  std::optional<http::Response> slow;
  std::thread client([&] {
    HttpConnection c(service_.port, 30s);
    slow = c.request("GET", "/sleep?ms=9000");
  });
  std::this_thread::sleep_for(500ms);
  ASSERT_EQ(daemon_->run({"scale", service_.name, "--replicas", "0"}).exitCode, 0);
  ASSERT_TRUE(waitFor([&] { return events().find("Draining") != std::string::npos; }, 5s)) << events();
  std::this_thread::sleep_for(500ms);  // the draining snapshot is in
  {
    Frozen frozen(proxy);
    std::this_thread::sleep_for(5s);
    EXPECT_EQ(instanceLog(name).find("received SIGTERM"), std::string::npos) << instanceLog(name) << events();
    auto ev = events();
    EXPECT_EQ(ev.find("Drained"), std::string::npos) << ev;
    EXPECT_NE(ev.find("InFlightUnknown"), std::string::npos) << ev;
  }
  client.join();
  ASSERT_TRUE(slow.has_value());
  EXPECT_EQ(slow->status, 200);
  ASSERT_TRUE(waitFor([&] { return daemon_->instances(service_.name).empty(); }, 20s)) << events();
}

// A snapshot the proxy does not take (it is stopped) shows in the status and holds the
// termination of the instance leaving rotation until the proxy has it.
TEST_F(ControlHardeningTest, FailedSnapshotPushShowsAndHoldsTermination) {
  service_.replicas = 1;
  service_.terminationGracePeriodSeconds = 3;
  apply();
  auto ready = waitReady(1, 15s);
  ASSERT_EQ(ready.size(), 1u) << events() << daemon_->log();
  std::string name = ready[0].value("name", "");
  pid_t proxy = proxyPid();
  ASSERT_GT(proxy, 0);
  {
    Frozen frozen(proxy);
    ASSERT_EQ(daemon_->run({"scale", service_.name, "--replicas", "0"}).exitCode, 0);
    std::this_thread::sleep_for(10s);  // well past the grace period (3 s)
    EXPECT_EQ(instanceLog(name).find("received SIGTERM"), std::string::npos) << instanceLog(name) << events();
    EXPECT_EQ(daemon_->instances(service_.name).size(), 1u);
    EXPECT_NE(events().find("DrainBlocked"), std::string::npos) << events();
    auto st = daemon_->status(service_.name);
    std::string routing = st.is_object() ? st.value("routingError", "") : "";
    EXPECT_NE(routing.find("routing snapshot"), std::string::npos) << st.dump(2);
    auto describe = daemon_->run({"describe", "service", service_.name}).out;
    EXPECT_NE(describe.find("routing snapshot"), std::string::npos) << describe;
  }
  ASSERT_TRUE(waitFor([&] { return daemon_->instances(service_.name).empty(); }, 20s)) << events();
  EXPECT_NE(instanceLog(name).find("received SIGTERM"), std::string::npos);
  ASSERT_TRUE(waitFor([&] { return daemon_->status(service_.name).value("routingError", "x").empty(); }, 10s));
}

// spec.disruptionBudget bounds a rolling update: maxUnavailable 2 would take two old
// instances out at once; minAvailable 3 keeps 3 of 3 available throughout (the surge
// instance comes up first), and the rollout still completes.
TEST_F(ControlHardeningTest, DisruptionBudgetBoundsRollingUpdateAndRestart) {
  service_.replicas = 3;
  service_.maxSurge = "1";
  service_.maxUnavailable = "2";
  service_.extraSpec = "  disruptionBudget: {minAvailable: 3}\n";
  service_.appArgs = {"--ready-delay", "2s"};  // each new instance leaves a window to see
  apply();
  ASSERT_EQ(waitReady(3, 20s).size(), 3u) << events();
  service_.version = "v2";
  apply();
  int minAvailable = 3;
  bool complete = waitFor(
      [&] {
        auto items = daemon_->instances(service_.name);
        int available = 0;
        bool allNew = items.size() == 3;
        for (const auto& i : items) {
          available += i.value("available", false) ? 1 : 0;
          allNew = allNew && i.value("version", "") == "v2" && i.value("available", false);
        }
        minAvailable = std::min(minAvailable, available);
        return allNew;
      },
      60s);
  EXPECT_TRUE(complete) << daemon_->instances().dump(2) << events();
  EXPECT_GE(minAvailable, 3) << events();
  EXPECT_NE(events().find("DisruptionBudget"), std::string::npos) << events();

  // `rollout restart` is a voluntary disruption too: the same bound.
  std::set<std::string> before;
  for (const auto& i : daemon_->instances(service_.name)) before.insert(i.value("name", ""));
  ASSERT_EQ(daemon_->run({"rollout", "restart", service_.name}).exitCode, 0);
  minAvailable = 3;
  bool replaced = waitFor(
      [&] {
        auto items = daemon_->instances(service_.name);
        int available = 0;
        bool allFresh = items.size() == 3;
        for (const auto& i : items) {
          available += i.value("available", false) ? 1 : 0;
          allFresh = allFresh && !before.contains(i.value("name", "")) && i.value("available", false);
        }
        minAvailable = std::min(minAvailable, available);
        return allFresh;
      },
      60s);
  EXPECT_TRUE(replaced) << daemon_->instances().dump(2) << events();
  EXPECT_GE(minAvailable, 3) << events();
}

}  // namespace
}  // namespace rollway::e2e
