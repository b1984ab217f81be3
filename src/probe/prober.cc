#include "rollway/probe/prober.h"

#include <array>
#include <utility>
#include <vector>

#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>

#include "rollway/probe/probe_runner.h"
#include "rollway/probe/probe_tracker.h"

namespace rollway::probe {
namespace {

Result<void> checkProbe(const std::optional<spec::Probe>& probe, ProbeType type, int port) {
  if (!probe) return {};
  int effective = port;
  switch (probe->kind) {
    case spec::ProbeKind::kHttpGet:
      if (probe->httpGet.port != 0) effective = probe->httpGet.port;
      break;
    case spec::ProbeKind::kTcpSocket:
      if (probe->tcpSocket.port != 0) effective = probe->tcpSocket.port;
      break;
    case spec::ProbeKind::kExec:
      if (probe->exec.command.empty()) {
        return fail(ErrorCode::kInvalidArgument, "{} probe: exec.command is empty", probeTypeName(type));
      }
      return {};
  }
  if (effective <= 0 || effective > 65535) {
    return fail(ErrorCode::kInvalidArgument, "{} probe: port {} is not a TCP port", probeTypeName(type), effective);
  }
  return {};
}

}  // namespace

struct Prober::Instance {
  Instance(asio::io_context& io, std::string instanceId, ProbeTracker probeTracker)
      : id(std::move(instanceId)), tracker(std::move(probeTracker)), timer(io) {}

  std::string id;
  ProbeTracker tracker;
  std::array<std::unique_ptr<ProbeRunner>, 3> runners;
  asio::steady_timer timer;
  std::optional<SteadyTime> armedFor;
  bool removed = false;
  uint64_t successes = 0;
  uint64_t failures = 0;

  void cancelAll() {
    removed = true;
    for (auto& runner : runners) {
      if (runner) runner->cancel();
    }
    timer.cancel();
    armedFor.reset();
  }
};

Prober::Prober(asio::io_context& io, const Clock& clock, EventCallback onEvent)
    : io_(io), clock_(clock), onEvent_(std::move(onEvent)) {}

Prober::~Prober() {
  for (auto& [id, instance] : instances_) instance->cancelAll();
}

Result<void> Prober::add(const std::string& instanceId, const std::string& host, int port,
                         const spec::Template& tmpl, SteadyTime startTime, std::optional<ExecContext> exec) {
  if (instances_.count(instanceId) != 0) {
    return fail(ErrorCode::kConflict, "instance {} is already probed", instanceId);
  }
  for (ProbeType type : kAllProbeTypes) {
    const auto& probe = type == ProbeType::kStartup    ? tmpl.startupProbe
                        : type == ProbeType::kLiveness ? tmpl.livenessProbe
                                                       : tmpl.readinessProbe;
    if (auto checked = checkProbe(probe, type, port); !checked) {
      Error error = checked.error();
      error.message = "instance " + instanceId + ": " + error.message;
      return fail(std::move(error));
    }
  }
  auto instance = std::make_shared<Instance>(io_, instanceId,
                                             ProbeTracker(clock_, tmpl, startTime, minReadySeconds_));
  ProbeEndpoint endpoint{host.empty() ? std::string("127.0.0.1") : host, port, std::move(exec)};
  for (ProbeType type : kAllProbeTypes) {
    if (const spec::Probe* probe = instance->tracker.probe(type)) {
      instance->runners[static_cast<size_t>(type)] = makeProbeRunner(io_, *probe, endpoint);
    }
  }
  instances_.emplace(instanceId, instance);
  schedule(instance);
  return {};
}

void Prober::remove(const std::string& instanceId) {
  auto it = instances_.find(instanceId);
  if (it == instances_.end()) return;
  auto instance = std::move(it->second);
  instances_.erase(it);
  instance->cancelAll();
}

void Prober::setMinReadySeconds(int seconds) {
  minReadySeconds_ = seconds;
  std::vector<std::shared_ptr<Instance>> all;
  all.reserve(instances_.size());
  for (auto& [id, instance] : instances_) all.push_back(instance);
  for (auto& instance : all) {
    if (instance->removed) continue;
    instance->tracker.setMinReadySeconds(seconds);
    schedule(instance);
  }
}

void Prober::setMinReadySeconds(const std::string& instanceId, int seconds) {
  auto it = instances_.find(instanceId);
  if (it == instances_.end()) return;
  it->second->tracker.setMinReadySeconds(seconds);
  schedule(it->second);
}

std::optional<InstanceProbeStatus> Prober::status(const std::string& instanceId) const {
  auto it = instances_.find(instanceId);
  if (it == instances_.end()) return std::nullopt;
  const ProbeTracker& t = it->second->tracker;
  return InstanceProbeStatus{t.started(),           t.ready(), t.available(), t.restartRequired(),
                             it->second->successes, it->second->failures};
}

void Prober::schedule(const std::shared_ptr<Instance>& instance) {
  auto wake = instance->tracker.nextWakeup();
  if (!wake) {
    if (instance->armedFor) instance->timer.cancel();
    instance->armedFor.reset();
    return;
  }
  if (instance->armedFor == wake) return;  // already armed for it: no syscall, no new handler
  instance->armedFor = wake;
  auto delay = *wake - clock_.now();
  instance->timer.expires_after(delay.count() > 0 ? delay : SteadyTime::duration::zero());
  std::weak_ptr<Instance> weak = instance;
  instance->timer.async_wait([this, weak](const std::error_code& ec) {
    if (ec) return;
    auto locked = weak.lock();
    if (!locked || locked->removed) return;
    locked->armedFor.reset();
    step(locked);
  });
}

void Prober::step(const std::shared_ptr<Instance>& instance) {
  if (!dispatch(instance, instance->tracker.poll())) return;
  runDue(instance);
  if (!instance->removed) schedule(instance);
}

void Prober::runDue(const std::shared_ptr<Instance>& instance) {
  for (ProbeType type : kAllProbeTypes) {
    if (instance->removed) return;
    if (!instance->tracker.isDue(type) || !instance->tracker.begin(type)) continue;
    ++attempts_;
    std::weak_ptr<Instance> weak = instance;
    instance->runners[static_cast<size_t>(type)]->run([this, weak, type](ProbeResult result) {
      auto locked = weak.lock();
      if (!locked || locked->removed) return;
      onResult(locked, type, std::move(result));
    });
  }
}

void Prober::onResult(const std::shared_ptr<Instance>& instance, ProbeType type, ProbeResult result) {
  ++(result.outcome == ProbeOutcome::kSuccess ? instance->successes : instance->failures);
  auto events = instance->tracker.record(type, result.outcome, result.message);
  if (instance->tracker.restartRequired()) {
    for (auto& runner : instance->runners) {
      if (runner) runner->cancel();
    }
  }
  if (!dispatch(instance, events)) return;
  step(instance);
}

bool Prober::dispatch(const std::shared_ptr<Instance>& instance, const std::vector<ProbeEvent>& events) {
  for (const auto& event : events) {
    if (instance->removed) return false;
    if (onEvent_) onEvent_(instance->id, event);
  }
  return !instance->removed;
}

}  // namespace rollway::probe
