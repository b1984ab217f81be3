#include "outcome.h"
#include "verbs.h"

namespace rollway::cli {

void addScale(CLI::App& app, Context& ctx, int& exitCode) {
  auto name = std::make_shared<std::string>();
  auto replicas = std::make_shared<int64_t>(0);
  auto* cmd = app.add_subcommand("scale", "Set the number of instances of a service (no new revision)");
  cmd->add_option("name", *name, "The service")->required();
  cmd->add_option("--replicas", *replicas, "The desired number of instances")->required()->check(CLI::Range(0, 1000000));
  cmd->footer("Example:\n  rollway scale web --replicas 6");
  cmd->callback([name, replicas, &ctx, &exitCode] {
    exitCode = finishChange(ctx, postToService(ctx, *name, "scale", {{"replicas", *replicas}}),
                            [](const nlohmann::json& reply) { return doneOrUnchanged(reply, "scaled"); });
  });
}

}  // namespace rollway::cli
