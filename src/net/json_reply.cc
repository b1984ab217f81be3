#include "rollway/net/json_reply.h"

#include <string>

#include "rollway/http/status.h"

namespace rollway::net {
namespace {

using nlohmann::json;

std::string dump(const json& value) {
  // replace: invalid UTF-8 in a message must not turn into an exception.
  return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

ErrorCode codeForStatus(int status) {
  switch (status) {
    case 400: case 413: case 422: case 431: return ErrorCode::kInvalidArgument;
    case 401: case 403: return ErrorCode::kUnauthenticated;
    case 404: return ErrorCode::kNotFound;
    case 409: return ErrorCode::kConflict;
    case 429: return ErrorCode::kTooManyRequests;
    case 502: case 503: return ErrorCode::kUnavailable;
    case 408: case 504: return ErrorCode::kTimeout;
    case 507: return ErrorCode::kStorageFull;
  }
  return ErrorCode::kInternal;
}

bool codeFromName(std::string_view name, ErrorCode& code) {
  for (ErrorCode candidate :
       {ErrorCode::kInvalidArgument, ErrorCode::kNotFound, ErrorCode::kConflict, ErrorCode::kTooManyRequests,
        ErrorCode::kUnauthenticated, ErrorCode::kUnavailable, ErrorCode::kTimeout, ErrorCode::kIo,
        ErrorCode::kStorageFull, ErrorCode::kInternal}) {
    if (name == errorCodeName(candidate)) {
      code = candidate;
      return true;
    }
  }
  return false;
}

std::string stringField(const json& object, const char* key) {
  auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

}  // namespace

int httpStatusFor(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalidArgument: return 400;
    case ErrorCode::kUnauthenticated: return 401;
    case ErrorCode::kNotFound: return 404;
    case ErrorCode::kConflict: return 409;
    case ErrorCode::kTooManyRequests: return 429;
    case ErrorCode::kUnavailable: return 503;
    case ErrorCode::kTimeout: return 504;
    case ErrorCode::kStorageFull: return 507;
    case ErrorCode::kIo:
    case ErrorCode::kInternal: return 500;
  }
  return 500;
}

http::Response jsonReply(int status, const nlohmann::json& body) {
  http::Response response;
  response.status = status;
  response.headers.push_back({"Content-Type", "application/json"});
  response.body = dump(body);
  response.body += '\n';
  return response;
}

http::Response errorReply(const Error& error) {
  json inner = {{"code", errorCodeName(error.code)}, {"message", error.message}};
  if (!error.fields.empty()) {
    json fields = json::array();
    for (const auto& field : error.fields) {
      fields.push_back({{"file", field.file}, {"path", field.path}, {"reason", field.reason}});
    }
    inner["fields"] = std::move(fields);
  }
  http::Response response = jsonReply(httpStatusFor(error.code), json{{"error", std::move(inner)}});
  if (error.code == ErrorCode::kTooManyRequests) {
    response.headers.push_back({"Retry-After", std::to_string(kRetryAfterSeconds)});
  }
  return response;
}

Error errorFromReply(const http::Response& response) {
  json body = json::parse(response.body, nullptr, /*allow_exceptions=*/false);
  if (body.is_object()) {
    auto it = body.find("error");
    if (it != body.end() && it->is_object()) {
      const json& inner = *it;
      Error error;
      if (!codeFromName(stringField(inner, "code"), error.code)) error.code = codeForStatus(response.status);
      error.message = stringField(inner, "message");
      if (error.message.empty()) error.message = fmt::format("HTTP {} {}", response.status, http::statusReason(response.status));
      auto fields = inner.find("fields");
      if (fields != inner.end() && fields->is_array()) {
        for (const auto& field : *fields) {
          if (!field.is_object()) continue;
          error.fields.push_back(
              {stringField(field, "file"), stringField(field, "path"), stringField(field, "reason")});
        }
      }
      return error;
    }
  }
  std::string text = response.body;
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) text.pop_back();
  constexpr size_t kMaxBody = 512;
  if (text.size() > kMaxBody) text = text.substr(0, kMaxBody) + "...";
  Error error;
  error.code = codeForStatus(response.status);
  error.message = fmt::format("HTTP {} {}", response.status, http::statusReason(response.status));
  if (!text.empty()) error.message += ": " + text;
  return error;
}

}  // namespace rollway::net
