#include "rollway/cluster/agent.h"

#include <utility>
#include <vector>

#include <asio/post.hpp>

#include "cluster/key_writer.h"
#include "rollway/controller/proxy_port.h"
#include "rollway/etcd/mirror.h"
#include "rollway/probe/probe_runner.h"

namespace rollway::cluster {

using std::chrono::milliseconds;

Agent::Agent(AgentDeps deps, AgentOptions options) : deps_(std::move(deps)), options_(std::move(options)) {
  if (!deps_.logger) deps_.logger = nullLogger();
}

Agent::~Agent() {
  mirror_.reset();  // no more callbacks from its threads
  deps_.runtime.setExitCallback({});
  deps_.health.setEventCallback({});
}

Result<void> Agent::start() {
  const std::string reports = options_.prefix + "report/" + options_.node + "/";
  auto mine = deps_.client.getPrefix(reports);
  if (!mine) {
    return fail(mine.error().code, "agent {}: cannot read its reports from etcd: {}", options_.node, mine.error().message);
  }
  writer_ = std::make_unique<KeyWriter>(deps_.client, KeyWriterOptions{options_.prefix, std::nullopt, 120,
                                                                        milliseconds(100), milliseconds(2000), {},
                                                                        deps_.logger});
  deps_.runtime.setExitCallback([this](const std::string& name, const supervisor::ExitInfo& exit) { onExit(name, exit); });
  deps_.health.setEventCallback(
      [this](const std::string& name, const probe::ProbeEvent& event) { onProbeEvent(name, event); });

  // What this node ran before the daemon restarted: adopted below once the assignments are read.
  for (const etcd::KeyValue& kv : mine->kvs) {
    const std::string name = kv.key.substr(reports.size());
    auto parsed = reportFromJson(kv.value);
    if (!parsed) {
      deps_.logger->warn("agent {}: ignoring report {}: {}", options_.node, kv.key, parsed.error().message);
      continue;
    }
    Local local;
    local.report = std::move(*parsed);
    instances_[name] = std::move(local);
  }
  mirror_ = std::make_unique<etcd::Mirror>(deps_.client, options_.prefix + "assign/" + options_.node + "/",
                                           [this] { scheduleReconcile(); });
  if (!mirror_->waitFor(0, milliseconds(10000))) {
    return fail(ErrorCode::kUnavailable, "agent {}: cannot read its assignments from etcd", options_.node);
  }
  // Adoption: a reported process that has not exited is watched again when it still runs.
  for (auto& [name, local] : instances_) {
    if (local.report.pid <= 0 || local.report.exit) continue;
    auto kv = mirror_->get(options_.prefix + assignKey(options_.node, name));
    supervisor::LaunchSpec launch;
    launch.instance = name;
    if (kv) {
      if (auto a = assignmentFromJson(kv->value)) launch = a->launch;
    }
    auto adopted = deps_.runtime.adopt(launch, static_cast<pid_t>(local.report.pid), local.report.startTimeTicks);
    if (adopted) {
      local.running = true;
      deps_.logger->info("agent {}: adopted {} (pid {})", options_.node, name, local.report.pid);
    } else {
      local.report.exit = supervisor::ExitInfo::unknown();  // it died while the daemon was away
      report(name, local);
    }
  }
  reconcile();
  return {};
}

bool Agent::waitReported(milliseconds timeout) { return writer_ && writer_->waitFlushed(timeout); }

void Agent::scheduleReconcile() {
  if (reconcileQueued_.exchange(true)) return;
  asio::post(deps_.io, [this, alive = std::weak_ptr<int>(alive_)] {
    if (!alive.lock()) return;
    reconcileQueued_ = false;
    reconcile();
  });
}

void Agent::reconcile() {
  const std::string prefix = options_.prefix + "assign/" + options_.node + "/";
  std::map<std::string, Assignment> wanted;
  for (const etcd::KeyValue& kv : mirror_->list(prefix)) {
    auto a = assignmentFromJson(kv.value);
    const std::string name = kv.key.substr(prefix.size());
    if (!a || a->launch.instance != name) {
      deps_.logger->warn("agent {}: ignoring assignment {}: {}", options_.node, kv.key,
                         a ? "its instance is not its key's" : a.error().message);
      continue;
    }
    wanted.emplace(name, std::move(*a));
  }
  for (auto& [name, a] : wanted) instances_[name].assignment = a;
  std::vector<std::string> names;
  for (auto& [name, local] : instances_) {
    if (!wanted.contains(name)) local.assignment.reset();
    names.push_back(name);
  }
  for (const std::string& name : names) {
    auto it = instances_.find(name);
    if (it != instances_.end()) reconcileOne(name, it->second);
  }
}

void Agent::reconcileOne(const std::string& name, Local& local) {
  if (!local.assignment) {
    // Nobody wants it: stop what runs, then forget it (and its report).
    if (local.running && !local.terminating) {
      local.terminating = true;
      deps_.logger->info("agent {}: stopping {}: it is not assigned to this node any more", options_.node, name);
      deps_.health.remove(name);
      local.probing = false;
      (void)deps_.runtime.terminate(name, options_.staleGrace, {});
    } else if (!local.running) {
      forget(name);
    }
    return;
  }
  const Assignment& a = *local.assignment;
  if (a.start > local.report.start && !local.running) startIncarnation(name, local);
  if (!local.running) return;
  if (a.probeTemplate && !local.probing) {
    auto tmpl = templateFromJson(a.launch.service, *a.probeTemplate);
    if (!tmpl) {
      deps_.logger->warn("agent {}: cannot probe {}: {}", options_.node, name, tmpl.error().message);
    } else {
      deps_.health.setMinReadySeconds(name, a.minReadySeconds);
      auto ok = deps_.health.add(name, options_.host, a.launch.port, *tmpl, SteadyTime::clock::now(),
                                 probe::ExecContext{a.launch, options_.baseEnv});
      if (ok) {
        local.probing = true;
      } else {
        deps_.logger->warn("agent {}: cannot probe {}: {}", options_.node, name, ok.error().message);
      }
    }
  }
  if (local.probing) deps_.health.setMinReadySeconds(name, a.minReadySeconds);
  if (a.preStopSeq > local.preStopStarted && !a.preStopArgv.empty()) {
    local.preStopStarted = a.preStopSeq;
    const uint64_t seq = a.preStopSeq;
    auto ok = deps_.runtime.runPreStopExec(
        name, a.preStopArgv, milliseconds(a.preStopTimeoutMs),
        [this, name, seq](const std::string&, const Result<supervisor::ExitInfo>& r) {
          auto it = instances_.find(name);
          if (it == instances_.end()) return;
          it->second.report.preStopSeq = seq;
          it->second.report.preStopExit = r ? std::optional(*r) : std::nullopt;
          it->second.report.preStopError = r ? "" : r.error().message;
          report(name, it->second);
        });
    if (!ok) {
      local.report.preStopSeq = seq;
      local.report.preStopExit.reset();
      local.report.preStopError = ok.error().message;
      report(name, local);
    }
  }
  if (a.terminateGraceMs && !local.terminating) {
    local.terminating = true;
    auto ok = deps_.runtime.terminate(name, milliseconds(*a.terminateGraceMs),
                                      [this, name](const std::string&, const supervisor::Termination& t) {
                                        auto it = instances_.find(name);
                                        if (it == instances_.end()) return;
                                        it->second.report.killedAfterGrace =
                                            t.outcome == supervisor::Termination::Outcome::kKilledAfterGrace;
                                      });
    if (!ok) deps_.logger->warn("agent {}: cannot stop {}: {}", options_.node, name, ok.error().message);
  }
}

void Agent::startIncarnation(const std::string& name, Local& local) {
  const Assignment& a = *local.assignment;
  supervisor::LaunchSpec launch = a.launch;
  launch.env["ROLLWAY_HOST"] = options_.host;
  InstanceReport fresh;
  fresh.node = options_.node;
  fresh.host = options_.host;
  fresh.port = a.launch.port;
  fresh.start = a.start;
  fresh.preStopSeq = local.report.preStopSeq;
  local.report = std::move(fresh);
  local.terminating = false;
  local.probing = false;
  local.probeSeq = 0;
  auto started = deps_.runtime.start(launch);
  if (!started) {
    local.report.startError = started.error().message;
    local.report.exit = supervisor::ExitInfo::exited(127);
  } else {
    local.running = true;
    local.report.pid = started->pid;
    local.report.startTimeTicks = started->startTimeTicks;
  }
  report(name, local);
}

void Agent::onExit(const std::string& name, const supervisor::ExitInfo& exit) {
  if (name == controller::ProxyPort::kProcessName) {
    if (options_.onProxyExit) options_.onProxyExit(exit);
    return;
  }
  auto it = instances_.find(name);
  if (it == instances_.end()) return;
  Local& local = it->second;
  local.running = false;
  local.terminating = false;
  if (local.probing) deps_.health.remove(name);
  local.probing = false;
  local.report.exit = exit;
  local.report.ready = local.report.available = false;
  if (!local.assignment) {
    forget(name);
    return;
  }
  report(name, local);
  reconcileOne(name, local);  // a new incarnation may be wanted already
}

void Agent::onProbeEvent(const std::string& name, const probe::ProbeEvent& event) {
  auto it = instances_.find(name);
  if (it == instances_.end() || !it->second.probing) return;
  Local& local = it->second;
  InstanceReport& r = local.report;
  r.probeEvents.push_back(ReportedProbeEvent{++local.probeSeq, event});
  while (r.probeEvents.size() > options_.probeEventsKept) r.probeEvents.erase(r.probeEvents.begin());
  if (event.kind == probe::ProbeEventKind::kStarted) r.started = true;
  if (event.kind == probe::ProbeEventKind::kRestartRequired) r.restartRequired = true;
  if (auto st = deps_.health.status(name)) {
    r.started = r.started || st->started;
    r.ready = st->ready;
    r.available = st->available;
    r.restartRequired = r.restartRequired || st->restartRequired;
    r.probeSuccesses = st->successes;
    r.probeFailures = st->failures;
  }
  report(name, local);
}

void Agent::report(const std::string& name, const Local& local) {
  writer_->set(reportKey(options_.node, name), toJson(local.report));
}

void Agent::forget(const std::string& name) {
  writer_->set(reportKey(options_.node, name), std::nullopt);
  instances_.erase(name);
}

}  // namespace rollway::cluster
