#pragma once

#include <sys/stat.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "rollway/common/result.h"
#include "rollway/supervisor/unique_fd.h"

namespace rollway::supervisor {

// Size-based rotation of per-instance log files.
struct LogRotationPolicy {
  uint64_t maxBytes = 10 * 1024 * 1024;  // rotate when the live file is larger
  int keep = 5;                          // <name>.log.1 (newest) .. <name>.log.<keep>
};

// New bytes of a log file, for `rollway logs -f`.
struct LogChunk {
  std::string data;
  uint64_t nextOffset = 0;  // pass back on the next call
  bool restarted = false;   // the file shrank (rotated): data is from offset 0
};

// The log files of instances in one directory: <dir>/<instance>.log.
// Rotation is copytruncate: the instances write with O_APPEND to a file they opened
// themselves, so the live file is copied to .1 (older ones shifted .1 -> .2 ...,
// the oldest dropped) and truncated in place; O_APPEND writers continue at the new end.
// Lines written between the copy and the truncate are lost (the usual copytruncate
// caveat), a window of one file copy. Stateless apart from its configuration.
class InstanceLogs {
 public:
  explicit InstanceLogs(std::string dir, LogRotationPolicy policy = {});

  const std::string& dir() const { return dir_; }
  std::string pathFor(std::string_view instance) const;

  // Rotates one instance's log when it is larger than maxBytes (or always, with
  // force). Returns whether it rotated; a missing log is not an error (false).
  Result<bool> rotate(std::string_view instance, bool force = false) const;
  // rotate() for every <name>.log in the directory; returns how many rotated.
  // The daemon calls this periodically.
  Result<int> rotateAll() const;

  // The last `lines` lines of the live log (a final line without '\n' counts).
  Result<std::string> tail(std::string_view instance, size_t lines) const;
  // Bytes from `offset` to the end (at most maxBytes). When the file is now shorter
  // than offset it was rotated: reading restarts at 0 and `restarted` is set.
  Result<LogChunk> readFrom(std::string_view instance, uint64_t offset,
                            size_t maxBytes = 1024 * 1024) const;

 private:
  struct OpenedLog {
    std::string path;
    UniqueFd fd;
    struct stat st {};
  };
  // Checks the name, opens the instance's log read-only and stats it.
  Result<OpenedLog> openForReading(std::string_view instance) const;

  std::string dir_;
  LogRotationPolicy policy_;
};

}  // namespace rollway::supervisor
