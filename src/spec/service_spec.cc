#include "rollway/spec/service_spec.h"

namespace rollway::spec {

const char* strategyTypeName(StrategyType type) {
  switch (type) {
    case StrategyType::kRollingUpdate: return "RollingUpdate";
    case StrategyType::kCanary: return "Canary";
    case StrategyType::kBlueGreen: return "BlueGreen";
  }
  return "Unknown";
}

}  // namespace rollway::spec
