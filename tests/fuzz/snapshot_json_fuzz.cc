// The routing-snapshot decoder the proxy runs on every snapshot push: arbitrary bytes
// as JSON, then snapshotFromJson. Errors only; a snapshot it accepts encodes back
// (toJson) to one it accepts again and that compares equal.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include <nlohmann/json.hpp>

#include "fuzz_input.h"
#include "rollway/proxy/snapshot_json.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto json = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded()) return 0;
  auto snapshot = rollway::proxy::snapshotFromJson(json);
  if (!snapshot) return 0;
  auto again = rollway::proxy::snapshotFromJson(rollway::proxy::toJson(*snapshot));
  ROLLWAY_FUZZ_CHECK(again && *again == *snapshot);
  return 0;
}
