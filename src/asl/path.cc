#include "asl/path.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <regex>
#include <utility>

#include "asl/jsonpath_internal.h"

namespace stepway::asl {
namespace jsonpath {
namespace {

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// ---------------------------------------------------------------------------------------------
// Filter expressions: [?( ... )]

struct Operand {
  enum class Kind { kCurrentPath, kRootPath, kLiteral, kRegex };
  Kind kind = Kind::kLiteral;
  Chain chain;
  json::Value literal;
  std::shared_ptr<const std::regex> regex;
};

}  // namespace

struct FilterExpr {
  enum class Kind { kAnd, kOr, kNot, kCompare, kExists };
  Kind kind = Kind::kExists;
  std::shared_ptr<const FilterExpr> left, right;  // kAnd, kOr; left only for kNot
  Operand a, b;                                   // kCompare (a op b); kExists (a)
  std::string op;
};

namespace {

class FilterParser {
 public:
  explicit FilterParser(std::string_view s) : s_(s) {}

  std::shared_ptr<const FilterExpr> Parse(std::string& error) {
    auto e = ParseOr();
    SkipSpace();
    if (e && i_ != s_.size()) Error("unexpected '" + std::string(1, s_[i_]) + "' in filter");
    if (!error_.empty()) {
      error = error_;
      return nullptr;
    }
    return e;
  }

 private:
  void Error(std::string message) {
    if (error_.empty()) error_ = std::move(message);
  }
  void SkipSpace() {
    while (i_ < s_.size() && IsSpace(s_[i_])) ++i_;
  }
  bool Eat(std::string_view token) {
    SkipSpace();
    if (s_.substr(i_, token.size()) != token) return false;
    i_ += token.size();
    return true;
  }

  std::shared_ptr<const FilterExpr> ParseOr() {
    auto left = ParseAnd();
    while (left && Eat("||")) {
      auto right = ParseAnd();
      if (!right) return nullptr;
      auto e = std::make_shared<FilterExpr>();
      e->kind = FilterExpr::Kind::kOr;
      e->left = std::move(left);
      e->right = std::move(right);
      left = std::move(e);
    }
    return left;
  }

  std::shared_ptr<const FilterExpr> ParseAnd() {
    auto left = ParseUnary();
    while (left && Eat("&&")) {
      auto right = ParseUnary();
      if (!right) return nullptr;
      auto e = std::make_shared<FilterExpr>();
      e->kind = FilterExpr::Kind::kAnd;
      e->left = std::move(left);
      e->right = std::move(right);
      left = std::move(e);
    }
    return left;
  }

  std::shared_ptr<const FilterExpr> ParseUnary() {
    SkipSpace();
    // Definitions are user input: bound the recursion that "((((..." or "!!!!..." would cause.
    if (++depth_ > kMaxFilterNesting) {
      Error("filter nested too deeply");
      return nullptr;
    }
    auto e = ParseUnaryInner();
    --depth_;
    return e;
  }

  std::shared_ptr<const FilterExpr> ParseUnaryInner() {
    if (i_ < s_.size() && s_[i_] == '!' && (i_ + 1 >= s_.size() || s_[i_ + 1] != '=')) {
      ++i_;
      auto inner = ParseUnary();
      if (!inner) return nullptr;
      auto e = std::make_shared<FilterExpr>();
      e->kind = FilterExpr::Kind::kNot;
      e->left = std::move(inner);
      return e;
    }
    if (i_ < s_.size() && s_[i_] == '(') {
      ++i_;
      auto inner = ParseOr();
      if (!inner) return nullptr;
      if (!Eat(")")) {
        Error("missing ')' in filter");
        return nullptr;
      }
      return inner;
    }
    return ParseRelation();
  }

  std::shared_ptr<const FilterExpr> ParseRelation() {
    auto e = std::make_shared<FilterExpr>();
    if (!ParseOperand(e->a)) return nullptr;
    SkipSpace();
    static constexpr std::string_view kSymbolOps[] = {"==", "!=", "<=", ">=", "=~", "<", ">"};
    static constexpr std::string_view kWordOps[] = {"subsetof", "contains", "noneof", "anyof",
                                                    "empty",    "size",     "nin",    "in"};
    for (std::string_view op : kSymbolOps) {
      if (s_.substr(i_, op.size()) == op) {
        e->op = op;
        i_ += op.size();
        break;
      }
    }
    if (e->op.empty()) {
      for (std::string_view op : kWordOps) {
        const std::size_t end = i_ + op.size();
        if (s_.substr(i_, op.size()) == op &&
            (end >= s_.size() || !std::isalnum(static_cast<unsigned char>(s_[end])))) {
          e->op = op;
          i_ = end;
          break;
        }
      }
    }
    if (e->op.empty()) {
      if (e->a.kind != Operand::Kind::kCurrentPath && e->a.kind != Operand::Kind::kRootPath) {
        Error("a filter needs a comparison or a path");
        return nullptr;
      }
      e->kind = FilterExpr::Kind::kExists;
      return e;
    }
    e->kind = FilterExpr::Kind::kCompare;
    if (!ParseOperand(e->b)) return nullptr;
    return e;
  }

