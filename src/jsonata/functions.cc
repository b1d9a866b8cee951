// The JSONata built-in function library: a port of jsonata-js's functions.js, bound under
// the names and signatures jsonata.js gives them.
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <string>
#include <unordered_map>

#include "jsonata/evaluator.h"
#include "jsonata/functions.h"
#include "jsonata/utf8.h"

namespace stepway::jsonata {
namespace {

using Args = std::vector<Value>;

const Value& Arg(const Args& a, std::size_t i) {
  static const Value kUndefined;
  return i < a.size() ? a[i] : kUndefined;
}

[[noreturn]] void Throw(const char* code) { throw JsonataException(code); }

// JavaScript truthiness (for comparator results).
bool JsTruthy(const Value& v) {
  switch (v.type()) {
    case Type::kUndefined:
    case Type::kNull:
      return false;
    case Type::kBool:
      return v.AsBool();
    case Type::kNumber:
      return v.AsNumber() != 0 && !std::isnan(v.AsNumber());
    case Type::kString:
      return !v.AsString().empty();
    default:
      return true;
  }
}

// Array.prototype.slice index resolution.
std::size_t SliceIndex(double rel, std::size_t len) {
  if (std::isnan(rel)) rel = 0;
  rel = std::trunc(rel);
  if (rel < 0) return static_cast<std::size_t>(std::max(static_cast<double>(len) + rel, 0.0));
  return static_cast<std::size_t>(std::min(rel, static_cast<double>(len)));
}

// ---- aggregation ----

Value Sum(Evaluator&, Args& a, const Value&, Frame*) {
  const Value& arr = Arg(a, 0);
  if (arr.IsUndefined()) return Value();
  double total = 0;
  for (std::size_t i = 0, n = arr.ArraySize(); i < n; ++i) total += arr.At(i).AsNumber();
  return Value::Number(total);
}

Value Count(Evaluator&, Args& a, const Value&, Frame*) {
  const Value& arr = Arg(a, 0);
  if (arr.IsUndefined()) return Value::Number(0);
  return Value::Number(static_cast<double>(arr.ArraySize()));
}

Value Max(Evaluator&, Args& a, const Value&, Frame*) {
  const Value& arr = Arg(a, 0);
  if (arr.IsUndefined() || arr.ArraySize() == 0) return Value();
  double m = -INFINITY;
  for (std::size_t i = 0, n = arr.ArraySize(); i < n; ++i) {
    const double d = arr.At(i).AsNumber();
    if (std::isnan(d)) return Value::Number(NAN);
    m = std::max(m, d);
  }
  return Value::Number(m);
}

Value Min(Evaluator&, Args& a, const Value&, Frame*) {
  const Value& arr = Arg(a, 0);
  if (arr.IsUndefined() || arr.ArraySize() == 0) return Value();
  double m = INFINITY;
  for (std::size_t i = 0, n = arr.ArraySize(); i < n; ++i) {
    const double d = arr.At(i).AsNumber();
    if (std::isnan(d)) return Value::Number(NAN);
    m = std::min(m, d);
  }
  return Value::Number(m);
}

Value Average(Evaluator&, Args& a, const Value&, Frame*) {
  const Value& arr = Arg(a, 0);
  if (arr.IsUndefined() || arr.ArraySize() == 0) return Value();
  double total = 0;
  const std::size_t n = arr.ArraySize();
  for (std::size_t i = 0; i < n; ++i) total += arr.At(i).AsNumber();
  return Value::Number(total / static_cast<double>(n));
}

// ---- strings ----

Value String(Evaluator&, Args& a, const Value&, Frame*) {
  const Value& p = Arg(a, 1);
  return StringOf(Arg(a, 0), p.IsBool() && p.AsBool());
}

Value Substring(Evaluator&, Args& a, const Value&, Frame*) {
  const Value& s = Arg(a, 0);
  if (s.IsUndefined()) return Value();
  const std::string_view str = s.AsString();
  const std::vector<std::size_t> offs = CodePointOffsets(str);
  const std::size_t len = offs.size() - 1;
  double start = Arg(a, 1).AsNumber();
  if (static_cast<double>(len) + start < 0) start = 0;
  std::size_t from;
  std::size_t to;
  if (Arg(a, 2).IsDefined()) {
    const double length = Arg(a, 2).AsNumber();
    if (length <= 0) return Value::StringView("");
    const double end = start >= 0 ? start + length : static_cast<double>(len) + start + length;
    from = SliceIndex(start, len);
    to = SliceIndex(end, len);
  } else {
    from = SliceIndex(start, len);
    to = len;
  }
  if (from >= to) return Value::StringView("");
  return Value::String(std::string(str.substr(offs[from], offs[to] - offs[from])));
}

Value SubstringBefore(Evaluator&, Args& a, const Value&, Frame*) {
  const Value& s = Arg(a, 0);
  if (s.IsUndefined()) return Value();
  const std::string_view str = s.AsString();
  const std::size_t pos = str.find(Arg(a, 1).AsString());
  if (pos == std::string_view::npos) return s;
  return Value::String(std::string(str.substr(0, pos)));
}

Value SubstringAfter(Evaluator&, Args& a, const Value&, Frame*) {
  const Value& s = Arg(a, 0);
  if (s.IsUndefined()) return Value();
  const std::string_view str = s.AsString();
  const std::string_view chars = Arg(a, 1).AsString();
  const std::size_t pos = str.find(chars);
  if (pos == std::string_view::npos) return s;
  return Value::String(std::string(str.substr(pos + chars.size())));
}

std::uint32_t CaseMap(std::uint32_t cp, bool upper) {
  if (upper) {
    if (cp >= 'a' && cp <= 'z') return cp - 32;
    if ((cp >= 0xE0 && cp <= 0xFE && cp != 0xF7)) return cp - 32;
    if (cp >= 0x3B1 && cp <= 0x3C9 && cp != 0x3C2) return cp - 32;
    if (cp >= 0x430 && cp <= 0x44F) return cp - 32;
    if (cp >= 0x450 && cp <= 0x45F) return cp - 80;
    if (cp >= 0x100 && cp <= 0x17F && (cp & 1) == 1) return cp - 1;
  } else {
    if (cp >= 'A' && cp <= 'Z') return cp + 32;
    if ((cp >= 0xC0 && cp <= 0xDE && cp != 0xD7)) return cp + 32;
    if (cp >= 0x391 && cp <= 0x3A9) return cp + 32;
    if (cp >= 0x410 && cp <= 0x42F) return cp + 32;
    if (cp >= 0x400 && cp <= 0x40F) return cp + 80;
    if (cp >= 0x100 && cp <= 0x17F && (cp & 1) == 0) return cp + 1;
  }
  return cp;
}

Value ChangeCase(const Value& s, bool upper) {
  if (s.IsUndefined()) return Value();
  const std::string_view str = s.AsString();
  std::string out;
  out.reserve(str.size());
  for (std::size_t i = 0; i < str.size();) {
    const unsigned char c = str[i];
    if (c < 0x80) {
      out += static_cast<char>(upper ? (c >= 'a' && c <= 'z' ? c - 32 : c)
                                     : (c >= 'A' && c <= 'Z' ? c + 32 : c));
      ++i;
      continue;
    }
    AppendUtf8(out, CaseMap(DecodeUtf8(str, i), upper));
  }
  return Value::String(std::move(out));
}

Value Lowercase(Evaluator&, Args& a, const Value&, Frame*) { return ChangeCase(Arg(a, 0), false); }
Value Uppercase(Evaluator&, Args& a, const Value&, Frame*) { return ChangeCase(Arg(a, 0), true); }

Value Length(Evaluator&, Args& a, const Value&, Frame*) {
  const Value& s = Arg(a, 0);
  if (s.IsUndefined()) return Value();
  return Value::Number(static_cast<double>(CodePointLength(s.AsString())));
}

Value Trim(Evaluator&, Args& a, const Value&, Frame*) {
  const Value& s = Arg(a, 0);
  if (s.IsUndefined()) return Value();
  std::string out;
  bool in_ws = false;
  for (const char c : s.AsString()) {
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      if (!in_ws) out += ' ';
      in_ws = true;
    } else {
      out += c;
      in_ws = false;
    }
  }
  if (!out.empty() && out.front() == ' ') out.erase(0, 1);
  if (!out.empty() && out.back() == ' ') out.pop_back();
  return Value::String(std::move(out));
}

Value Pad(Evaluator&, Args& a, const Value&, Frame*) {
  const Value& s = Arg(a, 0);
  if (s.IsUndefined()) return Value();
  std::string ch = Arg(a, 2).IsString() ? std::string(Arg(a, 2).AsString()) : "";
  if (ch.empty()) ch = " ";
  const double width = std::trunc(Arg(a, 1).AsNumber());
  const std::string_view str = s.AsString();
  const double pad_length = std::fabs(width) - static_cast<double>(CodePointLength(str));
  if (!(pad_length > 0)) return s;
  const auto n = static_cast<std::size_t>(pad_length);
  std::string padding;
  for (std::size_t i = 0; i < n; ++i) padding += ch;
  if (CodePointLength(ch) > 1) {
    const auto offs = CodePointOffsets(padding);
    padding = padding.substr(0, offs[std::min(n, offs.size() - 1)]);
  }
  return Value::String(width > 0 ? std::string(str) + padding : padding + std::string(str));
}

// One match of a matcher (a regex, or a function following the matcher protocol).
struct MatchInfo {
  std::string match;
  std::size_t start = 0;  // byte offsets into the subject
  std::size_t end = 0;
  std::vector<Value> groups;
  Value object;  // the match object as jsonata-js builds it (for function replacers)
};

class Matcher {
 public:
  Matcher(Evaluator& ev, const Value& fn, std::string_view str, Frame* env)
      : ev_(ev), fn_(fn), str_(str), env_(env), ascii_(IsAscii(str)) {}

