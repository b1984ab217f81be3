// demo-app end to end: the real binary on 127.0.0.1, spoken to over raw sockets and
// parsed with rollway::http::ResponseParser. Every wait is bounded; every process is
// killed by the harness.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <memory>
#include <optional>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "harness.h"
#include "rollway/http/response_parser.h"

namespace rollway::e2e {
namespace {

using Clock = std::chrono::steady_clock;
using http::Response;

std::chrono::milliseconds since(Clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
}

// A port that was free a moment ago.
int freePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  int port = -1;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  ::close(fd);
  return port;
}

// One client connection; reads are bounded by poll().
class Client {
 public:
  // nullptr when the connection is refused.
  static std::unique_ptr<Client> connect(int port) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(static_cast<uint16_t>(port));
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      ::close(fd);
      return nullptr;
    }
    return std::unique_ptr<Client>(new Client(fd));
  }
  ~Client() { ::close(fd_); }
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  bool send(const std::string& bytes) {
    size_t sent = 0;
    while (sent < bytes.size()) {
      ssize_t n = ::send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) return false;
      sent += static_cast<size_t>(n);
    }
    return true;
  }
  bool sendRequest(const std::string& method, const std::string& target, const std::string& body = "",
                   const std::string& extraHeaders = "") {
    std::string request = method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" + extraHeaders;
    if (!body.empty() || method == "POST") request += "Content-Length: " + std::to_string(body.size()) + "\r\n";
    return send(request + "\r\n" + body);
  }

  // The next response; nullopt on timeout, EOF before a response, or a parse error.
  std::optional<Response> read(std::chrono::milliseconds timeout = 3s, const std::string& method = "GET") {
    parser_.setRequestMethod(method);
    auto deadline = Clock::now() + timeout;
    for (;;) {
      if (!buffer_.empty()) {
        auto r = parser_.feed(buffer_);
        if (r.status == http::ParseStatus::kComplete) {
          buffer_.erase(0, r.consumed);
          return parser_.take();
        }
        if (r.status == http::ParseStatus::kError) return std::nullopt;
        buffer_.clear();
      }
      int n = readSome(deadline);
      if (n == 0) {
        if (parser_.feedEof() == http::ParseStatus::kComplete) return parser_.take();
        return std::nullopt;
      }
      if (n < 0) return std::nullopt;
    }
  }

  // True when the server closes the connection within `timeout` (EOF or reset).
  bool closedByPeer(std::chrono::milliseconds timeout = 3s) {
    auto deadline = Clock::now() + timeout;
    for (;;) {
      int n = readSome(deadline);
      if (n == 0) return true;
      if (n == -2) return true;  // reset
      if (n < 0) return false;   // timeout
      buffer_.clear();
    }
  }

 private:
  explicit Client(int fd) : fd_(fd) {}

  // >0 bytes appended, 0 EOF, -1 timeout, -2 error.
  int readSome(Clock::time_point deadline) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) return -1;
    pollfd p{fd_, POLLIN, 0};
    int ready = ::poll(&p, 1, static_cast<int>(left));
    if (ready == 0) return -1;
    if (ready < 0) return errno == EINTR ? readSome(deadline) : -2;
    char chunk[16384];
    ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
    if (n < 0) return -2;
    buffer_.append(chunk, static_cast<size_t>(n));
    return static_cast<int>(n);
  }

  int fd_;
  std::string buffer_;
  http::ResponseParser parser_;
};

// One request on a fresh connection.
std::optional<Response> request(int port, const std::string& method, const std::string& target,
                                const std::string& body = "", std::chrono::milliseconds timeout = 3s) {
  auto client = Client::connect(port);
  if (!client || !client->sendRequest(method, target, body)) return std::nullopt;
  return client->read(timeout, method);
}
std::optional<Response> get(int port, const std::string& target, std::chrono::milliseconds timeout = 3s) {
  return request(port, "GET", target, "", timeout);
}
int statusOf(const std::optional<Response>& response) { return response ? response->status : -1; }
std::string headerOf(const std::optional<Response>& response, const std::string& name) {
  const std::string* value = response ? response->header(name) : nullptr;
  return value ? *value : "";
}