  // The extent of a path operand: up to whitespace, an operator or an unmatched ')'.
  std::string_view PathExtent() {
    const std::size_t start = i_;
    int depth = 0;
    char quote = 0;
    for (; i_ < s_.size(); ++i_) {
      const char c = s_[i_];
      if (quote) {
        if (c == '\\') {
          ++i_;
        } else if (c == quote) {
          quote = 0;
        }
        continue;
      }
      if (c == '\'' || c == '"') {
        quote = c;
      } else if (c == '[' || c == '(') {
        ++depth;
      } else if (c == ']' || c == ')') {
        if (depth == 0) break;
        --depth;
      } else if (depth == 0 && (IsSpace(c) || c == '=' || c == '!' || c == '<' || c == '>' ||
                                c == '&' || c == '|')) {
        break;
      }
    }
    return s_.substr(start, i_ - start);
  }

  bool ParseOperand(Operand& out) {
    SkipSpace();
    if (i_ >= s_.size()) {
      Error("unexpected end of filter");
      return false;
    }
    const char c = s_[i_];
    if (c == '@' || c == '$') {
      std::string_view text = PathExtent();
      out.kind = c == '@' ? Operand::Kind::kCurrentPath : Operand::Kind::kRootPath;
      if (auto err = ParseChain(text.substr(1), out.chain)) {
        Error(*err);
        return false;
      }
      return true;
    }
    if (c == '\'' || c == '"') {
      std::string value;
      ++i_;
      for (; i_ < s_.size() && s_[i_] != c; ++i_) {
        if (s_[i_] == '\\' && i_ + 1 < s_.size()) ++i_;
        value += s_[i_];
      }
      if (i_ >= s_.size()) {
        Error("unterminated string in filter");
        return false;
      }
      ++i_;
      out.kind = Operand::Kind::kLiteral;
      out.literal = json::String(value);
      return true;
    }
    if (c == '/') {
      std::string pattern;
      ++i_;
      for (; i_ < s_.size() && s_[i_] != '/'; ++i_) {
        if (s_[i_] == '\\' && i_ + 1 < s_.size()) pattern += s_[i_++];
        pattern += s_[i_];
      }
      if (i_ >= s_.size()) {
        Error("unterminated regular expression in filter");
        return false;
      }
      ++i_;
      auto flags = std::regex::ECMAScript;
      while (i_ < s_.size() && std::isalpha(static_cast<unsigned char>(s_[i_]))) {
        if (s_[i_] == 'i') flags |= std::regex::icase;
        ++i_;
      }
      try {
        out.regex = std::make_shared<const std::regex>(pattern, flags);
      } catch (const std::regex_error&) {
        Error("invalid regular expression /" + pattern + "/");
        return false;
      }
      out.kind = Operand::Kind::kRegex;
      return true;
    }
    if (c == '[' || c == '{') {
      // A JSON literal; Jayway also takes single-quoted strings inside it.
      const std::size_t start = i_;
      int depth = 0;
      char quote = 0;
      for (; i_ < s_.size(); ++i_) {
        const char d = s_[i_];
        if (quote) {
          if (d == '\\') {
            ++i_;
          } else if (d == quote) {
            quote = 0;
          }
          continue;
        }
        if (d == '\'' || d == '"') quote = d;
        if (d == '[' || d == '{') ++depth;
        if ((d == ']' || d == '}') && --depth == 0) {
          ++i_;
          break;
        }
      }
      std::string text(s_.substr(start, i_ - start));
      auto parsed = json::Parse(text);
      if (!parsed) {
        std::replace(text.begin(), text.end(), '\'', '"');
        parsed = json::Parse(text);
      }
      if (!parsed) {
        Error("invalid JSON literal in filter: " + text);
        return false;
      }
      out.kind = Operand::Kind::kLiteral;
      out.literal = std::move(*parsed);
      return true;
    }
    for (std::string_view word : {"true", "false", "null"}) {
      if (s_.substr(i_, word.size()) == word) {
        i_ += word.size();
        out.kind = Operand::Kind::kLiteral;
        out.literal = word == "null" ? json::Value(nullptr) : json::Value(word == "true");
        return true;
      }
    }
    if (c == '-' || std::isdigit(static_cast<unsigned char>(c))) {
      const std::size_t start = i_;
      ++i_;
      while (i_ < s_.size() && (std::isdigit(static_cast<unsigned char>(s_[i_])) ||
                                s_[i_] == '.' || s_[i_] == 'e' || s_[i_] == 'E' ||
                                ((s_[i_] == '-' || s_[i_] == '+') &&
                                 (s_[i_ - 1] == 'e' || s_[i_ - 1] == 'E')))) {
        ++i_;
      }
      auto parsed = json::Parse(s_.substr(start, i_ - start));
      if (!parsed || !parsed->is_number()) {
        Error("invalid number in filter");
        return false;
      }
      out.kind = Operand::Kind::kLiteral;
      out.literal = std::move(*parsed);
      return true;
    }
    Error("unexpected '" + std::string(1, c) + "' in filter");
    return false;
  }

