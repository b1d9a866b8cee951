// JSONata-mode templates: literal values, "{% %}" expressions, $states, variables, the functions
// Step Functions adds, and AWS's failure messages.
#include "asl/jsonata_mode.h"

#include <gtest/gtest.h>

#include <regex>
#include <string>

#include "asl/definition.h"
#include "base/random.h"
#include "json/json.h"

namespace stepway::asl {
namespace {

json::Value J(std::string_view text) {
  auto v = json::Parse(text);
  EXPECT_TRUE(v.has_value()) << text;
  return v ? *v : json::Value();
}

class JsonataModeTest : public testing::Test {
 protected:
  JsonataOutcome<json::Value> Eval(std::string_view spec, std::string_view field = "Output") {
    const json::Value parsed = J(spec);
    EXPECT_FALSE(CompileJsonataTemplate(parsed, expressions_).has_value()) << spec;
    JsonataScope scope;
    scope.states.input = &input_;
    scope.states.context = &context_;
    scope.variables = &variables_;
    scope.random = &random_;
    return EvaluateJsonataTemplate(parsed, field, expressions_, scope);
  }
  std::string Ok(std::string_view spec) {
    auto r = Eval(spec);
    EXPECT_TRUE(r.has_value()) << spec << ": " << (r ? "" : r.error().cause);
    return r ? json::Serialize(*r) : std::string("<failed>");
  }

  JsonataExpressions expressions_;
  json::Value input_ = J(R"({"a":1,"list":[1,2,3],"name":"x"})");
  json::Value context_ = J(R"({"State":{"Name":"S"}})");
  VariableScope variables_;
  SeededRandom random_{42};
};

TEST_F(JsonataModeTest, LiteralsAreKeptAndExpressionsEvaluatedAtAnyDepth) {
  // AWS: only a whole string "{% ... %}" is an expression; " {% x %} " and "$.x" are literals.
  EXPECT_EQ(Ok(R"({"k":" {% 1 %} ","p":"$.a","n":null,"l":[1,"{% 1+1 %}",{"d":"{% 'x' %}"}]})"),
            R"({"k":" {% 1 %} ","p":"$.a","n":null,"l":[1,2,{"d":"x"}]})");
  EXPECT_EQ(Ok(R"("{% $states.input.a + 1 %}")"), "2");
  EXPECT_EQ(Ok(R"(true)"), "true");
  EXPECT_EQ(Ok(R"("{% $states.context.State.Name %}")"), R"("S")");
}

TEST_F(JsonataModeTest, ResultAndErrorOutputOnlyWhenGiven) {
  const json::Value result = J(R"({"r":5})");
  const json::Value error_output = J(R"({"Error":"E","Cause":"C"})");
  JsonataScope scope;
  scope.states.input = &input_;
  scope.states.result = &result;
  scope.states.error_output = &error_output;
  auto r = EvaluateJsonataTemplate(J(R"(["{% $states.result.r %}","{% $states.errorOutput.Error %}"])"),
                                   "Output", expressions_, scope);
  ASSERT_TRUE(r.has_value()) << r.error().cause;
  EXPECT_EQ(json::Serialize(*r), R"([5,"E"])");
  scope.states.result = nullptr;
  auto missing = EvaluateJsonataTemplate(J(R"("{% $states.result %}")"), "Output", expressions_,
                                         scope);
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().cause,
            "The JSONata expression '$states.result' specified for the field 'Output' returned "
            "nothing (undefined).");
}

TEST_F(JsonataModeTest, VariablesInnermostFirst) {
  VariableScope outer;
  outer.values["v"] = 1;
  outer.values["w"] = "outer";
  variables_.parent = &outer;
  variables_.values["v"] = 2;
  EXPECT_EQ(Ok(R"({"v":"{% $v %}","w":"{% $w %}"})"), R"({"v":2,"w":"outer"})");
}

TEST_F(JsonataModeTest, UndefinedNamesTheFieldPath) {
  // Recorded from AWS: "... specified for the field 'Output/result' returned nothing (undefined)."
  auto r = Eval(R"({"result":"{% $doesNotExist %}"})");
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().location, "Output/result");
  EXPECT_EQ(r.error().cause,
            "The JSONata expression '$doesNotExist' specified for the field 'Output/result' "
            "returned nothing (undefined).");
  auto in_array = Eval(R"({"l":[1,"{% $nothing %}"]})", "Arguments");
  ASSERT_FALSE(in_array.has_value());
  EXPECT_EQ(in_array.error().location, "Arguments/l[1]");
}

