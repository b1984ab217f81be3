#pragma once

// What rendering one service needs: its spec, the options, where notes go, and the
// labels worked out once (private to export).

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "rollway/export/kubernetes.h"

namespace rollway::exporter {

inline constexpr const char* kNameLabel = "app.kubernetes.io/name";
inline constexpr const char* kVersionLabel = "app.kubernetes.io/version";
inline constexpr const char* kPortName = "http";

class ServiceContext {
 public:
  ServiceContext(const spec::ServiceSpec& spec, const KubernetesOptions& options, std::vector<Note>& notes);

  const spec::ServiceSpec& spec() const { return spec_; }
  const KubernetesOptions& options() const { return options_; }
  const std::string& name() const { return spec_.metadata.name; }

  // One line of what Kubernetes was not given as it is.
  void note(std::string field, std::string text);

  // {app.kubernetes.io/name: NAME}: the selector of every workload, Service and budget.
  nlohmann::json selector() const;
  // The selector + metadata.labels that are valid Kubernetes labels.
  const nlohmann::json& labels() const { return labels_; }
  // metadata {name, namespace?, labels} of an object of this service.
  nlohmann::json metadata(const std::string& objectName) const;

 private:
  const spec::ServiceSpec& spec_;
  const KubernetesOptions& options_;
  std::vector<Note>& notes_;
  nlohmann::json labels_;
};

// Kubernetes label syntax: a key ([prefix/]name) and a value.
bool isLabelKey(const std::string& key);
bool isLabelValue(const std::string& value);

}  // namespace rollway::exporter
