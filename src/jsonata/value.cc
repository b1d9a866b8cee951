#include "jsonata/value.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "jsonata/evaluator.h"
#include "jsonata/utf8.h"

namespace stepway::jsonata {

namespace {

constexpr std::size_t kLargeArray = 2048;

std::vector<Value>& SpareBuffer() {
  static thread_local std::vector<Value> spare;
  return spare;
}

}  // namespace

ArrayData::~ArrayData() {
  if (items.capacity() >= kLargeArray) {
    std::vector<Value>& spare = SpareBuffer();
    if (spare.capacity() < items.capacity()) {
      items.clear();
      spare.swap(items);
    }
  }
}

void ArrayData::ReserveLarge(std::size_t n) {
  if (n >= kLargeArray && items.empty()) {
    std::vector<Value>& spare = SpareBuffer();
    if (spare.capacity() >= n) {
      spare.clear();
      items.swap(spare);
      return;
    }
  }
  items.reserve(n);
}

const Value* ObjectData::Find(std::string_view key) const {
  if (!index.empty()) {
    auto it = index.find(key);
    return it == index.end() ? nullptr : &members[it->second].second;
  }
  for (const auto& kv : members) {
    if (kv.first == key) return &kv.second;
  }
  return nullptr;
}

void ObjectData::Set(std::string_view key, Value v) {
  if (!index.empty()) {
    auto it = index.find(key);
    if (it != index.end()) {
      members[it->second].second = std::move(v);
      return;
    }
  } else {
    for (auto& kv : members) {
      if (kv.first == key) {
        kv.second = std::move(v);
        return;
      }
    }
  }
  const bool grow = members.size() == members.capacity();
  members.emplace_back(std::string(key), std::move(v));
  // Views into the keys move when the vector grows (or short strings move), so rebuild.
  if (members.size() > kIndexFrom) {
    if (grow || index.empty()) {
      Reindex();
    } else {
      index.emplace(std::string_view(members.back().first), members.size() - 1);
    }
  }
}

void ObjectData::AppendUnique(std::string_view key, Value v) {
  members.emplace_back(std::string(key), std::move(v));
  if (members.size() > kIndexFrom) Reindex();
}

void ObjectData::Erase(std::string_view key) {
  for (auto it = members.begin(); it != members.end(); ++it) {
    if (it->first == key) {
      members.erase(it);
      index.clear();
      if (members.size() > kIndexFrom) Reindex();
      return;
    }
  }
}

void ObjectData::Reindex() {
  index.clear();
  index.reserve(members.size() * 2);
  for (std::uint32_t i = 0; i < members.size(); ++i) {
    index.emplace(std::string_view(members[i].first), i);
  }
}

std::vector<std::string_view> Value::Keys() const {
  std::vector<std::string_view> out;
  ForEachMember([&](std::string_view k, const Value&) { out.push_back(k); });
  return out;
}

json::Value Value::ToJson() const {
  switch (type_) {
    case Type::kUndefined:
    case Type::kNull:
      return nullptr;
    case Type::kBool:
      return u_.b;
    case Type::kNumber: {
      const double d = u_.num;
      if (std::isfinite(d) && std::floor(d) == d && std::fabs(d) <= 9007199254740992.0) {
        return static_cast<std::int64_t>(d);
      }
      if (!std::isfinite(d)) return nullptr;
      return d;
    }
    case Type::kString:
      return json::String(AsString());
    case Type::kArray: {
      if (json_) return *u_.jarr;
      json::Array a;
      a.reserve(u_.arr->items.size());
      for (const Value& v : u_.arr->items) {
        if (v.IsUndefined()) continue;
        if (v.IsFunction()) {
          a.emplace_back(json::String(""));
          continue;
        }
        a.push_back(v.ToJson());
      }
      return a;
    }
    case Type::kObject: {
      if (json_) return *u_.jobj;
      json::Object o;
      o.reserve(u_.obj->members.size());
      for (const auto& kv : u_.obj->members) {
        if (kv.second.IsUndefined()) continue;
        // Keys of an ObjectData are unique, so no lookup is needed before inserting.
        o.emplace(kv.first, kv.second.IsFunction() ? json::Value(json::String(""))
                                                    : kv.second.ToJson());
      }
      return o;
    }
    case Type::kFunction:
      return json::String("");
  }
  return nullptr;
}

// ---- helpers ----

bool IsNumeric(const Value& v) {
  if (!v.IsNumber()) return false;
  const double d = v.AsNumber();
  if (std::isnan(d)) return false;
  if (!std::isfinite(d)) {
    JsonataException e("D1001");
    e.With(v);
    throw e;
  }
  return true;
}

Value BooleanOf(const Value& arg) {
  switch (arg.type()) {
    case Type::kUndefined:
      return Value();
    case Type::kArray: {
      const std::size_t n = arg.ArraySize();
      if (n == 1) return BooleanOf(arg.At(0));
      for (std::size_t i = 0; i < n; ++i) {
        if (Truthy(arg.At(i))) return Value::Bool(true);
      }
      return Value::Bool(false);
    }
    case Type::kString:
      return Value::Bool(!arg.AsString().empty());
    case Type::kNumber:
      return Value::Bool(IsNumeric(arg) && arg.AsNumber() != 0);
    case Type::kObject:
      return Value::Bool(arg.ObjectSize() > 0);
    case Type::kBool:
      return Value::Bool(arg.AsBool());
    case Type::kNull:
    case Type::kFunction:
      return Value::Bool(false);
  }
  return Value::Bool(false);
}

bool Truthy(const Value& v) {
  const Value b = BooleanOf(v);
  return b.IsBool() && b.AsBool();
}

bool StrictEqual(const Value& a, const Value& b) {
  if (a.type() != b.type()) return false;
  switch (a.type()) {
    case Type::kUndefined:
    case Type::kNull:
      return true;
    case Type::kBool:
      return a.AsBool() == b.AsBool();
    case Type::kNumber:
      return a.AsNumber() == b.AsNumber();
    case Type::kString:
      return a.AsString() == b.AsString();
    case Type::kArray:
      if (a.IsJsonArray() != b.IsJsonArray()) return false;
      return a.IsJsonArray() ? a.JsonArray() == b.JsonArray()
                             : a.MutableArray() == b.MutableArray();
    case Type::kObject:
      if (a.IsJsonObject() != b.IsJsonObject()) return false;
      return a.IsJsonObject() ? a.JsonObject() == b.JsonObject()
                              : a.MutableObject() == b.MutableObject();
    case Type::kFunction:
      return a.AsFunction() == b.AsFunction();
  }
  return false;
}

bool DeepEqual(const Value& a, const Value& b) {
  if (a.type() != b.type()) return false;
  switch (a.type()) {
    case Type::kArray: {
      const std::size_t n = a.ArraySize();
      if (n != b.ArraySize()) return false;
      for (std::size_t i = 0; i < n; ++i) {
        if (!DeepEqual(a.At(i), b.At(i))) return false;
      }
      return true;
    }
    case Type::kObject: {
      if (a.ObjectSize() != b.ObjectSize()) return false;
      bool eq = true;
      a.ForEachMember([&](std::string_view k, const Value& v) {
        if (!eq) return;
        if (!b.Has(k)) {
          eq = false;
          return;
        }
        if (!DeepEqual(v, b.Get(k))) eq = false;
      });
      return eq;
    }
    default:
      return StrictEqual(a, b);
  }
}

std::string NumberToString(double d) {
  if (std::isnan(d)) return "NaN";
  if (std::isinf(d)) return d > 0 ? "Infinity" : "-Infinity";
  if (d == 0) return "0";
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof(buf), d, std::chars_format::scientific);
  std::string sci(buf, res.ptr);
  // sci: [-]d[.ddd]e[+-]xx
  std::string sign;
  std::size_t p = 0;
  if (sci[0] == '-') {
    sign = "-";
    p = 1;
  }
  const std::size_t epos = sci.find('e');
  std::string digits;
  for (std::size_t i = p; i < epos; ++i) {
    if (sci[i] != '.') digits += sci[i];
  }
  const int exp = std::atoi(sci.c_str() + epos + 1);
  const int k = static_cast<int>(digits.size());
  const int n = exp + 1;
  std::string out = sign;
  if (k <= n && n <= 21) {
    out += digits;
    out.append(n - k, '0');
  } else if (0 < n && n <= 21) {
    out += digits.substr(0, n);
    out += '.';
    out += digits.substr(n);
  } else if (-6 < n && n <= 0) {
    out += "0.";
    out.append(-n, '0');
    out += digits;
  } else {
    out += digits[0];
    if (k > 1) {
      out += '.';
      out += digits.substr(1);
    }
    out += 'e';
    out += (n - 1) >= 0 ? '+' : '-';
    out += std::to_string(std::abs(n - 1));
  }
  return out;
}

