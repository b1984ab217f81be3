#pragma once

// Canary and BlueGreen → Argo Rollouts (argoproj.io/v1alpha1): the Rollout's strategy
// and, where analysis maps, an AnalysisTemplate (private to export).

#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "service_context.h"

namespace rollway::exporter {

inline constexpr const char* kArgoApiVersion = "argoproj.io/v1alpha1";

// Service names the Rollout refers to.
std::string canaryServiceName(const std::string& service);   // NAME-canary
std::string stableServiceName(const std::string& service);   // NAME-stable
std::string previewServiceName(const std::string& service);  // NAME-preview

// The AnalysisTemplate of a Canary's spec.analysis (named like the service), or nullopt
// when no metric maps (each metric that does not is noted).
std::optional<nlohmann::json> analysisTemplate(ServiceContext& ctx);

// spec.strategy of the Rollout: {canary: {...}} or {blueGreen: {...}}. `withAnalysis`:
// the AnalysisTemplate exists (analysis steps refer to it; else they become pause {}).
nlohmann::json rolloutStrategy(ServiceContext& ctx, bool withAnalysis);

// "< 300ms" → "result[0] < 0.3"; nullopt for a relative condition (canary./stable.).
std::optional<std::string> argoCondition(std::string_view condition);

}  // namespace rollway::exporter
