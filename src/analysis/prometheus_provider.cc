// The Prometheus metric provider: one instant query per window.
#include <cmath>
#include <cstdlib>
#include <string>

#include <fmt/format.h>

#include "http_call.h"
#include "rollway/analysis/provider.h"

namespace rollway::analysis {

namespace {

using nlohmann::json;

std::string substitute(std::string text, std::string_view name, const std::string& value) {
  const std::string placeholder = fmt::format("{{{{{}}}}}", name);
  for (size_t at = text.find(placeholder); at != std::string::npos; at = text.find(placeholder, at + value.size())) {
    text.replace(at, placeholder.size(), value);
  }
  return text;
}

// A sample is [unix-time, "value"]; Prometheus writes the value as a string.
Result<std::optional<double>> sampleValue(const json& sample, const std::string& query) {
  if (!sample.is_array() || sample.size() != 2 || !sample[1].is_string()) {
    return fail(ErrorCode::kInternal, "Prometheus answered '{}' with a malformed sample: {}", query,
                sample.dump().substr(0, 200));
  }
  const std::string text = sample[1].get<std::string>();
  char* end = nullptr;
  double value = std::strtod(text.c_str(), &end);
  if (end == text.c_str() || *end != '\0') {
    return fail(ErrorCode::kInternal, "Prometheus answered '{}' with a sample that is not a number: '{}'", query,
                text);
  }
  if (std::isnan(value)) return std::optional<double>();  // 0/0: no traffic in the range
  if (std::isinf(value)) {
    return fail(ErrorCode::kInvalidArgument, "Prometheus answered '{}' with {} (a division by zero?)", query, text);
  }
  return std::optional<double>(value);
}

Result<std::optional<double>> resultValue(const json& body, const std::string& query) {
  if (body.value("status", "") != "success") {
    return fail(ErrorCode::kInvalidArgument, "Prometheus rejected '{}': {}: {}", query, body.value("errorType", "error"),
                body.value("error", body.dump().substr(0, 200)));
  }
  auto data = body.find("data");
  if (data == body.end() || !data->is_object()) {
    return fail(ErrorCode::kInternal, "Prometheus answered '{}' without a data object", query);
  }
  const std::string type = data->value("resultType", "");
  auto result = data->find("result");
  if (result == data->end()) return fail(ErrorCode::kInternal, "Prometheus answered '{}' without a result", query);
  if (type == "scalar") return sampleValue(*result, query);
  if (type == "vector") {
    if (!result->is_array()) return fail(ErrorCode::kInternal, "Prometheus answered '{}' with a malformed vector", query);
    if (result->empty()) return std::optional<double>();
    const json& first = (*result)[0];
    if (!first.is_object() || !first.contains("value")) {
      return fail(ErrorCode::kInternal, "Prometheus answered '{}' with a malformed vector element", query);
    }
    return sampleValue(first["value"], query);
  }
  return fail(ErrorCode::kInvalidArgument,
              "Prometheus answered '{}' with a {} result; the query must give an instant vector or a scalar", query,
              type.empty() ? "missing" : type);
}

class PrometheusProvider final : public Provider {
 public:
  PrometheusProvider(std::chrono::milliseconds timeout, HttpOptions http) : timeout_(timeout), http_(std::move(http)) {}

  Result<std::optional<double>> fetch(const spec::Metric& metric, const WindowInput& in) override {
    auto address = CurlUrl::parse(metric.prometheusAddress);
    if (!address) return fail(address.error());
    if (!address->query().empty()) {
      return fail(ErrorCode::kInvalidArgument, "Prometheus address '{}' must not have a query", address->text());
    }
    std::string query = substitute(metric.query, "service", in.service);
    query = substitute(std::move(query), "canaryRevision", std::to_string(in.canaryRevision));
    query = substitute(std::move(query), "stableRevision", std::to_string(in.stableRevision));
    std::string base = address->path();
    while (!base.empty() && base.back() == '/') base.pop_back();
    auto endpoint = address->withTarget(base + "/api/v1/query", "query=" + urlEncode(query));
    if (!endpoint) return fail(endpoint.error());
    return fetchJson(*endpoint, "Prometheus", "GET", "", timeout_, http_, [&](int status, const json& reply) {
      // Prometheus answers a bad query with 400 and a JSON error: resultValue reports its reason.
      if (status != 200 && reply.value("status", "") == "success") {
        return Result<std::optional<double>>(
            fail(ErrorCode::kInternal, "Prometheus {} answered HTTP {}", address->text(), status));
      }
      return resultValue(reply, query);
    });
  }

 private:
  std::chrono::milliseconds timeout_;
  HttpOptions http_;
};

}  // namespace

std::unique_ptr<Provider> makePrometheusProvider(std::chrono::milliseconds timeout, HttpOptions http) {
  return std::make_unique<PrometheusProvider>(timeout, std::move(http));
}

}  // namespace rollway::analysis
