#pragma once

// rollway's ${VAR} substitution (supervisor's expandVariables: `${NAME}` is replaced
// when NAME is known, else left as written; `$${X}` is a literal `${X}`) carried over to
// Kubernetes, which expands `$(NAME)` in command, args and env values (`$$` = `$`) but
// nothing in exec handlers.

#include <map>
#include <set>
#include <string>
#include <string_view>

namespace rollway::exporter {

// What an instance's ${NAME} can refer to, and how each is given in Kubernetes.
struct Variables {
  // Known when rendering, set in the container's env first: PORT, ROLLWAY_SERVICE, ROLLWAY_VERSION.
  std::map<std::string, std::string> fixed;
  // Only known in the pod, set in the container's env first (downward API): ROLLWAY_INSTANCE, ROLLWAY_REVISION.
  std::set<std::string> podOnly;
  // spec.template.env as written (rollway substitutes their raw values, never expanded twice).
  std::map<std::string, std::string> templateEnv;
  // Taken by rollway from its own environment (PATH, HOME, LANG): not in the container's env.
  std::set<std::string> daemonEnv;
};

enum class Target {
  kArgs,      // container command / args: $(NAME) for any variable in the container's env
  kEnvValue,  // an env value: $(NAME) for the variables listed before it (fixed, podOnly); template env inlined
  kExec,      // exec probe / preStop: no expansion at all, values inlined where they are known
};

struct Translated {
  std::string text;
  std::set<std::string> unresolved;  // variables the result cannot resolve as rollway does
};

Translated translate(std::string_view text, const Variables& vars, Target target);

}  // namespace rollway::exporter
