#include "json/json.h"

#include <array>
#include <charconv>
#include <cmath>
#include <cstring>
#include <optional>

namespace stepway::json {

namespace {

boost::json::parse_options ParseOptions() {
  boost::json::parse_options options;
  options.max_depth = 10000;
  return options;
}

// Texts up to this size go through one parser per thread, reset between uses, so that its
// stacks are allocated once rather than per call (the engine parses many short strings, as in
// States.StringToJson); larger ones get a parser of their own, so a thread keeps no big buffers.
constexpr std::size_t kReusedParserMaxBytes = 4096;

}  // namespace

Result<Value> Parse(std::string_view text) {
  boost::system::error_code ec;
  std::optional<boost::json::stream_parser> own;
  boost::json::stream_parser* reused = nullptr;
  if (text.size() <= kReusedParserMaxBytes) {
    thread_local boost::json::stream_parser thread_parser({}, ParseOptions());
    reused = &thread_parser;
    reused->reset();
  } else {
    own.emplace(boost::json::storage_ptr(), ParseOptions());
  }
  boost::json::stream_parser& parser = reused != nullptr ? *reused : *own;
  std::size_t consumed = parser.write_some(text.data(), text.size(), ec);
  if (!ec) parser.finish(ec);
  if (!ec && consumed < text.size()) {
    // write_some stops after a complete value; only whitespace may follow.
    for (std::size_t i = consumed; i < text.size(); ++i) {
      char c = text[i];
      if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
        return Fail(ErrorCode::kInvalidArgument,
                    "Unexpected character after the JSON value at offset " + std::to_string(i));
      }
    }
  }
  if (ec) {
    return Fail(ErrorCode::kInvalidArgument,
                ec.message() + " at offset " + std::to_string(consumed));
  }
  return parser.release();
}

std::string FormatDouble(double d) {
  if (!std::isfinite(d)) return "null";
  if (d == 0) return std::signbit(d) ? "-0.0" : "0.0";
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof buf, d, std::chars_format::scientific);
  std::string_view sci(buf, res.ptr - buf);  // like "-1.2345e+05"
  std::string out;
  if (sci.front() == '-') {
    out += '-';
    sci.remove_prefix(1);
  }
  const std::size_t e_pos = sci.find('e');
  std::string digits;
  for (char c : sci.substr(0, e_pos)) {
    if (c != '.') digits += c;
  }
  while (digits.size() > 1 && digits.back() == '0') digits.pop_back();
  int exponent = 0;
  std::from_chars(sci.data() + e_pos + (sci[e_pos + 1] == '+' ? 2 : 1), sci.data() + sci.size(),
                  exponent);
  const double magnitude = std::fabs(d);
  if (magnitude >= 1e-3 && magnitude < 1e7) {
    if (exponent >= 0) {
      std::size_t int_len = std::size_t(exponent) + 1;
      if (digits.size() <= int_len) {
        out += digits;
        out.append(int_len - digits.size(), '0');
        out += ".0";
      } else {
        out.append(digits, 0, int_len);
        out += '.';
        out.append(digits, int_len);
      }
    } else {
      out += "0.";
      out.append(std::size_t(-exponent - 1), '0');
      out += digits;
    }
    return out;
  }
  out += digits[0];
  out += '.';
  out += digits.size() > 1 ? digits.substr(1) : "0";
  out += 'E';
  out += std::to_string(exponent);
  return out;
}

