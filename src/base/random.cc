#include "base/random.h"

#include <random>

namespace stepway {

std::string NewUuid(Random& random) {
  std::uint64_t hi = random.Next(), lo = random.Next();
  hi = (hi & ~0xF000ull) | 0x4000ull;                             // version 4
  lo = (lo & ~(0xC000ull << 48)) | (0x8000ull << 48);              // RFC 4122 variant
  // 8-4-4-4-12 lower-case hex digits, written by hand: snprintf cost 20 times as much.
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(36, '-');
  std::size_t at = 0;
  auto put = [&](std::uint64_t bits, int digits) {
    for (int d = digits - 1; d >= 0; --d) out[at++] = kHex[(bits >> (4 * d)) & 15];
  };
  put(hi >> 32, 8);
  ++at;
  put(hi >> 16, 4);
  ++at;
  put(hi, 4);
  ++at;
  put(lo >> 48, 4);
  ++at;
  put(lo, 12);
  return out;
}

namespace {

// Seeds for SystemRandom: one draw from the operating system per thread, then a splitmix64
// stream, because opening the random device for every execution showed up as 7% of a server's
// CPU. Nothing secret rests on these values: task tokens are unforgeable through their MAC.
std::uint64_t NextSeed() {
  thread_local std::uint64_t state = [] {
    std::random_device rd;
    return (std::uint64_t(rd()) << 32) ^ rd();
  }();
  std::uint64_t z = (state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

}  // namespace

SystemRandom::SystemRandom() {
  state_[0] = NextSeed();
  state_[1] = NextSeed() | 1;
}

// xorshift128+
std::uint64_t SystemRandom::Next() {
  std::uint64_t s1 = state_[0];
  const std::uint64_t s0 = state_[1];
  state_[0] = s0;
  s1 ^= s1 << 23;
  state_[1] = s1 ^ s0 ^ (s1 >> 17) ^ (s0 >> 26);
  return state_[1] + s0;
}

// splitmix64
std::uint64_t SeededRandom::Next() {
  std::uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

}  // namespace stepway
