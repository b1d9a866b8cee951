// JSON values for Stepway: Boost.JSON's DOM, parsed with limits and printed as AWS prints it.
//
// Step Functions is a Java service: a number written with a fraction or exponent is a double
// and prints as Java's Double.toString does (`1.0` stays `1.0`, `1e20` prints `1.0E20`); an
// integer stays an exact 64-bit integer. Objects keep their members in insertion order.
// All functions are pure and thread-safe on distinct values.
#pragma once

#include <boost/json.hpp>
#include <atomic>
#include <cstdint>
#include <cstddef>
#include <string>
#include <string_view>

#include "base/result.h"

namespace stepway::json {

using Value = boost::json::value;
using Object = boost::json::object;
using Array = boost::json::array;
using String = boost::json::string;
using Kind = boost::json::kind;

// Parses one JSON text (RFC 8259, surrounding whitespace allowed). Nesting up to 10,000 levels.
// On failure: kInvalidArgument with a message naming the problem and its byte offset.
Result<Value> Parse(std::string_view text);

// Compact JSON, numbers as AWS prints them. Never fails: NaN and infinities print as null.
std::string Serialize(const Value& value);
void SerializeTo(const Value& value, std::string& out);
// Appends `text` as a JSON string: quoted, escaped as Serialize escapes strings.
void SerializeStringTo(std::string_view text, std::string& out);
// Appends Serialize(value) as a JSON string, as SerializeStringTo(Serialize(value)) would, in one
// pass: how history events carry their input and output documents.
void SerializeAsStringTo(const Value& value, std::string& out);

// A double as Java's Double.toString prints it: "1.0", "0.001", "1.0E-4", "1.2345678E7".
std::string FormatDouble(double d);

// Deep equality where numbers compare by value (1 == 1.0) and objects ignore member order.
bool Equal(const Value& a, const Value& b);

// True for int64, uint64 and double values.
inline bool IsNumber(const Value& v) { return v.is_number(); }
// The value of a number as a double (integers converted).
double AsDouble(const Value& v);
// True if v is a number with no fractional part that fits in int64; sets out.
bool AsInt64(const Value& v, std::int64_t& out);

// "object", "array", "string", "number", "boolean" or "null".
const char* TypeName(const Value& v);

// Number of Unicode code points in UTF-8 text (how AWS counts "characters").
std::size_t CodePointCount(std::string_view utf8);

// The member named `key`, or nullptr when `v` is not an object or has no such member.
const Value* Find(const Value& v, std::string_view key);

// The value of `object`'s member named `key`, or nullptr. The same member as
// object::if_contains finds (keys are unique), but a small object is searched by comparing
// each key's length and then its bytes inline: the engine's documents are mostly objects of a
// few members with short names, where a call to memcmp per key costs more than the compare.
inline constexpr std::size_t kLinearFindMaxMembers = 16;
// Whether two member names are equal, compared inline (names are short).
inline bool SameName(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  std::size_t i = 0;
  while (i < a.size() && a[i] == b[i]) ++i;
  return i == a.size();
}
inline const Value* FindMember(const Object& object, std::string_view key) {
  if (object.size() > kLinearFindMaxMembers) return object.if_contains(key);
  for (const auto& member : object) {
    if (SameName(member.key(), key)) return &member.value();
  }
  return nullptr;
}
inline Value* FindMember(Object& object, std::string_view key) {
  return const_cast<Value*>(FindMember(static_cast<const Object&>(object), key));
}

// Where a lookup that runs again and again (a path's step, compiled once and read by every
// execution) last found its member: the member's index in the object. Only a guess, checked
// before it is used, so it may be shared by threads (a relaxed atomic) and copied freely.
class MemberHint {
 public:
  MemberHint() = default;
  MemberHint(const MemberHint& other) : index_(other.index()) {}
  MemberHint& operator=(const MemberHint& other) {
    index_.store(other.index(), std::memory_order_relaxed);
    return *this;
  }
  std::uint32_t index() const { return index_.load(std::memory_order_relaxed); }
  void set(std::uint32_t index) const { index_.store(index, std::memory_order_relaxed); }

 private:
  mutable std::atomic<std::uint32_t> index_{0};
};

// FindMember, trying first the member at `hint` (and remembering where the member was found).
// Objects of the same shape keep their members at the same indexes, so for a path that reads
// the same member of documents built alike the first comparison finds it.
inline const Value* FindMember(const Object& object, std::string_view key, const MemberHint& hint) {
  const std::uint32_t guess = hint.index();
  if (guess < object.size()) {
    const auto& member = object.begin()[guess];
    if (SameName(member.key(), key)) return &member.value();
  }
  const auto* const begin = object.begin();
  const std::size_t size = object.size();
  std::size_t i = 0;
  if (size > kLinearFindMaxMembers) {
    const auto it = object.find(key);
    if (it == object.end()) return nullptr;
    i = std::size_t(it - begin);
  } else {
    while (i < size && !SameName(begin[i].key(), key)) ++i;
    if (i == size) return nullptr;
  }
  hint.set(std::uint32_t(i));
  return &begin[i].value();
}
inline Value* FindMember(Object& object, std::string_view key, const MemberHint& hint) {
  return const_cast<Value*>(FindMember(static_cast<const Object&>(object), key, hint));
}

}  // namespace stepway::json
