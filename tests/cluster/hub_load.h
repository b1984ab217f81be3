#pragma once

// Load from the hub namespace: wrk (Debian's wrk) run inside the hub against several
// hosts at once, one wrk thread per target (a Lua setup() points each thread at its
// address). wrk retries nothing: a request that fails (connect, read, write error,
// timeout) is counted as an error and never sent again; every response is counted as
// 2xx or not, in total and per target.

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "netns_hosts.h"

namespace rollway::cluster_test {

struct HubLoadResult {
  bool ran = false;            // wrk ran to its end and printed its counts
  uint64_t responses = 0;      // every complete response
  uint64_t ok = 0;             // 2xx
  uint64_t non2xx = 0;
  uint64_t connectErrors = 0;  // each failed connection attempt
  uint64_t readErrors = 0;     // resets, closes before a complete response
  uint64_t writeErrors = 0;
  uint64_t timeouts = 0;       // requests without an answer after the timeout
  std::map<std::string, uint64_t> okByTarget;  // "addr:port" -> 2xx
  std::string output;          // wrk's stdout + stderr, for messages
  uint64_t failures() const { return non2xx + connectErrors + readErrors + writeErrors + timeouts; }
};

struct HubLoadOptions {
  std::vector<std::string> targets;  // "addr:port" (host addresses of the NetnsHosts)
  std::string path = "/";
  int connectionsPerTarget = 2;
  std::chrono::seconds duration{2};
  std::chrono::seconds requestTimeout{2};
};

// Runs wrk to its end (killed `duration` + 15 s after it starts, then `ran` is false);
// blocks: run it on a thread to make faults meanwhile. `scratchDir` gets its Lua script.
HubLoadResult runLoadFromHub(const NetnsHosts& hosts, const HubLoadOptions& options, const std::string& scratchDir);

}  // namespace rollway::cluster_test
