#include <chrono>

#include "outcome.h"
#include "verbs.h"

namespace rollway::cli {

void addDown(CLI::App& app, Context& ctx, int& exitCode) {
  auto all = std::make_shared<bool>(false);
  auto* cmd = app.add_subcommand("down", "Stop the daemon; with --all, every instance and the proxy too");
  cmd->add_flag("--all", *all, "Drain and stop every instance, then the proxy, then the daemon (waits up to 10m)");
  cmd->footer(
      "Without --all the instances and the proxy keep serving while the daemon is down.\n\n"
      "Examples:\n  rollway down\n  rollway down --all");
  cmd->callback([all, &ctx, &exitCode] {
    auto timeout = *all ? std::chrono::minutes(10) : std::chrono::minutes(1);
    auto reply = ctx.call("POST", "/v1/shutdown", nlohmann::json{{"all", *all}}.dump(), "application/json", timeout);
    exitCode = finishChange(ctx, reply, [&](const nlohmann::json&) {
      return *all ? "rollway stopped, with every instance and the proxy"
                  : "rollway stopped (instances and proxy keep serving)";
    });
  });
}

}  // namespace rollway::cli
