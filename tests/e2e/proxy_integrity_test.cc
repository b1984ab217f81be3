// The proxy's response integrity against broken upstreams: a response that fails after
// its first byte went out closes the client connection (never a second response on it,
// pipelined or keep-alive), a truncated response counts as an upstream error and a 5xx,
// a request the upstream may have processed is never replayed, and every vector of
// tests/data/http-bad-responses is answered 502/504 or closed. `test-upstream --raw-dir`
// plays the broken upstream; raw sockets, every wait bounded, processes killed by the
// harness.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <functional>
#include <cctype>
#include <filesystem>
#include <map>
#include <set>
#include <memory>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "harness.h"
#include "http_client.h"
#include "rollway/http/response_parser.h"
#include "rollway/proxy/snapshot_json.h"

namespace rollway::e2e {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// One raw client connection.
class Conn {
 public:
  explicit Conn(int port) : fd_(connectLoopback(port)) {}
  ~Conn() {
    if (fd_ >= 0) ::close(fd_);
  }
  Conn(const Conn&) = delete;
  Conn& operator=(const Conn&) = delete;
  bool ok() const { return fd_ >= 0; }
  bool send(std::string_view bytes) {
    return ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(bytes.size());
  }
  // Appends what arrives to `bytes_` until the peer closes (true) or `bound` passes.
  bool readUntilClosed(milliseconds bound) {
    auto deadline = Clock::now() + bound;
    for (;;) {
      auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now()).count();
      if (left <= 0) return false;
      pollfd p{fd_, POLLIN, 0};
      int ready = ::poll(&p, 1, static_cast<int>(left));
      if (ready == 0) return false;
      if (ready < 0) continue;
      char chunk[65536];
      ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
      if (n <= 0) return true;  // EOF or reset
      bytes_.append(chunk, static_cast<size_t>(n));
    }
  }
  // Reads for `span` whatever arrives (the connection may stay open).
  void readFor(milliseconds span) {
    auto deadline = Clock::now() + span;
    for (;;) {
      auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now()).count();
      if (left <= 0) return;
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left)) <= 0) continue;
      char chunk[65536];
      ssize_t n = ::recv(fd_, chunk, sizeof chunk, MSG_DONTWAIT);
      if (n <= 0) return;
      bytes_.append(chunk, static_cast<size_t>(n));
    }
  }
  const std::string& bytes() const { return bytes_; }

 private:
  int fd_;
  std::string bytes_;
};

// What a client made of the bytes it got: the complete responses in order, then
// whether a response was cut off by the close, or the bytes were not HTTP at all.
struct Parsed {
  std::vector<http::Response> responses;
  bool truncated = false;
  bool garbage = false;
};

Parsed parseResponses(const std::string& bytes, const std::vector<std::string>& methods) {
  Parsed out;
  http::ResponseParser parser;
  size_t offset = 0;
  for (;;) {
    parser.setRequestMethod(out.responses.size() < methods.size() ? methods[out.responses.size()] : "GET");
    auto r = parser.feed(std::string_view(bytes).substr(offset));
    if (r.status == http::ParseStatus::kComplete) {
      offset += r.consumed;
      auto response = parser.take();
      if (response.status == 100) continue;
      out.responses.push_back(std::move(response));
      if (offset < bytes.size()) continue;
      return out;
    }
    if (r.status == http::ParseStatus::kError) {
      out.garbage = true;
      return out;
    }
    if (parser.inProgress()) {
      if (parser.feedEof() == http::ParseStatus::kComplete) {
        out.responses.push_back(parser.take());
      } else {
        out.truncated = true;
      }
    }
    return out;
  }
}

int countOf(std::string_view text, std::string_view needle) {
  int n = 0;
  for (size_t i = text.find(needle); i != std::string_view::npos; i = text.find(needle, i + 1)) ++n;
  return n;
}

