#include "rollway/etcd/node_registry.h"

#include <nlohmann/json.hpp>

namespace rollway::etcd {

namespace {

using std::chrono::milliseconds;
using SteadyClock = std::chrono::steady_clock;

}  // namespace

std::string toJson(const NodeInfo& node) {
  return nlohmann::json{{"name", node.name}, {"address", node.address}, {"labels", node.labels}, {"daemon", node.daemonId}}
      .dump();
}

Result<NodeInfo> nodeFromJson(const std::string& key, const std::string& text) {
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("name") || !j["name"].is_string()) {
    return fail(ErrorCode::kInvalidArgument, "etcd key {}: not a node record", key);
  }
  NodeInfo node;
  node.name = j["name"].get<std::string>();
  if (j.contains("address") && j["address"].is_string()) node.address = j["address"].get<std::string>();
  if (j.contains("daemon") && j["daemon"].is_string()) node.daemonId = j["daemon"].get<std::string>();
  if (j.contains("labels") && j["labels"].is_object()) {
    for (const auto& [k, v] : j["labels"].items()) {
      if (v.is_string()) node.labels[k] = v.get<std::string>();
    }
  }
  return node;
}

namespace {

// Creates the node's key on a new lease (or takes over the one its own daemon left);
// the lease, or why not.
Result<int64_t> registerNode(Client& client, const std::string& key, const NodeInfo& node, std::chrono::seconds ttl) {
  auto lease = client.grantLease(ttl);
  if (!lease) return fail(lease.error());
  auto created = client.txn({Compare::versionIs(key, 0)}, {Operation::put(key, toJson(node), *lease)},
                            {Operation::get(key)});
  if (!created) {
    (void)client.revokeLease(*lease);
    return fail(created.error());
  }
  if (!created->succeeded && !created->gets.empty() && !created->gets[0].empty() && !node.daemonId.empty()) {
    // The same daemon, restarted before its registration's lease ended: it takes it over.
    const KeyValue& held = created->gets[0][0];
    auto previous = nodeFromJson(key, held.value);
    if (previous && previous->daemonId == node.daemonId) {
      created = client.txn({Compare::modRevisionIs(key, held.modRevision)}, {Operation::put(key, toJson(node), *lease)},
                           {Operation::get(key)});
      if (!created) {
        (void)client.revokeLease(*lease);
        return fail(created.error());
      }
    }
  }
  if (!created->succeeded) {
    (void)client.revokeLease(*lease);
    std::string holder = !created->gets.empty() && !created->gets[0].empty() ? created->gets[0][0].value : "";
    return fail(ErrorCode::kConflict,
                "node {} is registered by a live daemon ({}); a node name is unique in the cluster (or wait {} s "
                "for a dead one's lease to end)",
                node.name, holder, ttl.count());
  }
  return *lease;
}

}  // namespace

Result<std::unique_ptr<NodeRegistration>> NodeRegistration::create(Client& client, const std::string& prefix,
                                                                    NodeInfo node, std::chrono::seconds lostTimeout,
                                                                    std::function<void()> onLost,
                                                                    std::function<void()> onRejoined) {
  if (node.name.empty() || node.name.find('/') != std::string::npos) {
    return fail(ErrorCode::kInvalidArgument, "node name \"{}\": must be non-empty, without '/'", node.name);
  }
  std::string key = prefix + node.name;
  auto lease = registerNode(client, key, node, lostTimeout);
  if (!lease) return fail(lease.error());
  return std::unique_ptr<NodeRegistration>(new NodeRegistration(client, std::move(key), std::move(node), *lease,
                                                                lostTimeout, std::move(onLost), std::move(onRejoined)));
}

NodeRegistration::NodeRegistration(Client& client, std::string key, NodeInfo node, int64_t lease,
                                   std::chrono::seconds ttl, std::function<void()> onLost,
                                   std::function<void()> onRejoined)
    : client_(client),
      key_(std::move(key)),
      node_(std::move(node)),
      lease_(lease),
      ttl_(ttl),
      onLost_(std::move(onLost)),
      onRejoined_(std::move(onRejoined)),
      thread_([this] { run(); }) {}

NodeRegistration::~NodeRegistration() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
  if (alive_ && !detached_) (void)client_.revokeLease(lease_);  // the key goes with it
}

void NodeRegistration::detach() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
    detached_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void NodeRegistration::run() {
  const auto ttl = std::chrono::duration_cast<milliseconds>(ttl_);
  const auto period = ttl / 3;
  auto renewed = SteadyClock::now();
  std::unique_lock lock(mutex_);
  while (!wake_.wait_for(lock, period, [this] { return stop_; })) {
    lock.unlock();
    auto left = client_.keepAlive(lease_);
    if (left) renewed = SteadyClock::now();
    bool lost = (!left && left.error().code == ErrorCode::kNotFound) || SteadyClock::now() - renewed >= ttl;
    lock.lock();
    if (!lost) continue;
    alive_ = false;
    lock.unlock();
    if (onLost_) onLost_();
    if (!onRejoined_) return;
    // Registers again as soon as etcd takes it (a host back from a partition).
    lock.lock();
    while (!wake_.wait_for(lock, milliseconds(1000), [this] { return stop_; })) {
      lock.unlock();
      auto lease = registerNode(client_, key_, node_, ttl_);
      lock.lock();
      if (!lease) continue;
      lease_ = *lease;
      alive_ = true;
      renewed = SteadyClock::now();
      lock.unlock();
      onRejoined_();
      lock.lock();
      break;
    }
  }
}

Result<std::vector<NodeInfo>> listNodes(Client& client, const std::string& prefix) {
  auto range = client.getPrefix(prefix);
  if (!range) return fail(range.error());
  std::vector<NodeInfo> out;
  for (const auto& kv : range->kvs) {
    auto node = nodeFromJson(kv.key, kv.value);
    if (!node) return fail(node.error());
    out.push_back(std::move(*node));
  }
  return out;
}

}  // namespace rollway::etcd
