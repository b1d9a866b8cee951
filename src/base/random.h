// Randomness as an interface, so that the pure core takes it as an argument and tests fix it.
#pragma once

#include <cstdint>
#include <string>

namespace stepway {

class Random {
 public:
  virtual ~Random() = default;
  // A uniformly distributed 64-bit value.
  virtual std::uint64_t Next() = 0;
  // Uniform in [0, 1).
  double NextDouble() { return double(Next() >> 11) * 0x1.0p-53; }
};

// A random version-4 UUID in lowercase 8-4-4-4-12 form.
std::string NewUuid(Random& random);

// Seeded from the operating system. Not thread-safe: one per thread or owner.
class SystemRandom final : public Random {
 public:
  SystemRandom();
  std::uint64_t Next() override;

 private:
  std::uint64_t state_[2];
};

// A fixed sequence (xorshift from a seed), for tests and deterministic replay.
class SeededRandom final : public Random {
 public:
  explicit SeededRandom(std::uint64_t seed) : state_(seed ? seed : 0x9E3779B97F4A7C15ull) {}
  std::uint64_t Next() override;

 private:
  std::uint64_t state_;
};

}  // namespace stepway
