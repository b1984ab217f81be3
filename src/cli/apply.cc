#include <iostream>

#include "spec_files.h"
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
  if (!reply) return reportError(reply.error());
  auto format = ctx.format();
  if (!format) return reportError(format.error());
  if (*format != OutputFormat::kTable) {
    printStructured(*reply, *format);
    return 0;
  }
  for (const auto& r : (*reply)["results"]) {
    std::string line = "service/" + r.value("name", "") + " " + r.value("action", "");
    if (r.value("action", "") != "unchanged") {
      int64_t revision = r.value("revision", int64_t{0});
      if (revision > 0) {
        line += " (revision " + std::to_string(revision) + (r.value("newRevision", false) ? ", new)" : ")");
      } else if (r.value("newRevision", false)) {
        line += " (new revision)";
      }
    }
    if (opts.dryRun) line += " (dry run)";
    std::cout << line << '\n';
  }
  return 0;
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
