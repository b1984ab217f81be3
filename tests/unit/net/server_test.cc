#include "rollway/net/server.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <thread>
#include <vector>

#include "unit/net/raw_connection.h"
#include "rollway/net/client.h"
#include "rollway/net/json_reply.h"

namespace rollway::net {
namespace {

using namespace std::chrono_literals;
using test::RawConnection;
using json = nlohmann::json;

class ServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/rollway-api-test-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern), nullptr);
    dir_ = pattern;
    socketPath_ = dir_ + "/run/rollway.sock";
  }
  void TearDown() override {
    server_.reset();
    for (auto& t : threads_) t.join();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  // Echoes the request as JSON; /slow answers from another thread 50 ms later;
  // /throw throws; /drop never answers and drops the Responder.
  Handler echoHandler() {
    return [this](http::Request request, Responder respond) {
      requests_.fetch_add(1);
      json body = {{"method", request.method},
                   {"path", std::string(request.path())},
                   {"body", request.body},
                   {"name", request.queryParam("name")}};
      if (request.path() == "/throw") throw std::runtime_error("boom");
      if (request.path() == "/drop") return;
      if (request.path() == "/hold") {
        std::lock_guard lock(mutex_);
        held_.push_back(std::move(respond));
        return;
      }
      if (request.path() == "/slow") {
        std::lock_guard lock(mutex_);
        threads_.emplace_back([respond = std::move(respond), body] {
          std::this_thread::sleep_for(50ms);
          respond(jsonReply(200, body));
        });
        return;
      }
      respond(jsonReply(200, body));
    };
  }

  ServerOptions options() {
    ServerOptions o;
    o.unixPath = socketPath_;
    return o;
  }

  void startServer(ServerOptions o) {
    auto started = Server::start(std::move(o), echoHandler());
    ASSERT_TRUE(started) << started.error().str();
    server_ = std::move(*started);
  }

  Client unixClient(std::string token = "") {
    return Client(Endpoint{Endpoint::Kind::kUnix, socketPath_, "", 0}, std::move(token));
  }
  Client tcpClient(std::string token) {
    return Client(Endpoint{Endpoint::Kind::kTcp, "", "127.0.0.1", server_->tcpPort()}, std::move(token));
  }

  std::string dir_;
  std::string socketPath_;
  std::unique_ptr<Server> server_;
  std::atomic<int> requests_{0};
  std::mutex mutex_;
  std::vector<std::thread> threads_;
  std::vector<Responder> held_;
};

TEST_F(ServerTest, RequestResponseOverUnixSocket) {
  startServer(options());
  auto reply = unixClient().call("POST", "/v1/echo?name=a%20b", "{\"x\":1}", "application/json", 5s);
  ASSERT_TRUE(reply) << reply.error().str();
  EXPECT_EQ(reply->status, 200);
  auto body = json::parse(reply->body);
  EXPECT_EQ(body["method"], "POST");
  EXPECT_EQ(body["path"], "/v1/echo");
  EXPECT_EQ(body["body"], "{\"x\":1}");
  EXPECT_EQ(body["name"], "a b");
}

TEST_F(ServerTest, SocketFileIsPrivate) {
  ::umask(0);  // the mode must not depend on the umask
  startServer(options());
  ::umask(022);
  struct stat st {};
  ASSERT_EQ(::stat(socketPath_.c_str(), &st), 0);
  EXPECT_TRUE(S_ISSOCK(st.st_mode));
  EXPECT_EQ(st.st_mode & 07777, 0600u);
  struct stat dirSt {};
  ASSERT_EQ(::stat((dir_ + "/run").c_str(), &dirSt), 0);
  EXPECT_EQ(dirSt.st_mode & 07777, 0700u);
}

