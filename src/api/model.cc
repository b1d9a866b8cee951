#include "api/model.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <vector>

namespace stepway::api {
namespace {

// The generated tables name only the fields a shape sets; the rest keep their defaults.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
namespace sfn {
#include "api/model_sfn.inc"
}  // namespace sfn
namespace transfer {
#include "api/model_transfer.inc"
}  // namespace transfer
#pragma GCC diagnostic pop

// Coral reports at most this many violations in one message.
constexpr std::size_t kMaxReportedViolations = 10;

// PCRE2 limits so that no value can make a pattern run away (AWS strings go up to 2 MiB).
constexpr std::uint32_t kMatchLimit = 10'000'000;
constexpr std::size_t kHeapLimitKiB = 64 * 1024;

// The compiled patterns of one service, by shape index (nullptr when the shape has none).
class Patterns {
 public:
  explicit Patterns(std::span<const Shape> shapes) : code_(shapes.size(), nullptr) {
    pcre2_compile_context* cc = pcre2_compile_context_create(nullptr);
    pcre2_set_newline(cc, PCRE2_NEWLINE_ANYCRLF);
    for (std::size_t i = 0; i < shapes.size(); ++i) {
      if (shapes[i].regex.empty()) continue;
      int error = 0;
      PCRE2_SIZE offset = 0;
      code_[i] = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(shapes[i].regex.data()),
                               shapes[i].regex.size(),
                               PCRE2_UTF | PCRE2_ANCHORED | PCRE2_ENDANCHORED, &error, &offset,
                               cc);
      // A pattern that does not compile is a generator bug: its tests compile every pattern.
    }
    pcre2_compile_context_free(cc);
    match_context_ = pcre2_match_context_create(nullptr);
    pcre2_set_match_limit(match_context_, kMatchLimit);
    pcre2_set_heap_limit(match_context_, kHeapLimitKiB);
  }
  Patterns(const Patterns&) = delete;
  Patterns& operator=(const Patterns&) = delete;
  ~Patterns() {
    for (pcre2_code* c : code_) pcre2_code_free(c);
    pcre2_match_context_free(match_context_);
  }

  bool Compiled(std::size_t shape) const { return code_[shape] != nullptr; }

  // Whether the whole of `value` matches (Java's Pattern.matches). A pattern that hits a
  // limit, or did not compile, counts as not matching.
  bool Matches(std::size_t shape, std::string_view value) const {
    const pcre2_code* code = code_[shape];
    if (code == nullptr) return false;
    pcre2_match_data* md = pcre2_match_data_create_from_pattern(code, nullptr);
    int rc = pcre2_match(code, reinterpret_cast<PCRE2_SPTR>(value.data()), value.size(), 0, 0,
                         md, match_context_);
    pcre2_match_data_free(md);
    return rc >= 0;
  }

 private:
  std::vector<pcre2_code*> code_;
  pcre2_match_context* match_context_ = nullptr;
};

const Patterns& PatternsOf(Service service) {
  static const Patterns* sfn_patterns = new Patterns(sfn::kShapes);
  static const Patterns* transfer_patterns = new Patterns(transfer::kShapes);
  return service == Service::kStepFunctions ? *sfn_patterns : *transfer_patterns;
}

// --- Type check (SerializationException) -----------------------------------------------------

constexpr std::string_view kStartOfList = "Start of list found where not expected";
constexpr std::string_view kStartOfStructure = "Start of structure or map found where not expected.";
constexpr std::string_view kBigNumber = "class com.amazon.coral.value.json.numbers.TruncatingBigNumber";

std::string_view JavaNumberName(ShapeType t) {
  switch (t) {
    case ShapeType::kInteger: return "Integer";
    case ShapeType::kLong: return "Long";
    case ShapeType::kFloat: return "Float";
    default: return "Double";
  }
}

std::string Upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  return out;
}

bool IsBase64Char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
         c == '/';
}

