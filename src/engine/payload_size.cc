#include "engine/payload_size.h"

#include <array>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace stepway::engine {

namespace {

// The bytes a character's escape adds to its one: 1 for \" \\ and the control characters with
// a short escape (\b \t \n \f \r), 5 for the other control characters (\u00XX), 0 otherwise.
constexpr std::array<std::uint8_t, 256> kEscapeExtra = [] {
  std::array<std::uint8_t, 256> table{};
  for (int c = 0; c < 0x20; ++c) table[std::size_t(c)] = 5;
  for (char c : {'\b', '\t', '\n', '\f', '\r'}) table[std::size_t(c)] = 1;
  table[std::size_t('"')] = 1;
  table[std::size_t('\\')] = 1;
  return table;
}();

constexpr std::uint64_t kOnes = 0x0101010101010101ULL;
constexpr std::uint64_t kHigh = 0x8080808080808080ULL;
constexpr std::uint64_t kLow7 = 0x7F7F7F7F7F7F7F7FULL;

// The high bit of each byte of `w` that is zero, and of no other (exact per byte: the low
// seven bits are added without a carry into the next byte).
constexpr std::uint64_t ZeroBytes(std::uint64_t w) { return ~(((w & kLow7) + kLow7) | w) & kHigh; }

// The high bit of each byte of `w` below 0x20 (a control character), and of no other.
constexpr std::uint64_t ControlBytes(std::uint64_t w) {
  return ~(((w & kLow7) + kOnes * (0x80 - 0x20)) | w) & kHigh;
}

// The JSON text's size of a string: its bytes, the quotes, and what escapes add. Eight bytes
// at a time: '"' and '\\' (one extra byte each) are counted from per-byte masks; only a block
// with a control character (1 or 5 extra bytes) is looked at bytewise.
std::size_t StringBytes(std::string_view s) {
  const char* p = s.data();
  std::size_t n = s.size();
  std::size_t extra = 0;
  for (; n >= 8; p += 8, n -= 8) {
    std::uint64_t w;
    std::memcpy(&w, p, 8);
    if (ControlBytes(w) != 0) {
      for (int i = 0; i < 8; ++i) extra += kEscapeExtra[static_cast<unsigned char>(p[i])];
      continue;
    }
    const std::uint64_t marked = ZeroBytes(w ^ (kOnes * '"')) | ZeroBytes(w ^ (kOnes * '\\'));
    // One bit per marked byte, summed into the top byte by the multiplication.
    extra += std::size_t(((marked >> 7) * kOnes) >> 56);
  }
  for (; n > 0; ++p, --n) extra += kEscapeExtra[static_cast<unsigned char>(*p)];
  return s.size() + 2 + extra;
}

constexpr std::size_t kMaxNumberBytes = 25;

std::size_t Digits(std::uint64_t n) {
  std::size_t d = 1;
  while (n >= 10000) {
    n /= 10000;
    d += 4;
  }
  return d + (n >= 10) + (n >= 100) + (n >= 1000);
}

// Adds the serialised size of v to `total`, with doubles counted at their maximum width when
// `exact` is false. Stops early once `total` passes `limit`. Scalars inside containers are
// measured in the container's loop; only nested containers recurse.
class Measurer {
 public:
  Measurer(std::size_t limit, bool exact) : limit_(limit), exact_(exact) {}

  void Measure(const json::Value& v, std::size_t& total) const {
    if (total > limit_) return;
    switch (v.kind()) {
      case json::Kind::array: {
        const json::Array& array = v.get_array();
        total += 2 + (array.empty() ? 0 : array.size() - 1);
        for (const json::Value& e : array) {
          if (total > limit_) return;
          Element(e, total);
        }
        return;
      }
      case json::Kind::object: {
        const json::Object& object = v.get_object();
        total += 2 + (object.empty() ? 0 : object.size() - 1);
        for (const auto& kv : object) {
          if (total > limit_) return;
          total += StringBytes(kv.key()) + 1;
          Element(kv.value(), total);
        }
        return;
      }
      default: Element(v, total);
    }
  }

 private:
  void Element(const json::Value& v, std::size_t& total) const {
    switch (v.kind()) {
      case json::Kind::null: total += 4; return;
      case json::Kind::bool_: total += v.get_bool() ? 4 : 5; return;
      case json::Kind::int64: {
        const std::int64_t n = v.get_int64();
        total += n < 0 ? 1 + Digits(0 - std::uint64_t(n)) : Digits(std::uint64_t(n));
        return;
      }
      case json::Kind::uint64: total += Digits(v.get_uint64()); return;
      case json::Kind::double_:
        total += exact_ ? json::FormatDouble(v.get_double()).size() : kMaxNumberBytes;
        return;
      case json::Kind::string: total += StringBytes(v.get_string()); return;
      case json::Kind::array:
      case json::Kind::object: Measure(v, total); return;
    }
  }

  std::size_t limit_;
  bool exact_;
};

void Measure(const json::Value& v, std::size_t limit, bool exact, std::size_t& total) {
  Measurer(limit, exact).Measure(v, total);
}

}  // namespace

std::size_t SizeBound(const json::Value& value, std::size_t limit) {
  std::size_t bound = 0;
  Measure(value, limit, /*exact=*/false, bound);
  return bound;
}

bool ExceedsPayloadLimit(const json::Value& value, std::size_t limit) {
  std::size_t bound = 0;
  Measure(value, limit, /*exact=*/false, bound);
  if (bound <= limit) return false;
  // The cheap bound is over the limit: print, which is exact.
  return json::Serialize(value).size() > limit;
}

}  // namespace stepway::engine
