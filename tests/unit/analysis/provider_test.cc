// The Prometheus and webhook providers against a tiny HTTP server on 127.0.0.1.
#include <mutex>

#include <gtest/gtest.h>

#include "rollway/analysis/notify.h"
#include "rollway/analysis/provider.h"
#include "rollway/net/json_reply.h"
#include "rollway/net/server.h"

namespace rollway::analysis {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

// Answers every request with `reply` and keeps the last request it saw.
class StubHttpServer {
 public:
  StubHttpServer() {
    net::ServerOptions o;
    o.tcp = net::Endpoint{net::Endpoint::Kind::kTcp, "", "127.0.0.1", 0};
    o.openTcp = true;
    auto server = net::Server::start(std::move(o), [this](http::Request request, net::Responder respond) {
      std::lock_guard lock(mutex_);
      last_ = request;
      ++calls_;
      if (silent_) {
        held_.push_back(std::move(respond));  // never answered: the client times out
        return;
      }
      respond(reply_);
    });
    EXPECT_TRUE(server) << server.error().message;
    if (server) server_ = std::move(*server);
  }
  ~StubHttpServer() {
    if (server_) server_->stop();
  }

  std::string url(const std::string& path = "") const {
    return "http://127.0.0.1:" + std::to_string(server_ ? server_->tcpPort() : 0) + path;
  }
  void answer(int status, const std::string& body) {
    std::lock_guard lock(mutex_);
    reply_ = http::Response{};
    reply_.status = status;
    reply_.headers.push_back({"Content-Type", "application/json"});
    reply_.body = body;
  }
  void answerJson(const json& body) { answer(200, body.dump()); }
  void goSilent() {
    std::lock_guard lock(mutex_);
    silent_ = true;
  }
  http::Request last() {
    std::lock_guard lock(mutex_);
    return last_;
  }
  int calls() {
    std::lock_guard lock(mutex_);
    return calls_;
  }

