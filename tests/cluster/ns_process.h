#pragma once

// Processes started inside a network namespace: fork, setns(2) in the child, exec. The
// PID the caller gets is the real process (no `ip netns exec` in between), so it can be
// SIGKILLed, SIGSTOPed and SIGCONTed by PID. Each child leads its own process group and
// gets SIGKILL when the thread that started it dies (PR_SET_PDEATHSIG): start them from
// the test's main thread.

#include <sys/types.h>

#include <chrono>
#include <map>
#include <string>
#include <vector>

namespace rollway::cluster_test {

// `name` searched in $PATH, then /usr/sbin and /sbin ("" when not found); a name with a
// slash is returned as it is.
std::string findProgram(const std::string& name);

// Starts argv[0] (searched as findProgram does) with the environment plus `env`, inside
// the network namespace open as `netnsFd` (-1: the caller's), stdin /dev/null, stdout
// and stderr appended to `logPath` ("" : /dev/null). Returns once the child has exec'd
// (so it is in the namespace); throws std::runtime_error, with the child reaped, when the
// program is not found or fork, setns or exec fails.
pid_t spawnInNetns(int netnsFd, const std::vector<std::string>& argv, const std::map<std::string, std::string>& env,
                   const std::string& logPath);

struct NsCommandResult {
  int exitCode = -1;  // -1 when killed by a signal or timed out
  bool timedOut = false;
  std::string out;
  std::string err;
  bool ok() const { return exitCode == 0; }
};

// Runs argv to completion inside `netnsFd` (-1: the caller's), capturing stdout and
// stderr; its process group is SIGKILLed after `timeout`.
NsCommandResult runInNetns(int netnsFd, const std::vector<std::string>& argv, std::chrono::milliseconds timeout,
                           const std::map<std::string, std::string>& env = {});

}  // namespace rollway::cluster_test
