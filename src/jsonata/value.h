// The JSONata evaluator's own value type: what expressions compute with.
//
// JSONata works on JavaScript values: undefined, null, booleans, doubles, strings, arrays
// (some flagged as "sequences"), objects and functions. Value models exactly that, with
// reference semantics for arrays, objects and functions (as in JavaScript, where the
// evaluator mutates the sequences it builds and a transform mutates its clone).
//
// Speed: the input document is never copied. A Value can borrow a node of the caller's
// json::Value (strings, arrays and objects are then views), so `Account.Order[0]` on a large
// input allocates nothing. Owned heap data carries a non-atomic reference count: a Value and
// everything it owns belong to one evaluation on one thread. Values that outlive evaluations
// (literals in the AST, built-in functions) are borrowed, never counted, so a compiled
// Expression is immutable and may be shared between threads.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "json/json.h"

namespace stepway::jsonata {

enum class Type : std::uint8_t {
  kUndefined,
  kNull,
  kBool,
  kNumber,
  kString,
  kArray,
  kObject,
  kFunction,
};

// Base of every reference-counted heap object.
struct HeapObject {
  std::uint32_t refs = 0;
  virtual ~HeapObject() = default;
};

struct ArrayData;
struct ObjectData;
struct FunctionData;

class Value {
 public:
  Value() : type_(Type::kUndefined) {}
  ~Value() { Release(); }
  Value(const Value& o) : type_(o.type_), json_(o.json_), len_(o.len_), u_(o.u_), owner_(o.owner_) {
    if (owner_ != nullptr) ++owner_->refs;
  }
  Value(Value&& o) noexcept
      : type_(o.type_), json_(o.json_), len_(o.len_), u_(o.u_), owner_(o.owner_) {
    o.owner_ = nullptr;
    o.type_ = Type::kUndefined;
  }
  Value& operator=(const Value& o) {
    if (this != &o) {
      if (o.owner_ != nullptr) ++o.owner_->refs;
      Release();
      type_ = o.type_;
      json_ = o.json_;
      len_ = o.len_;
      u_ = o.u_;
      owner_ = o.owner_;
    }
    return *this;
  }
  Value& operator=(Value&& o) noexcept {
    if (this != &o) {
      Release();
      type_ = o.type_;
      json_ = o.json_;
      len_ = o.len_;
      u_ = o.u_;
      owner_ = o.owner_;
      o.owner_ = nullptr;
      o.type_ = Type::kUndefined;
    }
    return *this;
  }

  static Value Null() {
    Value v;
    v.type_ = Type::kNull;
    return v;
  }
  static Value Bool(bool b) {
    Value v;
    v.type_ = Type::kBool;
    v.u_.b = b;
    return v;
  }
  static Value Number(double d) {
    Value v;
    v.type_ = Type::kNumber;
    v.u_.num = d;
    return v;
  }
  // A string that owns its bytes.
  static Value String(std::string s);
  // A string viewing bytes that outlive the evaluation (AST literals, the input document).
  static Value StringView(std::string_view s) {
    Value v;
    v.type_ = Type::kString;
    v.u_.str = s.data();
    v.len_ = s.size();
    return v;
  }
  static Value Array(ArrayData* a);    // takes a reference
  static Value Object(ObjectData* o);  // takes a reference
  static Value Function(FunctionData* f);
  // A function object with static lifetime: never counted.
  static Value StaticFunction(const FunctionData* f) {
    Value v;
    v.type_ = Type::kFunction;
    v.u_.fn = const_cast<FunctionData*>(f);
    return v;
  }
  static Value NewArray();
  static Value NewSequence();
  static Value NewObject();
  // Borrows a node of a JSON document that outlives the evaluation.
  static Value FromJson(const json::Value& j);

