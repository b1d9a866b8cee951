#include "jsonata/parser.h"

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <string>
#include <unordered_map>

#include "jsonata/error.h"
#include "jsonata/evaluator.h"
#include "jsonata/regex.h"
#include "jsonata/utf8.h"

namespace stepway::jsonata {
namespace {

// Binding powers, as in parser.js's `operators` table.
int OperatorPower(std::string_view op) {
  static const std::unordered_map<std::string_view, int> kOps = {
      {".", 75},  {"[", 80},  {"]", 0},   {"{", 70},   {"}", 0},   {"(", 80},  {")", 0},
      {",", 0},   {"@", 80},  {"#", 80},  {";", 80},   {":", 80},  {"?", 20},  {"+", 50},
      {"-", 50},  {"*", 60},  {"/", 60},  {"%", 60},   {"|", 20},  {"=", 40},  {"<", 40},
      {">", 40},  {"^", 40},  {"**", 60}, {"..", 20},  {":=", 10}, {"!=", 40}, {"<=", 40},
      {">=", 40}, {"~>", 40}, {"?:", 40}, {"??", 40},  {"and", 30}, {"or", 25}, {"in", 40},
      {"&", 50},  {"!", 0},   {"~", 0}};
  auto it = kOps.find(op);
  return it == kOps.end() ? -1 : it->second;
}

bool IsOperatorChar(char c) {
  switch (c) {
    case '.': case '[': case ']': case '{': case '}': case '(': case ')': case ',': case '@':
    case '#': case ';': case ':': case '?': case '+': case '-': case '*': case '/': case '%':
    case '|': case '=': case '<': case '>': case '^': case '&': case '!': case '~':
      return true;
    default:
      return false;
  }
}

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v'; }

enum class TokType { kName, kVariable, kOperator, kString, kNumber, kValue, kRegex };

struct Token {
  TokType type;
  std::string value;
  double number = 0;
  LiteralKind literal = LiteralKind::kNull;
  std::shared_ptr<const Regex> regex;
  int position = 0;
};

JsonataException Err(const char* code, int position) {
  JsonataException e(code);
  e.Position(position);
  return e;
}

class Lexer {
 public:
  explicit Lexer(std::string_view path) : path_(path) {}

  // False at the end of input.
  bool Next(bool prefix, Token& out) {
    if (pos_ >= path_.size()) return false;
    char c = At(pos_);
    while (pos_ < path_.size() && IsSpace(c)) c = At(++pos_);
    if (c == '/' && At(pos_ + 1) == '*') {
      const std::size_t start = pos_;
      pos_ += 2;
      c = At(pos_);
      while (!(c == '*' && At(pos_ + 1) == '/')) {
        c = At(++pos_);
        if (pos_ >= path_.size()) throw Err("S0106", static_cast<int>(start));
      }
      pos_ += 2;
      return Next(prefix, out);
    }
    out = Token();
    out.position = static_cast<int>(pos_);
    if (!prefix && c == '/') {
      ++pos_;
      out.type = TokType::kRegex;
      ScanRegex(out);
      out.position = static_cast<int>(pos_);
      return true;
    }
    static const char* kTwo[] = {"..", ":=", "!=", ">=", "<=", "**", "~>", "?:", "??"};
    for (const char* two : kTwo) {
      if (c == two[0] && At(pos_ + 1) == two[1]) {
        pos_ += 2;
        out.type = TokType::kOperator;
        out.value = two;
        out.position = static_cast<int>(pos_);
        return true;
      }
    }
    if (IsOperatorChar(c)) {
      ++pos_;
      out.type = TokType::kOperator;
      out.value = std::string(1, c);
      out.position = static_cast<int>(pos_);
      return true;
    }
    if (c == '"' || c == '\'') {
      const char quote = c;
      ++pos_;
      std::string s;
      while (pos_ < path_.size()) {
        c = At(pos_);
        if (c == '\\') {
          ++pos_;
          c = At(pos_);
          switch (c) {
            case '"': s += '"'; break;
            case '\\': s += '\\'; break;
            case '/': s += '/'; break;
            case 'b': s += '\b'; break;
            case 'f': s += '\f'; break;
            case 'n': s += '\n'; break;
            case 'r': s += '\r'; break;
            case 't': s += '\t'; break;
            case 'u': {
              unsigned cp = 0;
              if (!Hex4(pos_ + 1, cp)) throw Err("S0104", static_cast<int>(pos_));
              pos_ += 4;
              if (cp >= 0xD800 && cp <= 0xDBFF && At(pos_ + 1) == '\\' && At(pos_ + 2) == 'u') {
                unsigned lo = 0;
                if (Hex4(pos_ + 3, lo) && lo >= 0xDC00 && lo <= 0xDFFF) {
                  cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                  pos_ += 6;
                }
              }
              AppendUtf8(s, cp);
              break;
            }
            default: {
              JsonataException e("S0103");
              e.Position(static_cast<int>(pos_)).Token(std::string(1, c));
              throw e;
            }
          }
        } else if (c == quote) {
          ++pos_;
          out.type = TokType::kString;
          out.value = std::move(s);
          out.position = static_cast<int>(pos_);
          return true;
        } else {
          s += c;
        }
        ++pos_;
      }
      throw Err("S0101", static_cast<int>(pos_));
    }
    if (std::size_t len = NumberLength(pos_); len > 0) {
      const std::string text(path_.substr(pos_, len));
      const double num = std::strtod(text.c_str(), nullptr);
      if (std::isfinite(num)) {
        pos_ += len;
        out.type = TokType::kNumber;
        out.number = num;
        out.position = static_cast<int>(pos_);
        return true;
      }
      JsonataException e("S0102");
      e.Position(static_cast<int>(pos_)).Token(text);
      throw e;
    }
    if (c == '`') {
      ++pos_;
      const std::size_t end = path_.find('`', pos_);
      if (end != std::string_view::npos) {
        out.type = TokType::kName;
        out.value = std::string(path_.substr(pos_, end - pos_));
        pos_ = end + 1;
        out.position = static_cast<int>(pos_);
        return true;
      }
      pos_ = path_.size();
      throw Err("S0105", static_cast<int>(pos_));
    }
    std::size_t i = pos_;
    while (i < path_.size() && !IsSpace(path_[i]) && !IsOperatorChar(path_[i])) ++i;
    if (At(pos_) == '$') {
      out.type = TokType::kVariable;
      out.value = std::string(path_.substr(pos_ + 1, i - pos_ - 1));
      pos_ = i;
      out.position = static_cast<int>(pos_);
      return true;
    }
    std::string name(path_.substr(pos_, i - pos_));
    pos_ = i;
    out.position = static_cast<int>(pos_);
    if (name == "or" || name == "in" || name == "and") {
      out.type = TokType::kOperator;
      out.value = std::move(name);
    } else if (name == "true" || name == "false" || name == "null") {
      out.type = TokType::kValue;
      out.value = name;
      out.literal = name == "true" ? LiteralKind::kTrue
                    : name == "false" ? LiteralKind::kFalse
                                      : LiteralKind::kNull;
    } else {
      if (pos_ == path_.size() && name.empty()) return false;
      out.type = TokType::kName;
      out.value = std::move(name);
    }
    return true;
  }

