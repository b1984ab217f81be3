#include "rollway/common/random.h"

namespace rollway {

std::string Random::suffix(int length) {
  // Kubernetes leaves out vowels and look-alikes so suffixes never spell words.
  static constexpr char kAlphabet[] = "bcdfghjklmnpqrstvwxz2456789";
  std::string out;
  out.reserve(static_cast<size_t>(length));
  for (int i = 0; i < length; ++i) out += kAlphabet[uniform(sizeof(kAlphabet) - 1)];
  return out;
}

SeededRandom::SeededRandom() : engine_((static_cast<uint64_t>(std::random_device{}()) << 32) ^ std::random_device{}()) {}

}  // namespace rollway