// Coral's complaint about a base64 blob, or "" when it decodes.
std::string Base64Problem(std::string_view s) {
  std::string prefix = "'" + std::string(s) + "' can not be converted to a Blob: ";
  if (s.size() % 4 != 0) {
    return prefix + "Base64 encoded length is expected a multiple of 4 bytes but found: " +
           std::to_string(s.size());
  }
  for (std::size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (IsBase64Char(c)) continue;
    if (c == '=' && (i + 1 == s.size() || (i + 2 == s.size() && s[i + 1] == '='))) continue;
    return prefix + "Invalid Base64 character: '" + std::string(1, c) + "'";
  }
  return "";
}

class TypeChecker {
 public:
  explicit TypeChecker(std::span<const Shape> shapes) : shapes_(shapes) {}

  // The SerializationException message for the first mistyped value, or "" when all fit.
  std::string Check(const Shape& shape, const json::Value& v) const {
    if (v.is_null()) return "";
    const bool is_array = v.is_array();
    const bool is_object = v.is_object();
    auto container = [&]() -> std::string {
      return std::string(is_array ? kStartOfList : kStartOfStructure);
    };
    switch (shape.type) {
      case ShapeType::kString:
        if (is_array || is_object) return container();
        if (v.is_bool()) return "class java.lang.Boolean can not be converted to an String";
        if (v.is_number()) return std::string(kBigNumber) + " can not be converted to an String";
        return "";
      case ShapeType::kInteger:
      case ShapeType::kLong:
      case ShapeType::kFloat:
      case ShapeType::kDouble: {
        std::string_view java = JavaNumberName(shape.type);
        if (is_array || is_object) return container();
        if (v.is_bool()) return "class java.lang.Boolean can not be converted to an " + std::string(java);
        if (v.is_string()) return "class java.lang.String can not be converted to an " + std::string(java);
        return "";
      }
      case ShapeType::kBoolean:
        if (is_array || is_object) return container();
        if (v.is_number()) return std::string(kBigNumber) + " can not be converted to an Boolean";
        if (v.is_string()) {
          return "'" + Upper(v.get_string()) + "' can not be converted to an Boolean";
        }
        return "";
      case ShapeType::kTimestamp:
        if (is_array || is_object) return container();
        if (v.is_bool()) {
          return "class java.lang.Boolean can not be converted to milliseconds since epoch";
        }
        if (v.is_string()) {
          return "class java.lang.String can not be converted to milliseconds since epoch";
        }
        return "";
      case ShapeType::kBlob:
        if (is_array || is_object) return container();
        if (v.is_bool()) return "class java.lang.Boolean can not be converted to a Blob";
        if (v.is_number()) return std::string(kBigNumber) + " can not be converted to a Blob";
        return Base64Problem(v.get_string());
      case ShapeType::kList:
        if (is_object) return std::string(kStartOfStructure);
        if (!is_array) return "Expected list or null";
        for (const auto& e : v.get_array()) {
          if (std::string m = Check(shapes_[shape.value], e); !m.empty()) return m;
        }
        return "";
      case ShapeType::kMap:
        if (is_array) return std::string(kStartOfList);
        if (!is_object) return "Expected map or null";
        for (const auto& kv : v.get_object()) {
          if (std::string m = Check(shapes_[shape.value], kv.value()); !m.empty()) return m;
        }
        return "";
      case ShapeType::kStructure:
        if (is_array) return std::string(kStartOfList);
        if (!is_object) return "Expected null";
        for (const Member& m : shape.members) {
          const json::Value* mv = json::Find(v, m.name);
          if (mv == nullptr) continue;
          if (std::string msg = Check(shapes_[m.shape], *mv); !msg.empty()) return msg;
        }
        return "";
    }
    return "";
  }

 private:
  std::span<const Shape> shapes_;
};

// --- Constraint check (ValidationException) --------------------------------------------------

