// The reverse proxy under hostile clients: the tests/data/http-bad corpus of malformed and
// request-smuggling requests, slowloris, header timeout, oversized heads. `rollway proxy`
// runs in front of `test-upstream --record FILE`, which appends every byte it receives to
// FILE: a rejected request must add nothing to it. Raw sockets, every wait bounded, every
// process killed by the harness.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "harness.h"
#include "rollway/http/response_parser.h"

namespace rollway::e2e {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr milliseconds kHeaderTimeout = 2s;
constexpr milliseconds kAnswerBound = 3s;
// What a reader saw instead of a status code.
constexpr int kClosed = 0;     // EOF or reset before any response byte
constexpr int kTimeout = -1;   // nothing within the bound
constexpr int kGarbage = -2;   // bytes that are not an HTTP response

milliseconds since(Clock::time_point start) {
  return std::chrono::duration_cast<milliseconds>(Clock::now() - start);
}

std::string outcomeName(int outcome) {
  switch (outcome) {
    case kClosed: return "close";
    case kTimeout: return "no answer within the bound";
    case kGarbage: return "a response that does not parse";
    default: return std::to_string(outcome);
  }
}

int freePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  int port = -1;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  ::close(fd);
  return port;
}

// One raw client connection; reads are bounded by poll().
class Conn {
 public:
  explicit Conn(int port) : fd_(connectLoopback(port)) {}
  ~Conn() {
    if (fd_ >= 0) ::close(fd_);
  }
  Conn(const Conn&) = delete;
  Conn& operator=(const Conn&) = delete;
  bool ok() const { return fd_ >= 0; }

  // Sends everything it can; false when the peer stopped reading (closed or reset).
  bool send(std::string_view bytes) {
    size_t sent = 0;
    while (sent < bytes.size()) {
      pollfd p{fd_, POLLOUT, 0};
      if (::poll(&p, 1, 3000) <= 0) return false;
      ssize_t n = ::send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
      if (n <= 0) return false;
      sent += static_cast<size_t>(n);
    }
    return true;
  }

  // The status of the next response (body read too), or kClosed / kTimeout / kGarbage.
  int readStatus(milliseconds timeout = kAnswerBound, http::Response* out = nullptr) {
    auto deadline = Clock::now() + timeout;
    parser_.setRequestMethod("GET");
    for (;;) {
      if (!buffer_.empty()) {
        auto r = parser_.feed(buffer_);
        if (r.status == http::ParseStatus::kComplete) {
          buffer_.erase(0, r.consumed);
          auto response = parser_.take();
          if (response.status == 100) continue;  // interim: the final answer follows
          int status = response.status;
          if (out) *out = std::move(response);
          return status;
        }
        if (r.status == http::ParseStatus::kError) return kGarbage;
        buffer_.clear();
      }
      int n = readSome(deadline);
      if (n == -1) return kTimeout;
      if (n == 0 || n == -2) {
        if (n == 0 && parser_.feedEof() == http::ParseStatus::kComplete) return parser_.take().status;
        return parser_.inProgress() ? kGarbage : kClosed;
      }
    }
  }

  // True when the peer closes (EOF or reset) within `timeout` and sends nothing before.
  bool closesWithoutMore(milliseconds timeout, std::string* extra) {
    auto deadline = Clock::now() + timeout;
    extra->swap(buffer_);
    for (;;) {
      size_t before = buffer_.size();
      int n = readSome(deadline);
      extra->append(buffer_, before, std::string::npos);
      buffer_.resize(before);
      if (n == 0 || n == -2) return extra->empty();
      if (n == -1) return false;
    }
  }

  int fd() const { return fd_; }

