#include "asl/choice_rule.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

#include "asl/definition.h"

namespace stepway::asl {
namespace {

json::Value ParseJson(std::string_view text) {
  Result<json::Value> value = json::Parse(text);
  EXPECT_TRUE(value.has_value()) << text;
  return value ? *value : json::Value();
}

std::string Describe(const std::vector<Diagnostic>& diagnostics) {
  std::string out;
  for (const Diagnostic& d : diagnostics) {
    out += d.code + ": " + d.message + " @ " + d.location + "\n";
  }
  return out;
}

// Parses a nested (no Next) JSONPath rule; fails the test on diagnostics.
ChoiceRule Rule(std::string_view text) {
  std::vector<Diagnostic> diagnostics;
  std::optional<ChoiceRule> rule =
      ChoiceRule::Parse(ParseJson(text), /*top_level=*/false, /*jsonata=*/false,
                        "/States/C/Choices[0]", diagnostics);
  EXPECT_TRUE(rule.has_value()) << text << "\n" << Describe(diagnostics);
  return rule ? *rule : ChoiceRule();
}

Outcome<bool> Eval(const ChoiceRule& rule, std::string_view input,
                   std::string_view context = "{}") {
  const json::Value in = ParseJson(input);
  const json::Value ctx = ParseJson(context);
  return rule.Evaluate(Scope{in, ctx, nullptr, nullptr});
}

bool Matches(std::string_view rule, std::string_view input) {
  Outcome<bool> result = Eval(Rule(rule), input);
  EXPECT_TRUE(result.has_value()) << rule << " on " << input << ": "
                                  << (result ? "" : result.error().cause);
  return result.value_or(false);
}

// Diagnostics of a rule that should be refused.
std::vector<Diagnostic> Refuse(std::string_view text, bool top_level = false,
                               bool jsonata = false) {
  std::vector<Diagnostic> diagnostics;
  std::optional<ChoiceRule> rule = ChoiceRule::Parse(ParseJson(text), top_level, jsonata,
                                                     "/States/C/Choices[0]", diagnostics);
  EXPECT_FALSE(rule.has_value()) << text;
  EXPECT_FALSE(diagnostics.empty()) << text;
  return diagnostics;
}

// ---------------------------------------------------------------------------------------------
// Ground truth: the 385 choice_operators executions recorded against AWS. Each runs a Choice
// state "CheckValues" over its input; the state AWS chose is what the case expects.

TEST(ChoiceRuleConformanceTest, RecordedChoicesAgreeWithAws) {
  std::ifstream in(std::string(STEPWAY_SOURCE_DIR) +
                   "/tests/asl_definitions/choice_operators.json");
  std::stringstream buffer;
  buffer << in.rdbuf();
  const json::Value cases = ParseJson(buffer.str());
  ASSERT_TRUE(cases.is_array());
  ASSERT_EQ(cases.get_array().size(), 385u);
  for (const json::Value& c : cases.get_array()) {
    const std::string id(c.at("id").get_string());
    const ParsedDefinition parsed = ParseDefinition(json::Serialize(c.at("definition")));
    ASSERT_NE(parsed.definition, nullptr) << id << Describe(parsed.diagnostics);
    const Machine& machine = parsed.definition->machine;
    const State& state = machine.states[machine.index.at(std::string(c.at("state").get_string()))];
    const json::Value context = json::Object();
    const Scope scope{c.at("input"), context, nullptr, nullptr};
    std::string chosen = state.default_next;
    for (const ChoiceRule& rule : state.choices) {
      Outcome<bool> matched = rule.Evaluate(scope);
      ASSERT_TRUE(matched.has_value()) << id << ": " << matched.error().cause;
      if (*matched) {
        chosen = rule.next();
        break;
      }
    }
    EXPECT_EQ(chosen, c.at("expected_next").get_string())
        << id << "\ninput: " << json::Serialize(c.at("input"));
  }
}

// ---------------------------------------------------------------------------------------------
// Operators.

TEST(ChoiceRuleTest, StringComparisons) {
  EXPECT_TRUE(Matches(R"({"Variable":"$.v","StringEquals":"a"})", R"({"v":"a"})"));
  EXPECT_FALSE(Matches(R"({"Variable":"$.v","StringEquals":"a"})", R"({"v":"A"})"));
  EXPECT_TRUE(Matches(R"({"Variable":"$.v","StringLessThan":"b"})", R"({"v":"a"})"));
  EXPECT_FALSE(Matches(R"({"Variable":"$.v","StringLessThan":"a"})", R"({"v":"a"})"));
  EXPECT_TRUE(Matches(R"({"Variable":"$.v","StringLessThanEquals":"a"})", R"({"v":"a"})"));
  EXPECT_TRUE(Matches(R"({"Variable":"$.v","StringGreaterThan":"A"})", R"({"v":"a"})"));
  EXPECT_TRUE(Matches(R"({"Variable":"$.v","StringGreaterThanEquals":"AB"})", R"({"v":"AB"})"));
  EXPECT_TRUE(Matches(R"({"Variable":"$.v","StringEqualsPath":"$.w"})", R"({"v":"x","w":"x"})"));
  // Java compares UTF-16 code units: U+1F600 (a surrogate pair) sorts below U+FF21.
  EXPECT_TRUE(Matches(R"({"Variable":"$.v","StringLessThan":"Ａ"})", R"({"v":"😀"})"));
}

TEST(ChoiceRuleTest, StringMatchesWildcardsAndEscapes) {
  EXPECT_TRUE(Matches(R"({"Variable":"$.v","StringMatches":"log-*.txt"})", R"({"v":"log-1.txt"})"));
  EXPECT_TRUE(Matches(R"({"Variable":"$.v","StringMatches":"*"})", R"({"v":""})"));
  EXPECT_TRUE(Matches(R"({"Variable":"$.v","StringMatches":"a*b*c"})", R"({"v":"aXbYbZc"})"));
  EXPECT_FALSE(Matches(R"({"Variable":"$.v","StringMatches":"a*b"})", R"({"v":"aXbY"})"));
  EXPECT_FALSE(Matches(R"({"Variable":"$.v","StringMatches":"log-*.txt"})", R"({"v":"log-1.txt2"})"));
  // "\\*" in JSON is \* : a literal star.
  EXPECT_TRUE(Matches(R"({"Variable":"$.v","StringMatches":"a\\*"})", R"({"v":"a*"})"));
  EXPECT_FALSE(Matches(R"({"Variable":"$.v","StringMatches":"a\\*"})", R"({"v":"ab"})"));
  // "\\\\" in JSON is \\ : a literal backslash.
  EXPECT_TRUE(Matches(R"({"Variable":"$.v","StringMatches":"a\\\\*"})", R"({"v":"a\\bc"})"));
  EXPECT_FALSE(Matches(R"({"Variable":"$.v","StringMatches":"*"})", R"({"v":1})"));
}

TEST(ChoiceRuleTest, NumericComparisons) {
  EXPECT_TRUE(Matches(R"({"Variable":"$.v","NumericEquals":1})", R"({"v":1.0})"));
  EXPECT_TRUE(Matches(R"({"Variable":"$.v","NumericLessThan":2})", R"({"v":1.5})"));
  EXPECT_FALSE(Matches(R"({"Variable":"$.v","NumericGreaterThan":2})", R"({"v":2})"));
  EXPECT_TRUE(Matches(R"({"Variable":"$.v","NumericGreaterThanEquals":2})", R"({"v":2})"));
  EXPECT_TRUE(Matches(R"({"Variable":"$.v","NumericLessThanEquals":-1})", R"({"v":-3})"));
  EXPECT_TRUE(Matches(R"({"Variable":"$.v","NumericLessThanPath":"$.w"})", R"({"v":1,"w":2})"));
  // Exact for large integers.
  EXPECT_FALSE(Matches(R"({"Variable":"$.v","NumericEquals":9007199254740993})",
                       R"({"v":9007199254740992})"));
}

TEST(ChoiceRuleTest, TypeMismatchesAreFalse) {
  EXPECT_FALSE(Matches(R"({"Variable":"$.v","NumericEquals":1})", R"({"v":"1"})"));
  EXPECT_FALSE(Matches(R"({"Variable":"$.v","StringEquals":"1"})", R"({"v":1})"));
  EXPECT_FALSE(Matches(R"({"Variable":"$.v","BooleanEquals":true})", R"({"v":"true"})"));
  EXPECT_FALSE(Matches(R"({"Variable":"$.v","NumericEqualsPath":"$.w"})", R"({"v":1,"w":"1"})"));
  EXPECT_FALSE(Matches(R"({"Variable":"$.v","TimestampEquals":"2012-10-09T19:00:55Z"})",
                       R"({"v":"2012-10-09 19:00:55"})"));
}

TEST(ChoiceRuleTest, BooleanAndTimestamps) {
  EXPECT_TRUE(Matches(R"({"Variable":"$.v","BooleanEquals":false})", R"({"v":false})"));
  EXPECT_TRUE(Matches(R"({"Variable":"$.v","BooleanEqualsPath":"$.w"})", R"({"v":true,"w":true})"));
  EXPECT_TRUE(Matches(R"({"Variable":"$.v","TimestampEquals":"2012-10-09T19:00:55Z"})",
                      R"({"v":"2012-10-09T20:00:55+01:00"})"));
  EXPECT_TRUE(Matches(R"({"Variable":"$.v","TimestampLessThan":"2012-10-09T19:00:56Z"})",
                      R"({"v":"2012-10-09T19:00:55Z"})"));
  EXPECT_TRUE(Matches(R"({"Variable":"$.v","TimestampLessThanEquals":"2012-10-09T19:00:55Z"})",
                      R"({"v":"2012-10-09T19:00:55Z"})"));
  EXPECT_TRUE(Matches(R"({"Variable":"$.v","TimestampGreaterThanPath":"$.w"})",
                      R"({"v":"2012-10-09T19:00:56Z","w":"2012-10-09T19:00:55Z"})"));
}

TEST(ChoiceRuleTest, TypeTests) {
  EXPECT_TRUE(Matches(R"({"Variable":"$.v","IsNull":true})", R"({"v":null})"));
  EXPECT_TRUE(Matches(R"({"Variable":"$.v","IsNumeric":true})", R"({"v":1.5})"));
  EXPECT_TRUE(Matches(R"({"Variable":"$.v","IsNumeric":false})", R"({"v":"1"})"));
  EXPECT_TRUE(Matches(R"({"Variable":"$.v","IsString":true})", R"({"v":""})"));
  EXPECT_TRUE(Matches(R"({"Variable":"$.v","IsBoolean":true})", R"({"v":false})"));
  EXPECT_TRUE(Matches(R"({"Variable":"$.v","IsTimestamp":true})", R"({"v":"2016-03-14T01:59:00Z"})"));
  EXPECT_TRUE(Matches(R"({"Variable":"$.v","IsTimestamp":false})", R"({"v":"2016-03-14"})"));
  EXPECT_TRUE(Matches(R"({"Variable":"$.v","IsPresent":true})", R"({"v":null})"));
  EXPECT_TRUE(Matches(R"({"Variable":"$.v","IsPresent":false})", R"({})"));
}

TEST(ChoiceRuleTest, BooleanCombinations) {
  constexpr const char* kRule = R"({"And":[{"Variable":"$.a","NumericGreaterThan":1},
      {"Or":[{"Variable":"$.b","StringEquals":"x"},{"Not":{"Variable":"$.c","IsPresent":true}}]}]})";
  EXPECT_TRUE(Matches(kRule, R"({"a":2,"b":"x","c":1})"));
  EXPECT_TRUE(Matches(kRule, R"({"a":2,"b":"y"})"));
  EXPECT_FALSE(Matches(kRule, R"({"a":2,"b":"y","c":1})"));
  EXPECT_FALSE(Matches(kRule, R"({"a":1,"b":"x"})"));
}

