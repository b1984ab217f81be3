#include "proxy_link_calls.h"

#include "rollway/net/json_reply.h"
#include "rollway/proxy/snapshot_json.h"

namespace rollway::controller::proxy_calls {

Result<uint64_t> readVersion(const net::Client& client, const std::string& socket) {
  auto reply = client.call("GET", "/healthz", "", "application/json", std::chrono::seconds(2));
  if (!reply) return fail(reply.error());
  if (reply->status != 200) return fail(ErrorCode::kUnavailable, "proxy at unix:{} answered {}", socket, reply->status);
  auto j = nlohmann::json::parse(reply->body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    return fail(ErrorCode::kUnavailable, "proxy at unix:{} sent a body that is not a JSON object", socket);
  }
  auto version = j.find("snapshotVersion");
  if (version == j.end()) return uint64_t{0};
  if (!version->is_number_unsigned()) {
    return fail(ErrorCode::kUnavailable, "proxy at unix:{} sent a snapshotVersion that is not a number: {}", socket,
                version->dump());
  }
  return version->get<uint64_t>();
}

PushOutcome putSnapshot(const net::Client& client, const std::string& socket, proxy::RoutingSnapshot snapshot,
                        uint64_t version) {
  for (int attempt = 0; attempt < 2; ++attempt) {
    snapshot.version = version;
    auto reply = client.call("PUT", "/v1/snapshot", proxy::toJson(snapshot).dump(), "application/json",
                             std::chrono::seconds(5));
    if (!reply) {
      return {fail(reply.error().code, "proxy did not take routing snapshot {} (PUT /v1/snapshot on unix:{}): {}",
                   version, socket, reply.error().message),
              true};
    }
    if (reply->status == 200) return {version, false};
    if (reply->status == 409) {  // the proxy holds a newer snapshot (another control plane, a restore)
      auto current = readVersion(client, socket);
      if (!current) return {fail(current.error()), true};
      version = *current + 1;
      continue;
    }
    Error rejected = net::errorFromReply(*reply);
    return {fail(rejected.code, "proxy rejected routing snapshot {}: {}", version, rejected.message), false};
  }
  return {fail(ErrorCode::kConflict, "proxy rejected routing snapshot {}: it kept answering 409 (a newer version)",
               version),
          false};
}

Result<nlohmann::json> readMetrics(const net::Client& client) {
  auto reply = client.call("GET", "/v1/metrics", "", "application/json", std::chrono::seconds(2));
  if (!reply) return fail(reply.error());
  if (reply->status != 200) return fail(net::errorFromReply(*reply));
  auto j = nlohmann::json::parse(reply->body, nullptr, false);
  if (j.is_discarded()) return fail(ErrorCode::kUnavailable, "the proxy's metrics are not JSON");
  return j;
}

Result<std::map<std::string, uint64_t>> readInFlight(const net::Client& client) {
  auto reply = client.call("GET", "/v1/endpoints", "", "application/json", std::chrono::seconds(2));
  if (!reply) return fail(reply.error());
  if (reply->status != 200) return fail(net::errorFromReply(*reply));
  // An answer that cannot be read says nothing: it is an error, never "nothing in flight".
  auto unreadable = [&] {
    return fail(ErrorCode::kUnavailable, "the proxy's endpoint list is not {{\"items\": [{{\"address\", \"inFlight\"}}]}}: {}",
                reply->body.substr(0, 200));
  };
  auto j = nlohmann::json::parse(reply->body, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("items") || !j["items"].is_array()) return unreadable();
  std::map<std::string, uint64_t> out;
  for (const auto& item : j["items"]) {
    if (!item.is_object() || !item.contains("address") || !item["address"].is_string()) return unreadable();
    auto count = item.find("inFlight");
    if (count != item.end() && !count->is_number_unsigned()) return unreadable();
    out[item["address"].get<std::string>()] = count != item.end() ? count->get<uint64_t>() : 0;
  }
  return out;
}

}  // namespace rollway::controller::proxy_calls
