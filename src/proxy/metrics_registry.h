#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>

#include "rollway/proxy/latency_histogram.h"

namespace rollway::proxy {

// A counter written by one thread and read by any: no lock, no read-modify-write
// instruction on the hot path (a relaxed load + store by the single writer).
class Counter {
 public:
  void add(uint64_t n = 1) { v_.store(v_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed); }
  void sub(uint64_t n = 1) { v_.store(v_.load(std::memory_order_relaxed) - n, std::memory_order_relaxed); }
  uint64_t get() const { return v_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> v_{0};
};

// Per (service, revision) counters of one worker.
struct RevisionCounters {
  std::array<Counter, 6> byClass;  // index = status / 100 (0 = no response: client saw an error)
  Counter upstreamErrors;          // connect / reset / timeout / bad response from an endpoint
  Counter retries;
  Counter held;                    // requests that had to wait for a ready endpoint
  Counter inFlight;
  std::array<Counter, kLatencyBuckets> latency;

  void recordLatency(uint64_t micros) { latency[static_cast<size_t>(latencyBucket(micros))].add(); }
};

// Merged, plain copy for reporting.
struct RevisionTotals {
  std::array<uint64_t, 6> byClass{};
  uint64_t upstreamErrors = 0;
  uint64_t retries = 0;
  uint64_t held = 0;
  uint64_t inFlight = 0;
  LatencyHistogram latency;
  uint64_t requests() const {
    uint64_t n = 0;
    for (auto c : byClass) n += c;
    return n;
  }
  void add(const RevisionCounters& c);
};

// The counters of one worker, keyed by (service, revision). Entries are created by the
// owning worker (when a routing table is published) and never removed, so readers on
// other threads may hold pointers; the map itself is guarded for readers by the
// worker-owned mutex only when the set of keys changes (not per request).
class MetricsShard {
 public:
  using Key = std::pair<std::string, int64_t>;
  // Owner thread only.
  RevisionCounters& counters(const std::string& service, int64_t revision);
  // Any thread: adds this shard's values into `out`.
  void collect(std::map<Key, RevisionTotals>& out) const;

 private:
  mutable std::mutex mutex_;
  std::map<Key, std::unique_ptr<RevisionCounters>> counters_;
};

}  // namespace rollway::proxy
