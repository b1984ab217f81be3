// Nothing blocks the control thread but SQLite and fork/exec (docs/core-principles.md,
// rule 6): a metric provider or a notification receiver that takes seconds to answer
// does not stall the daemon's API, and a measurement that comes back after the rollout
// has moved on is dropped instead of judging the new one.
#include <gtest/gtest.h>

#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

#include "rollout_fixture.h"
#include "rollway/net/endpoint.h"
#include "rollway/net/json_reply.h"
#include "rollway/net/server.h"

namespace rollway::e2e {
namespace {

// An HTTP server on 127.0.0.1 that answers each request `delay` after it came, from a
// thread of its own (the server keeps taking requests meanwhile), with answer(request).
class SlowPeer {
 public:
  using Answer = std::function<nlohmann::json(const http::Request&)>;

  SlowPeer(std::chrono::milliseconds delay, Answer answer) : delay_(delay), answer_(std::move(answer)) {
    port_ = freePort();
    net::ServerOptions o;
    o.tcp = *net::Endpoint::parse("127.0.0.1:" + std::to_string(port_));
    o.openTcp = true;
    auto server = net::Server::start(o, [this](http::Request r, net::Responder respond) {
      std::lock_guard lock(mutex_);
      bodies_.push_back(r.body);
      pending_.push_back({std::chrono::steady_clock::now() + delay_, answer_(r), std::move(respond)});
      wake_.notify_all();
    });
    if (server) server_ = std::move(*server);
    answerer_ = std::thread([this] { answerLoop(); });
  }
  ~SlowPeer() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_all();
    answerer_.join();
    if (server_) server_->stop();
  }

  std::string url(const std::string& path) const { return "http://127.0.0.1:" + std::to_string(port_) + path; }
  std::vector<std::string> bodies() {
    std::lock_guard lock(mutex_);
    return bodies_;
  }

 private:
  struct Pending {
    std::chrono::steady_clock::time_point due;
    nlohmann::json body;
    net::Responder respond;
  };

  void answerLoop() {
    std::unique_lock lock(mutex_);
    while (!stopping_) {
      if (pending_.empty()) {
        wake_.wait(lock);
        continue;
      }
      if (wake_.wait_until(lock, pending_.front().due) == std::cv_status::no_timeout) continue;
      Pending p = std::move(pending_.front());
      pending_.pop_front();
      lock.unlock();
      p.respond(net::jsonReply(200, p.body));
      lock.lock();
    }
  }

  std::chrono::milliseconds delay_;
  Answer answer_;
  uint16_t port_ = 0;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Pending> pending_;
  std::vector<std::string> bodies_;
  bool stopping_ = false;
  std::thread answerer_;
  std::unique_ptr<net::Server> server_;
};

class ControlThreadTest : public RolloutTest {
 protected:
  // A canary whose analysis asks `metricUrl` (webhook provider, "> 0.9" passes) every
  // second and aborts at the first failure; aborts are POSTed to `notifyUrl`.
  void canaryWithWebhookAnalysis(const std::string& steps, const std::string& metricUrl,
                                 const std::string& notifyUrl) {
    service_.replicas = 2;
    service_.strategy = "  strategy:\n    type: Canary\n    canary:\n      steps: " + steps + "\n";
    service_.extraSpec = "  analysis:\n"
                         "    interval: 1s\n"
                         "    failureLimit: 1\n"
                         "    minRequests: 0\n"
                         "    metrics:\n"
                         "      - name: external\n"
                         "        successCondition: \"> 0.9\"\n"
                         "        provider: {webhook: {url: \"" + metricUrl + "\"}}\n"
                         "  notifications: {webhooks: [{url: \"" + notifyUrl + "\"}]}\n";
  }

