#include "rollway/cluster/remote_instances.h"

#include <algorithm>
#include <tuple>
#include <utility>

#include <asio/post.hpp>
#include <fmt/format.h>

#include "cluster/coalesced_post.h"
#include "cluster/key_writer.h"
#include "rollway/etcd/mirror.h"
#include "rollway/spec/serialize.h"

namespace rollway::cluster {

using std::chrono::milliseconds;
using supervisor::ExitInfo;
using supervisor::InstanceProcess;
using supervisor::LaunchSpec;

struct RemoteInstances::Tracked {
  std::string name;
  std::string host;
  Assignment a;
  bool watching = true;  // the exit of this incarnation is not delivered yet
  supervisor::ProcessRuntime::TerminateCallback onTerminated;
  bool terminating = false;
  uint64_t preStopAwaited = 0;
  supervisor::ProcessRuntime::PreStopCallback onPreStop;
  bool probed = false;
  bool replay = false;  // the next report's state becomes events (probing began, or adopted)
  uint64_t eventsSeen = 0;
};

// --- the controller's ProcessRuntime ------------------------------------------------------

class RemoteInstances::Runtime final : public supervisor::ProcessRuntime {
 public:
  explicit Runtime(RemoteInstances& owner) : o_(owner) {}

  void setExitCallback(ExitCallback callback) override { onExit = std::move(callback); }

  Result<InstanceProcess> start(const LaunchSpec& launch) override {
    auto existing = o_.tracked_.find(launch.instance);
    if (existing != o_.tracked_.end() && existing->second->watching) {
      return fail(ErrorCode::kConflict, "{} is already running on node {}", launch.instance, existing->second->a.node);
    }
    auto node = o_.place(launch);
    if (!node) return fail(node.error());
    uint64_t start = 1;
    if (auto last = o_.lastStart_.find(launch.instance); last != o_.lastStart_.end()) {
      start = last->second.second + 1;
      if (last->second.first != *node) o_.writer_->set(assignKey(last->second.first, launch.instance), std::nullopt);
    }
    auto t = std::make_unique<Tracked>();
    t->name = launch.instance;
    t->a.node = *node;
    t->a.launch = launch;
    t->a.start = start;
    for (const auto& n : o_.nodes()) {
      if (n.name == *node) t->host = n.address;
    }
    o_.lastStart_[launch.instance] = {*node, start};
    o_.write(*t);
    InstanceProcess p;
    p.instance = launch.instance;
    p.host = t->host;
    p.node = *node;
    o_.tracked_[launch.instance] = std::move(t);
    return p;
  }

  Result<InstanceProcess> adopt(const LaunchSpec& launch, pid_t pid, int64_t ticks) override {
    auto found = adoptable.find(launch.instance);
    if (found == adoptable.end()) return fail(ErrorCode::kNotFound, "{} is assigned to no node", launch.instance);
    Assignment a = found->second;
    auto nodes = o_.nodes();
    auto node = std::find_if(nodes.begin(), nodes.end(), [&](const etcd::NodeInfo& n) { return n.name == a.node; });
    if (node == nodes.end()) {
      return fail(ErrorCode::kNotFound, "{} was on node {}, which is not in the cluster any more", launch.instance, a.node);
    }
    auto t = std::make_unique<Tracked>();
    t->name = launch.instance;
    t->host = node->address;
    t->a = std::move(a);
    t->a.launch = launch;
    t->replay = true;
    InstanceProcess p;
    p.instance = launch.instance;
    p.pid = pid;
    p.startTimeTicks = ticks;
    p.adopted = true;
    p.host = t->host;
    p.node = t->a.node;
    if (auto r = o_.reportOf(*t)) {
      if (r->exit) return fail(ErrorCode::kNotFound, "{} exited on node {}", launch.instance, t->a.node);
      p.pid = static_cast<pid_t>(r->pid);
      p.startTimeTicks = r->startTimeTicks;
    }
    adoptable.erase(found);
    o_.tracked_[launch.instance] = std::move(t);
    o_.scheduleSync();
    return p;
  }

  std::optional<InstanceProcess> findUnwatched(const std::string&) const override { return std::nullopt; }

  Result<void> terminate(const std::string& instance, milliseconds grace, TerminateCallback done) override {
    auto it = o_.tracked_.find(instance);
    if (it == o_.tracked_.end() || !it->second->watching) return fail(ErrorCode::kNotFound, "{} is not running", instance);
    Tracked& t = *it->second;
    if (t.terminating) return fail(ErrorCode::kConflict, "{} is being stopped already", instance);
    t.terminating = true;
    t.onTerminated = std::move(done);
    t.a.terminateGraceMs = grace.count();
    o_.write(t);
    return {};
  }