  Type type() const { return type_; }
  bool IsUndefined() const { return type_ == Type::kUndefined; }
  bool IsDefined() const { return type_ != Type::kUndefined; }
  bool IsNull() const { return type_ == Type::kNull; }
  bool IsBool() const { return type_ == Type::kBool; }
  bool IsNumber() const { return type_ == Type::kNumber; }
  bool IsString() const { return type_ == Type::kString; }
  bool IsArray() const { return type_ == Type::kArray; }
  bool IsObject() const { return type_ == Type::kObject; }
  bool IsFunction() const { return type_ == Type::kFunction; }

  bool AsBool() const { return u_.b; }
  double AsNumber() const { return u_.num; }
  std::string_view AsString() const { return {u_.str, len_}; }

  // Arrays. A borrowed JSON array has no flags and cannot be mutated.
  bool IsJsonArray() const { return json_; }
  ArrayData* MutableArray() const { return json_ ? nullptr : u_.arr; }  // null for JSON arrays
  const json::Array* JsonArray() const { return json_ ? u_.jarr : nullptr; }
  std::size_t ArraySize() const;
  Value At(std::size_t i) const;
  bool IsSequence() const;
  bool IsKeepSingleton() const;
  bool IsOuterWrapper() const;
  bool IsCons() const;
  bool IsTupleStream() const;

  // Objects.
  bool IsJsonObject() const { return json_; }
  ObjectData* MutableObject() const { return json_ ? nullptr : u_.obj; }
  const json::Object* JsonObject() const { return json_ ? u_.jobj : nullptr; }
  std::size_t ObjectSize() const;
  // The member named key, or undefined.
  Value Get(std::string_view key) const;
  bool Has(std::string_view key) const;
  // Calls f(key, value) for each member in order.
  template <typename F>
  void ForEachMember(F&& f) const;
  std::vector<std::string_view> Keys() const;

  FunctionData* AsFunction() const { return u_.fn; }

  // Converts to a JSON value: integral doubles within ±2^53 become int64.
  json::Value ToJson() const;

 private:
  void Release() {
    if (owner_ != nullptr && --owner_->refs == 0) delete owner_;
  }

  Type type_;
  bool json_ = false;  // the array/object is borrowed from a json::Value
  std::uint32_t len_ = 0;
  union U {
    double num;
    bool b;
    const char* str;
    ArrayData* arr;
    ObjectData* obj;
    const json::Array* jarr;
    const json::Object* jobj;
    FunctionData* fn;
  } u_{};
  HeapObject* owner_ = nullptr;
};

struct StringData : HeapObject {
  std::string s;
};

struct ArrayData : HeapObject {
  ~ArrayData() override;
  // Reserves room for n items, reusing this thread's spare buffer for large arrays: big
  // sequences are built and dropped on every evaluation, and a fresh block each time costs
  // page faults.
  void ReserveLarge(std::size_t n);

  std::vector<Value> items;
  bool sequence = false;
  bool keep_singleton = false;
  bool outer_wrapper = false;
  bool cons = false;
  bool tuple_stream = false;
};

// An object with members in insertion order; an index appears once it grows.
struct ObjectData : HeapObject {
  std::vector<std::pair<std::string, Value>> members;
  std::unordered_map<std::string_view, std::uint32_t> index;  // used when members > kIndexFrom

  static constexpr std::size_t kIndexFrom = 8;

