#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "rollway/common/result.h"

namespace rollway::cli {

// `rollway set env` arguments as the body's "env" object: K=V sets K (V may be empty or
// hold '='), K- removes K (null). The last mention of a key wins.
Result<nlohmann::json> envChanges(const std::vector<std::string>& args);

}  // namespace rollway::cli