// A JSON number as the Java type of the shape sees it: integers truncated toward negative
// infinity and clamped to the type's range (Coral's TruncatingBigNumber).
std::int64_t IntegerValue(const json::Value& v, ShapeType type) {
  const double lo = type == ShapeType::kInteger ? std::numeric_limits<std::int32_t>::min()
                                                : static_cast<double>(std::numeric_limits<std::int64_t>::min());
  const double hi = type == ShapeType::kInteger ? std::numeric_limits<std::int32_t>::max()
                                                : static_cast<double>(std::numeric_limits<std::int64_t>::max());
  if (v.is_int64()) {
    std::int64_t x = v.get_int64();
    if (type == ShapeType::kInteger) {
      x = std::clamp<std::int64_t>(x, std::numeric_limits<std::int32_t>::min(),
                                   std::numeric_limits<std::int32_t>::max());
    }
    return x;
  }
  if (v.is_uint64()) {
    return type == ShapeType::kInteger ? std::numeric_limits<std::int32_t>::max()
                                       : std::numeric_limits<std::int64_t>::max();
  }
  double d = std::floor(json::AsDouble(v));
  if (d <= lo) return static_cast<std::int64_t>(lo);
  if (d >= hi) {
    return type == ShapeType::kInteger ? std::numeric_limits<std::int32_t>::max()
                                       : std::numeric_limits<std::int64_t>::max();
  }
  return static_cast<std::int64_t>(d);
}

// Java's String.length(): UTF-16 code units of UTF-8 text.
std::size_t Utf16Length(std::string_view s) {
  std::size_t n = 0;
  for (unsigned char c : s) {
    if ((c & 0xC0) == 0x80) continue;
    n += c >= 0xF0 ? 2 : 1;
  }
  return n;
}

std::size_t Base64DecodedLength(std::string_view s) {
  std::size_t pad = 0;
  if (!s.empty() && s.back() == '=') ++pad;
  if (s.size() > 1 && s[s.size() - 2] == '=') ++pad;
  return s.size() / 4 * 3 - pad;
}

std::string LowerFirst(std::string_view name) {
  std::string out(name);
  if (!out.empty() && out[0] >= 'A' && out[0] <= 'Z') out[0] = static_cast<char>(out[0] - 'A' + 'a');
  return out;
}

class Validator {
 public:
  Validator(std::span<const Shape> shapes, const Patterns& patterns)
      : shapes_(shapes), patterns_(patterns) {}

  const std::vector<std::string>& violations() const { return violations_; }

  // Checks the members of structure `shape` in `v` (an object), paths under `path`.
  void CheckStructure(const Shape& shape, const json::Value& v, const std::string& path) {
    for (const Member& m : shape.members) {
      const json::Value* mv = json::Find(v, m.name);
      if (mv != nullptr && mv->is_null()) mv = nullptr;
      std::string member_path = path.empty() ? LowerFirst(m.name) : path + "." + LowerFirst(m.name);
      const Shape& ms = shapes_[m.shape];
      if (mv == nullptr) {
        if (m.required) Violation(ms, nullptr, member_path, "Member must not be null");
        continue;
      }
      CheckValue(ms, *mv, member_path);
    }
  }