TEST(ChoiceRuleTest, ContextAndVariables) {
  const ChoiceRule rule = Rule(R"({"Variable":"$$.Execution.Name","StringEquals":"run"})");
  Outcome<bool> result = Eval(rule, "{}", R"({"Execution":{"Name":"run"}})");
  ASSERT_TRUE(result.has_value());
  EXPECT_TRUE(*result);

  const ChoiceRule var_rule = Rule(R"({"Variable":"$limit","NumericEquals":3})");
  VariableScope variables;
  variables.values["limit"] = 3;
  const json::Value input = json::Object();
  const json::Value context = json::Object();
  Outcome<bool> var_result = var_rule.Evaluate(Scope{input, context, &variables, nullptr});
  ASSERT_TRUE(var_result.has_value()) << var_result.error().cause;
  EXPECT_TRUE(*var_result);
}

TEST(ChoiceRuleTest, MissingVariableIsRuntimeFailure) {
  Outcome<bool> result = Eval(Rule(R"({"Variable":"$.missing","StringEquals":"a"})"), "{}");
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().error, "States.Runtime");
  EXPECT_EQ(result.error().cause,
            "Invalid path '$.missing': The choice state's condition path references an invalid "
            "value.");
  Outcome<bool> is_null = Eval(Rule(R"({"Variable":"$.missing","IsNull":false})"), "{}");
  ASSERT_FALSE(is_null.has_value());
  Outcome<bool> operand =
      Eval(Rule(R"({"Variable":"$.v","StringEqualsPath":"$.nope"})"), R"({"v":"a"})");
  ASSERT_FALSE(operand.has_value());
  EXPECT_EQ(operand.error().cause,
            "Invalid path '$.nope': The choice state's condition path references an invalid "
            "value.");
}