  static constexpr int kMaxFilterNesting = 64;
  std::string_view s_;
  std::size_t i_ = 0;
  int depth_ = 0;
  std::string error_;
};

// Filters hold paths that may hold filters; bounds that recursion too.
thread_local int g_filter_nesting = 0;
constexpr int kMaxNestedFilters = 16;

// ---------------------------------------------------------------------------------------------
// Filter evaluation (Jayway's evaluators).

std::optional<double> AsNumber(const json::Value& v) {
  if (v.is_number()) return json::AsDouble(v);
  if (v.is_string()) {
    const std::string s(v.get_string());
    if (s.empty()) return std::nullopt;
    char* end = nullptr;
    const double d = std::strtod(s.c_str(), &end);
    if (end == s.c_str() + s.size()) return d;
  }
  return std::nullopt;
}

// Jayway compares a number with a string that holds a number as numbers.
bool FilterEquals(const json::Value& a, const json::Value& b) {
  if ((a.is_number() && b.is_string()) || (a.is_string() && b.is_number())) {
    auto x = AsNumber(a), y = AsNumber(b);
    return x && y && *x == *y;
  }
  return json::Equal(a, b);
}

bool ArrayHas(const json::Array& array, const json::Value& v) {
  return std::any_of(array.begin(), array.end(),
                     [&](const json::Value& e) { return FilterEquals(e, v); });
}

std::optional<json::Value> OperandValue(const Operand& o, const json::Value& current,
                                        const json::Value& root) {
  switch (o.kind) {
    case Operand::Kind::kLiteral: return o.literal;
    case Operand::Kind::kRegex: return std::nullopt;
    case Operand::Kind::kCurrentPath:
    case Operand::Kind::kRootPath: {
      Matches m = Evaluate(o.chain, o.kind == Operand::Kind::kCurrentPath ? current : root, root);
      if (o.chain.IsDefinite()) {
        if (m.error || m.values.empty()) return std::nullopt;
        return std::move(m.values.front());
      }
      return json::Value(json::Array(m.values.begin(), m.values.end()));
    }
  }
  return std::nullopt;
}

bool Compare(const std::string& op, const std::optional<json::Value>& a, const Operand& b_operand,
             const std::optional<json::Value>& b) {
  if (op == "!=") return !Compare("==", a, b_operand, b);
  if (op == "nin") {
    if (!b || !b->is_array()) return false;
    return !a || !ArrayHas(b->get_array(), *a);
  }
  if (op == "=~") {
    if (!a || !a->is_string() || !b_operand.regex) return false;
    const std::string s(a->get_string());
    return std::regex_match(s, *b_operand.regex);
  }
  if (!a || !b) return false;
  if (op == "==") return FilterEquals(*a, *b);
  if (op == "<" || op == "<=" || op == ">" || op == ">=") {
    int cmp;
    if (a->is_number() && b->is_number()) {
      const double x = json::AsDouble(*a), y = json::AsDouble(*b);
      cmp = x < y ? -1 : (x > y ? 1 : 0);
    } else if (a->is_string() && b->is_string()) {
      const int c = a->get_string().compare(b->get_string());
      cmp = c < 0 ? -1 : (c > 0 ? 1 : 0);
    } else {
      return false;
    }
    if (op == "<") return cmp < 0;
    if (op == "<=") return cmp <= 0;
    if (op == ">") return cmp > 0;
    return cmp >= 0;
  }
  if (op == "in") return b->is_array() && ArrayHas(b->get_array(), *a);
  if (op == "subsetof" || op == "anyof" || op == "noneof") {
    if (!a->is_array() || !b->is_array()) return false;
    const json::Array& left = a->get_array();
    const json::Array& right = b->get_array();
    if (op == "subsetof") {
      return std::all_of(left.begin(), left.end(),
                         [&](const json::Value& e) { return ArrayHas(right, e); });
    }
    const bool any = std::any_of(left.begin(), left.end(),
                                 [&](const json::Value& e) { return ArrayHas(right, e); });
    return op == "anyof" ? any : !any;
  }
  if (op == "size") {
    std::int64_t n;
    if (!json::AsInt64(*b, n)) return false;
    if (a->is_array()) return std::int64_t(a->get_array().size()) == n;
    if (a->is_string()) return std::int64_t(json::CodePointCount(a->get_string())) == n;
    return false;
  }
  if (op == "empty") {
    if (!b->is_bool()) return false;
    if (a->is_array()) return a->get_array().empty() == b->get_bool();
    if (a->is_string()) return a->get_string().empty() == b->get_bool();
    return false;
  }
  if (op == "contains") {
    if (a->is_string() && b->is_string()) {
      return std::string_view(a->get_string()).find(std::string_view(b->get_string())) !=
             std::string_view::npos;
    }
    if (a->is_array()) return ArrayHas(a->get_array(), *b);
    return false;
  }
  return false;
}

bool FilterMatches(const FilterExpr& e, const json::Value& current, const json::Value& root) {
  switch (e.kind) {
    case FilterExpr::Kind::kAnd:
      return FilterMatches(*e.left, current, root) && FilterMatches(*e.right, current, root);
    case FilterExpr::Kind::kOr:
      return FilterMatches(*e.left, current, root) || FilterMatches(*e.right, current, root);
    case FilterExpr::Kind::kNot: return !FilterMatches(*e.left, current, root);
    case FilterExpr::Kind::kExists: return OperandValue(e.a, current, root).has_value();
    case FilterExpr::Kind::kCompare:
      return Compare(e.op, OperandValue(e.a, current, root), e.b,
                     OperandValue(e.b, current, root));
  }
  return false;
}

// ---------------------------------------------------------------------------------------------
// Path parsing.

class ChainParser {
 public:
  explicit ChainParser(std::string_view s) : s_(s) {}

