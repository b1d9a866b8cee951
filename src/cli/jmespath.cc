#include "cli/jmespath.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <functional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace stepway::cli {

enum class NodeKind {
  kField, kSubexpression, kIndex, kSlice, kIndexExpression, kProjection, kValueProjection,
  kFilterProjection, kFlatten, kIdentity, kLiteral, kMultiList, kMultiHash, kOr, kAnd, kNot,
  kComparator, kPipe, kFunction, kExpRef,
};

struct JmesPath::Node {
  NodeKind kind = NodeKind::kIdentity;
  std::string name;  // field name, function name, comparator, hash key
  json::Value value;  // literal
  long index = 0;
  bool has_start = false, has_stop = false, has_step = false;
  long start = 0, stop = 0, step = 1;
  std::vector<std::shared_ptr<Node>> children;
};

namespace {

using Node = JmesPath::Node;
using NodePtr = std::shared_ptr<Node>;

// Errors inside the parser and evaluator; caught at the public functions.
struct JmesError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

NodePtr MakeNode(NodeKind kind, std::vector<NodePtr> children = {}) {
  auto n = std::make_shared<Node>();
  n->kind = kind;
  n->children = std::move(children);
  return n;
}

// --- Lexer ------------------------------------------------------------------------------------

enum class Tok {
  kEof, kUnquoted, kQuoted, kLiteral, kNumber, kDot, kStar, kLbracket, kRbracket, kLbrace,
  kRbrace, kLparen, kRparen, kComma, kColon, kPipe, kOr, kAnd, kNot, kEq, kNe, kLt, kLte, kGt,
  kGte, kAt, kFilter, kFlatten, kExpRef,
};

struct Token {
  Tok type = Tok::kEof;
  std::string text;  // identifier name, comparator
  json::Value value;  // literal value
  long number = 0;
  std::size_t pos = 0;
};

int BindingPower(Tok t) {
  switch (t) {
    case Tok::kPipe: return 1;
    case Tok::kOr: return 2;
    case Tok::kAnd: return 3;
    case Tok::kEq: case Tok::kNe: case Tok::kLt: case Tok::kLte: case Tok::kGt: case Tok::kGte:
      return 5;
    case Tok::kFlatten: return 9;
    case Tok::kStar: return 20;
    case Tok::kFilter: return 21;
    case Tok::kDot: return 40;
    case Tok::kNot: return 45;
    case Tok::kLbrace: return 50;
    case Tok::kLbracket: return 55;
    case Tok::kLparen: return 60;
    default: return 0;
  }
}

[[noreturn]] void SyntaxError(std::string_view what, std::size_t pos) {
  throw JmesError("Invalid jmespath expression: " + std::string(what) + " at position " +
                  std::to_string(pos));
}

std::vector<Token> Lex(std::string_view s) {
  std::vector<Token> out;
  std::size_t i = 0;
  auto push = [&](Tok t, std::size_t pos, std::string text = {}) {
    Token tok;
    tok.type = t;
    tok.pos = pos;
    tok.text = std::move(text);
    out.push_back(std::move(tok));
  };
  // The text up to the unescaped `close`, with \<close> unescaped when `unescape_close`.
  auto delimited = [&](char close, std::size_t start) {
    std::string text;
    std::size_t j = start + 1;
    while (j < s.size() && s[j] != close) {
      if (s[j] == '\\' && j + 1 < s.size()) {
        text += s[j];
        text += s[j + 1];
        j += 2;
        continue;
      }
      text += s[j++];
    }
    if (j >= s.size()) SyntaxError(std::string("unclosed ") + close, start);
    i = j + 1;
    return text;
  };
  while (i < s.size()) {
    const char c = s[i];
    const std::size_t pos = i;
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      ++i;
    } else if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
      std::size_t j = i;
      while (j < s.size() && (std::isalnum(static_cast<unsigned char>(s[j])) || s[j] == '_')) ++j;
      push(Tok::kUnquoted, pos, std::string(s.substr(i, j - i)));
      i = j;
    } else if (std::isdigit(static_cast<unsigned char>(c)) ||
               (c == '-' && i + 1 < s.size() && std::isdigit(static_cast<unsigned char>(s[i + 1])))) {
      std::size_t j = i + 1;
      while (j < s.size() && std::isdigit(static_cast<unsigned char>(s[j]))) ++j;
      Token tok;
      tok.type = Tok::kNumber;
      tok.pos = pos;
      tok.number = std::stol(std::string(s.substr(i, j - i)));
      out.push_back(std::move(tok));
      i = j;
    } else if (c == '"') {
      const std::string raw = delimited('"', pos);
      auto parsed = json::Parse("\"" + raw + "\"");
      if (!parsed || !parsed->is_string()) SyntaxError("invalid quoted identifier", pos);
      push(Tok::kQuoted, pos, std::string(parsed->as_string()));
    } else if (c == '\'') {
      const std::string raw = delimited('\'', pos);
      std::string text;
      for (std::size_t k = 0; k < raw.size(); ++k) {
        if (raw[k] == '\\' && k + 1 < raw.size() && raw[k + 1] == '\'') {
          text += '\'';
          ++k;
        } else {
          text += raw[k];
        }
      }
      Token tok;
      tok.type = Tok::kLiteral;
      tok.pos = pos;
      tok.value = json::String(text);
      out.push_back(std::move(tok));
    } else if (c == '`') {
      std::string raw = delimited('`', pos);
      std::string text;
      for (std::size_t k = 0; k < raw.size(); ++k) {
        if (raw[k] == '\\' && k + 1 < raw.size() && raw[k + 1] == '`') {
          text += '`';
          ++k;
        } else {
          text += raw[k];
        }
      }
      Token tok;
      tok.type = Tok::kLiteral;
      tok.pos = pos;
      if (auto parsed = json::Parse(text)) {
        tok.value = std::move(*parsed);
      } else if (auto quoted = json::Parse("\"" + text + "\"")) {
        tok.value = std::move(*quoted);  // the deprecated `foo` form: a string
      } else {
        SyntaxError("invalid JSON literal", pos);
      }
      out.push_back(std::move(tok));
    } else {
      auto next = [&](char n) { return i + 1 < s.size() && s[i + 1] == n; };
      switch (c) {
        case '.': push(Tok::kDot, pos); ++i; break;
        case '*': push(Tok::kStar, pos); ++i; break;
        case ']': push(Tok::kRbracket, pos); ++i; break;
        case '{': push(Tok::kLbrace, pos); ++i; break;
        case '}': push(Tok::kRbrace, pos); ++i; break;
        case '(': push(Tok::kLparen, pos); ++i; break;
        case ')': push(Tok::kRparen, pos); ++i; break;
        case ',': push(Tok::kComma, pos); ++i; break;
        case ':': push(Tok::kColon, pos); ++i; break;
        case '@': push(Tok::kAt, pos); ++i; break;
        case '[':
          if (next('?')) { push(Tok::kFilter, pos); i += 2; }
          else if (next(']')) { push(Tok::kFlatten, pos); i += 2; }
          else { push(Tok::kLbracket, pos); ++i; }
          break;
        case '|':
          if (next('|')) { push(Tok::kOr, pos); i += 2; }
          else { push(Tok::kPipe, pos); ++i; }
          break;
        case '&':
          if (next('&')) { push(Tok::kAnd, pos); i += 2; }
          else { push(Tok::kExpRef, pos); ++i; }
          break;
        case '!':
          if (next('=')) { push(Tok::kNe, pos, "!="); i += 2; }
          else { push(Tok::kNot, pos); ++i; }
          break;
        case '=':
          if (!next('=')) SyntaxError("unknown token '='", pos);
          push(Tok::kEq, pos, "==");
          i += 2;
          break;
        case '<':
          if (next('=')) { push(Tok::kLte, pos, "<="); i += 2; }
          else { push(Tok::kLt, pos, "<"); ++i; }
          break;
        case '>':
          if (next('=')) { push(Tok::kGte, pos, ">="); i += 2; }
          else { push(Tok::kGt, pos, ">"); ++i; }
          break;
        default:
          SyntaxError(std::string("unknown token '") + c + "'", pos);
      }
    }
  }
  push(Tok::kEof, s.size());
  return out;
}

