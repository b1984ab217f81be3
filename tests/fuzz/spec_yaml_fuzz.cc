// The spec decoder on arbitrary text (YAML, one or more documents): errors only, never a
// crash or an exception; accepted specs survive the JSON and YAML round trips.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "spec_round_trip.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  rollway::fuzz::checkSpecText(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
