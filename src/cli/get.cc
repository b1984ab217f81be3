#include <iostream>

#include "table.h"
#include "verbs.h"

namespace rollway::cli {

namespace {

struct GetOptions {
  std::string kind;
  std::string name;
};

std::string str(const nlohmann::json& j, const char* key) {
  if (!j.contains(key) || j[key].is_null()) return "";
  return j[key].is_string() ? j[key].get<std::string>() : j[key].dump();
}

int getServices(const GetOptions& opts, const Context& ctx, OutputFormat format) {
  auto reply = opts.name.empty() ? ctx.call("GET", "/v1/services") : ctx.call("GET", "/v1/services/" + urlEncode(opts.name));
  if (!reply) return reportError(reply.error());
  if (format != OutputFormat::kTable) {
    printStructured(*reply, format);
    return 0;
  }
  nlohmann::json items = opts.name.empty() ? (*reply)["items"] : nlohmann::json::array({*reply});
  if (items.empty()) {
    std::cerr << "No services. Create one with: rollway apply -f FILE\n";
    return 0;
  }
  Table table({"NAME", "LISTEN", "REPLICAS", "REVISION", "VERSION", "STRATEGY", "GENERATION", "AGE"});
  for (const auto& s : items) {
    table.addRow({str(s, "name"), str(s, "listen"), str(s, "replicas"), str(s, "revision"), str(s, "version"),
                  str(s, "strategy"), str(s, "generation"), age(s.value("createdAtMs", int64_t{0}))});
  }
  table.print(std::cout);
  return 0;
}

int getRevisions(const GetOptions& opts, const Context& ctx, OutputFormat format) {
  if (opts.name.empty()) {
    std::cerr << "error: get revisions needs a service name: rollway get revisions SERVICE\n";
    return 2;
  }
  auto reply = ctx.call("GET", "/v1/services/" + urlEncode(opts.name) + "/revisions");
  if (!reply) return reportError(reply.error());
  if (format != OutputFormat::kTable) {
    printStructured(*reply, format);
    return 0;
  }
  Table table({"REVISION", "VERSION", "TEMPLATE-HASH", "CURRENT", "PHASE", "AGE"});
  for (const auto& r : (*reply)["items"]) {
    table.addRow({str(r, "number"), str(r, "version"), str(r, "templateHash"), r.value("current", false) ? "*" : "",
                  str(r, "phase"), age(r.value("createdAtMs", int64_t{0}))});
  }
  table.print(std::cout);
  return 0;
}

}  // namespace

void addGet(CLI::App& app, Context& ctx, int& exitCode) {
  auto opts = std::make_shared<GetOptions>();
  auto* cmd = app.add_subcommand("get", "List services, or the revisions of one service");
  cmd->add_option("kind", opts->kind, "services | service | revisions")
      ->required()
      ->check(CLI::IsMember({"services", "service", "svc", "revisions", "revision", "rev"}));
  cmd->add_option("name", opts->name, "A service name (required for revisions)");
  cmd->footer("Examples:\n  rollway get services\n  rollway get services web -o yaml\n  rollway get revisions web");
  cmd->callback([opts, &ctx, &exitCode] {
    auto format = ctx.format();
    if (!format) {
      exitCode = reportError(format.error());
      return;
    }
    if (opts->kind.rfind("rev", 0) == 0) {
      exitCode = getRevisions(*opts, ctx, *format);
    } else {
      exitCode = getServices(*opts, ctx, *format);
    }
  });
}

}  // namespace rollway::cli
