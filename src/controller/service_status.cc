#include "rollway/controller/service_status.h"

#include <algorithm>
#include <map>

#include "rollway/common/listen_address.h"

namespace rollway::controller {

namespace {

proxy::ServiceRoute routeFor(const ServiceView& s, bool previewOnly) {
  proxy::ServiceRoute route;
  route.name = s.name;
  route.hosts = s.hosts;
  route.holdTimeoutMs = s.holdTimeoutMs;
  route.connectTimeoutMs = s.connectTimeoutMs;
  route.responseTimeoutMs = s.responseTimeoutMs;
  route.bodyTimeoutMs = s.bodyTimeoutMs;
  route.idleTimeoutMs = s.idleTimeoutMs;
  route.preferLocal = s.preferLocal;
  std::map<int64_t, std::vector<proxy::Endpoint>> byRevision;
  for (const auto& e : s.endpoints) {
    if (previewOnly && e.revision != s.canaryRevision) continue;
    byRevision[e.revision].push_back(proxy::Endpoint{
        e.instance, e.address, e.draining ? proxy::EndpointState::kDraining : proxy::EndpointState::kReady});
  }
  bool weighted = s.weighted && !previewOnly;
  route.split = weighted ? proxy::SplitMode::kWeights : proxy::SplitMode::kEndpoints;
  if (weighted) {
    route.stickyHeader = s.stickyHeader;
    route.stickyCookie = s.stickyCookie;
    route.routes = s.routes;
    // Both sides are always listed, so weights add up to 100 even while one side has
    // no endpoint yet.
    byRevision.try_emplace(s.stableRevision);
    if (s.canaryRevision != 0) byRevision.try_emplace(s.canaryRevision);
  }
  for (auto& [revision, endpoints] : byRevision) {
    std::sort(endpoints.begin(), endpoints.end(),
              [](const proxy::Endpoint& a, const proxy::Endpoint& b) { return a.instance < b.instance; });
    int weight = 0;
    bool canary = false;
    if (weighted) {
      if (revision == s.canaryRevision && s.canaryRevision != s.stableRevision) {
        weight = s.canaryWeight;
        canary = true;
      } else if (revision == s.stableRevision) {
        weight = s.canaryRevision != 0 && s.canaryRevision != s.stableRevision ? 100 - s.canaryWeight : 100;
      }
    }
    route.revisions.push_back(proxy::RevisionRoute{revision, weight, canary, std::move(endpoints)});
  }
  return route;
}

}  // namespace

proxy::RoutingSnapshot buildRoutingSnapshot(const std::vector<ServiceView>& services) {
  proxy::RoutingSnapshot snapshot;
  std::map<std::string, size_t> listenerIndex;
  // One listener per socket: "localhost:P" and "127.0.0.1:P" are one address.
  auto listener = [&](const std::string& text) -> proxy::Listener& {
    std::string address = canonicalListen(text);
    auto [it, added] = listenerIndex.try_emplace(address, snapshot.listeners.size());
    if (added) snapshot.listeners.push_back(proxy::Listener{address, {}});
    return snapshot.listeners[it->second];
  };
  for (const auto& s : services) {
    if (s.listen.empty()) continue;
    listener(s.listen).services.push_back(routeFor(s, false));
    if (!s.previewListen.empty() && s.canaryRevision != 0) {
      listener(s.previewListen).services.push_back(routeFor(s, true));
    }
  }
  return snapshot;
}

}  // namespace rollway::controller