 private:
  // >0 bytes appended to buffer_, 0 EOF, -1 timeout, -2 error (reset).
  int readSome(Clock::time_point deadline) {
    for (;;) {
      auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now()).count();
      if (left <= 0) return -1;
      pollfd p{fd_, POLLIN, 0};
      int ready = ::poll(&p, 1, static_cast<int>(left));
      if (ready == 0) return -1;
      if (ready < 0 && errno == EINTR) continue;
      if (ready < 0) return -2;
      char chunk[16384];
      ssize_t n = ::recv(fd_, chunk, sizeof chunk, MSG_DONTWAIT);
      if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
      if (n < 0) return -2;
      buffer_.append(chunk, static_cast<size_t>(n));
      return static_cast<int>(n);
    }
  }

  int fd_;
  std::string buffer_;
  http::ResponseParser parser_;
};

uint64_t fileSize(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 ? static_cast<uint64_t>(st.st_size) : 0;
}

std::string readFrom(const std::string& path, uint64_t offset) {
  std::ifstream in(path, std::ios::binary);
  in.seekg(static_cast<std::streamoff>(offset));
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// test-upstream --record and `rollway proxy` in front of it.
class ProxyFixture {
 public:
  explicit ProxyFixture(std::vector<std::string> proxyFlags = {}) : proxyFlags_(std::move(proxyFlags)) {}

  // False (with the logs in `why`) when either process did not come up.
  bool start(std::string* why) {
    upstream_ = std::make_unique<Process>(
        std::vector<std::string>{binary("test-upstream"), "--port", "0", "--record", recordPath()},
        tmp_ / "upstream.log");
    static const std::regex kListening("listening on 127\\.0\\.0\\.1:([0-9]+)\n");
    waitFor(
        [&] {
          std::smatch match;
          std::string text = upstream_->log();
          if (!std::regex_search(text, match, kListening)) return false;
          upstreamPort_ = std::stoi(match[1].str());
          return true;
        },
        10s);
    if (upstreamPort_ <= 0) {
      *why = "test-upstream did not start: " + upstream_->log();
      return false;
    }
    for (int attempt = 0; attempt < 5; ++attempt) {  // the free port may be taken meanwhile
      proxyPort_ = freePort();
      std::vector<std::string> argv = {binary("rollway"),
                                       "proxy",
                                       "--listen",
                                       "127.0.0.1:" + std::to_string(proxyPort_),
                                       "--upstream",
                                       "127.0.0.1:" + std::to_string(upstreamPort_),
                                       "--header-timeout",
                                       std::to_string(kHeaderTimeout.count()) + "ms",
                                       "--log-level",
                                       "warn"};
      argv.insert(argv.end(), proxyFlags_.begin(), proxyFlags_.end());
      proxy_ = std::make_unique<Process>(argv, tmp_ / "proxy.log");
      bool up = waitFor(
          [&] {
            if (!proxy_->running()) return true;
            int fd = connectLoopback(proxyPort_);
            if (fd >= 0) ::close(fd);
            return fd >= 0;
          },
          10s);
      if (up && proxy_->running()) return true;
      *why = "rollway proxy did not start: " + proxy_->log();
      proxy_.reset();
    }
    return false;
  }

  int port() const { return proxyPort_; }
  int upstreamPort() const { return upstreamPort_; }
  std::string recordPath() const { return tmp_ / "upstream.record"; }
  uint64_t recordSize() const { return fileSize(recordPath()); }
  std::string recordSince(uint64_t offset) const { return readFrom(recordPath(), offset); }
  std::string logs() const {
    return "\n--- proxy log ---\n" + (proxy_ ? proxy_->log() : std::string()) + "\n--- upstream log ---\n" +
           (upstream_ ? upstream_->log() : std::string());
  }

 private:
  TempDir tmp_;
  std::vector<std::string> proxyFlags_;
  std::unique_ptr<Process> upstream_;
  std::unique_ptr<Process> proxy_;
  int upstreamPort_ = -1;
  int proxyPort_ = -1;
};

// What reached the upstream after `offset`, waiting briefly for bytes still in flight.
std::string upstreamGained(const ProxyFixture& fx, uint64_t offset) {
  std::this_thread::sleep_for(150ms);
  return fx.recordSince(offset);
}

int countOf(std::string_view text, std::string_view needle) {
  int n = 0;
  for (size_t i = text.find(needle); i != std::string_view::npos; i = text.find(needle, i + 1)) ++n;
  return n;
}

std::string fileBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// --- corpus --------------------------------------------------------------------------

struct CorpusCase {
  std::string file;
  std::string outcome;                           // as written in README.md
  std::vector<std::vector<std::string>> steps;   // "200 then 400|close" -> {{200}, {400, close}}
};

std::vector<std::string> split(const std::string& text, const std::string& sep) {
  std::vector<std::string> out;
  size_t start = 0;
  for (;;) {
    size_t at = text.find(sep, start);
    out.push_back(text.substr(start, at - start));
    if (at == std::string::npos) return out;
    start = at + sep.size();
  }
}

std::string trimmed(std::string s) {
  while (!s.empty() && s.front() == ' ') s.erase(0, 1);
  while (!s.empty() && s.back() == ' ') s.pop_back();
  return s;
}

// The README.md table: | file | outcome | what it is |
std::map<std::string, CorpusCase> readCorpusIndex(const std::string& dir) {
  std::map<std::string, CorpusCase> cases;
  std::ifstream in(dir + "/README.md");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("| ", 0) != 0) continue;
    std::vector<std::string> cells(1);  // split on '|' but not on an escaped "\|"
    for (size_t i = 0; i < line.size(); ++i) {
      if (line[i] == '\\' && i + 1 < line.size() && line[i + 1] == '|') {
        cells.back().push_back('|');
        ++i;
      } else if (line[i] == '|') {
        cells.emplace_back();
      } else {
        cells.back().push_back(line[i]);
      }
    }
    if (cells.size() < 4) continue;
    std::string file = trimmed(cells[1]);
    if (file.size() < 6 || file.substr(file.size() - 5) != ".http") continue;
    CorpusCase c{file, trimmed(cells[2]), {}};
    for (const auto& step : split(c.outcome, " then ")) c.steps.push_back(split(trimmed(step), "|"));
    cases[file] = c;
  }
  return cases;
}