 private:
  std::mutex mutex_;
  http::Response reply_;
  http::Request last_;
  int calls_ = 0;
  bool silent_ = false;
  std::vector<net::Responder> held_;
  std::unique_ptr<net::Server> server_;
};

WindowInput someWindow() {
  WindowInput in;
  in.service = "web";
  in.canaryRevision = 7;
  in.stableRevision = 6;
  in.canary.requests = 120;
  in.canary.errorRate = 0.25;
  in.canary.successRate = 0.75;
  in.canary.p99 = 0.4;
  return in;
}

spec::Metric promMetric(const std::string& address, const std::string& query) {
  spec::Metric m;
  m.name = "prom";
  m.provider = spec::MetricProvider::kPrometheus;
  m.successCondition = "< 0.01";
  m.prometheusAddress = address;
  m.query = query;
  return m;
}

spec::Metric hookMetric(const std::string& url) {
  spec::Metric m;
  m.name = "external";
  m.provider = spec::MetricProvider::kWebhook;
  m.successCondition = "== 1";
  m.url = url;
  return m;
}

json vectorOf(std::vector<std::string> values) {
  json result = json::array();
  for (const auto& v : values) result.push_back({{"metric", json::object()}, {"value", {1700000000.5, v}}});
  return {{"status", "success"}, {"data", {{"resultType", "vector"}, {"result", result}}}};
}

TEST(PrometheusProvider, QueriesAndReadsTheFirstSample) {
  StubHttpServer prom;
  prom.answerJson(vectorOf({"0.125", "9"}));
  auto provider = makePrometheusProvider();
  const std::string query = "sum(rate(rollway_requests_total{service=\"{{service}}\",revision=\"{{canaryRevision}}\","
                            "code=\"5xx\"}[1m])) / {{stableRevision}}";
  auto v = provider->fetch(promMetric(prom.url(), query), someWindow());
  ASSERT_TRUE(v) << v.error().message;
  ASSERT_TRUE(*v);
  EXPECT_DOUBLE_EQ(**v, 0.125);
  http::Request seen = prom.last();
  EXPECT_EQ(seen.method, "GET");
  EXPECT_EQ(seen.path(), "/api/v1/query");
  EXPECT_EQ(seen.queryParam("query"),
            "sum(rate(rollway_requests_total{service=\"web\",revision=\"7\",code=\"5xx\"}[1m])) / 6");
}

TEST(PrometheusProvider, ScalarResultAndAddressWithAPathPrefix) {
  StubHttpServer prom;
  prom.answerJson({{"status", "success"}, {"data", {{"resultType", "scalar"}, {"result", {1700000000, "42"}}}}});
  auto v = makePrometheusProvider()->fetch(promMetric(prom.url("/prom/"), "scalar(1)"), someWindow());
  ASSERT_TRUE(v) << v.error().message;
  EXPECT_EQ(*v, 42.0);
  EXPECT_EQ(prom.last().path(), "/prom/api/v1/query");
}

TEST(PrometheusProvider, EmptyResultOrNaNIsNoData) {
  StubHttpServer prom;
  auto provider = makePrometheusProvider();
  prom.answerJson(vectorOf({}));
  auto empty = provider->fetch(promMetric(prom.url(), "up"), someWindow());
  ASSERT_TRUE(empty) << empty.error().message;
  EXPECT_FALSE(*empty);
  prom.answerJson(vectorOf({"NaN"}));
  auto nan = provider->fetch(promMetric(prom.url(), "up"), someWindow());
  ASSERT_TRUE(nan) << nan.error().message;
  EXPECT_FALSE(*nan);
}

TEST(PrometheusProvider, BadAnswersAreErrors) {
  StubHttpServer prom;
  auto provider = makePrometheusProvider();
  auto errorFor = [&](int status, const std::string& body) {
    prom.answer(status, body);
    auto r = provider->fetch(promMetric(prom.url(), "up"), someWindow());
    EXPECT_FALSE(r) << body;
    return r ? std::string() : r.error().message;
  };
  EXPECT_NE(errorFor(400, R"({"status":"error","errorType":"bad_data","error":"parse error at char 3"})")
                .find("Prometheus rejected 'up': bad_data: parse error at char 3"),
            std::string::npos);
  EXPECT_NE(errorFor(200, R"({"status":"success","data":{"resultType":"matrix","result":[]}})").find("matrix result"),
            std::string::npos);
  EXPECT_NE(errorFor(200, "<html>").find("answered HTTP 200 that is not a JSON object: <html>"), std::string::npos);
  EXPECT_NE(errorFor(503, "").find("answered HTTP 503 that is not a JSON object"), std::string::npos);
  EXPECT_NE(errorFor(200, vectorOf({"+Inf"}).dump()).find("+Inf"), std::string::npos);
  EXPECT_NE(errorFor(200, vectorOf({"abc"}).dump()).find("not a number: 'abc'"), std::string::npos);
  EXPECT_NE(errorFor(200, R"({"status":"success","data":{"resultType":"vector","result":[{"value":5}]}})")
                .find("malformed sample"),
            std::string::npos);
  EXPECT_NE(errorFor(200, R"({"status":7})").find("unexpected answer"), std::string::npos);
  EXPECT_NE(errorFor(200, R"({"status":"success","data":{"resultType":7,"result":[]}})").find("unexpected answer"),
            std::string::npos);
}

TEST(PrometheusProvider, UnreachableHttpsAndTimeoutsAreErrors) {
  auto provider = makePrometheusProvider(300ms);
  // https goes through the same client (the TLS handshake itself: e2e https_provider_test).
  auto https = provider->fetch(promMetric("https://127.0.0.1:1", "up"), someWindow());
  ASSERT_FALSE(https);
  EXPECT_EQ(https.error().message, "cannot reach Prometheus at 127.0.0.1:1: connection refused");

  auto refused = provider->fetch(promMetric("http://127.0.0.1:1", "up"), someWindow());
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().message, "cannot reach Prometheus at 127.0.0.1:1: connection refused");

  StubHttpServer silent;
  silent.goSilent();
  auto start = std::chrono::steady_clock::now();
  auto slow = provider->fetch(promMetric(silent.url(), "up"), someWindow());
  ASSERT_FALSE(slow);
  EXPECT_EQ(slow.error().code, ErrorCode::kTimeout);
  EXPECT_NE(slow.error().message.find("Prometheus at 127.0.0.1:"), std::string::npos) << slow.error().message;
  EXPECT_LT(std::chrono::steady_clock::now() - start, 3s);
}