struct UpstreamProcess {
  std::unique_ptr<Process> process;
  int port = -1;
  std::string record;
};

UpstreamProcess startTestUpstream(const TempDir& tmp, const std::string& name, std::string rawDir = "") {
  UpstreamProcess u;
  u.record = tmp / (name + ".record");
  if (rawDir.empty()) rawDir = sourcePath("tests/data/http-bad-responses");
  u.process = std::make_unique<Process>(
      std::vector<std::string>{binary("test-upstream"), "--port", "0", "--record", u.record, "--raw-dir", rawDir},
      tmp / (name + ".log"));
  static const std::regex kListening("listening on 127\\.0\\.0\\.1:([0-9]+)\n");
  waitFor(
      [&] {
        std::smatch match;
        std::string text = u.process->log();
        if (!std::regex_search(text, match, kListening)) return false;
        u.port = std::stoi(match[1].str());
        return true;
      },
      10s);
  return u;
}

// `rollway proxy` with --metrics, in front of upstreams given by flags or a routes file.
class ProxyUnderTest {
 public:
  // `routing`: flags, "$LISTEN" replaced by the listen address; or, when `routes` is
  // set, the routing snapshot it returns for the listen address (--routes FILE).
  bool start(const TempDir& tmp, std::vector<std::string> routing, std::string* why,
             const std::function<std::string(const std::string&)>& routes = {}) {
    for (int attempt = 0; attempt < 5; ++attempt) {  // a free port may be taken meanwhile
      port_ = freePort();
      metricsPort_ = freePort();
      std::string listen = "127.0.0.1:" + std::to_string(port_);
      std::vector<std::string> argv = {binary("rollway"), "proxy", "--metrics",
                                       "127.0.0.1:" + std::to_string(metricsPort_), "--log-level", "warn"};
      for (auto& a : routing) argv.push_back(a == "$LISTEN" ? listen : a);
      if (routes) {
        writeFile(tmp / "routes.json", routes(listen));
        argv.push_back("--routes");
        argv.push_back(tmp / "routes.json");
      }
      process_ = std::make_unique<Process>(argv, tmp / "proxy.log");
      bool up = waitFor([&] { return !process_->running() || (waitForPort(port_, 50ms) && waitForPort(metricsPort_, 50ms)); },
                        10s);
      if (up && process_->running()) return true;
      *why = process_->log();
      process_.reset();
    }
    return false;
  }
  int port() const { return port_; }
  // The sum of a metric over every service and revision (-1 when unreadable).
  int64_t metric(const std::string& name, const std::string& labelFilter = "") const {
    auto r = httpGet(static_cast<uint16_t>(metricsPort_), "/metrics");
    if (!r || r->status != 200) return -1;
    int64_t sum = 0;
    std::istringstream in(r->body);
    std::string line;
    while (std::getline(in, line)) {
      if (line.rfind(name + "{", 0) != 0) continue;
      if (!labelFilter.empty() && line.find(labelFilter) == std::string::npos) continue;
      sum += std::stoll(line.substr(line.rfind(' ') + 1));
    }
    return sum;
  }
  std::string log() const { return process_ ? process_->log() : std::string(); }

 private:
  std::unique_ptr<Process> process_;
  int port_ = -1;
  int metricsPort_ = -1;
};

std::string request(const std::string& method, const std::string& target, const std::string& extra = "") {
  return method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" + extra + "\r\n";
}

const std::string kAfter = request("GET", "/after", "Connection: close\r\n");

// One test-upstream and a proxy with 1 s response and body timeouts (flags).
class ProxyIntegrity : public ::testing::Test {
 protected:
  void SetUp() override {
    upstream_ = startTestUpstream(tmp_, "upstream");
    ASSERT_GT(upstream_.port, 0) << upstream_.process->log();
    std::string why;
    ASSERT_TRUE(proxy_.start(tmp_,
                             {"--listen", "$LISTEN", "--upstream", "127.0.0.1:" + std::to_string(upstream_.port),
                              "--response-timeout", "1s", "--body-timeout", "1s"},
                             &why))
        << why;
  }
  std::string recorded() const { return readFile(upstream_.record); }

