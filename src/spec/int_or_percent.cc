#include "rollway/spec/int_or_percent.h"

#include <charconv>

namespace rollway::spec {

namespace {

std::string_view clip(std::string_view text) { return text.substr(0, 40); }

}  // namespace

Result<IntOrPercent> IntOrPercent::parse(std::string_view text) {
  bool percent = !text.empty() && text.back() == '%';
  std::string_view digits = percent ? text.substr(0, text.size() - 1) : text;
  int value = 0;
  auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (!digits.empty() && ec == std::errc::result_out_of_range) {
    return fail(ErrorCode::kInvalidArgument, "'{}' is out of range", clip(text));
  }
  if (digits.empty() || ec != std::errc() || ptr != digits.data() + digits.size()) {
    return fail(ErrorCode::kInvalidArgument,
                "'{}' is not a whole number or a percentage such as 25%", clip(text));
  }
  if (value < 0) {
    return fail(ErrorCode::kInvalidArgument, "'{}' must not be negative", clip(text));
  }
  if (percent && value > 100) {
    return fail(ErrorCode::kInvalidArgument, "'{}' is over 100%", clip(text));
  }
  return percent ? IntOrPercent::percent(value) : IntOrPercent::absolute(value);
}

int IntOrPercent::resolve(int total, bool roundUp) const {
  if (!percent_) return value_;
  long long scaled = static_cast<long long>(value_) * total;
  return static_cast<int>(roundUp ? (scaled + 99) / 100 : scaled / 100);
}

std::string IntOrPercent::str() const {
  return percent_ ? std::to_string(value_) + "%" : std::to_string(value_);
}

}  // namespace rollway::spec
