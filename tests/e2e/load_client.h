#pragma once

// A bounded HTTP load client for zero-downtime tests: keep-alive connections plus a
// stream of new connections, every failure counted (non-2xx or a socket error).

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace rollway::e2e {

struct LoadTotals {
  uint64_t requests = 0;
  uint64_t ok = 0;            // 2xx
  uint64_t non2xx = 0;
  uint64_t socketErrors = 0;  // connect, write, read, timeout, malformed
  uint64_t appServerErrors = 0;  // of non2xx: 5xx the app itself answered (they carry its X-Version)
  std::map<std::string, uint64_t> byVersion;  // X-Version of the 2xx answers
  std::vector<std::string> firstFailures;     // up to 20 (not the app's own 5xx), for the test's message
  uint64_t failures() const { return non2xx + socketErrors; }
};

class LoadClient {
 public:
  // `keepAlive` threads each hold one keep-alive connection; `fresh` threads open a new
  // connection per request. Every thread pauses `pause` between requests. Stops by
  // itself after `maxDuration`, whatever happens to the test.
  LoadClient(uint16_t port, int keepAlive, int fresh, std::chrono::milliseconds pause,
             std::chrono::seconds maxDuration);
  ~LoadClient();
  LoadClient(const LoadClient&) = delete;
  LoadClient& operator=(const LoadClient&) = delete;

  void stop();
  LoadTotals totals() const;
  uint64_t requests() const;

 private:
  void runKeepAlive();
  void runFresh();
  void count(int status, const std::string& version, const std::string& failure);

  uint16_t port_;
  std::chrono::milliseconds pause_;
  std::chrono::steady_clock::time_point deadline_;
  std::atomic<bool> stop_{false};
  mutable std::mutex mutex_;
  LoadTotals totals_;
  std::vector<std::thread> threads_;
};

}  // namespace rollway::e2e