// A demo-app process with its log in a temporary directory.
class DemoApp {
 public:
  explicit DemoApp(std::vector<std::string> flags, const std::map<std::string, std::string>& env = {}) {
    std::vector<std::string> argv = {binary("demo-app")};
    bool hasPort = false;
    for (const auto& flag : flags) hasPort = hasPort || flag == "--port";
    if (!hasPort) argv.insert(argv.end(), {"--port", "0"});
    argv.insert(argv.end(), flags.begin(), flags.end());
    process_ = std::make_unique<Process>(argv, tmp_ / "demo-app.log", env);
  }

  // The port printed on stdout ("listening on 127.0.0.1:PORT"); -1 if it never came.
  int waitListening(std::chrono::milliseconds timeout = 10s) {
    static const std::regex kListening("listening on 127\\.0\\.0\\.1:([0-9]+)\n");
    std::smatch match;
    waitFor(
        [&] {
          std::string text = log();
          if (!std::regex_search(text, match, kListening)) return false;
          port_ = std::stoi(match[1].str());
          return true;
        },
        timeout);
    return port_;
  }

  std::string log() const { return process_->log(); }
  Process& process() { return *process_; }
  int port() const { return port_; }

 private:
  TempDir tmp_;
  std::unique_ptr<Process> process_;
  int port_ = -1;
};

TEST(DemoApp, HelpAndBadFlags) {
  auto help = run({binary("demo-app"), "--help"}, 10s);
  EXPECT_EQ(help.exitCode, 0);
  for (const char* flag : {"--port", "--host", "--version", "--instance", "--startup-delay", "--ready-delay",
                           "--fail-ready-after", "--error-rate", "--seed", "--latency", "--crash-after",
                           "--hang-healthz-after", "--ignore-sigterm", "--shutdown-delay", "--drain-timeout"}) {
    EXPECT_NE(help.out.find(flag), std::string::npos) << flag;
  }
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"--bogus"}, {}, {"--port"}, {"--port", "70000"}, {"--port", "0", "--latency", "2x"},
        {"--port", "0", "--error-rate", "1.5"}, {"--port=0", "--ready-delay=-1s"}}) {
    std::vector<std::string> argv = {binary("demo-app")};
    argv.insert(argv.end(), args.begin(), args.end());
    auto result = run(argv, 10s);
    EXPECT_EQ(result.exitCode, 2) << result.err;
    EXPECT_NE(result.err.find("demo-app:"), std::string::npos) << result.err;
  }
}

TEST(DemoApp, VersionInstanceAndBody) {
  DemoApp app({"--version", "v2", "--instance", "web-1"});
  int port = app.waitListening();
  ASSERT_GT(port, 0) << app.log();

  auto client = Client::connect(port);
  ASSERT_TRUE(client);
  ASSERT_TRUE(client->sendRequest("GET", "/hello?x=1", "", "X-Test: yes\r\n"));
  auto response = client->read();
  ASSERT_TRUE(response) << app.log();
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(headerOf(response, "X-Version"), "v2");
  EXPECT_EQ(headerOf(response, "X-Instance"), "web-1");
  EXPECT_NE(response->body.find("version=v2 instance=web-1 port=" + std::to_string(port) +
                                " method=GET path=/hello"),
            std::string::npos)
      << response->body;
  EXPECT_NE(response->body.find("\nX-Test: yes\n"), std::string::npos) << response->body;

  auto healthz = get(port, "/healthz");
  EXPECT_EQ(statusOf(healthz), 200);
  EXPECT_EQ(healthz->body, "ok\n");
  EXPECT_EQ(headerOf(healthz, "X-Version"), "v2");
  auto ready = get(port, "/ready");
  EXPECT_EQ(statusOf(ready), 200);
  EXPECT_EQ(ready->body, "ready\n");

  auto echo = request(port, "POST", "/echo", "some body\nbytes");
  EXPECT_EQ(statusOf(echo), 200);
  EXPECT_EQ(echo->body, "some body\nbytes");
  EXPECT_EQ(statusOf(get(port, "/status?code=503")), 503);
  EXPECT_EQ(statusOf(get(port, "/status?code=abc")), 400);
  auto head = request(port, "HEAD", "/");
  EXPECT_EQ(statusOf(head), 200);
  EXPECT_TRUE(head && head->body.empty());
}

TEST(DemoApp, InstanceFromEnvironment) {
  DemoApp app({}, {{"ROLLWAY_INSTANCE", "web@rev2#1"}});
  int port = app.waitListening();
  ASSERT_GT(port, 0) << app.log();
  auto response = get(port, "/");
  EXPECT_EQ(headerOf(response, "X-Instance"), "web@rev2#1");
  EXPECT_EQ(headerOf(response, "X-Version"), "v1");
}

