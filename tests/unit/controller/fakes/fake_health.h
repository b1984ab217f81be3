#pragma once

// A HealthSource that probes nothing: it records which instances are probed and lets
// the test report transitions (ready, not ready, restart required).

#include <map>
#include <string>

#include "rollway/probe/health_source.h"

namespace rollway::controller::fakes {

class FakeHealth final : public probe::HealthSource {
 public:
  std::map<std::string, int> probed;  // instance -> port
  std::map<std::string, probe::InstanceProbeStatus> statuses;

  void setEventCallback(EventCallback onEvent) override { onEvent_ = std::move(onEvent); }
  Result<void> add(const std::string& id, const std::string&, int port, const spec::Template&, SteadyTime,
                   std::optional<probe::ExecContext>) override {
    probed[id] = port;
    statuses[id] = {};
    return {};
  }
  void remove(const std::string& id) override {
    probed.erase(id);
    statuses.erase(id);
  }
  void setMinReadySeconds(const std::string&, int) override {}
  std::optional<probe::InstanceProbeStatus> status(const std::string& id) const override {
    auto it = statuses.find(id);
    if (it == statuses.end()) return std::nullopt;
    return it->second;
  }

  // The test's side.
  void emit(const std::string& id, probe::ProbeEventKind kind, const std::string& reason = "fake") {
    auto& st = statuses[id];
    if (kind == probe::ProbeEventKind::kReady) st.ready = true;
    if (kind == probe::ProbeEventKind::kAvailable) st.available = true;
    if (kind == probe::ProbeEventKind::kNotReady) st.ready = st.available = false;
    if (onEvent_) onEvent_(id, probe::ProbeEvent{kind, std::nullopt, reason});
  }
  // Ready and available, as a healthy instance becomes.
  void healthy(const std::string& id) {
    emit(id, probe::ProbeEventKind::kReady);
    emit(id, probe::ProbeEventKind::kAvailable);
  }

 private:
  EventCallback onEvent_;
};

}  // namespace rollway::controller::fakes
