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
#include <asio/steady_timer.hpp>
#include <nlohmann/json.hpp>

#include "rollway/analysis/provider.h"
#include "rollway/common/blocking_pool.h"
#include "rollway/common/clock.h"
#include "rollway/common/log.h"
#include "rollway/common/random.h"
#include "rollway/common/result.h"
#include "rollway/controller/proxy_port.h"
#include "rollway/controller/rollout_decision.h"
#include "rollway/controller/service_status.h"
#include "rollway/probe/health_source.h"
#include "rollway/spec/service_spec.h"
#include "rollway/store/store.h"
#include "rollway/supervisor/instance_logs.h"
#include "rollway/supervisor/port_allocator.h"
#include "rollway/supervisor/restart_backoff.h"
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
  Random& random;
  supervisor::ProcessRuntime& runtime;  // instance processes (and the proxy's)
  probe::HealthSource& health;          // probe results
  ProxyPort& proxy;                     // routing snapshots, in-flight counts, metrics
  analysis::Provider& prometheus;       // analysis metrics providers (called on `pool`)
  analysis::Provider& webhook;
  BlockingPool& pool;  // provider calls and webhooks; joined before the providers go
};

// The control plane's reconcile loop. Level-triggered: every pass reads the desired
// state (store) and the actual state (supervisor, prober, proxy) and acts to close the
// gap; every decision is an event in the store. Runs on one io_context thread, which
// also runs the supervisor's pidfd watches, the prober and the API handlers, so nothing
// here is locked. See docs/life-of-a-rollout.md.
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

  // all=false: `done` at once (the daemon exits; instances and proxy keep running).
  // all=true: every instance drained and stopped, then the proxy, then `done`.
  void shutdown(bool all, std::function<void()> done);

 private:
  struct Instance;
  struct Service;

  // The loop.
  void schedule(std::chrono::milliseconds delay);
  void reconcileAll();
  void refreshServices();
  void reconcileService(Service& s);
  void updateStatus(Service& s);
  void beginRolloutIfNew(Service& s);
  // The strategies are pure (rollout_decision.h): what they see, and doing what they say.
  RolloutInput rolloutInput(const Service& s, const std::vector<Instance*>& mine) const;
  void applyDecision(Service& s, RolloutDecision decision);
  bool stepsActive(const Service& s) const;
  // An event when the disruption budget starts holding back (or holds back differently).
  void noteBudget(Service& s, int held, int budget);
  // One analysis window when it is due; `trafficOnNew` = the new revision serves now.
  // The proxy's counters and the providers are read off this thread (strategies.cc).
  void runAnalysis(Service& s, bool trafficOnNew);
  std::optional<analysis::WindowInput> analysisWindow(Service& s, bool trafficOnNew,
                                                      const Result<nlohmann::json>& metrics);
  void applyMeasurement(Service& s, const analysis::Measurement& measurement);
  void abortRollout(Service& s, const std::string& reason);
  void notifyWebhooks(const Service& s, const std::string& reason);
  ServiceView viewFor(const Service& s) const;
  void rollback(Service& s);
  void pushSnapshot();
  // Finds or starts the proxy unless a check is under way; pokes when it answers.
  void ensureProxy();
  void setPushError(const std::string& error);
  void adopt(const store::InstanceRecord& record);

  // Instances.
  void startNew(Service& s, const std::string& hash);
  Result<void> spawn(Instance& inst);
  // What the instance runs with; exec probes run in that same context.
  supervisor::LaunchSpec launchSpec(const Instance& inst) const;
  probe::ExecContext execContext(const Instance& inst) const;
  void onProbeEvent(const std::string& name, const probe::ProbeEvent& event);
  void onExit(const std::string& name, const supervisor::ExitInfo& exit);
  void killForRestart(Instance& inst, const std::string& reason);
  void record(const Instance& inst);

  // The termination sequence: drain, wait for in-flight, preStop, SIGTERM, SIGKILL.
  void beginTermination(Instance& inst, const std::string& reason);
  void startTerminationSequence(Instance& inst, const std::string& reason);
  void terminationStep(const std::string& name);
  void drainWait(const std::string& name, const Result<std::map<std::string, uint64_t>>& counts);
  void pollDrain(Instance& inst, std::chrono::milliseconds delay);
  void runPreStop(Instance& inst);
  void sendSigterm(Instance& inst);
  void finishTermination(const std::string& name, const std::optional<supervisor::ExitInfo>& exit);

  void event(const std::string& service, const std::string& object, EventType type,
             const std::string& reason, const std::string& message);
  int64_t revisionNumber(const Service* s, const Instance& inst) const;
  nlohmann::json instanceJson(const Instance& inst) const;
  int64_t nowMs() const { return toUnixMillis(clock_.wallNow()); }
  void maybeFinishShutdown();

  asio::io_context& io_;
  store::Store& store_;
  const Clock& clock_;
  Random& random_;
  ControllerOptions options_;
  Logger logger_;
  supervisor::InstanceLogs logs_;
  supervisor::EnvMap baseEnv_;
  supervisor::PortAllocator ports_;
  supervisor::ProcessRuntime& runtime_;
  probe::HealthSource& health_;
  ProxyPort* proxy_;
  analysis::Provider& prometheus_;
  analysis::Provider& webhook_;
  BlockingPool& pool_;
  std::map<std::string, std::unique_ptr<Service>> services_;
  std::map<std::string, std::unique_ptr<Instance>> instances_;
  asio::steady_timer timer_;
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
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);
};

}  // namespace rollway::controller