  std::size_t position() const { return pos_; }

 private:
  char At(std::size_t i) const { return i < path_.size() ? path_[i] : '\0'; }

  bool Hex4(std::size_t at, unsigned& cp) const {
    if (at + 4 > path_.size()) return false;
    cp = 0;
    for (std::size_t k = at; k < at + 4; ++k) {
      const char h = path_[k];
      cp <<= 4;
      if (h >= '0' && h <= '9') cp |= h - '0';
      else if (h >= 'a' && h <= 'f') cp |= h - 'a' + 10;
      else if (h >= 'A' && h <= 'F') cp |= h - 'A' + 10;
      else return false;
    }
    return true;
  }

  // Length of /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([Ee][-+]?[0-9]+)?/ at p, or 0.
  std::size_t NumberLength(std::size_t p) const {
    std::size_t i = p;
    if (At(i) == '-') ++i;
    if (At(i) == '0') {
      ++i;
    } else if (At(i) >= '1' && At(i) <= '9') {
      while (std::isdigit(static_cast<unsigned char>(At(i)))) ++i;
    } else {
      return 0;
    }
    if (At(i) == '.' && std::isdigit(static_cast<unsigned char>(At(i + 1)))) {
      i += 1;
      while (std::isdigit(static_cast<unsigned char>(At(i)))) ++i;
    }
    if (At(i) == 'e' || At(i) == 'E') {
      std::size_t j = i + 1;
      if (At(j) == '+' || At(j) == '-') ++j;
      if (std::isdigit(static_cast<unsigned char>(At(j)))) {
        while (std::isdigit(static_cast<unsigned char>(At(j)))) ++j;
        i = j;
      }
    }
    return i - p;
  }

  void ScanRegex(Token& out) {
    const std::size_t start = pos_;
    int depth = 0;
    auto closing = [&](std::size_t p) {
      if (At(p) == '/' && depth == 0) {
        int backslashes = 0;
        while (p >= static_cast<std::size_t>(backslashes + 1) && At(p - (backslashes + 1)) == '\\') {
          ++backslashes;
        }
        return backslashes % 2 == 0;
      }
      return false;
    };
    while (pos_ < path_.size()) {
      const char c = At(pos_);
      if (closing(pos_)) {
        const std::string pattern(path_.substr(start, pos_ - start));
        if (pattern.empty()) throw Err("S0301", static_cast<int>(pos_));
        ++pos_;
        std::string flags;
        while (At(pos_) == 'i' || At(pos_) == 'm') flags += path_[pos_++];
        out.value = pattern;
        auto re = Regex::Compile(pattern, flags);
        if (!re) {
          JsonataException e("S0303");
          e.Position(static_cast<int>(start)).Token(pattern).Message(re.error());
          throw e;
        }
        out.regex = std::move(*re);
        return;
      }
      const char prev = pos_ > 0 ? At(pos_ - 1) : '\0';
      if ((c == '(' || c == '[' || c == '{') && prev != '\\') ++depth;
      if ((c == ')' || c == ']' || c == '}') && prev != '\\') --depth;
      ++pos_;
    }
    throw Err("S0302", static_cast<int>(pos_));
  }