// --- Parser (top-down operator precedence) ------------------------------------------------------

class Parser {
 public:
  explicit Parser(std::vector<Token> tokens) : tokens_(std::move(tokens)) {}

  NodePtr ParseAll() {
    NodePtr n = Expression(0);
    if (Current() != Tok::kEof) SyntaxError("unexpected token", tokens_[pos_].pos);
    return n;
  }

 private:
  Tok Current() const { return tokens_[pos_].type; }
  Tok Lookahead(std::size_t n) const {
    return pos_ + n < tokens_.size() ? tokens_[pos_ + n].type : Tok::kEof;
  }
  const Token& Advance() { return tokens_[pos_ < tokens_.size() - 1 ? pos_++ : pos_]; }
  void Match(Tok t, std::string_view what) {
    if (Current() != t) SyntaxError(std::string("expected ") + std::string(what), tokens_[pos_].pos);
    Advance();
  }

  NodePtr Expression(int rbp) {
    const Token& t = Advance();
    NodePtr left = Nud(t);
    while (rbp < BindingPower(Current())) {
      const Token& next = Advance();
      left = Led(next, left);
    }
    return left;
  }

  NodePtr Nud(const Token& t) {
    switch (t.type) {
      case Tok::kLiteral: {
        auto n = MakeNode(NodeKind::kLiteral);
        n->value = t.value;
        return n;
      }
      case Tok::kUnquoted: {
        auto n = MakeNode(NodeKind::kField);
        n->name = t.text;
        return n;
      }
      case Tok::kQuoted: {
        if (Current() == Tok::kLparen) SyntaxError("quoted identifier as a function name", t.pos);
        auto n = MakeNode(NodeKind::kField);
        n->name = t.text;
        return n;
      }
      case Tok::kStar: {
        NodePtr right = ProjectionRhs(BindingPower(Tok::kStar));
        return MakeNode(NodeKind::kValueProjection, {MakeNode(NodeKind::kIdentity), right});
      }
      case Tok::kFilter: return FilterLed(MakeNode(NodeKind::kIdentity));
      case Tok::kLbrace: return MultiHash();
      case Tok::kLparen: {
        NodePtr n = Expression(0);
        Match(Tok::kRparen, "')'");
        return n;
      }
      case Tok::kFlatten: {
        NodePtr left = MakeNode(NodeKind::kFlatten, {MakeNode(NodeKind::kIdentity)});
        NodePtr right = ProjectionRhs(BindingPower(Tok::kFlatten));
        return MakeNode(NodeKind::kProjection, {left, right});
      }
      case Tok::kNot:
        return MakeNode(NodeKind::kNot, {Expression(BindingPower(Tok::kNot))});
      case Tok::kLbracket:
        if (Current() == Tok::kNumber || Current() == Tok::kColon) {
          return ProjectIfSlice(MakeNode(NodeKind::kIdentity), IndexExpression());
        }
        if (Current() == Tok::kStar && Lookahead(1) == Tok::kRbracket) {
          Advance();
          Advance();
          NodePtr right = ProjectionRhs(BindingPower(Tok::kStar));
          return MakeNode(NodeKind::kProjection, {MakeNode(NodeKind::kIdentity), right});
        }
        return MultiList();
      case Tok::kAt: return MakeNode(NodeKind::kIdentity);
      case Tok::kExpRef:
        return MakeNode(NodeKind::kExpRef, {Expression(BindingPower(Tok::kExpRef))});
      case Tok::kEof: SyntaxError("unexpected end of expression", t.pos);
      default: SyntaxError("unexpected token", t.pos);
    }
  }

