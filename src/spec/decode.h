#pragma once

// YAML node tree → ServiceSpec, with defaults for absent fields (private to spec).
// Shape errors (unknown fields, wrong types, malformed values) go to the reader;
// semantic checks are validate()'s job.

#include <yaml-cpp/yaml.h>

#include "rollway/spec/service_spec.h"
#include "spec/node_reader.h"

namespace rollway::spec {

ServiceSpec decodeService(const YAML::Node& document, NodeReader& reader);

}  // namespace rollway::spec
