#pragma once

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "rollway/export/kubernetes.h"
#include "rollway/spec/parser.h"

namespace rollway::exporter::testing {

// Parses spec text that must be valid (a test failure otherwise).
inline std::vector<spec::ServiceSpec> parse(const std::string& text) {
  auto parsed = spec::parseServices(text, "test.yaml");
  EXPECT_TRUE(parsed) << (parsed ? "" : parsed.error().str());
  return parsed ? *parsed : std::vector<spec::ServiceSpec>{};
}

// A service `name` with `strategyAndMore` appended under spec (indented by two).
inline std::string service(const std::string& name, const std::string& specExtra = "",
                           const std::string& templateExtra = "", const std::string& listen = "127.0.0.1:8080") {
  return "apiVersion: rollway.dev/v1\nkind: Service\nmetadata: {name: " + name + "}\nspec:\n  listen: " + listen +
         "\n  template:\n    version: v1\n    command: [/srv/app, --port, \"${PORT}\"]\n" + templateExtra + specExtra;
}

inline KubernetesManifests render(const std::string& text, KubernetesOptions options = {}) {
  if (options.defaultImage.empty() && options.images.empty()) options.defaultImage = "registry.example.com/{name}:{version}";
  auto out = renderKubernetes(parse(text), options);
  EXPECT_TRUE(out) << (out ? "" : out.error().str());
  return out ? *out : KubernetesManifests{};
}

// The one document of `kind` named `name`; null json when there is none.
inline nlohmann::json find(const KubernetesManifests& m, const std::string& kind, const std::string& name) {
  for (const auto& d : m.documents) {
    if (d.object["kind"] == kind && d.object["metadata"]["name"] == name) return d.object;
  }
  return nullptr;
}

inline std::vector<std::string> kindsAndNames(const KubernetesManifests& m) {
  std::vector<std::string> out;
  for (const auto& d : m.documents) {
    out.push_back(d.object["kind"].get<std::string>() + "/" + d.object["metadata"]["name"].get<std::string>());
  }
  return out;
}

inline bool hasNote(const KubernetesManifests& m, const std::string& field, const std::string& fragment = "") {
  for (const auto& n : m.notes) {
    if (n.field == field && n.text.find(fragment) != std::string::npos) return true;
  }
  return false;
}

}  // namespace rollway::exporter::testing