bool allowed(const std::vector<std::string>& alternatives, int outcome) {
  return std::find(alternatives.begin(), alternatives.end(), outcomeName(outcome)) != alternatives.end();
}

std::string corpusDir() { return sourcePath("tests/data/http-bad"); }

std::vector<std::string> corpusFiles() {
  std::vector<std::string> files;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(corpusDir(), ec)) {
    if (entry.path().extension() == ".http") files.push_back(entry.path().filename().string());
  }
  std::sort(files.begin(), files.end());
  return files;
}


TEST(ProxyRobustness, CorpusIsIndexed) {
  auto files = corpusFiles();
  auto index = readCorpusIndex(corpusDir());
  EXPECT_GE(files.size(), 150u) << corpusDir();
  for (const auto& file : files) {
    EXPECT_TRUE(index.count(file)) << file << " has no line in README.md";
    EXPECT_FALSE(fileBytes(corpusDir() + "/" + file).empty()) << file;
  }
  for (const auto& [file, c] : index) {
    EXPECT_TRUE(std::filesystem::exists(corpusDir() + "/" + file)) << file << " is in README.md but missing";
    for (const auto& step : c.steps) {
      for (const auto& alternative : step) {
        EXPECT_TRUE(alternative == "close" || (alternative.size() == 3 && std::isdigit(alternative[0])))
            << file << ": bad outcome '" << c.outcome << "'";
      }
    }
  }
}

// One proxy and one recording upstream for the whole corpus; each file on its own connection.
class ProxyCorpus : public ::testing::TestWithParam<std::string> {
 protected:
  static void SetUpTestSuite() {
    fixture_ = new ProxyFixture();
    started_ = fixture_->start(&why_);
  }
  static void TearDownTestSuite() {
    // One line per vector, printed whole when any failed: what the client got and what
    // reached the upstream, side by side.
    if (failed_ > 0) {
      std::cout << "\n[corpus] " << failed_ << " of " << rows_.size() << " vectors failed:\n"
                << "result | file | expected | client got | upstream received\n";
      for (const auto& row : rows_) std::cout << row << "\n";
    }
    rows_.clear();
    failed_ = 0;
    delete fixture_;
    fixture_ = nullptr;
  }
  static ProxyFixture* fixture_;
  static bool started_;
  static std::string why_;
  static std::vector<std::string> rows_;
  static int failed_;
};
ProxyFixture* ProxyCorpus::fixture_ = nullptr;
bool ProxyCorpus::started_ = false;
std::string ProxyCorpus::why_;
std::vector<std::string> ProxyCorpus::rows_;
int ProxyCorpus::failed_ = 0;