  std::optional<std::string> Parse(Chain& out) {
    while (i_ < s_.size()) {
      Step step;
      const char c = s_[i_];
      if (c == '.') {
        if (i_ + 1 < s_.size() && s_[i_ + 1] == '.') {
          step.scan = true;
          i_ += 2;
        } else {
          ++i_;
        }
        if (i_ >= s_.size()) return "Path must not end with a '.' or '..'";
        if (s_[i_] == '.') return "Unexpected '.' at position " + std::to_string(i_);
        if (s_[i_] == '[') {
          if (auto err = ParseBracket(step)) return err;
        } else if (s_[i_] == '*') {
          step.kind = Step::Kind::kWildcard;
          ++i_;
        } else {
          const std::size_t start = i_;
          while (i_ < s_.size() && s_[i_] != '.' && s_[i_] != '[' && s_[i_] != '(' &&
                 !IsSpace(s_[i_])) {
            ++i_;
          }
          std::string name(s_.substr(start, i_ - start));
          if (name.empty()) return "Empty property name at position " + std::to_string(start);
          if (i_ < s_.size() && s_[i_] == '(') {
            if (step.scan) return "Functions cannot follow '..'";
            if (i_ + 1 >= s_.size() || s_[i_ + 1] != ')') {
              return "Function " + name + "() takes no arguments";
            }
            i_ += 2;
            static constexpr std::string_view kFunctions[] = {
                "length", "size", "min", "max", "avg", "sum", "stddev", "keys", "first", "last"};
            if (std::find(std::begin(kFunctions), std::end(kFunctions), name) ==
                std::end(kFunctions)) {
              return "Function with name: " + name + " does not exist.";
            }
            if (i_ != s_.size()) return "A function must be the last step of a path";
            step.kind = Step::Kind::kFunction;
            step.function = std::move(name);
          } else {
            step.kind = Step::Kind::kProperty;
            step.names.push_back(std::move(name));
          }
        }
      } else if (c == '[') {
        if (auto err = ParseBracket(step)) return err;
      } else {
        return "Unexpected '" + std::string(1, c) + "' at position " + std::to_string(i_);
      }
      out.steps.push_back(std::move(step));
    }
    return std::nullopt;
  }

 private:
  void SkipSpace() {
    while (i_ < s_.size() && IsSpace(s_[i_])) ++i_;
  }

  std::optional<std::string> ExpectClose() {
    SkipSpace();
    if (i_ >= s_.size() || s_[i_] != ']') {
      return "Expected ']' at position " + std::to_string(i_);
    }
    ++i_;
    return std::nullopt;
  }

  // Parses "[...]" at i_ into `step` (keeping step.scan).
  std::optional<std::string> ParseBracket(Step& step) {
    ++i_;  // '['
    SkipSpace();
    if (i_ >= s_.size()) return "Unterminated '['";
    const char c = s_[i_];
    if (c == '*') {
      ++i_;
      step.kind = Step::Kind::kWildcard;
      return ExpectClose();
    }
    if (c == '?') {
      ++i_;
      SkipSpace();
      if (i_ >= s_.size() || s_[i_] != '(') return "Expected '(' after '[?'";
      const std::size_t start = ++i_;
      int depth = 1;
      char quote = 0;
      for (; i_ < s_.size(); ++i_) {
        const char d = s_[i_];
        if (quote) {
          if (d == '\\') {
            ++i_;
          } else if (d == quote) {
            quote = 0;
          }
          continue;
        }
        if (d == '\'' || d == '"') {
          quote = d;
        } else if (d == '(') {
          ++depth;
        } else if (d == ')' && --depth == 0) {
          break;
        }
      }
      if (i_ >= s_.size()) return "Unterminated filter";
      std::string_view body = s_.substr(start, i_ - start);
      ++i_;  // ')'
      std::string error;
      if (g_filter_nesting >= kMaxNestedFilters) return "Filters nested too deeply";
      ++g_filter_nesting;
      FilterParser parser(body);
      step.filter = parser.Parse(error);
      --g_filter_nesting;
      if (!step.filter) return "Invalid filter [?(" + std::string(body) + ")]: " + error;
      step.kind = Step::Kind::kFilter;
      return ExpectClose();
    }
    if (c == '\'' || c == '"') {
      // Member names, kept as written: AWS does not unescape them ($['a\"b'] names `a\"b`).
      step.kind = Step::Kind::kProperty;
      while (true) {
        SkipSpace();
        if (i_ >= s_.size() || (s_[i_] != '\'' && s_[i_] != '"')) {
          return "Expected a quoted name at position " + std::to_string(i_);
        }
        const char quote = s_[i_++];
        const std::size_t start = i_;
        while (i_ < s_.size() && s_[i_] != quote) {
          if (s_[i_] == '\\') ++i_;
          ++i_;
        }
        if (i_ >= s_.size()) return "Unterminated quoted name";
        step.names.emplace_back(s_.substr(start, i_ - start));
        ++i_;
        SkipSpace();
        if (i_ < s_.size() && s_[i_] == ',') {
          ++i_;
          continue;
        }
        return ExpectClose();
      }
    }
    // Indexes or a slice.
    const std::size_t start = i_;
    while (i_ < s_.size() && s_[i_] != ']') ++i_;
    if (i_ >= s_.size()) return "Unterminated '['";
    std::string body(s_.substr(start, i_ - start));
    ++i_;
    body.erase(std::remove_if(body.begin(), body.end(), IsSpace), body.end());
    auto parse_int = [](std::string_view t, long& out) {
      if (t.empty() || t.size() > 18) return false;
      std::size_t k = t[0] == '-' ? 1 : 0;
      if (k == t.size()) return false;
      for (std::size_t j = k; j < t.size(); ++j) {
        if (!std::isdigit(static_cast<unsigned char>(t[j]))) return false;
      }
      out = std::strtol(std::string(t).c_str(), nullptr, 10);
      return true;
    };
    if (const std::size_t colon = body.find(':'); colon != std::string::npos) {
      std::string_view from = std::string_view(body).substr(0, colon);
      std::string_view to = std::string_view(body).substr(colon + 1);
      if (to.find(':') != std::string_view::npos) return "Slices with a step are not supported";
      step.kind = Step::Kind::kSlice;
      long v;
      if (!from.empty()) {
        if (!parse_int(from, v)) return "Invalid slice [" + body + "]";
        step.slice_from = v;
      }
      if (!to.empty()) {
        if (!parse_int(to, v)) return "Invalid slice [" + body + "]";
        step.slice_to = v;
      }
      return std::nullopt;
    }
    step.kind = Step::Kind::kIndex;
    std::size_t pos = 0;
    while (true) {
      const std::size_t comma = body.find(',', pos);
      std::string_view part = std::string_view(body).substr(
          pos, comma == std::string::npos ? std::string::npos : comma - pos);
      long v;
      if (!parse_int(part, v)) return "Invalid array index [" + body + "]";
      step.indexes.push_back(v);
      if (comma == std::string::npos) break;
      pos = comma + 1;
    }
    return std::nullopt;
  }

