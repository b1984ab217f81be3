#include "rollway/cluster/proxy_agent.h"

#include <algorithm>
#include <utility>

#include <asio/post.hpp>

#include "cluster/key_writer.h"
#include "rollway/etcd/mirror.h"
#include "rollway/proxy/snapshot_json.h"

namespace rollway::cluster {

using nlohmann::json;
using std::chrono::milliseconds;

proxy::RoutingSnapshot preferLocalEndpoints(proxy::RoutingSnapshot snapshot, const std::string& host) {
  const std::string prefix = host + ":";
  for (auto& listener : snapshot.listeners) {
    for (auto& service : listener.services) {
      if (!service.preferLocal) continue;
      for (auto& revision : service.revisions) {
        auto isLocalReady = [&](const proxy::Endpoint& e) {
          return e.state == proxy::EndpointState::kReady && e.address.rfind(prefix, 0) == 0;
        };
        if (std::none_of(revision.endpoints.begin(), revision.endpoints.end(), isLocalReady)) continue;
        std::erase_if(revision.endpoints, [&](const proxy::Endpoint& e) {
          return e.state == proxy::EndpointState::kReady && !isLocalReady(e);
        });
      }
    }
  }
  return snapshot;
}

ProxyAgent::ProxyAgent(asio::io_context& io, etcd::Client& client, controller::ProxyPort& local,
                       ProxyAgentOptions options, Logger logger)
    : io_(io),
      client_(client),
      local_(local),
      options_(std::move(options)),
      logger_(logger ? std::move(logger) : nullLogger()),
      timer_(io) {}

ProxyAgent::~ProxyAgent() { routing_.reset(); }

Result<void> ProxyAgent::start() {
  writer_ = std::make_unique<KeyWriter>(client_, KeyWriterOptions{options_.prefix, std::nullopt, 120, milliseconds(100),
                                                                   milliseconds(2000), {}, logger_});
  routing_ = std::make_unique<etcd::Mirror>(client_, options_.prefix + "routing/", [this] { scheduleApply(); });
  if (!routing_->waitFor(0, milliseconds(10000))) {
    return fail(ErrorCode::kUnavailable, "node {}: cannot read the routing snapshot from etcd", options_.node);
  }
  local_.ensureRunning([this, alive = std::weak_ptr<int>(alive_)](Result<bool> started) {
    if (!alive.lock()) return;
    if (!started) {
      report_.error = "no proxy on this node: " + started.error().message;
      publish();
    }
    apply();
  });
  tick();
  return {};
}

void ProxyAgent::scheduleApply() {
  asio::post(io_, [this, alive = std::weak_ptr<int>(alive_)] {
    if (alive.lock()) apply();
  });
}

void ProxyAgent::apply() {
  if (pushing_ || !local_.running()) return;
  auto kv = routing_->get(options_.prefix + "routing/snapshot");
  if (!kv) return;
  auto j = json::parse(kv->value, nullptr, false);
  if (!j.is_object() || !j.contains("generation") || !j["generation"].is_number_unsigned() || !j.contains("snapshot")) {
    logger_->warn("node {}: the routing snapshot in etcd is not one", options_.node);
    return;
  }
  const uint64_t generation = j["generation"].get<uint64_t>();
  if (generation <= report_.generation) return;
  auto snapshot = proxy::snapshotFromJson(j["snapshot"]);
  if (!snapshot) {
    report_.error = "routing generation " + std::to_string(generation) + ": " + snapshot.error().message;
    publish();
    return;
  }
  bool draining = false;
  for (const auto& listener : snapshot->listeners) {
    for (const auto& service : listener.services) {
      for (const auto& revision : service.revisions) {
        draining = draining || std::any_of(revision.endpoints.begin(), revision.endpoints.end(),
                                           [](const proxy::Endpoint& e) { return e.state == proxy::EndpointState::kDraining; });
      }
    }
  }
  pushing_ = true;
  local_.push(preferLocalEndpoints(std::move(*snapshot), options_.host), [this, generation, draining, alive = std::weak_ptr<int>(alive_)](Result<uint64_t> pushed) {
    if (!alive.lock()) return;
    pushing_ = false;
    if (!pushed) {
      report_.error = pushed.error().message;
      publish();
      return;  // the next tick tries again
    }
    draining_ = draining;
    // The report that says "taken" carries in-flight counts measured after it was taken.
    local_.inFlight([this, generation, alive](Result<std::map<std::string, uint64_t>> counts) {
      if (!alive.lock()) return;
      if (!counts) {
        report_.error = "in-flight counts: " + counts.error().message;
        publish();
        return;
      }
      report_.generation = generation;
      report_.error.clear();
      report_.inFlight = std::move(*counts);
      publish();
      apply();  // a newer one may be waiting
    });
  });
}

void ProxyAgent::tick() {
  timer_.expires_after(options_.drainPeriod);
  timer_.async_wait([this, alive = std::weak_ptr<int>(alive_)](const std::error_code& ec) {
    if (ec || !alive.lock()) return;
    tick();
  });
  if (!local_.running()) {
    if (!local_.starting()) {
      local_.ensureRunning([this, alive = std::weak_ptr<int>(alive_)](Result<bool>) {
        if (alive.lock()) apply();
      });
    }
    return;
  }
  apply();
  const auto now = std::chrono::steady_clock::now();
  const bool full = now - lastFull_ >= options_.reportPeriod;
  if (querying_ || (!draining_ && !full)) return;
  querying_ = true;
  const uint64_t generation = report_.generation;
  local_.inFlight([this, full, generation, alive = std::weak_ptr<int>(alive_)](Result<std::map<std::string, uint64_t>> counts) {
    if (!alive.lock()) return;
    if (counts && report_.generation == generation) report_.inFlight = std::move(*counts);
    if (!full) {
      querying_ = false;
      publish();
      return;
    }
    lastFull_ = std::chrono::steady_clock::now();
    local_.metrics([this, alive](Result<json> m) {
      if (!alive.lock()) return;
      querying_ = false;
      if (m) report_.metrics = std::move(*m);
      publish();
    });
  });
}

void ProxyAgent::publish() {
  ProxyReport unnumbered = report_;
  unnumbered.seq = 0;
  std::string body = toJson(unnumbered);
  if (body == lastBody_) return;  // nothing new: no write
  lastBody_ = std::move(body);
  ++report_.seq;
  writer_->set("proxy/" + options_.node, toJson(report_));
}

}  // namespace rollway::cluster
