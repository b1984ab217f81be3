#include "rollway/cluster/cluster_node.h"

#include <utility>

#include <asio/post.hpp>
#include <nlohmann/json.hpp>

#include "rollway/api/control_api.h"
#include "rollway/cluster/agent.h"
#include "rollway/cluster/cluster_proxy.h"
#include "rollway/cluster/etcd_store.h"
#include "rollway/cluster/proxy_agent.h"
#include "rollway/cluster/remote_instances.h"
#include "rollway/controller/spec_change.h"
#include "rollway/etcd/client.h"
#include "rollway/etcd/election.h"
#include "rollway/etcd/mirror.h"
#include "rollway/net/json_reply.h"

namespace rollway::cluster {

using nlohmann::json;
using std::chrono::milliseconds;

// What runs while this daemon leads; destroyed in reverse order (the API first).
struct ClusterNode::Leader {
  std::unique_ptr<EtcdStore> store;
  std::unique_ptr<RemoteInstances> remote;
  std::unique_ptr<ClusterProxy> proxy;
  std::unique_ptr<controller::Controller> controller;
  std::unique_ptr<api::ControlApi> api;
};

ClusterNode::ClusterNode(ClusterNodeDeps deps, ClusterNodeOptions options)
    : deps_(std::move(deps)), options_(std::move(options)) {
  if (!deps_.logger) deps_.logger = nullLogger();
}

ClusterNode::~ClusterNode() {
  election_.reset();  // resigns: another daemon takes over at once
  {
    std::lock_guard lock(builderMutex_);
    for (auto& t : builders_) t.join();
    builders_.clear();
  }
  leader_.reset();
  if (registration_) registration_->detach();  // the node stays for its lost timeout
  proxyAgent_.reset();
  agent_.reset();
  leaderKey_.reset();
}

Result<void> ClusterNode::start() {
  client_ = std::make_unique<etcd::Client>(etcd::ClientOptions{options_.endpoints, options_.etcdTimeout});
  auto registration = etcd::NodeRegistration::create(
      *client_, options_.prefix + "nodes/", options_.node, options_.lostTimeout,
      [this] {
        // The lease ended (etcd unreachable from here for the lost timeout): the leader
        // counts this node lost and replaces its instances elsewhere.
        deps_.logger->error("node {}: its registration in etcd was lost: the cluster replaces its instances on "
                            "other nodes; registering again when etcd answers",
                            options_.node.name);
      },
      [this] {
        // Back: the agent stops what was replaced meanwhile (its assignments are gone).
        deps_.logger->warn("node {}: registered again", options_.node.name);
      });
  if (!registration) {
    return fail(registration.error().code, "cluster: node {}: {}", options_.node.name, registration.error().message);
  }
  registration_ = std::move(*registration);

  AgentOptions agentOptions;
  agentOptions.prefix = options_.prefix;
  agentOptions.node = options_.node.name;
  agentOptions.host = options_.node.address;
  agentOptions.baseEnv = options_.baseEnv;
  agentOptions.onProxyExit = [this](const supervisor::ExitInfo& exit) { deps_.proxy.onExit(exit); };
  agent_ = std::make_unique<Agent>(AgentDeps{deps_.io, *client_, deps_.runtime, deps_.health, deps_.logger}, agentOptions);
  if (auto ok = agent_->start(); !ok) return ok;

  ProxyAgentOptions proxyOptions;
  proxyOptions.prefix = options_.prefix;
  proxyOptions.node = options_.node.name;
  proxyOptions.host = options_.node.address;
  proxyAgent_ = std::make_unique<ProxyAgent>(deps_.io, *client_, deps_.proxy, proxyOptions, deps_.logger);
  if (auto ok = proxyAgent_->start(); !ok) return ok;

  leaderKey_ = std::make_unique<etcd::Mirror>(*client_, options_.prefix + "leader");
  etcd::ElectionOptions electionOptions;
  electionOptions.key = options_.prefix + "leader";
  electionOptions.candidate = options_.node.name;
  electionOptions.ttl = options_.leaderTtl;
  election_ = std::make_unique<etcd::LeaderElection>(*client_, electionOptions,
                                                     [this](bool leader) { onLeadership(leader); });
  deps_.logger->info("node {} ({}) joined the cluster at {}", options_.node.name, options_.node.address,
                     fmt::join(options_.endpoints, ","));
  return {};
}

bool ClusterNode::leading() const { return leader_ != nullptr; }

std::string ClusterNode::leaderName() const {
  if (!leaderKey_) return "";
  auto kv = leaderKey_->get(options_.prefix + "leader");
  return kv ? kv->value : "";
}

// On the election's thread.
void ClusterNode::onLeadership(bool leader) {
  const uint64_t term = ++term_;
  if (!leader) {
    asio::post(deps_.io, [this, alive = std::weak_ptr<int>(alive_)] {
      if (alive.lock()) stepDown("it lost the leadership");
    });
    return;
  }
  std::lock_guard lock(builderMutex_);
  builders_.emplace_back([this, term] { build(term); });
}

// On a thread of its own: the reads from etcd a leader starts with.
void ClusterNode::build(uint64_t term) {
  auto fence = election_ ? election_->fence() : std::nullopt;
  if (!fence || term_ != term) return;
  auto deposed = [this, alive = std::weak_ptr<int>(alive_)] {
    asio::post(deps_.io, [this, alive] {
      if (alive.lock()) stepDown("another daemon won the leadership (its writes were refused)");
    });
  };
  auto leader = std::make_unique<Leader>();
  EtcdStoreOptions storeOptions;
  storeOptions.prefix = options_.prefix + "state/";
  storeOptions.fence = fence;
  storeOptions.eventHistory = options_.eventHistory;
  storeOptions.onDeposed = deposed;
  storeOptions.logger = deps_.logger;
  auto store = EtcdStore::open(*client_, deps_.clock, storeOptions);
  if (!store) {
    deps_.logger->error("node {}: cannot lead: {}", options_.node.name, store.error().message);
    return;  // the election goes on; a daemon that cannot read the state does nothing
  }
  leader->store = std::move(*store);
  // spec.placement of the service, read when an instance of it is placed.
  auto placement = [store = leader->store.get()](const std::string& service) {
    PlacementRule rule;
    auto record = store->getService(service);
    if (!record) return rule;
    auto spec = controller::parseStoredSpec(record->specJson);
    if (!spec) return rule;
    rule.maxPerNode = spec->placement.maxPerNode;
    rule.nodeSelector = spec->placement.nodeSelector;
    return rule;
  };
  leader->remote = std::make_unique<RemoteInstances>(
      deps_.io, *client_, RemoteInstancesOptions{options_.prefix, fence, placement, deposed}, deps_.logger);
  if (auto ok = leader->remote->start(); !ok) {
    deps_.logger->error("node {}: cannot lead: {}", options_.node.name, ok.error().message);
    return;
  }
  ClusterProxyOptions proxyOptions;
  proxyOptions.prefix = options_.prefix;
  proxyOptions.fence = fence;
  proxyOptions.onDeposed = deposed;
  leader->proxy = std::make_unique<ClusterProxy>(deps_.io, *client_, proxyOptions, deps_.logger);
  if (auto ok = leader->proxy->start(); !ok) {
    deps_.logger->error("node {}: cannot lead: {}", options_.node.name, ok.error().message);
    return;
  }
  auto shared = std::make_shared<std::unique_ptr<Leader>>(std::move(leader));
  asio::post(deps_.io, [this, term, shared, alive = std::weak_ptr<int>(alive_)] {
    if (alive.lock()) install(term, std::move(*shared));
  });
}

// On the control thread.
void ClusterNode::install(uint64_t term, std::unique_ptr<Leader> leader) {
  if (term_ != term || !election_ || !election_->isLeader()) return;  // a newer term, or lost meanwhile
  Leader& l = *leader;
  l.controller = std::make_unique<controller::Controller>(
      controller::ControllerDeps{deps_.io, *l.store, deps_.clock, deps_.timers, deps_.random, l.remote->runtime(),
                                 l.remote->health(), *l.proxy, deps_.prometheus, deps_.webhook, deps_.pool},
      options_.controller, deps_.logger);
  if (auto ok = l.controller->start(); !ok) {
    deps_.logger->error("node {}: cannot lead: the controller did not start: {}", options_.node.name,
                        ok.error().message);
    return;
  }
  l.remote->forgetUnadopted();
  api::ApiRuntime runtime;
  runtime.controller = l.controller.get();
  runtime.io = &deps_.io;
  runtime.requestExit = deps_.requestExit;
  l.api = std::make_unique<api::ControlApi>(*l.store, deps_.clock, deps_.logger, runtime);
  leader_ = std::move(leader);
  deps_.logger->info("node {} leads the cluster (leader key revision {})", options_.node.name,
                     election_->fence() ? election_->fence()->revision : 0);
}

void ClusterNode::stepDown(const std::string& why) {
  if (!leader_) return;
  deps_.logger->warn("node {} stops leading: {}", options_.node.name, why);
  leader_.reset();
}

void ClusterNode::stop() {
  election_.reset();
  leader_.reset();
}

void ClusterNode::handle(http::Request request, net::Responder respond) {
  const std::string path = request.target.substr(0, request.target.find('?'));
  if (path == "/v1/nodes" && request.method == "GET") {
    if (!leader_) {
      respond(net::errorReply(Error{ErrorCode::kUnavailable,
                                    fmt::format("node {} is not the cluster leader ({} is): ask its daemon",
                                                options_.node.name, leaderName().empty() ? "nobody yet" : leaderName()),
                                    {}}));
      return;
    }
    std::map<std::string, int> counts;
    auto instances = leader_->store->listInstances();
    if (instances) {
      for (const auto& r : *instances) ++counts[leader_->remote->nodeOf(r.name)];
    }
    json items = json::array();
    for (const etcd::NodeInfo& n : leader_->remote->nodes()) {
      items.push_back(json{{"name", n.name},
                           {"address", n.address},
                           {"labels", n.labels},
                           {"ready", true},
                           {"cordoned", leader_->remote->cordoned(n.name)},
                           {"instances", counts[n.name]},
                           {"leader", n.name == options_.node.name}});
    }
    respond(net::jsonReply(200, json{{"items", std::move(items)}, {"leader", options_.node.name}}));
    return;
  }
  // POST /v1/nodes/NAME/cordon | uncordon
  const std::string nodesPrefix = "/v1/nodes/";
  if (leader_ && path.rfind(nodesPrefix, 0) == 0 && request.method == "POST") {
    const std::string rest = path.substr(nodesPrefix.size());
    const size_t slash = rest.find('/');
    const std::string node = rest.substr(0, slash);
    const std::string verb = slash == std::string::npos ? "" : rest.substr(slash + 1);
    if (verb == "cordon" || verb == "uncordon") {
      if (auto ok = leader_->remote->cordon(node, verb == "cordon"); !ok) {
        respond(net::errorReply(ok.error()));
        return;
      }
      deps_.logger->info("node {} {}", node, verb == "cordon" ? "cordoned: it takes no new instance" : "uncordoned");
      respond(net::jsonReply(200, json{{"name", node}, {"cordoned", verb == "cordon"}}));
      return;
    }
  }
  if (leader_ && leader_->api) {
    leader_->api->handle(std::move(request), std::move(respond));
    return;
  }
  const std::string leader = leaderName();
  respond(net::errorReply(Error{
      ErrorCode::kUnavailable,
      leader.empty() || leader == options_.node.name
          ? fmt::format("node {}: the cluster has no leader yet (one is elected within seconds); try again",
                        options_.node.name)
          : fmt::format("node {} is not the cluster leader; {} is: send this request to its daemon", options_.node.name,
                        leader),
      {}}));
}

}  // namespace rollway::cluster
