#include "asl/choice_rule.h"

#include <array>
#include <cstdint>
#include <utility>

#include "asl/path.h"
#include "asl/validation.h"
#include "base/time.h"

namespace stepway::asl {

namespace v = validation;

namespace {

enum class Operand { kString, kNumber, kBoolean, kTimestamp, kPattern, kTypeTest };

enum class Comparison { kEquals, kLessThan, kGreaterThan, kLessThanEquals, kGreaterThanEquals };

struct OperatorInfo {
  const char* name;
  Operand operand;
  Comparison comparison;
  bool has_path_variant;
};

// Every comparison operator of the States Language ("Choice Rules"), in the order AWS lists them.
constexpr std::array<OperatorInfo, 23> kOperators = {{
    {"BooleanEquals", Operand::kBoolean, Comparison::kEquals, true},
    {"IsBoolean", Operand::kTypeTest, Comparison::kEquals, false},
    {"IsNull", Operand::kTypeTest, Comparison::kEquals, false},
    {"IsNumeric", Operand::kTypeTest, Comparison::kEquals, false},
    {"IsPresent", Operand::kTypeTest, Comparison::kEquals, false},
    {"IsString", Operand::kTypeTest, Comparison::kEquals, false},
    {"IsTimestamp", Operand::kTypeTest, Comparison::kEquals, false},
    {"NumericEquals", Operand::kNumber, Comparison::kEquals, true},
    {"NumericGreaterThan", Operand::kNumber, Comparison::kGreaterThan, true},
    {"NumericGreaterThanEquals", Operand::kNumber, Comparison::kGreaterThanEquals, true},
    {"NumericLessThan", Operand::kNumber, Comparison::kLessThan, true},
    {"NumericLessThanEquals", Operand::kNumber, Comparison::kLessThanEquals, true},
    {"StringEquals", Operand::kString, Comparison::kEquals, true},
    {"StringGreaterThan", Operand::kString, Comparison::kGreaterThan, true},
    {"StringGreaterThanEquals", Operand::kString, Comparison::kGreaterThanEquals, true},
    {"StringLessThan", Operand::kString, Comparison::kLessThan, true},
    {"StringLessThanEquals", Operand::kString, Comparison::kLessThanEquals, true},
    {"StringMatches", Operand::kPattern, Comparison::kEquals, false},
    {"TimestampEquals", Operand::kTimestamp, Comparison::kEquals, true},
    {"TimestampGreaterThan", Operand::kTimestamp, Comparison::kGreaterThan, true},
    {"TimestampGreaterThanEquals", Operand::kTimestamp, Comparison::kGreaterThanEquals, true},
    {"TimestampLessThan", Operand::kTimestamp, Comparison::kLessThan, true},
    {"TimestampLessThanEquals", Operand::kTimestamp, Comparison::kLessThanEquals, true},
}};

// Finds the operator named `field`, with `is_path` set for its "...Path" variant.
const OperatorInfo* FindOperator(std::string_view field, bool& is_path) {
  for (const OperatorInfo& op : kOperators) {
    const std::string_view name = op.name;
    if (field == name) {
      is_path = false;
      return &op;
    }
    if (op.has_path_variant && field.size() == name.size() + 4 && field.substr(0, name.size()) == name &&
        field.substr(name.size()) == "Path") {
      is_path = true;
      return &op;
    }
  }
  return nullptr;
}

// Java's String.compareTo: UTF-16 code units, which orders supplementary characters below
// U+E000..U+FFFF (unlike UTF-8 byte order). AWS compares strings that way.
int CompareUtf16(std::string_view a, std::string_view b) {
  auto next_unit = [](std::string_view s, std::size_t& i, std::uint16_t& pending) -> std::uint32_t {
    if (pending != 0) {
      const std::uint16_t unit = pending;
      pending = 0;
      return unit;
    }
    const unsigned char c = static_cast<unsigned char>(s[i]);
    std::uint32_t cp = c;
    int extra = 0;
    if (c >= 0xF0) {
      cp = c & 0x07;
      extra = 3;
    } else if (c >= 0xE0) {
      cp = c & 0x0F;
      extra = 2;
    } else if (c >= 0xC0) {
      cp = c & 0x1F;
      extra = 1;
    }
    ++i;
    for (int k = 0; k < extra && i < s.size(); ++k, ++i) {
      cp = (cp << 6) | (static_cast<unsigned char>(s[i]) & 0x3F);
    }
    if (cp >= 0x10000) {
      cp -= 0x10000;
      pending = static_cast<std::uint16_t>(0xDC00 + (cp & 0x3FF));
      return 0xD800 + (cp >> 10);
    }
    return cp;
  };
  std::size_t i = 0, j = 0;
  std::uint16_t pa = 0, pb = 0;
  while ((i < a.size() || pa != 0) && (j < b.size() || pb != 0)) {
    const std::uint32_t ua = next_unit(a, i, pa);
    const std::uint32_t ub = next_unit(b, j, pb);
    if (ua != ub) return ua < ub ? -1 : 1;
  }
  const bool a_left = i < a.size() || pa != 0;
  const bool b_left = j < b.size() || pb != 0;
  if (a_left == b_left) return 0;
  return a_left ? 1 : -1;
}

bool Holds(Comparison comparison, int order) {
  switch (comparison) {
    case Comparison::kEquals:
      return order == 0;
    case Comparison::kLessThan:
      return order < 0;
    case Comparison::kGreaterThan:
      return order > 0;
    case Comparison::kLessThanEquals:
      return order <= 0;
    case Comparison::kGreaterThanEquals:
      return order >= 0;
  }
  return false;
}

int CompareNumbers(const json::Value& a, const json::Value& b) {
  std::int64_t ia = 0, ib = 0;
  if (!a.is_double() && !b.is_double() && json::AsInt64(a, ia) && json::AsInt64(b, ib)) {
    return ia < ib ? -1 : (ia > ib ? 1 : 0);
  }
  const double da = json::AsDouble(a);
  const double db = json::AsDouble(b);
  return da < db ? -1 : (da > db ? 1 : 0);
}

// StringMatches: `*` matches any run of characters; `\*` is a literal star and `\\` a literal
// backslash. A pattern is compiled to literal segments and wildcard markers.
struct PatternToken {
  bool wildcard = false;
  std::string literal;
};

std::vector<PatternToken> CompilePattern(std::string_view pattern) {
  std::vector<PatternToken> tokens;
  auto literal = [&tokens]() -> std::string& {
    if (tokens.empty() || tokens.back().wildcard) tokens.push_back(PatternToken{});
    return tokens.back().literal;
  };
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    const char c = pattern[i];
    if (c == '\\' && i + 1 < pattern.size()) {
      literal() += pattern[++i];
    } else if (c == '*') {
      if (tokens.empty() || !tokens.back().wildcard) tokens.push_back(PatternToken{true, {}});
    } else {
      literal() += c;
    }
  }
  return tokens;
}

bool MatchPattern(const std::vector<PatternToken>& tokens, std::string_view text) {
  // Greedy match with backtracking to the last wildcard: linear in practice, never exponential.
  std::size_t pos = 0;
  std::size_t t = 0;
  std::size_t star_token = SIZE_MAX;
  std::size_t star_pos = 0;
  while (true) {
    if (t < tokens.size() && tokens[t].wildcard) {
      star_token = t++;
      star_pos = pos;
      continue;
    }
    if (t < tokens.size()) {
      const std::string& lit = tokens[t].literal;
      if (text.substr(pos, lit.size()) == lit) {
        pos += lit.size();
        ++t;
        continue;
      }
    } else if (pos == text.size()) {
      return true;
    }
    if (star_token == SIZE_MAX || star_pos >= text.size()) return false;
    // Let the last wildcard swallow one more character and retry from the token after it.
    pos = ++star_pos;
    t = star_token + 1;
  }
}

Failure InvalidPath(const Path& path) {
  return Failure{errors::kRuntime, "Invalid path '" + path.text() +
                                       "': The choice state's condition path references an "
                                       "invalid value."};
}

const char* OperandTypeName(Operand operand) {
  switch (operand) {
    case Operand::kString:
    case Operand::kTimestamp:
    case Operand::kPattern:
      return "STRING";
    case Operand::kNumber:
      return "NUMBER";
    case Operand::kBoolean:
    case Operand::kTypeTest:
      return "BOOLEAN";
  }
  return "STRING";
}

}  // namespace

