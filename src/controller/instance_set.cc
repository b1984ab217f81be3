#include "rollway/controller/instance_set.h"

#include <algorithm>

#include <asio/post.hpp>
#include <fmt/format.h>

#include "rollway/spec/serialize.h"
#include "rollway/supervisor/instance_name.h"

namespace rollway::controller {

namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;


std::string objectOf(const Instance& inst) { return "instance/" + inst.name; }

int64_t nowUnixMs(const Clock& clock) { return toUnixMillis(clock.wallNow()); }

}  // namespace

InstanceSet::InstanceSet(InstanceSetDeps deps, InstanceSetOptions options, InstanceSetHooks hooks)
    : deps_(deps), options_(std::move(options)), hooks_(std::move(hooks)), ports_(options_.portFirst, options_.portLast) {}

InstanceSet::~InstanceSet() = default;

Instance* InstanceSet::find(const std::string& name) {
  auto it = instances_.find(name);
  return it == instances_.end() ? nullptr : it->second.get();
}

const Instance* InstanceSet::find(const std::string& name) const {
  auto it = instances_.find(name);
  return it == instances_.end() ? nullptr : it->second.get();
}

std::vector<Instance*> InstanceSet::ofService(const std::string& service) {
  std::vector<Instance*> out;
  for (auto& [name, inst] : instances_) {
    if (inst->service == service) out.push_back(inst.get());
  }
  return out;
}

Instance* InstanceSet::create(const std::string& service, const std::string& hash, int64_t revision,
                              spec::Template tmpl) {
  auto port = ports_.allocate();
  if (!port) {
    deps_.events.record(service, "service/" + service, kWarning, "FailedCreate",
                        "No free port for a new instance: " + port.error().message);
    return nullptr;
  }
  auto inst = std::make_unique<Instance>(deps_.clock, options_.backoff);
  inst->name = supervisor::makeInstanceName(service, revision, deps_.random);
  while (instances_.contains(inst->name)) inst->name = supervisor::makeInstanceName(service, revision, deps_.random);
  inst->service = service;
  inst->hash = hash;
  inst->revision = revision;
  inst->tmpl = std::move(tmpl);
  inst->port = *port;
  inst->createdMs = nowUnixMs(deps_.clock);
  Instance& ref = *inst;
  instances_[inst->name] = std::move(inst);
  record(ref);
  if (spawn(ref)) {
    deps_.events.record(service, objectOf(ref), kNormal, "Started",
                        fmt::format("Started {} (revision {}, {}) on port {}, pid {}", ref.name, revision,
                                    ref.tmpl.version.empty() ? "no version" : ref.tmpl.version, ref.port, ref.pid));
  }
  return &ref;
}

Result<void> InstanceSet::spawn(Instance& inst) {
  auto started = deps_.runtime.start(launchSpec(inst));
  if (!started) {
    // Counted as a crash: back-off, then try again (a typo in command stays visible).
    auto delay = inst.backoff.exited(supervisor::ExitInfo::exited(127));
    inst.phase = InstancePhase::kBackOff;
    inst.message = "FailedStart: " + started.error().message;
    deps_.events.record(inst.service, objectOf(inst), kWarning, "FailedStart",
                        fmt::format("Cannot start {}: {}; retrying in {}s", inst.name, started.error().message,
                                    std::chrono::duration_cast<seconds>(delay).count()));
    record(inst);
    hooks_.wakeIn(std::chrono::duration_cast<milliseconds>(delay));
    return fail(started.error());
  }
  inst.pid = started->pid;
  inst.host = started->host.empty() ? "127.0.0.1" : started->host;
  inst.node = started->node;
  inst.startTicks = started->startTimeTicks;
  inst.startedMs = nowUnixMs(deps_.clock);
  inst.phase = InstancePhase::kStarting;
  inst.message.clear();
  inst.backoff.started();
  probe(inst);
  record(inst);
  return {};
}

void InstanceSet::probe(Instance& inst) {
  int minReady = hooks_.minReadySeconds(inst.service);
  deps_.health.setMinReadySeconds(inst.name, minReady);
  auto ok = deps_.health.add(inst.name, inst.host, inst.port, inst.tmpl, deps_.clock.now(),
                             probe::ExecContext{launchSpec(inst), options_.baseEnv});
  if (!ok) deps_.logger->warn("instance {}: cannot probe: {}", inst.name, ok.error().message);
  deps_.health.setMinReadySeconds(inst.name, minReady);
}

