// Nothing blocks the control thread but SQLite and fork/exec (docs/core-principles.md,
// rule 6): a metric provider or a notification receiver that takes seconds to answer
// does not stall the daemon's API, and a measurement that comes back after the rollout
// has moved on is dropped instead of judging the new one.
#include <gtest/gtest.h>

#include <thread>

#include "json_peer.h"
#include "rollout_fixture.h"

namespace rollway::e2e {
namespace {

class ControlThreadTest : public RolloutTest {
 protected:
  // A canary whose analysis asks `metricUrl` (webhook provider, "> 0.9" passes) every
  // second and aborts at the first failure; aborts are POSTed to `notifyUrl`.
  void canaryWithWebhookAnalysis(const std::string& steps, const std::string& metricUrl,
                                 const std::string& notifyUrl) {
    service_.replicas = 2;
    service_.strategy = "  strategy:\n    type: Canary\n    canary:\n      steps: " + steps + "\n";
    service_.extraSpec = webhookAnalysisSpec(metricUrl, notifyUrl);
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
  JsonPeer provider(3s, [](const http::Request&) { return nlohmann::json{{"value", 0}}; });
  JsonPeer receiver(3s, [](const http::Request&) { return nlohmann::json{{"ok", true}}; });
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
  JsonPeer provider(3s, [](const http::Request& r) {
    auto window = nlohmann::json::parse(r.body, nullptr, false);
    bool revision2 = window.is_object() && window.value("canaryRevision", 0) == 2;
    return nlohmann::json{{"value", revision2 ? 0 : 1}};
  });
  JsonPeer receiver(0ms, [](const http::Request&) { return nlohmann::json{{"ok", true}}; });
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
