#include "rollway/proxy/snapshot_json.h"

#include <gtest/gtest.h>

namespace rollway::proxy {
namespace {

RoutingSnapshot sample() {
  RoutingSnapshot s;
  s.version = 7;
  ServiceRoute web;
  web.name = "web";
  web.hosts = {"web.local"};
  web.split = SplitMode::kWeights;
  web.stickyHeader = "X-User-Id";
  web.stickyCookie = "session";
  web.routes = {{"X-Canary", "", "always"}};
  web.revisions.push_back({1, 90, false, {{"web-1-a", "127.0.0.1:9001", EndpointState::kReady}}});
  web.revisions.push_back({2, 10, true, {{"web-2-b", "127.0.0.1:9002", EndpointState::kDraining}}});
  ServiceRoute api;
  api.name = "api";
  api.hosts = {"api.local"};
  api.revisions.push_back({4, 0, false, {{"api-4-c", "127.0.0.1:9003", EndpointState::kReady}}});
  s.listeners.push_back({"127.0.0.1:8080", {web, api}});
  return s;
}

TEST(SnapshotJson, RoundTrip) {
  auto s = sample();
  auto back = snapshotFromJson(toJson(s));
  ASSERT_TRUE(back) << back.error().str();
  EXPECT_EQ(*back, s);
}

std::string errorsOf(const nlohmann::json& j) {
  auto r = snapshotFromJson(j);
  return r ? std::string("accepted") : r.error().str();
}

TEST(SnapshotJson, RejectsWithFieldPaths) {
  auto j = toJson(sample());
  auto bad = j;
  bad["listeners"][0]["services"][0]["revisions"][0]["weight"] = 95;
  EXPECT_NE(errorsOf(bad).find("listeners[0].services[0].revisions: weights add up to 105"), std::string::npos)
      << errorsOf(bad);
  bad = j;
  bad["listeners"][0]["services"][0]["revisions"][0]["endpoints"][0]["address"] = "127.0.0.1:0";
  EXPECT_NE(errorsOf(bad).find("listeners[0].services[0].revisions[0].endpoints[0].address"), std::string::npos);
  bad = j;
  bad["listeners"][0]["services"][1]["hosts"] = {"WEB.local"};
  EXPECT_NE(errorsOf(bad).find("already served"), std::string::npos) << errorsOf(bad);
  bad = j;
  bad["format"] = 9;
  EXPECT_NE(errorsOf(bad).find("unsupported snapshot format 9"), std::string::npos);
  bad = j;
  bad["listeners"][0]["services"][0]["revisions"][0]["canary"] = true;
  EXPECT_NE(errorsOf(bad).find("at most one revision"), std::string::npos);
  bad = j;
  bad["listeners"][0]["servces"] = 1;
  EXPECT_NE(errorsOf(bad).find("listeners[0].servces: unknown field"), std::string::npos) << errorsOf(bad);
  EXPECT_NE(errorsOf(nlohmann::json::array()).find("must be a JSON object"), std::string::npos);
  bad = j;
  bad["listeners"][0]["services"][0]["revisions"][1]["endpoints"][0]["state"] = "gone";
  EXPECT_NE(errorsOf(bad).find("must be ready or draining"), std::string::npos);
  bad = j;
  bad["listeners"][0]["services"][0]["stickyCookie"] = "a=b\r\nX-Injected: 1";
  EXPECT_NE(errorsOf(bad).find("listeners[0].services[0].stickyCookie: is not a cookie name"), std::string::npos)
      << errorsOf(bad);
  bad = j;
  bad["listeners"][0]["services"][0]["stickyHeader"] = "X User";
  EXPECT_NE(errorsOf(bad).find("stickyHeader: is not a header name"), std::string::npos) << errorsOf(bad);
}


Listener listenerOn(std::string address, std::string service, std::vector<std::string> hosts = {}) {
  ServiceRoute s;
  s.name = std::move(service);
  s.hosts = std::move(hosts);
  return Listener{std::move(address), {s}};
}

std::string errorsOfListeners(std::vector<Listener> listeners) {
  RoutingSnapshot s;
  s.listeners = std::move(listeners);
  return errorsOf(toJson(s));
}

TEST(SnapshotJson, ListenOnEveryInterfaceIsAccepted) {
  EXPECT_EQ(errorsOfListeners({listenerOn(":8080", "web")}), "accepted");
  EXPECT_EQ(errorsOfListeners({listenerOn("[::]:8080", "web")}), "accepted");
  EXPECT_EQ(errorsOfListeners({listenerOn("0.0.0.0:8080", "web")}), "accepted");
}

TEST(SnapshotJson, ListenersThatAreOneSocketAreRejected) {
  auto e = errorsOfListeners({listenerOn("127.0.0.1:8080", "a"), listenerOn("localhost:8080", "b")});
  EXPECT_NE(e.find("listeners[1].address"), std::string::npos) << e;
  EXPECT_NE(e.find("127.0.0.1:8080"), std::string::npos) << e;
  e = errorsOfListeners({listenerOn("127.0.0.1:8080", "a"), listenerOn("127.000.0.1:8080", "b")});
  EXPECT_NE(e, "accepted");
}

TEST(SnapshotJson, OverlappingListenersAreRejected) {
  for (const char* wide : {"0.0.0.0:8080", ":8080", "[::]:8080"}) {
    auto e = errorsOfListeners({listenerOn("127.0.0.1:8080", "a"), listenerOn(wide, "b")});
    EXPECT_NE(e.find("overlaps"), std::string::npos) << wide << ": " << e;
  }
  // Same port, different specific addresses, or different ports: separate sockets.
  EXPECT_EQ(errorsOfListeners({listenerOn("127.0.0.1:8080", "a"), listenerOn("127.0.0.2:8080", "b")}), "accepted");
  EXPECT_EQ(errorsOfListeners({listenerOn("0.0.0.0:8080", "a"), listenerOn("127.0.0.1:8081", "b")}), "accepted");
  EXPECT_EQ(errorsOfListeners({listenerOn("0.0.0.0:8080", "a"), listenerOn("[::1]:8080", "b")}), "accepted");
}

TEST(SnapshotJson, ListenHostsMustBeAddresses) {
  auto e = errorsOfListeners({listenerOn("example.com:8080", "a")});
  EXPECT_NE(e.find("listeners[0].address"), std::string::npos) << e;
  e = errorsOfListeners({listenerOn("[::1:8080", "a")});
  EXPECT_NE(e.find("listeners[0].address"), std::string::npos) << e;
}

TEST(SnapshotJson, HostSyntaxIsChecked) {
  EXPECT_EQ(errorsOfListeners({listenerOn("127.0.0.1:8080", "a", {"*.example.com", "Example.com"})}), "accepted");
  for (const char* bad : {"*", "*.", "a*.example.com", "*example.com", "example.com:80", "a b"}) {
    auto e = errorsOfListeners({listenerOn("127.0.0.1:8080", "a", {bad})});
    EXPECT_NE(e.find("listeners[0].services[0].hosts[0]"), std::string::npos) << bad << ": " << e;
  }
  // Trailing dots and case do not make a second, different host.
  auto e = errorsOfListeners(
      {Listener{"127.0.0.1:8080", {listenerOn("", "a", {"web.local"}).services[0],
                                   listenerOn("", "b", {"WEB.local."}).services[0]}}});
  EXPECT_NE(e.find("already served"), std::string::npos) << e;
}

}  // namespace
}  // namespace rollway::proxy