TEST_P(ProxyCorpus, RejectedAndNothingReachesUpstream) {
  const std::string& file = GetParam();
  ASSERT_TRUE(started_) << why_;
  ProxyFixture& fx = *fixture_;
  auto index = readCorpusIndex(corpusDir());
  ASSERT_TRUE(index.count(file)) << file << " has no line in README.md";
  const CorpusCase& c = index[file];
  std::string bytes = fileBytes(corpusDir() + "/" + file);
  SCOPED_TRACE(file + " (expected " + c.outcome + "), sent: " + escapedBytes(bytes, 300));

  uint64_t before = fx.recordSize();
  Conn conn(fx.port());
  ASSERT_TRUE(conn.ok()) << fx.logs();
  conn.send(bytes);  // the proxy may close before it has read everything: that is fine

  std::vector<std::string> seen;
  int last = kClosed;
  bool stepsOk = true;
  for (size_t i = 0; i < c.steps.size() && stepsOk; ++i) {
    last = conn.readStatus();
    seen.push_back(outcomeName(last));
    if (!allowed(c.steps[i], last)) {
      ADD_FAILURE() << file << ": response " << i + 1 << " was " << outcomeName(last) << ", expected "
                    << c.outcome;
      stepsOk = false;
    }
  }
  // After an error answer the connection must end, with nothing more (no answer to a
  // request pipelined behind the bad one).
  if (stepsOk && last != kClosed) {
    std::string extra;
    EXPECT_TRUE(conn.closesWithoutMore(kAnswerBound, &extra))
        << file << ": connection not closed after the " << last << " answer"
        << (extra.empty() ? "" : ", then the proxy sent: " + escapedBytes(extra));
  }

  std::string gained = upstreamGained(fx, before);
  std::string got;
  for (const auto& step : seen) got += (got.empty() ? "" : " then ") + step;
  // "200 then 400|close": the leading good requests (GET/POST /before-bad) may reach
  // the upstream, exactly those; nothing of the bad tail may.
  int good = 0;
  while (good < static_cast<int>(c.steps.size()) - 1 && c.steps[static_cast<size_t>(good)] == std::vector<std::string>{"200"}) ++good;
  bool upstreamOk = good == 0 ? gained.empty()
                              : countOf(gained, " HTTP/1.") == good && countOf(gained, " /before-bad HTTP/1.1\r\n") == good;
  EXPECT_TRUE(upstreamOk) << file << ": the upstream must receive "
                          << (good == 0 ? std::string("nothing") : std::to_string(good) + " request(s) /before-bad")
                          << ", it received " << gained.size() << " bytes: " << escapedBytes(gained, 2000);
  bool ok = !::testing::Test::HasFailure();
  failed_ += ok ? 0 : 1;
  rows_.push_back(std::string(ok ? "ok  " : "FAIL") + " | " + file + " | " + c.outcome + " | " + got + " | " +
                  (gained.empty() ? std::string("nothing") : std::to_string(gained.size()) + " bytes: " + escapedBytes(gained, 120)));
}

INSTANTIATE_TEST_SUITE_P(HttpBad, ProxyCorpus, ::testing::ValuesIn(corpusFiles()),
                         [](const ::testing::TestParamInfo<std::string>& param) {
                           std::string name = param.param.substr(0, param.param.size() - 5);
                           for (char& ch : name) {
                             if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
                           }
                           return name;
                         });

// --- tricky but valid requests --------------------------------------------------------

std::string goodDir() { return sourcePath("tests/data/http-good"); }