  std::string_view path_;
  std::size_t pos_ = 0;
};

class Parser {
 public:
  Parser(std::string_view source, Ast& ast) : source_(source), lexer_(source), ast_(ast) {}

  Node* Parse() {
    Advance();
    Node* expr = Expression(0);
    if (node_->id != "(end)") {
      JsonataException e("S0201");
      e.Position(node_->position).Token(node_->value);
      throw e;
    }
    expr = Process(expr);
    if (expr->type == NodeType::kParent || expr->has_seeking_parent) {
      JsonataException e("S0217");
      e.Position(expr->position).Token(TypeName(expr->type));
      throw e;
    }
    return expr;
  }

 private:
  static const char* TypeName(NodeType t) {
    switch (t) {
      case NodeType::kPath: return "path";
      case NodeType::kBinary: return "binary";
      case NodeType::kUnary: return "unary";
      case NodeType::kName: return "name";
      case NodeType::kString: return "string";
      case NodeType::kNumber: return "number";
      case NodeType::kValue: return "value";
      case NodeType::kWildcard: return "wildcard";
      case NodeType::kDescendant: return "descendant";
      case NodeType::kParent: return "parent";
      case NodeType::kCondition: return "condition";
      case NodeType::kBlock: return "block";
      case NodeType::kBind: return "bind";
      case NodeType::kRegex: return "regex";
      case NodeType::kFunction: return "function";
      case NodeType::kPartial: return "partial";
      case NodeType::kVariable: return "variable";
      case NodeType::kLambda: return "lambda";
      case NodeType::kApply: return "apply";
      case NodeType::kTransform: return "transform";
      case NodeType::kSort: return "sort";
      case NodeType::kOperator: return "operator";
      case NodeType::kEnd: return "(end)";
    }
    return "";
  }

  // Left binding power of the current symbol.
  int Lbp(const Node* n) const {
    const std::string& id = n->id;
    if (id == "(end)" || id == "(name)" || id == "(literal)" || id == "(regex)") return 0;
    if (id == ":" || id == ";" || id == "," || id == ")" || id == "]" || id == "}" ||
        id == ".." || id == "|" || id == "**") {
      return 0;
    }
    if (id == ":=") return 10;
    const int p = OperatorPower(id);
    return p < 0 ? 0 : p;
  }

  Node* Advance(const char* id = nullptr, bool infix = false) {
    if (id != nullptr && node_->id != id) {
      JsonataException e(node_->id == "(end)" ? "S0203" : "S0202");
      e.Position(node_->position).Token(node_->value);
      e.With(Value::String(id));
      throw e;
    }
    Token tok;
    if (!lexer_.Next(infix, tok)) {
      node_ = ast_.NewNode();
      node_->id = "(end)";
      node_->type = NodeType::kEnd;
      node_->value = "(end)";
      node_->position = static_cast<int>(source_.size());
      return node_;
    }
    Node* n = ast_.NewNode();
    n->position = tok.position;
    n->value = tok.value;
    switch (tok.type) {
      case TokType::kName:
        n->id = "(name)";
        n->type = NodeType::kName;
        break;
      case TokType::kVariable:
        n->id = "(name)";
        n->type = NodeType::kVariable;
        break;
      case TokType::kOperator:
        if (OperatorPower(tok.value) < 0 || tok.value == "!" || tok.value == "~") {
          JsonataException e("S0204");
          e.Position(tok.position).Token(tok.value);
          throw e;
        }
        n->id = tok.value;
        n->type = NodeType::kOperator;
        break;
      case TokType::kString:
        n->id = "(literal)";
        n->type = NodeType::kString;
        break;
      case TokType::kNumber:
        n->id = "(literal)";
        n->type = NodeType::kNumber;
        n->number = tok.number;
        break;
      case TokType::kValue:
        n->id = "(literal)";
        n->type = NodeType::kValue;
        n->literal = tok.literal;
        break;
      case TokType::kRegex:
        n->id = "(regex)";
        n->type = NodeType::kRegex;
        n->regex = tok.regex;
        break;
    }
    node_ = n;
    return n;
  }

  Node* Expression(int rbp) {
    Node* t = node_;
    Advance(nullptr, true);
    Node* left = Nud(t);
    while (rbp < Lbp(node_)) {
      t = node_;
      Advance();
      left = Led(t, left);
    }
    return left;
  }

