// The data plane end to end: `rollway proxy` in front of real demo-app instances.
#include <signal.h>

#include <iostream>
#include <sstream>
#include <map>
#include <set>
#include <thread>

#include <gtest/gtest.h>

#include "proxy_fixture.h"
#include <nlohmann/json.hpp>

namespace rollway::e2e {
namespace {

RoutingSnapshot oneService(const std::string& listen, std::vector<proxy::RevisionRoute> revisions,
                           proxy::SplitMode split = proxy::SplitMode::kEndpoints) {
  RoutingSnapshot s;
  proxy::ServiceRoute service;
  service.name = "web";
  service.split = split;
  service.stickyHeader = "X-User-Id";
  service.stickyCookie = "session";
  service.routes.push_back({"X-Canary", "", "always"});
  service.holdTimeoutMs = 5000;
  service.revisions = std::move(revisions);
  s.listeners.push_back({listen, {service}});
  return s;
}

TEST(Proxy, KeepAliveBalancesAndRewritesHeaders) {
  TempDir tmp;
  auto a = startUpstream(tmp, "a");
  auto b = startUpstream(tmp, "b");
  ProxyProcess proxy(tmp);
  proxy.apply(oneService(proxy.listen(), {revision(1, 100, false, {&a, &b})}));

  HttpConnection c(proxy.port());
  std::map<std::string, int> seen;
  for (int i = 0; i < 200; ++i) {
    auto r = c.request("GET", "/", {{"Connection", "X-Secret"}, {"X-Secret", "1"}, {"X-Forwarded-For", "10.9.8.7"}});
    ASSERT_TRUE(r) << "request " << i << " failed on the kept-alive connection\n" << proxy.log();
    ASSERT_EQ(r->status, 200);
    ++seen[version(r)];
    if (i == 0) {
      EXPECT_EQ(r->body.find("X-Secret"), std::string::npos) << "hop-by-hop header leaked:\n" << r->body;
      EXPECT_NE(r->body.find("X-Forwarded-For: 10.9.8.7, 127.0.0.1"), std::string::npos) << r->body;
      EXPECT_NE(r->body.find("X-Forwarded-Proto: http"), std::string::npos) << r->body;
    }
  }
  EXPECT_GT(seen["a"], 40);
  EXPECT_GT(seen["b"], 40);
}

TEST(Proxy, PipelinedRequestsAnsweredInOrder) {
  TempDir tmp;
  auto a = startUpstream(tmp, "a");
  ProxyProcess proxy(tmp);
  proxy.apply(oneService(proxy.listen(), {revision(1, 100, false, {&a})}));
  HttpConnection c(proxy.port());
  std::string batch;
  for (int code : {201, 202, 203, 204, 205}) {
    batch += "GET /status?code=" + std::to_string(code) + " HTTP/1.1\r\nHost: x\r\n\r\n";
  }
  batch += "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n";
  ASSERT_TRUE(c.sendRaw(batch));
  for (int code : {201, 202, 203, 204, 205}) {
    auto r = c.readResponse();
    ASSERT_TRUE(r) << "no answer for " << code << "\n" << proxy.log();
    EXPECT_EQ(r->status, code);
  }
  auto echo = c.readResponse("POST");
  ASSERT_TRUE(echo);
  EXPECT_EQ(echo->body, "hello world");
}

TEST(Proxy, WeightedSplitWithinTwoPercent) {
  TempDir tmp;
  auto stable = startUpstream(tmp, "stable");
  auto canary = startUpstream(tmp, "canary");
  ProxyProcess proxy(tmp);
  proxy.apply(oneService(proxy.listen(), {revision(1, 70, false, {&stable}), revision(2, 30, true, {&canary})},
                         proxy::SplitMode::kWeights));
  int canaryCount = 0;
  const int total = 20000;
  std::vector<std::unique_ptr<HttpConnection>> conns;
  for (int i = 0; i < 4; ++i) conns.push_back(std::make_unique<HttpConnection>(proxy.port()));
  for (int i = 0; i < total; ++i) {
    auto r = conns[static_cast<size_t>(i % 4)]->request("GET", "/healthz");
    ASSERT_TRUE(r && r->status == 200) << i;
    canaryCount += version(r) == "canary";
  }
  double share = 100.0 * canaryCount / total;
  EXPECT_NEAR(share, 30.0, 2.0) << canaryCount << " of " << total;
}

TEST(Proxy, StickyKeysOnlyMoveTowardsTheCanary) {
  TempDir tmp;
  auto stable = startUpstream(tmp, "stable");
  auto canary = startUpstream(tmp, "canary");
  ProxyProcess proxy(tmp);
  std::map<int, std::string> side;  // key -> last revision seen
  std::unique_ptr<HttpConnection> conn;
  for (int weight : {10, 30, 60}) {
    proxy.apply(oneService(proxy.listen(),
                           {revision(1, 100 - weight, false, {&stable}), revision(2, weight, true, {&canary})},
                           proxy::SplitMode::kWeights));
    if (!conn) conn = std::make_unique<HttpConnection>(proxy.port());
    HttpConnection& c = *conn;
    int onCanary = 0;
    for (int key = 0; key < 1000; ++key) {
      std::string id = "user-" + std::to_string(key);
      auto first = c.request("GET", "/healthz", {{"X-User-Id", id}});
      auto second = c.request("GET", "/healthz", {{"X-User-Id", id}});
      ASSERT_TRUE(first && second);
      ASSERT_EQ(version(first), version(second)) << id << " is not sticky at weight " << weight;
      if (side.count(key) && side[key] == "canary") {
        ASSERT_EQ(version(first), "canary") << id << " went back to stable at weight " << weight;
      }
      side[key] = version(first);
      onCanary += version(first) == "canary";
    }
    EXPECT_NEAR(onCanary / 10.0, weight, 3.0) << "weight " << weight;
  }
  // The cookie works as the key too, and a route match forces the canary.
  proxy.apply(oneService(proxy.listen(), {revision(1, 100, false, {&stable}), revision(2, 0, true, {&canary})},
                         proxy::SplitMode::kWeights));
  HttpConnection& c = *conn;
  for (int i = 0; i < 20; ++i) {
    EXPECT_EQ(version(c.request("GET", "/", {{"X-Canary", "always"}})), "canary");
    EXPECT_EQ(version(c.request("GET", "/", {{"Cookie", "a=b; session=user-" + std::to_string(i)}})), "stable");
  }
}

TEST(Proxy, HoldsRequestsUntilAnEndpointIsReady) {
  TempDir tmp;
  auto a = startUpstream(tmp, "a");
  ProxyProcess proxy(tmp);
  proxy.apply(oneService(proxy.listen(), {revision(1, 100, false, {})}));
  std::optional<http::Response> held;
  std::thread client([&] { held = httpGet(proxy.port(), "/"); });
  std::this_thread::sleep_for(800ms);
  proxy.apply(oneService(proxy.listen(), {revision(1, 100, false, {&a})}));
  client.join();
  ASSERT_TRUE(held) << proxy.log();
  EXPECT_EQ(held->status, 200);
  auto metrics = proxy.admin().call("GET", "/v1/metrics");
  ASSERT_TRUE(metrics);
  EXPECT_NE(metrics->body.find("\"held\":1"), std::string::npos) << metrics->body;
}

TEST(Proxy, ServesTheLastSnapshotAfterARestart) {
  TempDir tmp;
  auto a = startUpstream(tmp, "a");
  uint16_t port = 0;
  {
    ProxyProcess proxy(tmp);
    port = proxy.port();
    proxy.apply(oneService(proxy.listen(), {revision(1, 100, false, {&a})}));
    ASSERT_EQ(httpGet(port, "/")->status, 200);
    proxy.process().signal(SIGTERM);
    EXPECT_EQ(proxy.process().wait(10s), 0) << proxy.log();
  }
  // No control plane, no --routes: the state file is enough.
  Process again({binary("rollway"), "proxy", "--data-dir", tmp / "proxy", "--log-level", "warn"}, tmp / "proxy2.log");
  ASSERT_TRUE(waitForPort(port, 10s)) << readFile(tmp / "proxy2.log");
  auto r = httpGet(port, "/");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
}

TEST(Proxy, DrainingEndpointFinishesInFlightAndGetsNoNewRequests) {
  TempDir tmp;
  auto a = startUpstream(tmp, "a");
  auto b = startUpstream(tmp, "b");
  ProxyProcess proxy(tmp);
  auto both = oneService(proxy.listen(), {revision(1, 100, false, {&a, &b})});
  proxy.apply(both);
  // A slow request on a; then a goes draining.
  auto bOnly = both;
  bOnly.listeners[0].services[0].revisions[0].endpoints[0].state = EndpointState::kDraining;
  std::optional<http::Response> slow;
  std::thread t([&] {
    // Pin to a by trying until the slow request lands there (keys are random): use a
    // direct snapshot with only a first.
    slow = httpGet(proxy.port(), "/sleep?ms=1500");
  });
  std::this_thread::sleep_for(300ms);
  proxy.apply(bOnly);
  auto inflight = proxy.admin().call("GET", "/v1/endpoints");
  ASSERT_TRUE(inflight);
  for (int i = 0; i < 50; ++i) EXPECT_EQ(version(httpGet(proxy.port(), "/")), "b");
  t.join();
  ASSERT_TRUE(slow);
  EXPECT_EQ(slow->status, 200);
  EXPECT_NE(inflight->body.find("\"inFlight\":1"), std::string::npos) << inflight->body;
}

// The --metrics endpoint speaks the Prometheus text format: promtool (Debian's
// prometheus package, installed by scripts/install-deps.sh) accepts it.
TEST(Proxy, PrometheusMetricsPassPromtool) {
  TempDir tmp;
  auto a = startUpstream(tmp, "a");
  uint16_t metricsPort = freePort();
  ProxyProcess proxy(tmp, {"--metrics", "127.0.0.1:" + std::to_string(metricsPort)});
  proxy.apply(oneService(proxy.listen(), {revision(1, 100, false, {&a})}));
  for (int i = 0; i < 20; ++i) ASSERT_EQ(httpGet(proxy.port(), "/")->status, 200);
  ASSERT_EQ(httpGet(proxy.port(), "/status?code=503")->status, 503);
  auto page = httpGet(metricsPort, "/metrics");
  ASSERT_TRUE(page);
  ASSERT_EQ(page->status, 200);
  EXPECT_NE(page->body.find("rollway_requests_total{service=\"web\",revision=\"1\",code=\"2xx\"} 20"),
            std::string::npos)
      << page->body.substr(0, 2000);
  EXPECT_NE(page->body.find("rollway_request_duration_seconds_count{service=\"web\",revision=\"1\"} 21"),
            std::string::npos);
  writeFile(tmp / "metrics.txt", page->body);
  auto check = run({"/bin/sh", "-c", "/usr/bin/promtool check metrics < " + (tmp / "metrics.txt")});
  EXPECT_EQ(check.exitCode, 0) << check.out << check.err;
}

// A canary whose endpoint refuses connections: every request that the split sends
// there is retried on the stable revision; clients see no error.
TEST(Proxy, FailedCanaryRequestsAreRetriedOnStable) {
  TempDir tmp;
  auto stable = startUpstream(tmp, "stable");
  Upstream dead{freePort(), nullptr};  // nothing listens there
  ProxyProcess proxy(tmp);
  proxy.apply(oneService(proxy.listen(), {revision(1, 50, false, {&stable}), revision(2, 50, true, {&dead})},
                         proxy::SplitMode::kWeights));
  HttpConnection c(proxy.port());
  for (int i = 0; i < 200; ++i) {
    auto r = c.request("GET", "/", {{"X-User-Id", "user-" + std::to_string(i)}});
    ASSERT_TRUE(r) << i;
    ASSERT_EQ(r->status, 200) << i;
    EXPECT_EQ(version(r), "stable");
  }
  auto metrics = proxy.admin().call("GET", "/v1/metrics");
  ASSERT_TRUE(metrics);
  auto j = nlohmann::json::parse(metrics->body);
  EXPECT_GT(j["services"]["web"]["revisions"]["1"]["retries"].get<int>(), 0) << metrics->body.substr(0, 800);
}

// SIGTERM: the listener closes, a request in flight still gets its answer, the process
// exits 0.
TEST(Proxy, SigtermFinishesInFlightRequests) {
  TempDir tmp;
  auto a = startUpstream(tmp, "a");
  ProxyProcess proxy(tmp);
  proxy.apply(oneService(proxy.listen(), {revision(1, 100, false, {&a})}));
  std::optional<http::Response> slow;
  std::thread t([&] { slow = httpGet(proxy.port(), "/sleep?ms=1000"); });
  std::this_thread::sleep_for(300ms);
  proxy.process().signal(SIGTERM);
  t.join();
  ASSERT_TRUE(slow) << proxy.log();
  EXPECT_EQ(slow->status, 200);
  EXPECT_EQ(proxy.process().wait(10s), 0) << proxy.log();
  EXPECT_FALSE(HttpConnection(proxy.port()).connected());
}

// --routes FILE: SIGHUP re-reads it; a kept-alive client connection survives the swap,
// and a broken file keeps the current routes.
TEST(Proxy, SighupReloadsTheRoutesFile) {
  TempDir tmp;
  auto a = startUpstream(tmp, "a");
  auto b = startUpstream(tmp, "b");
  uint16_t port = freePort();
  std::string listen = "127.0.0.1:" + std::to_string(port);
  std::string routes = tmp / "routes.json";
  writeFile(routes, proxy::toJson(oneService(listen, {revision(1, 100, false, {&a})})).dump());
  Process p({binary("rollway"), "proxy", "--routes", routes, "--log-level", "info"}, tmp / "proxy.log");
  ASSERT_TRUE(waitForPort(port, 10s)) << p.log();
  HttpConnection c(port);
  EXPECT_EQ(version(c.request("GET", "/")), "a");
  writeFile(routes, proxy::toJson(oneService(listen, {revision(2, 100, false, {&b})})).dump());
  p.signal(SIGHUP);
  EXPECT_TRUE(waitFor([&] { return version(c.request("GET", "/")) == "b"; }, 5s)) << p.log();
  writeFile(routes, "{not json");
  p.signal(SIGHUP);
  EXPECT_TRUE(waitFor([&] { return p.log().find("keeping the current routes") != std::string::npos; }, 5s));
  EXPECT_EQ(version(c.request("GET", "/")), "b");
}

TEST(Proxy, AccessLogWritesOneJsonLinePerRequest) {
  TempDir tmp;
  auto a = startUpstream(tmp, "a");
  ProxyProcess proxy(tmp, {"--access-log", tmp / "access.log"});
  proxy.apply(oneService(proxy.listen(), {revision(7, 100, false, {&a})}));
  for (const char* path : {"/", "/status?code=404", "/a\"quote"}) ASSERT_TRUE(httpGet(proxy.port(), path));
  std::vector<nlohmann::json> lines;
  ASSERT_TRUE(waitFor(
      [&] {
        lines.clear();
        std::istringstream in(readFile(tmp / "access.log"));
        for (std::string line; std::getline(in, line);) lines.push_back(nlohmann::json::parse(line, nullptr, false));
        return lines.size() >= 3;
      },
      5s));
  ASSERT_EQ(lines.size(), 3u);
  for (const auto& l : lines) ASSERT_FALSE(l.is_discarded());
  EXPECT_EQ(lines[0]["status"], 200);
  EXPECT_EQ(lines[0]["service"], "web");
  EXPECT_EQ(lines[0]["revision"], 7);
  EXPECT_EQ(lines[0]["endpoint"], a.address());
  EXPECT_EQ(lines[1]["status"], 404);
  EXPECT_EQ(lines[2]["target"], "/a\"quote");
}

// Under wrk load: an endpoint goes draining, another is SIGKILLed while others are
// ready, and the snapshot is swapped 20 times: no client may see an error.
TEST(Proxy, NoErrorsUnderLoadWhileEndpointsChange) {
  TempDir tmp;
  auto a = startUpstream(tmp, "a");
  auto b = startUpstream(tmp, "b");
  auto c = startUpstream(tmp, "c");
  ProxyProcess proxy(tmp);
  auto all = oneService(proxy.listen(), {revision(1, 100, false, {&a, &b, &c})});
  proxy.apply(all);
  WrkResult load;
  std::thread wrk([&] { load = runWrk(proxy.port(), "/", 64, 8); });
  std::this_thread::sleep_for(1s);
  // 1. a drains.
  auto drained = all;
  drained.listeners[0].services[0].revisions[0].endpoints[0].state = EndpointState::kDraining;
  proxy.apply(drained);
  std::this_thread::sleep_for(1s);
  // 2. 20 swaps between {a, c}, {c} and {b, c}.
  auto ac = oneService(proxy.listen(), {revision(1, 100, false, {&a, &c})});
  auto cOnly = oneService(proxy.listen(), {revision(1, 100, false, {&c})});
  auto bc = oneService(proxy.listen(), {revision(1, 100, false, {&b, &c})});
  for (int i = 0; i < 20; ++i) {
    proxy.apply(i % 3 == 0 ? cOnly : i % 3 == 1 ? ac : bc);
    std::this_thread::sleep_for(150ms);
  }
  wrk.join();
  expectNoFailedRequest(load);
}

// An endpoint killed while the snapshot still lists it: the requests it had in flight
// may have run, so they are not replayed (issue 10: only a request the upstream provably
// did not process is retried) and may fail; every later request goes elsewhere (refused
// connects are retried, the endpoint is ejected). So: no socket error, and at most the
// load's concurrency in failures. (Killing it inside the test above made that test
// flaky: 1 of 225 230 requests, on a fresh connection, was in flight at the kill.)
TEST(Proxy, KilledEndpointLosesAtMostItsInFlightRequests) {
  TempDir tmp;
  auto b = startUpstream(tmp, "b");
  auto c = startUpstream(tmp, "c");
  ProxyProcess proxy(tmp);
  proxy.apply(oneService(proxy.listen(), {revision(1, 100, false, {&b, &c})}));
  WrkResult load;
  std::thread wrk([&] { load = runWrk(proxy.port(), "/", 64, 5); });
  std::this_thread::sleep_for(1500ms);
  b.process->signal(SIGKILL);
  wrk.join();
  ASSERT_TRUE(load.ran) << load.output;
  EXPECT_GT(load.requests, 1000u) << load.output;
  EXPECT_EQ(load.socketErrors, 0u) << load.output;
  EXPECT_LE(load.non2xx, 64u) << load.output;
  auto metrics = proxy.admin().call("GET", "/v1/metrics");
  std::cout << "[load] " << load.requests << " requests, " << load.non2xx << " non-2xx after the kill; metrics: "
            << (metrics ? metrics->body.substr(0, 400) : std::string("?")) << "\n";
}

}  // namespace
}  // namespace rollway::e2e
