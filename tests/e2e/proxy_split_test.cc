// The data plane end to end for canary and blue-green: the snapshot shapes the
// controller sends (weights with a route match, a preview listener, a one-swap switch
// under load) and stickiness without the application's help (the proxy's own cookie).
#include <iostream>
#include <map>
#include <regex>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "proxy_fixture.h"
#include <nlohmann/json.hpp>

namespace rollway::e2e {
namespace {

struct Split {
  std::string stickyHeader;
  std::string stickyCookie;
  std::vector<proxy::RouteMatch> routes;
};

proxy::ServiceRoute weighted(std::vector<proxy::RevisionRoute> revisions, const Split& split = {}) {
  proxy::ServiceRoute service;
  service.name = "web";
  service.split = proxy::SplitMode::kWeights;
  service.stickyHeader = split.stickyHeader;
  service.stickyCookie = split.stickyCookie;
  service.routes = split.routes;
  service.holdTimeoutMs = 5000;
  service.revisions = std::move(revisions);
  return service;
}

RoutingSnapshot oneListener(const std::string& listen, proxy::ServiceRoute service) {
  RoutingSnapshot s;
  s.listeners.push_back({listen, {std::move(service)}});
  return s;
}

// The Set-Cookie values of a response (there may be several).
std::vector<std::string> setCookies(const std::optional<http::Response>& r) {
  std::vector<std::string> out;
  if (!r) return out;
  for (const auto& h : r->headers) {
    if (http::equalsIgnoreCase(h.name, "set-cookie")) out.push_back(h.value);
  }
  return out;
}

// The key of the proxy's sticky cookie `name`, checked for shape; "" when absent.
std::string stickyKey(const std::optional<http::Response>& r, const std::string& name) {
  static const std::regex kShape("([0-9a-f]{16}); Path=/; HttpOnly; SameSite=Lax");
  for (const auto& v : setCookies(r)) {
    if (!v.starts_with(name + "=")) continue;
    std::smatch m;
    std::string rest = v.substr(name.size() + 1);
    EXPECT_TRUE(std::regex_match(rest, m, kShape)) << v;
    return m.size() > 1 ? m[1].str() : rest;
  }
  return "";
}

constexpr const char* kCookie = "rollway-web";

// Blue-green preview: stable 100 / new 0, a route match forces the new revision.
TEST(ProxySplit, PreviewHeaderReachesOnlyTheNewRevision) {
  TempDir tmp;
  auto v1 = startUpstream(tmp, "v1");
  auto v2 = startUpstream(tmp, "v2");
  ProxyProcess proxy(tmp);
  proxy.apply(oneListener(proxy.listen(), weighted({revision(1, 100, false, {&v1}), revision(2, 0, true, {&v2})},
                                                   {"", "", {{"X-Preview", "", "1"}}})));
  HttpConnection c(proxy.port());
  std::map<std::string, int> plain, preview;
  for (int i = 0; i < 200; ++i) {
    auto r = c.request("GET", "/");
    ASSERT_TRUE(r && r->status == 200) << i << "\n" << proxy.log();
    ++plain[version(r)];
    auto p = c.request("GET", "/", {{"X-Preview", "1"}});
    ASSERT_TRUE(p && p->status == 200) << i << "\n" << proxy.log();
    ++preview[version(p)];
    EXPECT_TRUE(setCookies(r).empty() && setCookies(p).empty()) << "no sticky cookie configured";
  }
  EXPECT_EQ(plain["v1"], 200);
  EXPECT_EQ(preview["v2"], 200);
  // Another value of the header is no match.
  EXPECT_EQ(version(c.request("GET", "/", {{"X-Preview", "0"}})), "v1");
}

// Blue-green previewListen: a second listener whose service holds only the new revision,
// in the shapes the controller may send (endpoints split, or weights with one revision).
TEST(ProxySplit, PreviewListenerServesOnlyTheNewRevision) {
  TempDir tmp;
  auto v1 = startUpstream(tmp, "v1");
  auto v2 = startUpstream(tmp, "v2");
  ProxyProcess proxy(tmp);
  uint16_t previewPort = freePort();
  std::string previewListen = "127.0.0.1:" + std::to_string(previewPort);
  proxy::ServiceRoute previewEndpoints;
  previewEndpoints.name = "web";
  previewEndpoints.revisions = {revision(2, 0, false, {&v2})};
  for (const auto& preview : {previewEndpoints, weighted({revision(2, 100, true, {&v2})})}) {
    auto s = oneListener(proxy.listen(), weighted({revision(1, 100, false, {&v1}), revision(2, 0, true, {&v2})},
                                                  {"", kCookie, {{"X-Preview", "", "1"}}}));
    s.listeners.push_back({previewListen, {preview}});
    proxy.apply(s);
    ASSERT_TRUE(waitForPort(previewPort, 10s)) << proxy.log();
    HttpConnection mainConn(proxy.port());
    HttpConnection previewConn(previewPort);
    std::map<std::string, int> onMain, onPreview;
    for (int i = 0; i < 200; ++i) {
      ++onMain[version(mainConn.request("GET", "/"))];
      ++onPreview[version(previewConn.request("GET", "/"))];
    }
    EXPECT_EQ(onMain["v1"], 200) << proxy::splitModeName(preview.split);
    EXPECT_EQ(onPreview["v2"], 200) << proxy::splitModeName(preview.split);
  }
  // Promotion removes the preview listener: its port closes, the main one serves v2.
  proxy.apply(oneListener(proxy.listen(), weighted({revision(1, 0, false, {&v1}), revision(2, 100, true, {&v2})})));
  EXPECT_TRUE(waitFor([&] { return !HttpConnection(previewPort, 1s).connected(); }, 5s));
  EXPECT_EQ(version(httpGet(proxy.port(), "/")), "v2");
}

// The blue-green switch (and a canary's promotion) is one snapshot swap: 100/0 -> 0/100
// under wrk -c32 loses no request.
TEST(ProxySplit, SwapUnderLoadLosesNoRequest) {
  TempDir tmp;
  auto v1 = startUpstream(tmp, "v1");
  auto v1b = startUpstream(tmp, "v1");
  auto v2 = startUpstream(tmp, "v2");
  auto v2b = startUpstream(tmp, "v2");
  ProxyProcess proxy(tmp);
  Split split{"", kCookie, {{"X-Preview", "", "1"}}};
  auto before = oneListener(proxy.listen(), weighted({revision(1, 100, false, {&v1, &v1b}),
                                                      revision(2, 0, true, {&v2, &v2b})}, split));
  auto after = oneListener(proxy.listen(), weighted({revision(1, 0, false, {&v1, &v1b}),
                                                     revision(2, 100, true, {&v2, &v2b})}, split));
  proxy.apply(before);
  WrkResult load;
  std::thread wrk([&] { load = runWrk(proxy.port(), "/", 32, 5); });
  std::this_thread::sleep_for(2s);
  proxy.apply(after);
  wrk.join();
  expectNoFailedRequest(load);
  auto metrics = proxy.admin().call("GET", "/v1/metrics");
  ASSERT_TRUE(metrics);
  auto j = nlohmann::json::parse(metrics->body);
  auto served = [&](const char* rev) {
    const auto& r = j["services"]["web"]["revisions"][rev];
    return r.is_object() ? r["byClass"]["2xx"].get<uint64_t>() : 0;
  };
  std::cout << "[swap] " << load.requests << " requests, " << load.non2xx << " non-2xx, " << load.socketErrors
            << " socket errors; 2xx from revision 1: " << served("1") << ", from revision 2: " << served("2") << "\n";
  EXPECT_GT(served("1"), 0u);
  EXPECT_GT(served("2"), 0u);
  HttpConnection c(proxy.port());
  for (int i = 0; i < 50; ++i) EXPECT_EQ(version(c.request("GET", "/")), "v2");
}

// Stickiness without the application's help: a keyless request gets a key from the
// proxy, is routed by its hash and keeps its side through the cookie.
TEST(ProxySplit, ProxyAssignsTheStickyCookie) {
  TempDir tmp;
  auto stable = startUpstream(tmp, "stable");
  auto canary = startUpstream(tmp, "canary");
  ProxyProcess proxy(tmp);
  Split split{"X-User-Id", kCookie, {}};
  proxy.apply(oneListener(proxy.listen(), weighted({revision(1, 50, false, {&stable}),
                                                    revision(2, 50, true, {&canary})}, split)));
  // 400 fresh clients: each gets a cookie, stays on its side with it, about half each.
  std::map<std::string, int> sides;
  std::map<std::string, std::string> sideOf;  // key -> side at weight 50
  for (int i = 0; i < 400; ++i) {
    HttpConnection c(proxy.port());
    auto first = c.request("GET", "/healthz");
    ASSERT_TRUE(first && first->status == 200) << i << "\n" << proxy.log();
    std::string key = stickyKey(first, kCookie);
    ASSERT_FALSE(key.empty()) << "no sticky cookie on a keyless request";
    sideOf[key] = version(first);
    ++sides[version(first)];
    for (int k = 0; k < 3; ++k) {
      auto next = c.request("GET", "/healthz", {{"Cookie", "theme=dark; " + std::string(kCookie) + "=" + key}});
      ASSERT_TRUE(next) << i;
      ASSERT_EQ(version(next), version(first)) << "key " << key << " changed sides";
      ASSERT_TRUE(setCookies(next).empty()) << "a key the client sent is never replaced";
    }
  }
  std::cout << "[cookie] 400 fresh clients: stable " << sides["stable"] << ", canary " << sides["canary"] << "\n";
  EXPECT_EQ(sideOf.size(), 400u) << "assigned keys repeat";
  EXPECT_NEAR(sides["canary"], 200, 40);
  EXPECT_NEAR(sides["stable"], 200, 40);
  // A key in the sticky header: no cookie either.
  auto withHeader = httpGet(proxy.port(), "/healthz", {{"X-User-Id", "alice"}});
  ASSERT_TRUE(withHeader);
  EXPECT_TRUE(setCookies(withHeader).empty());

  // Raising the weight moves cookie holders only towards the canary.
  proxy.apply(oneListener(proxy.listen(), weighted({revision(1, 20, false, {&stable}),
                                                    revision(2, 80, true, {&canary})}, split)));
  HttpConnection c(proxy.port());
  int onCanary = 0;
  for (const auto& [key, was] : sideOf) {
    std::string now = version(c.request("GET", "/healthz", {{"Cookie", std::string(kCookie) + "=" + key}}));
    if (was == "canary") {
      EXPECT_EQ(now, "canary") << "key " << key << " went back to stable";
    }
    onCanary += now == "canary";
  }
  EXPECT_NEAR(onCanary, 320, 40);
}

// Only a sticky header: keyless requests split at random by weight, no cookie.
TEST(ProxySplit, HeaderOnlyStickinessSetsNoCookie) {
  TempDir tmp;
  auto stable = startUpstream(tmp, "stable");
  auto canary = startUpstream(tmp, "canary");
  ProxyProcess proxy(tmp);
  proxy.apply(oneListener(proxy.listen(), weighted({revision(1, 50, false, {&stable}),
                                                    revision(2, 50, true, {&canary})}, {"X-User-Id", "", {}})));
  HttpConnection c(proxy.port());
  std::map<std::string, int> sides;
  for (int i = 0; i < 400; ++i) {
    auto r = c.request("GET", "/healthz");
    ASSERT_TRUE(r && r->status == 200) << i;
    EXPECT_TRUE(setCookies(r).empty());
    ++sides[version(r)];
  }
  EXPECT_NEAR(sides["canary"], 200, 40);
}

// A canary attempt that fails is retried on stable; the cookie still records the key
// (not the side), so the next request hashes the same way and is retried the same way.
TEST(ProxySplit, RetriedOnStableTheCookieKeepsTheKey) {
  TempDir tmp;
  auto stable = startUpstream(tmp, "stable");
  Upstream dead{freePort(), nullptr};  // nothing listens there
  ProxyProcess proxy(tmp);
  proxy.apply(oneListener(proxy.listen(), weighted({revision(1, 0, false, {&stable}),
                                                    revision(2, 100, true, {&dead})}, {"", kCookie, {}})));
  HttpConnection c(proxy.port());
  auto first = c.request("GET", "/");
  ASSERT_TRUE(first && first->status == 200) << proxy.log();
  EXPECT_EQ(version(first), "stable");
  std::string key = stickyKey(first, kCookie);
  ASSERT_FALSE(key.empty());
  for (int i = 0; i < 20; ++i) {
    auto next = c.request("GET", "/", {{"Cookie", std::string(kCookie) + "=" + key}});
    ASSERT_TRUE(next && next->status == 200) << i;
    EXPECT_EQ(version(next), "stable");
    EXPECT_TRUE(setCookies(next).empty());
  }
}

}  // namespace
}  // namespace rollway::e2e