// file -> number of requests, from the README.md table: | file | requests | what |
std::map<std::string, int> readGoodIndex() {
  std::map<std::string, int> out;
  std::ifstream in(goodDir() + "/README.md");
  std::string line;
  while (std::getline(in, line)) {
    auto cells = split(line, "|");
    if (cells.size() < 4 || line.rfind("| ", 0) != 0) continue;
    std::string file = trimmed(cells[1]);
    if (file.size() < 6 || file.substr(file.size() - 5) != ".http") continue;
    out[file] = std::atoi(trimmed(cells[2]).c_str());
  }
  return out;
}

std::vector<std::string> goodFiles() {
  std::vector<std::string> files;
  for (const auto& [file, count] : readGoodIndex()) files.push_back(file);
  return files;
}

class ProxyGoodCorpus : public ProxyCorpus {};

// Strictness must not break real clients: each valid vector is answered 200 (every
// pipelined request of it) and every request reaches the upstream.
TEST_P(ProxyGoodCorpus, AnsweredAndForwarded) {
  const std::string& file = GetParam();
  ASSERT_TRUE(started_) << why_;
  ProxyFixture& fx = *fixture_;
  int requests = readGoodIndex()[file];
  ASSERT_GT(requests, 0) << file;
  std::string bytes = fileBytes(goodDir() + "/" + file);
  SCOPED_TRACE(file + ", sent: " + escapedBytes(bytes, 300));
  uint64_t before = fx.recordSize();
  Conn conn(fx.port());
  ASSERT_TRUE(conn.ok()) << fx.logs();
  ASSERT_TRUE(conn.send(bytes));
  std::string got;
  for (int i = 0; i < requests; ++i) {
    int status = conn.readStatus();
    got += (got.empty() ? "" : " then ") + outcomeName(status);
    EXPECT_EQ(status, 200) << file << ": response " << i + 1;
  }
  std::string gained = upstreamGained(fx, before);
  EXPECT_EQ(countOf(gained, " HTTP/1.1\r\n"), requests) << file << ": " << escapedBytes(gained, 2000);
  bool ok = !::testing::Test::HasFailure();
  failed_ += ok ? 0 : 1;
  rows_.push_back(std::string(ok ? "ok  " : "FAIL") + " | " + file + " | " + std::to_string(requests) + " x 200 | " + got +
                  " | " + std::to_string(gained.size()) + " bytes");
}

INSTANTIATE_TEST_SUITE_P(HttpGood, ProxyGoodCorpus, ::testing::ValuesIn(goodFiles()),
                         [](const ::testing::TestParamInfo<std::string>& param) {
                           std::string name = param.param.substr(0, param.param.size() - 5);
                           for (char& ch : name) {
                             if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
                           }
                           return name;
                         });

// An h2c upgrade offer (what `curl --http2` sends to http:// URLs) is served as plain
// HTTP/1.1 and the offer never reaches the upstream: a 101 from it would open a tunnel
// the proxy no longer parses (h2c smuggling).
TEST(ProxyRobustness, H2cUpgradeOfferIsDropped) {
  ProxyFixture fx;
  std::string why;
  ASSERT_TRUE(fx.start(&why)) << why;
  uint64_t before = fx.recordSize();
  Conn conn(fx.port());
  ASSERT_TRUE(conn.ok());
  ASSERT_TRUE(conn.send("GET /h2c HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: h2c\r\n"
                        "HTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\nConnection: Upgrade, HTTP2-Settings\r\n\r\n"));
  ASSERT_EQ(conn.readStatus(kAnswerBound), 200) << fx.logs();
  std::string gained = upstreamGained(fx, before);
  EXPECT_NE(gained.find("GET /h2c HTTP/1.1\r\n"), std::string::npos) << escapedBytes(gained);
  EXPECT_EQ(gained.find("h2c\r\n"), std::string::npos) << escapedBytes(gained);
  EXPECT_EQ(gained.find("HTTP2-Settings"), std::string::npos) << escapedBytes(gained);
  EXPECT_EQ(gained.find("Upgrade"), std::string::npos) << escapedBytes(gained);
}

