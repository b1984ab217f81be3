#pragma once

// Small request helpers shared by the API's route files.

#include <algorithm>
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

// The waitMs query parameter of a long-poll: absent = 0 (answer at once); a whole number
// of milliseconds, at most kMaxWaitMs (larger values wait kMaxWaitMs). Anything else,
// negative numbers and numbers too long for 64 bits included, is kInvalidArgument.
inline constexpr int64_t kMaxWaitMs = 60'000;
inline Result<int64_t> parseWaitMs(const std::string& text) {
  if (text.empty()) return 0;
  int64_t v = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec == std::errc::result_out_of_range && p == text.data() + text.size() && text.front() != '-') return kMaxWaitMs;
  if (ec != std::errc() || p != text.data() + text.size() || v < 0) {
    return fail(ErrorCode::kInvalidArgument, "waitMs '{}' must be a whole number of milliseconds (0 to {})", text,
                kMaxWaitMs);
  }
  return std::min(v, kMaxWaitMs);
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