  std::string_view s_;
  std::size_t i_ = 0;
};

// ---------------------------------------------------------------------------------------------
// Evaluation.

// What Jayway (on Jackson) names the Java class of a value in its messages.
std::string JavaClassName(const json::Value& v) {
  switch (v.kind()) {
    case json::Kind::null: return "null";
    case json::Kind::bool_: return "java.lang.Boolean";
    case json::Kind::int64:
    case json::Kind::uint64: return "java.lang.Integer";
    case json::Kind::double_: return "java.lang.Double";
    case json::Kind::string: return "java.lang.String";
    case json::Kind::array: return "java.util.ArrayList";
    case json::Kind::object: return "java.util.LinkedHashMap";
  }
  return "null";
}

std::string QuoteName(std::string_view name) { return "['" + std::string(name) + "']"; }

class Evaluator {
 public:
  Evaluator(const Chain& chain, const json::Value& root) : chain_(chain), root_(root) {
    upstream_definite_.resize(chain.steps.size() + 1, true);
    for (std::size_t i = 1; i <= chain.steps.size(); ++i) {
      upstream_definite_[i] = upstream_definite_[i - 1] && StepDefinite(i - 1);
    }
  }

  Matches Run(const json::Value& node, std::size_t end) {
    end_ = end;
    Walk(node, 0, "$");
    return std::move(out_);
  }

 private:
  bool IsLeaf(std::size_t i) const { return i + 1 == end_; }
  bool StepDefinite(std::size_t i) const {
    return chain_.steps[i].IsDefinite(i + 1 == chain_.steps.size());
  }
  bool Throws(std::size_t i) const { return upstream_definite_[i] && StepDefinite(i); }
  void Fail(std::string message) {
    if (!out_.error) out_.error = std::move(message);
  }

  void Walk(const json::Value& node, std::size_t i, const std::string& path) {
    if (out_.error) return;
    if (i == end_) {
      out_.values.push_back(node);
      return;
    }
    if (chain_.steps[i].scan) {
      Scan(node, i, path);
    } else {
      Apply(node, i, path);
    }
  }

  void Property(const json::Object& object, const std::string& name, std::size_t i,
                const std::string& path) {
    const std::string eval_path = path + QuoteName(name);
    auto it = object.find(name);
    if (it == object.end()) {
      // A missing leaf gives no match (the caller reports "No results" for a definite path); a
      // missing member in the middle of a definite path is Jayway's "Missing property".
      if (!IsLeaf(i) && Throws(i)) Fail("Missing property in path " + eval_path);
      return;
    }
    Walk(it->value(), i + 1, eval_path);
  }

  bool CheckArray(const json::Value& node, std::size_t i, const std::string& path) {
    if (node.is_array()) return true;
    if (Throws(i)) {
      if (node.is_null()) {
        Fail("The path " + path + " is null");
      } else {
        Fail("Filter: " + chain_.steps[i].Canonical() +
             " can only be applied to arrays. Current context is: " + json::Serialize(node));
      }
    }
    return false;
  }

  void Index(const json::Array& array, long index, std::size_t i, const std::string& path) {
    const long size = long(array.size());
    const long effective = index < 0 ? size + index : index;
    if (effective < 0 || effective >= size) return;
    Walk(array[std::size_t(effective)], i + 1, path + "[" + std::to_string(effective) + "]");
  }

