// Validation of the variable names Assign binds (AWS "Passing data between states with
// variables": Unicode identifiers of at most 80 characters; `states` is reserved for
// JSONata's $states), in state, Choice rule and Catch Assign fields, in both query languages.
// The rules are AWS's; the message texts are ours (AWS's were not available to check).
#include <gtest/gtest.h>

#include <string>

#include "asl/definition.h"
#include "asl/validation.h"

namespace stepway::asl {
namespace {

constexpr const char* kSchema = "SCHEMA_VALIDATION_FAILED";

std::string Reserved(std::string_view name) {
  return "The variable name '" + std::string(name) + "' is reserved and cannot be assigned";
}

std::string Invalid(std::string_view name) {
  return "The variable name '" + std::string(name) +
         "' is not valid: it must start with a letter, continue with letters, digits or '_', "
         "and have at most 80 characters";
}

// Expects exactly one diagnostic, a schema error with this message and location.
void ExpectOnly(const std::string& definition, const std::string& message,
                std::string_view location) {
  const ParsedDefinition parsed = ParseDefinition(definition);
  ASSERT_EQ(parsed.diagnostics.size(), 1u) << definition;
  EXPECT_EQ(parsed.diagnostics[0].code, kSchema);
  EXPECT_EQ(parsed.diagnostics[0].message, message);
  EXPECT_EQ(parsed.diagnostics[0].location, location);
  EXPECT_EQ(parsed.definition, nullptr);
}

std::string PassAssigning(std::string_view assign, std::string_view language = "JSONata") {
  return R"({"QueryLanguage":")" + std::string(language) +
         R"(","StartAt":"P","States":{"P":{"Type":"Pass","Assign":)" + std::string(assign) +
         R"(,"End":true}}})";
}

TEST(VariableNameTest, Syntax) {
  using validation::IsValidVariableName;
  EXPECT_TRUE(IsValidVariableName("x"));
  EXPECT_TRUE(IsValidVariableName("orderId"));
  EXPECT_TRUE(IsValidVariableName("order_id_2"));
  EXPECT_TRUE(IsValidVariableName("número"));
  EXPECT_TRUE(IsValidVariableName("変数"));
  EXPECT_TRUE(IsValidVariableName(std::string(80, 'a')));
  EXPECT_FALSE(IsValidVariableName(std::string(81, 'a')));
  EXPECT_TRUE(IsValidVariableName("a" + std::string(79, 'e') ));
  EXPECT_FALSE(IsValidVariableName(""));
  EXPECT_FALSE(IsValidVariableName("2x"));
  EXPECT_FALSE(IsValidVariableName("_x"));  // `_` is not an ID_Start character
  EXPECT_FALSE(IsValidVariableName("my-var"));
  EXPECT_FALSE(IsValidVariableName("a.b"));
  EXPECT_FALSE(IsValidVariableName("a b"));
  EXPECT_FALSE(IsValidVariableName("$x"));
}

TEST(VariableNameTest, ValidNamesParse) {
  const ParsedDefinition parsed =
      ParseDefinition(PassAssigning(R"({"a":1,"b2":"{% $states.input %}","c_d":[1]})"));
  EXPECT_TRUE(parsed.diagnostics.empty());
  EXPECT_NE(parsed.definition, nullptr);
  const ParsedDefinition jsonpath =
      ParseDefinition(PassAssigning(R"({"a":1,"b.$":"$.x","c.$":"$$.Execution.Id"})", "JSONPath"));
  EXPECT_TRUE(jsonpath.diagnostics.empty());
}

TEST(VariableNameTest, StatesIsReservedInBothLanguages) {
  ExpectOnly(PassAssigning(R"({"states":1})"), Reserved("states"), "/States/P/Assign/states");
  ExpectOnly(PassAssigning(R"({"states.$":"$.x"})", "JSONPath"), Reserved("states"),
             "/States/P/Assign/states.$");
  // Only the exact name.
  EXPECT_NE(ParseDefinition(PassAssigning(R"({"states2":1,"myStates":2})")).definition, nullptr);
}

TEST(VariableNameTest, InvalidNamesAreRefused) {
  ExpectOnly(PassAssigning(R"({"my-var":1})"), Invalid("my-var"), "/States/P/Assign/my-var");
  ExpectOnly(PassAssigning(R"({"1st":1})"), Invalid("1st"), "/States/P/Assign/1st");
  ExpectOnly(PassAssigning(R"({"bad name.$":"$.x"})", "JSONPath"), Invalid("bad name"),
             "/States/P/Assign/bad name.$");
  const std::string long_name(81, 'v');
  ExpectOnly(PassAssigning(R"({")" + long_name + R"(":1})"), Invalid(long_name),
             "/States/P/Assign/" + long_name);
}

TEST(VariableNameTest, ChoiceRuleAndCatchAssignAreChecked) {
  ExpectOnly(R"({"QueryLanguage":"JSONata","StartAt":"C","States":{
      "C":{"Type":"Choice","Choices":[{"Condition":"{% true %}","Next":"E",
                                       "Assign":{"states":1}}],"Default":"E"},
      "E":{"Type":"Succeed"}}})",
             Reserved("states"), "/States/C/Choices[0]/Assign/states");
  ExpectOnly(R"({"StartAt":"C","States":{
      "C":{"Type":"Choice","Choices":[{"Variable":"$.x","IsPresent":true,"Next":"E",
                                       "Assign":{"a-b.$":"$.x"}}],"Default":"E"},
      "E":{"Type":"Succeed"}}})",
             Invalid("a-b"), "/States/C/Choices[0]/Assign/a-b.$");
  ExpectOnly(R"({"QueryLanguage":"JSONata","StartAt":"P","States":{
      "P":{"Type":"Parallel","Branches":[{"StartAt":"B","States":{"B":{"Type":"Succeed"}}}],
           "Catch":[{"ErrorEquals":["States.ALL"],"Next":"E","Assign":{"x y":1}}],"End":true},
      "E":{"Type":"Succeed"}}})",
             Invalid("x y"), "/States/P/Catch[0]/Assign/x y");
}

TEST(VariableNameTest, OnlyTheTopLevelKeysAreNames) {
  // Members of an assigned object are data, not variable names.
  EXPECT_NE(ParseDefinition(PassAssigning(R"({"a":{"my-key":1,"states":2}})")).definition,
            nullptr);
}

}  // namespace
}  // namespace stepway::asl
