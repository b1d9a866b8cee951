#include "engine/payload_size.h"

#include <array>

namespace stepway::engine {

namespace {

constexpr bool NeedsEscape(unsigned char c) { return (c < 0x20) | (c == '"') | (c == '\\'); }

// NeedsEscape for every byte, looked up in the short-string loop (one load per byte).
constexpr std::array<bool, 256> kNeedsEscape = [] {
  std::array<bool, 256> table{};
  for (int c = 0; c < 256; ++c) {
    table[std::size_t(c)] = NeedsEscape(static_cast<unsigned char>(c));
  }
  return table;
}();

std::size_t StringBytes(std::string_view s) {
  // Short strings (most keys and values): one table lookup per byte, and most need no escapes.
  if (s.size() < 32) {
    bool any = false;
    for (unsigned char c : s) any |= kNeedsEscape[c];
    if (!any) return s.size() + 2;
  }
  // The escapes' extra bytes, counted without a branch so that the compiler vectorises the
  // loop: 1 for \" \\ and the control characters with a short escape (\b \t \n \f \r),
  // 5 for the other control characters (\u00XX).
  std::size_t extra = 0;
  for (unsigned char c : s) {
    const unsigned control = c < 0x20;
    const unsigned short_control =
        (c == '\b') | (c == '\t') | (c == '\n') | (c == '\f') | (c == '\r');
    extra += (c == '"') + (c == '\\') + 5 * control - 4 * short_control;
  }
  return s.size() + 2 + extra;
}

constexpr std::size_t kMaxNumberBytes = 25;

std::size_t Digits(std::uint64_t n) {
  std::size_t d = 1;
  while (n >= 10) {
    n /= 10;
    ++d;
  }
  return d;
}

// Adds the serialised size of v to `total`, with doubles counted at their maximum width when
// `exact` is false. Stops early once `total` passes `limit`.
void Measure(const json::Value& v, std::size_t limit, bool exact, std::size_t& total) {
  if (total > limit) return;
  switch (v.kind()) {
    case json::Kind::null: total += 4; return;
    case json::Kind::bool_: total += v.get_bool() ? 4 : 5; return;
    case json::Kind::int64: {
      std::int64_t n = v.get_int64();
      total += n < 0 ? 1 : 0;
      total += Digits(n < 0 ? 0 - std::uint64_t(n) : std::uint64_t(n));
      return;
    }
    case json::Kind::uint64: total += Digits(v.get_uint64()); return;
    case json::Kind::double_:
      total += exact ? json::FormatDouble(v.get_double()).size() : kMaxNumberBytes;
      return;
    case json::Kind::string: total += StringBytes(v.get_string()); return;
    case json::Kind::array:
      total += 2 + (v.get_array().empty() ? 0 : v.get_array().size() - 1);
      for (const json::Value& e : v.get_array()) Measure(e, limit, exact, total);
      return;
    case json::Kind::object:
      total += 2 + (v.get_object().empty() ? 0 : v.get_object().size() - 1);
      for (const auto& kv : v.get_object()) {
        total += StringBytes(kv.key()) + 1;
        Measure(kv.value(), limit, exact, total);
      }
      return;
  }
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
