#include "cli/arguments.h"

#include <cctype>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <optional>
#include <string>

#include "base/base64.h"

namespace stepway::cli {
namespace {

using api::Service;
using api::Shape;
using api::ShapeType;

const Shape& ShapeAt(Service service, int index) {
  return api::Shapes(service)[static_cast<std::size_t>(index)];
}

// --- Shorthand ----------------------------------------------------------------------------------

class Shorthand {
 public:
  explicit Shorthand(std::string_view text) : s_(text) {}

  Result<json::Value> Parse() {
    json::Object params;
    if (auto st = KeyVal(params); !st) return tl::unexpected(st.error());
    while (i_ < s_.size()) {
      SkipSpace();
      if (!Expect(',')) return Error("expected ','");
      SkipSpace();
      if (auto st = KeyVal(params); !st) return tl::unexpected(st.error());
    }
    return json::Value(std::move(params));
  }

 private:
  bool AtEof() const { return i_ >= s_.size(); }
  char Cur() const { return AtEof() ? '\0' : s_[i_]; }
  void SkipSpace() {
    while (!AtEof() && std::isspace(static_cast<unsigned char>(s_[i_]))) ++i_;
  }
  bool Expect(char c) {
    if (Cur() != c) return false;
    ++i_;
    return true;
  }
  tl::unexpected<stepway::Error> Error(std::string_view what) const {
    return Fail(ErrorCode::kInvalidArgument,
                "Error parsing parameter: " + std::string(what) + " at position " +
                    std::to_string(i_) + " of '" + std::string(s_) + "'");
  }

  std::string Key() {
    const std::size_t start = i_;
    while (!AtEof()) {
      const char c = s_[i_];
      if (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' ||
          c == '#' || c == '/' || c == ':') {
        ++i_;
      } else {
        break;
      }
    }
    return std::string(s_.substr(start, i_ - start));
  }

  Status KeyVal(json::Object& into) {
    SkipSpace();
    std::string key = Key();
    if (key.empty()) return Error("expected a key");
    SkipSpace();
    if (!Expect('=')) return Error("expected '='");
    SkipSpace();
    if (into.contains(key)) return Error("duplicate key '" + key + "'");
    auto value = Values();
    if (!value) return tl::unexpected(value.error());
    into[key] = std::move(*value);
    return {};
  }

  Result<json::Value> Values() {
    if (AtEof()) return json::Value(json::String(""));
    if (Cur() == '[') return ExplicitList();
    if (Cur() == '{') return Hash();
    return CsvValue();
  }

  // foo=bar -> "bar"; foo=bar,baz -> ["bar", "baz"] (stops before a following `key=`).
  Result<json::Value> CsvValue() {
    auto first = FirstValue(/*in_brackets=*/false);
    if (!first) return first;
    SkipSpace();
    if (AtEof() || Cur() != ',') return first;
    json::Array list;
    list.push_back(std::move(*first));
    while (true) {
      const std::size_t comma = i_;
      ++i_;  // ','
      SkipSpace();
      auto next = SecondValue();
      if (!next) {
        i_ = comma;  // the next key=value starts after this comma
        break;
      }
      list.push_back(json::String(*next));
      SkipSpace();
      if (AtEof() || Cur() != ',') break;
    }
    if (list.size() == 1) return list[0];
    return json::Value(std::move(list));
  }

  std::optional<std::string> SecondValue() {
    if (Cur() == '\'' || Cur() == '"') {
      auto q = Quoted();
      if (!q) return std::nullopt;
      return q->as_string().c_str();
    }
    std::string out;
    const std::size_t start = i_;
    while (!AtEof() && s_[i_] != ',') {
      if (s_[i_] == '=') {
        i_ = start;
        return std::nullopt;
      }
      if (s_[i_] == '\\' && i_ + 1 < s_.size()) ++i_;
      out += s_[i_++];
    }
    while (!out.empty() && std::isspace(static_cast<unsigned char>(out.back()))) out.pop_back();
    if (out.empty()) {
      i_ = start;
      return std::nullopt;
    }
    return out;
  }

  Result<json::Value> FirstValue(bool in_brackets) {
    if (Cur() == '\'' || Cur() == '"') return Quoted();
    std::string out;
    while (!AtEof()) {
      const char c = s_[i_];
      if (c == ',' || (in_brackets && (c == ']' || c == '}'))) break;
      if (c == '\\' && i_ + 1 < s_.size()) {
        out += s_[i_ + 1];
        i_ += 2;
        continue;
      }
      out += c;
      ++i_;
    }
    while (!out.empty() && std::isspace(static_cast<unsigned char>(out.back()))) out.pop_back();
    return json::Value(json::String(out));
  }

