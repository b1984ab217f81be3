#pragma once

// The instances of every service and their life as one state machine (InstancePhase):
// spawn, adopt after a daemon restart, probe verdicts, exits, restart in place with
// back-off. It decides nothing about how many there should be (the strategies do) and
// never stops one by itself (Terminator does); what it changes it records in the store
// and as events. See docs/life-of-a-rollout.md, steps 3-4 and 7.

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <asio/io_context.hpp>
#include <nlohmann/json.hpp>

#include "rollway/common/clock.h"
#include "rollway/common/random.h"
#include "rollway/common/result.h"
#include "rollway/controller/event_log.h"
#include "rollway/controller/instance.h"
#include "rollway/probe/health_source.h"
#include "rollway/store/store.h"
#include "rollway/supervisor/port_allocator.h"
#include "rollway/supervisor/process_runtime.h"

namespace rollway::controller {

struct InstanceSetDeps {
  asio::io_context& io;  // an erased instance is destroyed after the running handler
  const Clock& clock;
  Random& random;
  supervisor::ProcessRuntime& runtime;
  probe::HealthSource& health;
  store::Store& store;
  EventLog& events;
  Logger logger;
};

struct InstanceSetOptions {
  int portFirst = supervisor::PortAllocator::kDefaultFirst;
  int portLast = supervisor::PortAllocator::kDefaultLast;
  supervisor::BackoffPolicy backoff;
  supervisor::EnvMap baseEnv;  // what instances inherit; exec probes run with it too
};

// What the set asks of its owner (the controller), which knows the services.
struct InstanceSetHooks {
  // The number an instance's revision has now (a template applied again is re-numbered).
  std::function<int64_t(const Instance&)> revisionOf;
  // minReadySeconds of a service (0 when unknown).
  std::function<int(const std::string& service)> minReadySeconds;
  // Something becomes due in `delay` (a back-off ends): reconcile then.
  std::function<void(std::chrono::milliseconds delay)> wakeIn;
};

// What a probe verdict means for the owner.
enum class ProbeEffect {
  kIgnored,          // not for an instance whose probes count
  kChanged,          // its rotation / availability changed: push the snapshot, reconcile
  kBecameAvailable,  // as kChanged; it also counts as progress of its rollout
  kRestartRequired,  // liveness (or startup) failed: the owner has Terminator restart it
};

class InstanceSet {
 public:
  InstanceSet(InstanceSetDeps deps, InstanceSetOptions options, InstanceSetHooks hooks);
  ~InstanceSet();
  InstanceSet(const InstanceSet&) = delete;
  InstanceSet& operator=(const InstanceSet&) = delete;

  Instance* find(const std::string& name);
  const Instance* find(const std::string& name) const;
  bool contains(const std::string& name) const { return instances_.contains(name); }
  bool empty() const { return instances_.empty(); }
  const std::map<std::string, std::unique_ptr<Instance>>& all() const { return instances_; }
  std::vector<Instance*> ofService(const std::string& service);

  // A new instance of `service` at `revision` (template `tmpl`, hash `hash`): a port, a
  // name, a record in the store (before the process exists: a daemon that dies between
  // fork and the record with the pid still finds it by name), then the process. nullptr
  // when no port is free (an event says so).
  Instance* create(const std::string& service, const std::string& hash, int64_t revision, spec::Template tmpl);
  // Starts (or restarts in place) its process and its probes. A failed start counts as a
  // crash: kBackOff with the error as its message.
  Result<void> spawn(Instance& inst);
  // Takes back an instance recorded by an earlier daemon. `tmpl` is its revision's
  // template (nullopt: its service or revision is gone; it is kept unprobed, to be
  // stopped). False when its process did not survive (the record is deleted).
  bool adopt(const store::InstanceRecord& record, std::optional<spec::Template> tmpl);
  // Instances of `service` in kBackOff whose back-off is over start again.
  void restartDue(const std::string& service);
  // Adopted instances whose readiness probe never spoke within its window lose the
  // assumption (kAssumedReady -> kStarting).
  void expireAssumptions();

  ProbeEffect onProbe(const std::string& name, const probe::ProbeEvent& event);
  // A process exited that was not being stopped for good: kBackOff, restart after the
  // back-off (the owner cleared a restart's termination sequence). Returns the delay.
  std::chrono::milliseconds onCrash(Instance& inst, const supervisor::ExitInfo& exit);

  // The instance is gone for good: its port freed, its record deleted; the object
  // itself is destroyed once the running handler has returned.
  void erase(const std::string& name);
  void record(const Instance& inst);
  nlohmann::json toJson(const Instance& inst) const;

 private:
  supervisor::LaunchSpec launchSpec(const Instance& inst) const;
  void probe(Instance& inst);

  InstanceSetDeps deps_;
  InstanceSetOptions options_;
  InstanceSetHooks hooks_;
  supervisor::PortAllocator ports_;
  std::map<std::string, std::unique_ptr<Instance>> instances_;
};

}  // namespace rollway::controller
