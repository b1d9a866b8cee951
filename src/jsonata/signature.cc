#include "jsonata/signature.h"

#include "jsonata/error.h"

namespace stepway::jsonata {

char SymbolOf(const Value& v) {
  switch (v.type()) {
    case Type::kFunction:
      return 'f';
    case Type::kString:
      return 's';
    case Type::kNumber:
      return 'n';
    case Type::kBool:
      return 'b';
    case Type::kNull:
      return 'l';
    case Type::kArray:
      return 'a';
    case Type::kObject:
      return 'o';
    case Type::kUndefined:
      break;
  }
  return 'm';
}

namespace {

std::size_t FindClosing(std::string_view s, std::size_t start, char open, char close) {
  int depth = 1;
  std::size_t pos = start;
  while (pos < s.size()) {
    ++pos;
    if (pos >= s.size()) break;
    const char c = s[pos];
    if (c == close) {
      if (--depth == 0) break;
    } else if (c == open) {
      ++depth;
    }
  }
  return pos;
}

const char* ArrayTypeName(const std::string& subtype) {
  if (subtype == "a") return "arrays";
  if (subtype == "b") return "booleans";
  if (subtype == "f") return "functions";
  if (subtype == "n") return "numbers";
  if (subtype == "o") return "objects";
  if (subtype == "s") return "strings";
  return "";
}

}  // namespace

std::shared_ptr<const Signature> Signature::Parse(std::string_view sig) {
  auto out = std::make_shared<Signature>();
  out->definition_ = std::string(sig);
  std::size_t position = 1;
  Param param;
  int prev = -1;  // index of the previous param in params_
  while (position < sig.size()) {
    const char symbol = sig[position];
    if (symbol == ':') break;
    auto next = [&] {
      out->params_.push_back(param);
      prev = static_cast<int>(out->params_.size()) - 1;
      param = Param();
    };
    switch (symbol) {
      case 's':
      case 'n':
      case 'b':
      case 'l':
      case 'o':
        param.chars = std::string(1, symbol) + "m";
        param.type = symbol;
        next();
        break;
      case 'a':
        param.chars = "asnblfom";
        param.type = symbol;
        next();
        break;
      case 'f':
        param.chars = "f";
        param.type = symbol;
        next();
        break;
      case 'j':
        param.chars = "asnblom";
        param.type = symbol;
        next();
        break;
      case 'x':
        param.chars = "asnblfom";
        param.type = symbol;
        next();
        break;
      case '-':
        if (prev >= 0) {
          out->params_[prev].context = true;
          out->params_[prev].context_chars = out->params_[prev].chars;
          out->params_[prev].optional = true;
        }
        break;
      case '?':
        if (prev >= 0) out->params_[prev].optional = true;
        break;
      case '+':
        if (prev >= 0) out->params_[prev].plus = true;
        break;
      case '(': {
        const std::size_t end = FindClosing(sig, position, '(', ')');
        const std::string choice(sig.substr(position + 1, end - position - 1));
        if (choice.find('<') != std::string::npos) {
          JsonataException e("S0402");
          e.With(Value::String(choice)).Position(static_cast<int>(position));
          throw e;
        }
        param.chars = choice + "m";
        param.type = '(';
        position = end;
        next();
        break;
      }
      case '<': {
        if (prev >= 0 && (out->params_[prev].type == 'a' || out->params_[prev].type == 'f')) {
          const std::size_t end = FindClosing(sig, position, '<', '>');
          out->params_[prev].subtype = std::string(sig.substr(position + 1, end - position - 1));
          position = end;
        } else {
          JsonataException e("S0401");
          e.With(Value::String(prev >= 0 ? std::string(1, out->params_[prev].type) : ""))
              .Position(static_cast<int>(position));
          throw e;
        }
        break;
      }
      default:
        break;
    }
    ++position;
  }
  return out;
}

// Backtracking match of the symbols in sig against params [param, nparams), greedy like the
// regular expression jsonata-js builds. spans[i] = (start, length) of what param i matched.
bool Signature::MatchFrom(std::string_view sig, std::size_t param, std::size_t pos,
                          std::size_t nparams, bool anchored,
                          Spans& spans) const {
  if (param == nparams) return !anchored || pos == sig.size();
  const Param& p = params_[param];
  std::size_t max = 0;
  while (pos + max < sig.size() && p.chars.find(sig[pos + max]) != std::string::npos) {
    ++max;
    if (!p.plus) break;
  }
  const std::size_t min = (p.optional) ? 0 : 1;
  for (std::size_t n = max + 1; n-- > min;) {
    if (n > max) continue;
    spans[param] = {pos, n};
    if (MatchFrom(sig, param + 1, pos + n, nparams, anchored, spans)) return true;
    if (n == 0) break;
  }
  return false;
}

bool Signature::AcceptsAsIs(const std::vector<Value>& args, bool missing_ok) const {
  if (args.size() > params_.size() || (!missing_ok && args.size() != params_.size())) {
    return false;
  }
  for (std::size_t i = 0; i < params_.size(); ++i) {
    const Param& p = params_[i];
    // `+` may take several arguments, so the greedy match may pair them differently.
    if (p.plus) return false;
    if (i >= args.size()) {
      // Validate would append undefined for a trailing optional parameter, or the context.
      if (!p.optional || p.context) return false;
      continue;
    }
    const Value& arg = args[i];
    const char symbol = SymbolOf(arg);
    if (p.chars.find(symbol) == std::string::npos) return false;
    if (p.type != 'a') continue;
    if (symbol != 'a' && symbol != 'm') return false;  // Validate wraps it in an array
    if (!p.subtype.empty() && symbol == 'a' && arg.ArraySize() > 0) {
      // Every item of the subtype's type, as Validate checks (else it throws T0412).
      if (SymbolOf(arg.At(0)) != p.subtype[0]) return false;
      for (std::size_t k = 1; k < arg.ArraySize(); ++k) {
        if (SymbolOf(arg.At(k)) != p.subtype[0]) return false;
      }
    }
  }
  return true;
}

std::vector<Value> Signature::Validate(const std::vector<Value>& args,
                                       const Value& context) const {
  char buf[32];
  std::string heap;
  std::string_view supplied;
  if (args.size() <= sizeof(buf)) {
    for (std::size_t i = 0; i < args.size(); ++i) buf[i] = SymbolOf(args[i]);
    supplied = std::string_view(buf, args.size());
  } else {
    for (const Value& a : args) heap.push_back(SymbolOf(a));
    supplied = heap;
  }
  Spans spans(params_.size());
  if (!MatchFrom(supplied, 0, 0, params_.size(), true, spans)) {
    // Find how far the arguments match, as throwValidationError does.
    std::size_t good_to = 0;
    for (std::size_t i = 0; i < params_.size(); ++i) {
      Spans partial(params_.size());
      if (!MatchFrom(supplied, 0, 0, i + 1, false, partial)) break;
      good_to = partial[i].first + partial[i].second;
    }
    JsonataException e("T0410");
    e.With(good_to < args.size() ? args[good_to] : Value()).Index(static_cast<int>(good_to) + 1);
    throw e;
  }
  std::vector<Value> validated;
  validated.reserve(params_.size());
  std::size_t arg_index = 0;
  for (std::size_t i = 0; i < params_.size(); ++i) {
    const Param& p = params_[i];
    const std::string_view match = supplied.substr(spans[i].first, spans[i].second);
    if (match.empty()) {
      if (p.context) {
        const char ct = SymbolOf(context);
        if (p.context_chars.find(ct) != std::string::npos) {
          validated.push_back(context);
        } else {
          JsonataException e("T0411");
          e.With(context).Index(static_cast<int>(arg_index) + 1);
          throw e;
        }
      } else {
        validated.push_back(arg_index < args.size() ? args[arg_index] : Value());
        ++arg_index;
      }
      continue;
    }
    for (const char single : match) {
      Value arg = arg_index < args.size() ? args[arg_index] : Value();
      if (p.type == 'a') {
        if (single == 'm') {
          arg = Value();
        } else {
          bool ok = true;
          if (!p.subtype.empty()) {
            if (single != 'a' && match != p.subtype) {
              ok = false;
            } else if (single == 'a' && arg.ArraySize() > 0) {
              const char item_type = SymbolOf(arg.At(0));
              if (item_type != p.subtype[0]) {
                ok = false;
              } else {
                for (std::size_t k = 0; k < arg.ArraySize(); ++k) {
                  if (SymbolOf(arg.At(k)) != item_type) {
                    ok = false;
                    break;
                  }
                }
              }
            }
          }
          if (!ok) {
            JsonataException e("T0412");
            e.With(arg).Index(static_cast<int>(arg_index) + 1);
            e.info.type = ArrayTypeName(p.subtype);
            throw e;
          }
          if (single != 'a') {
            Value wrapped = Value::NewArray();
            Push(wrapped, arg);
            arg = wrapped;
          }
        }
      }
      validated.push_back(arg);
      ++arg_index;
    }
  }
  return validated;
}

}  // namespace stepway::jsonata