  Result<void> runPreStopExec(const std::string& instance, const std::vector<std::string>& argv, milliseconds timeout,
                              PreStopCallback done) override {
    auto it = o_.tracked_.find(instance);
    if (it == o_.tracked_.end() || !it->second->watching) return fail(ErrorCode::kNotFound, "{} is not running", instance);
    Tracked& t = *it->second;
    t.a.preStopSeq += 1;
    t.a.preStopArgv = argv;
    t.a.preStopTimeoutMs = timeout.count();
    t.preStopAwaited = t.a.preStopSeq;
    t.onPreStop = std::move(done);
    o_.write(t);
    return {};
  }

  bool watching(const std::string& instance) const override {
    auto it = o_.tracked_.find(instance);
    return it != o_.tracked_.end() && it->second->watching;
  }

  ExitCallback onExit;
  std::map<std::string, Assignment> adoptable;  // an earlier leader's assignments, by instance

 private:
  RemoteInstances& o_;
};

// --- the controller's HealthSource ------------------------------------------------------------

class RemoteInstances::Health final : public probe::HealthSource {
 public:
  explicit Health(RemoteInstances& owner) : o_(owner) {}

  void setEventCallback(EventCallback callback) override { onEvent = std::move(callback); }

  Result<void> add(const std::string& id, const std::string&, int, const spec::Template& tmpl, SteadyTime,
                   std::optional<probe::ExecContext>) override {
    auto it = o_.tracked_.find(id);
    if (it == o_.tracked_.end()) return fail(ErrorCode::kNotFound, "{} is not running", id);
    Tracked& t = *it->second;
    t.a.probeTemplate = spec::toJson(tmpl).dump();
    t.probed = true;
    t.replay = true;
    o_.write(t);
    o_.scheduleSync();
    return {};
  }

  void remove(const std::string& id) override {
    auto it = o_.tracked_.find(id);
    if (it != o_.tracked_.end()) it->second->probed = false;
  }

  void setMinReadySeconds(const std::string& id, int seconds) override {
    auto it = o_.tracked_.find(id);
    if (it == o_.tracked_.end() || it->second->a.minReadySeconds == seconds) return;
    it->second->a.minReadySeconds = seconds;
    o_.write(*it->second);
  }

  std::optional<probe::InstanceProbeStatus> status(const std::string& id) const override {
    auto it = o_.tracked_.find(id);
    if (it == o_.tracked_.end() || !it->second->probed) return std::nullopt;
    probe::InstanceProbeStatus st;
    if (auto r = o_.reportOf(*it->second)) {
      st.started = r->started;
      st.ready = r->ready;
      st.available = r->available;
      st.restartRequired = r->restartRequired;
      st.successes = r->probeSuccesses;
      st.failures = r->probeFailures;
    }
    return st;
  }

  EventCallback onEvent;