TEST(DemoApp, StartupDelayRefusesThenAccepts) {
  int port = freePort();
  ASSERT_GT(port, 0);
  auto start = Clock::now();
  DemoApp app({"--port", std::to_string(port), "--startup-delay", "800ms"});
  EXPECT_FALSE(Client::connect(port)) << "accepted during the startup delay";
  ASSERT_TRUE(waitFor([&] { return Client::connect(port) != nullptr; }, 10s)) << app.log();
  EXPECT_GE(since(start), 700ms);
  EXPECT_EQ(statusOf(get(port, "/healthz")), 200);
}

TEST(DemoApp, ReadyDelayThenFailReadyAfter) {
  DemoApp app({"--ready-delay", "600ms", "--fail-ready-after", "1400ms"});
  int port = app.waitListening();
  ASSERT_GT(port, 0) << app.log();
  auto notReady = get(port, "/ready");
  EXPECT_EQ(statusOf(notReady), 503);
  EXPECT_EQ(notReady->body, "not ready\n");
  EXPECT_EQ(statusOf(get(port, "/healthz")), 200);
  ASSERT_TRUE(waitFor([&] { return statusOf(get(port, "/ready")) == 200; }, 5s)) << app.log();
  ASSERT_TRUE(waitFor([&] { return statusOf(get(port, "/ready")) == 503; }, 5s)) << app.log();
  EXPECT_EQ(statusOf(get(port, "/healthz")), 200);
}

TEST(DemoApp, AdminReadyFlips) {
  DemoApp app({});
  int port = app.waitListening();
  ASSERT_GT(port, 0) << app.log();
  EXPECT_EQ(statusOf(get(port, "/ready")), 200);
  EXPECT_EQ(statusOf(request(port, "POST", "/admin/ready", "off")), 200);
  EXPECT_EQ(statusOf(get(port, "/ready")), 503);
  EXPECT_EQ(statusOf(request(port, "POST", "/admin/ready", "on\n")), 200);
  EXPECT_EQ(statusOf(get(port, "/ready")), 200);
  EXPECT_EQ(statusOf(request(port, "POST", "/admin/ready", "off")), 200);
  EXPECT_EQ(statusOf(request(port, "POST", "/admin/ready", "auto")), 200);
  EXPECT_EQ(statusOf(get(port, "/ready")), 200);
  EXPECT_EQ(statusOf(request(port, "POST", "/admin/ready", "maybe")), 400);
  EXPECT_EQ(statusOf(get(port, "/admin/ready")), 405);
}

std::vector<int> statuses(int port, int count) {
  std::vector<int> out;
  auto client = Client::connect(port);
  if (!client) return out;
  for (int i = 0; i < count; ++i) {
    if (!client->sendRequest("GET", "/")) break;
    out.push_back(statusOf(client->read()));
  }
  return out;
}

TEST(DemoApp, ErrorRate) {
  DemoApp always({"--error-rate", "1.0"});
  DemoApp never({"--error-rate", "0"});
  DemoApp seededA({"--error-rate", "0.5", "--seed", "42"});
  DemoApp seededB({"--error-rate", "0.5", "--seed", "42"});
  for (auto* app : {&always, &never, &seededA, &seededB}) ASSERT_GT(app->waitListening(), 0) << app->log();

  EXPECT_EQ(statuses(always.port(), 20), std::vector<int>(20, 500));
  EXPECT_EQ(statuses(never.port(), 20), std::vector<int>(20, 200));
  auto a = statuses(seededA.port(), 40);
  auto b = statuses(seededB.port(), 40);
  EXPECT_EQ(a, b) << "the same seed must give the same sequence";
  EXPECT_GT(std::count(a.begin(), a.end(), 500), 0);
  EXPECT_GT(std::count(a.begin(), a.end(), 200), 0);
  // Other endpoints are not affected.
  EXPECT_EQ(statusOf(get(always.port(), "/healthz")), 200);
}