  // The first match, then each following one. False when there are no more.
  bool Next(MatchInfo& m) {
    const FunctionData& f = *fn_.AsFunction();
    if (f.kind == FunctionKind::kRegex) {
      Regex::Match rm;
      if (started_) {
        if (last_ >= str_.size()) return false;
        if (!f.regex->Exec(str_, last_, rm)) return false;
        if (rm.start == rm.end) {
          JsonataException e("D1004");
          e.Position(f.node != nullptr ? f.node->position : 0)
              .With(Value::String(f.regex->source()));
          throw e;
        }
      } else {
        started_ = true;
        if (!f.regex->Exec(str_, 0, rm)) return false;
      }
      last_ = rm.end;
      m.match = std::string(str_.substr(rm.start, rm.end - rm.start));
      m.start = rm.start;
      m.end = rm.end;
      m.groups.clear();
      for (const auto& [gs, ge] : rm.groups) {
        m.groups.push_back(gs == std::string::npos ? Value::StringView("")
                                                   : Value::String(std::string(str_.substr(gs, ge - gs))));
      }
      m.object = Value();
      return true;
    }
    Value r;
    if (!started_) {
      started_ = true;
      r = ev_.Apply(fn_, {Value::String(std::string(str_))}, Value(), env_);
    } else {
      if (!next_.IsFunction()) return false;
      r = ev_.Apply(next_, {}, Value(), env_);
    }
    if (r.IsUndefined()) return false;
    const bool ok = r.IsObject() && (r.Get("start").IsNumber() || r.Get("groups").IsArray() ||
                                     r.Get("next").IsFunction());
    if (!ok && Truthy(Value::Bool(true)) && !(r.IsNull() || (r.IsBool() && !r.AsBool()))) {
      Throw("T1010");
    }
    if (!ok) return false;
    const Value match = r.Get("match");
    m.match = match.IsString() ? std::string(match.AsString()) : "";
    const double s = r.Get("start").IsNumber() ? r.Get("start").AsNumber() : 0;
    const double e = r.Get("end").IsNumber() ? r.Get("end").AsNumber() : s + m.match.size();
    m.start = ascii_ ? static_cast<std::size_t>(s) : ByteOffsetOfUtf16(str_, static_cast<std::size_t>(s));
    m.end = ascii_ ? static_cast<std::size_t>(e) : ByteOffsetOfUtf16(str_, static_cast<std::size_t>(e));
    m.start = std::min(m.start, str_.size());
    m.end = std::min(std::max(m.end, m.start), str_.size());
    m.groups = Items(r.Get("groups"));
    m.object = r;
    next_ = r.Get("next");
    return true;
  }

  double Utf16(std::size_t byte) const {
    return static_cast<double>(ascii_ ? byte : Utf16Offset(str_, byte));
  }