TEST_F(ServerTest, KeepAliveReusesTheConnection) {
  startServer(options());
  RawConnection c = RawConnection::unixSocket(socketPath_);
  ASSERT_TRUE(c.connected());
  ASSERT_TRUE(c.send("GET /one HTTP/1.1\r\nHost: x\r\n\r\n"));
  auto first = c.read(1);
  ASSERT_EQ(first.size(), 1u);
  EXPECT_TRUE(first[0].keepAlive);
  EXPECT_EQ(json::parse(first[0].body)["path"], "/one");
  ASSERT_TRUE(c.send("GET /two HTTP/1.1\r\nHost: x\r\n\r\n"));
  auto second = c.read(1);
  ASSERT_EQ(second.size(), 1u);
  EXPECT_EQ(json::parse(second[0].body)["path"], "/two");
  // HEAD on a kept-alive connection sends no body bytes that would corrupt the next answer.
  ASSERT_TRUE(c.send("HEAD /three HTTP/1.1\r\nHost: x\r\n\r\nGET /four HTTP/1.1\r\nHost: x\r\n\r\n"));
  c.expectHeadResponse();
  auto head = c.read(1);
  ASSERT_EQ(head.size(), 1u);
  EXPECT_EQ(head[0].status, 200);
  EXPECT_NE(*head[0].header("Content-Length"), "0");
  auto four = c.read(1);
  ASSERT_EQ(four.size(), 1u);
  EXPECT_EQ(json::parse(four[0].body)["path"], "/four");
}

TEST_F(ServerTest, PipelinedRequestsAreAnsweredInOrder) {
  startServer(options());
  RawConnection c = RawConnection::unixSocket(socketPath_);
  ASSERT_TRUE(c.send(
      "GET /slow HTTP/1.1\r\nHost: x\r\n\r\n"
      "POST /fast HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nhi"
      "GET /third HTTP/1.1\r\nHost: x\r\n\r\n"));
  auto responses = c.read(3);
  ASSERT_EQ(responses.size(), 3u);
  EXPECT_EQ(json::parse(responses[0].body)["path"], "/slow");
  EXPECT_EQ(json::parse(responses[1].body)["path"], "/fast");
  EXPECT_EQ(json::parse(responses[1].body)["body"], "hi");
  EXPECT_EQ(json::parse(responses[2].body)["path"], "/third");
}

