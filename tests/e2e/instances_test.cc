// Issue 4 end to end: instances run by `rollway serve`, probed with Kubernetes'
// semantics, stopped by the termination sequence, adopted after a daemon crash.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <set>

#include "daemon.h"
#include "harness.h"
#include "http_client.h"

namespace rollway::e2e {
namespace {

using namespace std::chrono_literals;

int64_t nowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The harness gives each daemon an instance port window. A window another test process
// holds is never handed out: CI once saw two parallel daemons share window 21300, and
// one's startup probe was answered by the other's instance (regression).
TEST(PortWindowTest, AWindowHeldByAnotherProcessIsNeverHandedOut) {
  int up[2], down[2];  // child -> parent: its window; parent -> child: closed when done
  ASSERT_EQ(::pipe(up), 0);
  ASSERT_EQ(::pipe(down), 0);
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::close(up[0]);
    ::close(down[1]);
    PortWindow held;
    int first = held.first();
    if (::write(up[1], &first, sizeof first) != sizeof first) ::_exit(1);
    char c;
    if (::read(down[0], &c, 1) != 0) ::_exit(2);  // EOF: the parent is done
    ::_exit(0);
  }
  ::close(up[1]);
  ::close(down[0]);
  int heldFirst = 0;
  ASSERT_EQ(::read(up[0], &heldFirst, sizeof heldFirst), static_cast<ssize_t>(sizeof heldFirst));
  // 20 windows claimed at once here: none is the child's, and no two are the same.
  std::set<int> firsts;
  {
    std::vector<std::unique_ptr<PortWindow>> mine;
    for (int i = 0; i < 20; ++i) {
      mine.push_back(std::make_unique<PortWindow>());
      EXPECT_NE(mine.back()->first(), heldFirst);
      firsts.insert(mine.back()->first());
    }
  }
  EXPECT_EQ(firsts.size(), 20u);
  ::close(down[1]);
  ::close(up[0]);
  int status = 0;
  ::waitpid(child, &status, 0);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
}

class InstancesTest : public ::testing::Test {
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

  nlohmann::json instance(const std::string& name) {
    for (const auto& i : daemon_->instances(service_.name)) {
      if (i.value("name", "") == name) return i;
    }
    return nullptr;
  }

  // The instances that are ready, once there are `n` of them.
  nlohmann::json waitReady(size_t n, std::chrono::milliseconds timeout) {
    return daemon_->waitReadyInstances(service_.name, n, timeout);
  }

  std::string events() { return daemon_->events(service_.name); }