 private:
  Evaluator& ev_;
  Value fn_;
  std::string_view str_;
  Frame* env_;
  bool ascii_;
  bool started_ = false;
  std::size_t last_ = 0;
  Value next_;
};

Value MatchObject(const MatchInfo& m, const Matcher& matcher) {
  if (m.object.IsDefined()) return m.object;
  Value obj = Value::NewObject();
  ObjectData* o = obj.MutableObject();
  o->Set("match", Value::String(m.match));
  o->Set("start", Value::Number(matcher.Utf16(m.start)));
  o->Set("end", Value::Number(matcher.Utf16(m.end)));
  Value groups = Value::NewArray();
  groups.MutableArray()->items = m.groups;
  o->Set("groups", groups);
  return obj;
}

Value Match(Evaluator& ev, Args& a, const Value&, Frame* env) {
  const Value& s = Arg(a, 0);
  if (s.IsUndefined()) return Value();
  const Value& limit = Arg(a, 2);
  if (limit.IsNumber() && limit.AsNumber() < 0) {
    JsonataException e("D3040");
    e.With(limit).Index(3);
    throw e;
  }
  Value result = Value::NewSequence();
  if (limit.IsUndefined() || limit.AsNumber() > 0) {
    std::string str(s.AsString());
    Matcher matcher(ev, Arg(a, 1), str, env);
    MatchInfo m;
    double count = 0;
    while ((limit.IsUndefined() || count < limit.AsNumber()) && matcher.Next(m)) {
      Value obj = Value::NewObject();
      ObjectData* o = obj.MutableObject();
      o->Set("match", Value::String(m.match));
      o->Set("index", Value::Number(matcher.Utf16(m.start)));
      Value groups = Value::NewArray();
      groups.MutableArray()->items = m.groups;
      o->Set("groups", groups);
      Push(result, obj);
      ++count;
    }
  }
  return result;
}

Value Contains(Evaluator& ev, Args& a, const Value&, Frame* env) {
  const Value& s = Arg(a, 0);
  const Value& token = Arg(a, 1);
  if (s.IsUndefined() || token.IsUndefined()) return Value();
  if (token.IsString()) return Value::Bool(s.AsString().find(token.AsString()) != std::string::npos);
  std::string str(s.AsString());
  Matcher matcher(ev, token, str, env);
  MatchInfo m;
  return Value::Bool(matcher.Next(m));
}

std::string SubstituteDollars(std::string_view replacement, const MatchInfo& m) {
  std::string out;
  std::size_t position = 0;
  std::size_t index = replacement.find('$', position);
  const std::size_t ngroups = m.groups.size();
  while (index != std::string_view::npos && position < replacement.size()) {
    out += replacement.substr(position, index - position);
    position = index + 1;
    const char dollar = position < replacement.size() ? replacement[position] : '\0';
    if (dollar == '$') {
      out += '$';
      ++position;
    } else if (dollar == '0') {
      out += m.match;
      ++position;
    } else {
      std::size_t max_digits =
          ngroups == 0 ? 1 : static_cast<std::size_t>(std::floor(std::log10(ngroups))) + 1;
      auto parse = [&](std::size_t digits) -> long {
        const std::string_view part = replacement.substr(position, digits);
        if (part.empty() || !std::isdigit(static_cast<unsigned char>(part[0]))) return -1;
        return std::strtol(std::string(part).c_str(), nullptr, 10);
      };
      long idx = parse(max_digits);
      if (max_digits > 1 && idx > static_cast<long>(ngroups)) idx = parse(max_digits - 1);
      if (idx >= 0) {
        if (ngroups > 0 && idx >= 1 && static_cast<std::size_t>(idx) <= ngroups) {
          const Value& g = m.groups[idx - 1];
          if (g.IsString()) out += g.AsString();
        }
        position += std::to_string(idx).size();
      } else {
        out += '$';
      }
    }
    index = replacement.find('$', position);
  }
  if (position < replacement.size()) out += replacement.substr(position);
  return out;
}

Value Replace(Evaluator& ev, Args& a, const Value&, Frame* env) {
  const Value& s = Arg(a, 0);
  if (s.IsUndefined()) return Value();
  const Value& pattern = Arg(a, 1);
  const Value& replacement = Arg(a, 2);
  const Value& limit = Arg(a, 3);
  if (pattern.IsString() && pattern.AsString().empty()) {
    JsonataException e("D3010");
    e.With(pattern).Index(2);
    throw e;
  }
  if (limit.IsNumber() && limit.AsNumber() < 0) {
    JsonataException e("D3011");
    e.With(limit).Index(4);
    throw e;
  }
  const std::string str(s.AsString());
  if (!(limit.IsUndefined() || limit.AsNumber() > 0)) return s;
  std::string result;
  std::size_t position = 0;
  double count = 0;
  if (pattern.IsString()) {
    const std::string_view pat = pattern.AsString();
    const std::string rep = replacement.IsString() ? std::string(replacement.AsString())
                                                   : std::string(StringOf(replacement).AsString());
    std::size_t index = str.find(pat, position);
    while (index != std::string::npos && (limit.IsUndefined() || count < limit.AsNumber())) {
      result += str.substr(position, index - position);
      result += rep;
      position = index + pat.size();
      ++count;
      index = str.find(pat, position);
    }
    result += str.substr(position);
    return Value::String(std::move(result));
  }
  Matcher matcher(ev, pattern, str, env);
  MatchInfo m;
  if (!matcher.Next(m)) return s;
  do {
    result += str.substr(position, m.start - position);
    if (replacement.IsString()) {
      result += SubstituteDollars(replacement.AsString(), m);
    } else {
      const Value r = ev.Apply(replacement, {MatchObject(m, matcher)}, Value(), env);
      if (!r.IsString()) {
        JsonataException e("D3012");
        e.With(r);
        throw e;
      }
      result += r.AsString();
    }
    position = m.start + m.match.size();
    ++count;
  } while ((limit.IsUndefined() || count < limit.AsNumber()) && matcher.Next(m));
  result += str.substr(std::min(position, str.size()));
  return Value::String(std::move(result));
}

Value Split(Evaluator& ev, Args& a, const Value&, Frame* env) {
  const Value& s = Arg(a, 0);
  if (s.IsUndefined()) return Value();
  const Value& sep = Arg(a, 1);
  const Value& limit = Arg(a, 2);
  if (limit.IsNumber() && limit.AsNumber() < 0) {
    JsonataException e("D3020");
    e.With(limit).Index(3);
    throw e;
  }
  Value result = Value::NewArray();
  ArrayData* r = result.MutableArray();
  if (!(limit.IsUndefined() || limit.AsNumber() > 0)) return result;
  const std::string_view str = s.AsString();
  const double max = limit.IsUndefined() ? INFINITY : std::floor(limit.AsNumber());
  if (sep.IsString()) {
    const std::string_view sp = sep.AsString();
    if (sp.empty()) {
      const auto offs = CodePointOffsets(str);
      for (std::size_t i = 0; i + 1 < offs.size() && r->items.size() < max; ++i) {
        r->items.push_back(Value::String(std::string(str.substr(offs[i], offs[i + 1] - offs[i]))));
      }
      return result;
    }
    std::size_t pos = 0;
    while (r->items.size() < max) {
      const std::size_t idx = str.find(sp, pos);
      if (idx == std::string_view::npos) {
        r->items.push_back(Value::String(std::string(str.substr(pos))));
        break;
      }
      r->items.push_back(Value::String(std::string(str.substr(pos, idx - pos))));
      pos = idx + sp.size();
    }
    return result;
  }
  const std::string subject(str);
  Matcher matcher(ev, sep, subject, env);
  MatchInfo m;
  double count = 0;
  if (!matcher.Next(m)) {
    r->items.push_back(s);
    return result;
  }
  std::size_t start = 0;
  do {
    r->items.push_back(Value::String(subject.substr(start, m.start - std::min(start, m.start))));
    start = m.end;
    ++count;
  } while ((limit.IsUndefined() || count < limit.AsNumber()) && matcher.Next(m));
  if (limit.IsUndefined() || count < limit.AsNumber()) {
    r->items.push_back(Value::String(subject.substr(std::min(start, subject.size()))));
  }
  return result;
}

Value Join(Evaluator&, Args& a, const Value&, Frame*) {
  const Value& arr = Arg(a, 0);
  if (arr.IsUndefined()) return Value();
  const std::string_view sep = Arg(a, 1).IsString() ? Arg(a, 1).AsString() : "";
  std::string out;
  for (std::size_t i = 0, n = arr.ArraySize(); i < n; ++i) {
    if (i > 0) out += sep;
    const Value item = arr.At(i);
    if (item.IsString()) out += item.AsString();
  }
  return Value::String(std::move(out));
}

Value FormatNumberFn(Evaluator&, Args& a, const Value&, Frame*) {
  const Value& v = Arg(a, 0);
  if (v.IsUndefined()) return Value();
  return Value::String(FormatNumber(v.AsNumber(), Arg(a, 1).AsString(), Arg(a, 2)));
}

std::string ToRadix(double value, int radix) {
  if (value == 0) return "0";
  const bool neg = value < 0;
  double v = std::fabs(value);
  std::string digits;
  while (v >= 1) {
    const double q = std::floor(v / radix);
    const int d = static_cast<int>(v - q * radix);
    digits += static_cast<char>(d < 10 ? '0' + d : 'a' + d - 10);
    v = q;
  }
  if (neg) digits += '-';
  std::reverse(digits.begin(), digits.end());
  return digits;
}

Value FormatBase(Evaluator&, Args& a, const Value&, Frame*) {
  const Value& v = Arg(a, 0);
  if (v.IsUndefined()) return Value();
  const double value = RoundHalfEven(v.AsNumber(), 0);
  double radix = 10;
  if (Arg(a, 1).IsDefined()) radix = RoundHalfEven(Arg(a, 1).AsNumber(), 0);
  if (radix < 2 || radix > 36) {
    JsonataException e("D3100");
    e.With(Value::Number(radix));
    throw e;
  }
  return Value::String(ToRadix(value, static_cast<int>(radix)));
}

Value FormatIntegerFn(Evaluator&, Args& a, const Value&, Frame*) {
  const Value& v = Arg(a, 0);
  if (v.IsUndefined()) return Value();
  return Value::String(FormatInteger(v.AsNumber(), Arg(a, 1).AsString()));
}

Value ParseIntegerFn(Evaluator&, Args& a, const Value&, Frame*) {
  const Value& v = Arg(a, 0);
  if (v.IsUndefined()) return Value();
  return ParseInteger(v.AsString(), Arg(a, 1).AsString());
}

// ---- numbers ----

bool FullMatchDecimal(std::string_view s) {
  std::size_t i = 0;
  if (i < s.size() && s[i] == '-') ++i;
  const std::size_t d0 = i;
  while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i;
  if (i == d0) return false;
  if (i < s.size() && s[i] == '.') {
    ++i;
    const std::size_t f0 = i;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i;
    if (i == f0) return false;
  }
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    const std::size_t e0 = i;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i;
    if (i == e0) return false;
  }
  return i == s.size();
}

