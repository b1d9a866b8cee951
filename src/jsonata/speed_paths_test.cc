// The fast paths added for speed must give what the general ones give: bindings by reference
// (Bindings::BindReference, BindObjectOfReferences), a transform whose pattern is a path of
// names (copied along that path only, not deeply), and object constructors on one value.
#include <gtest/gtest.h>

#include <string>

#include "json/json.h"
#include "jsonata/jsonata.h"

namespace stepway::jsonata {
namespace {

json::Value J(std::string_view text) { return *json::Parse(text); }

std::string Eval(std::string_view expr, const json::Value* input, const Bindings& b = Bindings()) {
  auto e = Expression::Compile(expr);
  if (!e) return "compile error " + e.error().code;
  auto r = e->Evaluate(input, b, {});
  if (!r) return "error " + r.error().code;
  if (!r->has_value()) return "undefined";
  return json::Serialize(**r);
}

std::string Eval(std::string_view expr, std::string_view input) {
  const json::Value in = J(input);
  return Eval(expr, &in);
}

TEST(BindingsTest, BindReferenceReadsTheCallersDocument) {
  json::Value doc = J(R"({"a":{"b":[1,2,3]}})");
  Bindings b;
  b.BindReference("doc", &doc);
  EXPECT_EQ(Eval("$sum($doc.a.b)", nullptr, b), "6");
  // Not a copy: a change the caller makes between evaluations is seen.
  doc.as_object()["a"].as_object()["b"].as_array().push_back(4);
  EXPECT_EQ(Eval("$sum($doc.a.b)", nullptr, b), "10");
  b.BindReference("none", nullptr);
  EXPECT_EQ(Eval("$none", nullptr, b), "undefined");
}

TEST(BindingsTest, BindObjectOfReferencesLeavesOutNullMembers) {
  const json::Value input = J(R"({"x":1})");
  const json::Value context = J(R"({"Execution":{"Name":"e"}})");
  Bindings b;
  b.BindObjectOfReferences("states", {{"input", &input}, {"context", &context}, {"result", nullptr}});
  EXPECT_EQ(Eval("$states", nullptr, b), R"({"input":{"x":1},"context":{"Execution":{"Name":"e"}}})");
  EXPECT_EQ(Eval("$keys($states)", nullptr, b), R"(["input","context"])");
  EXPECT_EQ(Eval("$states.context.Execution.Name & $string($states.input.x)", nullptr, b), R"("e1")");
}

TEST(BindingsTest, ALaterBindingOfANameReplacesAnEarlierOne) {
  const json::Value one = J("1");
  Bindings b;
  b.Bind("v", J("0"));
  b.BindReference("v", &one);
  EXPECT_EQ(Eval("$v", nullptr, b), "1");
  b.BindObjectOfReferences("v", {{"k", &one}});
  EXPECT_EQ(Eval("$v", nullptr, b), R"({"k":1})");
  b.Bind("v", J("2"));
  EXPECT_EQ(Eval("$v", nullptr, b), "2");
}

TEST(TransformTest, NamePathPatternUpdatesOnlyTheCopy) {
  const json::Value in = J(R"({"a":{"x":1,"k":{"deep":true}},"b":[1,2]})");
  const std::string before = json::Serialize(in);
  EXPECT_EQ(Eval("$ ~> |a|{'y': 2}, ['x']|", &in), R"({"a":{"k":{"deep":true},"y":2},"b":[1,2]})");
  EXPECT_EQ(json::Serialize(in), before);  // the input is untouched
  // The original stays visible beside the transformed copy.
  EXPECT_EQ(Eval("[$, $ ~> |a|{'x': 9}|].a.x", &in), "[1,9]");
}

TEST(TransformTest, NamePathPatternThroughArraysAndNestedNames) {
  EXPECT_EQ(Eval("$ ~> |items.detail|{'seen': true}|",
                 R"({"items":[{"detail":{"n":1}},{"detail":{"n":2}},{"other":3},[{"detail":{}}]]})"),
            R"({"items":[{"detail":{"n":1,"seen":true}},{"detail":{"n":2,"seen":true}},)"
            R"({"other":3},[{"detail":{"seen":true}}]]})");
  EXPECT_EQ(Eval("$ ~> |a.b.c|{'z': 0}|", R"({"a":{"b":{"c":{"q":1},"d":2}}})"),
            R"({"a":{"b":{"c":{"q":1,"z":0},"d":2}}})");
  // A pattern that matches nothing returns the input unchanged.
  EXPECT_EQ(Eval("$ ~> |nothing|{'z': 0}|", R"({"a":1})"), R"({"a":1})");
  // An array input: the pattern applies to each element.
  EXPECT_EQ(Eval("$ ~> |a|{'z': 0}|", R"([{"a":{}},{"a":{"y":1}}])"),
            R"([{"a":{"z":0}},{"a":{"y":1,"z":0}}])");
}

TEST(TransformTest, ObjectsSharedInTheInputAreCopiedSeparately) {
  EXPECT_EQ(Eval("($o := {'x': 1}; {'a': $o, 'b': $o} ~> |a|{'x': 2}|)", "null"),
            R"({"a":{"x":2},"b":{"x":1}})");
  EXPECT_EQ(Eval("($o := {'x': 1}; {'l': [$o, $o]} ~> |l|{'x': 2}|)", "null"),
            R"({"l":[{"x":2},{"x":2}]})");
}

TEST(TransformTest, TheGeneralPathStillRuns) {
  // A user's $clone replaces the built-in one (jsonata-js looks it up in the environment).
  EXPECT_EQ(Eval("($clone := function($v) { {'cloned': {'a': $v.a}} }; $ ~> |cloned|{'z': 0}|)",
                 R"({"a":1})"),
            R"({"cloned":{"a":1,"z":0}})");
  // Not an object or array: $clone's signature refuses it.
  EXPECT_EQ(Eval("$ ~> |a|{'z': 0}|", R"("text")"), "error T0410");
  // Patterns other than a path of names.
  EXPECT_EQ(Eval("$ ~> |a[x > 1]|{'z': 0}|", R"({"a":[{"x":1},{"x":2}]})"),
            R"({"a":[{"x":1},{"x":2,"z":0}]})");
  // As in jsonata-js, whose descendants of the copy are not the objects in it.
  EXPECT_EQ(Eval("$ ~> |**[y]|{'z': 0}|", R"({"a":{"b":{"y":1}}})"), R"({"a":{"b":{"y":1}}})");
}

TEST(ObjectConstructorTest, OnOneValueAsOnASequence) {
  EXPECT_EQ(Eval("{'a': x, 'b': y, 'c': nothing}", R"({"x":1,"y":[2,3]})"), R"({"a":1,"b":[2,3]})");
  EXPECT_EQ(Eval("{k: v}", R"({"k":"key","v":5})"), R"({"key":5})");
  EXPECT_EQ(Eval("{'a': 1, 'a': 2}", R"({})"), "error D1009");
  EXPECT_EQ(Eval("{x: 1}", R"({"x":3})"), "error T1003");
  EXPECT_EQ(Eval("{'a': $}", "null"), R"({"a":null})");
  EXPECT_EQ(Eval("{'n': 1}", nullptr), R"({"n":1})");
  EXPECT_EQ(Eval("{'a': 1, 'b': 2, 'c': 3, 'd': 4, 'e': 5, 'f': 6, 'g': 7, 'h': 8, 'i': 9}.i",
                 "null"),
            "9");
}

// Arguments that need nothing from the signature skip Validate; the others still get its
// coercions and errors.
TEST(SignatureTest, ArgumentsAcceptedAsIsAndTheOthers) {
  EXPECT_EQ(Eval("$join(['a', 'b'], '-')", "null"), R"("a-b")");
  EXPECT_EQ(Eval("$join(['a', 'b'])", "null"), R"("ab")");
  EXPECT_EQ(Eval("$join(['a', 1])", "null"), "error T0412");
  EXPECT_EQ(Eval("$join('a')", "null"), R"("a")");            // wrapped in an array
  EXPECT_EQ(Eval("$count(5)", "null"), "1");                  // wrapped in an array
  EXPECT_EQ(Eval("$sum([])", "null"), "0");
  EXPECT_EQ(Eval("$substring('abcdef', 2)", "null"), R"("cdef")");  // optional length missing
  EXPECT_EQ(Eval("$split('a@b', '@')", "null"), R"(["a","b"])");
  EXPECT_EQ(Eval("$string()", R"("ctx")"), R"("ctx")");      // the context argument
  EXPECT_EQ(Eval("$string(1, true)", "null"), R"("1")");
  EXPECT_EQ(Eval("$uppercase(1)", "null"), "error T0410");
  EXPECT_EQ(Eval("$max(1, 2)", "null"), "error T0410");      // too many arguments
  EXPECT_EQ(Eval("$append(1, 2)", "null"), "[1,2]");
}

}  // namespace
}  // namespace stepway::jsonata
