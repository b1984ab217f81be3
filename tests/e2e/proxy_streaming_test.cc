// Streaming through `rollway proxy`: 100 MiB both ways without the proxy's memory
// growing, chunked both ways, WebSocket tunnelling, Expect: 100-continue.
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <regex>

#include <gtest/gtest.h>

#include "harness.h"
#include "http_client.h"

namespace rollway::e2e {
namespace {

constexpr uint64_t kHundredMiB = 100ull * 1024 * 1024;

// Resident memory of a process in KiB (VmRSS).
uint64_t rssKiB(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stoull(line.substr(6));
  }
  return 0;
}

class StreamingFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    upstream_ = std::make_unique<Process>(std::vector<std::string>{binary("test-upstream"), "--port", "0"},
                                          tmp_ / "upstream.log");
    std::smatch m;
    std::string log;  // m points into it
    ASSERT_TRUE(waitFor(
        [&] {
          log = upstream_->log();
          return std::regex_search(log, m, std::regex("listening on 127\\.0\\.0\\.1:(\\d+)"));
        },
        10s))
        << upstream_->log();
    upstreamPort_ = static_cast<uint16_t>(std::stoi(m[1].str()));
    port_ = freePort();
    proxy_ = std::make_unique<Process>(
        std::vector<std::string>{binary("rollway"), "proxy", "--listen", "127.0.0.1:" + std::to_string(port_),
                                 "--upstream", "127.0.0.1:" + std::to_string(upstreamPort_), "--log-level", "warn"},
        tmp_ / "proxy.log");
    ASSERT_TRUE(waitForPort(port_, 10s)) << proxy_->log();
  }
  std::string url(const std::string& path) const { return "http://127.0.0.1:" + std::to_string(port_) + path; }

  TempDir tmp_;
  std::unique_ptr<Process> upstream_;
  std::unique_ptr<Process> proxy_;
  uint16_t upstreamPort_ = 0;
  uint16_t port_ = 0;
};

TEST_F(StreamingFixture, HundredMiBEachWayWithoutGrowingMemory) {
  // Warm up (first connections, pools), then measure.
  ASSERT_EQ(run({"/usr/bin/curl", "-sS", "-o", "/dev/null", url("/bytes?n=100000")}).exitCode, 0);
  uint64_t before = rssKiB(proxy_->pid());
  ASSERT_GT(before, 0u);

  // Download: a chunked response from the upstream, streamed to curl.
  auto down = run({"/usr/bin/curl", "-sS", "-o", "/dev/null", "-w", "%{http_code} %{size_download}",
                   url("/bytes?n=" + std::to_string(kHundredMiB))},
                  120s);
  ASSERT_EQ(down.exitCode, 0) << down.err;
  EXPECT_EQ(down.out, "200 " + std::to_string(kHundredMiB));
  uint64_t afterDown = rssKiB(proxy_->pid());

  // Upload: 100 MiB with Content-Length, then 100 MiB chunked.
  std::string file = tmp_ / "zeros";
  ASSERT_EQ(::truncate(file.c_str(), 0), -1);  // does not exist yet
  { std::ofstream(file).flush(); }
  ASSERT_EQ(::truncate(file.c_str(), static_cast<off_t>(kHundredMiB)), 0);
  auto up = run({"/usr/bin/curl", "-sS", "-H", "Expect:", "--data-binary", "@" + file, url("/count")}, 120s);
  ASSERT_EQ(up.exitCode, 0) << up.err;
  EXPECT_EQ(up.out, std::to_string(kHundredMiB));
  auto chunked = run({"/usr/bin/curl", "-sS", "-H", "Expect:", "-H", "Transfer-Encoding: chunked", "--data-binary",
                      "@" + file, url("/count")},
                     120s);
  ASSERT_EQ(chunked.exitCode, 0) << chunked.err;
  EXPECT_EQ(chunked.out, std::to_string(kHundredMiB));
  uint64_t after = rssKiB(proxy_->pid());
  std::cout << "[memory] proxy RSS KiB: before " << before << ", after download " << afterDown << ", after uploads "
            << after << "\n";
  EXPECT_LT(afterDown, before + 4096) << "the download grew the proxy by more than 4 MiB";
  EXPECT_LT(after, before + 4096) << "the uploads grew the proxy by more than 4 MiB";
}