Value Number(Evaluator&, Args& a, const Value&, Frame*) {
  const Value& arg = Arg(a, 0);
  if (arg.IsUndefined()) return Value();
  if (arg.IsNumber()) return arg;
  if (arg.IsString()) {
    const std::string s(arg.AsString());
    if (FullMatchDecimal(s)) {
      const double d = std::strtod(s.c_str(), nullptr);
      if (std::isfinite(d)) return Value::Number(d);
    }
    if (s.size() > 2 && s[0] == '0') {
      const char k = s[1];
      const int base = (k == 'x' || k == 'X') ? 16 : (k == 'o' || k == 'O') ? 8
                       : (k == 'b' || k == 'B') ? 2 : 0;
      if (base != 0) {
        double v = 0;
        bool ok = true;
        for (std::size_t i = 2; i < s.size(); ++i) {
          const char c = s[i];
          int d = std::isdigit(static_cast<unsigned char>(c)) ? c - '0'
                  : (c >= 'a' && c <= 'f') ? c - 'a' + 10
                  : (c >= 'A' && c <= 'F') ? c - 'A' + 10 : 99;
          if (d >= base) {
            ok = false;
            break;
          }
          v = v * base + d;
        }
        if (ok) return Value::Number(v);
      }
    }
  }
  if (arg.IsBool()) return Value::Number(arg.AsBool() ? 1 : 0);
  JsonataException e("D3030");
  e.With(arg).Index(1);
  throw e;
}

Value Abs(Evaluator&, Args& a, const Value&, Frame*) {
  const Value& v = Arg(a, 0);
  return v.IsUndefined() ? v : Value::Number(std::fabs(v.AsNumber()));
}
Value Floor(Evaluator&, Args& a, const Value&, Frame*) {
  const Value& v = Arg(a, 0);
  return v.IsUndefined() ? v : Value::Number(std::floor(v.AsNumber()));
}
Value Ceil(Evaluator&, Args& a, const Value&, Frame*) {
  const Value& v = Arg(a, 0);
  return v.IsUndefined() ? v : Value::Number(std::ceil(v.AsNumber()));
}
Value Round(Evaluator&, Args& a, const Value&, Frame*) {
  const Value& v = Arg(a, 0);
  if (v.IsUndefined()) return v;
  return Value::Number(RoundHalfEven(v.AsNumber(), Arg(a, 1).IsNumber() ? Arg(a, 1).AsNumber() : 0));
}
Value Sqrt(Evaluator&, Args& a, const Value&, Frame*) {
  const Value& v = Arg(a, 0);
  if (v.IsUndefined()) return v;
  if (v.AsNumber() < 0) {
    JsonataException e("D3060");
    e.With(v).Index(1);
    throw e;
  }
  return Value::Number(std::sqrt(v.AsNumber()));
}
Value Power(Evaluator&, Args& a, const Value&, Frame*) {
  const Value& v = Arg(a, 0);
  if (v.IsUndefined()) return v;
  const double r = std::pow(v.AsNumber(), Arg(a, 1).AsNumber());
  if (!std::isfinite(r)) {
    JsonataException e("D3061");
    e.With(v).Index(1);
    e.info.has_exp = true;
    e.info.exp = Arg(a, 1);
    throw e;
  }
  return Value::Number(r);
}
Value Random(Evaluator& ev, Args&, const Value&, Frame*) { return Value::Number(ev.random()); }