  NodePtr Led(const Token& t, NodePtr left) {
    switch (t.type) {
      case Tok::kDot: {
        if (Current() != Tok::kStar) {
          NodePtr right = DotRhs(BindingPower(Tok::kDot));
          return MakeNode(NodeKind::kSubexpression, {left, right});
        }
        Advance();
        NodePtr right = ProjectionRhs(BindingPower(Tok::kDot));
        return MakeNode(NodeKind::kValueProjection, {left, right});
      }
      case Tok::kPipe:
        return MakeNode(NodeKind::kPipe, {left, Expression(BindingPower(Tok::kPipe))});
      case Tok::kOr: return MakeNode(NodeKind::kOr, {left, Expression(BindingPower(Tok::kOr))});
      case Tok::kAnd: return MakeNode(NodeKind::kAnd, {left, Expression(BindingPower(Tok::kAnd))});
      case Tok::kLparen: {
        if (left->kind != NodeKind::kField) SyntaxError("invalid function name", t.pos);
        auto fn = MakeNode(NodeKind::kFunction);
        fn->name = left->name;
        while (Current() != Tok::kRparen) {
          fn->children.push_back(Expression(0));
          if (Current() == Tok::kComma) {
            Advance();
            if (Current() == Tok::kRparen) SyntaxError("unexpected ')'", tokens_[pos_].pos);
          } else if (Current() != Tok::kRparen) {
            SyntaxError("expected ',' or ')'", tokens_[pos_].pos);
          }
        }
        Advance();
        return fn;
      }
      case Tok::kFilter: return FilterLed(left);
      case Tok::kEq: case Tok::kNe: case Tok::kLt: case Tok::kLte: case Tok::kGt: case Tok::kGte: {
        auto n = MakeNode(NodeKind::kComparator, {left, Expression(BindingPower(t.type))});
        n->name = t.text;
        return n;
      }
      case Tok::kFlatten: {
        NodePtr flat = MakeNode(NodeKind::kFlatten, {left});
        NodePtr right = ProjectionRhs(BindingPower(Tok::kFlatten));
        return MakeNode(NodeKind::kProjection, {flat, right});
      }
      case Tok::kLbracket: {
        if (Current() == Tok::kNumber || Current() == Tok::kColon) {
          return ProjectIfSlice(left, IndexExpression());
        }
        Match(Tok::kStar, "'*' or a number");
        Match(Tok::kRbracket, "']'");
        NodePtr right = ProjectionRhs(BindingPower(Tok::kStar));
        return MakeNode(NodeKind::kProjection, {left, right});
      }
      default: SyntaxError("unexpected token", t.pos);
    }
  }

