// The webhook metric provider: POST the window, read a value or a verdict.
#include <fmt/format.h>

#include "http_call.h"
#include "rollway/analysis/provider.h"

namespace rollway::analysis {

namespace {

using nlohmann::json;

json statsJson(const WindowStats& s) {
  return {{"requests", s.requests}, {"errorRate", s.errorRate}, {"successRate", s.successRate},
          {"p50", s.p50},           {"p90", s.p90},             {"p99", s.p99}};
}

Result<std::optional<double>> replyValue(const json& reply, const std::string& url) {
  if (auto value = reply.find("value"); value != reply.end()) {
    if (value->is_null()) return std::optional<double>();
    if (value->is_number()) return std::optional<double>(value->get<double>());
    return fail(ErrorCode::kInvalidArgument, "webhook {}: \"value\" is not a number: {}", url, value->dump());
  }
  if (auto verdict = reply.find("verdict"); verdict != reply.end() && verdict->is_string()) {
    const std::string v = verdict->get<std::string>();
    if (v == "pass") return std::optional<double>(1.0);
    if (v == "fail") return std::optional<double>(0.0);
    if (v == "inconclusive") return std::optional<double>();
  }
  return fail(ErrorCode::kInvalidArgument,
              "webhook {}: expected {{\"value\": number}} or {{\"verdict\": \"pass\"|\"fail\"|\"inconclusive\"}}, got {}",
              url, reply.dump().substr(0, 200));
}

class WebhookProvider final : public Provider {
 public:
  WebhookProvider(std::chrono::milliseconds timeout, HttpOptions http) : timeout_(timeout), http_(std::move(http)) {}

  Result<std::optional<double>> fetch(const spec::Metric& metric, const WindowInput& in) override {
    auto url = CurlUrl::parse(metric.url);
    if (!url) return fail(url.error());
    json request = {{"service", in.service},
                    {"canaryRevision", in.canaryRevision},
                    {"stableRevision", in.stableRevision},
                    {"metric", metric.name},
                    {"canary", statsJson(in.canary)},
                    {"stable", in.stable ? statsJson(*in.stable) : json(nullptr)}};
    return fetchJson(*url, "webhook", "POST", request.dump(), timeout_, http_,
                     [&](int status, const json& reply) {
                       if (status < 200 || status > 299) {
                         return Result<std::optional<double>>(fail(ErrorCode::kUnavailable,
                                                                   "webhook {} answered HTTP {}: {}", url->text(),
                                                                   status, reply.dump().substr(0, 200)));
                       }
                       return replyValue(reply, url->text());
                     });
  }

 private:
  std::chrono::milliseconds timeout_;
  HttpOptions http_;
};

}  // namespace

std::unique_ptr<Provider> makeWebhookProvider(std::chrono::milliseconds timeout, HttpOptions http) {
  return std::make_unique<WebhookProvider>(timeout, std::move(http));
}

}  // namespace rollway::analysis