  Result<json::Value> Quoted() {
    const char q = s_[i_];
    const std::size_t start = i_;
    ++i_;
    std::string out;
    while (!AtEof() && s_[i_] != q) {
      if (s_[i_] == '\\' && i_ + 1 < s_.size() && (s_[i_ + 1] == q || s_[i_ + 1] == '\\')) {
        out += s_[i_ + 1];
        i_ += 2;
        continue;
      }
      out += s_[i_++];
    }
    if (AtEof()) {
      i_ = start;
      return Error("unterminated quoted value");
    }
    ++i_;
    return json::Value(json::String(out));
  }

  Result<json::Value> ExplicitValue() {
    if (Cur() == '[') return ExplicitList();
    if (Cur() == '{') return Hash();
    return FirstValue(/*in_brackets=*/true);
  }

  Result<json::Value> ExplicitList() {
    ++i_;  // '['
    SkipSpace();
    json::Array out;
    while (Cur() != ']') {
      if (AtEof()) return Error("expected ']'");
      auto v = ExplicitValue();
      if (!v) return v;
      out.push_back(std::move(*v));
      SkipSpace();
      if (Cur() != ']') {
        if (!Expect(',')) return Error("expected ',' or ']'");
        SkipSpace();
      }
    }
    ++i_;
    return json::Value(std::move(out));
  }

  Result<json::Value> Hash() {
    ++i_;  // '{'
    SkipSpace();
    json::Object out;
    while (Cur() != '}') {
      if (AtEof()) return Error("expected '}'");
      std::string key = Key();
      if (key.empty()) return Error("expected a key");
      SkipSpace();
      if (!Expect('=')) return Error("expected '='");
      SkipSpace();
      auto v = ExplicitValue();
      if (!v) return v;
      out[key] = std::move(*v);
      SkipSpace();
      if (Cur() != '}') {
        if (!Expect(',')) return Error("expected ',' or '}'");
        SkipSpace();
      }
    }
    ++i_;
    return json::Value(std::move(out));
  }

