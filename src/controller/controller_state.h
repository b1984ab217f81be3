#pragma once

// The controller's per-service state (private to the controller's .cc files:
// controller.cc runs the loop, rollout_control.cc the rollout's start, status, analysis
// and rollback, controller_api.cc the API's reads and verbs). Instances are InstanceSet's.

#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "rollway/common/timer.h"
#include "rollway/controller/controller.h"

namespace rollway::controller {

struct Controller::Service {
  std::string name;
  bool exists = false;
  spec::ServiceSpec spec;
  std::string specJson;
  int64_t generation = 0;
  std::string currentHash;
  int64_t currentRevision = 0;
  std::map<std::string, int64_t> revisionByHash;
  std::map<int64_t, std::string> templateByNumber;
  ServiceStatus status;
  std::string statusJson;  // as last stored
  uint64_t seq = 1;
  bool rollingBack = false;  // the next new rollout was started by an automatic rollback
  bool promoteRequested = false;  // `rollway rollout promote`, consumed by the strategy
  std::string budgetNote;         // the disruption budget's last hold (an event when it changes)
  std::set<std::string> evicted;  // instances seen being evicted: an Evicted event once gone
  std::optional<SteadyTime> evictionBlockedAt;  // the last EvictionBlocked event (one per 10 s)
  int64_t analysisPassedMs = 0;  // Unix ms of the last analysis window that passed
  int64_t analysisSeenMs = 0;    // RollingUpdate: the last pass the batch gate has taken in
  int analyzedAvailable = 0;     // RollingUpdate: new instances available at that pass
  struct Waiter {
    uint64_t id = 0;
    uint64_t after = 0;
    std::function<void(Result<nlohmann::json>)> reply;
    std::unique_ptr<Timer> timer;
  };
  std::vector<Waiter> waiters;

  // Which rollout analysis answers belong to: a new template, a restart or a retry is another.
  std::string rolloutKey() const { return currentHash + "@" + std::to_string(status.rolloutStartedMs); }
};

}  // namespace rollway::controller
