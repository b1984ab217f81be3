#include "context.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>

#include "paths.h"
#include "rollway/net/json_reply.h"
#include "rollway/spec/serialize.h"

namespace rollway::cli {

Result<OutputFormat> Context::format() const {
  if (output == "table" || output == "wide") return OutputFormat::kTable;
  if (output == "json") return OutputFormat::kJson;
  if (output == "yaml") return OutputFormat::kYaml;
  return fail(ErrorCode::kInvalidArgument, "unknown output format '{}': use table, json or yaml", output);
}

Result<net::Client> Context::client() const {
  std::string where = server;
  if (where.empty()) {
    if (const char* env = std::getenv("ROLLWAY_SERVER"); env && *env) where = env;
  }
  if (where.empty()) where = "unix:" + defaultSocketPath();
  auto endpoint = net::Endpoint::parse(where);
  if (!endpoint) {
    return fail(ErrorCode::kInvalidArgument, "--server {}: {}", where, endpoint.error().message);
  }
  std::string token;
  std::string file = tokenFile;
  if (file.empty()) {
    if (const char* env = std::getenv("ROLLWAY_TOKEN_FILE"); env && *env) file = env;
  }
  if (!file.empty()) {
    std::ifstream in(file);
    if (!in) return fail(ErrorCode::kIo, "cannot read token file {}", file);
    std::getline(in, token);
  } else if (const char* env = std::getenv("ROLLWAY_TOKEN"); env && *env) {
    token = env;
  }
  return net::Client(*endpoint, token);
}

Result<nlohmann::json> Context::call(std::string_view method, std::string_view target, std::string_view body,
                                     std::string_view contentType, std::chrono::milliseconds timeout) const {
  auto c = client();
  if (!c) return fail(c.error());
  auto response = c->call(method, target, body, contentType, timeout);
  if (!response) return fail(response.error());
  if (response->status < 200 || response->status >= 300) return fail(net::errorFromReply(*response));
  auto json = nlohmann::json::parse(response->body, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded()) {
    return fail(ErrorCode::kInternal, "the daemon at {} answered {} with a body that is not JSON",
                c->endpoint().str(), response->status);
  }
  return json;
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
