#include "json/json.h"

#include <gtest/gtest.h>

namespace stepway::json {
namespace {

std::string RoundTrip(std::string_view text) {
  auto v = Parse(text);
  EXPECT_TRUE(v) << text;
  return v ? Serialize(*v) : "";
}

TEST(JsonTest, NumbersPrintAsAwsPrintsThem) {
  EXPECT_EQ(RoundTrip("1.0"), "1.0");
  EXPECT_EQ(RoundTrip("1"), "1");
  EXPECT_EQ(RoundTrip("-2.50"), "-2.5");
  EXPECT_EQ(RoundTrip("1e20"), "1.0E20");
  EXPECT_EQ(RoundTrip("0.0001"), "1.0E-4");
  EXPECT_EQ(RoundTrip("0.001"), "0.001");
  EXPECT_EQ(RoundTrip("1234567.5"), "1234567.5");
  EXPECT_EQ(RoundTrip("12345678.5"), "1.23456785E7");
  EXPECT_EQ(RoundTrip("9223372036854775807"), "9223372036854775807");
  EXPECT_EQ(RoundTrip("18446744073709551615"), "18446744073709551615");
  EXPECT_EQ(RoundTrip("9007199254740993"), "9007199254740993");
  EXPECT_EQ(RoundTrip("0.0"), "0.0");
  EXPECT_EQ(RoundTrip("3.14"), "3.14");
}

TEST(JsonTest, StringsEscapeOnlyWhatJsonRequires) {
  EXPECT_EQ(RoundTrip(R"("a\"b\\c\n\u0001/é")"), R"("a\"b\\c\n\u0001/é")");
}

// JSON's escapes, byte by byte: the reference for Serialize.
std::string Quoted(std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          out += "\\u00";
          out += kHex[c >> 4];
          out += kHex[c & 15];
        } else {
          out += char(c);
        }
    }
  }
  return out + "\"";
}

TEST(JsonTest, EscapesAnywhereInAString) {
  for (char special : {'"', '\\', '\n', '\x01', '\x1f', '\x7f', '\x80', '\xff', ' ', '!', '#', '[',
                       ']', '\t', '\b', '\f', '\r', '\0'}) {
    for (std::size_t size = 1; size <= 40; ++size) {
      for (std::size_t at = 0; at < size; ++at) {
        std::string s(size, 'a');
        s[at] = special;
        EXPECT_EQ(Serialize(String(s)), Quoted(s));
        s[size - 1 - at] = '\n';
        EXPECT_EQ(Serialize(String(s)), Quoted(s));
        Object o;
        o[s] = s;
        EXPECT_EQ(Serialize(o), "{" + Quoted(s) + ":" + Quoted(s) + "}");
      }
    }
  }
}

// A document printed as a string in one pass is the string of its printed text.
TEST(JsonTest, SerializeAsStringQuotesThePrintedDocument) {
  for (std::string_view text :
       {R"({"a":"x\"y\\z\n\u0001é","b":[1,2.5,-0.0,1e30,true,false,null,{}],"":{"k":[]}})",
        R"("just a string with \" and \\")", "12345678.5", "null", "[]",
        R"([{"\u001f\t":"\b\f\r"}])"}) {
    auto v = Parse(text);
    ASSERT_TRUE(v) << text;
    std::string two_steps;
    SerializeStringTo(Serialize(*v), two_steps);
    std::string one_pass = "prefix";
    SerializeAsStringTo(*v, one_pass);
    EXPECT_EQ(one_pass, "prefix" + two_steps) << text;
    // And it reads back as the document's text.
    auto back = Parse(one_pass.substr(6));
    ASSERT_TRUE(back && back->is_string());
    EXPECT_EQ(back->get_string(), Serialize(*v));
  }
  for (char special : {'"', '\\', '\n', '\x01', '\x1f', '\x7f', '\xff', '\t', '\b', '\0'}) {
    std::string s = "ab";
    s[1] = special;
    Object o;
    o[s] = s;
    std::string two_steps, one_pass;
    SerializeStringTo(Serialize(o), two_steps);
    SerializeAsStringTo(o, one_pass);
    EXPECT_EQ(one_pass, two_steps) << int(special);
  }
}

TEST(JsonTest, ObjectsKeepOrder) {
  EXPECT_EQ(RoundTrip(R"({"b":1,"a":[true,null,{}]})"), R"({"b":1,"a":[true,null,{}]})");
}

TEST(JsonTest, RejectsMalformedText) {
  EXPECT_FALSE(Parse("{"));
  EXPECT_FALSE(Parse("{} x"));
  EXPECT_FALSE(Parse(""));
  EXPECT_FALSE(Parse("[1,]"));
  EXPECT_TRUE(Parse("  {}  \n"));
}

TEST(JsonTest, EqualityComparesNumbersByValue) {
  EXPECT_TRUE(Equal(*Parse(R"({"a":1,"b":[2.0]})"), *Parse(R"({"b":[2],"a":1.0})")));
  EXPECT_FALSE(Equal(*Parse("1"), *Parse("\"1\"")));
  EXPECT_FALSE(Equal(*Parse("[1,2]"), *Parse("[2,1]")));
}

TEST(JsonTest, FindMemberFindsWhatIfContainsFinds) {
  // Small objects are searched inline, large ones through Boost's index: the same answers.
  for (int members : {0, 1, 3, int(kLinearFindMaxMembers), int(kLinearFindMaxMembers) + 1, 40}) {
    Object o;
    for (int i = 0; i < members; ++i) o["k" + std::to_string(i)] = i;
    o["k"] = "short";
    o[""] = "empty";
    for (const std::string key : {"k", "k0", "k1", "k2", "k39", "k40", "", "K", "kk", "k0x"}) {
      EXPECT_EQ(FindMember(o, key), o.if_contains(key)) << members << " " << key;
    }
    if (Value* v = FindMember(o, "k")) *v = 7;
    EXPECT_EQ(o.at("k"), 7);
    // With a hint: right, wrong, or past the end, the same member (or none) is found, and a
    // found member's index is remembered.
    const MemberHint hint;
    for (const std::string key : {"k", "k0", "k2", "", "K", "k39", "k", "nope", "k2"}) {
      EXPECT_EQ(FindMember(o, key, hint), o.if_contains(key)) << members << " " << key;
      if (const Value* v = o.if_contains(key)) {
        EXPECT_EQ(&o.begin()[hint.index()].value(), v) << members << " " << key;
      }
    }
    hint.set(1000);
    EXPECT_EQ(FindMember(o, "k", hint), o.if_contains("k"));
  }
}

TEST(JsonTest, CountsCodePoints) {
  EXPECT_EQ(CodePointCount("aé€😀"), 4u);
}

}  // namespace
}  // namespace stepway::json
