#include "rollway/supervisor/exit_info.h"

#include <signal.h>
#include <string.h>
#include <sys/wait.h>

#include <fmt/format.h>

namespace rollway::supervisor {

ExitInfo ExitInfo::fromSiginfo(int childCode, int childStatus) {
  switch (childCode) {
    case CLD_EXITED:
      return exited(childStatus);
    case CLD_KILLED:
      return signaled(childStatus, false);
    case CLD_DUMPED:
      return signaled(childStatus, true);
    default:
      return unknown();
  }
}

std::string ExitInfo::str() const {
  switch (kind) {
    case Kind::kExited:
      return fmt::format("exited with code {}", code);
    case Kind::kSignaled: {
      const char* abbrev = sigabbrev_np(signal);
      return fmt::format("killed by signal {} (SIG{}){}", signal, abbrev ? abbrev : "?",
                         coreDumped ? ", core dumped" : "");
    }
    case Kind::kUnknown:
      break;
    case Kind::kLost:
      return "lost with its node";
  }
  return "exited (status unknown: adopted)";
}

}  // namespace rollway::supervisor