namespace {

void QuoteJson(std::string_view s, std::string& out) {
  out += '"';
  for (const char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof(buf), "\\u%04x", c);
          out += buf;
        } else {
          out += c;
        }
    }
  }
  out += '"';
}

double Precision15(double d) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.14e", d);
  return std::strtod(buf, nullptr);
}

void StringifyTo(const Value& v, bool jsonata, int indent, int level, std::string& out) {
  auto newline = [&](int lvl) {
    if (indent <= 0) return;
    out += '\n';
    out.append(static_cast<std::size_t>(indent * lvl), ' ');
  };
  switch (v.type()) {
    case Type::kUndefined:
    case Type::kNull:
      out += "null";
      return;
    case Type::kBool:
      out += v.AsBool() ? "true" : "false";
      return;
    case Type::kNumber: {
      double d = v.AsNumber();
      if (jsonata && std::isinf(d)) {
        JsonataException e("D1001");
        e.With(v);
        throw e;
      }
      if (!std::isfinite(d)) {
        out += "null";
        return;
      }
      if (jsonata && std::floor(d) != d) d = Precision15(d);
      out += NumberToString(d);
      return;
    }
    case Type::kString:
      QuoteJson(v.AsString(), out);
      return;
    case Type::kFunction:
      if (jsonata) {
        out += "\"\"";
      } else {
        out += "null";
      }
      return;
    case Type::kArray: {
      const std::size_t n = v.ArraySize();
      if (n == 0) {
        out += "[]";
        return;
      }
      out += '[';
      for (std::size_t i = 0; i < n; ++i) {
        if (i > 0) out += ',';
        newline(level + 1);
        const Value item = v.At(i);
        if (item.IsUndefined() || (!jsonata && item.IsFunction())) {
          out += "null";
        } else {
          StringifyTo(item, jsonata, indent, level + 1, out);
        }
      }
      newline(level);
      out += ']';
      return;
    }
    case Type::kObject: {
      bool first = true;
      out += '{';
      v.ForEachMember([&](std::string_view k, const Value& m) {
        if (m.IsUndefined() || (!jsonata && m.IsFunction())) return;
        if (!first) out += ',';
        first = false;
        newline(level + 1);
        QuoteJson(k, out);
        out += ':';
        if (indent > 0) out += ' ';
        StringifyTo(m, jsonata, indent, level + 1, out);
      });
      if (!first) newline(level);
      out += '}';
      return;
    }
  }
}

}  // namespace