TEST_F(ServerTest, ConnectionCloseIsHonoured) {
  startServer(options());
  RawConnection c = RawConnection::unixSocket(socketPath_);
  ASSERT_TRUE(c.send("GET /bye HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
  auto responses = c.read(1);
  ASSERT_EQ(responses.size(), 1u);
  EXPECT_FALSE(responses[0].keepAlive);
  ASSERT_NE(responses[0].header("Connection"), nullptr);
  EXPECT_TRUE(http::equalsIgnoreCase(*responses[0].header("Connection"), "close"));
  EXPECT_TRUE(c.waitForEof());
}

TEST_F(ServerTest, TcpNeedsTheBearerToken) {
  ServerOptions o = options();
  o.tcp = Endpoint{Endpoint::Kind::kTcp, "", "127.0.0.1", 0};
  o.token = "s3cret-token";
  startServer(std::move(o));
  ASSERT_NE(server_->tcpPort(), 0);

  for (const char* token : {"", "wrong", "s3cret-toke", "s3cret-token-and-more"}) {
    auto reply = tcpClient(token).call("GET", "/v1/x", "", "", 5s);
    ASSERT_TRUE(reply) << reply.error().str();
    EXPECT_EQ(reply->status, 401) << token;
    ASSERT_NE(reply->header("WWW-Authenticate"), nullptr);
    EXPECT_EQ(reply->header("WWW-Authenticate")->rfind("Bearer", 0), 0u);
    EXPECT_EQ(errorFromReply(*reply).code, ErrorCode::kUnauthenticated);
  }
  EXPECT_EQ(requests_.load(), 0);

  auto ok = tcpClient("s3cret-token").call("GET", "/v1/x", "", "", 5s);
  ASSERT_TRUE(ok) << ok.error().str();
  EXPECT_EQ(ok->status, 200);

  // Lower-case scheme on a raw socket, keep-alive and pipelined.
  RawConnection good = RawConnection::tcp(server_->tcpPort());
  ASSERT_TRUE(good.send("GET /a HTTP/1.1\r\nHost: x\r\nAuthorization: bearer s3cret-token\r\n\r\n"
                        "GET /b HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer s3cret-token\r\n\r\n"));
  auto both = good.read(2);
  ASSERT_EQ(both.size(), 2u);
  EXPECT_EQ(both[0].status, 200);
  EXPECT_EQ(both[1].status, 200);

  // A 401 closes the connection: nothing after it is read or answered.
  RawConnection c = RawConnection::tcp(server_->tcpPort());
  ASSERT_TRUE(c.send("GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\nAuthorization: bearer s3cret-token\r\n\r\n"));
  auto responses = c.read(2);
  ASSERT_EQ(responses.size(), 1u);
  EXPECT_EQ(responses[0].status, 401);
  EXPECT_TRUE(c.waitForEof(3s));

  // The unix socket needs no token.
  auto local = unixClient().call("GET", "/v1/x", "", "", 5s);
  ASSERT_TRUE(local) << local.error().str();
  EXPECT_EQ(local->status, 200);
}

TEST_F(ServerTest, TcpWithoutTokenIsRefused) {
  ServerOptions o = options();
  o.tcp = Endpoint{Endpoint::Kind::kTcp, "", "127.0.0.1", 0};
  auto started = Server::start(std::move(o), echoHandler());
  ASSERT_FALSE(started);
  EXPECT_EQ(started.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(started.error().message.find("token"), std::string::npos);
}

TEST_F(ServerTest, StaleSocketIsReplaced) {
  std::filesystem::create_directories(dir_ + "/run");
  int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::strncpy(address.sun_path, socketPath_.c_str(), sizeof(address.sun_path) - 1);
  ASSERT_EQ(::bind(fd, reinterpret_cast<const sockaddr*>(&address), sizeof(address)), 0);
  ::close(fd);  // the file stays, nobody listens
  ASSERT_TRUE(std::filesystem::exists(socketPath_));

  startServer(options());
  auto reply = unixClient().call("GET", "/", "", "", 5s);
  ASSERT_TRUE(reply) << reply.error().str();
  EXPECT_EQ(reply->status, 200);
}

TEST_F(ServerTest, LiveSocketIsAConflict) {
  startServer(options());
  auto second = Server::start(options(), echoHandler());
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().code, ErrorCode::kConflict);
  EXPECT_NE(second.error().message.find("another daemon"), std::string::npos);
  // The first server is untouched.
  auto reply = unixClient().call("GET", "/", "", "", 5s);
  ASSERT_TRUE(reply) << reply.error().str();
  EXPECT_EQ(reply->status, 200);
}

TEST_F(ServerTest, NotASocketIsRefused) {
  std::filesystem::create_directories(dir_ + "/run");
  { std::FILE* f = std::fopen(socketPath_.c_str(), "w"); ASSERT_NE(f, nullptr); std::fclose(f); }
  auto started = Server::start(options(), echoHandler());
  ASSERT_FALSE(started);
  EXPECT_TRUE(std::filesystem::exists(socketPath_));  // never deletes a user's file
}

TEST_F(ServerTest, UnixPathTooLong) {
  ServerOptions o = options();
  o.unixPath = dir_ + "/" + std::string(200, 'x') + ".sock";
  auto started = Server::start(std::move(o), echoHandler());
  ASSERT_FALSE(started);
  EXPECT_EQ(started.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(started.error().message.find("limit"), std::string::npos);
}

TEST_F(ServerTest, HugeHeadersAre431) {
  startServer(options());
  RawConnection c = RawConnection::unixSocket(socketPath_);
  std::string request = "GET / HTTP/1.1\r\nHost: x\r\n";
  for (int i = 0; i < 70; ++i) request += "X-Filler-" + std::to_string(i) + ": " + std::string(1024, 'f') + "\r\n";
  request += "\r\n";
  ASSERT_TRUE(c.send(request));
  auto responses = c.read(1);
  ASSERT_EQ(responses.size(), 1u);
  EXPECT_EQ(responses[0].status, 431);
  EXPECT_FALSE(responses[0].keepAlive);
  EXPECT_EQ(errorFromReply(responses[0]).code, ErrorCode::kInvalidArgument);
  EXPECT_TRUE(c.waitForEof());
  EXPECT_EQ(requests_.load(), 0);
}

TEST_F(ServerTest, HugeHeadersAre431OnTcpToo) {
  ServerOptions o = options();
  o.tcp = Endpoint{Endpoint::Kind::kTcp, "", "127.0.0.1", 0};
  o.token = "t";
  startServer(std::move(o));
  RawConnection c = RawConnection::tcp(server_->tcpPort());
  ASSERT_TRUE(c.connected());
  std::string request = "GET / HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer t\r\nX-Big: " +
                        std::string(70 * 1024, 'f') + "\r\n\r\n";
  ASSERT_TRUE(c.send(request));
  auto responses = c.read(1);
  ASSERT_EQ(responses.size(), 1u);
  EXPECT_EQ(responses[0].status, 431);
  EXPECT_TRUE(c.waitForEof());
}

TEST_F(ServerTest, OversizedBodyIs413) {
  ServerOptions o = options();
  o.maxBodyBytes = 1024;
  startServer(std::move(o));
  auto reply = unixClient().call("POST", "/v1/apply", std::string(4096, 'b'), "text/plain", 5s);
  ASSERT_TRUE(reply) << reply.error().str();
  EXPECT_EQ(reply->status, 413);
  EXPECT_EQ(requests_.load(), 0);
  // Chunked too.
  RawConnection c = RawConnection::unixSocket(socketPath_);
  ASSERT_TRUE(c.send("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n800\r\n" + std::string(2048, 'c') +
                     "\r\n0\r\n\r\n"));
  auto responses = c.read(1);
  ASSERT_EQ(responses.size(), 1u);
  EXPECT_EQ(responses[0].status, 413);
}

TEST_F(ServerTest, SmugglingAttemptIs400AndCloses) {
  startServer(options());
  RawConnection c = RawConnection::unixSocket(socketPath_);
  ASSERT_TRUE(c.send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"));
  auto responses = c.read(1);
  ASSERT_EQ(responses.size(), 1u);
  EXPECT_EQ(responses[0].status, 400);
  ASSERT_NE(responses[0].header("Content-Type"), nullptr);
  EXPECT_TRUE(c.waitForEof());
}

TEST_F(ServerTest, HandlerThatThrowsIs500AndServerKeepsRunning) {
  startServer(options());
  auto reply = unixClient().call("GET", "/throw", "", "", 5s);
  ASSERT_TRUE(reply) << reply.error().str();
  EXPECT_EQ(reply->status, 500);
  EXPECT_NE(errorFromReply(*reply).message.find("boom"), std::string::npos);
  auto dropped = unixClient().call("GET", "/drop", "", "", 5s);
  ASSERT_TRUE(dropped) << dropped.error().str();
  EXPECT_EQ(dropped->status, 500);
  auto after = unixClient().call("GET", "/fine", "", "", 5s);
  ASSERT_TRUE(after) << after.error().str();
  EXPECT_EQ(after->status, 200);
}

TEST_F(ServerTest, IdleConnectionsAreClosed) {
  ServerOptions o = options();
  o.idleTimeout = 100ms;
  startServer(std::move(o));
  RawConnection idle = RawConnection::unixSocket(socketPath_);
  EXPECT_TRUE(idle.waitForEof(3s));
  RawConnection partial = RawConnection::unixSocket(socketPath_);
  ASSERT_TRUE(partial.send("GET / HTTP/1.1\r\nHo"));
  auto responses = partial.read(1, 3s);
  ASSERT_EQ(responses.size(), 1u);
  EXPECT_EQ(responses[0].status, 408);
}

// Issue 10: the token is checked as soon as the head is parsed. A client announcing an
// 8 MB body with a wrong token gets 401 and a closed connection before it sends the body.
TEST_F(ServerTest, WrongTokenIs401BeforeTheBodyIsRead) {
  ServerOptions o = options();
  o.tcp = Endpoint{Endpoint::Kind::kTcp, "", "127.0.0.1", 0};
  o.token = "s3cret-token";
  startServer(std::move(o));
  RawConnection c = RawConnection::tcp(server_->tcpPort());
  ASSERT_TRUE(c.connected());
  c.setSendBuffer(16 * 1024);
  ASSERT_TRUE(c.send("POST /v1/apply HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer wrong\r\n"
                     "Content-Length: 8000000\r\n\r\n"));
  auto responses = c.read(1, 3s);  // without sending one byte of the body
  ASSERT_EQ(responses.size(), 1u);
  EXPECT_EQ(responses[0].status, 401);
  EXPECT_FALSE(responses[0].keepAlive);
  EXPECT_TRUE(c.waitForEof(3s));
  // The server does not take the body: far less than 8 MB gets through before the reset.
  size_t sent = c.sendFiller(8'000'000, 3s);
  EXPECT_LT(sent, 2'000'000u) << "the server read " << sent << " bytes of an unauthenticated body";
  EXPECT_EQ(requests_.load(), 0);
}

TEST_F(ServerTest, MissingTokenIs401BeforeTheBodyToo) {
  ServerOptions o = options();
  o.tcp = Endpoint{Endpoint::Kind::kTcp, "", "127.0.0.1", 0};
  o.token = "s3cret-token";
  startServer(std::move(o));
  RawConnection c = RawConnection::tcp(server_->tcpPort());
  ASSERT_TRUE(c.send("PUT /v1/services/x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"));
  auto responses = c.read(1, 3s);
  ASSERT_EQ(responses.size(), 1u);
  EXPECT_EQ(responses[0].status, 401);
  // The right token with a body still works, in pieces.
  RawConnection ok = RawConnection::tcp(server_->tcpPort());
  ASSERT_TRUE(ok.send("POST /v1/x HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer s3cret-token\r\n"));
  std::this_thread::sleep_for(20ms);
  ASSERT_TRUE(ok.send("Content-Length: 5\r\n\r\nhel"));
  std::this_thread::sleep_for(20ms);
  ASSERT_TRUE(ok.send("lo"));
  auto answered = ok.read(1, 3s);
  ASSERT_EQ(answered.size(), 1u);
  EXPECT_EQ(answered[0].status, 200) << answered[0].body;
}

// Issue 10: at most maxConnections (64 by default) per listener; the next is closed.
TEST_F(ServerTest, ConnectionsBeyondTheCapAreRefused) {
  startServer(options());
  std::vector<RawConnection> open;
  for (int i = 0; i < 64; ++i) {
    open.push_back(RawConnection::unixSocket(socketPath_));
    ASSERT_TRUE(open.back().connected()) << i;
  }
  // Every one of the 64 is served.
  ASSERT_TRUE(open.front().send("GET /first HTTP/1.1\r\nHost: x\r\n\r\n"));
  ASSERT_EQ(open.front().read(1, 3s).size(), 1u);
  ASSERT_TRUE(open.back().send("GET /last HTTP/1.1\r\nHost: x\r\n\r\n"));
  ASSERT_EQ(open.back().read(1, 3s).size(), 1u);
  RawConnection extra = RawConnection::unixSocket(socketPath_);
  ASSERT_TRUE(extra.connected());  // the kernel accepts; the server closes it
  extra.send("GET /extra HTTP/1.1\r\nHost: x\r\n\r\n");
  auto responses = extra.read(1, 3s);
  if (!responses.empty()) {
    EXPECT_EQ(responses[0].status, 503);
  }
  EXPECT_TRUE(extra.waitForEof(3s));
  // Once one closes, a new connection is served again.
  open.pop_back();
  bool served = false;
  for (int attempt = 0; attempt < 50 && !served; ++attempt) {
    RawConnection again = RawConnection::unixSocket(socketPath_);
    again.send("GET /again HTTP/1.1\r\nHost: x\r\n\r\n");
    auto r = again.read(1, 1s);
    served = !r.empty() && r[0].status == 200;
    if (!served) std::this_thread::sleep_for(20ms);
  }
  EXPECT_TRUE(served);
}

TEST_F(ServerTest, TheCapIsConfigurable) {
  ServerOptions o = options();
  o.maxConnections = 2;
  startServer(std::move(o));
  RawConnection a = RawConnection::unixSocket(socketPath_);
  RawConnection b = RawConnection::unixSocket(socketPath_);
  ASSERT_TRUE(a.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
  ASSERT_EQ(a.read(1, 3s).size(), 1u);
  RawConnection c = RawConnection::unixSocket(socketPath_);
  EXPECT_TRUE(c.waitForEof(3s));
}

// Issue 10: a client that trickles its head (each byte re-arming the idle timer) is
// still timed out: the head must be complete within the header timeout.
TEST_F(ServerTest, SlowHeadIsTimedOut) {
  ServerOptions o = options();
  o.idleTimeout = 400ms;
  startServer(std::move(o));
  RawConnection c = RawConnection::unixSocket(socketPath_);
  ASSERT_TRUE(c.send("GET / HTTP/1.1\r\n"));
  auto start = std::chrono::steady_clock::now();
  bool closed = false;
  for (int i = 0; i < 30 && !closed; ++i) {
    std::this_thread::sleep_for(100ms);
    closed = !c.send("X");  // one byte of a header name at a time
    if (!closed) {
      auto r = c.read(1, 1ms);
      closed = !r.empty();
      if (closed) {
        EXPECT_EQ(r[0].status, 408);
      }
    }
  }
  EXPECT_TRUE(closed);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);
}

TEST_F(ServerTest, HeaderTimeoutIsConfigurable) {
  ServerOptions o = options();
  o.headerTimeout = 300ms;
  startServer(std::move(o));
  RawConnection c = RawConnection::unixSocket(socketPath_);
  auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(c.send("GET / HTTP/1.1\r\nHost: x\r\n"));
  auto r = c.read(1, 3s);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].status, 408);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);
}

TEST_F(ServerTest, ClientTimesOut) {
  startServer(options());
  auto start = std::chrono::steady_clock::now();
  auto reply = unixClient().call("GET", "/hold", "", "", 200ms);
  ASSERT_FALSE(reply);
  EXPECT_EQ(reply.error().code, ErrorCode::kTimeout);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 3s);
  // A late answer to a gone client is harmless; so is one after stop().
  std::vector<Responder> held;
  {
    std::lock_guard lock(mutex_);
    held = std::move(held_);
  }
  ASSERT_EQ(held.size(), 1u);
  held[0](jsonReply(200, json::object()));
  server_->stop();
  held[0](jsonReply(200, json::object()));
}