  // The first request's response was cut off, the connection then closed, and nothing
  // of a second response came after it; `/after` never reached the upstream.
  void expectTruncatedThenClosed(Conn& c, bool closed, const std::string& what) {
    EXPECT_TRUE(closed) << what << ": the client connection stayed open after a broken response; got "
                        << escapedBytes(c.bytes(), 600);
    Parsed p = parseResponses(c.bytes(), {"GET", "GET"});
    EXPECT_FALSE(p.garbage) << what << ": " << escapedBytes(c.bytes(), 600);
    EXPECT_TRUE(p.truncated) << what << ": expected a cut-off response, got " << p.responses.size()
                             << " complete one(s): " << escapedBytes(c.bytes(), 600);
    EXPECT_TRUE(p.responses.empty()) << what << ": " << escapedBytes(c.bytes(), 600);
    EXPECT_EQ(countOf(c.bytes(), "HTTP/1.1 "), 1) << what << ": a second response followed: " << escapedBytes(c.bytes(), 600);
    std::this_thread::sleep_for(100ms);
    EXPECT_EQ(countOf(recorded(), "/after"), 0) << what << ": the next request was forwarded on a desynced connection";
  }

  TempDir tmp_;
  UpstreamProcess upstream_;
  ProxyUnderTest proxy_;
};

TEST_F(ProxyIntegrity, StallMidBodyPipelinedClosesTheClientConnection) {
  Conn c(proxy_.port());
  ASSERT_TRUE(c.ok());
  ASSERT_TRUE(c.send(request("GET", "/raw/stall-mid-body-length-stall.resp") + kAfter));
  bool closed = c.readUntilClosed(5s);
  expectTruncatedThenClosed(c, closed, "stall mid-body, pipelined");
}

TEST_F(ProxyIntegrity, StallMidBodyChunkedKeepAliveClosesTheClientConnection) {
  Conn c(proxy_.port());
  ASSERT_TRUE(c.ok());
  ASSERT_TRUE(c.send(request("GET", "/raw/stall-mid-body-chunked-stall.resp")));
  c.readFor(1800ms);  // past the 1 s body timeout
  c.send(kAfter);     // a keep-alive client's next request (may fail: closed)
  bool closed = c.readUntilClosed(4s);
  expectTruncatedThenClosed(c, closed, "stall mid-body (chunked), keep-alive");
}

TEST_F(ProxyIntegrity, CloseMidBodyPipelinedClosesTheClientConnection) {
  for (std::string vector : {"close-mid-body-length.resp", "close-mid-body-chunked.resp", "close-mid-chunk.resp"}) {
    Conn c(proxy_.port());
    ASSERT_TRUE(c.ok());
    ASSERT_TRUE(c.send(request("GET", "/raw/" + vector) + kAfter));
    bool closed = c.readUntilClosed(4s);
    expectTruncatedThenClosed(c, closed, vector + ", pipelined");
  }
}

TEST_F(ProxyIntegrity, CloseMidBodyKeepAliveClosesTheClientConnection) {
  Conn c(proxy_.port());
  ASSERT_TRUE(c.ok());
  ASSERT_TRUE(c.send(request("GET", "/raw/close-mid-body-length.resp")));
  c.readFor(500ms);
  c.send(kAfter);
  bool closed = c.readUntilClosed(4s);
  expectTruncatedThenClosed(c, closed, "close mid-body, keep-alive");
}

