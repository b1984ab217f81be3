#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "rollway/common/result.h"
#include "rollway/spec/service_spec.h"

namespace rollway::spec {

// The full document with every default filled in, keys in the YAML spelling
// ({"apiVersion": ..., "kind": "Service", "metadata": ..., "spec": {...}}).
// parseServices(toJson(s).dump()) == s for every valid s.
nlohmann::json toJson(const ServiceSpec& spec);
nlohmann::json toJson(const Template& tmpl);

// The same document as YAML text (for `-o yaml`).
std::string toYaml(const nlohmann::json& json);

// Stable hash of the template (like Kubernetes' pod-template-hash): 10 lowercase
// alphanumerics, equal exactly when the canonical templates are equal. Anything
// outside spec.template (replicas, strategy, ...) does not change it.
std::string templateHash(const Template& tmpl);

}  // namespace rollway::spec
