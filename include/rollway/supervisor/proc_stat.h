#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "rollway/common/result.h"

namespace rollway::supervisor {

// The fields of /proc/<pid>/stat the supervisor needs.
struct ProcStat {
  pid_t pid = 0;
  std::string comm;      // field 2, without the parentheses; may contain spaces and ')'
  char state = '?';      // field 3: R, S, D, Z, T, ...
  pid_t ppid = 0;        // field 4
  pid_t pgrp = 0;        // field 5
  pid_t session = 0;     // field 6
  int64_t startTimeTicks = 0;  // field 22: start time after boot, in clock ticks

  bool zombie() const { return state == 'Z' || state == 'X' || state == 'x'; }
};

// Parses the text of a /proc/<pid>/stat file. The comm field is found between the
// first '(' and the LAST ')', so names such as "a) b (c" parse correctly.
Result<ProcStat> parseProcStat(std::string_view text);

// Reads /proc/<pid>/stat; kNotFound when the process does not exist.
Result<ProcStat> readProcStat(pid_t pid);

// The live session leader (pid == session id, not a zombie) whose environment holds
// ROLLWAY_INSTANCE=<instance>: how a restarted daemon finds an instance it started but
// had not recorded yet (it crashed between fork and the store write). Children of the
// instance inherit its environment but are not session leaders. Only processes of this
// user are readable; nullopt when none matches.
std::optional<ProcStat> findInstanceProcess(std::string_view instance);

}  // namespace rollway::supervisor
