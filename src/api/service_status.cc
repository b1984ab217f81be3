#include "rollway/api/service_status.h"

#include <type_traits>

#include <fmt/format.h>

namespace rollway::api {

using nlohmann::json;

json toJson(const ServiceStatus& s) {
  json j = {{"observedGeneration", s.observedGeneration},
            {"revision", s.revision},
            {"version", s.version},
            {"replicas", s.replicas},
            {"totalReplicas", s.totalReplicas},
            {"updatedReplicas", s.updatedReplicas},
            {"readyReplicas", s.readyReplicas},
            {"availableReplicas", s.availableReplicas},
            {"updatedAvailableReplicas", s.updatedAvailableReplicas},
            {"terminatingReplicas", s.terminatingReplicas},
            {"phase", toString(s.phase)},
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
  // Newer than 0.1: only when set, so that older statuses write back unchanged.
  if (!s.rolloutStrategy.empty()) j["rolloutStrategy"] = s.rolloutStrategy;
  return j;
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
    } else if constexpr (std::is_same_v<T, RolloutPhase>) {
      if (!it->is_string()) return;
      if (auto phase = parseRolloutPhase(it->template get_ref<const std::string&>())) field = *phase;
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

Result<ServiceStatus> parseStatusReply(const json& j) {
  if (j.is_object()) {
    if (auto it = j.find("phase"); it != j.end()) {
      if (!it->is_string()) return fail(ErrorCode::kInvalidArgument, "status.phase is not a string: {}", it->dump());
      if (auto phase = parseRolloutPhase(it->get_ref<const std::string&>()); !phase) {
        return fail(ErrorCode::kInvalidArgument, "status.phase: {} (is the daemon a newer rollway?)",
                    phase.error().message);
      }
    }
  }
  return statusFromJson(j);
}

std::string progressMessage(const ServiceStatus& s) {
  std::string text = fmt::format("{} of {} updated, {} available", s.updatedReplicas, s.replicas, s.availableReplicas);
  int old = s.totalReplicas - s.updatedReplicas;
  if (old > 0) text += fmt::format(", {} old", old);
  if (s.terminatingReplicas > 0) text += fmt::format(", {} terminating", s.terminatingReplicas);
  return text;
}

}  // namespace rollway::api