struct ChoiceRule::Impl {
  enum class Kind { kAnd, kOr, kNot, kCompare };
  Kind kind = Kind::kCompare;
  std::vector<std::shared_ptr<const Impl>> children;  // And, Or (many), Not (one)

  // kCompare
  std::optional<Path> variable;
  const OperatorInfo* op = nullptr;
  json::Value operand;                // the literal, when not a ...Path operator
  std::optional<Path> operand_path;   // the ...Path operand
  std::optional<TimePoint> timestamp;  // literal Timestamp* operand, parsed
  std::vector<PatternToken> pattern;   // StringMatches

  Outcome<bool> Evaluate(const Scope& scope) const;
  Outcome<bool> Compare(const json::Value& value, const json::Value& against) const;
};

Outcome<bool> ChoiceRule::Impl::Compare(const json::Value& value,
                                        const json::Value& against) const {
  // A value of the wrong type makes the comparison false, not a failure (AWS behaviour, e.g.
  // NumericEquals on a string).
  switch (op->operand) {
    case Operand::kString:
      if (!value.is_string() || !against.is_string()) return false;
      return Holds(op->comparison, CompareUtf16(value.get_string(), against.get_string()));
    case Operand::kNumber:
      if (!value.is_number() || !against.is_number()) return false;
      return Holds(op->comparison, CompareNumbers(value, against));
    case Operand::kBoolean:
      if (!value.is_bool() || !against.is_bool()) return false;
      return value.get_bool() == against.get_bool();
    case Operand::kTimestamp: {
      if (!value.is_string()) return false;
      const std::optional<TimePoint> left = ParseIso8601(value.get_string());
      std::optional<TimePoint> right = timestamp;
      if (!right) {
        if (!against.is_string()) return false;
        right = ParseIso8601(against.get_string());
      }
      if (!left || !right) return false;
      const int order = *left < *right ? -1 : (*left > *right ? 1 : 0);
      return Holds(op->comparison, order);
    }
    case Operand::kPattern:
      if (!value.is_string()) return false;
      return MatchPattern(pattern, value.get_string());
    case Operand::kTypeTest:
      break;
  }
  return false;
}

