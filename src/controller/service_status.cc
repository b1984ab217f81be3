#include "rollway/controller/service_status.h"

#include <algorithm>
#include <map>
#include <type_traits>

#include <fmt/format.h>

#include "rollway/common/listen_address.h"

namespace rollway::controller {

using nlohmann::json;

json toJson(const ServiceStatus& s) {
  return {{"observedGeneration", s.observedGeneration},
          {"revision", s.revision},
          {"version", s.version},
          {"replicas", s.replicas},
          {"totalReplicas", s.totalReplicas},
          {"updatedReplicas", s.updatedReplicas},
          {"readyReplicas", s.readyReplicas},
          {"availableReplicas", s.availableReplicas},
          {"updatedAvailableReplicas", s.updatedAvailableReplicas},
          {"terminatingReplicas", s.terminatingReplicas},
          {"phase", s.phase},
          {"message", s.message},
          {"stableRevision", s.stableRevision},
          {"stableHash", s.stableHash},
          {"failedRevision", s.failedRevision},
          {"failedHash", s.failedHash},
          {"rolledBackFrom", s.rolledBackFrom},
          {"rolloutStartedMs", s.rolloutStartedMs},
          {"lastProgressMs", s.lastProgressMs},
          {"restartedAtMs", s.restartedAtMs},
          {"observedHash", s.observedHash},
          {"strategy", s.strategy},
          {"rolloutStrategy", s.rolloutStrategy},
          {"stepIndex", s.stepIndex},
          {"steps", s.steps},
          {"canaryWeight", s.canaryWeight},
          {"canaryReplicas", s.canaryReplicas},
          {"stepStartedMs", s.stepStartedMs},
          {"pauseReason", s.pauseReason},
          {"routingError", s.routingError},
          {"aborted", s.aborted},
          {"abortReason", s.abortReason},
          {"promotedAtMs", s.promotedAtMs},
          {"previousHash", s.previousHash},
          {"skipStepsHash", s.skipStepsHash},
          {"analysis", s.analysis}};
}

ServiceStatus statusFromJson(const json& j) {
  ServiceStatus s;
  if (!j.is_object()) return s;
  // Fields of the wrong type keep their defaults: a status is advisory and rebuilt by
  // the next reconcile.
  auto get = [&j](const char* key, auto& field) {
    auto it = j.find(key);
    if (it == j.end()) return;
    using T = std::decay_t<decltype(field)>;
    if constexpr (std::is_same_v<T, std::string>) {
      if (it->is_string()) field = it->template get<std::string>();
    } else if constexpr (std::is_same_v<T, bool>) {
      if (it->is_boolean()) field = it->template get<bool>();
    } else if constexpr (std::is_same_v<T, json>) {
      field = *it;
    } else {
      if (it->is_number_integer()) field = it->template get<T>();
    }
  };
  get("observedGeneration", s.observedGeneration);
  get("revision", s.revision);
  get("version", s.version);
  get("replicas", s.replicas);
  get("totalReplicas", s.totalReplicas);
  get("updatedReplicas", s.updatedReplicas);
  get("readyReplicas", s.readyReplicas);
  get("availableReplicas", s.availableReplicas);
  get("updatedAvailableReplicas", s.updatedAvailableReplicas);
  get("terminatingReplicas", s.terminatingReplicas);
  get("phase", s.phase);
  get("message", s.message);
  get("stableRevision", s.stableRevision);
  get("stableHash", s.stableHash);
  get("failedRevision", s.failedRevision);
  get("failedHash", s.failedHash);
  get("rolledBackFrom", s.rolledBackFrom);
  get("rolloutStartedMs", s.rolloutStartedMs);
  get("lastProgressMs", s.lastProgressMs);
  get("restartedAtMs", s.restartedAtMs);
  get("observedHash", s.observedHash);
  get("strategy", s.strategy);
  get("rolloutStrategy", s.rolloutStrategy);
  get("stepIndex", s.stepIndex);
  get("steps", s.steps);
  get("canaryWeight", s.canaryWeight);
  get("canaryReplicas", s.canaryReplicas);
  get("stepStartedMs", s.stepStartedMs);
  get("pauseReason", s.pauseReason);
  get("routingError", s.routingError);
  get("aborted", s.aborted);
  get("abortReason", s.abortReason);
  get("promotedAtMs", s.promotedAtMs);
  get("previousHash", s.previousHash);
  get("skipStepsHash", s.skipStepsHash);
  get("analysis", s.analysis);
  return s;
}

ServiceStatus statusFromJson(const std::string& text) {
  return statusFromJson(json::parse(text, nullptr, false));
}

std::string progressMessage(const ServiceStatus& s) {
  std::string text = fmt::format("{} of {} updated, {} available", s.updatedReplicas, s.replicas, s.availableReplicas);
  int old = s.totalReplicas - s.updatedReplicas;
  if (old > 0) text += fmt::format(", {} old", old);
  if (s.terminatingReplicas > 0) text += fmt::format(", {} terminating", s.terminatingReplicas);
  return text;
}

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
