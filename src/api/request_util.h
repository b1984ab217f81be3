#pragma once

// Small request helpers shared by the API's route files.

#include <charconv>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "rollway/http/message.h"
#include "rollway/net/json_reply.h"
#include "rollway/store/store.h"

namespace rollway::api {

// Splits "/v1/services/web/revisions" into {"v1", "services", "web", "revisions"}.
inline std::vector<std::string> splitPath(std::string_view path) {
  std::vector<std::string> parts;
  size_t i = 0;
  while (i < path.size()) {
    while (i < path.size() && path[i] == '/') ++i;
    size_t j = path.find('/', i);
    if (j == std::string_view::npos) j = path.size();
    if (j > i) parts.emplace_back(path.substr(i, j - i));
    i = j;
  }
  return parts;
}

inline bool isTrue(const std::string& v) { return v == "true" || v == "1" || v == "yes"; }

// The integer in `text`, or `fallback` when it is empty or not a whole integer.
inline int64_t parseInt(const std::string& text, int64_t fallback) {
  int64_t v = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || p != text.data() + text.size()) return fallback;
  return v;
}

inline http::Response methodNotAllowed(std::string_view allow) {
  auto r = net::errorReply(
      Error{ErrorCode::kInvalidArgument, "method not allowed here; allowed: " + std::string(allow), {}});
  r.status = 405;
  r.headers.push_back({"Allow", std::string(allow)});
  return r;
}

inline http::Response notFound(std::string_view what) {
  return net::errorReply(Error{ErrorCode::kNotFound, std::string(what), {}});
}

// What apply (and every spec edit) answers for one service.
inline nlohmann::json outcomeJson(const store::ApplyOutcome& o) {
  return {{"name", o.name},
          {"action", store::applyActionName(o.action)},
          {"generation", o.generation},
          {"revision", o.revision},
          {"newRevision", o.newRevision},
          {"revisionReused", o.revisionReused}};
}

}  // namespace rollway::api