// ---------------------------------------------------------------------------------------------
// Parsing.

TEST(ChoiceRuleParseTest, TopLevelRuleNeedsNext) {
  const auto diagnostics = Refuse(R"({"Variable":"$","StringMatches":"Test"})", true);
  ASSERT_EQ(diagnostics.size(), 1u);
  EXPECT_EQ(diagnostics[0].code, "SCHEMA_VALIDATION_FAILED");
  EXPECT_EQ(diagnostics[0].message, "These fields are required: [Next]");
  EXPECT_EQ(diagnostics[0].location, "/States/C/Choices[0]");
}

TEST(ChoiceRuleParseTest, TopLevelRuleKeepsNextAndAssign) {
  std::vector<Diagnostic> diagnostics;
  std::optional<ChoiceRule> rule = ChoiceRule::Parse(
      ParseJson(R"({"Variable":"$.x","IsPresent":true,"Next":"A","Assign":{"v.$":"$.x"}})"), true,
      false, "/States/C/Choices[0]", diagnostics);
  ASSERT_TRUE(rule.has_value()) << Describe(diagnostics);
  EXPECT_EQ(rule->next(), "A");
  EXPECT_TRUE(rule->assign().is_object());
}

TEST(ChoiceRuleParseTest, NestedRuleRefusesNext) {
  const auto diagnostics = Refuse(
      R"({"Not":{"Variable":"$.x","IsPresent":true,"Next":"A"}})");
  EXPECT_EQ(diagnostics[0].message, "Field 'Next' is not supported");
  EXPECT_EQ(diagnostics[0].location, "/States/C/Choices[0]/Not");
}