  [[noreturn]] void NoNud(Node* t) {
    JsonataException e("S0211");
    e.Position(t->position).Token(t->value);
    throw e;
  }

  Node* Nud(Node* t) {
    const std::string& id = t->id;
    if (id == "(end)" || id == "(name)" || id == "(literal)" || id == "(regex)") return t;
    if (id == "and" || id == "or" || id == "in") return t;
    if (id == "-") {
      t->expression = Expression(70);
      t->type = NodeType::kUnary;
      return t;
    }
    if (id == "*") {
      t->type = NodeType::kWildcard;
      return t;
    }
    if (id == "**") {
      t->type = NodeType::kDescendant;
      return t;
    }
    if (id == "%") {
      t->type = NodeType::kParent;
      return t;
    }
    if (id == "(") {
      while (node_->id != ")") {
        t->expressions.push_back(Expression(0));
        if (node_->id != ";") break;
        Advance(";");
      }
      Advance(")", true);
      t->type = NodeType::kBlock;
      return t;
    }
    if (id == "[") {
      if (node_->id != "]") {
        for (;;) {
          Node* item = Expression(0);
          if (node_->id == "..") {
            Node* range = ast_.NewNode();
            range->type = NodeType::kBinary;
            range->value = "..";
            range->id = "..";
            range->position = node_->position;
            range->lhs = item;
            Advance("..");
            range->rhs = Expression(0);
            item = range;
          }
          t->expressions.push_back(item);
          if (node_->id != ",") break;
          Advance(",");
        }
      }
      Advance("]", true);
      t->type = NodeType::kUnary;
      return t;
    }
    if (id == "{") return ObjectParser(t, nullptr);
    if (id == "|") {
      t->type = NodeType::kTransform;
      t->pattern = Expression(0);
      Advance("|");
      t->update = Expression(0);
      if (node_->id == ",") {
        Advance(",");
        t->remove = Expression(0);
      }
      Advance("|");
      return t;
    }
    NoNud(t);
  }

  Node* ObjectParser(Node* t, Node* left) {
    std::vector<std::pair<Node*, Node*>> pairs;
    if (node_->id != "}") {
      for (;;) {
        Node* n = Expression(0);
        Advance(":");
        Node* v = Expression(0);
        pairs.emplace_back(n, v);
        if (node_->id != ",") break;
        Advance(",");
      }
    }
    Advance("}", true);
    t->pairs = std::move(pairs);
    if (left == nullptr) {
      t->type = NodeType::kUnary;
    } else {
      t->lhs = left;
      t->type = NodeType::kBinary;
    }
    return t;
  }

