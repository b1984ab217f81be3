#include "rollway/supervisor/launch_spec.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace rollway::supervisor {
namespace {

constexpr const char* kDefaultPath = "/usr/local/bin:/usr/bin:/bin";

std::string joinPath(const std::string& dir, const std::string& name) {
  if (dir.empty()) {
    return name;
  }
  if (dir.back() == '/') {
    return dir + name;
  }
  return dir + "/" + name;
}

bool isExecutableFile(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(path.c_str(), X_OK) == 0;
}

}  // namespace

EnvMap baseEnvironmentFromProcess() {
  EnvMap env;
  const char* path = std::getenv("PATH");
  env["PATH"] = path != nullptr && *path != '\0' ? path : kDefaultPath;
  for (const char* name : {"HOME", "LANG"}) {
    if (const char* value = std::getenv(name)) {
      env[name] = value;
    }
  }
  return env;
}

std::string expandVariables(std::string_view text, const EnvMap& vars) {
  std::string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    if (text.compare(i, 3, "$${") == 0) {
      i += 1;  // "$${X}" -> literal "${X}": drop one '$', copy the rest as text
      auto close = text.find('}', i);
      auto end = close == std::string_view::npos ? text.size() : close + 1;
      out.append(text.substr(i, end - i));
      i = end;
      continue;
    }
    if (text.compare(i, 2, "${") == 0) {
      auto close = text.find('}', i + 2);
      if (close != std::string_view::npos) {
        std::string name(text.substr(i + 2, close - i - 2));
        if (auto it = vars.find(name); it != vars.end()) {
          out += it->second;
        } else {
          out.append(text.substr(i, close + 1 - i));  // unknown: left as written
        }
        i = close + 1;
        continue;
      }
    }
    out += text[i];
    ++i;
  }
  return out;
}

Result<PreparedLaunch> prepareLaunch(const LaunchSpec& spec, const EnvMap& base, std::string logPath) {
  if (spec.command.empty() || spec.command[0].empty()) {
    return fail(ErrorCode::kInvalidArgument, "instance {}: command is empty", spec.instance);
  }
  PreparedLaunch out;
  out.logPath = std::move(logPath);

  // Working directory, made absolute so that the executable path does not depend on
  // the order of chdir and exec.
  out.workingDir = spec.workingDir;
  if (!out.workingDir.empty() && out.workingDir.front() != '/') {
    char cwd[4096];
    if (::getcwd(cwd, sizeof cwd) == nullptr) {
      return fail(ErrorCode::kIo, "instance {}: getcwd: {}", spec.instance, std::strerror(errno));
    }
    out.workingDir = joinPath(cwd, out.workingDir);
  }

  // Variables: base < template (unexpanded) < ours.
  EnvMap vars = base;
  for (const auto& [name, value] : spec.env) {
    vars[name] = value;
  }
  EnvMap ours{{"PORT", std::to_string(spec.port)},
              {"ROLLWAY_INSTANCE", spec.instance},
              {"ROLLWAY_SERVICE", spec.service},
              {"ROLLWAY_REVISION", std::to_string(spec.revision)},
              {"ROLLWAY_VERSION", spec.version}};
  for (const auto& [name, value] : ours) {
    vars[name] = value;
  }

  EnvMap env = base;
  for (const auto& [name, value] : spec.env) {
    if (name.empty() || name.find('=') != std::string::npos) {
      return fail(ErrorCode::kInvalidArgument, "instance {}: invalid environment variable name '{}'",
                  spec.instance, name);
    }
    env[name] = expandVariables(value, vars);
  }
  for (const auto& [name, value] : ours) {
    env[name] = value;
  }
  for (const auto& [name, value] : env) {
    out.envp.push_back(name + "=" + value);
  }

  for (const auto& arg : spec.command) {
    out.argv.push_back(expandVariables(arg, vars));
  }

  const std::string& cmd = out.argv[0];
  if (cmd.find('/') != std::string::npos) {
    out.executable = cmd.front() == '/' || out.workingDir.empty() ? cmd : joinPath(out.workingDir, cmd);
    return out;
  }
  std::string_view path = env["PATH"];
  size_t pos = 0;
  while (pos <= path.size()) {
    auto colon = path.find(':', pos);
    auto dir = std::string(path.substr(pos, colon == std::string_view::npos ? std::string_view::npos : colon - pos));
    if (dir.empty()) {
      dir = out.workingDir.empty() ? "." : out.workingDir;
    } else if (dir.front() != '/' && !out.workingDir.empty()) {
      dir = joinPath(out.workingDir, dir);
    }
    auto candidate = joinPath(dir, cmd);
    if (isExecutableFile(candidate)) {
      out.executable = candidate;
      return out;
    }
    if (colon == std::string_view::npos) {
      break;
    }
    pos = colon + 1;
  }
  return fail(ErrorCode::kNotFound, "instance {}: command '{}' not found in PATH ({})", spec.instance, cmd,
              path);
}

}  // namespace rollway::supervisor