TEST(ChoiceRuleParseTest, OperandTypesAndPaths) {
  auto only = [](std::string_view rule, std::string_view message, std::string_view location) {
    const auto diagnostics = Refuse(rule);
    ASSERT_EQ(diagnostics.size(), 1u) << rule << "\n" << Describe(diagnostics);
    EXPECT_EQ(diagnostics[0].message, message) << rule;
    EXPECT_EQ(diagnostics[0].location, location) << rule;
  };
  only(R"({"Variable":"$.x","StringEquals":1})", "Expected value of type [STRING]",
       "/States/C/Choices[0]/StringEquals");
  only(R"({"Variable":"$.x","NumericEquals":"1"})", "Expected value of type [NUMBER]",
       "/States/C/Choices[0]/NumericEquals");
  only(R"({"Variable":"$.x","IsNull":"yes"})", "Expected value of type [BOOLEAN]",
       "/States/C/Choices[0]/IsNull");
  only(R"({"Variable":"$.x","TimestampEquals":"2016-03-14"})",
       "String does not match RFC3339 timestamp", "/States/C/Choices[0]/TimestampEquals");
  only(R"({"Variable":"x","IsNull":true})",
       "The value for the field 'Variable' must be a valid JSONPath",
       "/States/C/Choices[0]/Variable");
  only(R"({"Variable":"$.x","StringEqualsPath":"nope"})",
       "The value for the field 'StringEqualsPath' must be a valid JSONPath",
       "/States/C/Choices[0]/StringEqualsPath");
  only(R"({"Variable":"$.x","StringEquality":"a"})", "Field 'StringEquality' is not supported",
       "/States/C/Choices[0]");
  only(R"({"StringEquals":"a"})", "These fields are required: [Variable]",
       "/States/C/Choices[0]");
  only(R"({"Variable":"$.x"})", "A Choice Rule must contain exactly one comparison operator",
       "/States/C/Choices[0]");
  only(R"({"Variable":"$.x","StringEquals":"a","IsNull":true})",
       "A Choice Rule must contain exactly one comparison operator", "/States/C/Choices[0]");
  only(R"({"And":[]})", "Minimum items is 1", "/States/C/Choices[0]/And");
  only(R"({"Or":{"Variable":"$.x","IsNull":true}})", "Expected value of type [ARRAY]",
       "/States/C/Choices[0]/Or");
  only(R"({"And":[{"Variable":"$.x","IsNull":true},{"Variable":"$.x","IsNull":1}]})",
       "Expected value of type [BOOLEAN]", "/States/C/Choices[0]/And[1]/IsNull");
}

