#include "rollway/probe/prober.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <cerrno>
#include <string>
#include <vector>

#include <asio/io_context.hpp>

#include "test_http_server.h"

namespace rollway::probe {
namespace {

using testing::runUntil;

struct Recorded {
  std::string instance;
  ProbeEventKind kind;
  std::string reason;
};

class ProberTest : public ::testing::Test {
 protected:
  ProberTest()
      : prober_(io_, clock_, [this](const std::string& id, const ProbeEvent& event) {
          events_.push_back({id, event.kind, event.reason});
          if (onEvent_) onEvent_(id, event);
        }) {}

  bool has(const std::string& id, ProbeEventKind kind) const {
    for (const auto& e : events_) {
      if (e.instance == id && e.kind == kind) return true;
    }
    return false;
  }
  const Recorded* find(const std::string& id, ProbeEventKind kind) const {
    for (const auto& e : events_) {
      if (e.instance == id && e.kind == kind) return &e;
    }
    return nullptr;
  }
  static spec::Probe http(const std::string& path, int period = 1, int failureThreshold = 1) {
    spec::Probe probe;
    probe.kind = spec::ProbeKind::kHttpGet;
    probe.httpGet.path = path;
    probe.periodSeconds = period;
    probe.failureThreshold = failureThreshold;
    return probe;
  }

