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

// READY "1/1" / "0/1"; RESTARTS "2 (last: exited 1)"; PID and PORT "-" when none.
int getInstances(const GetOptions& opts, const Context& ctx, OutputFormat format) {
  std::string target = "/v1/instances";
  if (!opts.name.empty()) target += "?service=" + urlEncode(opts.name);
  auto reply = ctx.call("GET", target);
  if (!reply) return reportError(reply.error());
  if (format != OutputFormat::kTable) {
    printStructured(*reply, format);
    return 0;
  }
  auto orDash = [](const nlohmann::json& j, const char* key) {
    return j.value(key, int64_t{0}) > 0 ? str(j, key) : std::string("-");
  };
  // A NODE column in cluster mode (when any instance says where it runs).
  bool clustered = false;
  for (const auto& i : (*reply)["items"]) clustered = clustered || i.contains("node");
  std::vector<std::string> headers{"NAME", "SERVICE", "REVISION", "VERSION", "PHASE", "READY", "RESTARTS", "PID", "PORT"};
  if (clustered) headers.push_back("NODE");
  headers.push_back("AGE");
  Table table(headers);
  for (const auto& i : (*reply)["items"]) {
    std::string restarts = str(i, "restarts");
    if (!str(i, "lastExit").empty()) restarts += " (last: " + str(i, "lastExit") + ")";
    // An eviction waiting for its replacement shows in the phase: "Ready (evicting)".
    std::string phase = str(i, "phase") + (i.value("evicting", false) ? " (evicting)" : "");
    std::vector<std::string> row{str(i, "name"), str(i, "service"), str(i, "revision"), str(i, "version"), phase,
                                 i.value("ready", false) ? "1/1" : "0/1", restarts, orDash(i, "pid"), orDash(i, "port")};
    if (clustered) row.push_back(str(i, "node").empty() ? "-" : str(i, "node"));
    row.push_back(age(i.value("createdAtMs", int64_t{0})));
    table.addRow(std::move(row));
  }
  if (table.empty()) {
    std::cerr << (opts.name.empty() ? "No instances.\n" : "No instances of service/" + opts.name + ".\n");
    return 0;
  }
  table.print(std::cout);
  return 0;
}

// Cluster mode: NAME ADDRESS STATUS INSTANCES LEADER LABELS (STATUS as kubectl says it:
// Ready, NotReady, with ",SchedulingDisabled" when cordoned).
int getNodes(const Context& ctx, OutputFormat format) {
  auto reply = ctx.call("GET", "/v1/nodes");
  if (!reply) return reportError(reply.error());
  if (format != OutputFormat::kTable) {
    printStructured(*reply, format);
    return 0;
  }
  Table table({"NAME", "ADDRESS", "STATUS", "INSTANCES", "LEADER", "LABELS"});
  for (const auto& n : (*reply)["items"]) {
    std::string labels;
    if (n.contains("labels") && n["labels"].is_object()) {
      for (const auto& [k, v] : n["labels"].items()) labels += (labels.empty() ? "" : ",") + k + "=" + str(n["labels"], k.c_str());
    }
    std::string status = n.value("ready", false) ? "Ready" : "NotReady";
    if (n.value("cordoned", false)) status += ",SchedulingDisabled";
    table.addRow({str(n, "name"), str(n, "address"), status, str(n, "instances"),
                  n.value("leader", false) ? "*" : "", labels.empty() ? "-" : labels});
  }
  table.print(std::cout);
  return 0;
}

}  // namespace

int printRevisions(const Context& ctx, const std::string& service, OutputFormat format, bool withTemplateHash) {
  auto reply = ctx.call("GET", "/v1/services/" + urlEncode(service) + "/revisions");
  if (!reply) return reportError(reply.error());
  if (format != OutputFormat::kTable) {
    printStructured(*reply, format);
    return 0;
  }
  std::vector<std::string> headers{"REVISION", "VERSION", "TEMPLATE-HASH", "CURRENT", "PHASE", "AGE"};
  if (!withTemplateHash) headers.erase(headers.begin() + 2);
  Table table(headers);
  for (const auto& r : (*reply)["items"]) {
    std::vector<std::string> row{str(r, "number"), str(r, "version"), str(r, "templateHash"),
                                 r.value("current", false) ? "*" : "", str(r, "phase"),
                                 age(r.value("createdAtMs", int64_t{0}))};
    if (!withTemplateHash) row.erase(row.begin() + 2);
    table.addRow(std::move(row));
  }
  table.print(std::cout);
  return 0;
}

void addGet(CLI::App& app, Context& ctx, int& exitCode) {
  auto opts = std::make_shared<GetOptions>();
  auto* cmd = app.add_subcommand("get", "List services, the revisions of one service, instances, or nodes");
  cmd->add_option("kind", opts->kind, "services (svc) | revisions (rev) | instances (inst) | nodes (no; cluster mode)")
      ->required()
      ->check(CLI::IsMember({"services", "service", "svc", "revisions", "revision", "rev", "instances", "instance",
                             "inst", "nodes", "node", "no"}));
  cmd->add_option("name", opts->name, "A service name (required for revisions; for instances, only that service's)");
  cmd->footer(
      "Examples:\n  rollway get services\n  rollway get services web -o yaml\n  rollway get revisions web\n"
      "  rollway get instances web\n  rollway get nodes          # cluster mode: ask any daemon; the leader answers");
  cmd->callback([opts, &ctx, &exitCode] {
    auto format = ctx.format();
    if (!format) {
      exitCode = reportError(format.error());
      return;
    }
    if (opts->kind.rfind("rev", 0) == 0) {
      if (opts->name.empty()) {
        std::cerr << "error: get revisions needs a service name: rollway get revisions SERVICE\n";
        exitCode = 2;
        return;
      }
      exitCode = printRevisions(ctx, opts->name, *format, /*withTemplateHash=*/true);
    } else if (opts->kind.rfind("inst", 0) == 0) {
      exitCode = getInstances(*opts, ctx, *format);
    } else if (opts->kind.rfind("no", 0) == 0) {
      exitCode = getNodes(ctx, *format);
    } else {
      exitCode = getServices(*opts, ctx, *format);
    }
  });
}

}  // namespace rollway::cli
