#pragma once

// Changing a stored service's spec (undo, automatic rollback, `set`, `scale`, pause):
// every change goes through the same parse + validate + store.apply path as a file.

#include <string>

#include <nlohmann/json.hpp>

#include "rollway/common/result.h"
#include "rollway/spec/service_spec.h"
#include "rollway/store/store.h"

namespace rollway::controller {

// What store.apply takes for one spec: canonical JSON, template JSON, template hash.
store::ServiceInput toServiceInput(const spec::ServiceSpec& spec);

// Parses a stored canonical spec document (ServiceRecord::specJson).
Result<spec::ServiceSpec> parseStoredSpec(const std::string& specJson);

// The stored spec with spec.template replaced by a revision's template JSON, parsed and
// validated: the spec an undo or a rollback to that revision applies.
Result<spec::ServiceSpec> specWithTemplate(const std::string& specJson, const std::string& templateJson);

// Parses and validates a spec document given as JSON (after an edit such as set/scale).
Result<spec::ServiceSpec> specFromJson(const nlohmann::json& document);

}  // namespace rollway::controller
