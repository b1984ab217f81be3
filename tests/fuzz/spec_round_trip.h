#pragma once

// What both spec targets check: parseServices never throws or crashes, and every spec
// it accepts survives the documented round trips
//   parseServices(toJson(s).dump()) == s   and   parseServices(toYaml(toJson(s))) == s.

#include <string_view>

#include "fuzz_input.h"
#include "rollway/spec/parser.h"
#include "rollway/spec/serialize.h"

namespace rollway::fuzz {

inline void checkSpecText(std::string_view text) {
  auto parsed = spec::parseServices(text, "fuzz.yaml");
  if (!parsed) {
    ROLLWAY_FUZZ_CHECK(!parsed.error().message.empty());
    return;
  }
  for (const auto& s : *parsed) {
    auto json = spec::toJson(s);
    auto fromJson = spec::parseServices(json.dump(), "round-trip.json");
    ROLLWAY_FUZZ_CHECK(fromJson && fromJson->size() == 1 && fromJson->front() == s);
    auto fromYaml = spec::parseServices(spec::toYaml(json), "round-trip.yaml");
    ROLLWAY_FUZZ_CHECK(fromYaml && fromYaml->size() == 1 && fromYaml->front() == s);
    (void)spec::templateHash(s.tmpl);
  }
}

}  // namespace rollway::fuzz