  std::string_view s_;
  std::size_t i_ = 0;
};

// --- Scalars ------------------------------------------------------------------------------------

Result<json::Value> ConvertScalar(const Shape& shape, const json::Value& v,
                                  std::string_view where) {
  if (!v.is_string()) return v;  // JSON already typed it; validation checks the type
  const std::string text(v.as_string());
  switch (shape.type) {
    case ShapeType::kInteger:
    case ShapeType::kLong: {
      std::int64_t out = 0;
      const char* end = text.data() + text.size();
      const char* begin = text.data();
      while (begin < end && std::isspace(static_cast<unsigned char>(*begin))) ++begin;
      if (begin < end && *begin == '+') ++begin;
      auto [ptr, ec] = std::from_chars(begin, end, out);
      if (ec != std::errc() || ptr != end) {
        return Fail(ErrorCode::kInvalidArgument,
                    "Error parsing parameter '" + std::string(where) +
                        "': invalid literal for int() with base 10: '" + text + "'");
      }
      return json::Value(out);
    }
    case ShapeType::kFloat:
    case ShapeType::kDouble: {
      char* end = nullptr;
      errno = 0;
      const double d = std::strtod(text.c_str(), &end);
      if (text.empty() || end != text.c_str() + text.size() || errno != 0) {
        return Fail(ErrorCode::kInvalidArgument, "Error parsing parameter '" +
                                                     std::string(where) +
                                                     "': could not convert string to float: '" +
                                                     text + "'");
      }
      return json::Value(d);
    }
    case ShapeType::kBoolean: {
      std::string lower;
      for (char c : text) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      if (lower == "true") return json::Value(true);
      if (lower == "false") return json::Value(false);
      return Fail(ErrorCode::kInvalidArgument, "Error parsing parameter '" + std::string(where) +
                                                   "': expected true or false, got '" + text + "'");
    }
    case ShapeType::kTimestamp: {
      auto t = ParseTimestamp(text);
      if (!t) {
        return Fail(ErrorCode::kInvalidArgument, "Error parsing parameter '" +
                                                     std::string(where) + "': " +
                                                     t.error().message);
      }
      return json::Value(*t);
    }
    default:
      return v;
  }
}

// Reads exactly `n` digits at s[i...]; -1 when they are not there.
int Digits(std::string_view s, std::size_t& i, int n) {
  if (i + static_cast<std::size_t>(n) > s.size()) return -1;
  int out = 0;
  for (int k = 0; k < n; ++k) {
    const char c = s[i + static_cast<std::size_t>(k)];
    if (c < '0' || c > '9') return -1;
    out = out * 10 + (c - '0');
  }
  i += static_cast<std::size_t>(n);
  return out;
}

std::string_view TypeNameOf(const json::Value& v) {
  switch (v.kind()) {
    case json::Kind::string: return "<class 'str'>";
    case json::Kind::bool_: return "<class 'bool'>";
    case json::Kind::int64: case json::Kind::uint64: return "<class 'int'>";
    case json::Kind::double_: return "<class 'float'>";
    case json::Kind::array: return "<class 'list'>";
    case json::Kind::object: return "<class 'dict'>";
    default: return "<class 'NoneType'>";
  }
}

std::string PyRepr(const json::Value& v) {
  if (v.is_string()) return std::string(v.as_string());
  if (v.is_bool()) return v.as_bool() ? "True" : "False";
  if (v.is_null()) return "None";
  return json::Serialize(v);
}

void Validate(Service service, const Shape& shape, const json::Value& v, const std::string& name,
              std::vector<std::string>& errors) {
  auto type_error = [&](std::string_view valid) {
    errors.push_back("Invalid type for parameter " + name + ", value: " + PyRepr(v) + ", type: " +
                     std::string(TypeNameOf(v)) + ", valid types: " + std::string(valid));
  };
  switch (shape.type) {
    case ShapeType::kStructure: {
      if (!v.is_object()) return type_error("<class 'dict'>");
      const auto& obj = v.as_object();
      for (const api::Member& m : shape.members) {
        const json::Value* got = obj.if_contains(m.name);
        if (m.required && (got == nullptr || got->is_null())) {
          errors.push_back("Missing required parameter in " + name + ": \"" +
                           std::string(m.name) + "\"");
        }
      }
      for (const auto& kv : obj) {
        const api::Member* member = nullptr;
        for (const api::Member& m : shape.members) {
          if (m.name == kv.key()) member = &m;
        }
        if (member == nullptr) {
          std::string valid;
          for (const api::Member& m : shape.members) {
            valid += (valid.empty() ? "" : ", ") + std::string(m.name);
          }
          errors.push_back("Unknown parameter in " + name + ": \"" + std::string(kv.key()) +
                           "\", must be one of: " + valid);
          continue;
        }
        if (kv.value().is_null()) continue;
        const std::string child = name == "input" ? std::string(kv.key())
                                                  : name + "." + std::string(kv.key());
        Validate(service, ShapeAt(service, member->shape), kv.value(), child, errors);
      }
      if (shape.is_union && obj.size() != 1) {
        errors.push_back("Invalid number of parameters set for tagged union structure " + name +
                         ". Can only set one of the following keys: " +
                         [&] {
                           std::string s;
                           for (const api::Member& m : shape.members) {
                             s += (s.empty() ? "" : ", ") + std::string(m.name);
                           }
                           return s;
                         }() +
                         ".");
      }
      return;
    }
    case ShapeType::kList: {
      if (!v.is_array()) return type_error("<class 'list'>, <class 'tuple'>");
      const auto& arr = v.as_array();
      if (shape.has_min && static_cast<std::int64_t>(arr.size()) < shape.min) {
        errors.push_back("Invalid length for parameter " + name + ", value: " +
                         std::to_string(arr.size()) + ", valid min length: " +
                         std::to_string(shape.min));
      }
      for (std::size_t i = 0; i < arr.size(); ++i) {
        Validate(service, ShapeAt(service, shape.value), arr[i],
                 name + "[" + std::to_string(i) + "]", errors);
      }
      return;
    }
    case ShapeType::kMap: {
      if (!v.is_object()) return type_error("<class 'dict'>");
      for (const auto& kv : v.as_object()) {
        Validate(service, ShapeAt(service, shape.value), kv.value(),
                 name + "." + std::string(kv.key()), errors);
      }
      return;
    }
    case ShapeType::kString: {
      if (!v.is_string()) return type_error("<class 'str'>");
      if (shape.has_min &&
          static_cast<std::int64_t>(json::CodePointCount(v.as_string())) < shape.min) {
        errors.push_back("Invalid length for parameter " + name + ", value: " +
                         std::to_string(json::CodePointCount(v.as_string())) +
                         ", valid min length: " + std::to_string(shape.min));
      }
      return;
    }
    case ShapeType::kInteger:
    case ShapeType::kLong: {
      if (!v.is_int64() && !v.is_uint64()) return type_error("<class 'int'>");
      if (shape.has_min && v.to_number<std::int64_t>() < shape.min) {
        errors.push_back("Invalid value for parameter " + name + ", value: " + PyRepr(v) +
                         ", valid min value: " + std::to_string(shape.min));
      }
      return;
    }
    case ShapeType::kFloat:
    case ShapeType::kDouble:
      if (!v.is_number()) return type_error("<class 'float'>, <class 'decimal.Decimal'>, <class 'int'>");
      return;
    case ShapeType::kBoolean:
      if (!v.is_bool()) return type_error("<class 'bool'>");
      return;
    case ShapeType::kTimestamp:
      if (!v.is_number() && !v.is_string()) {
        return type_error("<class 'datetime.datetime'>, <class 'str'>");
      }
      return;
    case ShapeType::kBlob:
      if (!v.is_string()) return type_error("<class 'bytes'>, <class 'bytearray'>, file-like object");
      return;
  }
}

}  // namespace

Result<json::Value> ParseShorthand(std::string_view text) { return Shorthand(text).Parse(); }

Result<json::Value> ConvertToShape(Service service, int shape_index, const json::Value& value,
                                   std::string_view where) {
  const Shape& shape = ShapeAt(service, shape_index);
  switch (shape.type) {
    case ShapeType::kStructure: {
      if (!value.is_object()) return value;
      json::Object out;
      for (const auto& kv : value.as_object()) {
        const api::Member* member = nullptr;
        for (const api::Member& m : shape.members) {
          if (m.name == kv.key()) member = &m;
        }
        if (member == nullptr) {
          out[kv.key()] = kv.value();
          continue;
        }
        auto converted = ConvertToShape(service, member->shape, kv.value(), where);
        if (!converted) return converted;
        out[kv.key()] = std::move(*converted);
      }
      return json::Value(std::move(out));
    }
    case ShapeType::kList: {
      json::Array out;
      if (!value.is_array()) {
        if (value.is_null()) return value;
        auto one = ConvertToShape(service, shape.value, value, where);
        if (!one) return one;
        out.push_back(std::move(*one));
        return json::Value(std::move(out));
      }
      for (const json::Value& e : value.as_array()) {
        auto one = ConvertToShape(service, shape.value, e, where);
        if (!one) return one;
        out.push_back(std::move(*one));
      }
      return json::Value(std::move(out));
    }
    case ShapeType::kMap: {
      if (!value.is_object()) return value;
      json::Object out;
      for (const auto& kv : value.as_object()) {
        auto one = ConvertToShape(service, shape.value, kv.value(), where);
        if (!one) return one;
        out[kv.key()] = std::move(*one);
      }
      return json::Value(std::move(out));
    }
    default:
      return ConvertScalar(shape, value, where);
  }
}

Result<json::Value> ParseOptionValue(Service service, int shape_index,
                                     const std::vector<std::string>& values,
                                     std::string_view option, bool binary) {
  const Shape& shape = ShapeAt(service, shape_index);
  auto starts_json = [](std::string_view s, char open) {
    const auto p = s.find_first_not_of(" \t\r\n");
    return p != std::string_view::npos && s[p] == open;
  };
  auto parse_json = [&](std::string_view text) -> Result<json::Value> {
    auto parsed = json::Parse(text);
    if (!parsed) {
      return Fail(ErrorCode::kInvalidArgument, "Error parsing parameter '" +
                                                   std::string(option) +
                                                   "': Invalid JSON: " + parsed.error().message +
                                                   "\nJSON received: " + std::string(text));
    }
    return parsed;
  };
  if (values.empty()) {
    return Fail(ErrorCode::kInvalidArgument,
                "argument " + std::string(option) + ": expected one argument");
  }
  if (shape.type == ShapeType::kList) {
    if (values.size() == 1 && starts_json(values[0], '[')) return parse_json(values[0]);
    json::Array out;
    for (const std::string& v : values) {
      auto one = ParseOptionValue(service, shape.value, {v}, option, binary);
      if (!one) return one;
      out.push_back(std::move(*one));
    }
    return json::Value(std::move(out));
  }
  if (values.size() != 1) {
    return Fail(ErrorCode::kInvalidArgument, "Unknown options: " + [&] {
      std::string s;
      for (std::size_t i = 1; i < values.size(); ++i) s += (i > 1 ? ", " : "") + values[i];
      return s;
    }());
  }
  const std::string& text = values[0];
  if (shape.type == ShapeType::kStructure || shape.type == ShapeType::kMap) {
    if (starts_json(text, '{')) return parse_json(text);
    auto generic = ParseShorthand(text);
    if (!generic) {
      return Fail(ErrorCode::kInvalidArgument, "Error parsing parameter '" + std::string(option) +
                                                   "': " + generic.error().message);
    }
    return ConvertToShape(service, shape_index, *generic, option);
  }
  if (shape.type == ShapeType::kBlob) {
    return json::Value(json::String(binary ? Base64Encode(text) : text));
  }
  return ConvertScalar(shape, json::String(text), option);
}

Result<double> ParseTimestamp(std::string_view text) {
  {
    char* end = nullptr;
    const std::string s(text);
    const double d = std::strtod(s.c_str(), &end);
    if (!s.empty() && end == s.c_str() + s.size()) return d;
  }
  std::size_t i = 0;
  const int year = Digits(text, i, 4);
  int month = -1, day = -1;
  if (year >= 0 && i < text.size() && text[i] == '-') {
    ++i;
    month = Digits(text, i, 2);
    if (i < text.size() && text[i] == '-') {
      ++i;
      day = Digits(text, i, 2);
    }
  }
  auto bad = [&] {
    return Fail(ErrorCode::kInvalidArgument, "Invalid timestamp \"" + std::string(text) + "\"");
  };
  if (year < 0 || month < 1 || month > 12 || day < 1 || day > 31) return bad();
  int hour = 0, minute = 0, second = 0;
  double fraction = 0;
  int offset_minutes = 0;
  if (i < text.size() && (text[i] == 'T' || text[i] == 't' || text[i] == ' ')) {
    ++i;
    hour = Digits(text, i, 2);
    if (hour < 0 || i >= text.size() || text[i] != ':') return bad();
    ++i;
    minute = Digits(text, i, 2);
    if (minute < 0) return bad();
    if (i < text.size() && text[i] == ':') {
      ++i;
      second = Digits(text, i, 2);
      if (second < 0) return bad();
    }
    if (i < text.size() && text[i] == '.') {
      const std::size_t start = i;
      ++i;
      while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) ++i;
      fraction = std::strtod(std::string(text.substr(start, i - start)).c_str(), nullptr);
    }
    if (i < text.size() && (text[i] == 'Z' || text[i] == 'z')) {
      ++i;
    } else if (i < text.size() && (text[i] == '+' || text[i] == '-')) {
      const int sign = text[i] == '-' ? -1 : 1;
      ++i;
      const int oh = Digits(text, i, 2);
      if (oh < 0) return bad();
      if (i < text.size() && text[i] == ':') ++i;
      const int om = i < text.size() ? Digits(text, i, 2) : 0;
      if (om < 0) return bad();
      offset_minutes = sign * (oh * 60 + om);
    }
  }
  if (i != text.size()) return bad();
  using namespace std::chrono;
  const year_month_day ymd{std::chrono::year(year), std::chrono::month(static_cast<unsigned>(month)),
                           std::chrono::day(static_cast<unsigned>(day))};
  if (!ymd.ok()) return bad();
  const auto days = sys_days(ymd).time_since_epoch().count();
  const double seconds = static_cast<double>(days) * 86400 + hour * 3600 + minute * 60 + second -
                         offset_minutes * 60 + fraction;
  return seconds;
}

