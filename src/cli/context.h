#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "rollway/api/client.h"
#include "rollway/cli/cli.h"
#include "rollway/common/result.h"

namespace rollway::cli {

enum class OutputFormat { kTable, kJson, kYaml };

// What every client verb shares: where the daemon is, how to authenticate, how to print.
struct Context {
  std::string server;     // --server / ROLLWAY_SERVER; empty = the default socket
  std::string tokenFile;  // --token-file / ROLLWAY_TOKEN_FILE (TCP only)
  std::string output = "table";

  Result<OutputFormat> format() const;
  Result<api::Client> client() const;
  // Calls the daemon and returns the JSON body of a 2xx reply; an Error otherwise.
  // `timeout` bounds the whole call (long-polls and `down --all` need more than 30s).
  Result<nlohmann::json> call(std::string_view method, std::string_view target, std::string_view body = "",
                              std::string_view contentType = "application/json",
                              std::chrono::milliseconds timeout = std::chrono::seconds(30)) const;
};

// Prints JSON or YAML (for -o json|yaml).
void printStructured(const nlohmann::json& value, OutputFormat format);

// URL-encodes a query parameter value.
std::string urlEncode(std::string_view text);

// "12s", "5m", "3h", "2d" since `unixMs`.
std::string age(int64_t unixMs);

}  // namespace rollway::cli
