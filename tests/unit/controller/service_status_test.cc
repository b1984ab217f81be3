#include "rollway/controller/service_status.h"

#include <gtest/gtest.h>

#include "rollway/proxy/snapshot_json.h"

namespace rollway::controller {
namespace status_test {

ServiceView web() {
  ServiceView v;
  v.name = "web";
  v.listen = "127.0.0.1:8080";
  v.endpoints = {{"web-1-a", "127.0.0.1:20001", 1, false},
                 {"web-1-b", "127.0.0.1:20002", 1, true},
                 {"web-2-c", "127.0.0.1:20003", 2, false}};
  return v;
}

TEST(BuildRoutingSnapshot, RollingUpdateSplitsByEndpointsWithDrainingMarked) {
  auto snapshot = buildRoutingSnapshot({web()});
  ASSERT_EQ(snapshot.listeners.size(), 1u);
  const auto& route = snapshot.listeners[0].services.at(0);
  EXPECT_EQ(route.split, proxy::SplitMode::kEndpoints);
  ASSERT_EQ(route.revisions.size(), 2u);
  EXPECT_EQ(route.revisions[0].endpoints.size(), 2u);
  EXPECT_EQ(route.revisions[0].endpoints[1].state, proxy::EndpointState::kDraining);
  // What the proxy accepts.
  EXPECT_TRUE(proxy::snapshotFromJson(proxy::toJson(snapshot)));
}

TEST(BuildRoutingSnapshot, CanaryWeightsStickinessAndRoutes) {
  auto v = web();
  v.weighted = true;
  v.stableRevision = 1;
  v.canaryRevision = 2;
  v.canaryWeight = 30;
  v.stickyHeader = "X-User-Id";
  v.routes = {{"X-Canary", "", "always"}};
  auto snapshot = buildRoutingSnapshot({v});
  const auto& route = snapshot.listeners[0].services.at(0);
  EXPECT_EQ(route.split, proxy::SplitMode::kWeights);
  EXPECT_EQ(route.stickyHeader, "X-User-Id");
  ASSERT_EQ(route.revisions.size(), 2u);
  EXPECT_EQ(route.revisions[0].weight, 70);
  EXPECT_FALSE(route.revisions[0].canary);
  EXPECT_EQ(route.revisions[1].weight, 30);
  EXPECT_TRUE(route.revisions[1].canary);
  EXPECT_TRUE(proxy::snapshotFromJson(proxy::toJson(snapshot)));
}

TEST(BuildRoutingSnapshot, BothSidesListedEvenWithoutEndpointsSoWeightsAddUp) {
  auto v = web();
  v.endpoints.resize(1);  // only stable has an endpoint
  v.weighted = true;
  v.stableRevision = 1;
  v.canaryRevision = 2;
  v.canaryWeight = 10;
  auto snapshot = buildRoutingSnapshot({v});
  const auto& route = snapshot.listeners[0].services.at(0);
  ASSERT_EQ(route.revisions.size(), 2u);
  EXPECT_EQ(route.revisions[0].weight + route.revisions[1].weight, 100);
  EXPECT_TRUE(proxy::snapshotFromJson(proxy::toJson(snapshot)));
}

TEST(BuildRoutingSnapshot, BlueGreenPreviewListenerServesOnlyTheNewRevision) {
  auto v = web();
  v.weighted = true;
  v.stableRevision = 1;
  v.canaryRevision = 2;
  v.canaryWeight = 0;
  v.previewListen = "127.0.0.1:9080";
  auto snapshot = buildRoutingSnapshot({v});
  ASSERT_EQ(snapshot.listeners.size(), 2u);
  const auto& preview = snapshot.listeners[1];
  EXPECT_EQ(preview.address, "127.0.0.1:9080");
  ASSERT_EQ(preview.services.at(0).revisions.size(), 1u);
  EXPECT_EQ(preview.services.at(0).revisions[0].revision, 2);
  EXPECT_EQ(snapshot.listeners[0].services.at(0).revisions[0].weight, 100);
  EXPECT_TRUE(proxy::snapshotFromJson(proxy::toJson(snapshot)));
}

TEST(BuildRoutingSnapshot, ServicesSharingAListenerShareOneListener) {
  auto a = web();
  auto b = web();
  b.name = "api";
  b.hosts = {"api.local"};
  for (auto& e : b.endpoints) e.instance = "api-" + e.instance;
  auto snapshot = buildRoutingSnapshot({a, b});
  ASSERT_EQ(snapshot.listeners.size(), 1u);
  EXPECT_EQ(snapshot.listeners[0].services.size(), 2u);
}

}  // namespace status_test
}  // namespace rollway::controller

namespace rollway::controller {
namespace status_test {

TEST(BuildRoutingSnapshot, CarriesTheServiceTimeouts) {
  auto v = web();
  v.connectTimeoutMs = 250;
  v.responseTimeoutMs = 1'500;
  v.bodyTimeoutMs = 2'000;
  v.idleTimeoutMs = 5'000;
  v.holdTimeoutMs = 3'000;
  auto snapshot = buildRoutingSnapshot({v});
  const auto& route = snapshot.listeners.at(0).services.at(0);
  EXPECT_EQ(route.connectTimeoutMs, 250);
  EXPECT_EQ(route.responseTimeoutMs, 1'500);
  EXPECT_EQ(route.bodyTimeoutMs, 2'000);
  EXPECT_EQ(route.idleTimeoutMs, 5'000);
  EXPECT_EQ(route.holdTimeoutMs, 3'000);
  auto back = proxy::snapshotFromJson(proxy::toJson(snapshot));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->listeners.at(0).services.at(0), route);
}

}  // namespace status_test
}  // namespace rollway::controller