TEST(ChoiceRuleParseTest, LanguageSpecificFields) {
  auto diagnostics =
      Refuse(R"({"Variable":"$.x","IsNull":true,"Next":"A","Output":{}})", true, false);
  EXPECT_EQ(diagnostics[0].message,
            "The QueryLanguage is set to 'JSONPath', but field 'Output' is only supported for "
            "the 'JSONata' QueryLanguage");
  diagnostics = Refuse(R"({"Variable":"$.x","IsNull":true,"Next":"A"})", true, true);
  EXPECT_EQ(diagnostics[0].message,
            "The QueryLanguage is set to 'JSONata', but field 'Variable' is only supported for "
            "the 'JSONPath' QueryLanguage");
  diagnostics = Refuse(R"({"Next":"A"})", true, true);
  EXPECT_EQ(diagnostics[0].message, "These fields are required: [Condition]");
}

TEST(ChoiceRuleParseTest, JsonataRuleIsStoredRaw) {
  std::vector<Diagnostic> diagnostics;
  std::optional<ChoiceRule> rule = ChoiceRule::Parse(
      ParseJson(R"({"Condition":"{% $states.input.x > 1 %}","Next":"A","Output":null,
                    "Assign":{"y":"{% 2 %}"}})"),
      true, true, "/States/C/Choices[0]", diagnostics);
  ASSERT_TRUE(rule.has_value()) << Describe(diagnostics);
  EXPECT_EQ(rule->condition().get_string(), "{% $states.input.x > 1 %}");
  EXPECT_TRUE(rule->has_output());
  EXPECT_TRUE(rule->output().is_null());
  EXPECT_EQ(rule->next(), "A");
}

}  // namespace
}  // namespace stepway::asl
