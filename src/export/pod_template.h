#pragma once

// spec.template → a Kubernetes pod template (one container) (private to export).

#include <string>

#include <nlohmann/json.hpp>

#include "service_context.h"

namespace rollway::exporter {

enum class Workload { kDeployment, kArgoRollout };

// {metadata: {labels, annotations}, spec: {containers: [...], terminationGracePeriodSeconds}}.
// Notes what does not carry over (workingDir, probe hosts, preStop sleep, variables
// that only rollway's own environment defines, a relative command path, no image).
nlohmann::json podTemplate(ServiceContext& ctx, Workload workload);

// The image of this service per the options ({name}, {version} replaced), or "" when none.
std::string configuredImage(const spec::ServiceSpec& spec, const KubernetesOptions& options);

}  // namespace rollway::exporter