namespace {

// How many bytes escaping `c` adds: 0 for most, 1 for the two-character escapes, 5 for \u00XX.
constexpr unsigned char EscapeGrowth(unsigned char c) {
  if (c >= 0x20) return c == '"' || c == '\\' ? 1 : 0;
  return c == '\b' || c == '\f' || c == '\n' || c == '\r' || c == '\t' ? 1 : 5;
}

constexpr auto kEscapeGrowth = [] {
  std::array<unsigned char, 256> table{};
  for (int c = 0; c < 256; ++c) table[c] = EscapeGrowth(static_cast<unsigned char>(c));
  return table;
}();

// Two passes: the escaped length first, then one resize and the bytes written in place. Strings
// here are mostly JSON documents embedded in history events (a quote every few characters), for
// which appending piece by piece cost several times more.
void AppendString(std::string_view s, std::string& out) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::size_t growth = 0;
  for (unsigned char c : s) growth += kEscapeGrowth[c];
  const std::size_t at = out.size();
  out.resize(at + s.size() + growth + 2);
  char* p = out.data() + at;
  *p++ = '"';
  if (growth == 0) {
    std::memcpy(p, s.data(), s.size());
    p += s.size();
  } else {
    for (unsigned char c : s) {
      if (kEscapeGrowth[c] == 0) {
        *p++ = static_cast<char>(c);
        continue;
      }
      *p++ = '\\';
      switch (c) {
        case '"': *p++ = '"'; break;
        case '\\': *p++ = '\\'; break;
        case '\b': *p++ = 'b'; break;
        case '\f': *p++ = 'f'; break;
        case '\n': *p++ = 'n'; break;
        case '\r': *p++ = 'r'; break;
        case '\t': *p++ = 't'; break;
        default:
          *p++ = 'u';
          *p++ = '0';
          *p++ = '0';
          *p++ = kHex[c >> 4];
          *p++ = kHex[c & 15];
      }
    }
  }
  *p = '"';
}

// How many bytes escaping `c` twice adds: once for its own escape, once more for the string the
// whole document is printed into ('"' -> \\\" is 4 bytes, '\n' -> \\n 3, a control
// character -> \\u00XX 7).
constexpr auto kEscapeTwiceGrowth = [] {
  std::array<unsigned char, 256> table{};
  for (int c = 0; c < 256; ++c) {
    const unsigned char once = kEscapeGrowth[c];
    table[c] = once == 0 ? 0 : c == '"' || c == '\\' ? 3 : once == 1 ? 2 : 6;
  }
  return table;
}();

// Appends `s` as Serialize prints a string, escaped once more (its quotes included): the text
// of a string inside a document that is itself printed as a string. Sized first, as
// AppendString is.
void AppendStringInString(std::string_view s, std::string& out) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::size_t growth = 0;
  for (unsigned char c : s) growth += kEscapeTwiceGrowth[c];
  const std::size_t at = out.size();
  out.resize(at + s.size() + growth + 4);
  char* p = out.data() + at;
  *p++ = '\\';
  *p++ = '"';
  if (growth == 0) {
    std::memcpy(p, s.data(), s.size());
    p += s.size();
  } else {
    for (unsigned char c : s) {
      if (kEscapeTwiceGrowth[c] == 0) {
        *p++ = static_cast<char>(c);
        continue;
      }
      *p++ = '\\';  // the escape's backslash, escaped
      *p++ = '\\';
      switch (c) {
        case '"': *p++ = '\\'; *p++ = '"'; break;
        case '\\': *p++ = '\\'; *p++ = '\\'; break;
        case '\b': *p++ = 'b'; break;
        case '\f': *p++ = 'f'; break;
        case '\n': *p++ = 'n'; break;
        case '\r': *p++ = 'r'; break;
        case '\t': *p++ = 't'; break;
        default:
          *p++ = 'u';
          *p++ = '0';
          *p++ = '0';
          *p++ = kHex[c >> 4];
          *p++ = kHex[c & 15];
      }
    }
  }
  *p++ = '\\';
  *p = '"';
}

// SerializeTo's output, each byte escaped as inside a JSON string.
void SerializeInStringTo(const Value& v, std::string& out) {
  switch (v.kind()) {
    case Kind::string: AppendStringInString(v.get_string(), out); return;
    case Kind::array: {
      out += '[';
      bool first = true;
      for (const Value& e : v.get_array()) {
        if (!first) out += ',';
        first = false;
        SerializeInStringTo(e, out);
      }
      out += ']';
      return;
    }
    case Kind::object: {
      out += '{';
      bool first = true;
      for (const auto& kv : v.get_object()) {
        if (!first) out += ',';
        first = false;
        AppendStringInString(kv.key(), out);
        out += ':';
        SerializeInStringTo(kv.value(), out);
      }
      out += '}';
      return;
    }
    default:
      // Numbers, booleans and null print without a quote, backslash or control character.
      SerializeTo(v, out);
      return;
  }
}

}  // namespace

