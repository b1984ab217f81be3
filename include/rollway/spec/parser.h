#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "rollway/common/result.h"
#include "rollway/spec/service_spec.h"

namespace rollway::spec {

// Parses one or more YAML (or JSON) documents separated by `---` into Service specs,
// fills in every default and validates the lot. `file` is only used in messages.
// Either every document is valid and all are returned, or the Error (code
// kInvalidArgument) lists every problem found, each with file, field path and reason.
// Never throws; never crashes on any input.
Result<std::vector<ServiceSpec>> parseServices(std::string_view text, std::string_view file);

// Reads `path` and parses it as above. An unreadable file is a kIo error.
Result<std::vector<ServiceSpec>> parseServicesFile(const std::string& path);

// Validates an already-typed spec (the checks parseServices runs after defaulting).
// `file` is only used in messages.
std::vector<FieldError> validate(const ServiceSpec& spec, std::string_view file);

}  // namespace rollway::spec
