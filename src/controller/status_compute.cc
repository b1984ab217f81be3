// computeStatus: counts, phase and message of a service's rollout (docs/api.md,
// "Rollout status"), as Kubernetes' deployment status: Complete when every replica is
// updated and available and no old one is left; Failed when progressDeadlineSeconds
// passed without progress; Paused and Degraded (aborted) as Argo Rollouts.
#include "rollway/controller/status_compute.h"

#include <algorithm>

#include <fmt/format.h>

namespace rollway::controller {

namespace {

void countReplicas(const StatusInput& in, ServiceStatus& st) {
  st.totalReplicas = st.updatedReplicas = st.readyReplicas = st.availableReplicas = 0;
  st.updatedAvailableReplicas = st.terminatingReplicas = 0;
  for (const StatusInstance& i : in.instances) {
    if (i.terminating) {
      ++st.terminatingReplicas;
      continue;
    }
    ++st.totalReplicas;
    bool updated = i.hash == in.currentHash && i.createdMs >= st.restartedAtMs;
    st.updatedReplicas += updated ? 1 : 0;
    st.readyReplicas += i.ready ? 1 : 0;
    st.availableReplicas += i.available ? 1 : 0;
    st.updatedAvailableReplicas += updated && i.available ? 1 : 0;
  }
}

}  // namespace

StatusOutcome computeStatus(const StatusInput& in) {
  StatusOutcome out;
  out.status = in.status;
  ServiceStatus& st = out.status;
  const int64_t now = in.nowMs;
  const std::string& version = in.spec.tmpl.version;
  st.observedGeneration = in.generation;
  st.revision = in.currentRevision;
  st.version = version;
  st.replicas = in.spec.replicas;
  countReplicas(in, st);
  // Blue-green is complete once the new revision has all the traffic, even while the
  // old one waits out scaleDownDelaySeconds.
  bool promoted = in.spec.strategy.type == spec::StrategyType::kBlueGreen && st.canaryWeight == 100 &&
                  st.promotedAtMs > 0;
  st.routingError = in.routingError;
  // Not complete while the proxy routes by an older snapshot than this state.
  bool complete = st.updatedReplicas == st.replicas && st.updatedAvailableReplicas == st.replicas &&
                  (st.totalReplicas == st.replicas || promoted) && !st.aborted &&
                  (in.routingError.empty() || st.phase == RolloutPhase::kComplete);
  if (complete) {
    if (st.phase != RolloutPhase::kComplete) {
      st.phase = RolloutPhase::kComplete;
      st.skipStepsHash.clear();
      st.pauseReason.clear();
      if (st.stableHash != in.currentHash) {
        st.previousHash = st.stableHash;  // blue-green keeps it up for scaleDownDelaySeconds
        if (!promoted) st.promotedAtMs = now;
      }
      st.stableRevision = in.currentRevision;
      st.stableHash = in.currentHash;
      st.lastProgressMs = now;
      out.events.push_back({"RolloutComplete", fmt::format("Revision {} ({}) is rolled out: {} of {} available",
                                                           in.currentRevision, version, st.availableReplicas,
                                                           st.replicas)});
      out.completed = true;
      for (const StatusInstance& i : in.instances) out.protectRevisions.push_back(i.revision);
    }
    st.message = fmt::format("revision {} ({}) rolled out: {}", in.currentRevision, version, progressMessage(st));
  } else if (st.aborted) {
    st.phase = RolloutPhase::kDegraded;
    st.lastProgressMs = now;
    st.message = fmt::format("revision {} ({}) was aborted: {}; traffic is on revision {} (retry: rollway rollout "
                             "retry {}; or apply a new version)",
                             in.currentRevision, version, st.abortReason, st.stableRevision, in.service);
  } else if (!st.pauseReason.empty()) {
    st.phase = RolloutPhase::kPaused;
    st.lastProgressMs = now;
    st.message = st.pauseReason + "; " + progressMessage(st);
  } else if (in.spec.paused) {
    st.phase = RolloutPhase::kPaused;
    st.lastProgressMs = now;  // a paused rollout has no deadline, as in Kubernetes
    st.message = "paused: " + progressMessage(st) + " (resume with: rollway rollout resume " + in.service + ")";
  } else if (st.phase == RolloutPhase::kFailed && st.failedHash == in.currentHash) {
    st.message = fmt::format("revision {} failed to progress within {}s: {}", in.currentRevision,
                             in.spec.progressDeadlineSeconds, progressMessage(st));
  } else {
    st.phase = RolloutPhase::kProgressing;
    st.message = fmt::format("rolling out revision {} ({}): {}", in.currentRevision, version, progressMessage(st));
    if (in.stepsActive) {
      st.message += in.spec.strategy.type == spec::StrategyType::kCanary
                        ? fmt::format("; step {}/{}, {}% of traffic on the canary", std::min(st.stepIndex + 1, st.steps),
                                      st.steps, st.canaryWeight)
                        : fmt::format("; preview {}", st.canaryWeight == 100 ? "promoted" : "not promoted yet");
    }
    // The deadline applies to a rollout towards a revision that has not completed yet;
    // a completed revision losing an instance is not a failed rollout.
    if (st.stableHash != in.currentHash && now - st.lastProgressMs > int64_t{in.spec.progressDeadlineSeconds} * 1000) {
      st.phase = RolloutPhase::kFailed;
      st.failedRevision = in.currentRevision;
      st.failedHash = in.currentHash;
      st.message = fmt::format("revision {} ({}) made no progress for {}s: {}", in.currentRevision, version,
                               in.spec.progressDeadlineSeconds, progressMessage(st));
      out.events.push_back({"ProgressDeadlineExceeded", st.message, EventType::kWarning});
      out.deadlineExceeded = true;
      out.rollback = in.spec.autoRollback;
    }
  }
  return out;
}

}  // namespace rollway::controller
