#include <iostream>

#include "outcome.h"
#include "rollway/cli/spec_files.h"
#include "rollway/spec/serialize.h"
#include "verbs.h"

namespace rollway::cli {

namespace {

struct ApplyOptions {
  std::vector<std::string> files;
  bool dryRun = false;
};

int runApply(const ApplyOptions& opts, const Context& ctx) {
  // Validate locally first: errors name the user's file, and relative working
  // directories are resolved against the file's directory before the daemon sees them.
  auto specs = loadSpecFiles(opts.files);
  if (!specs) return reportError(specs.error());
  std::string batch;
  for (const auto& s : *specs) {
    if (!batch.empty()) batch += "\n---\n";
    batch += spec::toJson(s).dump();
  }
  std::string names;
  for (const auto& file : opts.files) names += (names.empty() ? "" : ",") + file;
  std::string target = "/v1/apply?filename=" + urlEncode(names);
  if (opts.dryRun) target += "&dryRun=true";
  auto reply = ctx.call("POST", target, batch, "application/yaml");
  return finishChange(ctx, reply, [&](const nlohmann::json& body) {
    std::string lines;
    for (const auto& r : body.value("results", nlohmann::json::array())) {
      if (!lines.empty()) lines += '\n';
      lines += outcomeLine(r) + (opts.dryRun ? " (dry run)" : "");
    }
    return lines;
  });
}

}  // namespace

void addApply(CLI::App& app, Context& ctx, int& exitCode) {
  auto opts = std::make_shared<ApplyOptions>();
  auto* cmd = app.add_subcommand("apply", "Create or update services from spec files (all documents as one unit)");
  cmd->add_option("-f,--filename", opts->files, "Spec file (YAML or JSON; several documents separated by ---; - for stdin)")
      ->required();
  cmd->add_flag("--dry-run", opts->dryRun, "Validate and show what would change, without changing anything");
  cmd->footer("A template change creates a new revision; an identical apply changes nothing.");
  cmd->callback([opts, &ctx, &exitCode] { exitCode = runApply(*opts, ctx); });
}

}  // namespace rollway::cli