  NodePtr FilterLed(NodePtr left) {
    NodePtr condition = Expression(0);
    Match(Tok::kRbracket, "']'");
    NodePtr right = Current() == Tok::kFlatten ? MakeNode(NodeKind::kIdentity)
                                               : ProjectionRhs(BindingPower(Tok::kFilter));
    return MakeNode(NodeKind::kFilterProjection, {left, right, condition});
  }

  NodePtr IndexExpression() {
    if (Current() == Tok::kColon || Lookahead(1) == Tok::kColon) return Slice();
    auto n = MakeNode(NodeKind::kIndex);
    n->index = Advance().number;
    Match(Tok::kRbracket, "']'");
    return n;
  }

  NodePtr Slice() {
    auto n = MakeNode(NodeKind::kSlice);
    int part = 0;
    while (Current() != Tok::kRbracket && part < 3) {
      if (Current() == Tok::kColon) {
        ++part;
        if (part == 3) SyntaxError("too many colons in slice", tokens_[pos_].pos);
        Advance();
      } else if (Current() == Tok::kNumber) {
        const long v = Advance().number;
        if (part == 0) { n->has_start = true; n->start = v; }
        if (part == 1) { n->has_stop = true; n->stop = v; }
        if (part == 2) {
          if (v == 0) SyntaxError("slice step cannot be 0", tokens_[pos_].pos);
          n->has_step = true;
          n->step = v;
        }
      } else {
        SyntaxError("expected a number or ':' in slice", tokens_[pos_].pos);
      }
    }
    Match(Tok::kRbracket, "']'");
    return n;
  }

  NodePtr ProjectIfSlice(NodePtr left, NodePtr right) {
    const bool slice = right->kind == NodeKind::kSlice;
    NodePtr index = MakeNode(NodeKind::kIndexExpression, {left, right});
    if (!slice) return index;
    return MakeNode(NodeKind::kProjection, {index, ProjectionRhs(BindingPower(Tok::kStar))});
  }

  NodePtr ProjectionRhs(int bp) {
    const Tok t = Current();
    if (BindingPower(t) < 10) return MakeNode(NodeKind::kIdentity);
    if (t == Tok::kLbracket || t == Tok::kFilter) return Expression(bp);
    if (t == Tok::kDot) {
      Advance();
      return DotRhs(bp);
    }
    SyntaxError("syntax error after projection", tokens_[pos_].pos);
  }

  NodePtr DotRhs(int bp) {
    const Tok t = Current();
    if (t == Tok::kQuoted || t == Tok::kUnquoted || t == Tok::kStar) return Expression(bp);
    if (t == Tok::kLbracket) {
      Advance();
      return MultiList();
    }
    if (t == Tok::kLbrace) {
      Advance();
      return MultiHash();
    }
    SyntaxError("expected an identifier, '*', '[' or '{' after '.'", tokens_[pos_].pos);
  }

  NodePtr MultiList() {
    auto n = MakeNode(NodeKind::kMultiList);
    while (true) {
      n->children.push_back(Expression(0));
      if (Current() == Tok::kRbracket) break;
      Match(Tok::kComma, "',' or ']'");
    }
    Advance();
    return n;
  }

  NodePtr MultiHash() {
    auto n = MakeNode(NodeKind::kMultiHash);
    while (true) {
      const Token& key = Advance();
      if (key.type != Tok::kQuoted && key.type != Tok::kUnquoted) {
        SyntaxError("expected a key in multi-select hash", key.pos);
      }
      Match(Tok::kColon, "':'");
      NodePtr value = Expression(0);
      auto pair = MakeNode(NodeKind::kField, {value});
      pair->name = key.text;
      n->children.push_back(pair);
      if (Current() == Tok::kRbrace) break;
      Match(Tok::kComma, "',' or '}'");
    }
    Advance();
    return n;
  }