TEST_F(ProxyIntegrity, TruncatedResponseCountsAsUpstreamErrorNot2xx) {
  for (std::string vector : {"close-mid-body-length.resp", "stall-mid-body-chunked-stall.resp"}) {
    Conn c(proxy_.port());
    ASSERT_TRUE(c.ok());
    ASSERT_TRUE(c.send(request("GET", "/raw/" + vector)));
    c.readUntilClosed(4s);
  }
  std::this_thread::sleep_for(100ms);
  EXPECT_EQ(proxy_.metric("rollway_upstream_errors_total"), 2) << proxy_.log();
  EXPECT_EQ(proxy_.metric("rollway_requests_total", "code=\"2xx\""), 0);
  // The error rate the analysis engine reads is (5xx + error) / requests.
  EXPECT_EQ(proxy_.metric("rollway_requests_total", "code=\"5xx\"") +
                proxy_.metric("rollway_requests_total", "code=\"error\""),
            2);
}

// Two upstreams that read the whole request and close without answering.
class ProxyNoReplay : public ::testing::Test {
 protected:
  void SetUp() override {
    a_ = startTestUpstream(tmp_, "a");
    b_ = startTestUpstream(tmp_, "b");
    ASSERT_GT(a_.port, 0);
    ASSERT_GT(b_.port, 0);
    std::string why;
    ASSERT_TRUE(proxy_.start(tmp_,
                             {"--listen", "$LISTEN", "--upstream", "127.0.0.1:" + std::to_string(a_.port),
                              "--upstream", "127.0.0.1:" + std::to_string(b_.port)},
                             &why))
        << why;
  }
  int seen(const std::string& needle) const { return countOf(readFile(a_.record) + readFile(b_.record), needle); }

  TempDir tmp_;
  UpstreamProcess a_;
  UpstreamProcess b_;
  ProxyUnderTest proxy_;
};

TEST_F(ProxyNoReplay, PostThatReachedAnUpstreamIsNotSentAgain) {
  for (int i = 0; i < 4; ++i) {
    std::string target = "/drop?post=" + std::to_string(i);
    HttpConnection c(static_cast<uint16_t>(proxy_.port()), 5s);
    ASSERT_TRUE(c.connected());
    auto r = c.request("POST", target, {}, "payload-" + std::to_string(i));
    ASSERT_TRUE(r) << "no answer";
    EXPECT_EQ(r->status, 502);
    std::this_thread::sleep_for(50ms);
    EXPECT_EQ(seen("POST " + target + " "), 1) << "the POST reached the upstreams this often";
  }
}

TEST_F(ProxyNoReplay, GetOnAFreshConnectionAnsweredByACloseIsNotSentAgain) {
  // Not a reused pooled connection: the upstream got the request and may have run it.
  for (int i = 0; i < 4; ++i) {
    std::string target = "/drop?get=" + std::to_string(i);
    auto r = httpGet(static_cast<uint16_t>(proxy_.port()), target);
    ASSERT_TRUE(r) << "no answer";
    EXPECT_EQ(r->status, 502);
    std::this_thread::sleep_for(50ms);
    EXPECT_EQ(seen("GET " + target + " "), 1);
  }
  EXPECT_EQ(proxy_.metric("rollway_retries_total"), 0);
}