TEST_F(StreamingFixture, ChunkedBothWays) {
  HttpConnection c(port_);
  ASSERT_TRUE(c.sendRaw("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                        "4\r\nabcd\r\n3\r\nefg\r\n0\r\n\r\n"));
  auto r = c.readResponse("POST");
  ASSERT_TRUE(r) << proxy_->log();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "abcdefg");
  const std::string* te = r->header("Transfer-Encoding");
  ASSERT_TRUE(te) << "the chunked answer should stay chunked";
  EXPECT_EQ(*te, "chunked");
  // HTTP/1.0 client: the chunked upstream answer arrives de-chunked, then close.
  HttpConnection old(port_);
  ASSERT_TRUE(old.sendRaw("GET /bytes?n=1000 HTTP/1.0\r\nHost: x\r\n\r\n"));
  auto r10 = old.readResponse();
  ASSERT_TRUE(r10);
  EXPECT_EQ(r10->body.size(), 1000u);
  EXPECT_EQ(r10->header("Transfer-Encoding"), nullptr);
}

TEST_F(StreamingFixture, ExpectContinueIsRelayed) {
  HttpConnection c(port_, 3s);
  ASSERT_TRUE(c.sendRaw("POST /continue HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n"));
  auto interim = c.readResponse();
  ASSERT_TRUE(interim) << "no 100 Continue within 3 s\n" << proxy_->log();
  EXPECT_EQ(interim->status, 100);
  ASSERT_TRUE(c.sendRaw("hello"));
  auto final = c.readResponse("POST");
  ASSERT_TRUE(final) << proxy_->log();
  EXPECT_EQ(final->status, 200);
  EXPECT_EQ(final->body, "5");
  // The connection is still usable.
  auto next = c.request("GET", "/");
  ASSERT_TRUE(next);
  EXPECT_EQ(next->status, 200);
}

std::string wsFrame(const std::string& payload) {
  std::string f;
  f += static_cast<char>(0x81);  // FIN + text
  f += static_cast<char>(0x80 | payload.size());  // masked, < 126 bytes
  const char mask[4] = {0x11, 0x22, 0x33, 0x44};
  f.append(mask, 4);
  for (size_t i = 0; i < payload.size(); ++i) f += static_cast<char>(payload[i] ^ mask[i % 4]);
  return f;
}

TEST_F(StreamingFixture, WebSocketEcho) {
  HttpConnection c(port_, 3s);
  ASSERT_TRUE(c.sendRaw("GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"));
  // Read the 101 head by hand: what follows is not HTTP.
  std::string got;
  ASSERT_TRUE(waitFor(
      [&] {
        char buf[4096];
        ssize_t n = ::recv(c.fd(), buf, sizeof buf, MSG_DONTWAIT);
        if (n > 0) got.append(buf, static_cast<size_t>(n));
        return got.find("\r\n\r\n") != std::string::npos;
      },
      3s))
      << got;
  EXPECT_EQ(got.rfind("HTTP/1.1 101", 0), 0u) << got;
  EXPECT_NE(got.find("s3pPLMBiTxaQ9kYGzzhZRbK+xOo="), std::string::npos) << got;
  got.erase(0, got.find("\r\n\r\n") + 4);
  for (std::string message : {"hello", "through the proxy"}) {
    ASSERT_TRUE(c.sendRaw(wsFrame(message)));
    ASSERT_TRUE(waitFor(
        [&] {
          char buf[4096];
          ssize_t n = ::recv(c.fd(), buf, sizeof buf, MSG_DONTWAIT);
          if (n > 0) got.append(buf, static_cast<size_t>(n));
          return got.size() >= 2 + message.size();
        },
        3s));
    EXPECT_EQ(static_cast<unsigned char>(got[0]), 0x81);
    EXPECT_EQ(static_cast<size_t>(got[1]), message.size());
    EXPECT_EQ(got.substr(2, message.size()), message);
    got.erase(0, 2 + message.size());
  }
}

}  // namespace
}  // namespace rollway::e2e
