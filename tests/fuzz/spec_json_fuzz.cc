// The spec decoder on JSON documents (what `rollway apply -f x.json` and the API's
// PUT /v1/services/{name} send): the raw text, and when it is JSON, its canonical dump
// too (the form the store and the API write). Errors only, never a crash.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include <nlohmann/json.hpp>

#include "spec_round_trip.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  rollway::fuzz::checkSpecText(text);
  auto json = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded()) return 0;
  // Invalid UTF-8 inside a string is kept by the parser; dump() would throw on it, as
  // it would in the API, so use the replacing dump here and leave that to spec_yaml.
  rollway::fuzz::checkSpecText(json.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  return 0;
}
