#include "context.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <iostream>

#include "rollway/spec/serialize.h"

namespace rollway::cli {

Result<OutputFormat> Context::format() const {
  if (output == "table" || output == "wide") return OutputFormat::kTable;
  if (output == "json") return OutputFormat::kJson;
  if (output == "yaml") return OutputFormat::kYaml;
  return fail(ErrorCode::kInvalidArgument, "unknown output format '{}': use table, json or yaml", output);
}

Result<api::Client> Context::client() const { return api::Client::create({server, tokenFile}); }

Result<nlohmann::json> Context::call(std::string_view method, std::string_view target, std::string_view body,
                                     std::string_view contentType, std::chrono::milliseconds timeout) const {
  auto c = client();
  if (!c) return fail(c.error());
  return c->callJson(method, target, body, contentType, timeout);
}

int reportError(const Error& error) {
  std::cerr << "error: " << error.message << '\n';
  for (const auto& field : error.fields) std::cerr << "  " << field.str() << '\n';
  return 1;
}

void printStructured(const nlohmann::json& value, OutputFormat format) {
  if (format == OutputFormat::kYaml) {
    std::cout << spec::toYaml(value) << '\n';
  } else {
    std::cout << value.dump(2) << '\n';
  }
}

std::string urlEncode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' || c == '/') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

std::string age(int64_t unixMs) {
  using namespace std::chrono;
  int64_t nowMs = duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
  int64_t s = std::max<int64_t>(0, (nowMs - unixMs) / 1000);
  if (s < 120) return std::to_string(s) + "s";
  if (s < 2 * 3600) return std::to_string(s / 60) + "m";
  if (s < 2 * 86400) return std::to_string(s / 3600) + "h";
  return std::to_string(s / 86400) + "d";
}

}  // namespace rollway::cli
