#include "rollway/analysis/measurement.h"

namespace rollway::analysis {

namespace {

using nlohmann::json;

json optionalNumber(const std::optional<double>& v) { return v ? json(*v) : json(nullptr); }

Result<std::optional<double>> optionalNumberFrom(const json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return std::optional<double>();
  if (!it->is_number()) return fail(ErrorCode::kInvalidArgument, "measurement: {} is not a number", key);
  return std::optional<double>(it->get<double>());
}

Result<std::string> stringFrom(const json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return std::string();
  if (!it->is_string()) return fail(ErrorCode::kInvalidArgument, "measurement: {} is not a string", key);
  return it->get<std::string>();
}

Result<Verdict> verdictFrom(const json& j) {
  auto name = stringFrom(j, "verdict");
  if (!name) return fail(name.error());
  return verdictFromName(*name);
}

}  // namespace

Result<Verdict> verdictFromName(std::string_view name) {
  for (Verdict v : {Verdict::kSuccessful, Verdict::kFailed, Verdict::kInconclusive}) {
    if (name == verdictName(v)) return v;
  }
  return fail(ErrorCode::kInvalidArgument, "unknown verdict '{}': expected Successful, Failed or Inconclusive", name);
}

json toJson(const Measurement& measurement) {
  json metrics = json::array();
  for (const auto& m : measurement.metrics) {
    metrics.push_back({{"name", m.name},
                       {"verdict", verdictName(m.verdict)},
                       {"value", optionalNumber(m.value)},
                       {"stableValue", optionalNumber(m.stableValue)},
                       {"message", m.message}});
  }
  return {{"verdict", verdictName(measurement.verdict)},
          {"canaryRequests", measurement.canaryRequests},
          {"summary", measurement.summary},
          {"metrics", metrics}};
}

Result<Measurement> measurementFromJson(const json& j) {
  if (!j.is_object()) return fail(ErrorCode::kInvalidArgument, "measurement: not an object");
  Measurement m;
  auto verdict = verdictFrom(j);
  if (!verdict) return fail(verdict.error());
  m.verdict = *verdict;
  if (auto it = j.find("canaryRequests"); it != j.end() && !it->is_null()) {
    if (!it->is_number_unsigned()) return fail(ErrorCode::kInvalidArgument, "measurement: canaryRequests is not a count");
    m.canaryRequests = it->get<uint64_t>();
  }
  auto summary = stringFrom(j, "summary");
  if (!summary) return fail(summary.error());
  m.summary = *summary;
  auto metrics = j.find("metrics");
  if (metrics == j.end() || metrics->is_null()) return m;
  if (!metrics->is_array()) return fail(ErrorCode::kInvalidArgument, "measurement: metrics is not an array");
  for (const auto& item : *metrics) {
    if (!item.is_object()) return fail(ErrorCode::kInvalidArgument, "measurement: a metric is not an object");
    MetricResult r;
    auto name = stringFrom(item, "name");
    auto itemVerdict = verdictFrom(item);
    auto value = optionalNumberFrom(item, "value");
    auto stableValue = optionalNumberFrom(item, "stableValue");
    auto message = stringFrom(item, "message");
    for (const Error* e : {name ? nullptr : &name.error(), itemVerdict ? nullptr : &itemVerdict.error(),
                           value ? nullptr : &value.error(), stableValue ? nullptr : &stableValue.error(),
                           message ? nullptr : &message.error()}) {
      if (e != nullptr) return fail(*e);
    }
    r.name = *name;
    r.verdict = *itemVerdict;
    r.value = *value;
    r.stableValue = *stableValue;
    r.message = *message;
    m.metrics.push_back(std::move(r));
  }
  return m;
}

}  // namespace rollway::analysis
