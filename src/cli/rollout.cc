#include <iostream>

#include "outcome.h"
#include "verbs.h"

namespace rollway::cli {

namespace {

// pause, resume and restart: POST .../ACTION with no options, one line on success.
void addServiceAction(CLI::App& rollout, Context& ctx, int& exitCode, const std::string& action,
                      const std::string& done, const std::string& help) {
  auto name = std::make_shared<std::string>();
  auto* cmd = rollout.add_subcommand(action, help);
  cmd->add_option("name", *name, "The service")->required();
  cmd->footer("Example:\n  rollway rollout " + action + " web");
  cmd->callback([name, action, done, &ctx, &exitCode] {
    exitCode = finishChange(ctx, postToService(ctx, *name, action),
                            [&](const nlohmann::json& reply) { return doneOrUnchanged(reply, done); });
  });
}

void addHistory(CLI::App& rollout, Context& ctx, int& exitCode) {
  auto name = std::make_shared<std::string>();
  auto* cmd = rollout.add_subcommand("history", "List the revisions of a service, newest first");
  cmd->add_option("name", *name, "The service")->required();
  cmd->footer("Examples:\n  rollway rollout history web\n  rollway rollout undo web --to-revision 2");
  cmd->callback([name, &ctx, &exitCode] {
    auto format = ctx.format();
    exitCode = format ? printRevisions(ctx, *name, *format, /*withTemplateHash=*/false) : reportError(format.error());
  });
}

void addUndo(CLI::App& rollout, Context& ctx, int& exitCode) {
  auto name = std::make_shared<std::string>();
  auto toRevision = std::make_shared<int64_t>(0);
  auto* cmd = rollout.add_subcommand("undo", "Roll a service back to an earlier revision (by default the previous one)");
  cmd->add_option("name", *name, "The service")->required();
  cmd->add_option("--to-revision", *toRevision, "The revision to roll back to; 0 = the one before the current")
      ->capture_default_str()
      ->check(CLI::Range(int64_t{0}, int64_t{1} << 40));
  cmd->footer(
      "The service's template becomes that revision's again, rolled out by its strategy.\n\n"
      "Examples:\n  rollway rollout undo web\n  rollway rollout undo web --to-revision 2 && rollway rollout status web");
  cmd->callback([name, toRevision, &ctx, &exitCode] {
    exitCode = finishChange(ctx, postToService(ctx, *name, "undo", {{"toRevision", *toRevision}}),
                            [](const nlohmann::json& reply) {
                              std::string line = doneOrUnchanged(reply, "rolled back");
                              int64_t revision = reply.value("revision", int64_t{0});
                              if (reply.value("action", "") != "unchanged" && revision > 0) {
                                line += " (revision " + std::to_string(revision) + ")";
                              }
                              return line;
                            });
  });
}

}  // namespace

void addRollout(CLI::App& app, Context& ctx, int& exitCode) {
  auto* rollout = app.add_subcommand("rollout", "Watch, pause, resume, restart or undo the rollout of a service");
  rollout->require_subcommand(1);
  rollout->footer(
      "Examples:\n"
      "  rollway set version web v2 && rollway rollout status web\n"
      "  rollway rollout history web\n"
      "  rollway rollout undo web");
  addRolloutStatus(*rollout, ctx, exitCode);
  addHistory(*rollout, ctx, exitCode);
  addUndo(*rollout, ctx, exitCode);
  addServiceAction(*rollout, ctx, exitCode, "pause", "paused",
                   "Pause a service's rollout: instances stay as they are until resume (sets spec.paused)");
  addServiceAction(*rollout, ctx, exitCode, "resume", "resumed", "Resume a paused rollout");
  addServiceAction(*rollout, ctx, exitCode, "restart", "restarted",
                   "Replace every instance of a service, by its strategy's rules, without a new revision");
}

}  // namespace rollway::cli
