#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "rollway/common/result.h"

namespace rollway::supervisor {

using EnvMap = std::map<std::string, std::string>;

// What to start: one instance of one revision. The controller fills it from the
// revision's spec::Template (command, env, workingDir) and the allocated port.
struct LaunchSpec {
  std::string instance;               // e.g. web-3-x7k2q; also the log file name
  std::string service;                // e.g. web
  int64_t revision = 0;
  int port = 0;                       // ${PORT}
  std::vector<std::string> command;   // argv; ${PORT} and ${VAR} are substituted
  EnvMap env;                         // template env; values are substituted too
  std::string workingDir;             // empty = the daemon's working directory
  std::string version;                // template.version, as $ROLLWAY_VERSION
};

// A LaunchSpec turned into exactly what execve() gets. Built before fork().
struct PreparedLaunch {
  std::string executable;             // absolute or workingDir-relative path to exec
  std::vector<std::string> argv;      // substituted
  std::vector<std::string> envp;      // "NAME=value", sorted by name
  std::string workingDir;
  std::string logPath;                // stdout and stderr, opened O_APPEND by the child
};

// The daemon environment an instance inherits: PATH, HOME and LANG only (PATH falls back
// to /usr/local/bin:/usr/bin:/bin when unset). Nothing else leaks from the daemon.
EnvMap baseEnvironmentFromProcess();

// Replaces ${NAME} with vars[NAME]. Unknown names are left as written (as Kubernetes
// does with $(VAR)); "$${NAME}" is the escape for a literal "${NAME}". Single pass:
// substituted values are not expanded again.
std::string expandVariables(std::string_view text, const EnvMap& vars);

// The instance's environment, later entries winning:
//   base (PATH, HOME, LANG)  <  template env  <  PORT, ROLLWAY_INSTANCE,
//   ROLLWAY_SERVICE, ROLLWAY_REVISION, ROLLWAY_VERSION.
// Template env values and argv are expanded against that same map, built from the
// unexpanded values (so ${PATH}, ${PORT}, ${GREETING} all work).
// command[0]: containing '/' and relative -> resolved against workingDir; a bare name ->
// searched in the instance's PATH (kNotFound when absent there).
Result<PreparedLaunch> prepareLaunch(const LaunchSpec& spec, const EnvMap& base, std::string logPath);

}  // namespace rollway::supervisor