 private:
  RemoteInstances& o_;
};

// --- RemoteInstances ------------------------------------------------------------------------------

RemoteInstances::RemoteInstances(asio::io_context& io, etcd::Client& client, RemoteInstancesOptions options,
                                 Logger logger)
    : io_(io),
      client_(client),
      options_(std::move(options)),
      logger_(logger ? std::move(logger) : nullLogger()),
      runtime_(std::make_unique<Runtime>(*this)),
      health_(std::make_unique<Health>(*this)),
      sync_(std::make_unique<CoalescedPost>(io, [this] { sync(); })) {}

RemoteInstances::~RemoteInstances() {
  nodes_.reset();
  reports_.reset();
}

supervisor::ProcessRuntime& RemoteInstances::runtime() { return *runtime_; }
probe::HealthSource& RemoteInstances::health() { return *health_; }

Result<void> RemoteInstances::start() {
  const std::string assigned = options_.prefix + "assign/";
  auto earlier = client_.getPrefix(assigned);
  if (!earlier) {
    return fail(earlier.error().code, "cluster: cannot read the assignments from etcd: {}", earlier.error().message);
  }
  for (const etcd::KeyValue& kv : earlier->kvs) {
    auto a = assignmentFromJson(kv.value);
    if (!a) {
      logger_->warn("cluster: ignoring assignment {}: {}", kv.key, a.error().message);
      continue;
    }
    lastStart_[a->launch.instance] = {a->node, a->start};
    runtime_->adoptable[a->launch.instance] = std::move(*a);
  }
  auto cordoned = client_.getPrefix(options_.prefix + "cordoned/");
  if (!cordoned) {
    return fail(cordoned.error().code, "cluster: cannot read the cordoned nodes from etcd: {}", cordoned.error().message);
  }
  for (const etcd::KeyValue& kv : cordoned->kvs) cordoned_.insert(kv.key.substr(options_.prefix.size() + 9));
  writer_ = std::make_unique<KeyWriter>(client_, KeyWriterOptions{options_.prefix, options_.fence, 120,
                                                                   milliseconds(100), milliseconds(2000),
                                                                   options_.onDeposed, logger_});
  nodes_ = std::make_unique<etcd::Mirror>(client_, options_.prefix + "nodes/", [this] { scheduleSync(); });
  reports_ = std::make_unique<etcd::Mirror>(client_, options_.prefix + "report/", [this] { scheduleSync(); });
  if (!nodes_->waitFor(0, milliseconds(10000)) || !reports_->waitFor(0, milliseconds(10000))) {
    return fail(ErrorCode::kUnavailable, "cluster: cannot read the nodes and reports from etcd");
  }
  return {};
}

void RemoteInstances::forgetUnadopted() {
  for (const auto& [name, a] : runtime_->adoptable) {
    logger_->info("cluster: {} on node {} is not wanted any more: its agent stops it", name, a.node);
    writer_->set(assignKey(a.node, name), std::nullopt);
  }
  runtime_->adoptable.clear();
}

std::vector<etcd::NodeInfo> RemoteInstances::nodes() const {
  std::vector<etcd::NodeInfo> out;
  if (!nodes_) return out;
  for (const etcd::KeyValue& kv : nodes_->list(options_.prefix + "nodes/")) {
    auto node = etcd::nodeFromJson(kv.key, kv.value);
    if (node) out.push_back(std::move(*node));
  }
  return out;
}

Result<void> RemoteInstances::cordon(const std::string& node, bool on) {
  if (on) {
    auto live = nodes();
    if (std::none_of(live.begin(), live.end(), [&](const etcd::NodeInfo& n) { return n.name == node; })) {
      return fail(ErrorCode::kNotFound, "no node {} in the cluster (see: rollway get nodes)", node);
    }
    cordoned_.insert(node);
    writer_->set("cordoned/" + node, "1");
  } else {
    cordoned_.erase(node);
    writer_->set("cordoned/" + node, std::nullopt);
  }
  return {};
}

std::string RemoteInstances::nodeOf(const std::string& instance) const {
  auto it = tracked_.find(instance);
  return it == tracked_.end() ? "" : it->second->a.node;
}

bool RemoteInstances::waitWritten(milliseconds timeout) { return writer_ && writer_->waitFlushed(timeout); }

Result<std::string> RemoteInstances::place(const LaunchSpec& launch) const {
  const PlacementRule rule = options_.placement ? options_.placement(launch.service) : PlacementRule{};
  std::map<std::string, int> ofService;
  std::map<std::string, int> leaving;  // of the service, on another revision (a rollout stops them)
  std::map<std::string, int> total;
  for (const auto& [name, t] : tracked_) {
    if (!t->watching || t->terminating) continue;
    ++total[t->a.node];
    if (t->a.launch.service != launch.service) continue;
    ++ofService[t->a.node];
    if (t->a.launch.revision != launch.revision) ++leaving[t->a.node];
  }
  const auto live = nodes();
  const etcd::NodeInfo* best = nullptr;
  for (const etcd::NodeInfo& n : live) {
    bool matches = std::all_of(rule.nodeSelector.begin(), rule.nodeSelector.end(), [&](const auto& label) {
      auto it = n.labels.find(label.first);
      return it != n.labels.end() && it->second == label.second;
    });
    if (!matches || cordoned_.contains(n.name)) continue;
    if (rule.maxPerNode > 0 && ofService[n.name] >= rule.maxPerNode) continue;
    // The least loaded; among equals, where the most will leave (so that a rollout, which
    // stops old instances on the most crowded nodes first, ends as spread as it began).
    auto key = [&](const std::string& node) { return std::tuple(ofService[node], -leaving[node], total[node]); };
    if (best == nullptr || key(n.name) < key(best->name)) best = &n;
  }
  if (best == nullptr) {
    return fail(ErrorCode::kUnavailable,
                "no ready node can take an instance of {} ({} nodes in the cluster, {} cordoned; maxPerNode {}; "
                "nodeSelector of {} labels)",
                launch.service, live.size(), cordoned_.size(), rule.maxPerNode, rule.nodeSelector.size());
  }
  return best->name;
}

void RemoteInstances::write(const Tracked& t) { writer_->set(assignKey(t.a.node, t.name), toJson(t.a)); }

std::optional<InstanceReport> RemoteInstances::reportOf(const Tracked& t) const {
  if (!reports_) return std::nullopt;
  auto kv = reports_->get(options_.prefix + reportKey(t.a.node, t.name));
  if (!kv) return std::nullopt;
  auto r = reportFromJson(kv->value);
  if (!r || r->start != t.a.start) return std::nullopt;
  return std::move(*r);
}

void RemoteInstances::scheduleSync() { sync_->request(); }

void RemoteInstances::sync() {
  std::vector<std::string> names;
  for (const auto& [name, t] : tracked_) names.push_back(name);
  for (const std::string& name : names) syncOne(name);
}

void RemoteInstances::syncOne(const std::string& name) {
  auto find = [&]() -> Tracked* {
    auto it = tracked_.find(name);
    return it == tracked_.end() ? nullptr : it->second.get();
  };
  Tracked* t = find();
  if (t == nullptr || !t->watching) return;
  const uint64_t start = t->a.start;
  const auto live = nodes();
  const bool nodeLive =
      std::any_of(live.begin(), live.end(), [&](const etcd::NodeInfo& n) { return n.name == t->a.node; });
  ExitInfo exit = ExitInfo::lost();
  std::optional<bool> killedAfterGrace;
  if (!nodeLive) {
    logger_->warn("cluster: node {} is lost: {} counts as exited", t->a.node, name);
  } else {
    auto r = reportOf(*t);
    if (!r) return;
    if (t->probed) {
      std::vector<probe::ProbeEvent> events;
      if (t->replay) {
        if (r->started) events.push_back({probe::ProbeEventKind::kStarted, std::nullopt, "reported by " + t->a.node});
        if (r->ready) events.push_back({probe::ProbeEventKind::kReady, std::nullopt, "reported by " + t->a.node});
        if (r->available) events.push_back({probe::ProbeEventKind::kAvailable, std::nullopt, "reported by " + t->a.node});
        if (r->restartRequired) events.push_back({probe::ProbeEventKind::kRestartRequired, std::nullopt, "reported by " + t->a.node});
        t->replay = false;
        for (const auto& e : r->probeEvents) t->eventsSeen = std::max(t->eventsSeen, e.seq);
      } else {
        for (const auto& e : r->probeEvents) {
          if (e.seq <= t->eventsSeen) continue;
          t->eventsSeen = e.seq;
          events.push_back(e.event);
        }
      }
      for (const auto& e : events) {
        if (health_->onEvent) health_->onEvent(name, e);
        t = find();
        if (t == nullptr || !t->watching || t->a.start != start || !t->probed) return;
      }
    }
    if (t->onPreStop && r->preStopSeq >= t->preStopAwaited) {
      auto done = std::move(t->onPreStop);
      t->onPreStop = nullptr;
      if (r->preStopExit) {
        done(name, *r->preStopExit);
      } else {
        done(name, fail(ErrorCode::kIo, "preStop on node {}: {}", r->node, r->preStopError));
      }
      t = find();
      if (t == nullptr || !t->watching || t->a.start != start) return;
    }
    if (!r->exit) return;
    exit = *r->exit;
    killedAfterGrace = r->killedAfterGrace;
  }
  t->watching = false;
  if (t->onTerminated) {
    auto done = std::move(t->onTerminated);
    t->onTerminated = nullptr;
    supervisor::Termination term;
    term.outcome = killedAfterGrace.value_or(false) ? supervisor::Termination::Outcome::kKilledAfterGrace
                                                    : supervisor::Termination::Outcome::kExitedAfterSigterm;
    term.exit = exit;
    done(name, term);
  }
  if (runtime_->onExit) runtime_->onExit(name, exit);
  t = find();
  if (t != nullptr && !t->watching && t->a.start == start) drop(name);
}

void RemoteInstances::drop(const std::string& name) {
  auto it = tracked_.find(name);
  if (it == tracked_.end()) return;
  writer_->set(assignKey(it->second->a.node, name), std::nullopt);
  tracked_.erase(it);
}

}  // namespace rollway::cluster
