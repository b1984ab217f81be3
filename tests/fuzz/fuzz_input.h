#pragma once

// Helpers shared by the fuzz targets: split points and knobs derived from the input
// itself (a hash), so that a committed seed stays a plain, readable document.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace rollway::fuzz {

inline uint64_t hashBytes(const uint8_t* data, size_t size) {
  uint64_t h = 1469598103934665603ull;  // FNV-1a
  for (size_t i = 0; i < size; ++i) h = (h ^ data[i]) * 1099511628211ull;
  return h;
}

// Up to four sorted cut positions in [0, size], derived from `seed`.
inline std::vector<size_t> splitPoints(uint64_t seed, size_t size) {
  std::vector<size_t> cuts;
  size_t n = 1 + seed % 4;
  uint64_t x = seed;
  for (size_t i = 0; i < n; ++i) {
    x = x * 6364136223846793005ull + 1442695040888963407ull;  // LCG step
    cuts.push_back(static_cast<size_t>((x >> 17) % (size + 1)));
  }
  std::sort(cuts.begin(), cuts.end());
  return cuts;
}

// Crashes on purpose when a documented invariant does not hold (a finding, not a test
// failure message: the fuzzer and the replay both report it with a stack).
[[noreturn]] inline void invariantBroken() { __builtin_trap(); }
#define ROLLWAY_FUZZ_CHECK(cond) \
  do {                           \
    if (!(cond)) ::rollway::fuzz::invariantBroken(); \
  } while (0)

}  // namespace rollway::fuzz
