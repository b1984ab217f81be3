#pragma once

// A service's rollout status as a pure function of what the controller knows, separate
// from the transitions it triggers (which the Controller carries out): a completed
// rollout prunes old revisions; a missed progress deadline marks the revision Failed and,
// with spec.autoRollback, rolls back.

#include <cstdint>
#include <string>
#include <vector>

#include "rollway/controller/rollout_decision.h"
#include "rollway/controller/service_status.h"
#include "rollway/spec/service_spec.h"

namespace rollway::controller {

struct StatusInstance {
  std::string hash;
  int64_t revision = 0;
  bool terminating = false;
  bool ready = false;      // in rotation
  bool available = false;
  int64_t createdMs = 0;
};

struct StatusInput {
  std::string service;
  spec::ServiceSpec spec;
  int64_t generation = 0;
  std::string currentHash;
  int64_t currentRevision = 0;
  bool stepsActive = false;  // Canary / BlueGreen steps apply (see stepsActive)
  ServiceStatus status;      // as the last pass left it
  std::vector<StatusInstance> instances;
  std::string routingError;  // why the proxy does not have the current snapshot; "" = it has
  int64_t nowMs = 0;
};

struct StatusOutcome {
  ServiceStatus status;
  std::vector<DecisionEvent> events;
  // The rollout completed now: prune revisions beyond revisionHistoryLimit, keeping
  // these (the revisions of instances that still run).
  bool completed = false;
  std::vector<int64_t> protectRevisions;
  // The progress deadline passed now: mark the revision Failed; roll back when
  // spec.autoRollback.
  bool deadlineExceeded = false;
  bool rollback = false;
};

StatusOutcome computeStatus(const StatusInput& in);

}  // namespace rollway::controller
