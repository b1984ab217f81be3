#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "rollway/common/random.h"

namespace rollway::supervisor {

// Instance names look like web-3-x7k2q: service, revision number, random suffix.
std::string makeInstanceName(std::string_view service, int64_t revision, Random& random);

}  // namespace rollway::supervisor
