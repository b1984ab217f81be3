#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <asio/io_context.hpp>
#include <nlohmann/json.hpp>

#include "rollway/analysis/provider.h"
#include "rollway/common/blocking_pool.h"
#include "rollway/common/clock.h"
#include "rollway/common/log.h"
#include "rollway/common/random.h"
#include "rollway/common/timer.h"
#include "rollway/common/result.h"
#include "rollway/controller/analysis_gate.h"
#include "rollway/controller/event_log.h"
#include "rollway/controller/eviction.h"
#include "rollway/controller/instance_set.h"
#include "rollway/controller/proxy_port.h"
#include "rollway/controller/rollout_decision.h"
#include "rollway/controller/service_status.h"
#include "rollway/controller/terminator.h"
#include "rollway/probe/health_source.h"
#include "rollway/spec/service_spec.h"
#include "rollway/store/store.h"
#include "rollway/supervisor/instance_logs.h"
#include "rollway/supervisor/port_allocator.h"
#include "rollway/supervisor/process_runtime.h"

namespace rollway::controller {

struct ControllerOptions {
  std::string dataDir;                  // instance logs in DATA/logs
  int portFirst = supervisor::PortAllocator::kDefaultFirst;
  int portLast = supervisor::PortAllocator::kDefaultLast;
  supervisor::BackoffPolicy backoff;
  std::chrono::milliseconds resyncPeriod{1000};   // level-triggered resync of every service
  std::chrono::milliseconds drainPollPeriod{100}; // in-flight polling during termination
  std::string caFile;  // CA bundle for https:// webhooks; "" = the system's
};

// Everything with side effects the controller works through, made by the caller (the
// production wiring in `rollway serve`; fakes in tests/unit/controller). All must
// outlive the Controller and be used on the io_context's thread only — but the
// providers, which the pool's threads call.
struct ControllerDeps {
  asio::io_context& io;
  store::Store& store;
  const Clock& clock;
  Timers& timers;  // every delay the controller waits (AsioTimers; ManualTimers in tests)
  Random& random;
  supervisor::ProcessRuntime& runtime;  // instance processes (and the proxy's)
  probe::HealthSource& health;          // probe results
  ProxyPort& proxy;                     // routing snapshots, in-flight counts, metrics
  analysis::Provider& prometheus;       // analysis metrics providers (called on `pool`)
  analysis::Provider& webhook;
  BlockingPool& pool;  // provider calls and webhooks; joined before the providers go
};

// The control plane's reconcile loop. Level-triggered: every pass reads the desired
// state (store) and the actual state (instances, probes, proxy), asks the strategies
// what to do (pure functions, rollout_decision.h), applies the plan through InstanceSet
// and Terminator, and computes the status (status_compute.h); every decision is an event
// in the store. Runs on one io_context thread, which also runs the supervisor's pidfd
// watches, the prober and the API handlers, so nothing here is locked. See
// docs/life-of-a-rollout.md.
class Controller {
 public:
  Controller(ControllerDeps deps, ControllerOptions options, Logger logger);
  ~Controller();
  Controller(const Controller&) = delete;
  Controller& operator=(const Controller&) = delete;

  // Adopts the instances recorded in the store (alive ones are watched again, not
  // restarted), finds or starts the proxy, and schedules the first reconcile.
  Result<void> start();

  // The desired state changed (apply, delete, set ...): reconcile soon.
  void poke();

  // {"name", "seq", "status"}; kNotFound for a service the controller does not know.
  Result<nlohmann::json> status(const std::string& service) const;
  // Replies with status(service) once its seq is > after, or when `wait` is over.
  void watchStatus(const std::string& service, uint64_t after, std::chrono::milliseconds wait,
                   std::function<void(Result<nlohmann::json>)> reply);
  // {"items": [...]} of live instances, all services when `service` is empty.
  nlohmann::json instances(const std::string& service) const;
  bool hasInstance(const std::string& name) const { return instances_.contains(name); }
  const supervisor::InstanceLogs& logs() const { return logs_; }

  // Replaces every instance of the service by the strategy's rules, without a new
  // revision (kubectl rollout restart). Returns the restart time (Unix ms).
  Result<int64_t> restart(const std::string& service);

  // Canary / BlueGreen by hand (kubectl-argo-rollouts' verbs): promote past the current
  // pause, analysis step or blue-green preview; abort (weight 0, new revision drained,
  // marked Failed); retry an aborted rollout from its first step.
  Result<void> promote(const std::string& service);
  Result<void> abort(const std::string& service);
  Result<void> retry(const std::string& service);
  // The revision just applied by an undo goes to 100 % at once: no steps, no analysis.
  void skipSteps(const std::string& service);

