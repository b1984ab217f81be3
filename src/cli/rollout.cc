#include <iostream>

#include "outcome.h"
#include "verbs.h"

namespace rollway::cli {

namespace {

// pause, resume, restart, promote, abort and retry: POST .../ACTION with no options, one
// line on success; an error (409: nothing to promote, abort or retry) is one line, exit 1.
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
  auto withSteps = std::make_shared<bool>(false);
  auto* cmd = rollout.add_subcommand("undo", "Roll a service back to an earlier revision (by default the previous one)");
  cmd->add_option("name", *name, "The service")->required();
  cmd->add_option("--to-revision", *toRevision, "The revision to roll back to; 0 = the one before the current")
      ->capture_default_str()
      ->check(CLI::Range(int64_t{0}, int64_t{1} << 40));
  cmd->add_flag("--with-steps", *withSteps,
                "Roll back through the strategy's canary steps and analysis (or blue-green preview) instead of at once");
  cmd->footer(
      "The service's template becomes that revision's again. Without --with-steps the target revision takes\n"
      "100 % of traffic at once: canary steps and analysis are skipped, blue-green is switched at once (within\n"
      "scaleDownDelaySeconds the old instances are still up). Revisions marked Failed (aborted) are only picked\n"
      "when named with --to-revision.\n\n"
      "Examples:\n  rollway rollout undo web\n  rollway rollout undo web --to-revision 2 && rollway rollout status web\n"
      "  rollway rollout undo web --with-steps");
  cmd->callback([name, toRevision, withSteps, &ctx, &exitCode] {
    nlohmann::json body{{"toRevision", *toRevision}};
    if (*withSteps) body["withSteps"] = true;
    exitCode = finishChange(ctx, postToService(ctx, *name, "undo", body),
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
  auto* rollout = app.add_subcommand(
      "rollout", "Watch, pause, resume, promote, abort, retry, restart or undo the rollout of a service");
  rollout->require_subcommand(1);
  rollout->footer(
      "Examples:\n"
      "  rollway set version web v2 && rollway rollout status web\n"
      "  rollway rollout history web\n"
      "  rollway rollout promote web\n"
      "  rollway rollout undo web");
  addRolloutStatus(*rollout, ctx, exitCode);
  addHistory(*rollout, ctx, exitCode);
  addUndo(*rollout, ctx, exitCode);
  addServiceAction(*rollout, ctx, exitCode, "pause", "paused",
                   "Pause a service's rollout: instances stay as they are until resume (sets spec.paused)");
  addServiceAction(*rollout, ctx, exitCode, "resume", "resumed", "Resume a paused rollout");
  addServiceAction(*rollout, ctx, exitCode, "restart", "restarted",
                   "Replace every instance of a service, by its strategy's rules, without a new revision");
  addServiceAction(*rollout, ctx, exitCode, "promote", "promoted",
                   "Canary: go past the current pause or analysis step; blue-green: switch traffic to the preview now");
  addServiceAction(*rollout, ctx, exitCode, "abort", "aborted",
                   "Abort a canary or blue-green rollout: traffic back to the stable revision in one swap, the new "
                   "revision stopped and marked Failed");
  addServiceAction(*rollout, ctx, exitCode, "retry", "retrying", "Start an aborted rollout again from its first step");
}

}  // namespace rollway::cli
