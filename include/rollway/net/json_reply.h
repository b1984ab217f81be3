#pragma once

#include <nlohmann/json.hpp>

#include "rollway/common/result.h"
#include "rollway/http/message.h"

namespace rollway::net {

// HTTP status for an error code: InvalidArgument 400, Unauthenticated 401, NotFound 404,
// Conflict 409, TooManyRequests 429, Unavailable 503, Timeout 504, StorageFull 507,
// everything else 500.
int httpStatusFor(ErrorCode code);

// The Retry-After (seconds) of every 429 errorReply: an eviction the disruption budget
// holds back is worth asking again after about as long as an instance takes to be replaced.
inline constexpr int kRetryAfterSeconds = 5;

// application/json response with the given status.
http::Response jsonReply(int status, const nlohmann::json& body);

// {"error": {"code": "InvalidArgument", "message": "...",
//            "fields": [{"file": "...", "path": "...", "reason": "..."}]}}
// (429 also carries `Retry-After: kRetryAfterSeconds`.)
http::Response errorReply(const Error& error);

// The inverse, for clients: an Error from a non-2xx response (falls back to the status
// line and raw body when the body is not the JSON above).
Error errorFromReply(const http::Response& response);

}  // namespace rollway::net
