// ProxyLink against a fake proxy admin socket: its calls are asynchronous (the callback
// comes later, on the io_context), versions continue from the proxy's own, errors are
// values, and a proxy that never answers does not hold the control thread.
#include "rollway/controller/proxy_link.h"
#include "rollway/supervisor/supervisor.h"

#include <gtest/gtest.h>

#include <sys/stat.h>

#include <fstream>
#include <thread>
#include <optional>

#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>

#include "unit/controller/fake_proxy_socket.h"
#include "unit/store/temp_dir.h"

namespace rollway::controller {
namespace {

using namespace std::chrono_literals;
using testing::FakeProxySocket;
using testing::runUntil;

class ProxyLinkTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(fake_.start());
    supervisor::SupervisorOptions sup;
    sup.logDir = tmp_.path();
    supervisor_ = std::make_unique<supervisor::Supervisor>(io_, sup);
    supervisor_->setExitCallback([this](const std::string&, const supervisor::ExitInfo& exit) {
      if (link_) link_->onExit(exit);
    });
    makeLink([](ProxyLinkOptions&) {});
  }
  void TearDown() override {
    link_.reset();
    if (supervisor_->watching(ProxyLink::kProcessName)) {
      bool stopped = false;
      (void)supervisor_->terminate(ProxyLink::kProcessName, 100ms,
                                   [&](const std::string&, const supervisor::Termination&) { stopped = true; });
      runUntil(io_, [&] { return stopped; });
    }
  }

  void makeLink(const std::function<void(ProxyLinkOptions&)>& adjust) {
    link_.reset();
    ProxyLinkOptions options;
    options.dir = tmp_.path();
    options.manage = false;
    options.workingDir = tmp_.path();
    adjust(options);
    link_ = std::make_unique<ProxyLink>(io_, *supervisor_, options, nullLogger());
  }

  Result<bool> ensureRunning() {
    std::optional<Result<bool>> got;
    link_->ensureRunning([&](Result<bool> r) { got = std::move(r); });
    EXPECT_FALSE(got) << "never inline";
    EXPECT_TRUE(runUntil(io_, [&] { return got.has_value(); }));
    return got.value_or(fail(ErrorCode::kTimeout, "no answer"));
  }
  Result<uint64_t> push() {
    std::optional<Result<uint64_t>> got;
    link_->push(proxy::RoutingSnapshot{}, [&](Result<uint64_t> r) { got = std::move(r); });
    EXPECT_FALSE(got) << "never inline";
    EXPECT_TRUE(runUntil(io_, [&] { return got.has_value(); }));
    return got.value_or(fail(ErrorCode::kTimeout, "no answer"));
  }
  Result<std::map<std::string, uint64_t>> inFlight() {
    std::optional<Result<std::map<std::string, uint64_t>>> got;
    link_->inFlight([&](Result<std::map<std::string, uint64_t>> r) { got = std::move(r); });
    EXPECT_FALSE(got) << "never inline";
    EXPECT_TRUE(runUntil(io_, [&] { return got.has_value(); }));
    return got.value_or(fail(ErrorCode::kTimeout, "no answer"));
  }

  store::TempDir tmp_;
  asio::io_context io_;
  FakeProxySocket fake_{tmp_.path() + "/proxy.sock"};
  std::unique_ptr<supervisor::Supervisor> supervisor_;
  std::unique_ptr<ProxyLink> link_;
};

TEST_F(ProxyLinkTest, VersionsContinueFromTheProxysOwnAndArriveInOrder) {
  EXPECT_FALSE(link_->running());
  auto found = ensureRunning();
  ASSERT_TRUE(found) << found.error().message;
  EXPECT_FALSE(*found) << "it was there: not started";
  EXPECT_TRUE(link_->running());
  EXPECT_FALSE(link_->starting());
  auto first = push();
  ASSERT_TRUE(first) << first.error().message;
  EXPECT_EQ(*first, 4u);  // the proxy held 3
  // Three pushes in a row, before any answer: they go out in order, one version each.
  std::vector<uint64_t> answered;
  for (int i = 0; i < 3; ++i) {
    link_->push(proxy::RoutingSnapshot{}, [&](Result<uint64_t> r) { answered.push_back(r ? *r : 0); });
  }
  ASSERT_TRUE(runUntil(io_, [&] { return answered.size() == 3; }));
  EXPECT_EQ(answered, (std::vector<uint64_t>{5, 6, 7}));
  EXPECT_EQ(fake_.versionsReceived(), (std::vector<uint64_t>{4, 5, 6, 7}));
}

TEST_F(ProxyLinkTest, AConflictMovesToTheVersionAfterTheProxys) {
  ASSERT_TRUE(ensureRunning());
  fake_.setVersion(40);  // another control plane pushed meanwhile
  fake_.conflictNext(1);
  auto pushed = push();
  ASSERT_TRUE(pushed) << pushed.error().message;
  EXPECT_EQ(*pushed, 41u);
  EXPECT_EQ(fake_.versionsReceived(), (std::vector<uint64_t>{4, 41}));
  auto next = push();
  ASSERT_TRUE(next);
  EXPECT_EQ(*next, 42u);
  fake_.conflictNext(5);
  auto stuck = push();
  ASSERT_FALSE(stuck);
  EXPECT_EQ(stuck.error().code, ErrorCode::kConflict);
}

