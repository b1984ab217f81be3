#include "rollway/cluster/cluster_proxy.h"

#include <algorithm>
#include <utility>

#include <asio/post.hpp>
#include <fmt/format.h>

#include "cluster/coalesced_post.h"
#include "cluster/key_writer.h"
#include "rollway/etcd/mirror.h"
#include "rollway/etcd/node_registry.h"
#include "rollway/proxy/snapshot_json.h"

namespace rollway::cluster {

using nlohmann::json;
using std::chrono::milliseconds;

namespace {

constexpr const char* kRoutingKey = "routing/snapshot";

json sumTwo(const json& a, const json& b) {
  if (a.is_null()) return b;
  if (b.is_null()) return a;
  if (a.is_number_unsigned() && b.is_number_unsigned()) return a.get<uint64_t>() + b.get<uint64_t>();
  if (a.is_number_integer() && b.is_number_integer()) return a.get<int64_t>() + b.get<int64_t>();
  if (a.is_number() && b.is_number()) return a.get<double>() + b.get<double>();
  if (a.is_object() && b.is_object()) {
    json out = a;
    for (const auto& [key, value] : b.items()) out[key] = sumTwo(a.contains(key) ? a.at(key) : json(), value);
    return out;
  }
  if (a.is_array() && b.is_array()) {
    json out = json::array();
    for (size_t i = 0; i < std::max(a.size(), b.size()); ++i) {
      out.push_back(sumTwo(i < a.size() ? a.at(i) : json(), i < b.size() ? b.at(i) : json()));
    }
    return out;
  }
  return a;  // strings and the like: the first one's
}

}  // namespace

std::string toJson(const ProxyReport& r) {
  return json{{"generation", r.generation}, {"error", r.error}, {"inFlight", r.inFlight}, {"metrics", r.metrics},
              {"seq", r.seq}}
      .dump();
}

Result<ProxyReport> proxyReportFromJson(const std::string& text) {
  try {
    const json j = json::parse(text);
    ProxyReport r;
    r.generation = j.at("generation").get<uint64_t>();
    r.error = j.at("error").get<std::string>();
    r.inFlight = j.at("inFlight").get<std::map<std::string, uint64_t>>();
    r.metrics = j.at("metrics");
    r.seq = j.at("seq").get<uint64_t>();
    return r;
  } catch (const std::exception& e) {
    return fail(ErrorCode::kInvalidArgument, "not a proxy report: {}", e.what());
  }
}

json sumMetrics(const std::vector<json>& documents) {
  json out;
  for (const json& d : documents) out = sumTwo(out, d);
  return out;
}

ClusterProxy::ClusterProxy(asio::io_context& io, etcd::Client& client, ClusterProxyOptions options, Logger logger)
    : io_(io),
      client_(client),
      options_(std::move(options)),
      logger_(logger ? std::move(logger) : nullLogger()),
      where_("etcd " + options_.prefix + kRoutingKey),
      timer_(io),
      check_(std::make_unique<CoalescedPost>(io, [this] { checkPushes(); })) {}

ClusterProxy::~ClusterProxy() {
  nodes_.reset();
  reports_.reset();
}

Result<void> ClusterProxy::start() {
  auto current = client_.get(options_.prefix + kRoutingKey);
  if (!current) {
    return fail(current.error().code, "cluster: cannot read the routing snapshot from etcd: {}", current.error().message);
  }
  if (*current) {
    auto j = json::parse((*current)->value, nullptr, false);
    if (j.is_object() && j.contains("generation") && j["generation"].is_number_unsigned()) {
      generation_ = j["generation"].get<uint64_t>();
    }
  }
  writer_ = std::make_unique<KeyWriter>(client_, KeyWriterOptions{options_.prefix, options_.fence, 120, milliseconds(100),
                                                                   milliseconds(2000), options_.onDeposed, logger_});
  nodes_ = std::make_unique<etcd::Mirror>(client_, options_.prefix + "nodes/", [this] { scheduleCheck(); });
  reports_ = std::make_unique<etcd::Mirror>(client_, options_.prefix + "proxy/", [this] { scheduleCheck(); });
  if (!nodes_->waitFor(0, milliseconds(10000)) || !reports_->waitFor(0, milliseconds(10000))) {
    return fail(ErrorCode::kUnavailable, "cluster: cannot read the nodes and their proxies' reports from etcd");
  }
  return {};
}

std::vector<ClusterProxy::NodeProxy> ClusterProxy::liveNodes() const {
  std::vector<NodeProxy> out;
  if (!nodes_ || !reports_) return out;
  for (const etcd::KeyValue& kv : nodes_->list(options_.prefix + "nodes/")) {
    auto node = etcd::nodeFromJson(kv.key, kv.value);
    if (!node) continue;
    NodeProxy np;
    np.node = node->name;
    if (auto r = reports_->get(options_.prefix + "proxy/" + node->name)) {
      if (auto parsed = proxyReportFromJson(r->value)) np.report = std::move(*parsed);
    }
    out.push_back(std::move(np));
  }
  return out;
}

bool ClusterProxy::running() const { return !liveNodes().empty(); }

void ClusterProxy::ensureRunning(StartCallback done) {
  // Each node's agent keeps its own proxy running.
  asio::post(io_, [done = std::move(done), alive = std::weak_ptr<int>(alive_)] {
    if (alive.lock()) done(false);
  });
}

void ClusterProxy::push(proxy::RoutingSnapshot snapshot, PushCallback done) {
  const uint64_t generation = ++generation_;
  writer_->set(kRoutingKey, json{{"generation", generation}, {"snapshot", proxy::toJson(snapshot)}}.dump());
  pushes_.push_back(PendingPush{generation, std::chrono::steady_clock::now() + options_.pushTimeout, std::move(done)});
  timer_.expires_after(options_.pushTimeout + milliseconds(10));
  timer_.async_wait([this, alive = std::weak_ptr<int>(alive_)](const std::error_code& ec) {
    if (!ec && alive.lock()) checkPushes();
  });
  scheduleCheck();
}

void ClusterProxy::scheduleCheck() { check_->request(); }

void ClusterProxy::checkPushes() {
  if (pushes_.empty()) return;
  const auto nodes = liveNodes();
  const auto now = std::chrono::steady_clock::now();
  std::vector<PendingPush> waiting;
  std::vector<std::pair<PushCallback, Result<uint64_t>>> finished;
  for (PendingPush& p : pushes_) {
    std::string behind;
    std::string refused;
    for (const NodeProxy& n : nodes) {
      if (n.report && n.report->generation >= p.generation) continue;
      if (behind.empty()) behind = n.node;
      if (n.report && !n.report->error.empty() && refused.empty()) refused = fmt::format("node {}: {}", n.node, n.report->error);
    }
    if (nodes.empty()) {
      finished.emplace_back(std::move(p.done), fail(ErrorCode::kUnavailable, "no node of the cluster runs a proxy"));
    } else if (behind.empty()) {
      finished.emplace_back(std::move(p.done), p.generation);
    } else if (!refused.empty()) {
      finished.emplace_back(std::move(p.done), fail(ErrorCode::kUnavailable, "{}", refused));
    } else if (now >= p.deadline) {
      finished.emplace_back(std::move(p.done),
                            fail(ErrorCode::kTimeout, "the proxy of node {} has not taken routing generation {} within {} ms",
                                 behind, p.generation, options_.pushTimeout.count()));
    } else {
      waiting.push_back(std::move(p));
    }
  }
  pushes_ = std::move(waiting);
  for (auto& [done, result] : finished) {
    if (result) completed_ = std::max(completed_, *result);
    done(std::move(result));
  }
}

void ClusterProxy::inFlight(InFlightCallback done) {
  asio::post(io_, [this, done = std::move(done), alive = std::weak_ptr<int>(alive_)] {
    if (!alive.lock()) return;
    const auto nodes = liveNodes();
    if (nodes.empty()) return done(fail(ErrorCode::kUnavailable, "no node of the cluster runs a proxy"));
    std::map<std::string, uint64_t> sum;
    for (const NodeProxy& n : nodes) {
      if (!n.report || n.report->generation < completed_) {
        return done(fail(ErrorCode::kUnavailable, "the proxy of node {} has not reported since it took routing generation {}",
                         n.node, completed_));
      }
      for (const auto& [address, count] : n.report->inFlight) sum[address] += count;
    }
    done(std::move(sum));
  });
}

void ClusterProxy::metrics(MetricsCallback done) {
  asio::post(io_, [this, done = std::move(done), alive = std::weak_ptr<int>(alive_)] {
    if (!alive.lock()) return;
    std::vector<json> documents;
    for (const NodeProxy& n : liveNodes()) {
      if (n.report && n.report->metrics.is_object()) documents.push_back(n.report->metrics);
    }
    if (documents.empty()) return done(fail(ErrorCode::kUnavailable, "no node's proxy has reported metrics"));
    done(sumMetrics(documents));
  });
}

void ClusterProxy::stop(milliseconds, std::function<void()> done) {
  // The proxies are the nodes': a leader that stops leaves them serving.
  asio::post(io_, [done = std::move(done), alive = std::weak_ptr<int>(alive_)] {
    if (alive.lock()) done();
  });
}

}  // namespace rollway::cluster