// The stale keep-alive race, made deterministic: the upstream answers without closing,
// the proxy pools the connection, and the upstream closes it 300 ms later without reading
// the next request the proxy sent on it meanwhile.
class ProxyStaleKeepAlive : public ::testing::Test {
 protected:
  void SetUp() override {
    writeFile(tmp_ / "ok-late-close", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
    upstream_ = startTestUpstream(tmp_, "upstream", tmp_.path());
    ASSERT_GT(upstream_.port, 0) << upstream_.process->log();
    std::string why;
    ASSERT_TRUE(proxy_.start(tmp_, {"--listen", "$LISTEN", "--upstream", "127.0.0.1:" + std::to_string(upstream_.port)},
                             &why))
        << why;
  }
  // A response on a fresh connection that leaves a doomed connection in the pool, then
  // `next` on it; the status the client got for `next`.
  int afterStale(const std::string& next) {
    HttpConnection c(static_cast<uint16_t>(proxy_.port()), 5s);
    auto first = c.request("GET", "/raw/ok-late-close");
    if (!first || first->status != 200) return -1;
    std::this_thread::sleep_for(50ms);
    if (!c.sendRaw(next)) return -2;
    auto r = c.readResponse();
    std::this_thread::sleep_for(400ms);  // the upstream's late close has happened
    return r ? r->status : -3;
  }

  TempDir tmp_;
  UpstreamProcess upstream_;
  ProxyUnderTest proxy_;
};

TEST_F(ProxyStaleKeepAlive, IdempotentOrBodylessRequestIsRetriedOnANewConnection) {
  EXPECT_EQ(afterStale(request("GET", "/stale-get")), 200);
  EXPECT_EQ(afterStale(request("POST", "/stale-post-empty", "Content-Length: 0\r\n")), 200);
  EXPECT_EQ(countOf(readFile(upstream_.record), "GET /stale-get "), 1);
  EXPECT_EQ(countOf(readFile(upstream_.record), "POST /stale-post-empty "), 1);
  EXPECT_EQ(proxy_.metric("rollway_retries_total"), 2);
  EXPECT_EQ(proxy_.metric("rollway_upstream_errors_total"), 0) << "the keep-alive race is not the endpoint's failure";
}

TEST_F(ProxyStaleKeepAlive, PostWithABodyIsNotReplayed) {
  EXPECT_EQ(afterStale(request("POST", "/stale-post-body", "Content-Length: 7\r\n") + "payload"), 502);
  EXPECT_EQ(countOf(readFile(upstream_.record), "/stale-post-body"), 0);
  EXPECT_EQ(proxy_.metric("rollway_retries_total"), 0);
}

// spec.timeouts.idle: after a response of the service, its idle timeout; before the
// first request, the listener's (--idle-timeout).
TEST(ProxyServiceTimeouts, IdleTimeoutOfTheServiceAppliesAfterItsResponse) {
  TempDir tmp;
  auto upstream = startTestUpstream(tmp, "upstream");
  ASSERT_GT(upstream.port, 0);
  ProxyUnderTest proxy;
  std::string why;
  int upstreamPort = upstream.port;
  ASSERT_TRUE(proxy.start(tmp, {"--idle-timeout", "30s"}, &why, [upstreamPort](const std::string& listen) {
    proxy::RoutingSnapshot s;
    s.version = 1;
    proxy::ServiceRoute service;
    service.name = "quick";
    service.idleTimeoutMs = 400;
    proxy::RevisionRoute revision;
    revision.revision = 1;
    revision.weight = 100;
    revision.endpoints.push_back({"i-1", "127.0.0.1:" + std::to_string(upstreamPort), proxy::EndpointState::kReady});
    service.revisions.push_back(revision);
    s.listeners.push_back({listen, {service}});
    return proxy::toJson(s).dump();
  })) << why;
  Conn silent(proxy.port());  // no request yet: the listener's 30 s
  HttpConnection used(static_cast<uint16_t>(proxy.port()), 5s);
  auto r = used.request("GET", "/");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  auto start = Clock::now();
  EXPECT_TRUE(used.waitClosed(3s)) << "the service's 400 ms idle timeout did not close the connection";
  EXPECT_LT(Clock::now() - start, 2s);
  EXPECT_FALSE(silent.readUntilClosed(500ms)) << "a connection with no request yet was closed early";
}

// ---- the broken-response corpus ----

struct Vector {
  std::string file;
  std::string method;
  std::string outcome;  // 502, 504, truncated, complete; alternatives separated by |
  std::string what;
};

// Test names in ctest: the file, not the bytes of the struct.
void PrintTo(const Vector& v, std::ostream* os) { *os << v.file; }

std::string trimmed(std::string s) {
  while (!s.empty() && (s.front() == ' ')) s.erase(0, 1);
  while (!s.empty() && (s.back() == ' ')) s.pop_back();
  return s;
}

// The table of tests/data/http-bad-responses/README.md.
std::vector<Vector> corpus() {
  std::vector<Vector> out;
  std::istringstream in(readFile(sourcePath("tests/data/http-bad-responses/README.md")));
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("| ", 0) != 0 || line.find(".resp |") == std::string::npos) continue;
    std::vector<std::string> cells;
    std::string cell;
    for (size_t i = 1; i < line.size(); ++i) {
      if (line[i] == '\\' && i + 1 < line.size() && line[i + 1] == '|') {
        cell.push_back('|');
        ++i;
      } else if (line[i] == '|') {
        cells.push_back(trimmed(cell));
        cell.clear();
      } else {
        cell.push_back(line[i]);
      }
    }
    if (cells.size() == 4) out.push_back({cells[0], cells[1], cells[2], cells[3]});
  }
  return out;
}

