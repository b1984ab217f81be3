#include "metrics_registry.h"

namespace rollway::proxy {

void RevisionTotals::add(const RevisionCounters& c) {
  for (size_t i = 0; i < byClass.size(); ++i) byClass[i] += c.byClass[i].get();
  upstreamErrors += c.upstreamErrors.get();
  retries += c.retries.get();
  held += c.held.get();
  inFlight += c.inFlight.get();
  for (size_t i = 0; i < latency.counts.size(); ++i) latency.counts[i] += c.latency[i].get();
}

RevisionCounters& MetricsShard::counters(const std::string& service, int64_t revision) {
  Key key{service, revision};
  {
    // The owner is the only writer of the map, so an unlocked find is safe for it.
    auto it = counters_.find(key);
    if (it != counters_.end()) return *it->second;
  }
  std::lock_guard lock(mutex_);
  auto& slot = counters_[key];
  slot = std::make_unique<RevisionCounters>();
  return *slot;
}

void MetricsShard::collect(std::map<Key, RevisionTotals>& out) const {
  std::lock_guard lock(mutex_);
  for (const auto& [key, c] : counters_) out[key].add(*c);
}

}  // namespace rollway::proxy
