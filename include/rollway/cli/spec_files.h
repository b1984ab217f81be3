#pragma once

#include <string>
#include <vector>

#include "rollway/common/result.h"
#include "rollway/spec/service_spec.h"

namespace rollway::cli {

// Reads and validates spec files ("-" = stdin), all documents of all files as one
// batch, and makes every template.workingDir absolute: empty means the directory of
// the file the spec came from, a relative one is resolved against that directory.
// `apply` and `serve -f` both load files this way, so the same file always gives the
// same template (and the same revision).
Result<std::vector<spec::ServiceSpec>> loadSpecFiles(const std::vector<std::string>& files);

// The text of one spec file ("-" = stdin). A file that cannot be read is a kIo error.
Result<std::string> readSpecText(const std::string& file);

}  // namespace rollway::cli