std::string Stringify(const Value& v, bool jsonata, int indent) {
  if (v.IsUndefined()) return "";
  std::string out;
  StringifyTo(v, jsonata, indent, 0, out);
  return out;
}

Value StringOf(const Value& arg, bool prettify) {
  switch (arg.type()) {
    case Type::kUndefined:
      return Value();
    case Type::kString:
      return arg;
    case Type::kFunction:
      return Value::StringView("");
    case Type::kNumber:
      if (!std::isfinite(arg.AsNumber())) {
        JsonataException e("D3001");
        e.With(arg);
        throw e;
      }
      break;
    default:
      break;
  }
  Value a = arg;
  if (a.IsOuterWrapper()) a = a.At(0);
  return Value::String(Stringify(a, true, prettify ? 2 : 0));
}

Value DeepCopy(const Value& v) {
  if (v.IsArray()) {
    Value out = Value::NewArray();
    const std::size_t n = v.ArraySize();
    ArrayData* a = out.MutableArray();
    a->items.reserve(n);
    for (std::size_t i = 0; i < n; ++i) a->items.push_back(DeepCopy(v.At(i)));
    return out;
  }
  if (v.IsObject()) {
    Value out = Value::NewObject();
    ObjectData* o = out.MutableObject();
    const std::size_t n = v.ObjectSize();
    o->members.reserve(n);
    v.ForEachMember([&](std::string_view k, const Value& m) {
      o->members.emplace_back(std::string(k), DeepCopy(m));
    });
    if (n > ObjectData::kIndexFrom) o->Reindex();
    return out;
  }
  // Strings are immutable, so a copy may share them.
  return v;
}

std::vector<Value> Items(const Value& arr) {
  if (!arr.IsArray()) return {};
  if (!arr.IsJsonArray()) return arr.MutableArray()->items;
  std::vector<Value> out;
  const std::size_t n = arr.ArraySize();
  out.reserve(n);
  for (std::size_t i = 0; i < n; ++i) out.push_back(arr.At(i));
  return out;
}

Value SequenceOf(std::vector<Value> items) {
  Value s = Value::NewSequence();
  s.MutableArray()->items = std::move(items);
  return s;
}

Value AppendValues(const Value& arg1, const Value& arg2) {
  if (arg1.IsUndefined()) return arg2;
  if (arg2.IsUndefined()) return arg1;
  Value out;
  if (arg1.IsArray()) {
    // Array.prototype.concat keeps no flags, except a sequence stays a sequence: jsonata-js's
    // createSequence arrays are plain arrays with a `sequence` property that concat drops.
    out = Value::NewArray();
    out.MutableArray()->items = Items(arg1);
  } else {
    out = Value::NewArray();
    Push(out, arg1);
  }
  ArrayData* a = out.MutableArray();
  if (arg2.IsArray()) {
    const std::size_t n = arg2.ArraySize();
    for (std::size_t i = 0; i < n; ++i) a->items.push_back(arg2.At(i));
  } else {
    a->items.push_back(arg2);
  }
  return out;
}

Value LookupField(const Value& input, std::string_view key) {
  if (input.IsArray()) {
    Value result = Value::NewSequence();
    ArrayData* r = result.MutableArray();
    const std::size_t n = input.ArraySize();
    for (std::size_t ii = 0; ii < n; ++ii) {
      Value res = LookupField(input.At(ii), key);
      if (res.IsUndefined()) continue;
      if (res.IsArray()) {
        const std::size_t m = res.ArraySize();
        for (std::size_t k = 0; k < m; ++k) r->items.push_back(res.At(k));
      } else {
        r->items.push_back(std::move(res));
      }
    }
    return result;
  }
  if (input.IsObject()) return input.Get(key);
  return Value();
}

}  // namespace stepway::jsonata
