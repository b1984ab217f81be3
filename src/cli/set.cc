#include <iostream>

#include "env_args.h"
#include "outcome.h"
#include "verbs.h"

namespace rollway::cli {

namespace {

int postSet(const Context& ctx, const std::string& name, const nlohmann::json& body) {
  return finishChange(ctx, postToService(ctx, name, "set", body), outcomeLine);
}

}  // namespace

void addSet(CLI::App& app, Context& ctx, int& exitCode) {
  auto* set = app.add_subcommand("set", "Change one part of a service's template (a new revision, rolled out)");
  set->require_subcommand(1);
  set->footer("Examples:\n  rollway set version web v2\n  rollway set env web LOG_LEVEL=debug OLD_FLAG-\n"
              "  rollway set command web -- ./demo-app --port '${PORT}'");

  auto name = std::make_shared<std::string>();
  auto version = std::make_shared<std::string>();
  auto* cmd = set->add_subcommand("version", "Set template.version");
  cmd->add_option("name", *name, "The service")->required();
  cmd->add_option("version", *version, "The new version label, e.g. v2")->required();
  cmd->footer("Example:\n  rollway set version web v2 && rollway rollout status web");
  cmd->callback([name, version, &ctx, &exitCode] { exitCode = postSet(ctx, *name, {{"version", *version}}); });

  auto envArgs = std::make_shared<std::vector<std::string>>();
  cmd = set->add_subcommand("env", "Set or remove environment variables of template.env");
  cmd->add_option("name", *name, "The service")->required();
  cmd->add_option("changes", *envArgs, "KEY=VALUE sets KEY, KEY- removes it")->required();
  cmd->footer("Example:\n  rollway set env web LOG_LEVEL=debug GREETING='hello world' OLD_FLAG-");
  cmd->callback([name, envArgs, &ctx, &exitCode] {
    auto env = envChanges(*envArgs);
    if (!env) {
      std::cerr << "error: " << env.error().message << '\n';
      exitCode = 2;
      return;
    }
    exitCode = postSet(ctx, *name, {{"env", *env}});
  });

  auto argv = std::make_shared<std::vector<std::string>>();
  cmd = set->add_subcommand("command", "Set template.command (the program and its arguments)");
  cmd->add_option("name", *name, "The service")->required();
  cmd->add_option("argv", *argv, "The program and its arguments, after --")->required();
  cmd->footer("Put -- before the command so that its options are not read as rollway's.\n\n"
              "Example:\n  rollway set command web -- ./demo-app --port '${PORT}' --version v2");
  cmd->callback([name, argv, &ctx, &exitCode] { exitCode = postSet(ctx, *name, {{"command", *argv}}); });
}

}  // namespace rollway::cli
