#include "rollway/analysis/notify.h"

#include "http_call.h"

namespace rollway::analysis {

Result<void> postNotification(const std::string& url, const nlohmann::json& body, std::chrono::milliseconds timeout,
                              const HttpOptions& http) {
  auto parsed = CurlUrl::parse(url);
  if (!parsed) return fail(parsed.error());
  auto reply = callUrl(*parsed, "webhook", "POST", body.dump(), timeout, http);
  if (!reply) return fail(reply.error());
  if (reply->status < 200 || reply->status >= 300) {
    return fail(ErrorCode::kUnavailable, "webhook {} answered {}", url, reply->status);
  }
  return {};
}

}  // namespace rollway::analysis
