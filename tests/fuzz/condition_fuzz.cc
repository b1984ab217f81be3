// The analysis condition grammar: spec::checkConditionSyntax (what validation accepts)
// and analysis::Condition::parse/evaluate (what the analyzer runs) on arbitrary text.
// Neither may crash; they must agree on what is a condition (a spec that validates must
// never carry a condition the analyzer cannot parse); evaluation with any values is a
// result or an error.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "fuzz_input.h"
#include "rollway/analysis/condition.h"
#include "spec/condition_syntax.h"

namespace {

double valueFrom(uint64_t& x) {
  x = x * 6364136223846793005ull + 1442695040888963407ull;
  switch ((x >> 60) % 8) {
    case 0: return 0.0;
    case 1: return -0.0;
    case 2: return std::numeric_limits<double>::infinity();
    case 3: return std::numeric_limits<double>::quiet_NaN();
    case 4: return std::numeric_limits<double>::max();
    case 5: return std::numeric_limits<double>::denorm_min();
    default: {
      double d = 0;
      uint64_t bits = x >> 3;
      std::memcpy(&d, &bits, sizeof d);
      return d;
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  std::string syntax = rollway::spec::checkConditionSyntax(text);
  auto condition = rollway::analysis::Condition::parse(text);
  ROLLWAY_FUZZ_CHECK(syntax.empty() == condition.has_value());
  if (!condition) return 0;
  uint64_t x = rollway::fuzz::hashBytes(data, size);
  for (int round = 0; round < 3; ++round) {
    std::map<std::string, double> vars;
    for (const auto& name : rollway::analysis::conditionVariableNames()) {
      if (round == 2 && (x & 1)) continue;  // sometimes a variable has no value
      vars["canary." + name] = round == 0 ? 1.0 : valueFrom(x);
      vars["stable." + name] = round == 0 ? 1.0 : valueFrom(x);
    }
    std::optional<double> value;
    if (round != 1) value = round == 0 ? 0.5 : valueFrom(x);
    (void)condition->evaluate(vars, value);
  }
  return 0;
}