  Node* Led(Node* t, Node* left) {
    const std::string& id = t->id;
    if (id == "(") {
      t->procedure = left;
      t->type = NodeType::kFunction;
      if (node_->id != ")") {
        for (;;) {
          if (node_->type == NodeType::kOperator && node_->id == "?") {
            t->type = NodeType::kPartial;
            t->arguments.push_back(node_);
            Advance("?");
          } else {
            t->arguments.push_back(Expression(0));
          }
          if (node_->id != ",") break;
          Advance(",");
        }
      }
      Advance(")", true);
      if (left->type == NodeType::kName && (left->value == "function" || left->value == "\u03BB")) {
        for (std::size_t i = 0; i < t->arguments.size(); ++i) {
          Node* arg = t->arguments[i];
          if (arg->type != NodeType::kVariable) {
            JsonataException e("S0208");
            e.Position(arg->position).Token(arg->value).With(Value::Number(i + 1.0));
            throw e;
          }
        }
        t->type = NodeType::kLambda;
        if (node_->id == "<") {
          const int sig_pos = node_->position;
          int depth = 1;
          std::string sig = "<";
          while (depth > 0 && node_->id != "{" && node_->id != "(end)") {
            Node* tok = Advance();
            if (tok->id == ">") {
              --depth;
            } else if (tok->id == "<") {
              ++depth;
            }
            sig += tok->type == NodeType::kEnd ? "" : tok->value;
          }
          Advance(">");
          try {
            t->signature = Signature::Parse(sig);
          } catch (JsonataException& e) {
            e.info.position = sig_pos + e.info.position;
            throw;
          }
        }
        Advance("{");
        t->body = Expression(0);
        Advance("}");
      }
      return t;
    }
    if (id == "[") {
      if (node_->id == "]") {
        Node* step = left;
        while (step != nullptr && step->type == NodeType::kBinary && step->value == "[") {
          step = step->lhs;
        }
        step->keep_array = true;
        Advance("]");
        return left;
      }
      t->lhs = left;
      t->rhs = Expression(0);
      t->type = NodeType::kBinary;
      Advance("]", true);
      return t;
    }
    if (id == "^") {
      Advance("(");
      for (;;) {
        SortTerm term;
        if (node_->id == "<") {
          Advance("<");
        } else if (node_->id == ">") {
          term.descending = true;
          Advance(">");
        }
        term.expression = Expression(0);
        t->terms.push_back(term);
        if (node_->id != ",") break;
        Advance(",");
      }
      Advance(")");
      t->lhs = left;
      t->type = NodeType::kBinary;
      return t;
    }
    if (id == "{") return ObjectParser(t, left);
    if (id == ":=") {
      if (left->type != NodeType::kVariable) {
        JsonataException e("S0212");
        e.Position(left->position).Token(left->value);
        throw e;
      }
      t->lhs = left;
      t->rhs = Expression(9);
      t->type = NodeType::kBinary;
      return t;
    }
    if (id == "@" || id == "#") {
      t->lhs = left;
      t->rhs = Expression(80);
      if (t->rhs->type != NodeType::kVariable) {
        JsonataException e("S0214");
        e.Position(t->rhs->position).Token(id);
        throw e;
      }
      t->type = NodeType::kBinary;
      return t;
    }
    if (id == "?") {
      t->type = NodeType::kCondition;
      t->condition = left;
      t->then = Expression(0);
      if (node_->id == ":") {
        Advance(":");
        t->otherwise = Expression(0);
      }
      return t;
    }
    if (id == "?:") {
      t->type = NodeType::kCondition;
      t->condition = Clone(left);
      t->then = left;
      t->otherwise = Expression(0);
      return t;
    }
    if (id == "??") {
      t->type = NodeType::kCondition;
      Node* call = ast_.NewNode();
      call->type = NodeType::kFunction;
      call->id = "(";
      call->value = "(";
      call->position = t->position;
      Node* proc = ast_.NewNode();
      proc->type = NodeType::kVariable;
      proc->id = "(name)";
      proc->value = "exists";
      proc->position = t->position;
      call->procedure = proc;
      call->arguments.push_back(Clone(left));
      t->condition = call;
      t->then = left;
      t->otherwise = Expression(0);
      return t;
    }
    // Plain infix operators.
    const int bp = OperatorPower(id);
    if (bp <= 0) NoNud(t);
    t->lhs = left;
    t->rhs = Expression(bp);
    t->type = NodeType::kBinary;
    return t;
  }

  // A deep copy of an unprocessed subtree (JSON.parse(JSON.stringify(node)) in parser.js).
  Node* Clone(const Node* n) {
    if (n == nullptr) return nullptr;
    Node* c = ast_.NewNode();
    c->type = n->type;
    c->id = n->id;
    c->value = n->value;
    c->number = n->number;
    c->literal = n->literal;
    c->position = n->position;
    c->lhs = Clone(n->lhs);
    c->rhs = Clone(n->rhs);
    c->expression = Clone(n->expression);
    for (Node* e : n->expressions) c->expressions.push_back(Clone(e));
    for (const auto& [k, v] : n->pairs) c->pairs.emplace_back(Clone(k), Clone(v));
    for (const SortTerm& t : n->terms) c->terms.push_back({t.descending, Clone(t.expression)});
    for (Node* a : n->arguments) c->arguments.push_back(Clone(a));
    c->procedure = Clone(n->procedure);
    c->body = Clone(n->body);
    c->signature = n->signature;
    c->condition = Clone(n->condition);
    c->then = Clone(n->then);
    c->otherwise = Clone(n->otherwise);
    c->pattern = Clone(n->pattern);
    c->update = Clone(n->update);
    c->remove = Clone(n->remove);
    c->regex = n->regex;
    c->keep_array = n->keep_array;
    return c;
  }

  // ---- processAST ----

  Node* TailCallOptimize(Node* expr) {
    if (expr->type == NodeType::kFunction && !expr->has_predicate) {
      Node* thunk = ast_.NewNode();
      thunk->type = NodeType::kLambda;
      thunk->thunk = true;
      thunk->position = expr->position;
      thunk->body = expr;
      return thunk;
    }
    if (expr->type == NodeType::kCondition) {
      expr->then = TailCallOptimize(expr->then);
      if (expr->otherwise != nullptr) expr->otherwise = TailCallOptimize(expr->otherwise);
      return expr;
    }
    if (expr->type == NodeType::kBlock) {
      if (!expr->expressions.empty()) {
        expr->expressions.back() = TailCallOptimize(expr->expressions.back());
      }
      return expr;
    }
    return expr;
  }

