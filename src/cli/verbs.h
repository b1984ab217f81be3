#pragma once

#include <CLI/CLI.hpp>

#include "context.h"

namespace rollway::cli {

// One file per verb. Each registers its subcommand on `app`; the callback stores the
// verb's exit code in `exitCode`. Option targets live in shared_ptrs captured by the
// callback: CLI11 writes them during parse(), after the add* function has returned.
void addApply(CLI::App& app, Context& ctx, int& exitCode);
void addValidate(CLI::App& app, int& exitCode);
void addExport(CLI::App& app, int& exitCode);  // kubernetes
void addGet(CLI::App& app, Context& ctx, int& exitCode);
void addDescribe(CLI::App& app, Context& ctx, int& exitCode);
void addDelete(CLI::App& app, Context& ctx, int& exitCode);
void addEvents(CLI::App& app, Context& ctx, int& exitCode);
void addVersion(CLI::App& app, Context& ctx, int& exitCode);
void addRollout(CLI::App& app, Context& ctx, int& exitCode);  // status, history, undo, pause, resume, restart
void addRolloutStatus(CLI::App& rollout, Context& ctx, int& exitCode);
void addSet(CLI::App& app, Context& ctx, int& exitCode);  // version, env, command
void addScale(CLI::App& app, Context& ctx, int& exitCode);
void addLogs(CLI::App& app, Context& ctx, int& exitCode);
void addDown(CLI::App& app, Context& ctx, int& exitCode);
void addEvict(CLI::App& app, Context& ctx, int& exitCode);
void addNodeVerbs(CLI::App& app, Context& ctx, int& exitCode);  // cordon, uncordon, drain

// Shared by `events` and `describe`: prints the newest `limit` events (of one service).
int printEvents(const Context& ctx, const std::string& service, int limit, OutputFormat format);
// Shared by `get revisions` and `rollout history`: the revisions table of one service.
int printRevisions(const Context& ctx, const std::string& service, OutputFormat format, bool withTemplateHash);

}  // namespace rollway::cli
