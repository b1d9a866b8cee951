// JSON values for Stepway: Boost.JSON's DOM, parsed with limits and printed as AWS prints it.
//
// Step Functions is a Java service: a number written with a fraction or exponent is a double
// and prints as Java's Double.toString does (`1.0` stays `1.0`, `1e20` prints `1.0E20`); an
// integer stays an exact 64-bit integer. Objects keep their members in insertion order.
// All functions are pure and thread-safe on distinct values.
#pragma once

#include <boost/json.hpp>
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
inline const Value* FindMember(const Object& object, std::string_view key) {
  if (object.size() > kLinearFindMaxMembers) return object.if_contains(key);
  const char* const want = key.data();
  const std::size_t size = key.size();
  for (const auto& member : object) {
    const std::string_view name = member.key();
    if (name.size() != size) continue;
    std::size_t i = 0;
    while (i < size && name[i] == want[i]) ++i;
    if (i == size) return &member.value();
  }
  return nullptr;
}
inline Value* FindMember(Object& object, std::string_view key) {
  return const_cast<Value*>(FindMember(static_cast<const Object&>(object), key));
}

}  // namespace stepway::json