// The control: a good request does reach the record (so the corpus check can fail), and
// bodies in both framings pass through.
TEST(ProxyRobustness, GoodRequestsReachTheUpstream) {
  ProxyFixture fx;
  std::string why;
  ASSERT_TRUE(fx.start(&why)) << why;

  uint64_t before = fx.recordSize();
  Conn conn(fx.port());
  ASSERT_TRUE(conn.ok());
  ASSERT_TRUE(conn.send("GET /control HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"));
  http::Response response;
  ASSERT_EQ(conn.readStatus(kAnswerBound, &response), 200) << fx.logs();
  EXPECT_EQ(response.body, "ok");
  const std::string* upstream = response.header("X-Upstream");
  ASSERT_TRUE(upstream);
  EXPECT_EQ(*upstream, std::to_string(fx.upstreamPort()));
  std::string gained = upstreamGained(fx, before);
  EXPECT_NE(gained.find("GET /control HTTP/1.1\r\n"), std::string::npos) << escapedBytes(gained);

  // Same connection (keep-alive): a Content-Length body, then a chunked one, pipelined.
  before = fx.recordSize();
  ASSERT_TRUE(conn.send("POST /echo HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 5\r\n\r\nhello"
                        "POST /echo HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n"
                        "5\r\nworld\r\n3;ext=1\r\n!!!\r\n0\r\n\r\n"));
  ASSERT_EQ(conn.readStatus(kAnswerBound, &response), 200) << fx.logs();
  EXPECT_EQ(response.body, "hello");
  ASSERT_EQ(conn.readStatus(kAnswerBound, &response), 200) << fx.logs();
  EXPECT_EQ(response.body, "world!!!");
  gained = upstreamGained(fx, before);
  EXPECT_EQ(countOf(gained, "POST /echo HTTP/1.1\r\n"), 2) << escapedBytes(gained, 2000);
}

// --- slowloris -----------------------------------------------------------------------