bool allows(const std::string& outcome, const std::string& what) {
  std::istringstream in(outcome);
  std::string alt;
  while (std::getline(in, alt, '|')) {
    if (alt == what) return true;
  }
  return false;
}

TEST(ProxyResponseCorpusIndex, HasEveryVectorAndAtLeastForty) {
  auto vectors = corpus();
  EXPECT_GE(vectors.size(), 40u);
  std::set<std::string> listed;
  for (const auto& v : vectors) {
    listed.insert(v.file);
    EXPECT_TRUE(v.method == "GET" || v.method == "HEAD") << v.file;
    for (std::istringstream in(v.outcome); !in.eof();) {
      std::string alt;
      std::getline(in, alt, '|');
      EXPECT_TRUE(alt == "502" || alt == "504" || alt == "truncated" || alt == "complete") << v.file << ": " << alt;
    }
  }
  for (const auto& entry : std::filesystem::directory_iterator(sourcePath("tests/data/http-bad-responses"))) {
    std::string name = entry.path().filename().string();
    if (name.size() > 5 && name.substr(name.size() - 5) == ".resp") {
      EXPECT_TRUE(listed.count(name)) << name;
    }
  }
}

// One upstream serving the corpus and one proxy, shared by every vector; the service's
// response and body timeouts are 1 s, given in the routing snapshot (spec.timeouts).
class ProxyResponseCorpus : public ::testing::TestWithParam<Vector> {
 protected:
  static void SetUpTestSuite() {
    tmp_ = new TempDir();
    upstream_ = new UpstreamProcess(startTestUpstream(*tmp_, "upstream"));
    proxy_ = new ProxyUnderTest();
    std::string why;
    int upstreamPort = upstream_->port;
    started_ = upstreamPort > 0 && proxy_->start(*tmp_, {}, &why, [upstreamPort](const std::string& listen) {
      proxy::RoutingSnapshot s;
      s.version = 1;
      proxy::ServiceRoute service;
      service.name = "broken";
      service.responseTimeoutMs = 1'000;
      service.bodyTimeoutMs = 1'000;
      proxy::RevisionRoute revision;
      revision.revision = 1;
      revision.weight = 100;
      revision.endpoints.push_back({"i-1", "127.0.0.1:" + std::to_string(upstreamPort), proxy::EndpointState::kReady});
      service.revisions.push_back(revision);
      s.listeners.push_back({listen, {service}});
      return proxy::toJson(s).dump();
    });
    if (!started_) why_ = why + upstream_->process->log();
  }
  static void TearDownTestSuite() {
    delete proxy_;
    delete upstream_;
    delete tmp_;
  }

