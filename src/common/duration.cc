#include "rollway/common/duration.h"

#include <cstdint>
#include <limits>

namespace rollway {

namespace {

struct Unit {
  std::string_view name;
  std::int64_t millis;
  int rank;  // larger units first: h=3, m=2, s=1, ms=0
};

constexpr Unit kUnits[] = {{"h", 3'600'000, 3}, {"m", 60'000, 2}, {"s", 1'000, 1}, {"ms", 1, 0}};

bool isDigit(char c) { return c >= '0' && c <= '9'; }
bool isLetter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

}  // namespace

Result<Duration> parseDuration(std::string_view text) {
  if (text.empty()) return fail(ErrorCode::kInvalidArgument, "a duration must not be empty");
  if (text == "0") return Duration(0);
  if (text.front() == '-') {
    return fail(ErrorCode::kInvalidArgument, "duration '{}' must not be negative", text);
  }
  std::int64_t total = 0;
  int lastRank = 4;
  std::size_t pos = 0;
  while (pos < text.size()) {
    if (!isDigit(text[pos])) {
      return fail(ErrorCode::kInvalidArgument,
                  "'{}' is not a duration such as 30s, 500ms, 2m, 1h or 1m30s", text);
    }
    std::int64_t number = 0;
    while (pos < text.size() && isDigit(text[pos])) {
      if (__builtin_mul_overflow(number, 10, &number) ||
          __builtin_add_overflow(number, text[pos] - '0', &number)) {
        return fail(ErrorCode::kInvalidArgument, "duration '{}' is too long", text);
      }
      ++pos;
    }
    if (pos < text.size() && text[pos] == '.') {
      return fail(ErrorCode::kInvalidArgument,
                  "duration '{}' has a fraction: use a smaller unit instead (1500ms, not 1.5s)",
                  text);
    }
    std::size_t unitStart = pos;
    while (pos < text.size() && isLetter(text[pos])) ++pos;
    std::string_view unitName = text.substr(unitStart, pos - unitStart);
    if (unitName.empty()) {
      return fail(ErrorCode::kInvalidArgument,
                  "duration '{}' needs a unit: h, m, s or ms (e.g. 30s)", text);
    }
    const Unit* unit = nullptr;
    for (const auto& u : kUnits) {
      if (u.name == unitName) unit = &u;
    }
    if (unit == nullptr) {
      return fail(ErrorCode::kInvalidArgument,
                  "duration '{}' has an unknown unit '{}': use h, m, s or ms", text, unitName);
    }
    if (unit->rank >= lastRank) {
      return fail(ErrorCode::kInvalidArgument,
                  "duration '{}': each unit may appear once, largest first (e.g. 1h30m)", text);
    }
    lastRank = unit->rank;
    std::int64_t millis = 0;
    if (__builtin_mul_overflow(number, unit->millis, &millis) ||
        __builtin_add_overflow(total, millis, &total)) {
      return fail(ErrorCode::kInvalidArgument, "duration '{}' is too long", text);
    }
  }
  if (total > kMaxDuration.count()) {
    return fail(ErrorCode::kInvalidArgument, "duration '{}' is too long: at most {}", text,
                formatDuration(kMaxDuration));
  }
  return Duration(total);
}

std::string formatDuration(Duration d) {
  std::int64_t ms = d.count();
  if (ms == 0) return "0s";
  std::string out;
  std::uint64_t rest = 0;
  if (ms < 0) {
    out += '-';
    rest = static_cast<std::uint64_t>(-(ms + 1)) + 1;  // safe for INT64_MIN
  } else {
    rest = static_cast<std::uint64_t>(ms);
  }
  for (const auto& unit : kUnits) {
    auto size = static_cast<std::uint64_t>(unit.millis);
    if (rest >= size) {
      out += std::to_string(rest / size);
      out += unit.name;
      rest %= size;
    }
  }
  return out;
}

}  // namespace rollway