TEST(DemoApp, LatencyDelaysRootOnly) {
  DemoApp app({"--latency", "400ms"});
  int port = app.waitListening();
  ASSERT_GT(port, 0) << app.log();
  auto start = Clock::now();
  EXPECT_EQ(statusOf(get(port, "/")), 200);
  EXPECT_GE(since(start), 400ms);
  start = Clock::now();
  EXPECT_EQ(statusOf(get(port, "/healthz")), 200);
  EXPECT_LT(since(start), 400ms);
}

TEST(DemoApp, CrashAfterExits3) {
  DemoApp app({"--crash-after", "400ms"});
  ASSERT_GT(app.waitListening(), 0) << app.log();
  EXPECT_EQ(app.process().wait(5s), 3) << app.log();
}

TEST(DemoApp, AdminExitUsesBodyStatus) {
  DemoApp app({});
  int port = app.waitListening();
  ASSERT_GT(port, 0) << app.log();
  EXPECT_EQ(statusOf(request(port, "POST", "/admin/exit", "x")), 400);
  EXPECT_EQ(statusOf(request(port, "POST", "/admin/exit", "7")), 200);
  EXPECT_EQ(app.process().wait(5s), 7) << app.log();
}

TEST(DemoApp, GracefulSigtermFinishesInFlightRequest) {
  DemoApp app({});
  int port = app.waitListening();
  ASSERT_GT(port, 0) << app.log();

  auto idle = Client::connect(port);  // a keep-alive connection with nothing in flight
  ASSERT_TRUE(idle);
  ASSERT_TRUE(idle->sendRequest("GET", "/"));
  ASSERT_EQ(statusOf(idle->read()), 200);

  auto busy = Client::connect(port);
  ASSERT_TRUE(busy);
  ASSERT_TRUE(busy->sendRequest("GET", "/sleep?ms=500"));
  std::this_thread::sleep_for(100ms);  // the request is now in flight
  auto start = Clock::now();
  app.process().signal(SIGTERM);

  EXPECT_TRUE(idle->closedByPeer(2s)) << "idle keep-alive connection not closed";
  EXPECT_TRUE(waitFor([&] { return Client::connect(port) == nullptr; }, 2s)) << "listener still open";
  auto response = busy->read(5s);
  ASSERT_TRUE(response) << app.log();
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(headerOf(response, "Connection"), "close");
  EXPECT_GE(since(start), 300ms);
  EXPECT_FALSE(Client::connect(port)) << "accepted a connection while draining";
  EXPECT_EQ(app.process().wait(5s), 0) << app.log();
  std::string log = app.log();
  EXPECT_NE(log.find("received SIGTERM"), std::string::npos) << log;
  EXPECT_NE(log.find("draining"), std::string::npos) << log;
  EXPECT_NE(log.find("served 2 requests"), std::string::npos) << log;
}

TEST(DemoApp, ShutdownDelayKeepsServing) {
  DemoApp app({"--shutdown-delay", "500ms"});
  int port = app.waitListening();
  ASSERT_GT(port, 0) << app.log();
  auto start = Clock::now();
  app.process().signal(SIGTERM);
  std::this_thread::sleep_for(100ms);
  auto during = get(port, "/");
  EXPECT_EQ(statusOf(during), 200) << "must keep serving during --shutdown-delay";
  EXPECT_EQ(headerOf(during, "Connection"), "");
  EXPECT_EQ(app.process().wait(5s), 0) << app.log();
  EXPECT_GE(since(start), 450ms);
}

TEST(DemoApp, DrainTimeoutExits1) {
  DemoApp app({"--drain-timeout", "300ms"});
  int port = app.waitListening();
  ASSERT_GT(port, 0) << app.log();
  auto busy = Client::connect(port);
  ASSERT_TRUE(busy);
  ASSERT_TRUE(busy->sendRequest("GET", "/sleep?ms=10000"));
  std::this_thread::sleep_for(100ms);
  app.process().signal(SIGTERM);
  EXPECT_EQ(app.process().wait(5s), 1) << app.log();
}

TEST(DemoApp, IgnoreSigtermNeedsSigkill) {
  DemoApp app({"--ignore-sigterm"});
  int port = app.waitListening();
  ASSERT_GT(port, 0) << app.log();
  app.process().signal(SIGTERM);
  std::this_thread::sleep_for(400ms);
  EXPECT_TRUE(app.process().running());
  EXPECT_EQ(statusOf(get(port, "/")), 200);
  app.process().signal(SIGKILL);
  EXPECT_EQ(app.process().wait(5s), 128 + SIGKILL);
}

