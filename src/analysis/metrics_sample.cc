#include "rollway/analysis/metrics_sample.h"

#include <algorithm>
#include <charconv>

namespace rollway::analysis {

namespace {

using nlohmann::json;

Result<uint64_t> counterField(const json& object, const char* key, const std::string& where) {
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return uint64_t{0};
  if (!it->is_number_unsigned() && !(it->is_number_integer() && it->get<int64_t>() >= 0)) {
    return fail(ErrorCode::kInvalidArgument, "proxy metrics: {}.{} is not a non-negative integer", where, key);
  }
  return it->get<uint64_t>();
}

Result<RevisionCounters> revisionCounters(const json& j, const std::string& where) {
  if (!j.is_object()) return fail(ErrorCode::kInvalidArgument, "proxy metrics: {} is not an object", where);
  RevisionCounters c;
  auto requests = counterField(j, "requests", where);
  if (!requests) return fail(requests.error());
  c.requests = *requests;
  if (auto byClass = j.find("byClass"); byClass != j.end()) {
    if (!byClass->is_object()) {
      return fail(ErrorCode::kInvalidArgument, "proxy metrics: {}.byClass is not an object", where);
    }
    auto errors = counterField(*byClass, "error", where + ".byClass");
    if (!errors) return fail(errors.error());
    auto status5xx = counterField(*byClass, "5xx", where + ".byClass");
    if (!status5xx) return fail(status5xx.error());
    c.errors = *errors;
    c.status5xx = *status5xx;
  }
  if (auto buckets = j.find("latencyBuckets"); buckets != j.end()) {
    if (!buckets->is_array()) {
      return fail(ErrorCode::kInvalidArgument, "proxy metrics: {}.latencyBuckets is not an array", where);
    }
    for (size_t i = 0; i < buckets->size(); ++i) {
      const json& b = (*buckets)[i];
      if (!b.is_number_unsigned() && !(b.is_number_integer() && b.get<int64_t>() >= 0)) {
        return fail(ErrorCode::kInvalidArgument, "proxy metrics: {}.latencyBuckets[{}] is not a count", where, i);
      }
      // A longer histogram (a newer proxy) folds its tail into the last bucket.
      size_t index = std::min(i, c.latency.counts.size() - 1);
      c.latency.counts[index] += b.get<uint64_t>();
    }
  }
  return c;
}

bool wentBackwards(const RevisionCounters& before, const RevisionCounters& after) {
  if (after.requests < before.requests || after.errors < before.errors || after.status5xx < before.status5xx) {
    return true;
  }
  for (size_t i = 0; i < after.latency.counts.size(); ++i) {
    if (after.latency.counts[i] < before.latency.counts[i]) return true;
  }
  return false;
}

}  // namespace

Result<MetricsSample> MetricsSample::fromProxyJson(const json& j) {
  if (!j.is_object()) return fail(ErrorCode::kInvalidArgument, "proxy metrics: the document is not an object");
  auto services = j.find("services");
  if (services == j.end() || !services->is_object()) {
    return fail(ErrorCode::kInvalidArgument, "proxy metrics: no \"services\" object");
  }
  MetricsSample sample;
  for (const auto& [name, service] : services->items()) {
    const std::string where = "services." + name;
    if (!service.is_object()) return fail(ErrorCode::kInvalidArgument, "proxy metrics: {} is not an object", where);
    auto revisions = service.find("revisions");
    if (revisions == service.end()) continue;
    if (!revisions->is_object()) {
      return fail(ErrorCode::kInvalidArgument, "proxy metrics: {}.revisions is not an object", where);
    }
    auto& out = sample.services[name];
    for (const auto& [key, value] : revisions->items()) {
      int64_t revision = 0;
      auto [end, ec] = std::from_chars(key.data(), key.data() + key.size(), revision);
      if (ec != std::errc() || end != key.data() + key.size()) {
        return fail(ErrorCode::kInvalidArgument, "proxy metrics: {}.revisions: '{}' is not a revision number",
                    where, key);
      }
      auto counters = revisionCounters(value, where + ".revisions." + key);
      if (!counters) return fail(counters.error());
      out[revision] = std::move(*counters);
    }
  }
  return sample;
}

const RevisionCounters* MetricsSample::find(const std::string& service, int64_t revision) const {
  auto s = services.find(service);
  if (s == services.end()) return nullptr;
  auto r = s->second.find(revision);
  return r == s->second.end() ? nullptr : &r->second;
}

WindowStats windowStats(const RevisionCounters& before, const RevisionCounters& after) {
  const RevisionCounters zero;
  const RevisionCounters& base = wentBackwards(before, after) ? zero : before;
  WindowStats w;
  w.requests = after.requests - base.requests;
  if (w.requests == 0) return w;
  uint64_t bad = (after.status5xx - base.status5xx) + (after.errors - base.errors);
  w.errorRate = std::min(1.0, static_cast<double>(bad) / static_cast<double>(w.requests));
  w.successRate = 1.0 - w.errorRate;
  proxy::LatencyHistogram latency = after.latency.minus(base.latency);
  w.p50 = latency.quantileMicros(0.50) / 1e6;
  w.p90 = latency.quantileMicros(0.90) / 1e6;
  w.p99 = latency.quantileMicros(0.99) / 1e6;
  return w;
}

WindowStats windowStats(const MetricsSample& before, const MetricsSample& after, const std::string& service,
                        int64_t revision) {
  const RevisionCounters zero;
  const RevisionCounters* a = after.find(service, revision);
  if (a == nullptr) return {};
  const RevisionCounters* b = before.find(service, revision);
  return windowStats(b == nullptr ? zero : *b, *a);
}

}  // namespace rollway::analysis