  const Value* Find(std::string_view key) const;
  // Sets key, keeping the position of an existing member (as JavaScript does).
  void Set(std::string_view key, Value v);
  void Erase(std::string_view key);
  // Appends a member known not to exist yet (copying an object whose keys are unique).
  void AppendUnique(std::string_view key, Value v);
  // Rebuilds the key index after members were appended directly.
  void Reindex();
};

inline Value Value::String(std::string s) {
  auto* d = new StringData;
  d->s = std::move(s);
  Value v;
  v.type_ = Type::kString;
  v.u_.str = d->s.data();
  v.len_ = d->s.size();
  v.owner_ = d;
  ++d->refs;
  return v;
}

inline Value Value::Array(ArrayData* a) {
  Value v;
  v.type_ = Type::kArray;
  v.u_.arr = a;
  v.owner_ = a;
  ++a->refs;
  return v;
}

inline Value Value::Object(ObjectData* o) {
  Value v;
  v.type_ = Type::kObject;
  v.u_.obj = o;
  v.owner_ = o;
  ++o->refs;
  return v;
}

inline Value Value::NewArray() { return Array(new ArrayData); }
inline Value Value::NewSequence() {
  auto* a = new ArrayData;
  a->sequence = true;
  return Array(a);
}
inline Value Value::NewObject() { return Object(new ObjectData); }

inline Value Value::FromJson(const json::Value& j) {
  switch (j.kind()) {
    case json::Kind::null:
      return Null();
    case json::Kind::bool_:
      return Bool(j.get_bool());
    case json::Kind::int64:
      return Number(static_cast<double>(j.get_int64()));
    case json::Kind::uint64:
      return Number(static_cast<double>(j.get_uint64()));
    case json::Kind::double_:
      return Number(j.get_double());
    case json::Kind::string:
      return StringView(std::string_view(j.get_string().data(), j.get_string().size()));
    case json::Kind::array: {
      Value v;
      v.type_ = Type::kArray;
      v.json_ = true;
      v.u_.jarr = &j.get_array();
      return v;
    }
    case json::Kind::object: {
      Value v;
      v.type_ = Type::kObject;
      v.json_ = true;
      v.u_.jobj = &j.get_object();
      return v;
    }
  }
  return Value();
}

inline std::size_t Value::ArraySize() const {
  return json_ ? u_.jarr->size() : u_.arr->items.size();
}
inline Value Value::At(std::size_t i) const {
  return json_ ? FromJson((*u_.jarr)[i]) : u_.arr->items[i];
}
inline bool Value::IsSequence() const { return type_ == Type::kArray && !json_ && u_.arr->sequence; }
inline bool Value::IsKeepSingleton() const { return !json_ && u_.arr->keep_singleton; }
inline bool Value::IsOuterWrapper() const {
  return type_ == Type::kArray && !json_ && u_.arr->outer_wrapper;
}
inline bool Value::IsCons() const { return !json_ && u_.arr->cons; }
inline bool Value::IsTupleStream() const {
  return type_ == Type::kArray && !json_ && u_.arr->tuple_stream;
}

inline std::size_t Value::ObjectSize() const {
  return json_ ? u_.jobj->size() : u_.obj->members.size();
}

// The member of a JSON object named key, or nullptr. Small objects are scanned (comparing
// lengths first), which beats hashing the key.
inline const json::Value* FindMember(const json::Object& o, std::string_view key) {
  if (o.size() <= 12) {
    for (const auto& kv : o) {
      const auto k = kv.key();
      if (k.size() == key.size() && std::char_traits<char>::compare(k.data(), key.data(), k.size()) == 0) {
        return &kv.value();
      }
    }
    return nullptr;
  }
  auto it = o.find(key);
  return it == o.end() ? nullptr : &it->value();
}

inline Value Value::Get(std::string_view key) const {
  if (json_) {
    const json::Value* m = FindMember(*u_.jobj, key);
    return m == nullptr ? Value() : FromJson(*m);
  }
  const Value* v = u_.obj->Find(key);
  return v == nullptr ? Value() : *v;
}

inline bool Value::Has(std::string_view key) const {
  if (json_) return u_.jobj->contains(key);
  return u_.obj->Find(key) != nullptr;
}

template <typename F>
void Value::ForEachMember(F&& f) const {
  if (json_) {
    for (const auto& kv : *u_.jobj) {
      f(std::string_view(kv.key().data(), kv.key().size()), FromJson(kv.value()));
    }
  } else {
    // Copy the member list's size first: f may not mutate this object.
    for (const auto& kv : u_.obj->members) f(std::string_view(kv.first), kv.second);
  }
}

// Array helpers used everywhere in the evaluator.
inline ArrayData* ArrayOf(const Value& v) { return v.MutableArray(); }
// Appends to an owned array.
inline void Push(const Value& arr, Value v) { arr.MutableArray()->items.push_back(std::move(v)); }

}  // namespace stepway::jsonata