TEST(ProxyRobustness, SlowlorisDoesNotStarveNormalClients) {
  ProxyFixture fx({"--workers", "2"});
  std::string why;
  ASSERT_TRUE(fx.start(&why)) << why;
  const uint64_t recordBefore = fx.recordSize();

  constexpr int kSlow = 300;
  constexpr int kNormal = 200;
  constexpr auto kWindow = 6s;
  constexpr auto kTick = 500ms;
  const std::string slowHead = "GET /slow HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + std::string(200, 'a');

  struct Slow {
    int fd = -1;
    size_t sent = 0;
    Clock::time_point firstByte;
    Clock::time_point ended;
    bool done = false;
    bool prematureReadError = false;
    std::string got;
  };
  std::vector<Slow> slow(kSlow);
  const auto start = Clock::now();
  for (auto& s : slow) {
    s.fd = connectLoopback(fx.port());
    ASSERT_GE(s.fd, 0) << "connect " << &s - slow.data() << fx.logs();
    ::fcntl(s.fd, F_SETFL, ::fcntl(s.fd, F_GETFL) | O_NONBLOCK);
    s.firstByte = Clock::now();
    ASSERT_EQ(::send(s.fd, slowHead.data(), 1, MSG_NOSIGNAL), 1);
    s.sent = 1;
  }
  const auto connected = since(start);

  // Normal clients, each on a fresh connection, while the slow ones trickle.
  std::vector<int> statuses(kNormal, kTimeout);
  std::atomic<long> normalMillis{-1};
  std::thread normal([&] {
    auto begin = Clock::now();
    for (int i = 0; i < kNormal; ++i) {
      Conn c(fx.port());
      if (!c.ok() || !c.send("GET /normal HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")) {
        statuses[static_cast<size_t>(i)] = kClosed;
        continue;
      }
      statuses[static_cast<size_t>(i)] = c.readStatus(kAnswerBound);
    }
    normalMillis = since(begin).count();
  });

  std::vector<pollfd> fds;
  auto nextTick = Clock::now() + kTick;
  while (Clock::now() - start < kWindow) {
    fds.clear();
    std::vector<size_t> which;
    for (size_t i = 0; i < slow.size(); ++i) {
      if (slow[i].done) continue;
      fds.push_back({slow[i].fd, POLLIN, 0});
      which.push_back(i);
    }
    auto wait = std::chrono::duration_cast<milliseconds>(std::min(nextTick, start + kWindow) - Clock::now());
    ::poll(fds.data(), fds.size(), static_cast<int>(std::max<long>(0, wait.count())));
    for (size_t k = 0; k < fds.size(); ++k) {
      if (!(fds[k].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      Slow& s = slow[which[k]];
      char buf[4096];
      for (;;) {
        ssize_t n = ::recv(s.fd, buf, sizeof buf, 0);
        if (n > 0) {
          s.got.append(buf, static_cast<size_t>(n));
          continue;
        }
        if (n < 0 && errno == EAGAIN) break;
        s.done = true;  // EOF or reset
        s.ended = Clock::now();
        break;
      }
    }
    if (Clock::now() >= nextTick) {
      nextTick += kTick;
      for (auto& s : slow) {
        if (s.done || s.sent >= slowHead.size()) continue;
        if (::send(s.fd, slowHead.data() + s.sent, 1, MSG_NOSIGNAL) == 1) ++s.sent;
      }
    }
  }
  normal.join();
  for (auto& s : slow) ::close(s.fd);

  // 1. Normal clients were all served, within the window.
  int ok = static_cast<int>(std::count(statuses.begin(), statuses.end(), 200));
  EXPECT_EQ(ok, kNormal) << "normal requests answered 200; first other outcome: "
                         << [&] {
                              for (int s : statuses)
                                if (s != 200) return outcomeName(s);
                              return std::string("-");
                            }()
                         << fx.logs();
  EXPECT_GE(normalMillis.load(), 0) << "normal clients did not finish";
  EXPECT_LT(normalMillis.load(), std::chrono::duration_cast<milliseconds>(kWindow).count())
      << "normal requests took longer than the slowloris window";

  // 2. Every slow connection was answered 408 or closed, after the header timeout and not
  //    long after it (the timeout runs from the first byte; trickling must not extend it).
  int answered408 = 0, closedSilently = 0, stillOpen = 0, early = 0, late = 0, otherAnswer = 0;
  std::string example;
  for (const auto& s : slow) {
    if (!s.done) {
      ++stillOpen;
      continue;
    }
    auto took = std::chrono::duration_cast<milliseconds>(s.ended - s.firstByte);
    if (took < kHeaderTimeout - 100ms) ++early;
    if (took > kHeaderTimeout + 2500ms) ++late;
    if (s.got.empty()) {
      ++closedSilently;
    } else if (s.got.rfind("HTTP/1.1 408 ", 0) == 0) {
      ++answered408;
    } else {
      ++otherAnswer;
      if (example.empty()) example = escapedBytes(s.got, 200);
    }
  }
  EXPECT_EQ(stillOpen, 0) << "slow connections still open " << kWindow.count() << " s after their first byte"
                          << " (header timeout " << kHeaderTimeout.count() << " ms)";
  EXPECT_EQ(early, 0) << "slow connections ended before the header timeout";
  EXPECT_EQ(late, 0) << "slow connections ended more than 2.5 s after the header timeout";
  EXPECT_EQ(otherAnswer, 0) << "slow connections answered neither 408 nor closed: " << example;
  std::cout << "slowloris: " << kSlow << " slow connections in " << connected.count() << " ms; " << answered408
            << " answered 408, " << closedSilently << " closed; " << ok << "/" << kNormal << " normal requests in "
            << normalMillis.load() << " ms\n";

  // 3. No slow head reached the upstream.
  std::string gained = fx.recordSince(recordBefore);
  EXPECT_EQ(countOf(gained, "GET /slow "), 0);
  EXPECT_EQ(countOf(gained, "GET /normal HTTP/1.1\r\n"), kNormal);
}

// --- header timeout ------------------------------------------------------------------

TEST(ProxyRobustness, HeaderTimeoutAnswers408) {
  ProxyFixture fx;
  std::string why;
  ASSERT_TRUE(fx.start(&why)) << why;
  uint64_t before = fx.recordSize();

  Conn partial(fx.port());
  Conn idle(fx.port());  // an idle connection is not a slow head: no 408 for it
  ASSERT_TRUE(partial.ok() && idle.ok());
  auto start = Clock::now();
  ASSERT_TRUE(partial.send("GET /partial HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Part: 1\r\n"));
  http::Response response;
  int status = partial.readStatus(kHeaderTimeout + 2s, &response);
  auto took = since(start);
  EXPECT_EQ(status, 408) << "after " << took.count() << " ms" << fx.logs();
  EXPECT_GE(took, kHeaderTimeout - 100ms);
  EXPECT_LE(took, kHeaderTimeout + 1500ms);
  std::string extra;
  if (status == 408) {
    EXPECT_TRUE(partial.closesWithoutMore(kAnswerBound, &extra)) << escapedBytes(extra);
  }

  // The idle connection (idle timeout 60 s) still serves a request now.
  ASSERT_TRUE(idle.send("GET /after-idle HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"));
  EXPECT_EQ(idle.readStatus(), 200) << "an idle keep-alive connection must not get the header timeout"
                                    << fx.logs();

  std::string gained = upstreamGained(fx, before);
  EXPECT_EQ(countOf(gained, "/partial"), 0) << escapedBytes(gained, 2000);
  EXPECT_EQ(countOf(gained, "GET /after-idle HTTP/1.1\r\n"), 1) << escapedBytes(gained, 2000);
}

// --- oversized heads -----------------------------------------------------------------

TEST(ProxyRobustness, OversizedHeadAnswers431) {
  ProxyFixture fx;
  std::string why;
  ASSERT_TRUE(fx.start(&why)) << why;

  struct Case {
    std::string name;
    std::string head;
    size_t piece;  // sent in pieces of this size
  };
  std::string manyHeaders = "GET /many HTTP/1.1\r\nHost: 127.0.0.1\r\n";
  for (int i = 0; manyHeaders.size() < 100 * 1024; ++i) {
    manyHeaders += "X-H" + std::to_string(i) + ": " + std::string(40, 'v') + "\r\n";
  }
  manyHeaders += "\r\n";
  std::vector<Case> cases = {
      {"one 100 KiB header in one write",
       "GET /big HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: " + std::string(100 * 1024, 'b') + "\r\n\r\n", 1 << 20},
      {"2000+ small headers in 4 KiB writes", manyHeaders, 4096},
      {"a 100 KiB cookie in 1 KiB writes",
       "GET /cookie HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: c=" + std::string(100 * 1024, 'c') + "\r\n\r\n", 1024},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    uint64_t before = fx.recordSize();
    Conn conn(fx.port());
    ASSERT_TRUE(conn.ok());
    for (size_t at = 0; at < c.head.size(); at += c.piece) {
      if (!conn.send(std::string_view(c.head).substr(at, c.piece))) break;
    }
    EXPECT_EQ(outcomeName(conn.readStatus()), "431") << fx.logs();
    std::string gained = upstreamGained(fx, before);
    EXPECT_TRUE(gained.empty()) << gained.size() << " bytes reached the upstream: " << escapedBytes(gained);
  }

  // Just under the limit is served and forwarded whole.
  uint64_t before = fx.recordSize();
  Conn conn(fx.port());
  ASSERT_TRUE(conn.ok());
  ASSERT_TRUE(conn.send("GET /near-limit HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: " + std::string(60 * 1024, 'n') +
                        "\r\n\r\n"));
  EXPECT_EQ(conn.readStatus(), 200) << fx.logs();
  std::string gained = upstreamGained(fx, before);
  EXPECT_NE(gained.find("X-Big: " + std::string(60 * 1024, 'n') + "\r\n"), std::string::npos);
}

}  // namespace
}  // namespace rollway::e2e
