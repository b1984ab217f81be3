#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "rollway/common/result.h"
#include "rollway/http/message.h"
#include "rollway/net/client.h"

namespace rollway::api {

// Where a client finds the daemon and how it proves who it is; empty fields take the
// defaults below.
struct ClientOptions {
  std::string server;     // unix:PATH or HOST:PORT; else $ROLLWAY_SERVER, else defaultSocketPath()
  std::string tokenFile;  // bearer token file; else $ROLLWAY_TOKEN_FILE, else the token in $ROLLWAY_TOKEN
};

// A client of the control API (docs/api.md) over net::Client: one blocking connection
// per call. Copyable (`rollway logs -f` gives each follow thread its own).
class Client {
 public:
  // Resolves the endpoint and reads the token file; connects only when called.
  // Errors: kInvalidArgument (a bad server address), kIo (an unreadable token file).
  static Result<Client> create(const ClientOptions& options);

  // The daemon's answer, whatever its status; errors only when there is none
  // (kUnavailable: cannot connect, kTimeout, ...).
  Result<http::Response> call(std::string_view method, std::string_view target, std::string_view body = "",
                              std::string_view contentType = "application/json",
                              std::chrono::milliseconds timeout = std::chrono::seconds(30)) const;

  // The JSON body of a 2xx answer; any other status is the Error the daemon sent
  // (net::errorFromReply), a body that is not JSON a kInternal error.
  Result<nlohmann::json> callJson(std::string_view method, std::string_view target, std::string_view body = "",
                                  std::string_view contentType = "application/json",
                                  std::chrono::milliseconds timeout = std::chrono::seconds(30)) const;

  const net::Endpoint& endpoint() const { return client_.endpoint(); }

 private:
  explicit Client(net::Client client) : client_(std::move(client)) {}
  net::Client client_;
};

}  // namespace rollway::api