TEST(DemoApp, HangingHealthzWhileRootAnswers) {
  DemoApp app({"--hang-healthz-after", "300ms"});
  int port = app.waitListening();
  ASSERT_GT(port, 0) << app.log();
  ASSERT_TRUE(waitFor([&] { return !get(port, "/healthz", 300ms).has_value(); }, 5s)) << app.log();
  EXPECT_FALSE(get(port, "/healthz", 500ms)) << "healthz answered while hung";
  EXPECT_EQ(statusOf(get(port, "/")), 200);
  EXPECT_EQ(statusOf(get(port, "/ready")), 200);
  EXPECT_EQ(statusOf(request(port, "POST", "/admin/healthz", "ok")), 200);
  EXPECT_EQ(statusOf(get(port, "/healthz")), 200);
  EXPECT_EQ(statusOf(request(port, "POST", "/admin/healthz", "hang")), 200);
  EXPECT_FALSE(get(port, "/healthz", 300ms));
}

TEST(DemoApp, KeepAlivePipeliningAndErrors) {
  DemoApp app({});
  int port = app.waitListening();
  ASSERT_GT(port, 0) << app.log();

  // Two requests, one after the other, on one connection.
  auto client = Client::connect(port);
  ASSERT_TRUE(client);
  ASSERT_TRUE(client->sendRequest("GET", "/first"));
  auto first = client->read();
  ASSERT_TRUE(first);
  EXPECT_NE(first->body.find("path=/first"), std::string::npos);
  ASSERT_TRUE(client->sendRequest("GET", "/second"));
  auto second = client->read();
  ASSERT_TRUE(second) << "keep-alive connection was closed";
  EXPECT_NE(second->body.find("path=/second"), std::string::npos);

  // Three pipelined in one write: answered in order, even when the first is slow.
  std::string pipelined;
  for (const char* target : {"/sleep?ms=100", "/b", "/c"}) {
    pipelined += std::string("GET ") + target + " HTTP/1.1\r\nHost: x\r\n\r\n";
  }
  ASSERT_TRUE(client->send(pipelined));
  auto r1 = client->read();
  auto r2 = client->read();
  auto r3 = client->read();
  ASSERT_TRUE(r1 && r2 && r3);
  EXPECT_EQ(r1->body, "slept 100 ms\n");
  EXPECT_NE(r2->body.find("path=/b"), std::string::npos);
  EXPECT_NE(r3->body.find("path=/c"), std::string::npos);

  // HTTP/1.0 closes after the response.
  auto old = Client::connect(port);
  ASSERT_TRUE(old);
  ASSERT_TRUE(old->send("GET /old HTTP/1.0\r\n\r\n"));
  auto oldResponse = old->read();
  EXPECT_EQ(statusOf(oldResponse), 200);
  EXPECT_TRUE(old->closedByPeer());

  // Malformed: 400 and close.
  auto bad = Client::connect(port);
  ASSERT_TRUE(bad);
  ASSERT_TRUE(bad->send("NOT HTTP AT ALL\r\n\r\n"));
  auto badResponse = bad->read();
  EXPECT_EQ(statusOf(badResponse), 400);
  EXPECT_EQ(headerOf(badResponse, "Connection"), "close");
  EXPECT_TRUE(bad->closedByPeer());
}

TEST(DemoApp, HundredsOfConcurrentConnections) {
  DemoApp app({"--latency", "50ms"});
  int port = app.waitListening();
  ASSERT_GT(port, 0) << app.log();
  constexpr int kConnections = 300;
  std::vector<std::unique_ptr<Client>> clients;
  for (int i = 0; i < kConnections; ++i) {
    clients.push_back(Client::connect(port));
    ASSERT_TRUE(clients.back()) << i;
    ASSERT_TRUE(clients.back()->sendRequest("GET", "/c" + std::to_string(i)));
  }
  // All delayed by timers at the same time: far less than 300 x 50 ms.
  auto start = Clock::now();
  for (int i = 0; i < kConnections; ++i) {
    auto response = clients[static_cast<size_t>(i)]->read(5s);
    ASSERT_EQ(statusOf(response), 200) << i;
    EXPECT_NE(response->body.find("path=/c" + std::to_string(i) + "\n"), std::string::npos);
  }
  EXPECT_LT(since(start), 3s);
}

}  // namespace
}  // namespace rollway::e2e
