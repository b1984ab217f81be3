#pragma once

#include <sys/types.h>

#include <string>

namespace rollway::supervisor {

// How an instance's main process ended.
struct ExitInfo {
  enum class Kind {
    kExited,    // exit(code)
    kSignaled,  // killed by `signal`
    kUnknown,   // adopted process: not our child, so its status cannot be collected
    kLost,      // cluster mode: its node was lost (its lease expired); it may still run there
  };
  Kind kind = Kind::kUnknown;
  int code = 0;    // kExited
  int signal = 0;  // kSignaled
  bool coreDumped = false;

  static ExitInfo exited(int code) { return {Kind::kExited, code, 0, false}; }
  static ExitInfo signaled(int signal, bool core = false) { return {Kind::kSignaled, 0, signal, core}; }
  static ExitInfo unknown() { return {}; }
  static ExitInfo lost() { return {Kind::kLost, 0, 0, false}; }

  // From a waitid() result (si_code CLD_EXITED / CLD_KILLED / CLD_DUMPED).
  static ExitInfo fromSiginfo(int childCode, int childStatus);

  // True for exit code 0 only.
  bool success() const { return kind == Kind::kExited && code == 0; }

  // "exited with code 3", "killed by signal 9 (SIGKILL)",
  // "exited (status unknown: adopted)", "lost with its node".
  std::string str() const;

  bool operator==(const ExitInfo&) const = default;
};

}  // namespace rollway::supervisor
