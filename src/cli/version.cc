#include <iostream>

#include "rollway/common/version.h"
#include "verbs.h"

namespace rollway::cli {

void addVersion(CLI::App& app, Context& ctx, int& exitCode) {
  auto* cmd = app.add_subcommand("version", "Print the version of this binary and of the daemon, if one answers");
  auto clientOnly = std::make_shared<bool>(false);
  cmd->add_flag("--client", *clientOnly, "Only this binary's version; do not contact the daemon");
  cmd->callback([clientOnly, &ctx, &exitCode] {
    exitCode = 0;
    std::cout << "client: rollway " << versionString() << '\n';
    if (*clientOnly) return;
    auto reply = ctx.call("GET", "/v1/version");
    if (reply) {
      std::cout << "server: rollway " << reply->value("version", "?") << '\n';
    } else {
      std::cout << "server: not reachable (" << reply.error().message << ")\n";
    }
  });
}

}  // namespace rollway::cli