  TempDir tmp_;
  std::unique_ptr<Daemon> daemon_;
  DemoService service_;
};

// startup-delay 5 s: liveness (1 s period, 1 failure allowed) would kill it, but the
// startup probe holds liveness back until the app answers.
TEST_F(InstancesTest, SlowStarterIsNotKilledWhileTheStartupProbeAllowsIt) {
  service_.replicas = 1;
  service_.appArgs = {"--startup-delay", "5s"};
  service_.extraTemplate =
      "    startupProbe: {httpGet: {path: /healthz}, periodSeconds: 1, failureThreshold: 15}\n"
      "    livenessProbe: {httpGet: {path: /healthz}, periodSeconds: 1, failureThreshold: 1}\n";
  apply();
  auto ready = waitReady(1, 20s);
  ASSERT_EQ(ready.size(), 1u) << daemon_->instances().dump(2) << daemon_->log();
  EXPECT_EQ(ready[0].value("restarts", -1), 0) << ready[0].dump(2);
  EXPECT_TRUE(processAlive(ready[0].value("pid", 0)));
  // It was not ready before its 5 s of start-up were over.
  int64_t readyAfterMs = nowMs() - ready[0].value("startedAtMs", int64_t{0});
  EXPECT_GE(readyAfterMs, 4500) << ready[0].dump(2);
  auto logs = daemon_->run({"logs", service_.name, "--tail", "20"});
  EXPECT_NE(logs.out.find("listening on"), std::string::npos) << logs.out << logs.err;
  EXPECT_EQ(events().find("Unhealthy"), std::string::npos) << events();
}

TEST_F(InstancesTest, HungLivenessEndpointRestartsTheInstance) {
  service_.replicas = 1;
  service_.appArgs = {"--hang-healthz-after", "2s"};
  service_.extraTemplate = "    livenessProbe: {httpGet: {path: /healthz}, periodSeconds: 1, timeoutSeconds: 1, failureThreshold: 2}\n";
  apply();
  auto first = waitReady(1, 15s);
  ASSERT_EQ(first.size(), 1u) << daemon_->log();
  std::string name = first[0].value("name", "");
  pid_t pid = first[0].value("pid", 0);
  // Hangs at 2 s, two failed probes, SIGTERM, 1 s back-off, started again.
  ASSERT_TRUE(waitFor(
      [&] {
        auto i = instance(name);
        return !i.is_null() && i.value("restarts", 0) >= 1 && i.value("pid", 0) != pid && i.value("pid", 0) > 0;
      },
      30s))
      << daemon_->instances().dump(2) << events();
  EXPECT_FALSE(processAlive(pid));
  auto log = events();
  EXPECT_NE(log.find("Unhealthy"), std::string::npos) << log;
  EXPECT_NE(log.find("Liveness probe failed"), std::string::npos) << log;
  EXPECT_NE(log.find("Restarted"), std::string::npos) << log;
}

TEST_F(InstancesTest, FailingReadinessTakesItOutOfRotationAndBackWithoutRestart) {
  service_.replicas = 2;
  service_.readiness = "{httpGet: {path: /ready}, periodSeconds: 1, failureThreshold: 1}";
  apply();
  auto ready = waitReady(2, 15s);
  ASSERT_EQ(ready.size(), 2u) << daemon_->log();
  std::string victim = ready[0].value("name", "");
  uint16_t victimPort = static_cast<uint16_t>(ready[0].value("port", 0));
  pid_t victimPid = ready[0].value("pid", 0);

  HttpConnection admin(victimPort);
  auto off = admin.request("POST", "/admin/ready", {}, "off");
  ASSERT_TRUE(off && off->status == 200);
  ASSERT_TRUE(waitFor([&] { return !instance(victim).value("ready", true); }, 10s)) << events();
  // Out of rotation: every request through the proxy reaches the other instance.
  for (int i = 0; i < 30; ++i) {
    auto r = httpGet(service_.port, "/");
    ASSERT_TRUE(r && r->status == 200);
    const std::string* who = r->header("X-Instance");
    ASSERT_TRUE(who);
    EXPECT_NE(*who, victim);
  }
  auto on = admin.request("POST", "/admin/ready", {}, "on");
  ASSERT_TRUE(on && on->status == 200);
  ASSERT_TRUE(waitFor([&] { return instance(victim).value("ready", false); }, 10s)) << events();
  std::set<std::string> seen;
  for (int i = 0; i < 60 && seen.size() < 2; ++i) {
    auto r = httpGet(service_.port, "/");
    if (r && r->header("X-Instance")) seen.insert(*r->header("X-Instance"));
  }
  EXPECT_TRUE(seen.count(victim)) << "back in rotation";
  auto now = instance(victim);
  EXPECT_EQ(now.value("restarts", -1), 0);
  EXPECT_EQ(now.value("pid", 0), victimPid);
  EXPECT_NE(events().find("NotReady"), std::string::npos);
}

TEST_F(InstancesTest, InstanceIgnoringSigtermIsKilledAtTheGracePeriod) {
  service_.replicas = 1;
  service_.appArgs = {"--ignore-sigterm"};
  service_.terminationGracePeriodSeconds = 2;
  apply();
  auto ready = waitReady(1, 15s);
  ASSERT_EQ(ready.size(), 1u) << daemon_->log();
  pid_t pid = ready[0].value("pid", 0);
  auto start = std::chrono::steady_clock::now();
  ASSERT_EQ(daemon_->run({"scale", service_.name, "--replicas", "0"}).exitCode, 0);
  ASSERT_TRUE(waitFor([&] { return !processAlive(pid); }, 10s));
  double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_GE(took, 1.8);
  EXPECT_LT(took, 6.0);
  ASSERT_TRUE(waitFor([&] { return events().find("KilledAfterGrace") != std::string::npos; }, 5s)) << events();
  // The steps, in order.
  auto log = events();
  auto draining = log.find("Draining");
  auto drained = log.find("Drained");
  auto killing = log.find("Killing");
  auto killed = log.find("KilledAfterGrace");
  ASSERT_NE(draining, std::string::npos);
  EXPECT_LT(draining, drained);
  EXPECT_LT(drained, killing);
  EXPECT_LT(killing, killed);
}

// Restart policy Always: a crashing instance is restarted in place after a back-off
// (1 s in tests, doubling), visible as CrashLoopBackOff with its last exit.
TEST_F(InstancesTest, CrashingInstanceShowsCrashLoopBackOffAndRestarts) {
  service_.replicas = 1;
  service_.appArgs = {"--crash-after", "1s"};
  apply();
  std::string name;
  bool sawBackOff = false;
  ASSERT_TRUE(waitFor(
      [&] {
        auto items = daemon_->instances(service_.name);
        if (items.size() != 1) return false;
        name = items[0].value("name", "");
        if (items[0].value("phase", "") == "CrashLoopBackOff") {
          sawBackOff = true;
          EXPECT_EQ(items[0].value("lastExit", ""), "exited with code 3") << items.dump(2);
          EXPECT_NE(items[0].value("message", "").find("CrashLoopBackOff"), std::string::npos) << items.dump(2);
        }
        return sawBackOff && items[0].value("restarts", 0) >= 2;
      },
      20s))
      << daemon_->instances().dump(2) << events();
  EXPECT_EQ(daemon_->instances(service_.name)[0].value("name", ""), name) << "restarted in place, same name";
  EXPECT_NE(events().find("BackOff"), std::string::npos);
}

// exec probes get argv, never a shell: an argument with shell metacharacters reaches the
// program as one literal string.
TEST_F(InstancesTest, ExecProbeArgumentsArePassedLiterally) {
  std::string odd = tmp_ / "ready; $(false) `x` && *";
  writeFile(odd, "");
  service_.replicas = 1;
  service_.readiness = "{exec: {command: [\"/usr/bin/test\", \"-e\", \"" + odd + "\"]}, periodSeconds: 1}";
  apply();
  ASSERT_EQ(waitReady(1, 15s).size(), 1u) << events() << daemon_->log();

  // The same probe through a shell would succeed ("; true"); literally, it never does.
  DemoService other = service_;
  other.name = "other";
  other.port = freePort();
  other.readiness = "{exec: {command: [\"/usr/bin/test\", \"-e\", \"/nonexistent; true\"]}, periodSeconds: 1}";
  ASSERT_EQ(daemon_->apply(other, tmp_.path()).exitCode, 0);
  std::this_thread::sleep_for(3s);
  auto items = daemon_->instances("other");
  ASSERT_EQ(items.size(), 1u);
  EXPECT_FALSE(items[0].value("ready", true)) << items.dump(2);
}

// SIGKILL the daemon while 4 instances run; the next daemon adopts the same 4 PIDs,
// restarts none, and `delete service` leaves no process behind.
TEST_F(InstancesTest, SigkilledDaemonAdoptsItsInstancesOnRestart) {
  service_.replicas = 4;
  apply();
  auto before = waitReady(4, 20s);
  ASSERT_EQ(before.size(), 4u) << daemon_->log();
  std::set<pid_t> pids;
  for (const auto& i : before) pids.insert(i.value("pid", 0));
  ASSERT_EQ(pids.size(), 4u);

  daemon_->kill();
  for (pid_t pid : pids) EXPECT_TRUE(processAlive(pid)) << pid;
  // The proxy kept serving without its control plane.
  auto during = httpGet(service_.port, "/");
  EXPECT_TRUE(during && during->status == 200);

  daemon_->start();
  ASSERT_TRUE(daemon_->waitReady()) << daemon_->log();
  auto after = waitReady(4, 20s);
  ASSERT_EQ(after.size(), 4u) << daemon_->instances().dump(2);
  std::set<pid_t> adopted;
  for (const auto& i : after) {
    adopted.insert(i.value("pid", 0));
    EXPECT_EQ(i.value("restarts", -1), 0);
  }
  EXPECT_EQ(adopted, pids);
  EXPECT_NE(events().find("Adopted"), std::string::npos);

  ASSERT_EQ(daemon_->run({"delete", "service", service_.name}).exitCode, 0);
  ASSERT_TRUE(waitFor([&] { return daemon_->instances().empty(); }, 30s)) << daemon_->instances().dump(2);
  for (pid_t pid : pids) EXPECT_FALSE(processAlive(pid)) << "orphaned: " << pid;
}

}  // namespace
}  // namespace rollway::e2e
