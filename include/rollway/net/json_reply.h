#pragma once

#include <nlohmann/json.hpp>

#include "rollway/common/result.h"
#include "rollway/http/message.h"

namespace rollway::net {

// HTTP status for an error code: InvalidArgument 400, Unauthenticated 401, NotFound 404,
// Conflict 409, Unavailable 503, Timeout 504, everything else 500.
int httpStatusFor(ErrorCode code);

// application/json response with the given status.
http::Response jsonReply(int status, const nlohmann::json& body);

// {"error": {"code": "InvalidArgument", "message": "...",
//            "fields": [{"file": "...", "path": "...", "reason": "..."}]}}
http::Response errorReply(const Error& error);

// The inverse, for clients: an Error from a non-2xx response (falls back to the status
// line and raw body when the body is not the JSON above).
Error errorFromReply(const http::Response& response);

}  // namespace rollway::net
