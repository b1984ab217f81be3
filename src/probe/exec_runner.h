#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "rollway/probe/probe_runner.h"

namespace rollway::probe {

// exec: runs argv directly (posix_spawnp, never a shell) in its own process group, stdin
// /dev/null, stdout+stderr captured (first 4 KiB) for the message; exit 0 = success.
// The exit is awaited on a pidfd (pidfd_open) registered with the io_context, so the
// loop never blocks and no SIGCHLD handler is involved. On timeout the process group is
// SIGKILLed, the child reaped, and the result is kTimeout.
class ExecRunner final : public ProbeRunner {
 public:
  // With `context`: argv substituted, environment and working directory of that instance.
  ExecRunner(asio::io_context& io, std::vector<std::string> command, std::chrono::seconds timeout,
             std::optional<ExecContext> context = std::nullopt);
  ~ExecRunner() override;
  void run(Callback done) override;
  void cancel() override;

  // pid of the child of the attempt in flight, or of the last one; 0 before any (tests).
  int lastPid() const { return lastPid_; }

 private:
  class Child;

  asio::io_context& io_;
  std::vector<std::string> command_;
  std::chrono::seconds timeout_;
  std::optional<ExecContext> context_;
  std::shared_ptr<Child> current_;
  int lastPid_ = 0;
};

}  // namespace rollway::probe
