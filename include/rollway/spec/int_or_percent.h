#pragma once

#include <string>
#include <string_view>

#include "rollway/common/result.h"

namespace rollway::spec {

// Kubernetes' IntOrString for counts: either an absolute number (3) or a percentage
// ("25%") of some total, resolved with explicit rounding.
class IntOrPercent {
 public:
  constexpr IntOrPercent() = default;
  static constexpr IntOrPercent absolute(int value) { return IntOrPercent(value, false); }
  static constexpr IntOrPercent percent(int value) { return IntOrPercent(value, true); }

  // Accepts "3", "25%"; rejects negatives, "x%", "%", fractions, values over 100%.
  static Result<IntOrPercent> parse(std::string_view text);

  bool isPercent() const { return percent_; }
  int value() const { return value_; }

  // Resolves against `total`. Percentages round up (roundUp=true, as maxSurge does)
  // or down (roundUp=false, as maxUnavailable does); absolute values are returned as is.
  int resolve(int total, bool roundUp) const;

  std::string str() const;  // "3" or "25%"
  bool operator==(const IntOrPercent&) const = default;

 private:
  constexpr IntOrPercent(int value, bool percent) : value_(value), percent_(percent) {}
  int value_ = 0;
  bool percent_ = false;
};

}  // namespace rollway::spec
