#pragma once

#include <cstdint>
#include <random>
#include <string>

namespace rollway {

// Randomness is injected so that tests are repeatable.
class Random {
 public:
  virtual ~Random() = default;
  virtual uint64_t next() = 0;

  // Uniform in [0, bound); bound must be > 0.
  uint64_t uniform(uint64_t bound) { return next() % bound; }
  // A lowercase alphanumeric suffix such as "x7k2q" (Kubernetes-style names).
  std::string suffix(int length);
};

class SeededRandom final : public Random {
 public:
  explicit SeededRandom(uint64_t seed) : engine_(seed) {}
  // Seeded from std::random_device.
  SeededRandom();
  uint64_t next() override { return engine_(); }

 private:
  std::mt19937_64 engine_;
};

}  // namespace rollway