json::Value TimestampsToEpoch(Service service, int shape_index, const json::Value& value) {
  if (shape_index < 0) return value;
  const Shape& shape = ShapeAt(service, shape_index);
  switch (shape.type) {
    case ShapeType::kTimestamp:
      if (value.is_string()) {
        if (auto t = ParseTimestamp(value.as_string())) return json::Value(*t);
      }
      return value;
    case ShapeType::kStructure: {
      if (!value.is_object()) return value;
      json::Object out;
      for (const auto& kv : value.as_object()) {
        int member = -1;
        for (const api::Member& m : shape.members) {
          if (m.name == kv.key()) member = m.shape;
        }
        out[kv.key()] = TimestampsToEpoch(service, member, kv.value());
      }
      return out;
    }
    case ShapeType::kList: {
      if (!value.is_array()) return value;
      json::Array out;
      for (const auto& e : value.as_array()) out.push_back(TimestampsToEpoch(service, shape.value, e));
      return out;
    }
    case ShapeType::kMap: {
      if (!value.is_object()) return value;
      json::Object out;
      for (const auto& kv : value.as_object()) {
        out[kv.key()] = TimestampsToEpoch(service, shape.value, kv.value());
      }
      return out;
    }
    default:
      return value;
  }
}

std::vector<std::string> ValidateParameters(Service service, int shape_index,
                                            const json::Value& params) {
  std::vector<std::string> errors;
  if (shape_index < 0) return errors;
  Validate(service, ShapeAt(service, shape_index), params, "input", errors);
  return errors;
}


}  // namespace stepway::cli