// ---- booleans ----

Value Boolean(Evaluator&, Args& a, const Value&, Frame*) { return BooleanOf(Arg(a, 0)); }
Value Not(Evaluator&, Args& a, const Value&, Frame*) {
  const Value& v = Arg(a, 0);
  if (v.IsUndefined()) return v;
  return Value::Bool(!Truthy(v));
}

// ---- higher-order ----

Value Map(Evaluator& ev, Args& a, const Value&, Frame* env) {
  const Value& arr = Arg(a, 0);
  if (arr.IsUndefined()) return Value();
  const Value& fn = Arg(a, 1);
  Value result = Value::NewSequence();
  ArrayData* r = result.MutableArray();
  const std::size_t n = arr.ArraySize();
  r->items.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    Value res = ev.CallHof(fn, arr.At(i), Value::Number(static_cast<double>(i)), arr, env);
    if (res.IsDefined()) r->items.push_back(std::move(res));
  }
  return result;
}

Value Filter(Evaluator& ev, Args& a, const Value&, Frame* env) {
  const Value& arr = Arg(a, 0);
  if (arr.IsUndefined()) return Value();
  const Value& fn = Arg(a, 1);
  Value result = Value::NewSequence();
  for (std::size_t i = 0, n = arr.ArraySize(); i < n; ++i) {
    Value entry = arr.At(i);
    if (Truthy(ev.CallHof(fn, entry, Value::Number(static_cast<double>(i)), arr, env))) {
      Push(result, entry);
    }
  }
  return result;
}

Value Single(Evaluator& ev, Args& a, const Value&, Frame* env) {
  const Value& arr = Arg(a, 0);
  if (arr.IsUndefined()) return Value();
  const Value& fn = Arg(a, 1);
  bool found = false;
  Value result;
  for (std::size_t i = 0, n = arr.ArraySize(); i < n; ++i) {
    Value entry = arr.At(i);
    bool positive = true;
    if (fn.IsDefined()) {
      positive = Truthy(ev.CallHof(fn, entry, Value::Number(static_cast<double>(i)), arr, env));
    }
    if (positive) {
      if (found) {
        JsonataException e("D3138");
        e.Index(static_cast<int>(i));
        throw e;
      }
      result = entry;
      found = true;
    }
  }
  if (!found) Throw("D3139");
  return result;
}

Value Zip(Evaluator&, Args& a, const Value&, Frame*) {
  Value result = Value::NewArray();
  if (a.empty()) return result;
  std::size_t length = SIZE_MAX;
  for (const Value& arg : a) length = std::min(length, arg.IsArray() ? arg.ArraySize() : 0);
  for (std::size_t i = 0; i < length; ++i) {
    Value tuple = Value::NewArray();
    for (const Value& arg : a) Push(tuple, arg.At(i));
    Push(result, tuple);
  }
  return result;
}

Value Reduce(Evaluator& ev, Args& a, const Value&, Frame* env) {
  const Value& seq = Arg(a, 0);
  if (seq.IsUndefined()) return Value();
  const Value& fn = Arg(a, 1);
  const int arity = ev.Arity(fn);
  if (arity < 2) {
    JsonataException e("D3050");
    e.Index(1);
    throw e;
  }
  Value result;
  std::size_t index;
  const std::size_t n = seq.ArraySize();
  if (Arg(a, 2).IsUndefined() && n > 0) {
    result = seq.At(0);
    index = 1;
  } else {
    result = Arg(a, 2);
    index = 0;
  }
  while (index < n) {
    std::vector<Value> args{result, seq.At(index)};
    if (arity >= 3) args.push_back(Value::Number(static_cast<double>(index)));
    if (arity >= 4) args.push_back(seq);
    result = ev.Apply(fn, std::move(args), Value(), env);
    ++index;
  }
  return result;
}

Value Sift(Evaluator& ev, Args& a, const Value&, Frame* env) {
  const Value& obj = Arg(a, 0);
  const Value& fn = Arg(a, 1);
  Value result = Value::NewObject();
  if (obj.IsObject()) {
    for (const std::string_view key : obj.Keys()) {
      Value entry = obj.Get(key);
      if (Truthy(ev.CallHof(fn, entry, Value::String(std::string(key)), obj, env))) {
        result.MutableObject()->Set(key, entry);
      }
    }
  }
  if (result.ObjectSize() == 0) return Value();
  return result;
}

Value Each(Evaluator& ev, Args& a, const Value&, Frame* env) {
  const Value& obj = Arg(a, 0);
  const Value& fn = Arg(a, 1);
  Value result = Value::NewSequence();
  if (obj.IsObject()) {
    for (const std::string_view key : obj.Keys()) {
      Value val = ev.CallHof(fn, obj.Get(key), Value::String(std::string(key)), obj, env);
      if (val.IsDefined()) Push(result, val);
    }
  }
  return result;
}

// ---- objects and arrays ----

void CollectKeys(const Value& arg, std::vector<std::string>& out,
                 std::unordered_map<std::string, bool>& seen) {
  if (arg.IsArray()) {
    for (std::size_t i = 0, n = arg.ArraySize(); i < n; ++i) CollectKeys(arg.At(i), out, seen);
  } else if (arg.IsObject()) {
    arg.ForEachMember([&](std::string_view k, const Value&) {
      if (seen.emplace(std::string(k), true).second) out.emplace_back(k);
    });
  }
}

Value Keys(Evaluator&, Args& a, const Value&, Frame*) {
  std::vector<std::string> keys;
  std::unordered_map<std::string, bool> seen;
  CollectKeys(Arg(a, 0), keys, seen);
  Value result = Value::NewSequence();
  for (std::string& k : keys) Push(result, Value::String(std::move(k)));
  return result;
}

Value Lookup(Evaluator&, Args& a, const Value&, Frame*) {
  const Value& input = Arg(a, 0);
  if (input.IsFunction()) return Value();
  return LookupField(input, Arg(a, 1).AsString());
}

Value Append(Evaluator&, Args& a, const Value&, Frame*) { return AppendValues(Arg(a, 0), Arg(a, 1)); }

Value Exists(Evaluator&, Args& a, const Value&, Frame*) { return Value::Bool(Arg(a, 0).IsDefined()); }

