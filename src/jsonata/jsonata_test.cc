// Unit tests for the lexer/parser, the evaluator and the public API. The reference suite
// runs in jsonata_conformance_test.cc; these pin down the pieces and our own additions
// (bindings, host functions, limits, number conversion).
#include "jsonata/jsonata.h"

#include <gtest/gtest.h>

#include "json/json.h"
#include "jsonata/error.h"
#include "jsonata/evaluator.h"
#include "jsonata/parser.h"

namespace stepway::jsonata {
namespace {

json::Value J(std::string_view text) { return *json::Parse(text); }

std::string Eval(std::string_view expr, std::string_view input = "null",
                 const Bindings& b = Bindings(), const EvalOptions& o = EvalOptions()) {
  auto e = Expression::Compile(expr);
  if (!e) return "compile error " + e.error().code;
  const json::Value in = J(input);
  auto r = e->Evaluate(&in, b, o);
  if (!r) return "error " + r.error().code + ": " + r.error().message;
  if (!r->has_value()) return "undefined";
  return json::Serialize(**r);
}

TEST(ParserTest, BuildsPathsFromDotChains) {
  auto ast = ParseExpression("Account.Order[0].Product");
  ASSERT_EQ(ast->root->type, NodeType::kPath);
  ASSERT_EQ(ast->root->steps.size(), 3u);
  EXPECT_EQ(ast->root->steps[1]->value, "Order");
  EXPECT_TRUE(ast->root->steps[1]->has_stages);
  EXPECT_TRUE(ast->root->simple_path == false);
}

TEST(ParserTest, ResolvesOperatorsAndBuiltins) {
  auto ast = ParseExpression("$sum(a) + 1");
  ASSERT_EQ(ast->root->type, NodeType::kBinary);
  EXPECT_EQ(ast->root->op, Op::kAdd);
  EXPECT_NE(ast->root->lhs->procedure->builtin, nullptr);
}

TEST(ParserTest, SyntaxErrorsCarryCodeAndPosition) {
  auto e = Expression::Compile("Account.");
  ASSERT_FALSE(e.has_value());
  EXPECT_EQ(e.error().code, "S0207");
  auto f = Expression::Compile("\"unterminated");
  ASSERT_FALSE(f.has_value());
  EXPECT_EQ(f.error().code, "S0101");
  EXPECT_EQ(f.error().message, "String literal must be terminated by a matching quote");
  auto g = Expression::Compile("a ! b");
  ASSERT_FALSE(g.has_value());
  EXPECT_EQ(g.error().code, "S0204");
  EXPECT_EQ(g.error().token, "!");
}

TEST(EvaluatorTest, NumbersComeBackAsIntegersWhenIntegral) {
  EXPECT_EQ(Eval("1+1"), "2");
  EXPECT_EQ(Eval("1/4"), "0.25");
  EXPECT_EQ(Eval("9007199254740993 * 2"), "1.8014398509481984E16");
}

TEST(EvaluatorTest, PathsFlattenSequences) {
  const char* doc = R"({"a":[{"b":[1,2]},{"b":3}]})";
  EXPECT_EQ(Eval("a.b", doc), "[1,2,3]");
  EXPECT_EQ(Eval("a[0].b", doc), "[1,2]");
  EXPECT_EQ(Eval("a.b[0]", doc), "[1,3]");
  EXPECT_EQ(Eval("a.c", doc), "undefined");
  EXPECT_EQ(Eval("$count(a)", doc), "2");
}

TEST(EvaluatorTest, ParentIndexAndFocusBindings) {
  const char* doc = R"({"o":[{"id":"x","l":[{"q":1},{"q":2}]},{"id":"y","l":[{"q":3}]}]})";
  EXPECT_EQ(Eval("o.l.{'id': %.id, 'q': q}", doc),
            R"([{"id":"x","q":1},{"id":"x","q":2},{"id":"y","q":3}])");
  // Expected values checked against jsonata-js 2.2.2.
  EXPECT_EQ(Eval("o#$i.(id & $string($i))", doc), R"(["x0","y1"])");
  EXPECT_EQ(Eval("o@$o.o@$p[$o.id != $p.id].{'a': $o.id, 'b': $p.id}", doc),
            R"([{"a":"x","b":"y"},{"a":"y","b":"x"}])");
}

TEST(EvaluatorTest, LambdasClosuresAndTailCalls) {
  EXPECT_EQ(Eval("($f := function($n, $acc) { $n = 0 ? $acc : $f($n - 1, $acc + $n) }; $f(10000, 0))"),
            "50005000");
  EXPECT_EQ(Eval("($add := function($a, $b) { $a + $b }; $inc := $add(?, 1); $inc(41))"), "42");
  EXPECT_EQ(Eval("[1,2,3] ~> $map(function($v) { $v * 2 }) ~> $sum()"), "12");
}

// A lambda bound in the frame it closes over is a reference cycle (frame -> $f -> closure ->
// frame) that counting never frees; the Evaluator breaks such cycles when it is destroyed.
// `held` is bound in the cyclic frames and counts the references they still hold.
TEST(EvaluatorTest, FreesClosureCyclesWhenTheEvaluationEnds) {
  const Value held = Value::NewObject();
  for (const char* text : {"($f := function($n) { $n <= 1 ? 1 : $n * $f($n - 1) }; $f(5))",
                           "($o := {'g': function() { $o }}; $o.g() ~> $type())",
                           "$map([1, 2], function($v) { ($h := function() { $v }; $h()) })"}) {
    SCOPED_TRACE(text);
    const auto ast = ParseExpression(text);
    {
      Evaluator ev;
      FrameRef root = ev.NewFrame(nullptr);
      root->Bind("held", held);
      const Value result = ev.Evaluate(ast->root, Value(), root.get());
      EXPECT_TRUE(result.IsDefined());
    }
    EXPECT_EQ(held.MutableObject()->refs, 1u);
  }
}

TEST(EvaluatorTest, TransformCopiesAndUpdates) {
  EXPECT_EQ(Eval("$ ~> |a|{'y': 2}, ['x']|", R"({"a":{"x":1},"b":1})"), R"({"a":{"y":2},"b":1})");
}

TEST(EvaluatorTest, RegexesFollowJavaScript) {
  EXPECT_EQ(Eval("$match('ab12cd345', /[0-9]+/).match"), R"(["12","345"])");
  EXPECT_EQ(Eval("$replace('John Smith', /(\\w+)\\s(\\w+)/, '$2, $1')"), R"("Smith, John")");
  EXPECT_EQ(Eval("$split('a1b22c', /[0-9]+/)"), R"(["a","b","c"])");
}

TEST(EvaluatorTest, ErrorsUseJsonataCodesAndMessages) {
  EXPECT_EQ(Eval("'a' + 1"), "error T2001: The left side of the \"+\" operator must evaluate to a number");
  EXPECT_EQ(Eval("$sum('x')"), "error T0412: Argument 1 of function \"sum\" must be an array of \"numbers\"");
  EXPECT_EQ(Eval("$substring('a', 'b')"), "error T0410: Argument 2 of function \"substring\" does not match function signature");
  EXPECT_EQ(Eval("$error('boom')"), "error D3137: boom");
}

TEST(ApiTest, BindingsAndHostFunctions) {
  Bindings b;
  b.Bind("states", J(R"({"input":{"n":3}})"));
  ASSERT_TRUE(b.BindFunction("twice", "<n:n>",
                             [](const std::vector<std::optional<json::Value>>& args)
                                 -> tl::expected<std::optional<json::Value>, JsonataError> {
                               return json::Value(json::AsDouble(*args[0]) * 2);
                             })
                  .has_value());
  EXPECT_EQ(Eval("$twice($states.input.n)", "null", b), "6");
  EXPECT_EQ(Eval("$twice('x')", "null", b).substr(0, 11), "error T0410");
  b.Unbind("eval");
  EXPECT_EQ(Eval("$eval('1')", "null", b).substr(0, 11), "error T1006");
}

TEST(ApiTest, InjectedTimeAndLimits) {
  EvalOptions o;
  o.now_millis = 1700000000000;
  EXPECT_EQ(Eval("$millis()", "null", Bindings(), o), "1700000000000");
  EXPECT_EQ(Eval("$now()", "null", Bindings(), o), R"("2023-11-14T22:13:20.000Z")");
  EvalOptions depth;
  depth.max_depth = 50;
  EXPECT_EQ(Eval("($f := function($n) { $n = 0 ? 0 : 1 + $f($n - 1) }; $f(1000))", "null",
                 Bindings(), depth)
                .substr(0, 11),
            "error D1011");
  EvalOptions steps;
  steps.max_steps = 1000;
  EXPECT_EQ(Eval("$map([1..10000], function($v) { $v })", "null", Bindings(), steps).substr(0, 11),
            "error D1012");
  int calls = 0;
  EvalOptions deadline;
  deadline.deadline_exceeded = [&calls] { return ++calls > 2; };
  EXPECT_EQ(Eval("($f := function($n) { $f($n + 1) }; $f(0))", "null", Bindings(), deadline)
                .substr(0, 11),
            "error D1012");
}

TEST(ApiTest, ExpressionIsReusable) {
  auto e = Expression::Compile("a * 2");
  ASSERT_TRUE(e.has_value());
  for (int i = 0; i < 3; ++i) {
    const json::Value in = J("{\"a\":" + std::to_string(i) + "}");
    auto r = e->Evaluate(&in);
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(json::Serialize(**r), std::to_string(i * 2));
  }
  auto none = e->Evaluate(nullptr);
  ASSERT_TRUE(none.has_value());
  EXPECT_FALSE(none->has_value());
}

}  // namespace
}  // namespace stepway::jsonata
