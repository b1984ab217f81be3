#include "rollway/controller/rolling_bounds.h"

#include <gtest/gtest.h>

namespace rollway::controller {
namespace {

using spec::IntOrPercent;

spec::RollingUpdate ru(IntOrPercent surge, IntOrPercent unavailable) {
  spec::RollingUpdate r;
  r.maxSurge = surge;
  r.maxUnavailable = unavailable;
  return r;
}

struct Case {
  int replicas;
  IntOrPercent surge;
  IntOrPercent unavailable;
  int wantSurge;
  int wantUnavailable;
};

// Cases from Kubernetes' documented behaviour (Deployment "Rolling Update Deployment"
// and deployment/util ResolveFenceposts).
TEST(RollingBounds, KubernetesTable) {
  const Case cases[] = {
      {10, IntOrPercent::percent(25), IntOrPercent::percent(25), 3, 2},  // 2.5 up / down
      {4, IntOrPercent::percent(25), IntOrPercent::percent(25), 1, 1},
      {3, IntOrPercent::percent(25), IntOrPercent::percent(25), 1, 0},
      {1, IntOrPercent::percent(25), IntOrPercent::percent(25), 1, 0},
      {10, IntOrPercent::percent(30), IntOrPercent::percent(30), 3, 3},
      {5, IntOrPercent::absolute(1), IntOrPercent::absolute(0), 1, 0},
      {5, IntOrPercent::absolute(0), IntOrPercent::absolute(1), 0, 1},
      {3, IntOrPercent::absolute(5), IntOrPercent::absolute(0), 5, 0},  // absolute is not capped
      {4, IntOrPercent::percent(100), IntOrPercent::percent(0), 4, 0},
      {4, IntOrPercent::percent(0), IntOrPercent::percent(100), 0, 4},
      // Both resolve to 0: Kubernetes forces maxUnavailable to 1.
      {3, IntOrPercent::percent(0), IntOrPercent::percent(25), 0, 1},
      {0, IntOrPercent::percent(25), IntOrPercent::percent(25), 0, 1},
  };
  for (const auto& c : cases) {
    auto b = resolveRollingBounds(c.replicas, ru(c.surge, c.unavailable));
    EXPECT_EQ(b.maxSurge, c.wantSurge) << c.replicas << " " << c.surge.str();
    EXPECT_EQ(b.maxUnavailable, c.wantUnavailable) << c.replicas << " " << c.unavailable.str();
    EXPECT_EQ(b.maxTotal, c.replicas + c.wantSurge);
    EXPECT_EQ(b.minAvailable, std::max(0, c.replicas - c.wantUnavailable));
  }
}

}  // namespace
}  // namespace rollway::controller