 private:
  // Java's toString of a value of `shape`, as Coral quotes it.
  std::string Format(const Shape& shape, const json::Value& v) const {
    if (v.is_null()) return "null";
    switch (shape.type) {
      case ShapeType::kString:
        return std::string(v.get_string());
      case ShapeType::kInteger:
      case ShapeType::kLong:
        return std::to_string(IntegerValue(v, shape.type));
      case ShapeType::kFloat:
      case ShapeType::kDouble:
      case ShapeType::kTimestamp:
        return v.is_double() ? json::FormatDouble(v.get_double()) : json::Serialize(v);
      case ShapeType::kBoolean:
        return v.get_bool() ? "true" : "false";
      case ShapeType::kBlob: {
        std::string n = std::to_string(Base64DecodedLength(v.get_string()));
        return "java.nio.HeapByteBuffer[pos=0 lim=" + n + " cap=" + n + "]";
      }
      case ShapeType::kList: {
        std::string out = "[";
        bool first = true;
        for (const auto& e : v.get_array()) {
          if (!first) out += ", ";
          first = false;
          out += Format(shapes_[shape.value], e);
        }
        return out + "]";
      }
      case ShapeType::kMap: {
        std::string out = "{";
        bool first = true;
        for (const auto& kv : v.get_object()) {
          if (!first) out += ", ";
          first = false;
          out += std::string(kv.key()) + "=" + Format(shapes_[shape.value], kv.value());
        }
        return out + "}";
      }
      case ShapeType::kStructure: {
        std::string out = std::string(shape.name) + "(";
        bool first = true;
        for (const Member& m : shape.members) {
          if (!first) out += ", ";
          first = false;
          const json::Value* mv = json::Find(v, m.name);
          out += std::string(m.name) + "=" +
                 (mv == nullptr ? std::string("null") : Format(shapes_[m.shape], *mv));
        }
        return out + ")";
      }
    }
    return "";
  }

  void Violation(const Shape& shape, const json::Value* v, const std::string& path,
                 std::string_view constraint) {
    if (violations_.size() >= kMaxReportedViolations) return;
    std::string value;
    if (shape.sensitive) {
      value = "Value";
    } else if (v == nullptr) {
      value = "Value null";
    } else {
      value = "Value '" + Format(shape, *v) + "'";
    }
    violations_.push_back(value + " at '" + path + "' failed to satisfy constraint: " +
                          std::string(constraint));
  }

  void CheckLength(const Shape& shape, const json::Value& v, const std::string& path,
                   std::size_t length) {
    if (shape.has_min && static_cast<std::int64_t>(length) < shape.min) {
      Violation(shape, &v, path,
                "Member must have length greater than or equal to " + std::to_string(shape.min));
    }
    if (shape.has_max && static_cast<std::int64_t>(length) > shape.max) {
      Violation(shape, &v, path,
                "Member must have length less than or equal to " + std::to_string(shape.max));
    }
  }

  void CheckValue(const Shape& shape, const json::Value& v, const std::string& path) {
    const std::size_t index = static_cast<std::size_t>(&shape - shapes_.data());
    switch (shape.type) {
      case ShapeType::kString: {
        std::string_view s = v.get_string();
        if (!shape.enum_values.empty() &&
            std::find(shape.enum_values.begin(), shape.enum_values.end(), s) ==
                shape.enum_values.end()) {
          std::string set;
          for (std::string_view e : shape.enum_values) {
            if (!set.empty()) set += ", ";
            set += e;
          }
          Violation(shape, &v, path, "Member must satisfy enum value set: [" + set + "]");
        }
        if (!shape.pattern.empty() && !patterns_.Matches(index, s)) {
          Violation(shape, &v, path,
                    "Member must satisfy regular expression pattern: " + std::string(shape.pattern));
        }
        if (shape.size_in_bytes) {
          if (shape.has_max && static_cast<std::int64_t>(s.size()) > shape.max) {
            Violation(shape, &v, path,
                      "Member must have size less than or equal to " + std::to_string(shape.max) +
                          " bytes in UTF-8 encoding");
          }
        } else {
          CheckLength(shape, v, path, Utf16Length(s));
        }
        return;
      }
      case ShapeType::kInteger:
      case ShapeType::kLong:
      case ShapeType::kFloat:
      case ShapeType::kDouble: {
        const bool integral = shape.type == ShapeType::kInteger || shape.type == ShapeType::kLong;
        auto below = [&](std::int64_t bound) {
          return integral ? IntegerValue(v, shape.type) < bound
                          : json::AsDouble(v) < static_cast<double>(bound);
        };
        auto above = [&](std::int64_t bound) {
          return integral ? IntegerValue(v, shape.type) > bound
                          : json::AsDouble(v) > static_cast<double>(bound);
        };
        if (shape.has_min && below(shape.min)) {
          Violation(shape, &v, path,
                    "Member must have value greater than or equal to " + std::to_string(shape.min));
        }
        if (shape.has_max && above(shape.max)) {
          Violation(shape, &v, path,
                    "Member must have value less than or equal to " + std::to_string(shape.max));
        }
        return;
      }
      case ShapeType::kBoolean:
      case ShapeType::kTimestamp:
        return;
      case ShapeType::kBlob:
        CheckLength(shape, v, path, Base64DecodedLength(v.get_string()));
        return;
      case ShapeType::kList: {
        const auto& a = v.get_array();
        CheckLength(shape, v, path, a.size());
        const Shape& element = shapes_[shape.value];
        for (std::size_t i = 0; i < a.size(); ++i) {
          if (a[i].is_null()) continue;
          CheckValue(element, a[i], path + "." + std::to_string(i + 1) + ".member");
        }
        return;
      }
      case ShapeType::kMap: {
        const auto& o = v.get_object();
        CheckLength(shape, v, path, o.size());
        const Shape& value = shapes_[shape.value];
        for (const auto& kv : o) {
          if (kv.value().is_null()) continue;
          CheckValue(value, kv.value(), path + "." + std::string(kv.key()) + ".member");
        }
        return;
      }
      case ShapeType::kStructure:
        CheckStructure(shape, v, path);
        return;
    }
  }