  static TempDir* tmp_;
  static UpstreamProcess* upstream_;
  static ProxyUnderTest* proxy_;
  static bool started_;
  static std::string why_;
};
TempDir* ProxyResponseCorpus::tmp_ = nullptr;
UpstreamProcess* ProxyResponseCorpus::upstream_ = nullptr;
ProxyUnderTest* ProxyResponseCorpus::proxy_ = nullptr;
bool ProxyResponseCorpus::started_ = false;
std::string ProxyResponseCorpus::why_;

TEST_P(ProxyResponseCorpus, AnsweredOrClosedNeverDesyncedAndCounted) {
  ASSERT_TRUE(started_) << why_;
  const Vector& v = GetParam();
  int64_t errorsBefore = proxy_->metric("rollway_upstream_errors_total");
  int64_t okBefore = proxy_->metric("rollway_requests_total", "code=\"2xx\"");
  std::string record = upstream_->record;
  size_t recordBefore = readFile(record).size();

  Conn c(proxy_->port());
  ASSERT_TRUE(c.ok());
  ASSERT_TRUE(c.send(request(v.method, "/raw/" + v.file) + kAfter));
  bool closed = c.readUntilClosed(6s);
  std::string got = escapedBytes(c.bytes(), 600);
  EXPECT_TRUE(closed) << v.file << ": the connection neither closed nor finished; got " << got;

  Parsed p = parseResponses(c.bytes(), {v.method, "GET"});
  EXPECT_FALSE(p.garbage) << v.file << ": the client got bytes that are not HTTP: " << got;
  bool broken = v.outcome != "complete";
  if (!p.responses.empty()) {
    const http::Response& first = p.responses[0];
    if (first.status == 502 || first.status == 504) {
      EXPECT_TRUE(allows(v.outcome, std::to_string(first.status)) || allows(v.outcome, "truncated"))
          << v.file << " (" << v.outcome << "): got " << first.status;
    } else {
      EXPECT_TRUE(allows(v.outcome, "complete")) << v.file << ": a broken response passed through: " << got;
      EXPECT_EQ(first.status, 200) << got;
      EXPECT_EQ(first.body, v.method == "HEAD" ? "" : "hello") << got;
    }
    // Only the answer to GET /after may follow, whole.
    EXPECT_LE(p.responses.size(), 2u) << got;
    EXPECT_FALSE(p.truncated) << v.file << ": " << got;
    if (p.responses.size() == 2) {
      EXPECT_EQ(p.responses[1].status, 200) << got;
      EXPECT_EQ(p.responses[1].body, "ok") << v.file << ": the next response is not the answer to /after: " << got;
    }
  } else {
    EXPECT_TRUE(p.truncated) << v.file << ": no response at all: " << got;
    EXPECT_TRUE(allows(v.outcome, "truncated")) << v.file << " (" << v.outcome << "): truncated: " << got;
    std::this_thread::sleep_for(100ms);
    EXPECT_EQ(countOf(readFile(record).substr(recordBefore), "/after"), 0)
        << v.file << ": the pipelined request was forwarded after a truncated response";
  }
  std::this_thread::sleep_for(50ms);
  EXPECT_GE(proxy_->metric("rollway_upstream_errors_total") - errorsBefore, 1) << v.file << ": no upstream error counted";
  if (broken) {
    int64_t okAfter = proxy_->metric("rollway_requests_total", "code=\"2xx\"");
    // At most the /after answer counts as a 2xx.
    EXPECT_LE(okAfter - okBefore, p.responses.size() == 2 ? 1 : 0) << v.file << ": a broken response counted as 2xx";
  }
}

INSTANTIATE_TEST_SUITE_P(Vectors, ProxyResponseCorpus, ::testing::ValuesIn(corpus()),
                         [](const ::testing::TestParamInfo<Vector>& param) {
                           std::string name;
                           for (char ch : param.param.file.substr(0, param.param.file.size() - 5)) {
                             name.push_back(std::isalnum(static_cast<unsigned char>(ch)) ? ch : '_');
                           }
                           return name;
                         });

}  // namespace
}  // namespace rollway::e2e
