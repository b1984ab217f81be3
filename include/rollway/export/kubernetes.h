#pragma once

// `rollway export kubernetes`: rollway Service specs rendered as Kubernetes manifests,
// for teams that move on to Kubernetes. Per service, in this order:
//   - Service(s) (v1): `<name>` on the port of spec.listen; Canary adds `<name>-canary` and
//     `<name>-stable`, BlueGreen adds `<name>-preview` (the port of previewListen);
//   - PodDisruptionBudget (policy/v1) when spec.disruptionBudget is set;
//   - AnalysisTemplate (argoproj.io/v1alpha1) when a Canary's analysis has metrics that map;
//   - Deployment (apps/v1) for RollingUpdate, an Argo Rollouts Rollout for Canary / BlueGreen.
// Whatever Kubernetes cannot be given as it is comes back as a Note (one line each) and as
// a YAML comment on the service's workload document: nothing is dropped silently.
// Pure functions: no I/O, no clock.

#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "rollway/common/result.h"
#include "rollway/spec/service_spec.h"

// `export` is a C++ keyword: the module's namespace is `exporter`.
namespace rollway::exporter {

struct KubernetesOptions {
  // The container image of each service: rollway runs a command, Kubernetes a container.
  // `images[name]` first, else `defaultImage`; "{name}" and "{version}" in either are
  // replaced by metadata.name and template.version ("latest" when empty). Without either,
  // the image is the placeholder kImagePlaceholderPrefix + name, and a Note says so.
  std::map<std::string, std::string> images;
  std::string defaultImage;
  std::string namespaceName;  // metadata.namespace of every object when not empty
  int containerPort = 8080;   // the instance's ${PORT} inside its container (1-65535)
};

// Uppercase: no registry accepts it, so a forgotten image fails at once (InvalidImageName).
inline constexpr const char* kImagePlaceholderPrefix = "IMAGE-NOT-SET/";

// Something of a spec that Kubernetes could not be given as it is.
struct Note {
  std::string service;
  std::string field;  // the spec's field path, e.g. spec.strategy.canary.stickiness
  std::string text;   // what happened to it
  std::string str() const;  // "web: spec.hosts: ..."
  bool operator==(const Note&) const = default;
};

struct Document {
  nlohmann::json object;              // apiVersion, kind, metadata, spec
  std::vector<std::string> comments;  // written as "# ..." lines above the document
};

struct KubernetesManifests {
  std::vector<Document> documents;  // services in input order, each as listed above
  std::vector<Note> notes;          // in input order
  // Every document as YAML, each one starting with "---" (keys sorted, as kubectl prints).
  std::string yaml() const;
};

// kInvalidArgument (field errors name the service) when: containerPort is out of range;
// an image is empty or holds whitespace; `images` names a service that is not in `specs`;
// a rendered Service name is no DNS-1035 label (a letter first, at most 63); two rendered
// objects of one kind share a name (e.g. services `web` and `web-canary` beside a Canary
// `web`, which needs a Service `web-canary`).
Result<KubernetesManifests> renderKubernetes(const std::vector<spec::ServiceSpec>& specs,
                                             const KubernetesOptions& options);

}  // namespace rollway::exporter