  void Apply(const json::Value& node, std::size_t i, const std::string& path) {
    const Step& step = chain_.steps[i];
    switch (step.kind) {
      case Step::Kind::kProperty: {
        if (!node.is_object()) {
          if (Throws(i)) {
            Fail("Expected to find an object with property " + step.Canonical() + " in path " +
                 path + " but found '" + JavaClassName(node) +
                 "'. This is not a json object according to the JsonProvider: "
                 "'com.jayway.jsonpath.spi.json.JacksonJsonProvider'.");
          }
          return;
        }
        const json::Object& object = node.get_object();
        if (step.names.size() == 1) {
          Property(object, step.names.front(), i, path);
        } else if (IsLeaf(i)) {
          // Jayway merges several members named at the end of a path into one object.
          json::Object merged;
          for (const std::string& name : step.names) {
            if (auto it = object.find(name); it != object.end()) merged[name] = it->value();
          }
          Walk(json::Value(std::move(merged)), i + 1, path + step.Canonical());
        } else {
          for (const std::string& name : step.names) Property(object, name, i, path);
        }
        return;
      }
      case Step::Kind::kWildcard:
        if (node.is_object()) {
          for (const auto& member : node.get_object()) {
            Walk(member.value(), i + 1, path + QuoteName(member.key()));
          }
        } else if (node.is_array()) {
          const json::Array& array = node.get_array();
          for (std::size_t k = 0; k < array.size(); ++k) {
            Walk(array[k], i + 1, path + "[" + std::to_string(k) + "]");
          }
        }
        return;
      case Step::Kind::kIndex:
        if (!CheckArray(node, i, path)) return;
        for (long index : step.indexes) Index(node.get_array(), index, i, path);
        return;
      case Step::Kind::kSlice: {
        if (!CheckArray(node, i, path)) return;
        const json::Array& array = node.get_array();
        const long size = long(array.size());
        long from = step.slice_from.value_or(0);
        long to = step.slice_to.value_or(size);
        if (from < 0) from = std::max(0L, size + from);
        if (to < 0) to = size + to;
        to = std::min(to, size);
        for (long k = from; k < to; ++k) Index(array, k, i, path);
        return;
      }
      case Step::Kind::kFilter:
        if (node.is_object()) {
          if (FilterMatches(*step.filter, node, root_)) Walk(node, i + 1, path);
        } else if (node.is_array()) {
          const json::Array& array = node.get_array();
          for (std::size_t k = 0; k < array.size(); ++k) {
            if (FilterMatches(*step.filter, array[k], root_)) {
              Walk(array[k], i + 1, path + "[" + std::to_string(k) + "]");
            }
          }
        }
        return;
      case Step::Kind::kFunction: return;  // handled by Evaluate()
    }
  }

  // Recursive descent: the step applies to this node when it could match here, and then to
  // every descendant, in document order.
  void Scan(const json::Value& node, std::size_t i, const std::string& path) {
    const Step& step = chain_.steps[i];
    bool applies = false;
    switch (step.kind) {
      case Step::Kind::kProperty:
        applies = node.is_object() &&
                  (step.names.size() > 1 ||
                   std::all_of(step.names.begin(), step.names.end(), [&](const std::string& n) {
                     return node.get_object().contains(n);
                   }));
        break;
      case Step::Kind::kWildcard: applies = true; break;
      case Step::Kind::kIndex:
      case Step::Kind::kSlice: applies = node.is_array(); break;
      case Step::Kind::kFilter:
        if (node.is_object() && FilterMatches(*step.filter, node, root_)) {
          Walk(node, i + 1, path);
        }
        break;
      case Step::Kind::kFunction: break;
    }
    if (applies) Apply(node, i, path);
    if (node.is_object()) {
      for (const auto& member : node.get_object()) {
        Scan(member.value(), i, path + QuoteName(member.key()));
      }
    } else if (node.is_array()) {
      const json::Array& array = node.get_array();
      for (std::size_t k = 0; k < array.size(); ++k) {
        Scan(array[k], i, path + "[" + std::to_string(k) + "]");
      }
    }
  }

