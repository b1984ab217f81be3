#pragma once

// End-to-end test harness: real binaries, real processes, 127.0.0.1 only. Every process
// a test starts is killed by PID when its Process object goes away; every wait is bounded.

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace rollway::e2e {

using namespace std::chrono_literals;

// $ROLLWAY_BUILD_DIR/<name> (set by CTest), e.g. binary("rollway").
std::string binary(const std::string& name);
// $ROLLWAY_SOURCE_DIR/<relative>.
std::string sourcePath(const std::string& relative);

// A fresh directory under /tmp, removed with everything in it at destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string operator/(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

struct CommandResult {
  int exitCode = -1;      // -1 when killed by a signal or timed out
  int signal = 0;         // the signal that ended it, if any
  bool timedOut = false;
  std::string out;
  std::string err;
};

// Runs argv to completion (killed after `timeout`), capturing stdout and stderr.
CommandResult run(const std::vector<std::string>& argv, std::chrono::milliseconds timeout = 30s,
                  const std::map<std::string, std::string>& env = {});

// A background process whose stdout+stderr go to `logPath`.
class Process {
 public:
  // The child also gets SIGKILL when the test process dies (PR_SET_PDEATHSIG).
  Process(const std::vector<std::string>& argv, const std::string& logPath,
          const std::map<std::string, std::string>& env = {});
  ~Process();  // SIGKILL if still running, then reap
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  pid_t pid() const { return pid_; }
  bool running();
  void signal(int sig);
  // Waits for exit; returns the exit code (128+signal when killed), or -1 on timeout.
  int wait(std::chrono::milliseconds timeout);
  std::string log() const;

 private:
  pid_t pid_ = -1;
  bool reaped_ = false;
  int status_ = 0;
  std::string logPath_;
};

// Polls `condition` every 20 ms until it holds or `timeout` passes.
bool waitFor(const std::function<bool()>& condition, std::chrono::milliseconds timeout);

std::string readFile(const std::string& path);
// Printable form of raw bytes for failure messages (\r \n \t \xNN), cut after `max`.
std::string escapedBytes(std::string_view bytes, size_t max = 400);
// A blocking TCP connection to 127.0.0.1:port with TCP_NODELAY, or -1.
int connectLoopback(int port);
void writeFile(const std::string& path, const std::string& text);

}  // namespace rollway::e2e
