#include "probe/tcp_socket_runner.h"

#include <gtest/gtest.h>

#include <optional>

#include "test_http_server.h"

namespace rollway::probe {
namespace {

using testing::runUntil;

ProbeResult probeOnce(asio::io_context& io, ProbeRunner& runner) {
  std::optional<ProbeResult> result;
  runner.run([&](ProbeResult got) { result = std::move(got); });
  EXPECT_TRUE(runUntil(io, [&] { return result.has_value(); }));
  return result.value_or(ProbeResult{ProbeOutcome::kFailure, "no result"});
}

TEST(TcpSocketRunnerTest, ConnectIsSuccess) {
  asio::io_context io;
  testing::TestHttpServer server(io);
  spec::Probe probe;
  probe.kind = spec::ProbeKind::kTcpSocket;
  auto runner = makeProbeRunner(io, probe, ProbeEndpoint{"127.0.0.1", server.port(), std::nullopt});
  ProbeResult result = probeOnce(io, *runner);
  EXPECT_EQ(result.outcome, ProbeOutcome::kSuccess) << result.message;
  EXPECT_TRUE(runUntil(io, [&] { return server.accepted() == 1; }));
}

TEST(TcpSocketRunnerTest, ProbePortOverridesInstancePort) {
  asio::io_context io;
  testing::TestHttpServer server(io);
  spec::Probe probe;
  probe.kind = spec::ProbeKind::kTcpSocket;
  probe.tcpSocket.port = server.port();
  auto runner = makeProbeRunner(io, probe, ProbeEndpoint{"127.0.0.1", testing::unusedPort(io), std::nullopt});
  EXPECT_EQ(probeOnce(io, *runner).outcome, ProbeOutcome::kSuccess);
}

TEST(TcpSocketRunnerTest, NothingListeningIsFailure) {
  asio::io_context io;
  spec::Probe probe;
  probe.kind = spec::ProbeKind::kTcpSocket;
  auto runner = makeProbeRunner(io, probe, ProbeEndpoint{"127.0.0.1", testing::unusedPort(io), std::nullopt});
  ProbeResult result = probeOnce(io, *runner);
  EXPECT_EQ(result.outcome, ProbeOutcome::kFailure);
  EXPECT_NE(result.message.find("refused"), std::string::npos) << result.message;
}

TEST(TcpSocketRunnerTest, InvalidPortIsFailureNotCrash) {
  asio::io_context io;
  TcpSocketRunner runner(io, "127.0.0.1", 70000, std::chrono::seconds(1));
  ProbeResult result = probeOnce(io, runner);
  EXPECT_EQ(result.outcome, ProbeOutcome::kFailure);
  EXPECT_NE(result.message.find("invalid port"), std::string::npos) << result.message;
}

TEST(TcpSocketRunnerTest, UnroutableAddressTimesOut) {
  // 192.0.2.0/24 (TEST-NET-1) is never routed: the SYN goes nowhere, or the network is
  // unreachable at once. Either way the attempt ends within the timeout, never as success.
  asio::io_context io;
  TcpSocketRunner runner(io, "192.0.2.1", 9, std::chrono::seconds(1));
  auto begin = std::chrono::steady_clock::now();
  ProbeResult result = probeOnce(io, runner);
  EXPECT_NE(result.outcome, ProbeOutcome::kSuccess);
  EXPECT_LT(std::chrono::steady_clock::now() - begin, std::chrono::milliseconds(3000));
}

}  // namespace
}  // namespace rollway::probe