Outcome<bool> ChoiceRule::Impl::Evaluate(const Scope& scope) const {
  switch (kind) {
    case Kind::kAnd:
      for (const auto& child : children) {
        Outcome<bool> r = child->Evaluate(scope);
        if (!r || !*r) return r;
      }
      return true;
    case Kind::kOr:
      for (const auto& child : children) {
        Outcome<bool> r = child->Evaluate(scope);
        if (!r || *r) return r;
      }
      return false;
    case Kind::kNot: {
      Outcome<bool> r = children.front()->Evaluate(scope);
      if (!r) return r;
      return !*r;
    }
    case Kind::kCompare:
      break;
  }

  // Simple paths are read where they point; the others are evaluated into a copy.
  std::optional<json::Value> copy;
  const json::Value* value = variable->Find(scope);
  if (value == nullptr && (copy = variable->Evaluate(scope))) value = &*copy;
  const std::string_view name = op->name;
  if (name == "IsPresent") return (value != nullptr) == operand.get_bool();
  if (value == nullptr) return tl::unexpected(InvalidPath(*variable));

  if (op->operand == Operand::kTypeTest) {
    bool is = false;
    if (name == "IsNull") {
      is = value->is_null();
    } else if (name == "IsNumeric") {
      is = value->is_number();
    } else if (name == "IsString") {
      is = value->is_string();
    } else if (name == "IsBoolean") {
      is = value->is_bool();
    } else if (name == "IsTimestamp") {
      is = value->is_string() && ParseIso8601(value->get_string()).has_value();
    }
    return is == operand.get_bool();
  }

  if (operand_path) {
    std::optional<json::Value> against_copy;
    const json::Value* against = operand_path->Find(scope);
    if (against == nullptr && (against_copy = operand_path->Evaluate(scope))) {
      against = &*against_copy;
    }
    if (against == nullptr) return tl::unexpected(InvalidPath(*operand_path));
    return Compare(*value, *against);
  }
  return Compare(*value, operand);
}