  Slot* SeekParent(Node* node, Slot* slot) {
    switch (node->type) {
      case NodeType::kName:
      case NodeType::kWildcard:
        slot->level--;
        if (slot->level == 0) {
          if (node->ancestor == nullptr) {
            node->ancestor = slot;
          } else {
            ancestry_[slot->index]->slot->label = node->ancestor->label;
            node->ancestor = slot;
          }
          node->tuple = true;
        }
        break;
      case NodeType::kParent:
        slot->level++;
        break;
      case NodeType::kBlock:
        if (!node->expressions.empty()) {
          node->tuple = true;
          slot = SeekParent(node->expressions.back(), slot);
        }
        break;
      case NodeType::kPath: {
        node->tuple = true;
        int index = static_cast<int>(node->steps.size()) - 1;
        slot = SeekParent(node->steps[index--], slot);
        while (slot->level > 0 && index >= 0) slot = SeekParent(node->steps[index--], slot);
        break;
      }
      default: {
        JsonataException e("S0217");
        e.Position(node->position).Token(TypeName(node->type));
        throw e;
      }
    }
    return slot;
  }

  void PushAncestry(Node* result, Node* value) {
    if (value->has_seeking_parent || value->type == NodeType::kParent) {
      std::vector<Slot*> slots = value->seeking_parent;
      if (value->type == NodeType::kParent) slots.push_back(value->slot);
      if (!result->has_seeking_parent) {
        result->has_seeking_parent = true;
        result->seeking_parent = slots;
      } else {
        result->seeking_parent.insert(result->seeking_parent.end(), slots.begin(), slots.end());
      }
    }
  }

  void ResolveAncestry(Node* path) {
    int index = static_cast<int>(path->steps.size()) - 1;
    Node* laststep = path->steps[index];
    std::vector<Slot*> slots = laststep->seeking_parent;
    if (laststep->type == NodeType::kParent) slots.push_back(laststep->slot);
    for (Slot* slot : slots) {
      index = static_cast<int>(path->steps.size()) - 2;
      while (slot->level > 0) {
        if (index < 0) {
          path->has_seeking_parent = true;
          path->seeking_parent.push_back(slot);
          break;
        }
        Node* step = path->steps[index--];
        while (index >= 0 && step->has_focus && path->steps[index]->has_focus) {
          step = path->steps[index--];
        }
        slot = SeekParent(step, slot);
      }
    }
  }

  Node* NewPath(Node* first) {
    Node* p = ast_.NewNode();
    p->type = NodeType::kPath;
    p->steps.push_back(first);
    return p;
  }