  std::vector<Token> tokens_;
  std::size_t pos_ = 0;
};

// --- Evaluation ---------------------------------------------------------------------------------

bool Truthy(const json::Value& v) {
  switch (v.kind()) {
    case json::Kind::null: return false;
    case json::Kind::bool_: return v.as_bool();
    case json::Kind::string: return !v.as_string().empty();
    case json::Kind::array: return !v.as_array().empty();
    case json::Kind::object: return !v.as_object().empty();
    default: return true;
  }
}

std::string TypeOf(const json::Value& v) {
  switch (v.kind()) {
    case json::Kind::null: return "null";
    case json::Kind::bool_: return "boolean";
    case json::Kind::string: return "string";
    case json::Kind::array: return "array";
    case json::Kind::object: return "object";
    default: return "number";
  }
}

// An integer when the double is integral and small enough, so that `length(x)` prints `3`.
json::Value Number(double d) {
  if (std::floor(d) == d && std::fabs(d) < 9e15) return json::Value(static_cast<std::int64_t>(d));
  return json::Value(d);
}

// The number of Unicode code points of a UTF-8 string.
std::size_t CodePoints(std::string_view s) { return json::CodePointCount(s); }

class Evaluator {
 public:
  json::Value Eval(const Node& n, const json::Value& v) const {
    switch (n.kind) {
      case NodeKind::kIdentity: return v;
      case NodeKind::kLiteral: return n.value;
      case NodeKind::kField: {
        if (const json::Value* m = json::Find(v, n.name)) return *m;
        return nullptr;
      }
      case NodeKind::kSubexpression: return Eval(*n.children[1], Eval(*n.children[0], v));
      case NodeKind::kPipe: return Eval(*n.children[1], Eval(*n.children[0], v));
      case NodeKind::kIndexExpression: return Eval(*n.children[1], Eval(*n.children[0], v));
      case NodeKind::kIndex: {
        if (!v.is_array()) return nullptr;
        const auto& a = v.as_array();
        const long size = static_cast<long>(a.size());
        const long i = n.index < 0 ? size + n.index : n.index;
        if (i < 0 || i >= size) return nullptr;
        return a[static_cast<std::size_t>(i)];
      }
      case NodeKind::kSlice: return Slice(n, v);
      case NodeKind::kProjection: {
        const json::Value base = Eval(*n.children[0], v);
        if (!base.is_array()) return nullptr;
        json::Array out;
        for (const json::Value& e : base.as_array()) {
          json::Value r = Eval(*n.children[1], e);
          if (!r.is_null()) out.push_back(std::move(r));
        }
        return out;
      }
      case NodeKind::kValueProjection: {
        const json::Value base = Eval(*n.children[0], v);
        if (!base.is_object()) return nullptr;
        json::Array out;
        for (const auto& kv : base.as_object()) {
          json::Value r = Eval(*n.children[1], kv.value());
          if (!r.is_null()) out.push_back(std::move(r));
        }
        return out;
      }
      case NodeKind::kFilterProjection: {
        const json::Value base = Eval(*n.children[0], v);
        if (!base.is_array()) return nullptr;
        json::Array out;
        for (const json::Value& e : base.as_array()) {
          if (!Truthy(Eval(*n.children[2], e))) continue;
          json::Value r = Eval(*n.children[1], e);
          if (!r.is_null()) out.push_back(std::move(r));
        }
        return out;
      }
      case NodeKind::kFlatten: {
        const json::Value base = Eval(*n.children[0], v);
        if (!base.is_array()) return nullptr;
        json::Array out;
        for (const json::Value& e : base.as_array()) {
          if (e.is_array()) {
            for (const json::Value& inner : e.as_array()) out.push_back(inner);
          } else {
            out.push_back(e);
          }
        }
        return out;
      }
      case NodeKind::kMultiList: {
        if (v.is_null()) return nullptr;
        json::Array out;
        for (const auto& c : n.children) out.push_back(Eval(*c, v));
        return out;
      }
      case NodeKind::kMultiHash: {
        if (v.is_null()) return nullptr;
        json::Object out;
        for (const auto& c : n.children) out[c->name] = Eval(*c->children[0], v);
        return out;
      }
      case NodeKind::kOr: {
        json::Value left = Eval(*n.children[0], v);
        return Truthy(left) ? left : Eval(*n.children[1], v);
      }
      case NodeKind::kAnd: {
        json::Value left = Eval(*n.children[0], v);
        return Truthy(left) ? Eval(*n.children[1], v) : left;
      }
      case NodeKind::kNot: return !Truthy(Eval(*n.children[0], v));
      case NodeKind::kComparator: return Compare(n, v);
      case NodeKind::kFunction: return Call(n, v);
      case NodeKind::kExpRef:
        throw JmesError("an expression reference (&expr) is only allowed as a function argument");
    }
    return nullptr;
  }

