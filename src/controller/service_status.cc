#include "rollway/controller/service_status.h"

#include <algorithm>
#include <map>
#include <type_traits>

#include <fmt/format.h>

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
          {"observedHash", s.observedHash}};
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

proxy::RoutingSnapshot buildRoutingSnapshot(const std::vector<ServiceView>& services) {
  proxy::RoutingSnapshot snapshot;
  std::map<std::string, size_t> listenerIndex;
  for (const auto& s : services) {
    if (s.listen.empty()) continue;
    auto [it, added] = listenerIndex.try_emplace(s.listen, snapshot.listeners.size());
    if (added) snapshot.listeners.push_back(proxy::Listener{s.listen, {}});
    proxy::ServiceRoute route;
    route.name = s.name;
    route.hosts = s.hosts;
    route.split = proxy::SplitMode::kEndpoints;
    std::map<int64_t, std::vector<proxy::Endpoint>> byRevision;
    for (const auto& e : s.endpoints) {
      byRevision[e.revision].push_back(proxy::Endpoint{
          e.instance, e.address, e.draining ? proxy::EndpointState::kDraining : proxy::EndpointState::kReady});
    }
    for (auto& [revision, endpoints] : byRevision) {
      std::sort(endpoints.begin(), endpoints.end(),
                [](const proxy::Endpoint& a, const proxy::Endpoint& b) { return a.instance < b.instance; });
      route.revisions.push_back(proxy::RevisionRoute{revision, 0, false, std::move(endpoints)});
    }
    snapshot.listeners[it->second].services.push_back(std::move(route));
  }
  return snapshot;
}

}  // namespace rollway::controller