Value SpreadValue(const Value& arg) {
  if (arg.IsArray()) {
    Value result = Value::NewSequence();
    for (std::size_t i = 0, n = arg.ArraySize(); i < n; ++i) {
      result = AppendValues(result, SpreadValue(arg.At(i)));
    }
    return result;
  }
  if (arg.IsObject()) {
    Value result = Value::NewSequence();
    arg.ForEachMember([&](std::string_view k, const Value& v) {
      Value obj = Value::NewObject();
      obj.MutableObject()->Set(k, v);
      Push(result, obj);
    });
    return result;
  }
  return arg;
}

Value Spread(Evaluator&, Args& a, const Value&, Frame*) { return SpreadValue(Arg(a, 0)); }

Value Merge(Evaluator&, Args& a, const Value&, Frame*) {
  const Value& arr = Arg(a, 0);
  if (arr.IsUndefined()) return Value();
  Value result = Value::NewObject();
  ObjectData* r = result.MutableObject();
  for (std::size_t i = 0, n = arr.ArraySize(); i < n; ++i) {
    const Value obj = arr.At(i);
    if (obj.IsObject()) obj.ForEachMember([&](std::string_view k, const Value& v) { r->Set(k, v); });
  }
  return result;
}

Value Reverse(Evaluator&, Args& a, const Value&, Frame*) {
  const Value& arr = Arg(a, 0);
  if (arr.IsUndefined()) return Value();
  if (arr.ArraySize() <= 1) return arr;
  std::vector<Value> items = Items(arr);
  std::reverse(items.begin(), items.end());
  Value out = Value::NewArray();
  out.MutableArray()->items = std::move(items);
  return out;
}

Value Error(Evaluator&, Args& a, const Value&, Frame*) {
  JsonataException e("D3137");
  const Value& m = Arg(a, 0);
  e.Message(m.IsString() && !m.AsString().empty() ? std::string(m.AsString())
                                                   : "$error() function evaluated");
  throw e;
}

Value Assert(Evaluator&, Args& a, const Value&, Frame*) {
  const Value& c = Arg(a, 0);
  if (!(c.IsBool() && c.AsBool())) {
    JsonataException e("D3141");
    const Value& m = Arg(a, 1);
    e.Message(m.IsString() && !m.AsString().empty() ? std::string(m.AsString())
                                                     : "$assert() statement failed");
    throw e;
  }
  return Value();
}

Value TypeOf(Evaluator&, Args& a, const Value&, Frame*) {
  const Value& v = Arg(a, 0);
  switch (v.type()) {
    case Type::kUndefined: return Value();
    case Type::kNull: return Value::StringView("null");
    case Type::kNumber: return Value::StringView("number");
    case Type::kString: return Value::StringView("string");
    case Type::kBool: return Value::StringView("boolean");
    case Type::kArray: return Value::StringView("array");
    case Type::kFunction: return Value::StringView("function");
    case Type::kObject: return Value::StringView("object");
  }
  return Value();
}

Value Sort(Evaluator& ev, Args& a, const Value&, Frame* env) {
  const Value& arr = Arg(a, 0);
  if (arr.IsUndefined()) return Value();
  if (arr.ArraySize() <= 1) return arr;
  std::vector<Value> items = Items(arr);
  const Value& comparator = Arg(a, 1);
  std::function<bool(const Value&, const Value&)> after;
  if (comparator.IsUndefined()) {
    bool numbers = true;
    bool strings = true;
    for (const Value& v : items) {
      if (!IsNumeric(v)) numbers = false;
      if (!v.IsString()) strings = false;
    }
    if (!numbers && !strings) {
      JsonataException e("D3070");
      e.Index(1);
      throw e;
    }
    if (numbers) {
      after = [](const Value& x, const Value& y) { return x.AsNumber() > y.AsNumber(); };
    } else {
      after = [](const Value& x, const Value& y) { return x.AsString() > y.AsString(); };
    }
  } else {
    after = [&](const Value& x, const Value& y) {
      return JsTruthy(ev.Apply(comparator, {x, y}, Value(), env));
    };
  }
  std::vector<Value> tmp(items.size());
  std::function<void(std::size_t, std::size_t)> msort = [&](std::size_t lo, std::size_t hi) {
    if (hi - lo <= 1) return;
    const std::size_t mid = lo + (hi - lo) / 2;
    msort(lo, mid);
    msort(mid, hi);
    std::size_t i = lo, j = mid, k = lo;
    while (i < mid && j < hi) tmp[k++] = after(items[i], items[j]) ? items[j++] : items[i++];
    while (i < mid) tmp[k++] = items[i++];
    while (j < hi) tmp[k++] = items[j++];
    for (std::size_t m = lo; m < hi; ++m) items[m] = tmp[m];
  };
  msort(0, items.size());
  Value out = Value::NewArray();
  out.MutableArray()->items = std::move(items);
  return out;
}

Value Shuffle(Evaluator& ev, Args& a, const Value&, Frame*) {
  const Value& arr = Arg(a, 0);
  if (arr.IsUndefined()) return Value();
  if (arr.ArraySize() <= 1) return arr;
  const std::vector<Value> items = Items(arr);
  std::vector<Value> result(items.size());
  for (std::size_t i = 0; i < items.size(); ++i) {
    const auto j = static_cast<std::size_t>(std::floor(ev.random() * static_cast<double>(i + 1)));
    if (i != j) result[i] = result[j];
    result[j] = items[i];
  }
  Value out = Value::NewArray();
  out.MutableArray()->items = std::move(result);
  return out;
}

Value Distinct(Evaluator&, Args& a, const Value&, Frame*) {
  const Value& arr = Arg(a, 0);
  if (arr.IsUndefined()) return Value();
  if (!arr.IsArray() || arr.ArraySize() <= 1) return arr;
  Value out = arr.IsSequence() ? Value::NewSequence() : Value::NewArray();
  ArrayData* r = out.MutableArray();
  for (std::size_t i = 0, n = arr.ArraySize(); i < n; ++i) {
    Value v = arr.At(i);
    bool includes = false;
    for (const Value& seen : r->items) {
      if (DeepEqual(v, seen)) {
        includes = true;
        break;
      }
    }
    if (!includes) r->items.push_back(std::move(v));
  }
  return out;
}

// ---- encoding ----

Value Base64Encode(Evaluator&, Args& a, const Value&, Frame*) {
  const Value& s = Arg(a, 0);
  if (s.IsUndefined()) return Value();
  static const char* kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  const std::string_view str = s.AsString();
  std::string bytes;
  for (std::size_t i = 0; i < str.size();) bytes += static_cast<char>(DecodeUtf8(str, i) & 0xFF);
  std::string out;
  std::size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    const unsigned v = (static_cast<unsigned char>(bytes[i]) << 16) |
                       (static_cast<unsigned char>(bytes[i + 1]) << 8) |
                       static_cast<unsigned char>(bytes[i + 2]);
    out += kAlphabet[v >> 18];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  if (i + 1 == bytes.size()) {
    const unsigned v = static_cast<unsigned char>(bytes[i]) << 16;
    out += kAlphabet[v >> 18];
    out += kAlphabet[(v >> 12) & 63];
    out += "==";
  } else if (i + 2 == bytes.size()) {
    const unsigned v = (static_cast<unsigned char>(bytes[i]) << 16) |
                       (static_cast<unsigned char>(bytes[i + 1]) << 8);
    out += kAlphabet[v >> 18];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += '=';
  }
  return Value::String(std::move(out));
}