TEST_F(ProxyLinkTest, ARejectedSnapshotSaysSoWithTheProxysReason) {
  ASSERT_TRUE(ensureRunning());
  fake_.setSnapshotStatus(400);
  auto pushed = push();
  ASSERT_FALSE(pushed);
  EXPECT_EQ(pushed.error().message,
            "proxy rejected routing snapshot 4: listeners[0].listen: ':8080' is not host:port");
  EXPECT_TRUE(link_->running()) << "a refusal is an answer";
  fake_.stop();
  auto lost = push();
  ASSERT_FALSE(lost);
  EXPECT_NE(lost.error().message.find("proxy did not take routing snapshot 5 (PUT /v1/snapshot on unix:"),
            std::string::npos)
      << lost.error().message;
  EXPECT_FALSE(link_->running()) << "no answer at all";
}

TEST_F(ProxyLinkTest, InFlightIsAnErrorWhenTheProxyCannotTell) {
  auto counts = inFlight();
  ASSERT_TRUE(counts) << counts.error().message;
  EXPECT_EQ(counts->at("127.0.0.1:20001"), 2u);
  fake_.setEndpoints(200, R"({"items": []})");
  auto none = inFlight();
  ASSERT_TRUE(none) << none.error().message;
  EXPECT_TRUE(none->empty());
  // Never an empty map ("nothing in flight") for an answer that says nothing.
  fake_.setEndpoints(500, R"({"error": {"code": "Internal", "message": "boom"}})");
  EXPECT_FALSE(inFlight());
  for (const char* unreadable : {"not json", "{}", R"({"items": {}})", R"({"items": [{"inFlight": 1}]})",
                                 R"({"items": [{"address": "127.0.0.1:20001", "inFlight": "2"}]})"}) {
    fake_.setEndpoints(200, unreadable);
    auto r = inFlight();
    ASSERT_FALSE(r) << unreadable;
    EXPECT_NE(r.error().message.find("the proxy's endpoint list is not"), std::string::npos) << r.error().message;
  }
  fake_.stop();
  EXPECT_FALSE(inFlight());
}

// A health answer that is JSON but not what the proxy sends is an error that says so
// (nlohmann's .value() on it used to throw on the control thread).
TEST_F(ProxyLinkTest, AnUnreadableHealthAnswerIsAnErrorThatSaysWhy) {
  const std::string socket = "unix:" + tmp_.path() + "/proxy.sock";
  fake_.setHealthBody("[1, 2]");
  auto notObject = ensureRunning();
  ASSERT_FALSE(notObject);
  EXPECT_NE(notObject.error().message.find("proxy at " + socket + " sent a body that is not a JSON object"),
            std::string::npos)
      << notObject.error().message;
  fake_.setHealthBody(R"({"snapshotVersion": "seven"})");
  auto notNumber = ensureRunning();
  ASSERT_FALSE(notNumber);
  EXPECT_NE(notNumber.error().message.find("sent a snapshotVersion that is not a number: \"seven\""),
            std::string::npos)
      << notNumber.error().message;
  fake_.setHealthBody("{}");  // an empty proxy: version 0
  ASSERT_TRUE(ensureRunning());
  auto pushed = push();
  ASSERT_TRUE(pushed) << pushed.error().message;
  EXPECT_EQ(*pushed, 1u);
}

TEST_F(ProxyLinkTest, WithoutManagingNoAnswerIsAnError) {
  fake_.stop();
  auto r = ensureRunning();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(r.error().message.find("no proxy answers on unix:" + tmp_.path() + "/proxy.sock"), std::string::npos)
      << r.error().message;
  EXPECT_FALSE(link_->running());
  EXPECT_FALSE(link_->starting());
}

