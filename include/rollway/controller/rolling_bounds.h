#pragma once

#include "rollway/spec/service_spec.h"

namespace rollway::controller {

// The two fenceposts of a rolling update, resolved against the desired replicas:
// at all times  total <= replicas + maxSurge  and  available >= replicas - maxUnavailable.
struct RollingBounds {
  int maxSurge = 0;
  int maxUnavailable = 0;
  int maxTotal = 0;      // replicas + maxSurge
  int minAvailable = 0;  // max(0, replicas - maxUnavailable)
};

// maxSurge rounds up, maxUnavailable rounds down (Kubernetes' ResolveFenceposts).
// Validation refuses specs where both resolve to 0; should a later scale make both 0
// anyway, maxUnavailable becomes 1 so that the rollout can still progress, exactly as
// Kubernetes does.
RollingBounds resolveRollingBounds(int replicas, const spec::RollingUpdate& rollingUpdate);

}  // namespace rollway::controller