  Node* Process(Node* expr) {
    Node* result = nullptr;
    switch (expr->type) {
      case NodeType::kBinary: {
        const std::string& op = expr->value;
        if (op == ".") {
          Node* lstep = Process(expr->lhs);
          if (lstep->type == NodeType::kPath) {
            result = lstep;
          } else {
            result = NewPath(lstep);
          }
          if (lstep->type == NodeType::kParent) {
            result->has_seeking_parent = true;
            result->seeking_parent = {lstep->slot};
          }
          Node* rest = Process(expr->rhs);
          if (rest->type == NodeType::kPath) {
            result->steps.insert(result->steps.end(), rest->steps.begin(), rest->steps.end());
          } else {
            if (rest->has_predicate) {
              rest->stages = std::move(rest->predicate);
              rest->has_stages = true;
              rest->predicate.clear();
              rest->has_predicate = false;
            }
            result->steps.push_back(rest);
          }
          for (Node* step : result->steps) {
            if (step->type == NodeType::kNumber || step->type == NodeType::kValue) {
              JsonataException e("S0213");
              e.Position(step->position);
              e.With(step->type == NodeType::kNumber ? Value::Number(step->number)
                     : step->literal == LiteralKind::kTrue  ? Value::Bool(true)
                     : step->literal == LiteralKind::kFalse ? Value::Bool(false)
                                                            : Value::Null());
              throw e;
            }
            if (step->type == NodeType::kString) step->type = NodeType::kName;
          }
          for (Node* step : result->steps) {
            if (step->keep_array) result->keep_singleton_array = true;
          }
          Node* first = result->steps.front();
          if (first->type == NodeType::kUnary && first->value == "[") first->consarray = true;
          Node* last = result->steps.back();
          if (last->type == NodeType::kUnary && last->value == "[") last->consarray = true;
          ResolveAncestry(result);
        } else if (op == "[") {
          result = Process(expr->lhs);
          Node* step = result;
          bool stages = false;
          if (result->type == NodeType::kPath) {
            step = result->steps.back();
            stages = true;
          }
          if (step->group != nullptr) {
            JsonataException e("S0209");
            e.Position(expr->position);
            throw e;
          }
          Node* predicate = Process(expr->rhs);
          if (predicate->has_seeking_parent) {
            for (Slot* slot : predicate->seeking_parent) {
              if (slot->level == 1) {
                SeekParent(step, slot);
              } else {
                slot->level--;
              }
            }
            PushAncestry(step, predicate);
          }
          Stage stage;
          stage.kind = Stage::Kind::kFilter;
          stage.expr = predicate;
          stage.position = expr->position;
          if (stages) {
            step->has_stages = true;
            step->stages.push_back(stage);
          } else {
            step->has_predicate = true;
            step->predicate.push_back(stage);
          }
        } else if (op == "{") {
          result = Process(expr->lhs);
          if (result->group != nullptr) {
            JsonataException e("S0210");
            e.Position(expr->position);
            throw e;
          }
          auto group = std::make_unique<Group>();
          for (const auto& [k, v] : expr->pairs) group->pairs.emplace_back(Process(k), Process(v));
          group->position = expr->position;
          result->group = std::move(group);
        } else if (op == "^") {
          result = Process(expr->lhs);
          if (result->type != NodeType::kPath) result = NewPath(result);
          Node* sort = ast_.NewNode();
          sort->type = NodeType::kSort;
          sort->position = expr->position;
          for (const SortTerm& t : expr->terms) {
            Node* e = Process(t.expression);
            PushAncestry(sort, e);
            sort->terms.push_back({t.descending, e});
          }
          result->steps.push_back(sort);
          ResolveAncestry(result);
        } else if (op == ":=") {
          result = ast_.NewNode();
          result->type = NodeType::kBind;
          result->value = op;
          result->position = expr->position;
          result->lhs = Process(expr->lhs);
          result->rhs = Process(expr->rhs);
          PushAncestry(result, result->rhs);
        } else if (op == "@") {
          result = Process(expr->lhs);
          Node* step = result;
          if (result->type == NodeType::kPath) step = result->steps.back();
          if (step->has_stages || step->has_predicate) {
            JsonataException e("S0215");
            e.Position(expr->position);
            throw e;
          }
          if (step->type == NodeType::kSort) {
            JsonataException e("S0216");
            e.Position(expr->position);
            throw e;
          }
          if (expr->keep_array) step->keep_array = true;
          step->has_focus = true;
          step->focus = expr->rhs->value;
          step->tuple = true;
        } else if (op == "#") {
          result = Process(expr->lhs);
          Node* step = result;
          if (result->type == NodeType::kPath) {
            step = result->steps.back();
          } else {
            result = NewPath(result);
            if (step->has_predicate) {
              step->stages = std::move(step->predicate);
              step->has_stages = true;
              step->predicate.clear();
              step->has_predicate = false;
            }
          }
          if (!step->has_stages) {
            step->has_index = true;
            step->index = expr->rhs->value;
          } else {
            Stage stage;
            stage.kind = Stage::Kind::kIndex;
            stage.variable = expr->rhs->value;
            stage.position = expr->position;
            step->stages.push_back(stage);
          }
          step->tuple = true;
        } else if (op == "~>") {
          result = ast_.NewNode();
          result->type = NodeType::kApply;
          result->value = op;
          result->position = expr->position;
          result->lhs = Process(expr->lhs);
          result->rhs = Process(expr->rhs);
          result->keep_array = result->lhs->keep_array || result->rhs->keep_array;
        } else {
          result = ast_.NewNode();
          result->type = expr->type;
          result->value = op;
          result->position = expr->position;
          result->lhs = Process(expr->lhs);
          result->rhs = Process(expr->rhs);
          PushAncestry(result, result->lhs);
          PushAncestry(result, result->rhs);
        }
        break;
      }
      case NodeType::kUnary: {
        result = ast_.NewNode();
        result->type = expr->type;
        result->value = expr->value;
        result->position = expr->position;
        if (expr->value == "[") {
          for (Node* item : expr->expressions) {
            Node* v = Process(item);
            PushAncestry(result, v);
            result->expressions.push_back(v);
          }
        } else if (expr->value == "{") {
          for (const auto& [k, v] : expr->pairs) {
            Node* key = Process(k);
            PushAncestry(result, key);
            Node* val = Process(v);
            PushAncestry(result, val);
            result->pairs.emplace_back(key, val);
          }
        } else {
          result->expression = Process(expr->expression);
          if (expr->value == "-" && result->expression->type == NodeType::kNumber) {
            result = result->expression;
            result->number = -result->number;
          } else {
            PushAncestry(result, result->expression);
          }
        }
        break;
      }
      case NodeType::kFunction:
      case NodeType::kPartial: {
        result = ast_.NewNode();
        result->type = expr->type;
        result->value = expr->value;
        result->position = expr->position;
        for (Node* arg : expr->arguments) {
          Node* a = Process(arg);
          PushAncestry(result, a);
          result->arguments.push_back(a);
        }
        result->procedure = Process(expr->procedure);
        break;
      }
      case NodeType::kLambda: {
        result = ast_.NewNode();
        result->type = expr->type;
        result->arguments = expr->arguments;
        result->signature = expr->signature;
        result->position = expr->position;
        result->body = TailCallOptimize(Process(expr->body));
        break;
      }
      case NodeType::kCondition: {
        result = ast_.NewNode();
        result->type = expr->type;
        result->position = expr->position;
        result->condition = Process(expr->condition);
        PushAncestry(result, result->condition);
        result->then = Process(expr->then);
        PushAncestry(result, result->then);
        if (expr->otherwise != nullptr) {
          result->otherwise = Process(expr->otherwise);
          PushAncestry(result, result->otherwise);
        }
        break;
      }
      case NodeType::kTransform: {
        result = ast_.NewNode();
        result->type = expr->type;
        result->position = expr->position;
        result->pattern = Process(expr->pattern);
        result->update = Process(expr->update);
        if (expr->remove != nullptr) result->remove = Process(expr->remove);
        break;
      }
      case NodeType::kBlock: {
        result = ast_.NewNode();
        result->type = expr->type;
        result->position = expr->position;
        for (Node* item : expr->expressions) {
          Node* part = Process(item);
          PushAncestry(result, part);
          if (part->consarray || (part->type == NodeType::kPath && part->steps[0]->consarray)) {
            result->consarray = true;
          }
          result->expressions.push_back(part);
        }
        break;
      }
      case NodeType::kName: {
        result = NewPath(expr);
        if (expr->keep_array) result->keep_singleton_array = true;
        break;
      }
      case NodeType::kParent: {
        result = ast_.NewNode();
        result->type = NodeType::kParent;
        result->position = expr->position;
        Slot* slot = ast_.NewSlot();
        slot->label = "!" + std::to_string(ancestor_label_++);
        slot->level = 1;
        slot->index = ancestor_index_++;
        result->slot = slot;
        ancestry_.push_back(result);
        break;
      }
      case NodeType::kString:
      case NodeType::kNumber:
      case NodeType::kValue:
      case NodeType::kWildcard:
      case NodeType::kDescendant:
      case NodeType::kVariable:
      case NodeType::kRegex:
        result = expr;
        break;
      case NodeType::kOperator:
        if (expr->value == "and" || expr->value == "or" || expr->value == "in") {
          expr->type = NodeType::kName;
          result = Process(expr);
        } else if (expr->value == "?") {
          result = expr;
        } else {
          JsonataException e("S0201");
          e.Position(expr->position).Token(expr->value);
          throw e;
        }
        break;
      default: {
        JsonataException e(expr->id == "(end)" ? "S0207" : "S0206");
        e.Position(expr->position).Token(expr->value);
        throw e;
      }
    }
    if (expr->keep_array) result->keep_array = true;
    return result;
  }