Value Base64Decode(Evaluator&, Args& a, const Value&, Frame*) {
  const Value& s = Arg(a, 0);
  if (s.IsUndefined()) return Value();
  auto val = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+' || c == '-') return 62;
    if (c == '/' || c == '_') return 63;
    return -1;
  };
  std::string out;
  unsigned buf = 0;
  int bits = 0;
  for (const char c : s.AsString()) {
    const int v = val(c);
    if (v < 0) {
      if (c == '=') break;
      continue;
    }
    buf = (buf << 6) | static_cast<unsigned>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      AppendUtf8(out, (buf >> bits) & 0xFF);
    }
  }
  return Value::String(std::move(out));
}

// encodeURIComponent / encodeURI. Lone surrogates cannot occur in valid UTF-8; invalid
// UTF-8 is treated as the URIError JavaScript raises.
Value UrlEncode(const Value& s, bool component, const char* name) {
  if (s.IsUndefined()) return Value();
  const std::string_view str = s.AsString();
  const char* keep = component ? "-_.!~*'()" : "-_.!~*'();/?:@&=+$,#";
  std::string out;
  for (std::size_t i = 0; i < str.size(); ++i) {
    const unsigned char c = str[i];
    if (std::isalnum(c) || (c < 0x80 && std::strchr(keep, c) != nullptr && c != 0)) {
      out += static_cast<char>(c);
      continue;
    }
    if (c >= 0x80) {
      const std::size_t n = Utf8SeqLen(c);
      bool valid = n > 1 && i + n <= str.size();
      for (std::size_t k = 1; valid && k < n; ++k) {
        valid = (static_cast<unsigned char>(str[i + k]) & 0xC0) == 0x80;
      }
      std::size_t j = i;
      if (valid) {
        const std::uint32_t cp = DecodeUtf8(str, j);
        valid = !(cp >= 0xD800 && cp <= 0xDFFF);
      }
      if (!valid) {
        JsonataException e("D3140");
        e.With(s);
        e.info.function_name = name;
        throw e;
      }
      for (std::size_t k = 0; k < n; ++k) {
        char buf[4];
        std::snprintf(buf, sizeof(buf), "%%%02X", static_cast<unsigned char>(str[i + k]));
        out += buf;
      }
      i += n - 1;
      continue;
    }
    char buf[4];
    std::snprintf(buf, sizeof(buf), "%%%02X", c);
    out += buf;
  }
  return Value::String(std::move(out));
}

Value UrlDecode(const Value& s, bool component, const char* name) {
  if (s.IsUndefined()) return Value();
  const std::string_view str = s.AsString();
  auto fail = [&]() {
    JsonataException e("D3140");
    e.With(s);
    e.info.function_name = name;
    throw e;
  };
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string out;
  for (std::size_t i = 0; i < str.size();) {
    if (str[i] != '%') {
      out += str[i++];
      continue;
    }
    if (i + 2 >= str.size() + 0 && i + 2 > str.size() - 1 + 1) fail();
    if (i + 2 >= str.size() || hex(str[i + 1]) < 0 || hex(str[i + 2]) < 0) fail();
    const unsigned char b = static_cast<unsigned char>(hex(str[i + 1]) * 16 + hex(str[i + 2]));
    if (b < 0x80) {
      if (!component && std::strchr(";/?:@&=+$,#", b) != nullptr && b != 0) {
        out.append(str.substr(i, 3));
      } else {
        out += static_cast<char>(b);
      }
      i += 3;
      continue;
    }
    const std::size_t n = Utf8SeqLen(b);
    if (n == 1) fail();
    std::string seq(1, static_cast<char>(b));
    std::size_t j = i + 3;
    for (std::size_t k = 1; k < n; ++k) {
      if (j + 2 >= str.size() + 0 && j + 2 > str.size() - 1) fail();
      if (j >= str.size() || str[j] != '%' || j + 2 >= str.size() + 0 - 0 ||
          hex(str[j + 1]) < 0 || hex(str[j + 2]) < 0) {
        fail();
      }
      const unsigned char cb = static_cast<unsigned char>(hex(str[j + 1]) * 16 + hex(str[j + 2]));
      if ((cb & 0xC0) != 0x80) fail();
      seq += static_cast<char>(cb);
      j += 3;
    }
    out += seq;
    i = j;
  }
  return Value::String(std::move(out));
}

Value EncodeUrlComponent(Evaluator&, Args& a, const Value&, Frame*) {
  return UrlEncode(Arg(a, 0), true, "encodeUrlComponent");
}
Value EncodeUrl(Evaluator&, Args& a, const Value&, Frame*) {
  return UrlEncode(Arg(a, 0), false, "encodeUrl");
}
Value DecodeUrlComponent(Evaluator&, Args& a, const Value&, Frame*) {
  return UrlDecode(Arg(a, 0), true, "decodeUrlComponent");
}
Value DecodeUrl(Evaluator&, Args& a, const Value&, Frame*) {
  return UrlDecode(Arg(a, 0), false, "decodeUrl");
}

// ---- misc ----

Value Eval(Evaluator& ev, Args& a, const Value& input, Frame* env) {
  return ev.FunctionEval(Arg(a, 0), Arg(a, 1), input, env);
}

Value Clone(Evaluator&, Args& a, const Value&, Frame*) {
  const Value& v = Arg(a, 0);
  if (v.IsUndefined()) return v;
  return DeepCopy(v);
}

Value ToMillisFn(Evaluator& ev, Args& a, const Value&, Frame*) {
  const Value& v = Arg(a, 0);
  if (v.IsUndefined()) return v;
  return ToMillis(v.AsString(), Arg(a, 1), ev.now_millis);
}

Value FromMillisFn(Evaluator&, Args& a, const Value&, Frame*) {
  const Value& v = Arg(a, 0);
  if (v.IsUndefined()) return v;
  return Value::String(FromMillis(v.AsNumber(), Arg(a, 1), Arg(a, 2)));
}

Value Now(Evaluator& ev, Args& a, const Value&, Frame*) {
  return Value::String(FromMillis(ev.now_millis, Arg(a, 0), Arg(a, 1)));
}

Value Millis(Evaluator& ev, Args&, const Value&, Frame*) { return Value::Number(ev.now_millis); }

