#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <asio.hpp>

#include "metrics_registry.h"

namespace rollway::proxy {

class EndpointRuntime;

// One keep-alive connection to an instance. Owned by exactly one request at a time, or
// by its endpoint's idle pool (where a read-wait notices the instance closing it).
class UpstreamConnection {
 public:
  UpstreamConnection(asio::io_context& io, EndpointRuntime& owner) : socket(io), endpoint(&owner) {}
  asio::ip::tcp::socket socket;
  EndpointRuntime* endpoint;
  uint64_t requests = 0;  // served on this connection so far (0 = fresh)
};

// What one worker knows about one endpoint (by address), across routing-table swaps:
// its outstanding requests (for P2C and for draining reports) and its idle pool.
class EndpointRuntime {
 public:
  EndpointRuntime(std::string address, asio::ip::tcp::endpoint target)
      : address_(std::move(address)), target_(target) {}

  const std::string& address() const { return address_; }
  const asio::ip::tcp::endpoint& target() const { return target_; }

  uint32_t outstanding() const { return outstanding_; }
  void begin() {
    ++outstanding_;
    inFlight.add();
  }
  void end() {
    --outstanding_;
    inFlight.sub();
  }

  // Pool: take an idle connection (nullptr when none); give one back (closed when the
  // pool is full or the endpoint is no longer taking requests).
  std::unique_ptr<UpstreamConnection> takeIdle();
  void giveBack(std::unique_ptr<UpstreamConnection> connection, size_t maxIdle);
  void closeIdle();
  size_t idleCount() const { return idle_.size(); }

  // Passive health (outlier ejection, per worker): an endpoint that refuses or resets
  // connections is skipped for a while — 250 ms doubling to 10 s — so that load
  // balancing does not keep feeding a dead instance until the control plane notices.
  void recordFailure(std::chrono::steady_clock::time_point now);
  void recordSuccess() { consecutiveFailures_ = 0; }
  bool ejected(std::chrono::steady_clock::time_point now) const { return now < ejectedUntil_; }

  bool inTable = true;   // present in the current routing table
  bool accepting = true; // ready (not draining, not removed)
  Counter inFlight;      // read by the admin thread
  Counter requests;
  Counter errors;

 private:
  void watchIdle(UpstreamConnection* connection);

  std::string address_;
  asio::ip::tcp::endpoint target_;
  uint32_t outstanding_ = 0;
  int consecutiveFailures_ = 0;
  std::chrono::steady_clock::time_point ejectedUntil_{};
  std::vector<std::unique_ptr<UpstreamConnection>> idle_;
};

}  // namespace rollway::proxy
