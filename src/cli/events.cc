#include <ctime>
#include <iostream>

#include "table.h"
#include "verbs.h"

namespace rollway::cli {

namespace {

std::string clockTime(int64_t unixMs) {
  std::time_t t = static_cast<std::time_t>(unixMs / 1000);
  std::tm tm{};
  localtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
  return buf;
}

}  // namespace

int printEvents(const Context& ctx, const std::string& service, int limit, OutputFormat format) {
  std::string target = "/v1/events?limit=" + std::to_string(limit);
  if (!service.empty()) target += "&service=" + urlEncode(service);
  auto reply = ctx.call("GET", target);
  if (!reply) return reportError(reply.error());
  if (format != OutputFormat::kTable) {
    printStructured(*reply, format);
    return 0;
  }
  Table table({"TIME", "TYPE", "REASON", "OBJECT", "MESSAGE"});
  for (const auto& e : (*reply)["items"]) {
    table.addRow({clockTime(e.value("timeMs", int64_t{0})), e.value("type", ""), e.value("reason", ""),
                  e.value("object", ""), e.value("message", "")});
  }
  if (table.empty()) {
    std::cerr << "No events.\n";
    return 0;
  }
  table.print(std::cout);
  return 0;
}

void addEvents(CLI::App& app, Context& ctx, int& exitCode) {
  auto service = std::make_shared<std::string>();
  auto limit = std::make_shared<int>(100);
  auto* cmd = app.add_subcommand("events", "Show the event log (every decision the daemon made, with its reason)");
  cmd->add_option("service", *service, "Only events of this service");
  cmd->add_option("--limit", *limit, "At most this many events")->capture_default_str()->check(CLI::Range(1, 10000));
  cmd->callback([service, limit, &ctx, &exitCode] {
    auto format = ctx.format();
    exitCode = format ? printEvents(ctx, *service, *limit, *format) : reportError(format.error());
  });
}

}  // namespace rollway::cli
