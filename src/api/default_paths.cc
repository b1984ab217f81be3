#include "rollway/api/default_paths.h"

#include <unistd.h>

#include <cstdlib>

namespace rollway::api {

namespace {
std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v ? std::string(v) : std::string();
}
}  // namespace

std::string defaultDataDir() {
  if (geteuid() == 0) return "/var/lib/rollway";
  if (auto xdg = env("XDG_STATE_HOME"); !xdg.empty()) return xdg + "/rollway";
  if (auto home = env("HOME"); !home.empty()) return home + "/.local/state/rollway";
  return "/tmp/rollway-" + std::to_string(geteuid()) + "/state";
}

std::string defaultSocketPath() {
  if (geteuid() == 0) return "/run/rollway/rollway.sock";
  if (auto xdg = env("XDG_RUNTIME_DIR"); !xdg.empty()) return xdg + "/rollway/rollway.sock";
  return "/tmp/rollway-" + std::to_string(geteuid()) + "/rollway.sock";
}

}  // namespace rollway::api
