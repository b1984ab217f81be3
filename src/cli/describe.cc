#include <iostream>

#include "rollout_progress.h"
#include "table.h"
#include "verbs.h"

namespace rollway::cli {

namespace {

// j[key], or null when j is no object or has no such key: replies are read through
// this, since a const json's operator[] on a missing key is undefined behaviour (an older
// or broken daemon must not crash describe).
const nlohmann::json& field(const nlohmann::json& j, const char* key) {
  static const nlohmann::json kNull;
  if (!j.is_object()) return kNull;
  auto it = j.find(key);
  return it == j.end() ? kNull : *it;
}

std::string scalar(const nlohmann::json& j) {
  if (j.is_null()) return "<none>";
  if (j.is_string()) return j.get<std::string>();
  return j.dump();
}

std::string probeLine(const nlohmann::json& p) {
  if (p.is_null()) return "<none>";
  std::string action;
  if (!p.is_object()) return scalar(p);
  if (p.contains("httpGet")) {
    const auto& path = field(field(p, "httpGet"), "path");
    action = "http-get " + (path.is_null() ? std::string("/") : scalar(path));
  } else if (p.contains("tcpSocket")) {
    action = "tcp-socket";
  } else if (p.contains("exec")) {
    const auto& command = field(field(p, "exec"), "command");
    action = "exec " + (command.is_null() ? std::string("[]") : command.dump());
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
  const auto& spec = field(field(s, "spec"), "spec");
  const auto& tmpl = field(spec, "template");
  const auto& strategy = field(spec, "strategy");
  const std::string strategyType = field(strategy, "type").is_string() ? field(strategy, "type").get<std::string>() : "";
  auto& out = std::cout;
  out << "Name:                " << scalar(field(s, "name")) << '\n';
  out << "Listen:              " << scalar(field(spec, "listen")) << '\n';
  if (const auto& hosts = field(spec, "hosts"); hosts.is_array() && !hosts.empty()) {
    out << "Hosts:               " << hosts.dump() << '\n';
  }
  out << "Replicas:            " << scalar(field(spec, "replicas")) << " desired\n";
  out << "Generation:          " << scalar(field(s, "generation")) << '\n';
  out << "Current revision:    " << scalar(field(s, "revision")) << " (version " << scalar(field(s, "version")) << ")\n";
  out << "Created:             " << age(field(s, "createdAtMs").is_number_integer() ? field(s, "createdAtMs").get<int64_t>() : 0)
      << " ago\n";
  out << "Strategy:            " << scalar(field(strategy, "type")) << '\n';
  if (strategyType == "RollingUpdate" && strategy.contains("rollingUpdate")) {
    out << "  maxSurge:          " << scalar(field(field(strategy, "rollingUpdate"), "maxSurge")) << '\n';
    out << "  maxUnavailable:    " << scalar(field(field(strategy, "rollingUpdate"), "maxUnavailable")) << '\n';
  }
  out << "MinReadySeconds:     " << scalar(field(spec, "minReadySeconds")) << '\n';
  out << "ProgressDeadline:    " << scalar(field(spec, "progressDeadlineSeconds")) << "s\n";
  out << "AutoRollback:        " << scalar(field(spec, "autoRollback")) << '\n';
  out << "Template:\n";
  out << "  Version:           " << scalar(field(tmpl, "version")) << '\n';
  out << "  Command:           " << scalar(field(tmpl, "command")) << '\n';
  out << "  WorkingDir:        " << scalar(field(tmpl, "workingDir")) << '\n';
  if (const auto& env = field(tmpl, "env"); env.is_object() && !env.empty()) {
    out << "  Environment:\n";
    for (auto it = env.begin(); it != env.end(); ++it) out << "    " << it.key() << '=' << scalar(it.value()) << '\n';
  }
  out << "  Startup:           " << probeLine(field(tmpl, "startupProbe")) << '\n';
  out << "  Liveness:          " << probeLine(field(tmpl, "livenessProbe")) << '\n';
  out << "  Readiness:         " << probeLine(field(tmpl, "readinessProbe")) << '\n';
  out << "  Grace period:      " << scalar(field(tmpl, "terminationGracePeriodSeconds")) << "s\n";
  if (const auto& status = field(s, "status"); status.is_object() && !status.empty()) {
    auto parsed = api::parseStatusReply(status);
    if (parsed) {
      if (parsed->strategy.empty()) parsed->strategy = strategyType;  // a daemon before Canary
      out << describeRollout(*parsed);
    } else {
      out << "Rollout:\n  " << parsed.error().message << '\n';
    }
  }
  out << "Revisions:\n";
  Table table({"  REVISION", "VERSION", "TEMPLATE-HASH", "CURRENT", "AGE"});
  for (const auto& r : field(*revisions, "items")) {
    const auto& created = field(r, "createdAtMs");
    table.addRow({"  " + scalar(field(r, "number")), scalar(field(r, "version")), scalar(field(r, "templateHash")),
                  field(r, "current") == true ? "*" : "", age(created.is_number_integer() ? created.get<int64_t>() : 0)});
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