  SystemClock clock_;
  asio::io_context io_;
  testing::TestHttpServer server_{io_};
  std::vector<Recorded> events_;
  std::function<void(const std::string&, const ProbeEvent&)> onEvent_;
  Prober prober_;
};

TEST_F(ProberTest, NoProbesEventsComeFromTheLoop) {
  ASSERT_TRUE(prober_.add("web-1", "", 0, spec::Template{}, clock_.now()));
  EXPECT_TRUE(events_.empty());  // nothing synchronously inside add()
  EXPECT_TRUE(runUntil(io_, [&] { return has("web-1", ProbeEventKind::kAvailable); }));
  ASSERT_EQ(events_.size(), 3u);
  EXPECT_EQ(events_[0].kind, ProbeEventKind::kStarted);
  EXPECT_EQ(events_[1].kind, ProbeEventKind::kReady);
  EXPECT_EQ(events_[2].kind, ProbeEventKind::kAvailable);
  auto status = prober_.status("web-1");
  ASSERT_TRUE(status.has_value());
  EXPECT_TRUE(status->ready);
  EXPECT_TRUE(status->available);
}

TEST_F(ProberTest, StartupThenReadinessOverHttp) {
  spec::Template tmpl;
  tmpl.startupProbe = http("/healthz");
  tmpl.readinessProbe = http("/ready");
  ASSERT_TRUE(prober_.add("web-1", "127.0.0.1", server_.port(), tmpl, clock_.now()));
  EXPECT_TRUE(runUntil(io_, [&] { return has("web-1", ProbeEventKind::kReady); }));
  ASSERT_GE(server_.requests().size(), 2u);
  EXPECT_EQ(server_.requests()[0].rfind("GET /healthz ", 0), 0u);
  EXPECT_EQ(server_.requests()[1].rfind("GET /ready ", 0), 0u);
  EXPECT_EQ(find("web-1", ProbeEventKind::kStarted)->reason, "Startup probe succeeded");
  EXPECT_GE(prober_.attempts(), 2u);
  // Results are counted per instance (the analysis' probe-success-rate).
  EXPECT_GE(prober_.status("web-1")->successes, 2u);
  EXPECT_EQ(prober_.status("web-1")->failures, 0u);
}

TEST_F(ProberTest, LivenessFailureRequestsRestart) {
  server_.respondStatus(500, "Internal Server Error");
  spec::Template tmpl;
  tmpl.livenessProbe = http("/healthz", 1, 2);
  ASSERT_TRUE(prober_.add("web-1", "127.0.0.1", server_.port(), tmpl, clock_.now()));
  EXPECT_TRUE(runUntil(io_, [&] { return has("web-1", ProbeEventKind::kRestartRequired); }, std::chrono::seconds(4)));
  EXPECT_EQ(find("web-1", ProbeEventKind::kRestartRequired)->reason,
            "Liveness probe failed 2 times: HTTP probe failed with statuscode: 500");
  EXPECT_TRUE(has("web-1", ProbeEventKind::kNotReady));
  EXPECT_EQ(server_.requests().size(), 2u);  // one per period, none after the restart request
  EXPECT_TRUE(prober_.status("web-1")->restartRequired);
  EXPECT_EQ(prober_.status("web-1")->failures, 2u);
  EXPECT_EQ(prober_.status("web-1")->successes, 0u);
}

TEST_F(ProberTest, RefusedReadinessNeverReady) {
  spec::Template tmpl;
  tmpl.readinessProbe = http("/ready");
  ASSERT_TRUE(prober_.add("web-1", "127.0.0.1", testing::unusedPort(io_), tmpl, clock_.now()));
  runUntil(io_, [] { return false; }, std::chrono::milliseconds(1500));
  EXPECT_TRUE(has("web-1", ProbeEventKind::kStarted));
  EXPECT_FALSE(has("web-1", ProbeEventKind::kReady));
  EXPECT_FALSE(prober_.status("web-1")->ready);
}

TEST_F(ProberTest, RemoveCancelsInFlightExecProbe) {
  spec::Template tmpl;
  spec::Probe probe;
  probe.kind = spec::ProbeKind::kExec;
  probe.exec.command = {"/bin/sleep", "5"};
  probe.timeoutSeconds = 10;
  tmpl.livenessProbe = probe;
  ASSERT_TRUE(prober_.add("web-1", "", 0, tmpl, clock_.now()));
  ASSERT_TRUE(runUntil(io_, [&] { return prober_.attempts() == 1; }));
  size_t before = events_.size();
  prober_.remove("web-1");
  EXPECT_FALSE(prober_.status("web-1").has_value());
  // The child is killed and reaped by the prober (WNOWAIT: the test reaps nothing itself).
  EXPECT_TRUE(runUntil(io_, [] {
    siginfo_t info{};
    return ::waitid(P_ALL, 0, &info, WEXITED | WNOHANG | WNOWAIT) < 0 && errno == ECHILD;
  }, std::chrono::milliseconds(2000)));
  EXPECT_EQ(events_.size(), before);
}

TEST_F(ProberTest, CallbackMayRemoveTheInstance) {
  server_.respondStatus(503, "Service Unavailable");
  spec::Template tmpl;
  tmpl.livenessProbe = http("/healthz", 1, 1);
  tmpl.readinessProbe = http("/ready", 1, 1);
  onEvent_ = [this](const std::string& id, const ProbeEvent& event) {
    if (event.kind == ProbeEventKind::kNotReady || event.kind == ProbeEventKind::kRestartRequired) {
      prober_.remove(id);
    }
  };
  ASSERT_TRUE(prober_.add("web-1", "127.0.0.1", server_.port(), tmpl, clock_.now()));
  EXPECT_TRUE(runUntil(io_, [&] { return prober_.size() == 0; }));
  runUntil(io_, [] { return false; }, std::chrono::milliseconds(1200));
  EXPECT_EQ(events_.back().instance, "web-1");
  EXPECT_NE(events_.back().kind, ProbeEventKind::kReady);
}

TEST_F(ProberTest, MinReadySecondsDelaysAvailable) {
  prober_.setMinReadySeconds(1);
  ASSERT_TRUE(prober_.add("web-1", "", 0, spec::Template{}, clock_.now()));
  auto begin = std::chrono::steady_clock::now();
  EXPECT_TRUE(runUntil(io_, [&] { return has("web-1", ProbeEventKind::kAvailable); }));
  EXPECT_GE(std::chrono::steady_clock::now() - begin, std::chrono::milliseconds(950));
}

TEST_F(ProberTest, AddRejectsDuplicatesAndMissingPorts) {
  ASSERT_TRUE(prober_.add("web-1", "", 0, spec::Template{}, clock_.now()));
  auto duplicate = prober_.add("web-1", "", 0, spec::Template{}, clock_.now());
  ASSERT_FALSE(duplicate);
  EXPECT_EQ(duplicate.error().code, ErrorCode::kConflict);
  spec::Template tmpl;
  tmpl.readinessProbe = http("/ready");
  auto noPort = prober_.add("web-2", "", 0, tmpl, clock_.now());
  ASSERT_FALSE(noPort);
  EXPECT_EQ(noPort.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(noPort.error().message, "instance web-2: readiness probe: port 0 is not a TCP port");
  prober_.remove("unknown");  // ignored
  EXPECT_EQ(prober_.size(), 1u);
}

TEST_F(ProberTest, ManyInstancesShareOneLoop) {
  spec::Template tmpl;
  tmpl.readinessProbe = http("/ready");
  for (int i = 0; i < 50; ++i) {
    ASSERT_TRUE(prober_.add("web-" + std::to_string(i), "127.0.0.1", server_.port(), tmpl, clock_.now()));
  }
  auto readyCount = [&] {
    int n = 0;
    for (const auto& e : events_) n += e.kind == ProbeEventKind::kReady ? 1 : 0;
    return n;
  };
  EXPECT_TRUE(runUntil(io_, [&] { return readyCount() == 50; }));
}

}  // namespace
}  // namespace rollway::probe