  const Chain& chain_;
  const json::Value& root_;
  std::vector<bool> upstream_definite_;
  std::size_t end_ = 0;
  Matches out_;
};

// Jayway's path functions, applied to what the path before them selects.
std::optional<json::Value> ApplyFunction(const std::string& name, const json::Value& v,
                                         std::string& error) {
  if (name == "length" || name == "size") {
    if (v.is_array()) return json::Value(std::int64_t(v.get_array().size()));
    if (v.is_object()) return json::Value(std::int64_t(v.get_object().size()));
    if (v.is_string()) return json::Value(std::int64_t(json::CodePointCount(v.get_string())));
    error = "Function " + name + "() can only be applied to arrays, objects and strings";
    return std::nullopt;
  }
  if (name == "keys") {
    if (!v.is_object()) {
      error = "Function keys() can only be applied to objects";
      return std::nullopt;
    }
    json::Array keys;
    for (const auto& member : v.get_object()) keys.emplace_back(json::String(member.key()));
    return json::Value(std::move(keys));
  }
  if (!v.is_array()) {
    error = "Aggregation function attempted to calculate value using empty array";
    return std::nullopt;
  }
  const json::Array& array = v.get_array();
  if (name == "first" || name == "last") {
    if (array.empty()) {
      error = "Function " + name + "() on an empty array";
      return std::nullopt;
    }
    return name == "first" ? array.front() : array.back();
  }
  std::vector<double> numbers;
  for (const json::Value& e : array) {
    if (e.is_number()) numbers.push_back(json::AsDouble(e));
  }
  if (numbers.empty()) {
    error = "Aggregation function attempted to calculate value using empty array";
    return std::nullopt;
  }
  double sum = 0;
  for (double d : numbers) sum += d;
  const double n = double(numbers.size());
  if (name == "sum") return json::Value(sum);
  if (name == "avg") return json::Value(sum / n);
  if (name == "min") return json::Value(*std::min_element(numbers.begin(), numbers.end()));
  if (name == "max") return json::Value(*std::max_element(numbers.begin(), numbers.end()));
  // stddev: population standard deviation, as Jayway computes it.
  double squares = 0;
  for (double d : numbers) squares += d * d;
  return json::Value(std::sqrt(squares / n - (sum / n) * (sum / n)));
}

}  // namespace

bool Step::IsDefinite(bool leaf) const {
  if (scan) return false;
  switch (kind) {
    case Kind::kProperty: return names.size() == 1 || leaf;
    case Kind::kIndex: return indexes.size() == 1;
    case Kind::kFunction: return true;
    case Kind::kWildcard:
    case Kind::kSlice:
    case Kind::kFilter: return false;
  }
  return false;
}

std::string Step::Canonical() const {
  std::string out = scan ? ".." : "";
  switch (kind) {
    case Kind::kProperty: {
      out += '[';
      for (std::size_t k = 0; k < names.size(); ++k) {
        if (k) out += ',';
        out += "'" + names[k] + "'";
      }
      out += ']';
      break;
    }
    case Kind::kWildcard: out += "[*]"; break;
    case Kind::kIndex: {
      out += '[';
      for (std::size_t k = 0; k < indexes.size(); ++k) {
        if (k) out += ',';
        out += std::to_string(indexes[k]);
      }
      out += ']';
      break;
    }
    case Kind::kSlice:
      out += '[';
      if (slice_from) out += std::to_string(*slice_from);
      out += ':';
      if (slice_to) out += std::to_string(*slice_to);
      out += ']';
      break;
    case Kind::kFilter: out += "[?]"; break;
    case Kind::kFunction: out += "." + function + "()"; break;
  }
  return out;
}

bool Chain::IsDefinite() const {
  if (!steps.empty() && steps.back().kind == Step::Kind::kFunction) return true;
  for (std::size_t i = 0; i < steps.size(); ++i) {
    if (!steps[i].IsDefinite(i + 1 == steps.size())) return false;
  }
  return true;
}

std::string Chain::Canonical(std::string_view root) const {
  std::string out(root);
  for (const Step& step : steps) out += step.Canonical();
  return out;
}

std::optional<std::string> ParseChain(std::string_view text, Chain& out) {
  return ChainParser(text).Parse(out);
}

Matches Evaluate(const Chain& chain, const json::Value& node, const json::Value& root) {
  const bool has_function =
      !chain.steps.empty() && chain.steps.back().kind == Step::Kind::kFunction;
  const std::size_t end = chain.steps.size() - (has_function ? 1 : 0);
  Matches m = Evaluator(chain, root).Run(node, end);
  if (!has_function || m.error) return m;
  Chain prefix;
  prefix.steps.assign(chain.steps.begin(), chain.steps.begin() + long(end));
  json::Value input;
  if (prefix.IsDefinite()) {
    if (m.values.empty()) {
      m.error = "No results for path: " + prefix.Canonical("$");
      return m;
    }
    input = std::move(m.values.front());
  } else {
    input = json::Array(m.values.begin(), m.values.end());
  }
  std::string error;
  auto result = ApplyFunction(chain.steps.back().function, input, error);
  m.values.clear();
  if (!result) {
    m.error = error;
  } else {
    m.values.push_back(std::move(*result));
  }
  return m;
}

}  // namespace jsonpath

// ---------------------------------------------------------------------------------------------
// Path

struct Path::Impl {
  Root root = Root::kInput;
  std::string variable;
  jsonpath::Chain chain;
  bool definite = true;

  // Whether every step is one member name or one non-negative index: such a path is read by
  // walking the document directly, the common case on the hot path.
  bool IsSimple() const {
    for (const jsonpath::Step& step : chain.steps) {
      if (step.scan) return false;
      if (step.kind == jsonpath::Step::Kind::kProperty && step.names.size() == 1) continue;
      if (step.kind == jsonpath::Step::Kind::kIndex && step.indexes.size() == 1 &&
          step.indexes.front() >= 0) {
        continue;
      }
      return false;
    }
    return true;
  }
  // The document the path starts from; nullptr for a variable that is not defined.
  const json::Value* Document(const Scope& scope) const {
    switch (root) {
      case Root::kInput: return &scope.input;
      case Root::kContext: return &scope.context;
      case Root::kVariable: return scope.variables ? scope.variables->Lookup(variable) : nullptr;
    }
    return nullptr;
  }
  // Walks a simple path; nullptr when a step finds nothing.
  const json::Value* Walk(const json::Value& document) const {
    const json::Value* node = &document;
    for (const jsonpath::Step& step : chain.steps) {
      if (step.kind == jsonpath::Step::Kind::kProperty) {
        node = node->is_object()
                   ? json::FindMember(node->get_object(), step.names.front(), step.hint)
                   : nullptr;
      } else {
        const std::size_t i = std::size_t(step.indexes.front());
        node = node->is_array() && i < node->get_array().size() ? &node->get_array()[i] : nullptr;
      }
      if (node == nullptr) return nullptr;
    }
    return node;
  }
  bool simple = false;
};

namespace {

bool IsVariableChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' ||
         static_cast<unsigned char>(c) >= 0x80;
}

}  // namespace

