#include "probe/http_get_runner.h"

#include <gtest/gtest.h>

#include <chrono>
#include <optional>
#include <string>

#include "test_http_server.h"

namespace rollway::probe {
namespace {

using testing::runUntil;
using testing::TestHttpServer;

class HttpGetRunnerTest : public ::testing::Test {
 protected:
  std::unique_ptr<ProbeRunner> runner(int port, const std::string& path = "/healthz", int timeoutSeconds = 1) {
    spec::Probe probe;
    probe.kind = spec::ProbeKind::kHttpGet;
    probe.httpGet.path = path;
    probe.httpGet.httpHeaders = headers_;
    probe.timeoutSeconds = timeoutSeconds;
    return makeProbeRunner(io_, probe, ProbeEndpoint{"127.0.0.1", port, std::nullopt});
  }
  ProbeResult probeOnce(ProbeRunner& r) {
    std::optional<ProbeResult> result;
    r.run([&](ProbeResult got) { result = std::move(got); });
    EXPECT_TRUE(runUntil(io_, [&] { return result.has_value(); })) << "no result in time";
    return result.value_or(ProbeResult{ProbeOutcome::kFailure, "no result"});
  }

  asio::io_context io_;
  TestHttpServer server_{io_};
  std::vector<spec::HttpHeader> headers_;
};

TEST_F(HttpGetRunnerTest, Status200IsSuccessAndRequestIsWellFormed) {
  headers_ = {{"X-Probe", "yes"}};
  auto r = runner(server_.port());
  ProbeResult result = probeOnce(*r);
  EXPECT_EQ(result.outcome, ProbeOutcome::kSuccess) << result.message;
  EXPECT_EQ(result.message, "HTTP probe succeeded with statuscode: 200");
  ASSERT_EQ(server_.requests().size(), 1u);
  const std::string& request = server_.requests()[0];
  EXPECT_EQ(request.rfind("GET /healthz HTTP/1.1\r\n", 0), 0u) << request;
  EXPECT_NE(request.find("\r\nHost: 127.0.0.1:" + std::to_string(server_.port()) + "\r\n"), std::string::npos) << request;
  EXPECT_NE(request.find("\r\nUser-Agent: rollway-probe/1\r\n"), std::string::npos) << request;
  EXPECT_NE(request.find("\r\nConnection: close\r\n"), std::string::npos) << request;
  EXPECT_NE(request.find("\r\nX-Probe: yes\r\n"), std::string::npos) << request;
}

TEST_F(HttpGetRunnerTest, ConfiguredHeadersOverrideDefaults) {
  headers_ = {{"host", "web.local"}, {"User-Agent", "custom"}};
  auto r = runner(server_.port());
  ASSERT_EQ(probeOnce(*r).outcome, ProbeOutcome::kSuccess);
  const std::string& request = server_.requests().at(0);
  EXPECT_NE(request.find("\r\nhost: web.local\r\n"), std::string::npos) << request;
  EXPECT_EQ(request.find("Host: 127.0.0.1"), std::string::npos) << request;
  EXPECT_EQ(request.find("rollway-probe"), std::string::npos) << request;
}

TEST_F(HttpGetRunnerTest, Status500IsFailure) {
  server_.respondStatus(500, "Internal Server Error");
  auto r = runner(server_.port());
  ProbeResult result = probeOnce(*r);
  EXPECT_EQ(result.outcome, ProbeOutcome::kFailure);
  EXPECT_EQ(result.message, "HTTP probe failed with statuscode: 500");
}

TEST_F(HttpGetRunnerTest, Status302IsSuccess) {
  server_.respond("HTTP/1.1 302 Found\r\nLocation: /elsewhere\r\nContent-Length: 0\r\n\r\n");
  auto r = runner(server_.port());
  EXPECT_EQ(probeOnce(*r).outcome, ProbeOutcome::kSuccess);
}

TEST_F(HttpGetRunnerTest, Status399IsSuccessAnd400IsFailure) {
  server_.respondStatus(399, "Custom");
  auto r = runner(server_.port());
  EXPECT_EQ(probeOnce(*r).outcome, ProbeOutcome::kSuccess);
  server_.respondStatus(400, "Bad Request");
  EXPECT_EQ(probeOnce(*r).outcome, ProbeOutcome::kFailure);
}

TEST_F(HttpGetRunnerTest, CloseDelimitedResponse) {
  server_.respond("HTTP/1.1 204 No Content\r\n\r\n");
  auto r = runner(server_.port());
  EXPECT_EQ(probeOnce(*r).outcome, ProbeOutcome::kSuccess);
  server_.respond("HTTP/1.0 200 OK\r\n\r\nno length, ends at close");
  EXPECT_EQ(probeOnce(*r).outcome, ProbeOutcome::kSuccess);
}

TEST_F(HttpGetRunnerTest, LargeBodyIsJudgedByStatus) {
  std::string body(20 * 1024, 'x');
  server_.respond("HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body);
  auto r = runner(server_.port());
  EXPECT_EQ(probeOnce(*r).outcome, ProbeOutcome::kSuccess);
  server_.respond("HTTP/1.1 503 Busy\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body);
  ProbeResult result = probeOnce(*r);
  EXPECT_EQ(result.outcome, ProbeOutcome::kFailure);
  EXPECT_EQ(result.message, "HTTP probe failed with statuscode: 503");
}

TEST_F(HttpGetRunnerTest, MalformedResponseIsFailure) {
  server_.respond("HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nok");
  auto r = runner(server_.port());
  ProbeResult result = probeOnce(*r);
  EXPECT_EQ(result.outcome, ProbeOutcome::kFailure);
  EXPECT_NE(result.message.find("malformed HTTP response"), std::string::npos) << result.message;
  server_.respond("SSH-2.0-OpenSSH_9.2\r\n");
  result = probeOnce(*r);
  EXPECT_EQ(result.outcome, ProbeOutcome::kFailure);
  EXPECT_NE(result.message.find("malformed"), std::string::npos) << result.message;
}

TEST_F(HttpGetRunnerTest, TruncatedResponseIsFailure) {
  server_.respond("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nshort");
  auto r = runner(server_.port());
  EXPECT_EQ(probeOnce(*r).outcome, ProbeOutcome::kFailure);
}

TEST_F(HttpGetRunnerTest, ServerClosesWithoutResponseIsFailure) {
  server_.setMode(TestHttpServer::Mode::kClose);
  auto r = runner(server_.port());
  ProbeResult result = probeOnce(*r);
  EXPECT_EQ(result.outcome, ProbeOutcome::kFailure);
  EXPECT_FALSE(result.message.empty());
}

TEST_F(HttpGetRunnerTest, HangingServerTimesOut) {
  server_.setMode(TestHttpServer::Mode::kHang);
  auto r = runner(server_.port());
  auto begin = std::chrono::steady_clock::now();
  ProbeResult result = probeOnce(*r);
  auto elapsed = std::chrono::steady_clock::now() - begin;
  EXPECT_EQ(result.outcome, ProbeOutcome::kTimeout) << result.message;
  EXPECT_NE(result.message.find("timed out after 1s"), std::string::npos) << result.message;
  EXPECT_GE(elapsed, std::chrono::milliseconds(900));
  EXPECT_LT(elapsed, std::chrono::milliseconds(3000));
}

TEST_F(HttpGetRunnerTest, RefusedConnectionIsFailure) {
  int port = testing::unusedPort(io_);
  auto r = runner(port);
  ProbeResult result = probeOnce(*r);
  EXPECT_EQ(result.outcome, ProbeOutcome::kFailure);
  EXPECT_NE(result.message.find("refused"), std::string::npos) << result.message;
}

TEST_F(HttpGetRunnerTest, CancelledAttemptNeverCallsBack) {
  server_.setMode(TestHttpServer::Mode::kHang);
  auto r = runner(server_.port());
  bool called = false;
  r->run([&](ProbeResult) { called = true; });
  runUntil(io_, [&] { return !server_.requests().empty(); });
  r->cancel();
  runUntil(io_, [] { return false; }, std::chrono::milliseconds(1300));
  EXPECT_FALSE(called);
}

TEST_F(HttpGetRunnerTest, RunnerDestroyedInsideItsCallback) {
  auto r = runner(server_.port());
  bool called = false;
  r->run([&](ProbeResult) {
    called = true;
    r.reset();
  });
  EXPECT_TRUE(runUntil(io_, [&] { return called; }));
  EXPECT_EQ(r, nullptr);
}

TEST_F(HttpGetRunnerTest, HostnameIsResolved) {
  spec::Probe probe;
  probe.kind = spec::ProbeKind::kHttpGet;
  probe.httpGet.host = "localhost";
  probe.httpGet.port = server_.port();
  auto r = makeProbeRunner(io_, probe, ProbeEndpoint{"127.0.0.1", 1, std::nullopt});
  ProbeResult result = probeOnce(*r);
  // localhost may resolve to ::1 first; async_connect tries every address.
  EXPECT_EQ(result.outcome, ProbeOutcome::kSuccess) << result.message;
}

}  // namespace
}  // namespace rollway::probe
