#pragma once

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>

#include "rollway/supervisor/proc_stat.h"

namespace rollway::supervisor::testing {

// A fresh directory under /tmp, removed with everything in it.
class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/rollway-sup-XXXXXX";
    char* made = ::mkdtemp(tmpl);
    path_ = made != nullptr ? std::filesystem::canonical(made).string() : std::string();
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

  // Writes an executable /bin/sh script and returns its path.
  std::string script(const std::string& name, const std::string& body, mode_t mode = 0755) const {
    auto p = file(name);
    std::ofstream(p) << "#!/bin/sh\n" << body << "\n";
    ::chmod(p.c_str(), mode);
    return p;
  }

 private:
  std::string path_;
};

inline std::string readFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Polls `pred` (every 10 ms) for at most `timeout`.
inline bool waitFor(const std::function<bool()>& pred,
                    std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) {
      return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return pred();
}

// Runs `io` until `pred` holds, for at most `timeout`.
inline bool runUntil(asio::io_context& io, const std::function<bool()>& pred,
                     std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
  auto guard = asio::make_work_guard(io);
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!pred() && std::chrono::steady_clock::now() < deadline) {
    io.restart();
    io.run_for(std::chrono::milliseconds(10));
  }
  return pred();
}

// True when the process is gone or a zombie.
inline bool processDead(pid_t pid) {
  auto st = readProcStat(pid);
  return !st || st->zombie();
}

// Kills (SIGKILL) the processes a test started, by PID, and reaps our own children.
// A pid is only killed while its start time is still the recorded one.
class ProcessKiller {
 public:
  ProcessKiller() = default;
  ProcessKiller(const ProcessKiller&) = delete;
  ProcessKiller& operator=(const ProcessKiller&) = delete;
  ~ProcessKiller() { killAll(); }

  void add(pid_t pid) {
    auto st = readProcStat(pid);
    if (st) {
      entries_.push_back({pid, st->startTimeTicks});
    }
  }
  void killAll() {
    for (auto [pid, ticks] : entries_) {
      auto st = readProcStat(pid);
      if (st && st->startTimeTicks == ticks) {
        ::kill(pid, SIGKILL);
        if (st->ppid == ::getpid()) {
          waitFor([pid] { return ::waitpid(pid, nullptr, WNOHANG) != 0; }, std::chrono::seconds(2));
        }
      }
    }
    entries_.clear();
  }

 private:
  std::vector<std::pair<pid_t, int64_t>> entries_;
};

}  // namespace rollway::supervisor::testing