  // Evicts one instance through its service's disruption budget (Kubernetes' pods/eviction;
  // eviction.cc): a replacement on its revision starts first, and the instance runs its
  // termination sequence once the replacement is available. kTooManyRequests when losing
  // it now would break the budget (instances already leaving count as gone): retry later;
  // kNotFound for no such instance; kInvalidArgument for a name no instance can have;
  // kConflict for the replacement of an eviction under way, before it is available. An
  // instance already evicted or terminating is an answer with created = false.
  Result<EvictionReply> evict(const std::string& instance);

  // all=false: `done` at once (the daemon exits; instances and proxy keep running).
  // all=true: every instance drained and stopped, then the proxy, then `done`.
  void shutdown(bool all, std::function<void()> done);

 private:
  struct Service;

  // The loop (controller.cc).
  void schedule(std::chrono::milliseconds delay);
  void reconcileAll();
  void refreshServices();
  void reconcileService(Service& s);
  RolloutInput rolloutInput(const Service& s, const std::vector<Instance*>& mine) const;
  void applyDecision(Service& s, RolloutDecision decision);
  void startNew(Service& s, const std::string& hash);
  // Evictions (eviction.cc): replacements started, evicted instances stopped once theirs is
  // available, replacements no longer needed stopped. Before and after each plan.
  void reconcileEvictions(Service& s);
  // A liveness restart is a disruption that can wait while the instance still serves:
  // it restarts now when the service's disruption budget can spare it, else it is held.
  void restartOrHold(Instance& inst, const std::string& reason);
  void releaseHeldRestarts(Service& s);
  // Whether `inst` may stop now within its service's budget (the eviction rule).
  bool budgetAllows(const Service& s, const Instance& inst);
  void onProbeEvent(const std::string& name, const probe::ProbeEvent& event);
  void onExit(const std::string& name, const supervisor::ExitInfo& exit);
  void maybeFinishShutdown();

  // The proxy (controller_proxy.cc): routing view, snapshot push, proxy start.
  ServiceView viewFor(const Service& s) const;
  void pushSnapshot();
  // Finds or starts the proxy unless a check is under way; pokes when it answers.
  void ensureProxy();
  void setPushError(const std::string& error);

  // The rollout (rollout_control.cc): its start, its status, analysis, abort, rollback.
  void beginRolloutIfNew(Service& s);
  void updateStatus(Service& s);
  bool stepsActive(const Service& s) const;
  // An event when the disruption budget starts holding back (or holds back differently).
  void noteBudget(Service& s, int held, int budget);
  // One analysis window when it is due; `trafficOnNew` = the new revision serves now.
  void runAnalysis(Service& s, bool trafficOnNew);
  void onVerdict(const AnalysisVerdict& verdict);
  void abortRollout(Service& s, const std::string& reason);
  void notifyWebhooks(const Service& s, const std::string& reason);
  void rollback(Service& s);

  // Lookups (controller_api.cc).
  Service* find(const std::string& service);
  Result<Service*> existing(const std::string& service);
  int64_t revisionNumber(const Instance& inst) const;
  int64_t nowMs() const { return toUnixMillis(clock_.wallNow()); }
  // An event of the service's own (object "service/NAME"); a template because Service
  // is only declared here.
  template <typename S>
  void event(const S& s, EventType type, const std::string& reason, const std::string& message) {
    events_.record(s.name, "service/" + s.name, type, reason, message);
  }

  asio::io_context& io_;
  store::Store& store_;
  const Clock& clock_;
  Timers& timers_;
  ControllerOptions options_;
  Logger logger_;
  EventLog events_;
  supervisor::InstanceLogs logs_;
  supervisor::ProcessRuntime& runtime_;
  probe::HealthSource& health_;
  ProxyPort* proxy_;
  BlockingPool& pool_;
  std::map<std::string, std::unique_ptr<Service>> services_;
  InstanceSet instances_;
  Terminator terminator_;
  AnalysisGate gate_;
  std::unique_ptr<Timer> timer_;
  SteadyTime timerDue_{};
  bool timerArmed_ = false;
  bool pokePosted_ = false;
  bool reconciling_ = false;
  std::optional<proxy::RoutingSnapshot> lastPushed_;
  bool pushing_ = false;  // a push is under way; its completion pushes again when needed
  std::string pushError_;  // why the proxy does not have the current snapshot; "" = it has
  SteadyTime lastPushAttempt_{};
  SteadyTime lastRotate_{};
  bool shuttingDownAll_ = false;
  bool proxyStopping_ = false;
  std::function<void()> shutdownDone_;
  uint64_t nextWaiter_ = 0;
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);
};

}  // namespace rollway::controller
