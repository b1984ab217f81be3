// BlueGreen: the new revision at full size beside the old one (preview), then one swap
// of all the traffic when promoted (by hand, or autoPromotionSeconds after the preview
// became fully available); the old revision stays up for scaleDownDelaySeconds
// (planRollout keeps it).
#include <fmt/format.h>

#include "rollway/controller/rollout_decision.h"
#include "strategy_util.h"

namespace rollway::controller {

RolloutDecision planBlueGreen(const RolloutInput& in) {
  RolloutDecision d = startDecision(in);
  ServiceStatus& st = d.status;
  const auto& bg = in.spec.strategy.blueGreen;
  const int replicas = in.spec.replicas;
  const int64_t now = in.nowMs;
  st.steps = 0;
  if (keepAborted(in, d)) return d;
  st.canaryReplicas = replicas;
  int available = availableOn(in, in.currentHash);
  if (available >= replicas && st.canaryWeight < 100) {
    if (st.stepIndex == 0) {
      // The preview is fully available: the auto-promotion clock starts now.
      st.stepIndex = 1;
      st.stepStartedMs = now;
    }
    st.lastProgressMs = now;  // fully available, waiting for promotion: not stuck
    bool autoDue = bg.autoPromotionSeconds && now - st.stepStartedMs >= int64_t{*bg.autoPromotionSeconds} * 1000;
    if (st.skipStepsHash == in.currentHash || in.promoteRequested || autoDue) {
      st.canaryWeight = 100;
      st.promotedAtMs = now;
      st.previousHash = st.stableHash;
      st.pauseReason.clear();
      d.promoteConsumed = in.promoteRequested;
      d.events.push_back({"Promoted", fmt::format("revision {} ({}) takes all traffic; the old revision stays up for {}s",
                                                  in.currentRevision, in.spec.tmpl.version, bg.scaleDownDelaySeconds)});
    } else if (!bg.autoPromotionSeconds) {
      st.pauseReason = fmt::format("preview of revision {} is ready: waiting for `rollway rollout promote {}`",
                                   in.currentRevision, in.service);
    } else {
      d.wakeInMs = st.stepStartedMs + int64_t{*bg.autoPromotionSeconds} * 1000 - now;
    }
  }
  planCounts(in, {{st.stableHash, replicas}, {in.currentHash, replicas}}, d);
  return d;
}

}  // namespace rollway::controller