// The proxy takes the connection and never answers: ensureRunning returns at once, the
// control thread's other work goes on, and the answer is an error at the start limit.
TEST_F(ProxyLinkTest, AProxyThatNeverAnswersDoesNotHoldTheControlThread) {
  makeLink([](ProxyLinkOptions& o) { o.startLimit = 400ms; });
  fake_.setSilent(true);
  std::optional<Result<bool>> got;
  auto before = std::chrono::steady_clock::now();
  link_->ensureRunning([&](Result<bool> r) { got = std::move(r); });
  std::optional<Result<bool>> joined;
  link_->ensureRunning([&](Result<bool> r) { joined = std::move(r); });  // joins the check under way
  EXPECT_LT(std::chrono::steady_clock::now() - before, 50ms) << "returns at once";
  EXPECT_TRUE(link_->starting());
  // Other work of the control thread: a 10 ms tick.
  int ticks = 0;
  asio::steady_timer tick(io_);
  std::function<void()> arm = [&] {
    tick.expires_after(10ms);
    tick.async_wait([&](const asio::error_code& ec) {
      if (ec) return;
      ++ticks;
      arm();
    });
  };
  arm();
  ASSERT_TRUE(runUntil(io_, [&] { return got.has_value() && joined.has_value(); }));
  auto took = std::chrono::steady_clock::now() - before;
  tick.cancel();
  EXPECT_GE(ticks, 20) << "the loop kept running while the proxy was silent";
  EXPECT_GE(took, 400ms);
  EXPECT_LT(took, 1500ms) << "the start limit, not the 2 s of one check";
  ASSERT_FALSE(*got);
  EXPECT_EQ(got->error().message, "the proxy did not answer on unix:" + tmp_.path() +
                                      "/proxy.sock within 400 ms (see its log in the data directory's logs/)");
  ASSERT_FALSE(*joined);
  EXPECT_EQ(joined->error().message, got->error().message);
  EXPECT_FALSE(link_->running());
  EXPECT_FALSE(link_->starting());
  // A silent in-flight query is an error after its own timeout, and the loop runs meanwhile.
  std::optional<Result<std::map<std::string, uint64_t>>> counts;
  ticks = 0;
  arm();
  link_->inFlight([&](Result<std::map<std::string, uint64_t>> r) { counts = std::move(r); });
  ASSERT_TRUE(runUntil(io_, [&] { return counts.has_value(); }));
  tick.cancel();
  EXPECT_FALSE(*counts);
  EXPECT_GE(ticks, 50);
}

TEST_F(ProxyLinkTest, NoCallbackOnceTheLinkIsGone) {
  fake_.setSilent(true);
  bool called = false;
  link_->metrics([&](Result<nlohmann::json>) { called = true; });
  link_->ensureRunning([&](Result<bool>) { called = true; });
  link_->push(proxy::RoutingSnapshot{}, [&](Result<uint64_t>) { called = true; });
  // The first call is under way (the others wait behind it) when the link goes.
  auto until = std::chrono::steady_clock::now() + 5s;
  while (fake_.requests() == 0 && std::chrono::steady_clock::now() < until) std::this_thread::sleep_for(1ms);
  ASSERT_EQ(fake_.requests(), 1);
  link_.reset();  // joins its pool thread: the silent call ends at its timeout
  bool marker = false;
  asio::post(io_, [&] { marker = true; });
  ASSERT_TRUE(runUntil(io_, [&] { return marker; }));
  io_.poll();
  EXPECT_FALSE(called);
}

// Managed: no proxy answers, so the link starts `SELF proxy --data-dir DIR` (here a
// script standing in for it), records its pid, and waits for the socket to answer.
TEST_F(ProxyLinkTest, StartsTheProxyAndWaitsForItsAnswer) {
  fake_.stop();
  const std::string script = tmp_.path() + "/fake-rollway";
  {
    std::ofstream out(script);
    out << "#!/bin/sh\nexec /bin/sleep 30\n";
  }
  ASSERT_EQ(::chmod(script.c_str(), 0755), 0);
  makeLink([&](ProxyLinkOptions& o) {
    o.manage = true;
    o.selfExe = script;
    o.startLimit = 5s;
  });
  std::optional<Result<bool>> got;
  link_->ensureRunning([&](Result<bool> r) { got = std::move(r); });
  // The "proxy" binds its admin socket a little later.
  asio::steady_timer later(io_, 300ms);
  later.async_wait([&](const asio::error_code&) { EXPECT_TRUE(fake_.start()); });
  ASSERT_TRUE(runUntil(io_, [&] { return got.has_value(); }));
  ASSERT_TRUE(*got) << got->error().message;
  EXPECT_TRUE(**got) << "it started one";
  EXPECT_TRUE(supervisor_->watching(ProxyLink::kProcessName));
  std::ifstream pidFile(tmp_.path() + "/proxy.pid");
  int64_t pid = 0;
  pidFile >> pid;
  EXPECT_GT(pid, 0);
  bool stopped = false;
  link_->stop(2s, [&] { stopped = true; });
  EXPECT_FALSE(stopped) << "never inline";
  ASSERT_TRUE(runUntil(io_, [&] { return stopped; }));
  EXPECT_FALSE(supervisor_->watching(ProxyLink::kProcessName));
}

TEST_F(ProxyLinkTest, AProxyThatExitsBeforeAnsweringIsAnError) {
  fake_.stop();
  makeLink([&](ProxyLinkOptions& o) {
    o.manage = true;
    o.selfExe = "/bin/false";
    o.startLimit = 5s;
  });
  auto before = std::chrono::steady_clock::now();
  auto r = ensureRunning();
  ASSERT_FALSE(r);
  EXPECT_LT(std::chrono::steady_clock::now() - before, 3s) << "its exit ends the wait";
  EXPECT_EQ(r.error().message, "the proxy exited before it answered on unix:" + tmp_.path() +
                                   "/proxy.sock (see its log in the data directory's logs/)");
}

}  // namespace
}  // namespace rollway::controller