namespace {

// Field names a rule may carry besides its operator.
bool IsRuleStructureField(std::string_view field) {
  return field == "Variable" || field == "And" || field == "Or" || field == "Not" ||
         field == "Next" || field == "Assign" || field == "Output" || field == "Comment" ||
         field == "Condition";
}

std::shared_ptr<const ChoiceRule::Impl> ParseJsonPathRule(const json::Object& rule,
                                                          std::string_view location,
                                                          std::vector<Diagnostic>& diagnostics);

std::shared_ptr<const ChoiceRule::Impl> ParseRuleValue(const json::Value& value,
                                                       std::string_view location,
                                                       std::vector<Diagnostic>& diagnostics) {
  if (!value.is_object()) {
    v::AddSchemaError(diagnostics, v::ExpectedType("OBJECT"), std::string(location));
    return nullptr;
  }
  const json::Object& rule = value.get_object();
  for (const auto& member : rule) {
    const std::string_view key = member.key();
    // Nested rules carry neither a transition nor data-flow fields.
    if (key == "Next" || key == "Assign" || key == "Output") {
      v::AddSchemaError(diagnostics, v::NotSupported(key), std::string(location));
    } else if (key == "Condition") {
      v::AddSchemaError(diagnostics, v::JsonataOnlyField(key), std::string(location));
    }
  }
  return ParseJsonPathRule(rule, location, diagnostics);
}

std::shared_ptr<const ChoiceRule::Impl> ParseJsonPathRule(const json::Object& rule,
                                                          std::string_view location,
                                                          std::vector<Diagnostic>& diagnostics) {
  const std::size_t errors_before = diagnostics.size();
  auto impl = std::make_shared<ChoiceRule::Impl>();

  const json::Value* variable = nullptr;
  const json::Value* logic = nullptr;
  std::string logic_name;
  const OperatorInfo* op = nullptr;
  std::string op_field;
  bool op_is_path = false;
  int operators = 0;
  bool unknown_fields = false;

  for (const auto& member : rule) {
    const std::string_view key = member.key();
    if (key == "Variable") {
      variable = &member.value();
      continue;
    }
    if (key == "And" || key == "Or" || key == "Not") {
      ++operators;
      logic = &member.value();
      logic_name = std::string(key);
      continue;
    }
    if (IsRuleStructureField(key)) continue;
    bool is_path = false;
    const OperatorInfo* found = FindOperator(key, is_path);
    if (found == nullptr) {
      v::AddSchemaError(diagnostics, v::NotSupported(key), std::string(location));
      unknown_fields = true;
      continue;
    }
    ++operators;
    op = found;
    op_field = std::string(key);
    op_is_path = is_path;
  }

  if (operators == 0) {
    // An unknown field is most likely the misspelt operator: that report is enough.
    if (unknown_fields) return nullptr;
    v::AddSchemaError(diagnostics,
                      variable != nullptr
                          ? std::string("A Choice Rule must contain exactly one comparison operator")
                          : v::RequiredFields({"Variable"}),
                      std::string(location));
    return nullptr;
  }
  if (operators > 1) {
    v::AddSchemaError(diagnostics, "A Choice Rule must contain exactly one comparison operator",
                      std::string(location));
    return nullptr;
  }

  if (logic != nullptr) {
    if (variable != nullptr) {
      v::AddSchemaError(diagnostics, v::NotSupported("Variable"), std::string(location));
    }
    const std::string logic_location = v::Child(location, logic_name);
    if (logic_name == "Not") {
      impl->kind = ChoiceRule::Impl::Kind::kNot;
      auto child = ParseRuleValue(*logic, logic_location, diagnostics);
      if (child) impl->children.push_back(std::move(child));
    } else {
      impl->kind = logic_name == "And" ? ChoiceRule::Impl::Kind::kAnd : ChoiceRule::Impl::Kind::kOr;
      if (!logic->is_array()) {
        v::AddSchemaError(diagnostics, v::ExpectedType("ARRAY"), logic_location);
      } else if (logic->get_array().empty()) {
        v::AddSchemaError(diagnostics, v::kMinimumItems, logic_location);
      } else {
        const json::Array& items = logic->get_array();
        for (std::size_t i = 0; i < items.size(); ++i) {
          auto child = ParseRuleValue(items[i], v::Element(location, logic_name, i), diagnostics);
          if (child) impl->children.push_back(std::move(child));
        }
      }
    }
    if (diagnostics.size() != errors_before) return nullptr;
    return impl;
  }

  impl->kind = ChoiceRule::Impl::Kind::kCompare;
  impl->op = op;
  if (variable == nullptr) {
    v::AddSchemaError(diagnostics, v::RequiredFields({"Variable"}), std::string(location));
  } else if (!variable->is_string()) {
    v::AddSchemaError(diagnostics, v::ExpectedType("STRING"), v::Child(location, "Variable"));
  } else {
    Result<Path> path = Path::Parse(variable->get_string());
    if (!path) {
      v::AddSchemaError(diagnostics, v::InvalidJsonPath("Variable"),
                        v::Child(location, "Variable"));
    } else {
      impl->variable = std::move(*path);
    }
  }

  const json::Value& operand = rule.at(op_field);
  const std::string operand_location = v::Child(location, op_field);
  if (op_is_path) {
    if (!operand.is_string()) {
      v::AddSchemaError(diagnostics, v::ExpectedType("STRING"), operand_location);
    } else if (Result<Path> path = Path::Parse(operand.get_string()); !path) {
      v::AddSchemaError(diagnostics, v::InvalidJsonPath(op_field), operand_location);
    } else {
      impl->operand_path = std::move(*path);
    }
  } else {
    bool ok = true;
    switch (op->operand) {
      case Operand::kString:
      case Operand::kPattern:
        ok = operand.is_string();
        break;
      case Operand::kTimestamp:
        ok = operand.is_string();
        if (ok) {
          impl->timestamp = ParseIso8601(operand.get_string());
          if (!impl->timestamp) {
            v::AddSchemaError(diagnostics, v::kNotRfc3339, operand_location);
          }
        }
        break;
      case Operand::kNumber:
        ok = operand.is_number();
        break;
      case Operand::kBoolean:
      case Operand::kTypeTest:
        ok = operand.is_bool();
        break;
    }
    if (!ok) {
      v::AddSchemaError(diagnostics, v::ExpectedType(OperandTypeName(op->operand)),
                        operand_location);
    } else {
      impl->operand = operand;
      if (op->operand == Operand::kPattern) impl->pattern = CompilePattern(operand.get_string());
    }
  }
  if (diagnostics.size() != errors_before) return nullptr;
  return impl;
}

}  // namespace