// The table and the function objects it points to are never destroyed: a function-local
// static vector would be freed by the exit-time destructors, leaving the FunctionData objects
// built in FindBuiltin unreachable (LeakSanitizer, which checks after those destructors, then
// reports each of them), and a thread still evaluating during exit would read freed memory.
std::vector<Builtin>& Table() {
  static std::vector<Builtin>& table = *new std::vector<Builtin>{
      {"sum", "<a<n>:n>", 1, Sum, nullptr, nullptr},
      {"count", "<a:n>", 1, Count, nullptr, nullptr},
      {"max", "<a<n>:n>", 1, Max, nullptr, nullptr},
      {"min", "<a<n>:n>", 1, Min, nullptr, nullptr},
      {"average", "<a<n>:n>", 1, Average, nullptr, nullptr},
      {"string", "<x-b?:s>", 1, String, nullptr, nullptr},
      {"substring", "<s-nn?:s>", 3, Substring, nullptr, nullptr},
      {"substringBefore", "<s-s:s>", 2, SubstringBefore, nullptr, nullptr},
      {"substringAfter", "<s-s:s>", 2, SubstringAfter, nullptr, nullptr},
      {"lowercase", "<s-:s>", 1, Lowercase, nullptr, nullptr},
      {"uppercase", "<s-:s>", 1, Uppercase, nullptr, nullptr},
      {"length", "<s-:n>", 1, Length, nullptr, nullptr},
      {"trim", "<s-:s>", 1, Trim, nullptr, nullptr},
      {"pad", "<s-ns?:s>", 3, Pad, nullptr, nullptr},
      {"match", "<s-f<s:o>n?:a<o>>", 3, Match, nullptr, nullptr},
      {"contains", "<s-(sf):b>", 2, Contains, nullptr, nullptr},
      {"replace", "<s-(sf)(sf)n?:s>", 4, Replace, nullptr, nullptr},
      {"split", "<s-(sf)n?:a<s>>", 3, Split, nullptr, nullptr},
      {"join", "<a<s>s?:s>", 2, Join, nullptr, nullptr},
      {"formatNumber", "<n-so?:s>", 3, FormatNumberFn, nullptr, nullptr},
      {"formatBase", "<n-n?:s>", 2, FormatBase, nullptr, nullptr},
      {"formatInteger", "<n-s:s>", 2, FormatIntegerFn, nullptr, nullptr},
      {"parseInteger", "<s-s:n>", 2, ParseIntegerFn, nullptr, nullptr},
      {"number", "<(nsb)-:n>", 1, Number, nullptr, nullptr},
      {"floor", "<n-:n>", 1, Floor, nullptr, nullptr},
      {"ceil", "<n-:n>", 1, Ceil, nullptr, nullptr},
      {"round", "<n-n?:n>", 2, Round, nullptr, nullptr},
      {"abs", "<n-:n>", 1, Abs, nullptr, nullptr},
      {"sqrt", "<n-:n>", 1, Sqrt, nullptr, nullptr},
      {"power", "<n-n:n>", 2, Power, nullptr, nullptr},
      {"random", "<:n>", 0, Random, nullptr, nullptr},
      {"boolean", "<x-:b>", 1, Boolean, nullptr, nullptr},
      {"not", "<x-:b>", 1, Not, nullptr, nullptr},
      {"map", "<af>", 2, Map, nullptr, nullptr},
      {"zip", "<a+>", 0, Zip, nullptr, nullptr},
      {"filter", "<af>", 2, Filter, nullptr, nullptr},
      {"single", "<af?>", 2, Single, nullptr, nullptr},
      {"reduce", "<afj?:j>", 3, Reduce, nullptr, nullptr},
      {"sift", "<o-f?:o>", 2, Sift, nullptr, nullptr},
      {"keys", "<x-:a<s>>", 1, Keys, nullptr, nullptr},
      {"lookup", "<x-s:x>", 2, Lookup, nullptr, nullptr},
      {"append", "<xx:a>", 2, Append, nullptr, nullptr},
      {"exists", "<x:b>", 1, Exists, nullptr, nullptr},
      {"spread", "<x-:a<o>>", 1, Spread, nullptr, nullptr},
      {"merge", "<a<o>:o>", 1, Merge, nullptr, nullptr},
      {"reverse", "<a:a>", 1, Reverse, nullptr, nullptr},
      {"each", "<o-f:a>", 2, Each, nullptr, nullptr},
      {"error", "<s?:x>", 1, Error, nullptr, nullptr},
      {"assert", "<bs?:x>", 2, Assert, nullptr, nullptr},
      {"type", "<x:s>", 1, TypeOf, nullptr, nullptr},
      {"sort", "<af?:a>", 2, Sort, nullptr, nullptr},
      {"shuffle", "<a:a>", 1, Shuffle, nullptr, nullptr},
      {"distinct", "<x:x>", 1, Distinct, nullptr, nullptr},
      {"base64encode", "<s-:s>", 1, Base64Encode, nullptr, nullptr},
      {"base64decode", "<s-:s>", 1, Base64Decode, nullptr, nullptr},
      {"encodeUrlComponent", "<s-:s>", 1, EncodeUrlComponent, nullptr, nullptr},
      {"encodeUrl", "<s-:s>", 1, EncodeUrl, nullptr, nullptr},
      {"decodeUrlComponent", "<s-:s>", 1, DecodeUrlComponent, nullptr, nullptr},
      {"decodeUrl", "<s-:s>", 1, DecodeUrl, nullptr, nullptr},
      {"eval", "<sx?:x>", 2, Eval, nullptr, nullptr},
      {"toMillis", "<s-s?:n>", 2, ToMillisFn, nullptr, nullptr},
      {"fromMillis", "<n-s?s?:s>", 3, FromMillisFn, nullptr, nullptr},
      {"clone", "<(oa)-:o>", 1, Clone, nullptr, nullptr},
      {"now", "<s?s?:s>", 2, Now, nullptr, nullptr},
      {"millis", "<:n>", 0, Millis, nullptr, nullptr},
  };
  return table;
}

}  // namespace

const Builtin* FindBuiltin(std::string_view name) {
  using Index = std::unordered_map<std::string_view, const Builtin*>;
  static const Index& index = *new Index([] {  // never destroyed, like the table
    Index m;
    for (Builtin& b : Table()) {
      b.signature = Signature::Parse(b.signature_text);
      auto* fn = new FunctionData;  // lives as long as the program, like the table
      fn->kind = FunctionKind::kBuiltin;
      fn->builtin = &b;
      fn->signature = b.signature.get();
      fn->refs = 1;
      b.data = fn;
      m.emplace(b.name, &b);
    }
    return m;
  }());
  auto it = index.find(name);
  return it == index.end() ? nullptr : it->second;
}

}  // namespace stepway::jsonata