bool InstanceSet::adopt(const store::InstanceRecord& r, std::optional<spec::Template> tmpl) {
  auto inst = std::make_unique<Instance>(deps_.clock, options_.backoff);
  inst->name = r.name;
  inst->service = r.service;
  inst->revision = r.revision;
  inst->port = r.port;
  inst->createdMs = r.createdAtMs;
  inst->startedMs = r.createdAtMs;
  if (tmpl) {
    inst->tmpl = std::move(*tmpl);
    inst->hash = spec::templateHash(inst->tmpl);
  }
  supervisor::LaunchSpec launch = launchSpec(*inst);
  auto adopted = deps_.runtime.adopt(launch, static_cast<pid_t>(r.pid), r.startTimeTicks);
  if (!adopted) {
    // Started (or restarted) but not recorded with its pid before the daemon died.
    if (auto found = deps_.runtime.findUnwatched(r.name); found) {
      adopted = deps_.runtime.adopt(launch, found->pid, found->startTimeTicks);
    }
  }
  if (!adopted) {
    deps_.events.record(r.service, "instance/" + r.name, kWarning, "InstanceLost",
                        fmt::format("Instance {} (pid {}) did not survive the daemon restart; it will be replaced",
                                    r.name, r.pid));
    (void)deps_.store.deleteInstance(r.name);
    return false;
  }
  ports_.reserve(r.port);
  inst->pid = adopted->pid;
  inst->host = adopted->host.empty() ? "127.0.0.1" : adopted->host;
  inst->node = adopted->node;
  inst->startTicks = adopted->startTimeTicks;
  inst->backoff.started();
  inst->phase = InstancePhase::kStarting;
  RecordedState recorded = parseRecordedState(r.state);
  inst->eviction = recorded.eviction;
  if (recorded.phase == "Ready" || recorded.phase == "Available") {
    // It stays in rotation until its readiness probe has spoken (or the window it has to
    // speak in is over), so a restart of the control plane never empties the proxy.
    inst->phase = InstancePhase::kAssumedReady;
    int window = 10;
    if (inst->tmpl.readinessProbe) {
      const auto& p = *inst->tmpl.readinessProbe;
      window = std::max(window, p.initialDelaySeconds + p.periodSeconds * p.failureThreshold + p.timeoutSeconds);
    }
    inst->assumedUntil = deps_.clock.now() + seconds(window);
  }
  Instance& ref = *inst;
  instances_[r.name] = std::move(inst);
  if (ref.hash.empty()) {
    // Its revision is gone from the store (service deleted while the daemon was down):
    // stopped without probing.
    deps_.events.record(r.service, objectOf(ref), kNormal, "Adopted",
                        fmt::format("Adopted {} (pid {}); its service or revision no longer exists", r.name, ref.pid));
    return true;
  }
  probe(ref);
  deps_.events.record(r.service, objectOf(ref), kNormal, "Adopted",
                      fmt::format("Adopted running instance {} (pid {}, port {})", r.name, ref.pid, r.port));
  return true;
}

void InstanceSet::restartDue(const std::string& service) {
  for (Instance* inst : ofService(service)) {
    if (inst->phase == InstancePhase::kBackOff && inst->backoff.readyToRestart() && spawn(*inst)) {
      deps_.events.record(service, objectOf(*inst), kNormal, "Restarted",
                          fmt::format("Restarted {} (restart {}), pid {}", inst->name, inst->backoff.restartCount(),
                                      inst->pid));
    }
  }
}

void InstanceSet::expireAssumptions() {
  auto now = deps_.clock.now();
  for (auto& [name, inst] : instances_) {
    if (inst->phase == InstancePhase::kAssumedReady && now >= inst->assumedUntil) inst->phase = InstancePhase::kStarting;
  }
}

ProbeEffect InstanceSet::onProbe(const std::string& name, const probe::ProbeEvent& e) {
  Instance* found = find(name);
  if (found == nullptr || !found->probed()) return ProbeEffect::kIgnored;
  Instance& inst = *found;
  ProbeEffect effect = ProbeEffect::kChanged;
  switch (e.kind) {
    case probe::ProbeEventKind::kStarted:
      return ProbeEffect::kIgnored;
    case probe::ProbeEventKind::kReady:
      if (inst.phase != InstancePhase::kAvailable) inst.phase = InstancePhase::kReady;
      inst.message.clear();
      deps_.events.record(inst.service, objectOf(inst), kNormal, "Ready",
                          fmt::format("{} is ready and in rotation ({})", name, e.reason));
      break;
    case probe::ProbeEventKind::kNotReady:
      inst.phase = InstancePhase::kNotReady;
      inst.message = "NotReady: " + e.reason;
      deps_.events.record(inst.service, objectOf(inst), kWarning, "NotReady",
                          fmt::format("{} taken out of rotation: {}", name, e.reason));
      break;
    case probe::ProbeEventKind::kAvailable:
      // Available only counts in rotation: a verdict that comes after readiness was lost
      // again is stale.
      if (!inst.inRotation()) return ProbeEffect::kIgnored;
      inst.phase = InstancePhase::kAvailable;
      effect = ProbeEffect::kBecameAvailable;
      break;
    case probe::ProbeEventKind::kRestartRequired:
      deps_.events.record(inst.service, objectOf(inst), kWarning, "Unhealthy",
                          fmt::format("{}: {}; restarting it", name, e.reason));
      return ProbeEffect::kRestartRequired;
  }
  record(inst);
  return effect;
}