Result<Path> Path::Parse(std::string_view text) {
  if (text.empty() || text[0] != '$') {
    return Fail(ErrorCode::kInvalidArgument, "A path must begin with '$'");
  }
  auto impl = std::make_shared<Impl>();
  std::string_view rest;
  if (text.size() >= 2 && text[1] == '$') {
    impl->root = Root::kContext;
    rest = text.substr(2);
  } else if (text.size() == 1 || text[1] == '.' || text[1] == '[') {
    impl->root = Root::kInput;
    rest = text.substr(1);
  } else {
    impl->root = Root::kVariable;
    std::size_t end = 1;
    while (end < text.size() && IsVariableChar(text[end])) ++end;
    impl->variable = std::string(text.substr(1, end - 1));
    if (impl->variable.empty() || std::isdigit(static_cast<unsigned char>(impl->variable[0]))) {
      return Fail(ErrorCode::kInvalidArgument,
                  "Invalid variable name in path '" + std::string(text) + "'");
    }
    rest = text.substr(end);
  }
  if (auto err = jsonpath::ParseChain(rest, impl->chain)) {
    return Fail(ErrorCode::kInvalidArgument,
                "Invalid JSONPath '" + std::string(text) + "': " + *err);
  }
  impl->definite = impl->chain.IsDefinite();
  impl->simple = impl->IsSimple();
  return Path(std::string(text), std::move(impl));
}

Result<json::Value> Path::Read(const Scope& scope) const {
  const json::Value* document = impl_->Document(scope);
  if (document == nullptr) {
    return Fail(ErrorCode::kNotFound, "The variable '" + impl_->variable + "' is not defined");
  }
  return ReadFrom(*document);
}

const json::Value* Path::Find(const Scope& scope) const {
  if (!impl_->simple) return nullptr;
  const json::Value* document = impl_->Document(scope);
  return document ? impl_->Walk(*document) : nullptr;
}

Result<json::Value> Path::ReadFrom(const json::Value& document) const {
  if (impl_->simple) {
    if (const json::Value* v = impl_->Walk(document)) return *v;
    // Nothing there: the full evaluator says why, in Jayway's words.
  }
  jsonpath::Matches m = jsonpath::Evaluate(impl_->chain, document, document);
  if (m.error) return Fail(ErrorCode::kNotFound, *m.error);
  if (!impl_->definite) return json::Value(json::Array(m.values.begin(), m.values.end()));
  if (m.values.empty()) return Fail(ErrorCode::kNotFound, "No results for path: " + Canonical());
  return std::move(m.values.front());
}

std::optional<json::Value> Path::Evaluate(const Scope& scope) const {
  auto r = Read(scope);
  if (!r) return std::nullopt;
  return std::move(*r);
}

Path::Root Path::root() const { return impl_->root; }
const std::string& Path::variable() const { return impl_->variable; }
bool Path::is_definite() const { return impl_->definite; }
std::string Path::Canonical() const { return impl_->chain.Canonical("$"); }

Path::Path(const Path&) = default;
Path& Path::operator=(const Path&) = default;
Path::Path(Path&&) noexcept = default;
Path& Path::operator=(Path&&) noexcept = default;
Path::~Path() = default;

// ---------------------------------------------------------------------------------------------
// ReferencePath

Result<ReferencePath> ReferencePath::Parse(std::string_view text) {
  auto invalid = [&](std::string why) {
    return Fail(ErrorCode::kInvalidArgument,
                "Invalid reference path '" + std::string(text) + "': " + why);
  };
  if (text.empty() || text[0] != '$') return invalid("it must begin with '$'");
  if (text.size() > 1 && text[1] != '.' && text[1] != '[') {
    return invalid("only the state input '$' can be referenced");
  }
  jsonpath::Chain chain;
  if (auto err = jsonpath::ParseChain(text.substr(1), chain)) return invalid(*err);
  std::vector<Step> steps;
  for (const jsonpath::Step& s : chain.steps) {
    if (s.scan) return invalid("'..' is not allowed");
    if (s.kind == jsonpath::Step::Kind::kProperty && s.names.size() == 1) {
      steps.push_back(Step{s.names.front(), -1});
    } else if (s.kind == jsonpath::Step::Kind::kIndex && s.indexes.size() == 1 &&
               s.indexes.front() >= 0) {
      steps.push_back(Step{"", s.indexes.front()});
    } else {
      return invalid("only member names and array indexes are allowed");
    }
  }
  return ReferencePath(std::string(text), std::move(steps));
}

Outcome<json::Value> ReferencePath::Apply(json::Value target, json::Value value) const {
  if (steps_.empty()) return value;
  // Check first, so that a failure reports the target as it came in.
  const json::Value* node = &target;
  for (const Step& step : steps_) {
    if (node == nullptr && step.index < 0) continue;  // objects on the way are created
    if (node == nullptr) {
      // An index into an array that does not exist.
      return Failed(errors::kRuntime, "Unable to apply ReferencePath " + text_ + " to input " +
                                          json::Serialize(target));
    }
    bool ok;
    if (step.index < 0) {
      ok = node->is_object();
      node = ok ? json::Find(*node, step.key) : nullptr;
    } else {
      ok = node->is_array() && std::size_t(step.index) < node->get_array().size();
      node = ok ? &node->get_array()[std::size_t(step.index)] : nullptr;
    }
    if (!ok) {
      return Failed(errors::kRuntime, "Unable to apply ReferencePath " + text_ + " to input " +
                                          json::Serialize(target));
    }
  }
  json::Value* cur = &target;
  for (const Step& step : steps_) {
    if (step.index >= 0) {
      cur = &cur->get_array()[std::size_t(step.index)];
    } else {
      if (cur->is_null()) *cur = json::Object();
      cur = &cur->get_object()[step.key];
    }
  }
  *cur = std::move(value);
  return target;
}

}  // namespace stepway::asl
