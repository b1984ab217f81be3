#pragma once

#include <sys/types.h>

#include <cstdint>

#include "rollway/common/result.h"
#include "rollway/supervisor/launch_spec.h"
#include "rollway/supervisor/unique_fd.h"

namespace rollway::supervisor {

// A process that exec()ed successfully.
struct SpawnedProcess {
  pid_t pid = 0;               // also its process group and session id (setsid)
  UniqueFd pidfd;              // pidfd_open(pid)
  int64_t startTimeTicks = 0;  // /proc/<pid>/stat field 22
};

// fork + exec of a prepared launch. In the child, between fork and exec, only
// async-signal-safe calls: setsid(); stdin = /dev/null; stdout and stderr = logPath
// opened O_APPEND|O_CREAT (no pipe, so the instance keeps logging when the daemon is
// gone); chdir(workingDir); signal mask cleared and dispositions reset to default; every
// other fd marked close-on-exec (close_range). Failure of any of these or of execve
// travels back through a CLOEXEC pipe and is returned as an Error (the child is reaped).
// The caller owns the child: it must reap it (waitid) once it exits.
Result<SpawnedProcess> spawnProcess(const PreparedLaunch& launch);

// pidfd_open(2) via syscall.
Result<UniqueFd> openPidfd(pid_t pid);

}  // namespace rollway::supervisor
