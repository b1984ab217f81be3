#include "outcome.h"

#include <iostream>

namespace rollway::cli {

std::string outcomeLine(const nlohmann::json& outcome) {
  std::string line = "service/" + outcome.value("name", "") + " " + outcome.value("action", "");
  if (outcome.value("action", "") == "unchanged") return line;
  int64_t revision = outcome.value("revision", int64_t{0});
  bool isNew = outcome.value("newRevision", false);
  if (revision > 0) {
    line += " (revision " + std::to_string(revision) + (isNew ? ", new)" : ")");
  } else if (isNew) {
    line += " (new revision)";
  }
  return line;
}

Result<nlohmann::json> postToService(const Context& ctx, std::string_view name, std::string_view action,
                                     const nlohmann::json& body) {
  return ctx.call("POST", "/v1/services/" + urlEncode(name) + "/" + std::string(action), body.dump());
}

int finishChange(const Context& ctx, const Result<nlohmann::json>& reply,
                 const std::function<std::string(const nlohmann::json&)>& line) {
  if (!reply) return reportError(reply.error());
  auto format = ctx.format();
  if (!format) return reportError(format.error());
  if (*format != OutputFormat::kTable) {
    printStructured(*reply, *format);
  } else {
    std::cout << line(*reply) << '\n';
  }
  return 0;
}

std::string doneOrUnchanged(const nlohmann::json& outcome, std::string_view done) {
  bool unchanged = outcome.value("action", "") == "unchanged";
  return "service/" + outcome.value("name", "") + " " + std::string(unchanged ? "unchanged" : done);
}

}  // namespace rollway::cli