  std::string_view source_;
  Lexer lexer_;
  Ast& ast_;
  Node* node_ = nullptr;
  int ancestor_label_ = 0;
  int ancestor_index_ = 0;
  std::vector<Node*> ancestry_;
};

}  // namespace

namespace {

Op OpOf(const std::string& v, bool unary) {
  if (unary) {
    if (v == "-") return Op::kNeg;
    if (v == "[") return Op::kArray;
    if (v == "{") return Op::kObject;
    return Op::kNone;
  }
  static const std::unordered_map<std::string_view, Op> kOps = {
      {"and", Op::kAnd}, {"or", Op::kOr},    {"+", Op::kAdd},  {"-", Op::kSub},
      {"*", Op::kMul},   {"/", Op::kDiv},    {"%", Op::kMod},  {"=", Op::kEq},
      {"!=", Op::kNe},   {"<", Op::kLt},     {"<=", Op::kLe},  {">", Op::kGt},
      {">=", Op::kGe},   {"&", Op::kConcat}, {"..", Op::kRange}, {"in", Op::kIn}};
  auto it = kOps.find(v);
  return it == kOps.end() ? Op::kNone : it->second;
}

bool PlainStep(const Node* s) {
  return !s->has_predicate && !s->has_stages && s->group == nullptr && !s->keep_array &&
         !s->has_focus && !s->has_index && !s->tuple && s->ancestor == nullptr && !s->consarray;
}

void Annotate(Ast& ast) {
  for (const auto& n : ast.nodes) {
    Node* node = n.get();
    if (node->type == NodeType::kBinary) node->op = OpOf(node->value, false);
    if (node->type == NodeType::kUnary) node->op = OpOf(node->value, true);
    if (node->type == NodeType::kVariable) node->builtin = FindBuiltin(node->value);
    if (node->type == NodeType::kPath && !node->steps.empty()) {
      bool simple = !node->keep_singleton_array && node->group == nullptr && !node->tuple &&
                    !node->keep_array && !node->has_predicate;
      for (std::size_t i = 0; simple && i < node->steps.size(); ++i) {
        const Node* step = node->steps[i];
        const bool name_ok = step->type == NodeType::kName ||
                             (i == 0 && step->type == NodeType::kVariable);
        simple = name_ok && PlainStep(step);
      }
      node->simple_path = simple;
    }
  }
}

}  // namespace

std::unique_ptr<Ast> ParseExpression(std::string_view source) {
  auto ast = std::make_unique<Ast>();
  Parser parser(source, *ast);
  ast->root = parser.Parse();
  Annotate(*ast);
  return ast;
}

}  // namespace stepway::jsonata
