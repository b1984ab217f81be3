#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>
#include <nlohmann/json.hpp>

#include "rollway/common/blocking_pool.h"
#include "rollway/common/log.h"
#include "rollway/common/result.h"
#include "rollway/controller/proxy_port.h"
#include "rollway/net/client.h"
#include "rollway/proxy/routing_snapshot.h"
#include "rollway/supervisor/process_runtime.h"

namespace rollway::controller {

struct ProxyLinkOptions {
  std::string dir;                      // the proxy's --data-dir: proxy.sock, proxy-state.json, proxy.pid
  std::string selfExe;                  // the rollway binary (runs `rollway proxy`)
  std::vector<std::string> extraArgs;   // more `rollway proxy` flags (e.g. --workers 2)
  std::string workingDir;               // where the proxy runs
  bool manage = true;                   // start the proxy when none answers
  std::chrono::milliseconds startLimit{10000};  // how long ensureRunning waits for an answer
  std::chrono::milliseconds startPoll{20};      // between two of its readiness checks
};

// The control plane's side of the proxy: finds or starts `rollway proxy` (as a
// supervised process in its own session, so it outlives the daemon), pushes routing
// snapshots with versions continuing from the proxy's own, reads metrics and in-flight
// counts. The unix-socket calls (a few hundred µs, bounded by 2-5 s timeouts) run on
// a pool of one thread of its own — in order, so snapshots arrive in version order, and
// a proxy that hangs holds that thread only. Everything else (state, timers, fork/exec,
// callbacks) is on the control thread's io_context.
class ProxyLink final : public ProxyPort {
 public:
  ProxyLink(asio::io_context& io, supervisor::ProcessRuntime& supervisor, ProxyLinkOptions options, Logger logger);
  // Joins its pool thread (at most one call's timeout); no callback runs afterwards.
  ~ProxyLink() override;
  ProxyLink(const ProxyLink&) = delete;
  ProxyLink& operator=(const ProxyLink&) = delete;

  bool running() const override { return healthy_; }
  bool starting() const override { return !startWaiters_.empty(); }
  // Adopts the proxy recorded in proxy.pid when one answers on DIR/proxy.sock, or
  // starts one and checks every startPoll, up to startLimit, for its answer (it loads
  // its state file and binds its listeners first).
  void ensureRunning(StartCallback done) override;
  void push(proxy::RoutingSnapshot snapshot, PushCallback done) override;
  void metrics(MetricsCallback done) override;
  void inFlight(InFlightCallback done) override;
  void stop(std::chrono::milliseconds grace, std::function<void()> done) override;
  void onExit(const supervisor::ExitInfo& exit) override;
  const std::string& socketPath() const override { return socket_; }

 private:
  // `work` on the pool, `done` back on io_ while this link lives; a refused submit is
  // an error value for `done` as well.
  template <class T>
  void call(std::function<Result<T>()> work, std::function<void(Result<T>)> done);
  void checkStart(uint64_t round);
  void finishStart(const Result<bool>& result);
  void writePidFile(const supervisor::InstanceProcess& p);
  void adoptFromPidFile();

  asio::io_context& io_;
  supervisor::ProcessRuntime& supervisor_;
  ProxyLinkOptions options_;
  Logger logger_;
  std::string socket_;
  std::string pidFile_;
  net::Client client_;
  bool healthy_ = false;
  uint64_t nextVersion_ = 1;
  // ensureRunning: who waits, whether this round started a proxy, which round it is.
  std::vector<StartCallback> startWaiters_;
  bool startedOne_ = false;
  uint64_t startRound_ = 0;
  asio::steady_timer pollTimer_;
  asio::steady_timer deadlineTimer_;
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);
  BlockingPool pool_;  // last member: joined first, while everything its work may touch lives
};

}  // namespace rollway::controller
