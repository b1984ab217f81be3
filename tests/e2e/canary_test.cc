// Issue 6 end to end: canary steps with a sticky split, analysis that aborts a bad or
// slow canary (with the webhook), blue-green preview, promotion and a fast undo.
#include <gtest/gtest.h>

#include <mutex>
#include <set>

#include "json_peer.h"
#include "rollout_fixture.h"
#include "rollway/net/endpoint.h"
#include "rollway/net/json_reply.h"
#include "rollway/net/server.h"

namespace rollway::e2e {
namespace {

// The share of `keys` that the proxy sends to `version`, one request per key.
struct Split {
  std::set<std::string> canaryKeys;
  int failures = 0;
};

Split measureSplit(uint16_t port, const std::vector<std::string>& keys, const std::string& canaryVersion) {
  Split out;
  auto conn = std::make_unique<HttpConnection>(port);
  for (const auto& key : keys) {
    auto r = conn->request("GET", "/", {{"X-User-Id", key}});
    if (!r) {
      ++out.failures;
      conn = std::make_unique<HttpConnection>(port);
      continue;
    }
    if (r->status != 200) ++out.failures;
    const std::string* v = r->header("X-Version");
    if (v && *v == canaryVersion) out.canaryKeys.insert(key);
  }
  return out;
}

class CanaryTest : public RolloutTest {
 protected:
  // Waits until the status satisfies `done` (bounded), returns the last status.
  nlohmann::json waitStatus(const std::function<bool(const nlohmann::json&)>& done, std::chrono::seconds timeout) {
    nlohmann::json st;
    waitFor(
        [&] {
          st = daemon_->status("web");
          return !st.is_null() && done(st);
        },
        timeout);
    return st;
  }
};

TEST_F(CanaryTest, GoodCanaryGoesTenThirtySixtyHundredStickyAndLossless) {
  service_.replicas = 2;
  service_.strategy =
      "  strategy:\n"
      "    type: Canary\n"
      "    canary:\n"
      "      stickiness: {header: X-User-Id}\n"
      "      steps: [{setWeight: 10}, {pause: {}}, {setWeight: 30}, {pause: {}}, {setWeight: 60}, {pause: {}}]\n";
  ASSERT_EQ(apply(), 0);
  ASSERT_EQ(rolloutStatus(), 0) << daemon_->log();

  std::vector<std::string> keys;
  for (int i = 0; i < 1000; ++i) keys.push_back("user-" + std::to_string(i));
  LoadClient load(service_.port, 16, 1, 10ms, 180s);
  service_.version = "v2";
  ASSERT_EQ(apply(), 0);

  std::set<std::string> onCanary;
  std::string report = "canary share of 1000 sticky keys:";
  for (int weight : {10, 30, 60}) {
    auto st = waitStatus(
        [&](const nlohmann::json& s) { return s.value("canaryWeight", 0) == weight && s.value("phase", "") == "Paused"; },
        60s);
    ASSERT_EQ(st.value("canaryWeight", 0), weight) << st.dump(2) << daemon_->log();
    // `rollout status` says a person must act: exit 3.
    auto status = daemon_->run({"rollout", "status", "web", "--timeout", "10s"}, 30s);
    EXPECT_EQ(status.exitCode, 3) << status.out << status.err;
    auto split = measureSplit(service_.port, keys, "v2");
    EXPECT_EQ(split.failures, 0);
    double share = static_cast<double>(split.canaryKeys.size()) / keys.size();
    report += fmt::format(" {}%→{:.1f}%", weight, share * 100);
    EXPECT_NEAR(share, weight / 100.0, 0.03) << "at weight " << weight;
    for (const auto& k : onCanary) EXPECT_TRUE(split.canaryKeys.count(k)) << k << " went back to stable at " << weight;
    onCanary = split.canaryKeys;
    ASSERT_EQ(daemon_->run({"rollout", "promote", "web"}).exitCode, 0);
  }
  auto done = daemon_->run({"rollout", "status", "web", "--timeout", "60s"}, 90s);
  EXPECT_EQ(done.exitCode, 0) << done.out << done.err;
  EXPECT_TRUE(waitFor([&] { return allOn("v2"); }, 20s)) << daemon_->instances("web").dump(2);
  auto split = measureSplit(service_.port, keys, "v2");
  EXPECT_EQ(split.canaryKeys.size(), keys.size());
  load.stop();
  auto totals = load.totals();
  std::cout << report << "\nload: " << describe(totals) << std::endl;
  EXPECT_EQ(totals.failures(), 0u) << describe(totals);
}

struct AbortCase {
  std::string appFlag;
  std::string appValue;
  std::string metric;
};

void PrintTo(const AbortCase& c, std::ostream* os) { *os << c.appFlag << " " << c.appValue; }

class CanaryAbortTest : public CanaryTest, public ::testing::WithParamInterface<AbortCase> {};

// A bad canary (30 % errors) or a slow one (400 ms) at 10 % is aborted by analysis
// within interval × failureLimit + 2 s; the canary is gone; the webhook is called.
TEST_P(CanaryAbortTest, BadCanaryIsAbortedByAnalysis) {
  const AbortCase& c = GetParam();
  JsonPeer sink;  // receives notifications.webhooks
  service_.replicas = 2;
  service_.strategy =
      "  strategy:\n"
      "    type: Canary\n"
      "    canary:\n"
      "      steps: [{setWeight: 10}, {pause: {duration: 5m}}]\n";
  service_.extraSpec = "  analysis:\n"
                       "    interval: 1s\n"
                       "    failureLimit: 2\n"
                       "    minRequests: 10\n"
                       "    metrics:\n" +
                       c.metric +
                       "  notifications: {webhooks: [{url: \"http://127.0.0.1:" + std::to_string(sink.port()) +
                       "/hook\"}]}\n";
  ASSERT_EQ(apply(), 0);
  ASSERT_EQ(rolloutStatus(), 0) << daemon_->log();

  LoadClient load(service_.port, 16, 1, 5ms, 120s);
  service_.version = "v2";
  service_.appArgs = {c.appFlag, c.appValue};
  ASSERT_EQ(apply(), 0);
  auto weighted = waitStatus([](const nlohmann::json& s) { return s.value("canaryWeight", 0) == 10; }, 30s);
  ASSERT_EQ(weighted.value("canaryWeight", 0), 10) << weighted.dump(2);
  auto start = std::chrono::steady_clock::now();
  auto st = waitStatus([](const nlohmann::json& s) { return s.value("phase", "") == "Degraded"; }, 20s);
  double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ASSERT_EQ(st.value("phase", ""), "Degraded") << st.dump(2) << daemon_->log();
  // interval 1 s × failureLimit 2 + 2 s, plus the first window (it starts when the
  // canary takes traffic) and the test's polling.
  EXPECT_LT(took, 1 * 2 + 2 + 1 + 1.0) << st.dump(2);
  EXPECT_EQ(rolloutStatus("10s"), 1);
  EXPECT_TRUE(waitFor([&] { return allOn("v1"); }, 30s)) << daemon_->instances("web").dump(2);
  auto history = daemon_->run({"rollout", "history", "web"});
  EXPECT_NE(history.out.find("Failed"), std::string::npos) << history.out;
  ASSERT_TRUE(waitFor([&] { return !sink.bodies().empty(); }, 10s));
  auto hook = nlohmann::json::parse(sink.bodies().front(), nullptr, false);
  EXPECT_EQ(hook.value("service", ""), "web") << sink.bodies().front();
  EXPECT_EQ(hook.value("revision", 0), 2);
  EXPECT_FALSE(hook.value("reason", "").empty());
  EXPECT_TRUE(hook.contains("analysis") && hook["analysis"].is_object()) << sink.bodies().front();
  load.stop();
  auto totals = load.totals();
  std::cout << c.appFlag << " " << c.appValue << ": aborted " << fmt::format("{:.1f}", took)
            << " s after the canary took 10 %; clients saw: " << describe(totals) << "\nabort reason: "
            << st.value("abortReason", "") << std::endl;
  EXPECT_EQ(totals.socketErrors, 0u) << describe(totals);
}

INSTANTIATE_TEST_SUITE_P(
    Metrics, CanaryAbortTest,
    ::testing::Values(AbortCase{"--error-rate", "0.3", "      - {name: error-rate, successCondition: \"< 0.05\"}\n"},
                      AbortCase{"--latency", "400ms", "      - {name: latency-p99, successCondition: \"< 300ms\"}\n"}),
    [](const auto& p) { return p.param.appFlag == "--latency" ? std::string("Slow") : std::string("Errors"); });

TEST_F(CanaryTest, BlueGreenPreviewPromoteAndInstantUndo) {
  service_.replicas = 2;
  uint16_t previewPort = freePort();
  service_.strategy = "  strategy:\n"
                      "    type: BlueGreen\n"
                      "    blueGreen:\n"
                      "      scaleDownDelaySeconds: 60\n"
                      "      previewListen: 127.0.0.1:" +
                      std::to_string(previewPort) +
                      "\n"
                      "      previewRoute: {header: {name: X-Preview, value: \"1\"}}\n";
  ASSERT_EQ(apply(), 0);
  ASSERT_EQ(rolloutStatus(), 0) << daemon_->log();
  auto v1 = daemon_->instances("web");
  LoadClient load(service_.port, 16, 1, 5ms, 180s);

  service_.version = "v2";
  ASSERT_EQ(apply(), 0);
  auto st = waitStatus([](const nlohmann::json& s) { return s.value("phase", "") == "Paused"; }, 60s);
  ASSERT_EQ(st.value("phase", ""), "Paused") << st.dump(2) << daemon_->log();
  EXPECT_EQ(rolloutStatus("10s"), 3);
  // Before promotion: the public listener serves only v1, the preview only v2.
  for (int i = 0; i < 20; ++i) {
    auto pub = httpGet(service_.port, "/");
    ASSERT_TRUE(pub && pub->header("X-Version"));
    EXPECT_EQ(*pub->header("X-Version"), "v1");
    auto routed = httpGet(service_.port, "/", {{"X-Preview", "1"}});
    ASSERT_TRUE(routed && routed->header("X-Version"));
    EXPECT_EQ(*routed->header("X-Version"), "v2");
    auto preview = httpGet(previewPort, "/");
    ASSERT_TRUE(preview && preview->header("X-Version")) << daemon_->log();
    EXPECT_EQ(*preview->header("X-Version"), "v2");
  }
  ASSERT_EQ(daemon_->run({"rollout", "promote", "web"}).exitCode, 0);
  ASSERT_EQ(rolloutStatus("30s"), 0);
  ASSERT_TRUE(waitFor(
      [&] {
        auto r = httpGet(service_.port, "/");
        return r && r->header("X-Version") && *r->header("X-Version") == "v2";
      },
      5s));
  // Undo within scaleDownDelaySeconds: the v1 instances are still up: one swap.
  auto undoStart = std::chrono::steady_clock::now();
  ASSERT_EQ(daemon_->run({"rollout", "undo", "web"}).exitCode, 0);
  bool back = waitFor(
      [&] {
        auto r = httpGet(service_.port, "/");
        return r && r->header("X-Version") && *r->header("X-Version") == "v1";
      },
      10s);
  double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - undoStart).count();
  EXPECT_TRUE(back);
  EXPECT_LT(took, 3.0) << "undo within the delay must be a swap, not a rollout";
  std::set<int> before, after;
  for (const auto& i : v1) before.insert(i.value("pid", 0));
  for (const auto& i : daemon_->instances("web")) {
    if (i.value("version", "") == "v1") after.insert(i.value("pid", 0));
  }
  EXPECT_EQ(before, after) << "the same v1 processes serve again";
  load.stop();
  auto totals = load.totals();
  std::cout << "blue-green: undo took " << fmt::format("{:.2f}", took) << " s; load: " << describe(totals) << std::endl;
  EXPECT_EQ(totals.failures(), 0u) << describe(totals);
}

}  // namespace
}  // namespace rollway::e2e