  // The longest `rollway` API round trip (GET status) until `done(status)`, at most 10 s.
  std::chrono::milliseconds slowestApiCallUntil(const std::function<bool(const nlohmann::json&)>& done) {
    std::chrono::milliseconds slowest{0};
    auto until = std::chrono::steady_clock::now() + 10s;
    while (std::chrono::steady_clock::now() < until) {
      auto before = std::chrono::steady_clock::now();
      auto st = daemon_->status("web");
      slowest = std::max(slowest, std::chrono::duration_cast<std::chrono::milliseconds>(
                                      std::chrono::steady_clock::now() - before));
      EXPECT_FALSE(st.is_null());
      if (done(st)) break;
      std::this_thread::sleep_for(50ms);
    }
    return slowest;
  }
};

// The provider and the notification receiver each take 3 s: the API answers within a
// second all along (it shares the control thread with the analysis), and the verdict
// still arrives and aborts the canary.
TEST_F(ControlThreadTest, ASlowProviderAndReceiverNeverStallTheApi) {
  SlowPeer provider(3s, [](const http::Request&) { return nlohmann::json{{"value", 0}}; });
  SlowPeer receiver(3s, [](const http::Request&) { return nlohmann::json{{"ok", true}}; });
  canaryWithWebhookAnalysis("[{setWeight: 50}, {pause: {duration: 5m}}]", provider.url("/verify"),
                            receiver.url("/abort"));
  ASSERT_EQ(apply(), 0);
  ASSERT_EQ(rolloutStatus(), 0) << daemon_->log();
  service_.version = "v2";
  ASSERT_EQ(apply(), 0);
  ASSERT_TRUE(waitFor([&] { return !provider.bodies().empty(); }, 20s)) << daemon_->log();
  auto slowest = slowestApiCallUntil([](const nlohmann::json& st) { return st.value("phase", "") == "Degraded"; });
  EXPECT_LT(slowest, 1000ms) << "an API call waited for the provider";
  ASSERT_EQ(daemon_->status("web").value("phase", ""), "Degraded") << daemon_->status("web").dump(2);
  // The notification is under way now, for 3 s: the API does not wait for it either.
  ASSERT_TRUE(waitFor([&] { return !receiver.bodies().empty(); }, 10s));
  auto sent = std::chrono::steady_clock::now();
  slowest = slowestApiCallUntil([&](const nlohmann::json&) { return std::chrono::steady_clock::now() - sent > 2500ms; });
  EXPECT_LT(slowest, 1000ms) << "an API call waited for the notification";
  EXPECT_NE(daemon_->status("web").value("abortReason", "").find("external 0 fails > 0.9"), std::string::npos)
      << daemon_->status("web").dump(2);
}

// Revision 2's window is being judged (its provider takes 3 s and will say "fail") when
// revision 3 is applied. The late verdict belongs to a rollout that is gone: it must not
// abort revision 3, whose own windows pass.
TEST_F(ControlThreadTest, AVerdictForARolloutThatMovedOnIsDropped) {
  SlowPeer provider(3s, [](const http::Request& r) {
    auto window = nlohmann::json::parse(r.body, nullptr, false);
    bool revision2 = window.is_object() && window.value("canaryRevision", 0) == 2;
    return nlohmann::json{{"value", revision2 ? 0 : 1}};
  });
  SlowPeer receiver(0ms, [](const http::Request&) { return nlohmann::json{{"ok", true}}; });
  canaryWithWebhookAnalysis("[{setWeight: 50}, {analysis: {}}]", provider.url("/verify"), receiver.url("/abort"));
  ASSERT_EQ(apply(), 0);
  ASSERT_EQ(rolloutStatus(), 0) << daemon_->log();
  service_.version = "v2";
  ASSERT_EQ(apply(), 0);
  auto askedFor = [&](int revision) {
    for (const auto& body : provider.bodies()) {
      auto j = nlohmann::json::parse(body, nullptr, false);
      if (j.is_object() && j.value("canaryRevision", 0) == revision) return true;
    }
    return false;
  };
  ASSERT_TRUE(waitFor([&] { return askedFor(2); }, 20s)) << daemon_->log();
  service_.version = "v3";
  ASSERT_EQ(apply(), 0);
  EXPECT_EQ(rolloutStatus("60s"), 0) << daemon_->status("web").dump(2) << daemon_->events("web");
  EXPECT_TRUE(askedFor(3));
  EXPECT_EQ(daemon_->events("web").find("RolloutAborted"), std::string::npos) << daemon_->events("web");
  EXPECT_TRUE(receiver.bodies().empty()) << "no abort was notified";
  auto st = daemon_->status("web");
  EXPECT_EQ(st.value("revision", 0), 3) << st.dump(2);
  EXPECT_EQ(st.value("phase", ""), "Complete") << st.dump(2);
}

}  // namespace
}  // namespace rollway::e2e
