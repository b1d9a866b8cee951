// UTF-8 helpers: JSONata counts characters as JavaScript does (code points for $length and
// $substring, UTF-16 units for regex match indexes), while Stepway strings are UTF-8.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace stepway::jsonata {

inline void AppendUtf8(std::string& out, std::uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

// Length in bytes of the UTF-8 sequence starting with lead byte c.
inline std::size_t Utf8SeqLen(unsigned char c) {
  if (c < 0x80) return 1;
  if ((c >> 5) == 6) return 2;
  if ((c >> 4) == 14) return 3;
  if ((c >> 3) == 30) return 4;
  return 1;
}

// Decodes the code point at s[i], advancing i.
inline std::uint32_t DecodeUtf8(std::string_view s, std::size_t& i) {
  const unsigned char c = s[i];
  const std::size_t n = Utf8SeqLen(c);
  if (n == 1 || i + n > s.size()) {
    ++i;
    return c;
  }
  std::uint32_t cp = c & (0xFF >> (n + 1));
  for (std::size_t k = 1; k < n; ++k) cp = (cp << 6) | (s[i + k] & 0x3F);
  i += n;
  return cp;
}

inline bool IsAscii(std::string_view s) {
  for (const char c : s) {
    if (static_cast<unsigned char>(c) >= 0x80) return false;
  }
  return true;
}

inline std::size_t CodePointLength(std::string_view s) {
  std::size_t n = 0;
  for (const char c : s) {
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++n;
  }
  return n;
}

// Byte offsets of each code point, plus s.size() at the end.
inline std::vector<std::size_t> CodePointOffsets(std::string_view s) {
  std::vector<std::size_t> out;
  out.reserve(s.size() + 1);
  for (std::size_t i = 0; i < s.size(); ++i) {
    if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80) out.push_back(i);
  }
  out.push_back(s.size());
  return out;
}

// Number of UTF-16 code units in s[0, byte_offset).
inline std::size_t Utf16Offset(std::string_view s, std::size_t byte_offset) {
  std::size_t units = 0;
  for (std::size_t i = 0; i < byte_offset && i < s.size();) {
    const std::size_t n = Utf8SeqLen(static_cast<unsigned char>(s[i]));
    units += n == 4 ? 2 : 1;
    i += n;
  }
  return units;
}

// Byte offset of UTF-16 unit offset `units` (clamped to the string).
inline std::size_t ByteOffsetOfUtf16(std::string_view s, std::size_t units) {
  std::size_t i = 0;
  std::size_t u = 0;
  while (i < s.size() && u < units) {
    const std::size_t n = Utf8SeqLen(static_cast<unsigned char>(s[i]));
    u += n == 4 ? 2 : 1;
    i += n;
  }
  return i < s.size() ? i : s.size();
}

}  // namespace stepway::jsonata
