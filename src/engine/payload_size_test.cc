// ExceedsPayloadLimit agrees exactly with the size of json::Serialize's text.
#include "engine/payload_size.h"

#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

#include "base/random.h"

namespace stepway::engine {
namespace {

json::Value J(std::string_view text) {
  auto v = json::Parse(text);
  EXPECT_TRUE(v.has_value()) << text;
  return v ? *v : json::Value();
}

// Checks the limit at the exact size and on both sides of it.
void ExpectExact(const json::Value& v) {
  const std::size_t size = json::Serialize(v).size();
  EXPECT_FALSE(ExceedsPayloadLimit(v, size)) << json::Serialize(v);
  EXPECT_FALSE(ExceedsPayloadLimit(v, size + 1)) << json::Serialize(v);
  EXPECT_TRUE(ExceedsPayloadLimit(v, size - 1)) << json::Serialize(v);
  if (size > 2) EXPECT_TRUE(ExceedsPayloadLimit(v, 0));
  // SizeBound never under-counts, and passes a limit the text passes.
  EXPECT_GE(SizeBound(v, std::size_t(-1) / 2), size);
  EXPECT_GT(SizeBound(v, size - 1), size - 1);
}

TEST(PayloadSizeTest, ScalarsAndContainers) {
  for (const char* text :
       {"null", "true", "false", "0", "-1", "9223372036854775807", "-9223372036854775808",
        "18446744073709551615", "\"\"", "\"abc\"", "[]", "{}", "[1,2,3]", R"({"a":1,"b":[null]})",
        R"([[[]],{},{"":""}])", R"({"nested":{"deeper":{"deepest":[true,false,null,-12]}}})"}) {
    ExpectExact(J(text));
  }
}

TEST(PayloadSizeTest, DoublesPrintedAsJavaDoes) {
  for (const char* text :
       {"1.0", "-0.0", "0.5", "1e20", "1.5e-7", "123456789.123", "1e300", "3.141592653589793",
        "-2.2250738585072014E-308", "100.0", "1e7", "0.001", "[1.0,2.5,{\"x\":1e-5}]"}) {
    ExpectExact(J(text));
  }
  // Many doubles: the cheap bound is far over, the exact size is what counts.
  json::Array many;
  for (int i = 0; i < 1000; ++i) many.push_back(double(i) + 0.5);
  ExpectExact(many);
}

TEST(PayloadSizeTest, StringsWithEscapesAndUnicode) {
  for (std::string s :
       {std::string("quote \" and backslash \\"), std::string("\n\r\t\b\f"),
        std::string("\x01\x02\x1f", 3), std::string("nul \0 inside", 12), std::string("é ü 中文 😀"),
        std::string("/slash/"), std::string("\x7f del")}) {
    json::Value v = json::String(s);
    ExpectExact(v);
    json::Object o;
    o[s] = s;  // keys are escaped the same way
    ExpectExact(o);
  }
}

TEST(PayloadSizeTest, EscapesAnywhereInALongString) {
  // Strings are scanned eight bytes at a time: every escape at every offset, in strings of
  // every length around the block size, and bytes that only look special to a word test.
  for (char special : {'"', '\\', '\n', '\x01', '\x1f', '\x7f', '\x80', '\xff', ' ', '!', '#', '[',
                       ']', '\x5b', '\x5d', '\x21', '\x23', '\x20'}) {
    for (std::size_t size = 1; size <= 40; ++size) {
      for (std::size_t at = 0; at < size; ++at) {
        std::string s(size, 'a');
        s[at] = special;
        ExpectExact(json::String(s));
        s[size - 1 - at] = '"';
        ExpectExact(json::String(s));
      }
    }
  }
}

TEST(PayloadSizeTest, RandomDocuments) {
  SeededRandom random(99);
  std::function<json::Value(int)> make = [&](int depth) -> json::Value {
    switch (random.Next() % (depth > 3 ? 5 : 7)) {
      case 0:
        return nullptr;
      case 1:
        return (random.Next() & 1) != 0;
      case 2:
        return std::int64_t(random.Next());
      case 3:
        return double(std::int64_t(random.Next() % 2000000) - 1000000) / 64.0;
      case 4: {
        std::string s;
        const std::size_t n = random.Next() % 12;
        for (std::size_t i = 0; i < n; ++i) s += char(random.Next() % 128);
        return json::String(s);
      }
      case 5: {
        json::Array a;
        const std::size_t n = random.Next() % 5;
        for (std::size_t i = 0; i < n; ++i) a.push_back(make(depth + 1));
        return a;
      }
      default: {
        json::Object o;
        const std::size_t n = random.Next() % 5;
        for (std::size_t i = 0; i < n; ++i) o["k" + std::to_string(i)] = make(depth + 1);
        return o;
      }
    }
  };
  for (int i = 0; i < 300; ++i) ExpectExact(make(0));
}

TEST(PayloadSizeTest, AtTheServiceLimit) {
  const std::size_t limit = 262144;
  // {"s":"..."}: 8 bytes around the string.
  json::Object at;
  at["s"] = std::string(limit - 8, 'x');
  EXPECT_EQ(json::Serialize(at).size(), limit);
  EXPECT_FALSE(ExceedsPayloadLimit(at, limit));
  json::Object over;
  over["s"] = std::string(limit - 7, 'x');
  EXPECT_TRUE(ExceedsPayloadLimit(over, limit));
  // Escapes count at their printed width: 131072 quotes print as 262144 bytes.
  json::Value quotes = json::String(std::string(limit / 2, '"'));
  EXPECT_TRUE(ExceedsPayloadLimit(quotes, limit));
  // Multi-byte UTF-8 counts in bytes, not characters.
  std::string euros;
  for (std::size_t i = 0; i < limit / 3; ++i) euros += "\xE2\x82\xAC";
  EXPECT_TRUE(ExceedsPayloadLimit(json::String(euros), limit));
}

}  // namespace
}  // namespace stepway::engine