 private:
  static json::Value Slice(const Node& n, const json::Value& v) {
    if (!v.is_array()) return nullptr;
    const auto& a = v.as_array();
    const long len = static_cast<long>(a.size());
    const long step = n.step;
    auto cap = [&](long x, bool has, bool is_start) {
      if (!has) {
        if (step > 0) return is_start ? 0L : len;
        return is_start ? len - 1 : -1L;
      }
      if (x < 0) {
        x += len;
        if (x < 0) x = step < 0 ? -1 : 0;
      } else if (x >= len) {
        x = step < 0 ? len - 1 : len;
      }
      return x;
    };
    const long start = cap(n.start, n.has_start, true);
    const long stop = cap(n.stop, n.has_stop, false);
    json::Array out;
    if (step > 0) {
      for (long i = start; i < stop; i += step) out.push_back(a[static_cast<std::size_t>(i)]);
    } else {
      for (long i = start; i > stop; i += step) out.push_back(a[static_cast<std::size_t>(i)]);
    }
    return out;
  }

  json::Value Compare(const Node& n, const json::Value& v) const {
    const json::Value l = Eval(*n.children[0], v);
    const json::Value r = Eval(*n.children[1], v);
    if (n.name == "==") return json::Equal(l, r);
    if (n.name == "!=") return !json::Equal(l, r);
    if (l.is_string() && r.is_string()) {
      // As the AWS CLI's JMESPath does (the specification leaves strings unordered).
      const std::string_view a = l.as_string(), b = r.as_string();
      if (n.name == "<") return a < b;
      if (n.name == "<=") return a <= b;
      if (n.name == ">") return a > b;
      return a >= b;
    }
    if (!l.is_number() || !r.is_number()) return nullptr;
    const double a = json::AsDouble(l), b = json::AsDouble(r);
    if (n.name == "<") return a < b;
    if (n.name == "<=") return a <= b;
    if (n.name == ">") return a > b;
    return a >= b;
  }

  [[noreturn]] static void TypeError(std::string_view fn, const json::Value& got,
                                     std::string_view expected) {
    throw JmesError("In function " + std::string(fn) + "(), invalid type for value: " +
                    json::Serialize(got) + ", expected one of: " + std::string(expected) +
                    ", received: \"" + TypeOf(got) + "\"");
  }

  static void Arity(std::string_view fn, std::size_t got, std::size_t min, std::size_t max) {
    if (got < min || got > max) {
      throw JmesError("Expected " + std::to_string(min) + " argument" + (min == 1 ? "" : "s") +
                      " for function " + std::string(fn) + "(), received " + std::to_string(got));
    }
  }

  const Node& ExpRefArg(std::string_view fn, const Node& arg) const {
    if (arg.kind != NodeKind::kExpRef) {
      throw JmesError("In function " + std::string(fn) +
                      "(), invalid type for value: expected an expression (&expr)");
    }
    return *arg.children[0];
  }

  static void CheckArray(std::string_view fn, const json::Value& a) {
    if (!a.is_array()) TypeError(fn, a, "['array']");
  }

  // Sorts strings or numbers (all of one kind) by the keys `key` gives; stable.
  static json::Array SortBy(std::string_view fn, const json::Array& items,
                            const std::function<json::Value(const json::Value&)>& key) {
    std::vector<std::pair<json::Value, json::Value>> keyed;
    keyed.reserve(items.size());
    for (const json::Value& e : items) keyed.emplace_back(key(e), e);
    if (!keyed.empty()) {
      const bool strings = keyed.front().first.is_string();
      for (const auto& [k, e] : keyed) {
        if (strings ? !k.is_string() : !k.is_number()) TypeError(fn, k, "['string', 'number']");
      }
      std::stable_sort(keyed.begin(), keyed.end(), [&](const auto& a, const auto& b) {
        if (strings) return a.first.as_string() < b.first.as_string();
        return json::AsDouble(a.first) < json::AsDouble(b.first);
      });
    }
    json::Array out;
    for (auto& [k, e] : keyed) out.push_back(std::move(e));
    return out;
  }