TEST(WebhookProvider, PostsTheWindowAndReadsAValue) {
  StubHttpServer hook;
  hook.answerJson({{"value", 3.5}});
  auto provider = makeWebhookProvider();
  WindowInput in = someWindow();
  auto v = provider->fetch(hookMetric(hook.url("/verify?key=1")), in);
  ASSERT_TRUE(v) << v.error().message;
  EXPECT_EQ(*v, 3.5);
  http::Request seen = hook.last();
  EXPECT_EQ(seen.method, "POST");
  EXPECT_EQ(seen.target, "/verify?key=1");
  ASSERT_NE(seen.header("Content-Type"), nullptr);
  EXPECT_EQ(*seen.header("Content-Type"), "application/json");
  json body = json::parse(seen.body);
  EXPECT_EQ(body["service"], "web");
  EXPECT_EQ(body["canaryRevision"], 7);
  EXPECT_EQ(body["stableRevision"], 6);
  EXPECT_EQ(body["metric"], "external");
  EXPECT_EQ(body["canary"]["requests"], 120);
  EXPECT_EQ(body["canary"]["errorRate"], 0.25);
  EXPECT_TRUE(body["stable"].is_null());
}

TEST(WebhookProvider, VerdictsMapToOneZeroOrNoData) {
  StubHttpServer hook;
  auto provider = makeWebhookProvider();
  auto fetchWith = [&](const json& reply) {
    hook.answerJson(reply);
    return provider->fetch(hookMetric(hook.url()), someWindow());
  };
  auto valueWith = [&](const json& reply) {
    auto r = fetchWith(reply);
    EXPECT_TRUE(r) << reply.dump() << ": " << r.error().message;
    return r ? *r : std::optional<double>(-1.0);
  };
  EXPECT_EQ(valueWith({{"verdict", "pass"}}), std::optional<double>(1.0));
  EXPECT_EQ(valueWith({{"verdict", "fail"}}), std::optional<double>(0.0));
  EXPECT_EQ(valueWith({{"verdict", "inconclusive"}}), std::optional<double>());
  EXPECT_EQ(valueWith({{"value", nullptr}}), std::optional<double>());
  auto maybe = fetchWith({{"verdict", "maybe"}});
  ASSERT_FALSE(maybe);
  EXPECT_NE(maybe.error().message.find("expected {\"value\": number}"), std::string::npos) << maybe.error().message;
  EXPECT_FALSE(fetchWith({{"value", "high"}}));
  EXPECT_FALSE(fetchWith(json::array({1})));
}

TEST(WebhookProvider, HttpErrorsAreErrors) {
  StubHttpServer hook;
  auto provider = makeWebhookProvider(300ms);
  hook.answer(500, "boom");
  auto r = provider->fetch(hookMetric(hook.url()), someWindow());
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("answered HTTP 500 that is not a JSON object: boom"), std::string::npos) << r.error().message;
  hook.answer(200, "not json");
  EXPECT_FALSE(provider->fetch(hookMetric(hook.url()), someWindow()));
  auto https = provider->fetch(hookMetric("https://127.0.0.1:1/verify"), someWindow());
  ASSERT_FALSE(https);
  EXPECT_EQ(https.error().message, "cannot reach webhook at 127.0.0.1:1: connection refused");
  auto refused = provider->fetch(hookMetric("http://127.0.0.1:1/x"), someWindow());
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().message, "cannot reach webhook at 127.0.0.1:1: connection refused");
  hook.goSilent();
  auto slow = provider->fetch(hookMetric(hook.url()), someWindow());
  ASSERT_FALSE(slow);
  EXPECT_EQ(slow.error().code, ErrorCode::kTimeout);
}

}  // namespace
}  // namespace rollway::analysis

namespace rollway::analysis {
namespace {

TEST(PostNotification, PostsTheBodyAndReportsFailures) {
  StubHttpServer hook;
  hook.answerJson({{"ok", true}});
  auto sent = postNotification(hook.url("/hook?x=1"), {{"service", "web"}, {"reason", "aborted"}});
  ASSERT_TRUE(sent) << sent.error().message;
  EXPECT_EQ(hook.last().method, "POST");
  EXPECT_EQ(hook.last().target, "/hook?x=1");
  EXPECT_EQ(json::parse(hook.last().body)["reason"], "aborted");

  hook.answer(500, "{}");
  auto refused = postNotification(hook.url("/hook"), json::object());
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("500"), std::string::npos) << refused.error().message;
  EXPECT_FALSE(postNotification("ftp://example.com/hook", json::object()));
}

}  // namespace
}  // namespace rollway::analysis
