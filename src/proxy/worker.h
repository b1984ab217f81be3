#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <list>
#include <map>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include <asio.hpp>

#include "metrics_registry.h"
#include "proxy_config.h"
#include "rollway/common/log.h"
#include "route_table.h"
#include "upstream.h"

namespace rollway::proxy {

class ClientConnection;

// One event loop on one thread. A connection never leaves the worker that accepted it;
// the worker shares nothing mutable with others: its own acceptors (SO_REUSEPORT), its
// own upstream pools and endpoint counters, its own metrics shard. The only thing that
// arrives from outside is a new shared_ptr<const RouteTable>, posted to its loop.
class Worker {
 public:
  Worker(int index, const ProxyConfig& config, Logger logger, uint64_t seed);
  ~Worker();
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  void start();
  // Posts the table to this worker's loop: listeners opened/closed, endpoint runtimes
  // updated, idle connections of draining endpoints closed, held requests woken.
  // `installed` (optional) runs on the worker's thread once the table is in use.
  void publish(std::shared_ptr<const RouteTable> table, std::function<void()> installed = {});
  // Graceful stop: close listeners, let in-flight requests finish, close idle
  // keep-alive connections; the loop ends when nothing is left or at the deadline.
  void beginStop(std::chrono::steady_clock::time_point deadline);
  void join();

  // Any thread: per-endpoint in-flight counts (address -> count) and metrics.
  void collectInFlight(std::map<std::string, uint64_t>& out) const;
  const MetricsShard& metrics() const { return metrics_; }
  // Any thread: open client connections.
  uint64_t connectionCount() const { return connectionCount_.load(std::memory_order_relaxed); }

  // --- used by ClientConnection, on this worker's thread only ---
  asio::io_context& io() { return io_; }
  const ProxyConfig& config() const { return config_; }
  const std::shared_ptr<const RouteTable>& table() const { return table_; }
  // The runtime of an endpoint id of the current table.
  EndpointRuntime& endpoint(uint32_t id) { return *endpointsById_[id]; }
  RevisionCounters& revisionCounters(int service, int revision) {
    return *countersByRevision_[static_cast<size_t>(service)][static_cast<size_t>(revision)];
  }
  RevisionCounters& unroutedCounters() { return *unrouted_; }
  uint64_t random();
  bool stopping() const { return stopping_; }
  bool retryAllowed() const;
  void retryBegin() { ++retriesInFlight_; }
  void retryEnd() { --retriesInFlight_; }
  void requestBegin() { ++activeRequests_; }
  void requestEnd() { --activeRequests_; }
  // Held requests wait on this timer; a publish cancels it to wake them.
  asio::steady_timer& tableChanged() { return tableChanged_; }
  void add(ClientConnection* c);
  void remove(ClientConnection* c);
  Logger& logger() { return logger_; }
  // Access log: lines are buffered per worker and written by the ticker (or at 64 KiB),
  // so the request path makes no syscall for it. Null when off.
  std::string* accessLog() { return accessFd_ >= 0 ? &accessBuffer_ : nullptr; }
  void flushAccessLog();
  int index() const { return index_; }

 private:
  struct Acceptor {
    std::string address;
    std::unique_ptr<asio::ip::tcp::acceptor> acceptor;
    int listener = -1;  // index in the current table
  };

  void apply(std::shared_ptr<const RouteTable> table);
  void openAcceptor(const RouteTable::ListenerInfo& listener, int index);
  void accept(Acceptor* acceptor);
  void tick();
  void maybeFinish();

  int index_;
  ProxyConfig config_;
  Logger logger_;
  asio::io_context io_{1};
  asio::executor_work_guard<asio::io_context::executor_type> work_;
  std::thread thread_;
  std::shared_ptr<const RouteTable> table_;
  std::vector<std::unique_ptr<Acceptor>> acceptors_;
  std::unordered_map<std::string, std::unique_ptr<EndpointRuntime>> endpoints_;  // by address
  std::vector<EndpointRuntime*> endpointsById_;
  std::vector<std::vector<RevisionCounters*>> countersByRevision_;
  RevisionCounters* unrouted_ = nullptr;
  MetricsShard metrics_;
  mutable std::mutex inFlightMutex_;  // guards endpoints_ membership for collectInFlight
  asio::steady_timer ticker_;
  asio::steady_timer tableChanged_;
  std::list<ClientConnection*> connections_;
  std::atomic<uint64_t> connectionCount_{0};
  uint64_t rng_;
  int activeRequests_ = 0;
  int retriesInFlight_ = 0;
  bool stopping_ = false;
  std::chrono::steady_clock::time_point stopDeadline_{};
  int accessFd_ = -1;
  bool ownsAccessFd_ = false;
  std::string accessBuffer_;
};

}  // namespace rollway::proxy