std::optional<ChoiceRule> ChoiceRule::Parse(const json::Value& rule, bool top_level, bool jsonata,
                                            std::string_view location,
                                            std::vector<Diagnostic>& diagnostics) {
  const std::size_t errors_before = diagnostics.size();
  if (!rule.is_object()) {
    v::AddSchemaError(diagnostics, v::ExpectedType("OBJECT"), std::string(location));
    return std::nullopt;
  }
  if (!top_level) {
    auto impl = ParseRuleValue(rule, location, diagnostics);
    if (!impl || diagnostics.size() != errors_before) return std::nullopt;
    ChoiceRule parsed;
    parsed.impl_ = std::move(impl);
    return parsed;
  }

  const json::Object& object = rule.get_object();
  ChoiceRule parsed;

  // Fields of a top-level rule other than the condition itself.
  if (const json::Value* next = json::Find(rule, "Next"); next == nullptr) {
    v::AddSchemaError(diagnostics, v::RequiredFields({"Next"}), std::string(location));
  } else if (!next->is_string()) {
    v::AddSchemaError(diagnostics, v::ExpectedType("STRING"), v::Child(location, "Next"));
  } else {
    parsed.next_ = std::string(next->get_string());
  }
  if (const json::Value* assign = json::Find(rule, "Assign"); assign != nullptr) {
    if (!assign->is_object()) {
      v::AddSchemaError(diagnostics, v::ExpectedType("OBJECT"), v::Child(location, "Assign"));
    } else {
      parsed.assign_ = *assign;
      v::CheckAssignNames(*assign, jsonata, v::Child(location, "Assign"), diagnostics);
    }
  }
  if (const json::Value* comment = json::Find(rule, "Comment");
      comment != nullptr && !comment->is_string()) {
    v::AddSchemaError(diagnostics, v::ExpectedType("STRING"), v::Child(location, "Comment"));
  }

  if (jsonata) {
    // JSONata rules are a Condition; the engine evaluates it with Output and Assign.
    for (const auto& member : object) {
      const std::string_view key = member.key();
      if (key == "Next" || key == "Assign" || key == "Comment" || key == "Condition" ||
          key == "Output") {
        continue;
      }
      bool is_path = false;
      if (key == "Variable" || key == "And" || key == "Or" || key == "Not" ||
          FindOperator(key, is_path) != nullptr) {
        v::AddSchemaError(diagnostics, v::JsonPathOnlyField(key), std::string(location));
      } else {
        v::AddSchemaError(diagnostics, v::NotSupported(key), std::string(location));
      }
    }
    const json::Value* condition = json::Find(rule, "Condition");
    if (condition == nullptr) {
      v::AddSchemaError(diagnostics, v::RequiredFields({"Condition"}), std::string(location));
    } else if (!condition->is_bool() && !v::IsJsonataExpression(*condition)) {
      v::AddSchemaError(diagnostics, v::ExpectedType("BOOLEAN"),
                        v::Child(location, "Condition"));
    } else {
      parsed.condition_ = *condition;
    }
    if (const json::Value* output = json::Find(rule, "Output"); output != nullptr) {
      parsed.output_ = *output;
      parsed.has_output_ = true;
    }
    if (diagnostics.size() != errors_before) return std::nullopt;
    return parsed;
  }

  for (const auto& member : object) {
    const std::string_view key = member.key();
    if (key == "Output" || key == "Condition") {
      v::AddSchemaError(diagnostics, v::JsonataOnlyField(key), std::string(location));
    }
  }
  parsed.impl_ = ParseJsonPathRule(object, location, diagnostics);
  if (!parsed.impl_ || diagnostics.size() != errors_before) return std::nullopt;
  return parsed;
}

Outcome<bool> ChoiceRule::Evaluate(const Scope& scope) const {
  if (!impl_) {
    // JSONata rules are evaluated by the engine; reaching here is a caller bug, reported as a
    // workflow failure rather than a crash.
    return Failed(errors::kRuntime, "A JSONata Choice rule has no JSONPath condition");
  }
  return impl_->Evaluate(scope);
}

}  // namespace stepway::asl
