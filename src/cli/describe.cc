#include <iostream>

#include "rollout_progress.h"
#include "table.h"
#include "verbs.h"

namespace rollway::cli {

namespace {

std::string scalar(const nlohmann::json& j) {
  if (j.is_null()) return "<none>";
  if (j.is_string()) return j.get<std::string>();
  return j.dump();
}

std::string probeLine(const nlohmann::json& p) {
  if (p.is_null()) return "<none>";
  std::string action;
  if (p.contains("httpGet")) {
    action = "http-get " + scalar(p["httpGet"].value("path", nlohmann::json("/")));
  } else if (p.contains("tcpSocket")) {
    action = "tcp-socket";
  } else if (p.contains("exec")) {
    action = "exec " + p["exec"].value("command", nlohmann::json::array()).dump();
  }
  return action + " delay=" + std::to_string(p.value("initialDelaySeconds", 0)) + "s" +
         " timeout=" + std::to_string(p.value("timeoutSeconds", 1)) + "s" +
         " period=" + std::to_string(p.value("periodSeconds", 10)) + "s" +
         " #success=" + std::to_string(p.value("successThreshold", 1)) +
         " #failure=" + std::to_string(p.value("failureThreshold", 3));
}

int describeService(const Context& ctx, const std::string& name, OutputFormat format) {
  auto service = ctx.call("GET", "/v1/services/" + urlEncode(name));
  if (!service) return reportError(service.error());
  auto revisions = ctx.call("GET", "/v1/services/" + urlEncode(name) + "/revisions");
  if (!revisions) return reportError(revisions.error());
  if (format != OutputFormat::kTable) {
    nlohmann::json all = *service;
    all["revisions"] = (*revisions)["items"];
    printStructured(all, format);
    return 0;
  }
  const auto& s = *service;
  const auto& spec = s["spec"]["spec"];
  const auto& tmpl = spec["template"];
  const auto& strategy = spec["strategy"];
  auto& out = std::cout;
  out << "Name:                " << s.value("name", "") << '\n';
  out << "Listen:              " << scalar(spec["listen"]) << '\n';
  if (spec.contains("hosts") && !spec["hosts"].empty()) out << "Hosts:               " << spec["hosts"].dump() << '\n';
  out << "Replicas:            " << scalar(spec["replicas"]) << " desired\n";
  out << "Generation:          " << s.value("generation", int64_t{0}) << '\n';
  out << "Current revision:    " << s.value("revision", int64_t{0}) << " (version " << s.value("version", "") << ")\n";
  out << "Created:             " << age(s.value("createdAtMs", int64_t{0})) << " ago\n";
  out << "Strategy:            " << scalar(strategy["type"]) << '\n';
  if (strategy.value("type", "") == "RollingUpdate" && strategy.contains("rollingUpdate")) {
    out << "  maxSurge:          " << scalar(strategy["rollingUpdate"]["maxSurge"]) << '\n';
    out << "  maxUnavailable:    " << scalar(strategy["rollingUpdate"]["maxUnavailable"]) << '\n';
  }
  out << "MinReadySeconds:     " << scalar(spec["minReadySeconds"]) << '\n';
  out << "ProgressDeadline:    " << scalar(spec["progressDeadlineSeconds"]) << "s\n";
  out << "AutoRollback:        " << scalar(spec["autoRollback"]) << '\n';
  out << "Template:\n";
  out << "  Version:           " << scalar(tmpl["version"]) << '\n';
  out << "  Command:           " << scalar(tmpl["command"]) << '\n';
  out << "  WorkingDir:        " << scalar(tmpl["workingDir"]) << '\n';
  if (tmpl.contains("env") && !tmpl["env"].empty()) {
    out << "  Environment:\n";
    for (auto it = tmpl["env"].begin(); it != tmpl["env"].end(); ++it) {
      out << "    " << it.key() << '=' << scalar(it.value()) << '\n';
    }
  }
  out << "  Startup:           " << probeLine(tmpl.value("startupProbe", nlohmann::json())) << '\n';
  out << "  Liveness:          " << probeLine(tmpl.value("livenessProbe", nlohmann::json())) << '\n';
  out << "  Readiness:         " << probeLine(tmpl.value("readinessProbe", nlohmann::json())) << '\n';
  out << "  Grace period:      " << scalar(tmpl["terminationGracePeriodSeconds"]) << "s\n";
  if (s.contains("status") && s["status"].is_object() && !s["status"].empty()) {
    auto status = api::parseStatusReply(s["status"]);
    if (status) {
      if (status->strategy.empty()) status->strategy = strategy.value("type", "");  // a daemon before Canary
      out << describeRollout(*status);
    } else {
      out << "Rollout:\n  " << status.error().message << '\n';
    }
  }
  out << "Revisions:\n";
  Table table({"  REVISION", "VERSION", "TEMPLATE-HASH", "CURRENT", "AGE"});
  for (const auto& r : (*revisions)["items"]) {
    table.addRow({"  " + scalar(r["number"]), scalar(r["version"]), scalar(r["templateHash"]),
                  r.value("current", false) ? "*" : "", age(r.value("createdAtMs", int64_t{0}))});
  }
  table.print(out);
  out << "Events:\n";
  return printEvents(ctx, name, 20, format);
}

}  // namespace

void addDescribe(CLI::App& app, Context& ctx, int& exitCode) {
  auto kind = std::make_shared<std::string>();
  auto name = std::make_shared<std::string>();
  auto* cmd = app.add_subcommand("describe", "Show one service in detail: spec, rollout, revisions and recent events");
  cmd->add_option("kind", *kind, "service")->required()->check(CLI::IsMember({"service", "services", "svc"}));
  cmd->add_option("name", *name, "Service name")->required();
  cmd->callback([kind, name, &ctx, &exitCode] {
    auto format = ctx.format();
    exitCode = format ? describeService(ctx, *name, *format) : reportError(format.error());
  });
}

}  // namespace rollway::cli