  std::span<const Shape> shapes_;
  const Patterns& patterns_;
  std::vector<std::string> violations_;
};

}  // namespace

std::span<const Operation> Operations(Service service) {
  if (service == Service::kStepFunctions) return sfn::kOperations;
  return transfer::kOperations;
}

std::span<const Shape> Shapes(Service service) {
  if (service == Service::kStepFunctions) return sfn::kShapes;
  return transfer::kShapes;
}

const Operation* FindOperation(Service service, std::string_view name) {
  auto ops = Operations(service);
  auto it = std::lower_bound(ops.begin(), ops.end(), name,
                             [](const Operation& o, std::string_view n) { return o.name < n; });
  if (it == ops.end() || it->name != name) return nullptr;
  return &*it;
}

const Shape* FindShape(Service service, std::string_view name) {
  auto shapes = Shapes(service);
  auto it = std::lower_bound(shapes.begin(), shapes.end(), name,
                             [](const Shape& s, std::string_view n) { return s.name < n; });
  if (it == shapes.end() || it->name != name) return nullptr;
  return &*it;
}

std::string_view TargetPrefix(Service service) {
  return service == Service::kStepFunctions ? sfn::kTargetPrefix : transfer::kTargetPrefix;
}

JsonVersion ProtocolVersion(Service service) {
  return service == Service::kStepFunctions ? JsonVersion::k1_0 : JsonVersion::k1_1;
}

bool PatternCompiles(Service service, std::size_t shape_index) {
  return PatternsOf(service).Compiled(shape_index);
}

std::optional<ApiError> ValidateInput(Service service, const Operation& operation,
                                      const json::Value& body) {
  if (operation.input < 0) return std::nullopt;
  auto shapes = Shapes(service);
  const Shape& input = shapes[operation.input];
  if (std::string m = TypeChecker(shapes).Check(input, body); !m.empty()) {
    return ApiError{"SerializationException", std::move(m), 400};
  }
  if (!body.is_object()) {
    // null: Coral reads an absent body as an empty structure.
    if (!body.is_null()) return ApiError{"SerializationException", "", 400};
  }
  static const json::Value kEmpty = json::Object();
  Validator validator(shapes, PatternsOf(service));
  validator.CheckStructure(input, body.is_object() ? body : kEmpty, "");
  const auto& v = validator.violations();
  if (v.empty()) return std::nullopt;
  std::string message = std::to_string(v.size()) + " validation error" +
                        (v.size() > 1 ? "s" : "") + " detected: ";
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (i > 0) message += "; ";
    message += v[i];
  }
  return ApiError{"ValidationException", std::move(message), 400};
}

}  // namespace stepway::api
