#include "rollway/api/client.h"

#include <cstdlib>
#include <fstream>

#include "rollway/api/default_paths.h"
#include "rollway/net/json_reply.h"

namespace rollway::api {

Result<Client> Client::create(const ClientOptions& options) {
  auto environment = [](const char* name) { return std::string(std::getenv(name) ? std::getenv(name) : ""); };
  std::string where = options.server;
  if (where.empty()) where = environment("ROLLWAY_SERVER");
  if (where.empty()) where = "unix:" + defaultSocketPath();
  auto endpoint = net::Endpoint::parse(where);
  if (!endpoint) {
    return fail(ErrorCode::kInvalidArgument, "--server {}: {}", where, endpoint.error().message);
  }
  std::string token;
  std::string file = options.tokenFile;
  if (file.empty()) file = environment("ROLLWAY_TOKEN_FILE");
  if (!file.empty()) {
    std::ifstream in(file);
    if (!in) return fail(ErrorCode::kIo, "cannot read token file {}", file);
    std::getline(in, token);
  } else {
    token = environment("ROLLWAY_TOKEN");
  }
  return Client(net::Client(*endpoint, token));
}

Result<http::Response> Client::call(std::string_view method, std::string_view target, std::string_view body,
                                    std::string_view contentType, std::chrono::milliseconds timeout) const {
  return client_.call(method, target, body, contentType, timeout);
}

Result<nlohmann::json> Client::callJson(std::string_view method, std::string_view target, std::string_view body,
                                        std::string_view contentType, std::chrono::milliseconds timeout) const {
  auto response = client_.call(method, target, body, contentType, timeout);
  if (!response) return fail(response.error());
  if (response->status < 200 || response->status >= 300) return fail(net::errorFromReply(*response));
  auto reply = nlohmann::json::parse(response->body, nullptr, /*allow_exceptions=*/false);
  if (reply.is_discarded()) {
    return fail(ErrorCode::kInternal, "the daemon at {} answered {} with a body that is not JSON",
                client_.endpoint().str(), response->status);
  }
  return reply;
}

}  // namespace rollway::api