TEST_F(JsonataModeTest, EvaluationErrorsCarryJsonataCode) {
  auto r = Eval(R"({"FunctionResult":"{% $randomSeeded(1) %}"})");
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().cause,
            "The JSONata expression '$randomSeeded(1)' specified for the field "
            "'Output/FunctionResult' threw an error during evaluation. T1006: Attempted to invoke "
            "a non-function");
  // $eval is not available in Step Functions.
  auto eval = Eval(R"("{% $eval('1') %}")");
  ASSERT_FALSE(eval.has_value());
  EXPECT_NE(eval.error().cause.find("T1006"), std::string::npos) << eval.error().cause;
}

TEST_F(JsonataModeTest, FunctionResultIsUnsupported) {
  auto r = Eval(R"("{% $fn := function($x){$x} %}")", "Items");
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().cause,
            "The JSONata expression '$fn := function($x){$x}' specified for the field 'Items' "
            "returned an unsupported result type.");
  EXPECT_EQ(Ok(R"("{% '' %}")"), R"("")");
}

TEST_F(JsonataModeTest, PartitionAndRange) {
  // Recorded from AWS (test_array_jsonata).
  EXPECT_EQ(Ok(R"("{% $partition([0,1,2], 2) %}")"), "[[0,1],[2]]");
  EXPECT_EQ(Ok(R"("{% $partition([0,1,2], 1) %}")"), "[[0],[1],[2]]");
  EXPECT_EQ(Ok(R"("{% $partition([0], 5) %}")"), "[[0]]");
  EXPECT_EQ(Ok(R"("{% $range(0, 10, 3) %}")"), "[0,3,6,9]");
  EXPECT_EQ(Ok(R"("{% $range(1, 9, 2) %}")"), "[1,3,5,7,9]");
  // A one-value range is that value, as AWS returns it.
  EXPECT_EQ(Ok(R"("{% $range(1, 9, 9) %}")"), "1");
  EXPECT_FALSE(Eval(R"("{% $partition([1], 0) %}")").has_value());
}

TEST_F(JsonataModeTest, HashParseUuidRandom) {
  EXPECT_EQ(Ok(R"("{% $hash('input data', 'SHA-1') %}")"),
            R"("aaff4a450a104cd177d28d18d74485e8cae074b7")");
  EXPECT_EQ(Ok(R"("{% $parse('{\"a\":[1,2]}') %}")"), R"({"a":[1,2]})");
  EXPECT_FALSE(Eval(R"("{% $parse('{') %}")").has_value());
  const std::string uuid = Ok(R"("{% $uuid() %}")");
  EXPECT_TRUE(std::regex_match(uuid, std::regex(R"("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")")))
      << uuid;
  // A seed makes $random reproducible.
  EXPECT_EQ(Ok(R"("{% $random(7) %}")"), Ok(R"("{% $random(7) %}")"));
  auto r = Eval(R"("{% $random() %}")");
  ASSERT_TRUE(r.has_value());
  ASSERT_TRUE(r->is_number());
  EXPECT_GE(json::AsDouble(*r), 0.0);
  EXPECT_LT(json::AsDouble(*r), 1.0);
}

TEST_F(JsonataModeTest, UnexpectedTypeMessage) {
  // Recorded from AWS for Map Items.
  EXPECT_EQ(JsonataUnexpectedType("{'foo': 'bar'}", "Items", "array", J(R"({"foo":"bar"})")),
            "The JSONata expression '{'foo': 'bar'}' specified for the field 'Items' returned an "
            "unexpected result type. Expected 'array', but was 'object' for value: "
            "{\"foo\":\"bar\"}");
}

TEST(JsonataDefinitionTest, ExpressionsCompiledAtParseTime) {
  ParsedDefinition ok = ParseDefinition(R"({"QueryLanguage":"JSONata","StartAt":"P","States":{
    "P":{"Type":"Pass","Output":{"x":"{% $states.input.a %}"},"End":true}}})");
  ASSERT_NE(ok.definition, nullptr);
  EXPECT_NE(ok.definition->jsonata.Find("$states.input.a"), nullptr);

  ParsedDefinition bad = ParseDefinition(R"({"QueryLanguage":"JSONata","StartAt":"P","States":{
    "P":{"Type":"Pass","Output":{"x":"{% $states.input. %}"},"End":true}}})");
  EXPECT_EQ(bad.definition, nullptr);
  ASSERT_FALSE(bad.diagnostics.empty());
  EXPECT_EQ(bad.diagnostics[0].code, "SCHEMA_VALIDATION_FAILED");
  EXPECT_EQ(bad.diagnostics[0].location, "/States/P/Output/x");

  // A JSONPath state's strings are never expressions.
  ParsedDefinition jsonpath = ParseDefinition(R"({"StartAt":"P","States":{
    "P":{"Type":"Pass","Result":{"x":"{% ( %}"},"End":true}}})");
  EXPECT_NE(jsonpath.definition, nullptr);
}

}  // namespace
}  // namespace stepway::asl