namespace rollway::proxy {
namespace {

TEST(SnapshotJson, ServiceTimeoutsRoundTripAndAreBounded) {
  auto s = sample();
  ServiceRoute& web = s.listeners[0].services[0];
  web.connectTimeoutMs = 250;
  web.responseTimeoutMs = 1500;
  web.bodyTimeoutMs = 2000;
  web.idleTimeoutMs = 5000;
  auto j = toJson(s);
  EXPECT_EQ(j["listeners"][0]["services"][0]["bodyTimeoutMs"], 2000);
  EXPECT_FALSE(j["listeners"][0]["services"][1].contains("bodyTimeoutMs"));  // 0: the proxy's default
  auto back = snapshotFromJson(j);
  ASSERT_TRUE(back) << back.error().str();
  EXPECT_EQ(*back, s);
  EXPECT_EQ(back->listeners[0].services[1].connectTimeoutMs, 0);

  for (const char* key : {"connectTimeoutMs", "responseTimeoutMs", "bodyTimeoutMs", "idleTimeoutMs"}) {
    auto bad = j;
    bad["listeners"][0]["services"][0][key] = -1;
    auto r = snapshotFromJson(bad);
    ASSERT_FALSE(r) << key;
    EXPECT_NE(r.error().str().find(std::string("listeners[0].services[0].") + key), std::string::npos)
        << r.error().str();
    bad["listeners"][0]["services"][0][key] = 3'600'001;
    EXPECT_FALSE(snapshotFromJson(bad)) << key;
    bad["listeners"][0]["services"][0][key] = "1s";
    EXPECT_FALSE(snapshotFromJson(bad)) << key;
  }
}

}  // namespace
}  // namespace rollway::proxy
