#include "base/base64.h"

#include <array>
#include <cstdint>

namespace stepway {

namespace {

constexpr char kStandard[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr char kUrl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

const char* Alphabet(Base64Alphabet alphabet) {
  return alphabet == Base64Alphabet::kStandard ? kStandard : kUrl;
}

// Each character's value in `alphabet`, -1 for the others.
std::array<int, 256> DecodeTable(const char* alphabet) {
  std::array<int, 256> table;
  table.fill(-1);
  for (int i = 0; i < 64; ++i) table[static_cast<unsigned char>(alphabet[i])] = i;
  return table;
}

}  // namespace

std::string Base64Encode(std::string_view bytes, Base64Alphabet alphabet) {
  const char* a = Alphabet(alphabet);
  const bool pad = alphabet == Base64Alphabet::kStandard;
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  auto byte = [&bytes](std::size_t i) { return std::uint32_t(static_cast<unsigned char>(bytes[i])); };
  std::size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const std::uint32_t v = byte(i) << 16 | byte(i + 1) << 8 | byte(i + 2);
    out += a[(v >> 18) & 63];
    out += a[(v >> 12) & 63];
    out += a[(v >> 6) & 63];
    out += a[v & 63];
  }
  const std::size_t rest = bytes.size() - i;
  if (rest == 1) {
    const std::uint32_t v = byte(i) << 16;
    out += a[(v >> 18) & 63];
    out += a[(v >> 12) & 63];
    if (pad) out += "==";
  } else if (rest == 2) {
    const std::uint32_t v = byte(i) << 16 | byte(i + 1) << 8;
    out += a[(v >> 18) & 63];
    out += a[(v >> 12) & 63];
    out += a[(v >> 6) & 63];
    if (pad) out += '=';
  }
  return out;
}

std::optional<std::string> Base64Decode(std::string_view text, Base64Alphabet alphabet) {
  static const std::array<int, 256> kStandardTable = DecodeTable(kStandard);
  static const std::array<int, 256> kUrlTable = DecodeTable(kUrl);
  const auto& table = alphabet == Base64Alphabet::kStandard ? kStandardTable : kUrlTable;
  if (alphabet == Base64Alphabet::kStandard) {
    if (const auto pad = text.find('='); pad != std::string_view::npos) text = text.substr(0, pad);
  }
  if (text.size() % 4 == 1) return std::nullopt;
  // Four characters make three bytes; a last group of two or three makes one or two (their
  // leftover bits are dropped).
  const std::size_t whole = text.size() / 4;
  const std::size_t tail = text.size() % 4;
  std::string out(whole * 3 + (tail == 0 ? 0 : tail - 1), '\0');
  const auto* in = reinterpret_cast<const unsigned char*>(text.data());
  char* o = out.data();
  for (std::size_t g = 0; g < whole; ++g, in += 4, o += 3) {
    const int a = table[in[0]], b = table[in[1]], c = table[in[2]], d = table[in[3]];
    if ((a | b | c | d) < 0) return std::nullopt;
    const std::uint32_t v = std::uint32_t(a) << 18 | std::uint32_t(b) << 12 |
                            std::uint32_t(c) << 6 | std::uint32_t(d);
    o[0] = static_cast<char>(v >> 16);
    o[1] = static_cast<char>(v >> 8);
    o[2] = static_cast<char>(v);
  }
  if (tail != 0) {
    std::uint32_t v = 0;
    for (std::size_t i = 0; i < tail; ++i) {
      const int x = table[in[i]];
      if (x < 0) return std::nullopt;
      v = v << 6 | std::uint32_t(x);
    }
    v <<= 6 * (4 - tail);
    o[0] = static_cast<char>(v >> 16);
    if (tail == 3) o[1] = static_cast<char>(v >> 8);
  }
  return out;
}

}  // namespace stepway