milliseconds InstanceSet::onCrash(Instance& inst, const supervisor::ExitInfo& exit) {
  deps_.health.remove(inst.name);
  bool wasRestart = inst.phase == InstancePhase::kRestarting;
  inst.termination.reset();  // a restart's termination sequence ends here
  inst.lastExit = exit.str();
  auto delay = inst.backoff.exited(exit);
  auto delaySeconds = std::chrono::duration_cast<seconds>(delay).count();
  inst.phase = InstancePhase::kBackOff;
  inst.message = fmt::format("{}; restart in {}s", exit.str(), delaySeconds);
  if (exit.kind == supervisor::ExitInfo::Kind::kLost) {
    deps_.events.record(inst.service, objectOf(inst), kWarning, "NodeLost",
                        fmt::format("{} {}; starting it again on another node", inst.name, exit.str()));
  } else {
    deps_.events.record(inst.service, objectOf(inst), kWarning, wasRestart ? "Killed" : "BackOff",
                        fmt::format("{} {}{}; back-off {}s before restarting it", inst.name, exit.str(),
                                    wasRestart ? " (stopped for a restart)" : "", delaySeconds));
  }
  record(inst);
  auto ms = std::chrono::duration_cast<milliseconds>(delay);
  hooks_.wakeIn(ms);
  return ms;
}

void InstanceSet::erase(const std::string& name) {
  auto it = instances_.find(name);
  if (it == instances_.end()) return;
  deps_.health.remove(name);
  ports_.release(it->second->port);
  if (auto ok = deps_.store.deleteInstance(name); !ok && ok.error().code != ErrorCode::kNotFound) {
    deps_.logger->error("cannot delete instance record {}: {}", name, ok.error().message);
  }
  // Destroyed after the running handler returns: it may be one of the instance's own.
  std::shared_ptr<Instance> dead(std::move(it->second));
  instances_.erase(it);
  asio::post(deps_.io, [dead] {});
}

supervisor::LaunchSpec InstanceSet::launchSpec(const Instance& inst) const {
  supervisor::LaunchSpec launch;
  launch.instance = inst.name;
  launch.service = inst.service;
  launch.revision = inst.revision;
  launch.version = inst.tmpl.version;
  launch.port = inst.port;
  launch.command = inst.tmpl.command;
  launch.env = inst.tmpl.env;
  launch.workingDir = inst.tmpl.workingDir;
  return launch;
}

void InstanceSet::record(const Instance& inst) {
  store::InstanceRecord r;
  r.name = inst.name;
  r.service = inst.service;
  r.revision = hooks_.revisionOf(inst);
  r.pid = inst.pid;
  r.startTimeTicks = inst.startTicks;
  r.port = inst.port;
  r.state = recordedState(inst);
  r.createdAtMs = inst.createdMs;
  if (auto ok = deps_.store.upsertInstance(r); !ok) {
    deps_.logger->error("cannot record instance {}: {}", inst.name, ok.error().message);
  }
}

nlohmann::json InstanceSet::toJson(const Instance& inst) const {
  bool backOff = inst.phase == InstancePhase::kBackOff;
  std::string message = backOff ? inst.backoff.describe() : inst.message;
  bool evicting = inst.eviction && inst.phase != InstancePhase::kTerminating;
  if (evicting) {
    const Instance* r = inst.eviction->replacement.empty() ? nullptr : find(inst.eviction->replacement);
    std::string note = r == nullptr ? "evicting: starting its replacement"
                                    : fmt::format("evicting: waiting for its replacement {} ({}) to become available",
                                                  r->name, r->apiPhase());
    message = message.empty() ? note : note + "; " + message;
  }
  nlohmann::json j = {{"name", inst.name},
          {"service", inst.service},
          {"revision", hooks_.revisionOf(inst)},
          {"version", inst.tmpl.version},
          {"pid", backOff ? 0 : inst.pid},
          {"port", inst.port},
          {"address", inst.address()},
          {"phase", inst.apiPhase()},
          {"ready", inst.inRotation()},
          {"available", inst.countsAvailable()},
          {"restarts", inst.backoff.restartCount()},
          {"lastExit", inst.lastExit},
          {"message", message},
          {"evicting", evicting},
          {"replacement", evicting ? inst.eviction->replacement : std::string()},
          {"createdAtMs", inst.createdMs},
          {"startedAtMs", inst.startedMs}};
  if (!inst.node.empty()) j["node"] = inst.node;
  return j;
}

}  // namespace rollway::controller