TEST_F(ServerTest, ClientExplainsWhenNothingListens) {
  auto reply = unixClient().call("GET", "/", "", "", 2s);
  ASSERT_FALSE(reply);
  EXPECT_EQ(reply.error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(reply.error().message, "cannot reach rollway at unix:" + socketPath_ +
                                       ": no such file (is `rollway serve` running?)");

  auto tcp = Client(Endpoint{Endpoint::Kind::kTcp, "", "127.0.0.1", 1}, "t").call("GET", "/", "", "", 2s);
  ASSERT_FALSE(tcp);
  EXPECT_EQ(tcp.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(tcp.error().message.find("connection refused"), std::string::npos) << tcp.error().message;
}

TEST_F(ServerTest, StopRemovesTheSocketFileAndIsIdempotent) {
  startServer(options());
  RawConnection open = RawConnection::unixSocket(socketPath_);  // an open connection must not block stop
  ASSERT_TRUE(open.connected());
  ASSERT_TRUE(std::filesystem::exists(socketPath_));
  server_->stop();
  EXPECT_FALSE(std::filesystem::exists(socketPath_));
  EXPECT_TRUE(open.waitForEof(2s));
  server_->stop();
  server_.reset();

  auto reply = unixClient().call("GET", "/", "", "", 2s);
  ASSERT_FALSE(reply);
  EXPECT_EQ(reply.error().code, ErrorCode::kUnavailable);
}

TEST_F(ServerTest, HeadRequestGetsNoBody) {
  startServer(options());
  auto reply = unixClient().call("HEAD", "/x", "", "", 5s);
  ASSERT_TRUE(reply) << reply.error().str();
  EXPECT_EQ(reply->status, 200);
  EXPECT_EQ(reply->body, "");
}

}  // namespace
}  // namespace rollway::net
