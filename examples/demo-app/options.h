#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "rollway/common/result.h"

namespace demo {

using Duration = std::chrono::milliseconds;

// Everything demo-app is told on its command line. Times marked "from start" count from
// process start; --ready-delay counts from the moment the listener opened.
struct Options {
  std::string host = "127.0.0.1";
  int port = -1;                          // required; 0 = any free port
  std::string version = "v1";
  std::string instance;                   // empty: $ROLLWAY_INSTANCE, else host:port
  Duration startupDelay{0};
  Duration readyDelay{0};
  std::optional<Duration> failReadyAfter;
  double errorRate = 0.0;
  std::optional<uint64_t> seed;
  Duration latency{0};
  std::optional<Duration> crashAfter;
  std::optional<Duration> hangHealthzAfter;
  bool ignoreSigterm = false;
  Duration shutdownDelay{0};
  Duration drainTimeout{std::chrono::seconds(30)};
  bool help = false;
};

// "500ms", "2s", "1.5s", "1m", "1h"; a bare number is seconds. Negative values are errors.
rollway::Result<Duration> parseDuration(std::string_view text);
// "1.5s", "200ms": the shortest honest form, for logs.
std::string formatDuration(Duration d);

// Parses argv[1..]; accepts "--flag value" and "--flag=value".
rollway::Result<Options> parseOptions(const std::vector<std::string>& args);

// The text printed by --help.
std::string usage();

}  // namespace demo