  // max/min (by): the element whose key is largest (smallest); null for an empty array.
  static json::Value Extreme(std::string_view fn, const json::Array& items, bool want_max,
                             const std::function<json::Value(const json::Value&)>& key) {
    if (items.empty()) return nullptr;
    const json::Value* best = nullptr;
    json::Value best_key;
    bool strings = false;
    for (const json::Value& e : items) {
      json::Value k = key(e);
      if (best == nullptr) {
        if (!k.is_string() && !k.is_number()) TypeError(fn, k, "['string', 'number']");
        strings = k.is_string();
        best = &e;
        best_key = std::move(k);
        continue;
      }
      if (strings ? !k.is_string() : !k.is_number()) TypeError(fn, k, "['string', 'number']");
      const bool better =
          strings ? (want_max ? k.as_string() > best_key.as_string()
                              : k.as_string() < best_key.as_string())
                  : (want_max ? json::AsDouble(k) > json::AsDouble(best_key)
                              : json::AsDouble(k) < json::AsDouble(best_key));
      if (better) {
        best = &e;
        best_key = std::move(k);
      }
    }
    return *best;
  }

  json::Value Call(const Node& n, const json::Value& v) const {
    const std::string& fn = n.name;
    const auto& args = n.children;
    auto arg = [&](std::size_t i) { return Eval(*args[i], v); };
    if (fn == "length") {
      Arity(fn, args.size(), 1, 1);
      const json::Value a = arg(0);
      if (a.is_string()) return static_cast<std::int64_t>(CodePoints(a.as_string()));
      if (a.is_array()) return static_cast<std::int64_t>(a.as_array().size());
      if (a.is_object()) return static_cast<std::int64_t>(a.as_object().size());
      TypeError(fn, a, "['string', 'array', 'object']");
    }
    if (fn == "abs" || fn == "ceil" || fn == "floor") {
      Arity(fn, args.size(), 1, 1);
      const json::Value a = arg(0);
      if (!a.is_number()) TypeError(fn, a, "['number']");
      const double d = json::AsDouble(a);
      if (fn == "abs") return a.is_double() ? json::Value(std::fabs(d)) : Number(std::fabs(d));
      return Number(fn == "ceil" ? std::ceil(d) : std::floor(d));
    }
    if (fn == "sum" || fn == "avg") {
      Arity(fn, args.size(), 1, 1);
      const json::Value a = arg(0);
      CheckArray(fn, a);
      double total = 0;
      bool any_double = false;
      for (const json::Value& e : a.as_array()) {
        if (!e.is_number()) TypeError(fn, e, "['number']");
        any_double = any_double || e.is_double();
        total += json::AsDouble(e);
      }
      if (fn == "avg") {
        if (a.as_array().empty()) return nullptr;
        return total / static_cast<double>(a.as_array().size());
      }
      return any_double ? json::Value(total) : Number(total);
    }
    if (fn == "contains") {
      Arity(fn, args.size(), 2, 2);
      const json::Value subject = arg(0), search = arg(1);
      if (subject.is_string()) {
        if (!search.is_string()) return false;
        return std::string_view(subject.as_string()).find(search.as_string()) !=
               std::string_view::npos;
      }
      if (!subject.is_array()) TypeError(fn, subject, "['array', 'string']");
      for (const json::Value& e : subject.as_array()) {
        if (json::Equal(e, search)) return true;
      }
      return false;
    }
    if (fn == "starts_with" || fn == "ends_with") {
      Arity(fn, args.size(), 2, 2);
      const json::Value s = arg(0), affix = arg(1);
      if (!s.is_string()) TypeError(fn, s, "['string']");
      if (!affix.is_string()) TypeError(fn, affix, "['string']");
      const std::string_view a = s.as_string(), b = affix.as_string();
      if (fn == "starts_with") return a.starts_with(b);
      return a.ends_with(b);
    }
    if (fn == "join") {
      Arity(fn, args.size(), 2, 2);
      const json::Value glue = arg(0), list = arg(1);
      if (!glue.is_string()) TypeError(fn, glue, "['string']");
      CheckArray(fn, list);
      std::string out;
      bool first = true;
      for (const json::Value& e : list.as_array()) {
        if (!e.is_string()) TypeError(fn, e, "['string']");
        if (!first) out += glue.as_string();
        out += e.as_string();
        first = false;
      }
      return json::String(out);
    }
    if (fn == "keys" || fn == "values") {
      Arity(fn, args.size(), 1, 1);
      const json::Value o = arg(0);
      if (!o.is_object()) TypeError(fn, o, "['object']");
      json::Array out;
      for (const auto& kv : o.as_object()) {
        if (fn == "keys") {
          out.push_back(json::String(kv.key()));
        } else {
          out.push_back(kv.value());
        }
      }
      return out;
    }
    if (fn == "map") {
      Arity(fn, args.size(), 2, 2);
      const Node& expr = ExpRefArg(fn, *args[0]);
      const json::Value list = arg(1);
      CheckArray(fn, list);
      json::Array out;
      for (const json::Value& e : list.as_array()) out.push_back(Eval(expr, e));
      return out;
    }
    if (fn == "max" || fn == "min") {
      Arity(fn, args.size(), 1, 1);
      const json::Value list = arg(0);
      CheckArray(fn, list);
      return Extreme(fn, list.as_array(), fn == "max", [](const json::Value& e) { return e; });
    }
    if (fn == "max_by" || fn == "min_by" || fn == "sort_by") {
      Arity(fn, args.size(), 2, 2);
      const json::Value list = arg(0);
      CheckArray(fn, list);
      const Node& expr = ExpRefArg(fn, *args[1]);
      auto key = [&](const json::Value& e) { return Eval(expr, e); };
      if (fn == "sort_by") return SortBy(fn, list.as_array(), key);
      return Extreme(fn, list.as_array(), fn == "max_by", key);
    }
    if (fn == "sort") {
      Arity(fn, args.size(), 1, 1);
      const json::Value list = arg(0);
      CheckArray(fn, list);
      return SortBy(fn, list.as_array(), [](const json::Value& e) { return e; });
    }
    if (fn == "merge") {
      json::Object out;
      for (std::size_t i = 0; i < args.size(); ++i) {
        const json::Value o = arg(i);
        if (!o.is_object()) TypeError(fn, o, "['object']");
        for (const auto& kv : o.as_object()) out[kv.key()] = kv.value();
      }
      return out;
    }
    if (fn == "not_null") {
      if (args.empty()) Arity(fn, 0, 1, 1);
      for (std::size_t i = 0; i < args.size(); ++i) {
        json::Value a = arg(i);
        if (!a.is_null()) return a;
      }
      return nullptr;
    }
    if (fn == "reverse") {
      Arity(fn, args.size(), 1, 1);
      const json::Value a = arg(0);
      if (a.is_string()) {
        // Reverse code points, not bytes.
        std::vector<std::string> cps;
        const std::string_view s = a.as_string();
        for (std::size_t i = 0; i < s.size();) {
          std::size_t len = 1;
          const auto c = static_cast<unsigned char>(s[i]);
          if (c >= 0xF0) len = 4;
          else if (c >= 0xE0) len = 3;
          else if (c >= 0xC0) len = 2;
          cps.emplace_back(s.substr(i, len));
          i += len;
        }
        std::string out;
        for (auto it = cps.rbegin(); it != cps.rend(); ++it) out += *it;
        return json::String(out);
      }
      CheckArray(fn, a);
      json::Array out(a.as_array().rbegin(), a.as_array().rend());
      return out;
    }
    if (fn == "to_array") {
      Arity(fn, args.size(), 1, 1);
      json::Value a = arg(0);
      if (a.is_array()) return a;
      json::Array out;
      out.push_back(std::move(a));
      return out;
    }
    if (fn == "to_string") {
      Arity(fn, args.size(), 1, 1);
      const json::Value a = arg(0);
      if (a.is_string()) return a;
      return json::String(boost::json::serialize(a));
    }
    if (fn == "to_number") {
      Arity(fn, args.size(), 1, 1);
      const json::Value a = arg(0);
      if (a.is_number()) return a;
      if (!a.is_string()) return nullptr;
      auto parsed = json::Parse(std::string(a.as_string()));
      if (!parsed || !parsed->is_number()) return nullptr;
      return *parsed;
    }
    if (fn == "type") {
      Arity(fn, args.size(), 1, 1);
      return json::String(TypeOf(arg(0)));
    }
    throw JmesError("Unknown function: " + fn + "()");
  }
};

}  // namespace

Result<JmesPath> JmesPath::Compile(std::string_view expression) {
  try {
    Parser parser(Lex(expression));
    return JmesPath(parser.ParseAll());
  } catch (const JmesError& e) {
    return Fail(ErrorCode::kInvalidArgument, e.what());
  }
}

Result<json::Value> JmesPath::Evaluate(const json::Value& data) const {
  try {
    return Evaluator().Eval(*root_, data);
  } catch (const JmesError& e) {
    return Fail(ErrorCode::kInvalidArgument, e.what());
  }
}

Result<json::Value> SearchJmesPath(std::string_view expression, const json::Value& data) {
  auto compiled = JmesPath::Compile(expression);
  if (!compiled) return tl::unexpected(compiled.error());
  return compiled->Evaluate(data);
}

}  // namespace stepway::cli
