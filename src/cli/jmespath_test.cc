#include "cli/jmespath.h"

#include <gtest/gtest.h>

#include <string>

namespace stepway::cli {
namespace {

json::Value J(std::string_view text) {
  auto v = json::Parse(text);
  EXPECT_TRUE(v.has_value()) << text;
  return v ? *v : json::Value();
}

struct Case {
  const char* expression;
  const char* data;
  const char* expected;
};

// Cases from the JMESPath specification's examples and what people write with --query.
const Case kCases[] = {
    {"a", R"({"a": "foo", "b": "bar"})", R"("foo")"},
    {"d", R"({"a": "foo"})", "null"},
    {"a.b.c", R"({"a": {"b": {"c": 1}}})", "1"},
    {"\"with space\"", R"({"with space": 2})", "2"},
    {"[1]", "[0, 1, 2]", "1"},
    {"[-1]", "[0, 1, 2]", "2"},
    {"a[5]", R"({"a": [0]})", "null"},
    {"[0:2]", "[0, 1, 2, 3]", "[0, 1]"},
    {"[::2]", "[0, 1, 2, 3, 4]", "[0, 2, 4]"},
    {"[::-1]", "[0, 1, 2]", "[2, 1, 0]"},
    {"[-2:]", "[0, 1, 2]", "[1, 2]"},
    {"people[*].first", R"({"people": [{"first": "a"}, {"first": "b"}, {"x": 1}]})",
     R"(["a", "b"])"},
    {"people[:2].first", R"({"people": [{"first": "a"}, {"first": "b"}, {"first": "c"}]})",
     R"(["a", "b"])"},
    {"ops.*.n", R"({"ops": {"x": {"n": 1}, "y": {"n": 2}, "z": {}}})", "[1, 2]"},
    {"a[].b", R"({"a": [[{"b": 1}], [{"b": 2}, {"b": 3}]]})", "[1, 2, 3]"},
    {"[]", "[[0, 1], 2, [3]]", "[0, 1, 2, 3]"},
    {"r[*].i[].s", R"({"r": [{"i": [{"s": "a"}]}, {"i": [{"s": "b"}, {"s": "c"}]}]})",
     R"(["a", "b", "c"])"},
    {"m[?state=='running'].name",
     R"({"m": [{"name": "a", "state": "running"}, {"name": "b", "state": "stopped"}]})",
     R"(["a"])"},
    {"executions[?status==`SUCCEEDED`].name",
     R"({"executions": [{"name": "x", "status": "SUCCEEDED"}, {"name": "y", "status": "FAILED"}]})",
     R"(["x"])"},
    {"[?a > `1` && b != 'x'].a", R"([{"a": 1, "b": "y"}, {"a": 2, "b": "x"}, {"a": 3, "b": "z"}])",
     "[3]"},
    {"[?a < `2` || !b].a", R"([{"a": 1, "b": true}, {"a": 5, "b": false}, {"a": 7, "b": true}])",
     "[1, 5]"},
    {"[?(a >= `2`) && (a <= `3`)] | length(@)", R"([{"a": 1}, {"a": 2}, {"a": 3}])", "2"},
    {"a | [0]", R"({"a": ["x", "y"]})", R"("x")"},
    {"[a, b.c]", R"({"a": 1, "b": {"c": 2}})", "[1, 2]"},
    {"{Name: name, S: status}", R"({"name": "n", "status": "RUNNING"})",
     R"({"Name": "n", "S": "RUNNING"})"},
    {"items[*].{n: name, k: kind}", R"({"items": [{"name": "a", "kind": 1}]})",
     R"([{"n": "a", "k": 1}])"},
    {"items[*].[name, kind]", R"({"items": [{"name": "a", "kind": 1}]})", R"([["a", 1]])"},
    {"`{\"a\": 1}`", "null", R"({"a": 1})"},
    {"'raw\\'s'", "null", R"("raw's")"},
    {"@", "[1]", "[1]"},
    {"a || b", R"({"a": null, "b": 2})", "2"},
    {"a && b", R"({"a": 1, "b": 2})", "2"},
    {"!a", R"({"a": []})", "true"},
    {"length(a)", R"({"a": "héllo"})", "5"},
    {"length(@)", R"({"a": 1, "b": 2})", "2"},
    {"sort_by(e, &t)[*].n", R"({"e": [{"n": 1, "t": 3}, {"n": 2, "t": 1}, {"n": 3, "t": 2}]})",
     "[2, 3, 1]"},
    {"sort_by(e, &name)[-1].name", R"({"e": [{"name": "b"}, {"name": "c"}, {"name": "a"}]})",
     R"("c")"},
    {"max_by(e, &t).n", R"({"e": [{"n": 1, "t": 3}, {"n": 2, "t": 5}]})", "2"},
    {"min_by(e, &t).n", R"({"e": [{"n": 1, "t": 3}, {"n": 2, "t": 5}]})", "1"},
    {"sort(@)", R"(["b", "a", "c"])", R"(["a", "b", "c"])"},
    {"sort(@)", "[3, 1, 2]", "[1, 2, 3]"},
    {"keys(@)", R"({"a": 1, "b": 2})", R"(["a", "b"])"},
    {"values(@)", R"({"a": 1, "b": 2})", "[1, 2]"},
    {"contains(@, 'b')", R"(["a", "b"])", "true"},
    {"contains(@, 'ell')", R"("hello")", "true"},
    {"[?starts_with(n, 'ab')].n", R"([{"n": "abc"}, {"n": "bcd"}])", R"(["abc"])"},
    {"[?ends_with(n, 'cd')].n", R"([{"n": "abc"}, {"n": "bcd"}])", R"(["bcd"])"},
    {"join(', ', @)", R"(["a", "b"])", R"("a, b")"},
    {"to_string(@)", R"({"a": [1, 2]})", R"("{\"a\":[1,2]}")"},
    {"to_string('x')", "null", R"("x")"},
    {"to_number('12')", "null", "12"},
    {"to_number('x')", "null", "null"},
    {"type(@)", "[]", R"("array")"},
    {"reverse(@)", "[1, 2, 3]", "[3, 2, 1]"},
    {"reverse('abc')", "null", R"("cba")"},
    {"max(@)", "[1, 3, 2]", "3"},
    {"min(@)", R"(["b", "a"])", R"("a")"},
    {"max(@)", "[]", "null"},
    {"sum(@)", "[1, 2, 3]", "6"},
    {"avg(@)", "[1, 2]", "1.5"},
    {"not_null(a, b, `3`)", R"({"b": 2})", "2"},
    {"map(&n, @)", R"([{"n": 1}, {}])", "[1, null]"},
    {"abs(`-2`)", "null", "2"},
    {"ceil(`1.2`)", "null", "2"},
    {"floor(`1.8`)", "null", "1"},
    {"merge(`{\"a\": 1}`, `{\"b\": 2}`)", "null", R"({"a": 1, "b": 2})"},
    {"to_array(`1`)", "null", "[1]"},
    {"length(executions[?status=='RUNNING'])",
     R"({"executions": [{"status": "RUNNING"}, {"status": "RUNNING"}, {"status": "FAILED"}]})",
     "2"},
    {"stateMachines[0].stateMachineArn", R"({"stateMachines": [{"stateMachineArn": "arn"}]})",
     R"("arn")"},
    {"a.b", R"({"a": [1]})", "null"},
    {"[*].a", R"({"x": 1})", "null"},
    {"a == `1`", R"({"a": 1.0})", "true"},
    {"a < 'x'", R"({"a": "b"})", "true"},
    {"[?n > 'b'].n", R"([{"n": "a"}, {"n": "c"}])", R"(["c"])"},
    {"a < `1`", R"({"a": "b"})", "null"},
};

TEST(JmesPathTest, Cases) {
  for (const Case& c : kCases) {
    auto got = SearchJmesPath(c.expression, J(c.data));
    ASSERT_TRUE(got.has_value()) << c.expression << ": " << got.error().message;
    EXPECT_TRUE(json::Equal(*got, J(c.expected)))
        << c.expression << " gave " << json::Serialize(*got) << ", want " << c.expected;
  }
}

TEST(JmesPathTest, SyntaxErrors) {
  for (const char* bad : {"a.", "[", "a[?b", "{a}", "a ==", "foo(", "a..b", "[1:2:0]", "\"a",
                          "a = b", "#"}) {
    auto got = JmesPath::Compile(bad);
    EXPECT_FALSE(got.has_value()) << bad;
  }
}

TEST(JmesPathTest, FunctionErrors) {
  EXPECT_FALSE(SearchJmesPath("length(`1`)", nullptr).has_value());
  EXPECT_FALSE(SearchJmesPath("nope(@)", nullptr).has_value());
  EXPECT_FALSE(SearchJmesPath("sort_by(@, n)", J("[]")).has_value());
  EXPECT_FALSE(SearchJmesPath("sort(@)", J(R"([1, "a"])")).has_value());
  EXPECT_FALSE(SearchJmesPath("length(@, @)", J("[]")).has_value());
}

}  // namespace
}  // namespace stepway::cli
