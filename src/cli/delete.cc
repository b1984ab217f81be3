#include <iostream>

#include "verbs.h"

namespace rollway::cli {

void addDelete(CLI::App& app, Context& ctx, int& exitCode) {
  auto kind = std::make_shared<std::string>();
  auto names = std::make_shared<std::vector<std::string>>();
  auto* cmd = app.add_subcommand("delete", "Delete services (their revisions go with them; events stay)");
  cmd->add_option("kind", *kind, "service")->required()->check(CLI::IsMember({"service", "services", "svc"}));
  cmd->add_option("names", *names, "Service names")->required();
  cmd->callback([kind, names, &ctx, &exitCode] {
    exitCode = 0;
    for (const auto& name : *names) {
      auto reply = ctx.call("DELETE", "/v1/services/" + urlEncode(name));
      if (!reply) {
        exitCode = reportError(reply.error());
        continue;
      }
      std::cout << "service/" << name << " deleted\n";
    }
  });
}

}  // namespace rollway::cli