void SerializeTo(const Value& v, std::string& out) {
  switch (v.kind()) {
    case Kind::null: out += "null"; return;
    case Kind::bool_: out += v.get_bool() ? "true" : "false"; return;
    case Kind::int64: {
      char buf[24];
      auto r = std::to_chars(buf, buf + sizeof buf, v.get_int64());
      out.append(buf, r.ptr);
      return;
    }
    case Kind::uint64: {
      char buf[24];
      auto r = std::to_chars(buf, buf + sizeof buf, v.get_uint64());
      out.append(buf, r.ptr);
      return;
    }
    case Kind::double_: out += FormatDouble(v.get_double()); return;
    case Kind::string: AppendString(v.get_string(), out); return;
    case Kind::array: {
      out += '[';
      bool first = true;
      for (const Value& e : v.get_array()) {
        if (!first) out += ',';
        first = false;
        SerializeTo(e, out);
      }
      out += ']';
      return;
    }
    case Kind::object: {
      out += '{';
      bool first = true;
      for (const auto& kv : v.get_object()) {
        if (!first) out += ',';
        first = false;
        AppendString(kv.key(), out);
        out += ':';
        SerializeTo(kv.value(), out);
      }
      out += '}';
      return;
    }
  }
}

void SerializeStringTo(std::string_view text, std::string& out) { AppendString(text, out); }

void SerializeAsStringTo(const Value& value, std::string& out) {
  out += '"';
  SerializeInStringTo(value, out);
  out += '"';
}

std::string Serialize(const Value& v) {
  std::string out;
  SerializeTo(v, out);
  return out;
}

double AsDouble(const Value& v) {
  switch (v.kind()) {
    case Kind::int64: return double(v.get_int64());
    case Kind::uint64: return double(v.get_uint64());
    case Kind::double_: return v.get_double();
    default: return 0;
  }
}

bool AsInt64(const Value& v, std::int64_t& out) {
  switch (v.kind()) {
    case Kind::int64: out = v.get_int64(); return true;
    case Kind::uint64:
      if (v.get_uint64() > std::uint64_t(INT64_MAX)) return false;
      out = std::int64_t(v.get_uint64());
      return true;
    case Kind::double_: {
      double d = v.get_double();
      if (!std::isfinite(d) || std::trunc(d) != d || d < -9.2e18 || d > 9.2e18) return false;
      out = std::int64_t(d);
      return true;
    }
    default: return false;
  }
}

bool Equal(const Value& a, const Value& b) {
  if (a.is_number() && b.is_number()) {
    if (a.is_double() || b.is_double()) return AsDouble(a) == AsDouble(b);
    if (a.is_int64() && b.is_int64()) return a.get_int64() == b.get_int64();
    if (a.is_uint64() && b.is_uint64()) return a.get_uint64() == b.get_uint64();
    const Value& s = a.is_int64() ? a : b;  // one int64, one uint64
    const Value& u = a.is_int64() ? b : a;
    return s.get_int64() >= 0 && std::uint64_t(s.get_int64()) == u.get_uint64();
  }
  if (a.kind() != b.kind()) return false;
  switch (a.kind()) {
    case Kind::null: return true;
    case Kind::bool_: return a.get_bool() == b.get_bool();
    case Kind::string: return a.get_string() == b.get_string();
    case Kind::array: {
      const Array &x = a.get_array(), &y = b.get_array();
      if (x.size() != y.size()) return false;
      for (std::size_t i = 0; i < x.size(); ++i) {
        if (!Equal(x[i], y[i])) return false;
      }
      return true;
    }
    case Kind::object: {
      const Object &x = a.get_object(), &y = b.get_object();
      if (x.size() != y.size()) return false;
      for (const auto& kv : x) {
        auto it = y.find(kv.key());
        if (it == y.end() || !Equal(kv.value(), it->value())) return false;
      }
      return true;
    }
    default: return false;
  }
}

const char* TypeName(const Value& v) {
  switch (v.kind()) {
    case Kind::object: return "object";
    case Kind::array: return "array";
    case Kind::string: return "string";
    case Kind::bool_: return "boolean";
    case Kind::null: return "null";
    default: return "number";
  }
}

std::size_t CodePointCount(std::string_view s) {
  std::size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

const Value* Find(const Value& v, std::string_view key) {
  if (!v.is_object()) return nullptr;
  return FindMember(v.get_object(), key);
}

}  // namespace stepway::json
