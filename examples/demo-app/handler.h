#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "options.h"
#include "rollway/common/clock.h"
#include "rollway/common/random.h"
#include "rollway/http/message.h"

namespace demo {

// What to do with one request. The connection applies the delay with a timer, so the
// handler itself never waits.
struct Reply {
  rollway::http::Response response;
  Duration delay{0};              // wait this long before sending
  bool hang = false;              // never answer (a hung endpoint)
  std::optional<int> exitStatus;  // exit with this status once the response is sent
};

// Routes a request to an endpoint and keeps the runtime state the endpoints expose:
// readiness and liveness (scheduled by flags, overridable by /admin/*), the error draw.
// Time comes in as an argument, so it is plain, synchronous code.
class Handler {
 public:
  Handler(const Options& options, rollway::SteadyTime processStart);

  // Called once the listener is open; --ready-delay counts from here.
  void listening(int port, std::string instance, rollway::SteadyTime now);

  Reply handle(const rollway::http::Request& request, rollway::SteadyTime now);

  bool ready(rollway::SteadyTime now) const;
  bool healthzHangs(rollway::SteadyTime now) const;
  const std::string& instance() const { return instance_; }

  // Adds X-Version and X-Instance (every response has them, errors included).
  void decorate(rollway::http::Response& response) const;

 private:
  Reply root(const rollway::http::Request& request);
  Reply adminReady(const rollway::http::Request& request);
  Reply adminHealthz(const rollway::http::Request& request);
  Reply adminExit(const rollway::http::Request& request);
  Reply echo(const rollway::http::Request& request);
  Reply sleep(const rollway::http::Request& request);
  Reply status(const rollway::http::Request& request);
  Reply text(int status, std::string body) const;

  const Options& options_;
  rollway::SteadyTime processStart_;
  rollway::SteadyTime listenStart_;
  int port_ = 0;
  std::string instance_;
  rollway::SeededRandom random_;
  std::optional<bool> forcedReady_;
  std::optional<bool> forcedHang_;
};

}  // namespace demo
