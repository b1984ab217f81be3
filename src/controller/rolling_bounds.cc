#include "rollway/controller/rolling_bounds.h"

#include <algorithm>

namespace rollway::controller {

RollingBounds resolveRollingBounds(int replicas, const spec::RollingUpdate& rollingUpdate) {
  RollingBounds b;
  b.maxSurge = rollingUpdate.maxSurge.resolve(replicas, /*roundUp=*/true);
  b.maxUnavailable = rollingUpdate.maxUnavailable.resolve(replicas, /*roundUp=*/false);
  if (b.maxSurge == 0 && b.maxUnavailable == 0) b.maxUnavailable = 1;
  b.maxTotal = replicas + b.maxSurge;
  b.minAvailable = std::max(0, replicas - b.maxUnavailable);
  return b;
}

}  // namespace rollway::controller
