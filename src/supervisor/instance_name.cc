#include "rollway/supervisor/instance_name.h"

#include <fmt/format.h>

namespace rollway::supervisor {

std::string makeInstanceName(std::string_view service, int64_t revision, Random& random) {
  return fmt::format("{}-{}-{}", service, revision, random.suffix(5));
}

}  // namespace rollway::supervisor
