#include "asl/definition.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

namespace stepway::asl {
namespace {

// Test data copied from the recorded AWS conformance cases (tests/asl_definitions/LICENSE).
json::Value LoadData(const std::string& name) {
  std::ifstream in(std::string(STEPWAY_SOURCE_DIR) + "/tests/asl_definitions/" + name);
  std::stringstream buffer;
  buffer << in.rdbuf();
  Result<json::Value> value = json::Parse(buffer.str());
  EXPECT_TRUE(value.has_value()) << name;
  return value ? *value : json::Value();
}

std::string Describe(const std::vector<Diagnostic>& diagnostics) {
  std::string out;
  for (const Diagnostic& d : diagnostics) {
    out += d.severity + " " + d.code + ": " + d.message + " @ " + d.location + "\n";
  }
  return out;
}

ParsedDefinition Parse(std::string_view text) { return ParseDefinition(text); }

// Expects exactly one diagnostic with this code, message and location.
void ExpectOnly(std::string_view text, std::string_view code, std::string_view message,
                std::string_view location) {
  const ParsedDefinition parsed = Parse(text);
  ASSERT_EQ(parsed.diagnostics.size(), 1u) << text << "\n" << Describe(parsed.diagnostics);
  EXPECT_EQ(parsed.diagnostics[0].severity, "ERROR");
  EXPECT_EQ(parsed.diagnostics[0].code, code) << text;
  EXPECT_EQ(parsed.diagnostics[0].message, message) << text;
  EXPECT_EQ(parsed.diagnostics[0].location, location) << text;
  EXPECT_EQ(parsed.definition, nullptr);
}

constexpr const char* kSchema = "SCHEMA_VALIDATION_FAILED";
constexpr const char* kTarget = "MISSING_TRANSITION_TARGET";

// Wraps one state named S as the whole machine.
std::string OneState(std::string_view state, std::string_view top = "") {
  return std::string("{") + std::string(top) + R"("StartAt":"S","States":{"S":)" +
         std::string(state) + "}}";
}

// ---------------------------------------------------------------------------------------------
// Ground truth: every definition AWS ran in the conformance cases is valid.

TEST(DefinitionTest, EveryConformanceDefinitionParses) {
  const json::Value cases = LoadData("valid_definitions.json");
  ASSERT_TRUE(cases.is_array());
  ASSERT_GT(cases.get_array().size(), 100u);
  for (const json::Value& c : cases.get_array()) {
    const std::string text = json::Serialize(c.at("definition"));
    const ParsedDefinition parsed = Parse(text);
    EXPECT_TRUE(parsed.diagnostics.empty())
        << c.at("id").get_string() << "\n" << Describe(parsed.diagnostics);
    EXPECT_NE(parsed.definition, nullptr) << c.at("id").get_string();
  }
}

// Ground truth: what ValidateStateMachineDefinition and CreateStateMachine answered.
TEST(DefinitionTest, AwsRecordedValidationAnswers) {
  const json::Value cases = LoadData("aws_validation_cases.json");
  ASSERT_TRUE(cases.is_array());
  for (const json::Value& c : cases.get_array()) {
    const std::string id(c.at("id").get_string());
    const ParsedDefinition parsed = Parse(c.at("definition").get_string());
    if (const json::Value* message = json::Find(c, "invalid_definition_message")) {
      EXPECT_EQ(FormatInvalidDefinition(parsed.diagnostics), message->get_string()) << id;
      continue;
    }
    const json::Array& expected = c.at("diagnostics").get_array();
    ASSERT_EQ(parsed.diagnostics.size(), expected.size()) << id << Describe(parsed.diagnostics);
    for (std::size_t i = 0; i < expected.size(); ++i) {
      const Diagnostic& d = parsed.diagnostics[i];
      EXPECT_EQ(d.severity, expected[i].at("severity").get_string()) << id;
      EXPECT_EQ(d.code, expected[i].at("code").get_string()) << id;
      EXPECT_EQ(d.message, expected[i].at("message").get_string()) << id;
      const json::Value* location = json::Find(expected[i], "location");
      EXPECT_EQ(d.location, location ? std::string(location->get_string()) : std::string()) << id;
    }
    EXPECT_EQ(parsed.definition == nullptr, !expected.empty()) << id;
  }
}

// ---------------------------------------------------------------------------------------------
// The parsed form.

TEST(DefinitionTest, ResolvesTransitionsToIndexes) {
  const ParsedDefinition parsed = Parse(R"j({
    "Comment": "c", "Version": "1.0", "TimeoutSeconds": 60, "StartAt": "T",
    "States": {
      "T": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Next": "C",
            "TimeoutSeconds": 10, "HeartbeatSecondsPath": "$.hb",
            "Retry": [{"ErrorEquals": ["Custom"], "IntervalSeconds": 2, "MaxAttempts": 5,
                       "BackoffRate": 1.5, "MaxDelaySeconds": 9, "JitterStrategy": "FULL"},
                      {"ErrorEquals": ["States.ALL"]}],
            "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "F", "ResultPath": "$.err"}]},
      "C": {"Type": "Choice", "Choices": [{"Variable": "$.x", "IsPresent": true, "Next": "W"}],
            "Default": "F"},
      "W": {"Type": "Wait", "Timestamp": "2016-03-14T01:59:00Z", "Next": "Done"},
      "F": {"Type": "Fail", "Error": "E", "CausePath": "States.Format('x {}', $.a)"},
      "Done": {"Type": "Succeed"}
    }})j");
  ASSERT_NE(parsed.definition, nullptr) << Describe(parsed.diagnostics);
  const Definition& d = *parsed.definition;
  EXPECT_EQ(d.version, "1.0");
  EXPECT_EQ(d.timeout_seconds, 60);
  const Machine& m = d.machine;
  EXPECT_EQ(m.comment, "c");
  EXPECT_EQ(m.start_index, m.index.at("T"));
  const State& t = m.states[m.index.at("T")];
  EXPECT_EQ(t.type, StateType::kTask);
  EXPECT_EQ(t.next_index, m.index.at("C"));
  EXPECT_EQ(t.timeout_seconds.value, 10);
  ASSERT_TRUE(t.heartbeat_seconds.path.has_value());
  EXPECT_EQ(t.heartbeat_seconds.path->text(), "$.hb");
  ASSERT_EQ(t.retry.size(), 2u);
  EXPECT_EQ(t.retry[0].error_equals, std::vector<std::string>{"Custom"});
  EXPECT_EQ(t.retry[0].interval_seconds, 2);
  EXPECT_EQ(t.retry[0].max_attempts, 5);
  EXPECT_EQ(t.retry[0].backoff_rate, 1.5);
  EXPECT_EQ(t.retry[0].max_delay_seconds, 9);
  EXPECT_EQ(t.retry[0].jitter, JitterStrategy::kFull);
  EXPECT_EQ(t.retry[1].interval_seconds, 1);  // AWS defaults
  EXPECT_EQ(t.retry[1].max_attempts, 3);
  EXPECT_EQ(t.retry[1].backoff_rate, 2.0);
  ASSERT_EQ(t.catchers.size(), 1u);
  EXPECT_EQ(t.catchers[0].next_index, m.index.at("F"));
  ASSERT_TRUE(t.catchers[0].result_path.has_value());
  EXPECT_EQ(t.catchers[0].result_path->text(), "$.err");
  ASSERT_TRUE(t.input_path.has_value());
  EXPECT_EQ(t.input_path->text(), "$");  // absent means "$"
  const State& c = m.states[m.index.at("C")];
  EXPECT_EQ(c.default_index, m.index.at("F"));
  ASSERT_EQ(c.choices.size(), 1u);
  EXPECT_EQ(c.choices[0].next(), "W");
  const State& w = m.states[m.index.at("W")];
  EXPECT_EQ(w.timestamp, "2016-03-14T01:59:00Z");
  const State& f = m.states[m.index.at("F")];
  EXPECT_EQ(f.error, "E");
  EXPECT_TRUE(f.cause_call.has_value());
}

TEST(DefinitionTest, NullPathsMeanDiscardOrEmpty) {
  const ParsedDefinition parsed = Parse(OneState(
      R"({"Type":"Pass","InputPath":null,"OutputPath":null,"ResultPath":null,"End":true})"));
  ASSERT_NE(parsed.definition, nullptr) << Describe(parsed.diagnostics);
  const State& s = parsed.definition->machine.states[0];
  EXPECT_FALSE(s.input_path.has_value());
  EXPECT_FALSE(s.output_path.has_value());
  EXPECT_FALSE(s.result_path.has_value());
  EXPECT_TRUE(s.end);
}

// The interpreter keeps $$ up to date only for definitions that may read it.
TEST(DefinitionTest, ReadsContextWhenAnyStringMentionsIt) {
  auto reads = [](std::string_view state) {
    const ParsedDefinition parsed = Parse(OneState(state));
    EXPECT_NE(parsed.definition, nullptr) << Describe(parsed.diagnostics);
    return parsed.definition != nullptr && parsed.definition->reads_context;
  };
  EXPECT_FALSE(reads(R"({"Type":"Pass","Parameters":{"a.$":"$.x"},"End":true})"));
  EXPECT_TRUE(reads(R"({"Type":"Pass","Parameters":{"a.$":"$$.State.Name"},"End":true})"));
  EXPECT_TRUE(reads(
      R"j({"Type":"Pass","Parameters":{"a.$":"States.Format('{}', $$.Execution.Id)"},"End":true})j"));
  EXPECT_TRUE(reads(
      R"({"Type":"Pass","QueryLanguage":"JSONata","Output":"{% $states.context.State.Name %}","End":true})"));
}

TEST(DefinitionTest, ParallelAndMapAreNestedMachines) {
  const ParsedDefinition parsed = Parse(R"({"StartAt":"P","States":{
    "P":{"Type":"Parallel","Branches":[
      {"StartAt":"A","States":{"A":{"Type":"Pass","End":true}}},
      {"StartAt":"B","States":{"B":{"Type":"Pass","Next":"B2"},"B2":{"Type":"Succeed"}}}],
      "Next":"M"},
    "M":{"Type":"Map","ItemsPath":"$.items","MaxConcurrency":2,"Label":"lbl",
      "ItemSelector":{"v.$":"$$.Map.Item.Value"},
      "ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"EXPRESS"},
        "StartAt":"I","States":{"I":{"Type":"Pass","End":true}}},
      "ToleratedFailurePercentage":5.5,"End":true}}})");
  ASSERT_NE(parsed.definition, nullptr) << Describe(parsed.diagnostics);
  const Machine& m = parsed.definition->machine;
  const State& p = m.states[0];
  ASSERT_EQ(p.branches.size(), 2u);
  EXPECT_EQ(p.branches[1]->states[0].next_index, 1);
  EXPECT_EQ(p.branches[1]->start_index, 0);
  const State& map = m.states[1];
  EXPECT_EQ(map.item_processor.mode, ItemProcessor::Mode::kDistributed);
  EXPECT_EQ(map.item_processor.execution_type, "EXPRESS");
  ASSERT_NE(map.item_processor.machine, nullptr);
  EXPECT_EQ(map.item_processor.machine->states[0].name, "I");
  EXPECT_EQ(map.max_concurrency.value, 2);
  EXPECT_EQ(map.tolerated_failure_percentage.value, 5.5);
  EXPECT_EQ(map.label, "lbl");
  EXPECT_TRUE(map.item_selector.has_value());
  ASSERT_TRUE(map.items_path.has_value());
  EXPECT_EQ(map.items_path->text(), "$.items");
}

TEST(DefinitionTest, JsonataFieldsAndExpressions) {
  const ParsedDefinition parsed = Parse(R"({"QueryLanguage":"JSONata","StartAt":"T","States":{
    "T":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke",
         "Arguments":{"a":"{% $states.input.a %}"},"TimeoutSeconds":"{% $t %}",
         "Output":"{% $states.result %}","Assign":{"x":1},"Next":"W"},
    "W":{"Type":"Wait","Seconds":"{%  $states.input.s  %}","Next":"M"},
    "M":{"Type":"Map","Items":"{% [1,2] %}","MaxConcurrency":"{% 2 %}",
         "ItemProcessor":{"StartAt":"I","States":{"I":{"Type":"Pass","End":true}}},"Next":"C"},
    "C":{"Type":"Choice","Choices":[{"Condition":"{% true %}","Next":"F","Output":{"o":1},
         "Assign":{"y":2}}],"Default":"F"},
    "F":{"Type":"Fail","Error":"{% 'E' %}","Cause":"c"}}})");
  ASSERT_NE(parsed.definition, nullptr) << Describe(parsed.diagnostics);
  const Machine& m = parsed.definition->machine;
  EXPECT_EQ(m.query_language, QueryLanguage::kJsonata);
  const State& t = m.states[0];
  EXPECT_EQ(t.query_language, QueryLanguage::kJsonata);
  EXPECT_TRUE(t.has_arguments);
  EXPECT_TRUE(t.has_output);
  EXPECT_EQ(t.timeout_seconds.expression, "$t");
  EXPECT_FALSE(t.input_path.has_value());
  EXPECT_EQ(m.states[1].seconds.expression, "$states.input.s");
  EXPECT_TRUE(m.states[2].has_items);
  EXPECT_EQ(m.states[2].max_concurrency.expression, "2");
  const ChoiceRule& rule = m.states[3].choices[0];
  EXPECT_EQ(rule.condition().get_string(), "{% true %}");
  EXPECT_TRUE(rule.has_output());
  EXPECT_TRUE(rule.assign().is_object());
  EXPECT_EQ(m.states[4].error, "{% 'E' %}");
}

TEST(DefinitionTest, JsonataStateInsideJsonPathMachineIsAllowed) {
  const ParsedDefinition parsed = Parse(R"({"StartAt":"M","QueryLanguage":"JSONPath","States":{
    "M":{"Type":"Map","QueryLanguage":"JSONata","ItemProcessor":{"ProcessorConfig":{"Mode":
    "INLINE"},"StartAt":"P","States":{"P":{"QueryLanguage":"JSONPath","Type":"Pass","End":true}}},
    "End":true}}})");
  ASSERT_NE(parsed.definition, nullptr) << Describe(parsed.diagnostics);
  EXPECT_EQ(parsed.definition->machine.states[0].query_language, QueryLanguage::kJsonata);
}

// ---------------------------------------------------------------------------------------------
// Each rejection rule, with its code and location.

TEST(DefinitionRejectTest, NotJson) {
  const ParsedDefinition parsed = Parse("not a definition");
  ASSERT_EQ(parsed.diagnostics.size(), 1u);
  EXPECT_EQ(parsed.diagnostics[0].code, "INVALID_JSON_DESCRIPTION");
  EXPECT_EQ(parsed.diagnostics[0].location,
            "[Source: (String)\"not a definition\"; line: 1, column: 4]");
}

TEST(DefinitionRejectTest, JacksonMessagesForCommonSyntaxErrors) {
  EXPECT_EQ(Parse("{\"a\":1,}").diagnostics[0].message,
            "Unexpected character ('}' (code 125)): was expecting double-quote to start field "
            "name\n at [Source: (String)\"{\"a\":1,}\"; line: 1, column: 9]");
  EXPECT_EQ(Parse("{\"a\" 1}").diagnostics[0].message,
            "Unexpected character ('1' (code 49)): was expecting a colon to separate field name "
            "and value\n at [Source: (String)\"{\"a\" 1}\"; line: 1, column: 7]");
  EXPECT_EQ(Parse("{\n\"a\":tru}").diagnostics[0].message,
            "Unrecognized token 'tru': was expecting (JSON String, Number, Array, Object or token "
            "'null', 'true' or 'false')\n at [Source: "
            "(String)\"{\n\"a\":tru}\"; line: 2, column: 8]");
  EXPECT_EQ(Parse("{\"a\":[1 2]}").diagnostics[0].message,
            "Unexpected character ('2' (code 50)): was expecting comma to separate Array "
            "entries\n at [Source: (String)\"{\"a\":[1 2]}\"; line: 1, column: 10]");
  EXPECT_EQ(Parse("{\"a\":1").diagnostics[0].message,
            "Unexpected end-of-input: expected close marker for OBJECT (start marker at [Source: "
            "(String)\"{\"a\":1\"; line: 1, column: 1])\n at [Source: (String)\"{\"a\":1\"; line: "
            "1, column: 7]");
}

TEST(DefinitionRejectTest, NotAnObject) {
  ExpectOnly(" ", kSchema, "Definition must be a valid JSON object", "");
  ExpectOnly("[1]", kSchema, "Definition must be a valid JSON object", "");
}

TEST(DefinitionRejectTest, MissingTopLevelFields) {
  ExpectOnly("{}", kSchema, "These fields are required: [States, StartAt]", "/");
  ExpectOnly(R"({"StartAt":"A"})", kSchema, "These fields are required: [States]", "/");
}

TEST(DefinitionRejectTest, UnknownTopLevelField) {
  ExpectOnly(OneState(R"({"Type":"Succeed"})", R"("Coment":"x",)"), kSchema,
             "Field 'Coment' is not supported", "/");
}

TEST(DefinitionRejectTest, TopLevelQueryLanguage) {
  ExpectOnly(OneState(R"({"Type":"Succeed"})", R"("QueryLanguage":"jsonata",)"), kSchema,
             "Value should be one of the following: [JSONPath, JSONata]", "/QueryLanguage");
  ExpectOnly(OneState(R"({"Type":"Succeed"})", R"("QueryLanguage":5,)"), kSchema,
             "Expected value of type [STRING]", "/QueryLanguage");
}

TEST(DefinitionRejectTest, TopLevelTimeoutSeconds) {
  ExpectOnly(OneState(R"({"Type":"Succeed"})", R"("TimeoutSeconds":0,)"), kSchema,
             "Minimum value is 1", "/TimeoutSeconds");
  ExpectOnly(OneState(R"({"Type":"Succeed"})", R"("TimeoutSeconds":"1",)"), kSchema,
             "Expected value of type [INTEGER]", "/TimeoutSeconds");
}

TEST(DefinitionRejectTest, StateType) {
  ExpectOnly(OneState(R"({"End":true})"), kSchema, "These fields are required: [Type]",
             "/States/S");
  ExpectOnly(OneState(R"({"Type":"Nope"})"), kSchema,
             "The field 'Type' should have one of these values: [Task, Wait, Pass, Succeed, "
             "Fail, Choice, Parallel, Map]",
             "/States/S/Type");
  ExpectOnly(OneState("[]"), kSchema, "Expected value of type [OBJECT]", "/States/S");
}

TEST(DefinitionRejectTest, FieldNotBelongingToTheStateType) {
  ExpectOnly(OneState(R"({"Type":"Pass","TimeoutSeconds":5,"End":true})"), kSchema,
             "Field 'TimeoutSeconds' is not supported", "/States/S");
  ExpectOnly(OneState(R"({"Type":"Wait","Seconds":1,"End":true,"Retry":[]})"), kSchema,
             "Field 'Retry' is not supported", "/States/S");
  ExpectOnly(OneState(R"({"Type":"Succeed","Parameter":{}})"), kSchema,
             "Field 'Parameter' is not supported", "/States/S");
  ExpectOnly(OneState(R"({"Type":"Succeed","End":true})"), kSchema,
             "Field 'End' is not supported", "/States/S");
  ExpectOnly(OneState(R"({"Type":"Fail","InputPath":"$"})"), kSchema,
             "Field 'InputPath' is not supported", "/States/S");
}

TEST(DefinitionRejectTest, NextAndEnd) {
  ExpectOnly(OneState(R"({"Type":"Pass"})"), kSchema, "These fields are required: [Next]",
             "/States/S");
  ExpectOnly(OneState(R"({"Type":"Pass","End":false})"), kSchema,
             "These fields are required: [Next]", "/States/S");
  ExpectOnly(OneState(R"({"Type":"Pass","Next":"S","End":true})"), kSchema,
             "Only one of these fields can be provided: [Next, End]", "/States/S");
  ExpectOnly(OneState(R"({"Type":"Pass","End":"yes"})"), kSchema,
             "Expected value of type [BOOLEAN]", "/States/S/End");
}

TEST(DefinitionRejectTest, DanglingTargets) {
  ExpectOnly(R"({"StartAt":"A","States":{"A":{"Type":"Task","Resource":"arn:aws:states:::x",
      "Next":"Ghost","Catch":[{"ErrorEquals":["States.ALL"],"Next":"Z"}]},
      "Z":{"Type":"Succeed"}}})",
             kTarget, "Missing 'Next' target: Ghost", "/States/A/Next");
  ExpectOnly(R"({"StartAt":"C","States":{"C":{"Type":"Choice","Choices":[{"Variable":"$.x",
      "IsPresent":true,"Next":"Ghost"}],"Default":"Z"},"Z":{"Type":"Succeed"}}})",
             kTarget, "Missing 'Next' target: Ghost", "/States/C/Choices[0]/Next");
  ExpectOnly(R"({"StartAt":"C","States":{"C":{"Type":"Choice","Choices":[{"Variable":"$.x",
      "IsPresent":true,"Next":"Z"}],"Default":"Ghost"},"Z":{"Type":"Succeed"}}})",
             kTarget, "Missing 'Next' target: Ghost", "/States/C/Default");
  ExpectOnly(R"({"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::x",
      "Catch":[{"ErrorEquals":["States.ALL"],"Next":"Ghost"}],"End":true}}})",
             kTarget, "Missing 'Next' target: Ghost", "/States/T/Catch[0]/Next");
}

TEST(DefinitionRejectTest, DanglingStartAtAlsoMakesStatesUnreachable) {
  const ParsedDefinition parsed =
      Parse(R"({"StartAt":"Nope","States":{"A":{"Type":"Pass","End":true}}})");
  ASSERT_EQ(parsed.diagnostics.size(), 2u) << Describe(parsed.diagnostics);
  EXPECT_EQ(parsed.diagnostics[0].code, kTarget);
  EXPECT_EQ(parsed.diagnostics[0].message, "Missing 'Next' target: Nope");
  EXPECT_EQ(parsed.diagnostics[0].location, "/StartAt");
  EXPECT_EQ(parsed.diagnostics[1].message, "State \"A\" is not reachable.");
  EXPECT_EQ(parsed.diagnostics[1].location, "/States/A");
}

TEST(DefinitionRejectTest, UnreachableStates) {
  ExpectOnly(R"({"StartAt":"A","States":{"A":{"Type":"Pass","End":true},
      "a/b":{"Type":"Pass","End":true}}})",
             kTarget, "State \"a/b\" is not reachable.", "/States/a/b");
  ExpectOnly(R"({"StartAt":"P","States":{"P":{"Type":"Parallel","Branches":[{"StartAt":"W",
      "States":{"W":{"Type":"Pass","End":true},"Ghost":{"Type":"Pass","End":true}}}],
      "End":true}}})",
             kTarget, "State \"Ghost\" is not reachable.", "/States/P/Branches[0]/States/Ghost");
  ExpectOnly(R"({"StartAt":"M","States":{"M":{"Type":"Map","ItemProcessor":{"StartAt":"W",
      "States":{"W":{"Type":"Pass","End":true},"Ghost":{"Type":"Pass","End":true}}},
      "End":true}}})",
             kTarget, "State \"Ghost\" is not reachable.", "/States/M/ItemProcessor/States/Ghost");
}

TEST(DefinitionRejectTest, DanglingTargetAndNoTerminalState) {
  const ParsedDefinition parsed = Parse(R"({"StartAt":"A","States":{"A":{"Type":"Pass",
      "Next":"NOPE"}}})");
  ASSERT_EQ(parsed.diagnostics.size(), 2u) << Describe(parsed.diagnostics);
  EXPECT_EQ(parsed.diagnostics[0].message, "Missing 'Next' target: NOPE");
  EXPECT_EQ(parsed.diagnostics[1].code, "MISSING_END_STATE");
  EXPECT_EQ(parsed.diagnostics[1].location, "");
}

TEST(DefinitionRejectTest, NoTerminalState) {
  ExpectOnly(R"({"StartAt":"A","States":{"A":{"Type":"Pass","Next":"B"},
      "B":{"Type":"Pass","Next":"A"},"Unused":{"Type":"Pass","Next":"A"}}})",
             "MISSING_END_STATE", "Workflow has no terminal state", "");
  // Only the top level needs a terminal state.
  EXPECT_TRUE(Parse(R"({"StartAt":"M","States":{"M":{"Type":"Map","ItemProcessor":{
      "StartAt":"A","States":{"A":{"Type":"Pass","Next":"B"},"B":{"Type":"Pass","Next":"A"}}},
      "End":true}}})")
                  .diagnostics.empty());
}

TEST(DefinitionRejectTest, StateNames) {
  const std::string long_name(81, 'n');
  ExpectOnly(R"({"StartAt":")" + long_name + R"(","States":{")" + long_name +
                 R"(":{"Type":"Succeed"}}})",
             "INVALID_STATE_NAME", "State name exceeds the maximum length of 80 characters",
             "/States/" + long_name);
  ExpectOnly(R"({"StartAt":"P","States":{"P":{"Type":"Parallel","Branches":[
      {"StartAt":"P","States":{"P":{"Type":"Succeed"}}}],"End":true}}})",
             "DUPLICATE_STATE_NAME", "Duplicate State name: P",
             "/States/P/Branches[0]/States/P");
}

TEST(DefinitionRejectTest, QueryLanguageMixing) {
  ExpectOnly(OneState(R"({"Type":"Pass","QueryLanguage":"JSONPath","Output":{},"End":true})",
                      R"("QueryLanguage":"JSONata",)"),
             kSchema,
             "'QueryLanguage' can not be 'JSONPath' if set to 'JSONata' for whole state machine",
             "/States/S");
  ExpectOnly(OneState(R"({"Type":"Pass","InputPath":"$.a","End":true})",
                      R"("QueryLanguage":"JSONata",)"),
             kSchema,
             "The QueryLanguage is set to 'JSONata', but field 'InputPath' is only supported for "
             "the 'JSONPath' QueryLanguage",
             "/States/S");
  ExpectOnly(OneState(R"({"Type":"Task","Resource":"arn:aws:states:::x","Arguments":{},
                          "End":true})"),
             kSchema,
             "The QueryLanguage is set to 'JSONPath', but field 'Arguments' is only supported for "
             "the 'JSONata' QueryLanguage",
             "/States/S");
  ExpectOnly(OneState(R"({"Type":"Map","Items":[1],"ItemProcessor":{"StartAt":"I","States":{
      "I":{"Type":"Succeed"}}},"End":true})"),
             kSchema,
             "The QueryLanguage is set to 'JSONPath', but field 'Items' is only supported for the "
             "'JSONata' QueryLanguage",
             "/States/S");
  ExpectOnly(OneState(R"({"Type":"Map","MaxConcurrencyPath":"$.m","ItemProcessor":{
      "StartAt":"I","States":{"I":{"Type":"Succeed"}}},"End":true})",
                      R"("QueryLanguage":"JSONata",)"),
             kSchema,
             "The QueryLanguage is set to 'JSONata', but field 'MaxConcurrencyPath' is only "
             "supported for the 'JSONPath' QueryLanguage",
             "/States/S");
  ExpectOnly(OneState(R"({"Type":"Map","ItemProcessor":{"QueryLanguage":"JSONata",
      "StartAt":"I","States":{"I":{"Type":"Succeed"}}},"End":true})"),
             kSchema, "Field 'QueryLanguage' is not supported", "/States/S/ItemProcessor");
}

TEST(DefinitionRejectTest, InvalidPaths) {
  ExpectOnly(OneState(R"({"Type":"Pass","InputPath":"foo","End":true})"), kSchema,
             "The value for the field 'InputPath' must be a valid JSONPath",
             "/States/S/InputPath");
  ExpectOnly(OneState(R"({"Type":"Pass","OutputPath":7,"End":true})"), kSchema,
             "Expected value of type [STRING]", "/States/S/OutputPath");
  ExpectOnly(OneState(R"({"Type":"Pass","ResultPath":"$.a[*]","End":true})"), kSchema,
             "The value for the field 'ResultPath' must be a valid ReferencePath",
             "/States/S/ResultPath");
  ExpectOnly(OneState(R"({"Type":"Map","MaxConcurrencyPath":"$.limits[*]","ItemProcessor":{
      "StartAt":"I","States":{"I":{"Type":"Succeed"}}},"End":true})"),
             kSchema, "The value for the field 'MaxConcurrencyPath' must be a valid ReferencePath",
             "/States/S/MaxConcurrencyPath");
}

TEST(DefinitionRejectTest, InvalidPayloadTemplate) {
  const ParsedDefinition parsed =
      Parse(OneState(R"({"Type":"Pass","Parameters":{"x.$":"nope"},"End":true})"));
  ASSERT_EQ(parsed.diagnostics.size(), 1u) << Describe(parsed.diagnostics);
  EXPECT_EQ(parsed.diagnostics[0].code, kSchema);
  EXPECT_EQ(parsed.diagnostics[0].location, "/States/S/Parameters");
}

TEST(DefinitionRejectTest, TaskFields) {
  ExpectOnly(OneState(R"({"Type":"Task","End":true})"), kSchema,
             "These fields are required: [Resource]", "/States/S");
  ExpectOnly(OneState(R"({"Type":"Task","Resource":"lambda","End":true})"), kSchema,
             "The resource provided lambda is not recognized. The value is not a valid resource "
             "ARN, or the resource is not available in this region.",
             "/States/S/Resource");
  // An optimized integration's action must be one AWS offers; aws-sdk and unlisted services pass.
  ExpectOnly(OneState(R"({"Type":"Task","Resource":"arn:aws:states:::dynamodb:query",
                          "End":true})"),
             kSchema,
             "The resource provided arn:aws:states:::dynamodb:query is not recognized. The value "
             "is not a valid resource ARN, or the resource is not available in this region.",
             "/States/S/Resource");
  ExpectOnly(OneState(R"({"Type":"Task","Resource":"arn:aws:states:::sqs:send.waitForTaskToken",
                          "End":true})"),
             kSchema,
             "The resource provided arn:aws:states:::sqs:send.waitForTaskToken is not "
             "recognized. The value is not a valid resource ARN, or the resource is not "
             "available in this region.",
             "/States/S/Resource");
  for (const char* ok : {"arn:aws:states:::dynamodb:getItem",
                         "arn:aws:states:::aws-sdk:dynamodb:query",
                         "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
                         "arn:aws:states:::states:startExecution.sync:2",
                         "arn:aws:states:::transfer:step"}) {
    const ParsedDefinition parsed = Parse(OneState(
        std::string(R"({"Type":"Task","Resource":")") + ok + R"(","End":true})"));
    EXPECT_TRUE(parsed.definition) << ok << ": " << Describe(parsed.diagnostics);
  }
  ExpectOnly(OneState(R"({"Type":"Task","Resource":"arn:x","TimeoutSeconds":0,"End":true})"),
             kSchema, "Minimum value is 1", "/States/S/TimeoutSeconds");
  ExpectOnly(OneState(R"({"Type":"Task","Resource":"arn:x","TimeoutSeconds":1.5,"End":true})"),
             kSchema, "Expected value of type [INTEGER]", "/States/S/TimeoutSeconds");
  ExpectOnly(OneState(R"({"Type":"Task","Resource":"arn:x","HeartbeatSeconds":100000000,
                          "End":true})"),
             kSchema, "Maximum value is 99999999", "/States/S/HeartbeatSeconds");
  ExpectOnly(OneState(R"({"Type":"Task","Resource":"arn:x","TimeoutSeconds":5,
                          "TimeoutSecondsPath":"$.t","End":true})"),
             kSchema, "Only one of these fields can be provided: [TimeoutSeconds, "
                      "TimeoutSecondsPath]",
             "/States/S/TimeoutSeconds");
  // A JSONata expression is a string, which a JSONPath state refuses.
  ExpectOnly(OneState(R"({"Type":"Task","Resource":"arn:x","TimeoutSeconds":"{% 1 %}",
                          "End":true})"),
             kSchema, "Expected value of type [INTEGER]", "/States/S/TimeoutSeconds");
}

TEST(DefinitionRejectTest, RetryFields) {
  auto task = [](std::string_view retry) {
    return OneState(std::string(R"({"Type":"Task","Resource":"arn:x","End":true,"Retry":)") +
                    std::string(retry) + "}");
  };
  ExpectOnly(task(R"([{"ErrorEquals":["States.ALL","X"]}])"), kSchema,
             "States.ALL must appear alone in ErrorEquals", "/States/S/Retry[0]/ErrorEquals");
  ExpectOnly(task(R"([{"ErrorEquals":["States.ALL"]},{"ErrorEquals":["X"]}])"), kSchema,
             "A Retrier with States.ALL must be the last Retrier", "/States/S/Retry[0]");
  ExpectOnly(task(R"([{}])"), kSchema, "These fields are required: [ErrorEquals]",
             "/States/S/Retry[0]");
  ExpectOnly(task(R"([{"ErrorEquals":[]}])"), kSchema, "Minimum items is 1",
             "/States/S/Retry[0]/ErrorEquals");
  ExpectOnly(task(R"([{"ErrorEquals":["X"],"MaxAttempts":-1}])"), kSchema, "Minimum value is 0",
             "/States/S/Retry[0]/MaxAttempts");
  ExpectOnly(task(R"([{"ErrorEquals":["X"],"IntervalSeconds":0}])"), kSchema,
             "Minimum value is 1", "/States/S/Retry[0]/IntervalSeconds");
  ExpectOnly(task(R"([{"ErrorEquals":["X"],"BackoffRate":0.5}])"), kSchema, "Minimum value is 1",
             "/States/S/Retry[0]/BackoffRate");
  ExpectOnly(task(R"([{"ErrorEquals":["X"],"MaxDelaySeconds":31622401}])"), kSchema,
             "Maximum value is 31622400", "/States/S/Retry[0]/MaxDelaySeconds");
  ExpectOnly(task(R"([{"ErrorEquals":["X"],"JitterStrategy":"HALF"}])"), kSchema,
             "Value should be one of the following: [FULL, NONE]",
             "/States/S/Retry[0]/JitterStrategy");
  ExpectOnly(task(R"([{"ErrorEquals":["X"],"Next":"S"}])"), kSchema,
             "Field 'Next' is not supported", "/States/S/Retry[0]");
}

TEST(DefinitionRejectTest, CatchFields) {
  auto task = [](std::string_view catchers) {
    return OneState(std::string(R"({"Type":"Task","Resource":"arn:x","End":true,"Catch":)") +
                    std::string(catchers) + "}");
  };
  ExpectOnly(task(R"([{"ErrorEquals":["States.ALL"],"Next":"S"},{"ErrorEquals":["X"],
      "Next":"S"}])"),
             kSchema, "A Catcher with States.ALL must be the last Catcher", "/States/S/Catch[0]");
  ExpectOnly(task(R"([{"ErrorEquals":["X"]}])"), kSchema, "These fields are required: [Next]",
             "/States/S/Catch[0]");
  ExpectOnly(task(R"([{"ErrorEquals":["X"],"Next":"S","ResultPath":"x"}])"), kSchema,
             "The value for the field 'ResultPath' must be a valid ReferencePath",
             "/States/S/Catch[0]/ResultPath");
}

TEST(DefinitionRejectTest, ChoiceFields) {
  ExpectOnly(OneState(R"({"Type":"Choice","Default":"S"})"), kSchema,
             "These fields are required: [Choices]", "/States/S");
  ExpectOnly(OneState(R"({"Type":"Choice","Choices":[],"Default":"S"})"), kSchema,
             "Minimum items is 1", "/States/S/Choices");
  ExpectOnly(R"({"StartAt":"C","States":{"C":{"Type":"Choice","Choices":[{"Variable":"$",
      "StringMatches":"Test"}],"Default":"Z"},"Z":{"Type":"Succeed"}}})",
             kSchema, "These fields are required: [Next]", "/States/C/Choices[0]");
}

TEST(DefinitionRejectTest, WaitFields) {
  ExpectOnly(OneState(R"({"Type":"Wait","Timestamp":"2016-12-05T21:29:29","End":true})"),
             kSchema, "String does not match RFC3339 timestamp", "/States/S/Timestamp");
  ExpectOnly(OneState(R"({"Type":"Wait","Seconds":-1,"End":true})"), kSchema,
             "Minimum value is 0", "/States/S/Seconds");
  ExpectOnly(OneState(R"({"Type":"Wait","End":true})"), kSchema,
             "Exactly one of these fields is required: [Seconds, SecondsPath, Timestamp, "
             "TimestampPath]",
             "/States/S");
  ExpectOnly(OneState(R"({"Type":"Wait","Seconds":1,"SecondsPath":"$.s","End":true})"), kSchema,
             "Only one of these fields can be provided: [Seconds, SecondsPath, Timestamp, "
             "TimestampPath]",
             "/States/S");
  ExpectOnly(OneState(R"({"Type":"Wait","SecondsPath":"$..s","End":true})"), kSchema,
             "The value for the field 'SecondsPath' must be a valid ReferencePath",
             "/States/S/SecondsPath");
}

TEST(DefinitionRejectTest, FailFields) {
  ExpectOnly(OneState(R"({"Type":"Fail","Error":"E","ErrorPath":"$.e"})"), kSchema,
             "Only one of these fields can be provided: [Error, ErrorPath]", "/States/S/Error");
  ExpectOnly(OneState(R"({"Type":"Fail","CausePath":"cause"})"), kSchema,
             "The value for the field 'CausePath' must be a valid JSONPath or a valid intrinsic "
             "function call",
             "/States/S/CausePath");
  ExpectOnly(OneState(R"({"Type":"Fail","Cause":3})"), kSchema, "Expected value of type [STRING]",
             "/States/S/Cause");
}

TEST(DefinitionRejectTest, ParallelAndMapFields) {
  ExpectOnly(OneState(R"({"Type":"Parallel","End":true})"), kSchema,
             "These fields are required: [Branches]", "/States/S");
  ExpectOnly(OneState(R"({"Type":"Parallel","Branches":[{"StartAt":"A"}],"End":true})"), kSchema,
             "These fields are required: [States]", "/States/S/Branches[0]");
  ExpectOnly(OneState(R"({"Type":"Map","End":true})"), kSchema,
             "These fields are required: [ItemProcessor]", "/States/S");
  ExpectOnly(OneState(R"({"Type":"Map","MaxConcurrency":-1,"ItemProcessor":{"StartAt":"I",
      "States":{"I":{"Type":"Succeed"}}},"End":true})"),
             kSchema, "Minimum value is 0", "/States/S/MaxConcurrency");
  ExpectOnly(OneState(R"({"Type":"Map","ToleratedFailurePercentage":101,"ItemProcessor":{
      "StartAt":"I","States":{"I":{"Type":"Succeed"}}},"End":true})"),
             kSchema, "Maximum value is 100", "/States/S/ToleratedFailurePercentage");
  ExpectOnly(OneState(R"({"Type":"Map","ItemProcessor":{"ProcessorConfig":{"Mode":"FAST"},
      "StartAt":"I","States":{"I":{"Type":"Succeed"}}},"End":true})"),
             kSchema, "Value should be one of the following: [INLINE, DISTRIBUTED]",
             "/States/S/ItemProcessor/ProcessorConfig/Mode");
  ExpectOnly(OneState(R"({"Type":"Map","Label":"has space","ItemProcessor":{"StartAt":"I",
      "States":{"I":{"Type":"Succeed"}}},"End":true})"),
             "INVALID_LABEL_NAME", "Invalid label name: has space", "/States/S/Label");
  // A large MaxConcurrency is accepted (AWS caps it at run time).
  EXPECT_TRUE(Parse(OneState(R"({"Type":"Map","MaxConcurrency":9223372036854775807,
      "ItemProcessor":{"StartAt":"I","States":{"I":{"Type":"Succeed"}}},"End":true})"))
                  .diagnostics.empty());
}

TEST(DefinitionRejectTest, ReportsEveryProblem) {
  const ParsedDefinition parsed = Parse(R"({"StartAt":"X","States":{"X":{"Type":"Pass",
      "End":true,"Retry":[],"TimeoutSeconds":5,"Catch":[]},"Y":{"Type":"Wait","End":true}}})");
  ASSERT_EQ(parsed.diagnostics.size(), 4u) << Describe(parsed.diagnostics);
  EXPECT_EQ(parsed.diagnostics[0].message, "Field 'Retry' is not supported");
  EXPECT_EQ(parsed.diagnostics[1].message, "Field 'TimeoutSeconds' is not supported");
  EXPECT_EQ(parsed.diagnostics[2].message, "Field 'Catch' is not supported");
  EXPECT_EQ(parsed.diagnostics[3].location, "/States/Y");
}

// ---------------------------------------------------------------------------------------------
// CreateStateMachine's message.

TEST(FormatInvalidDefinitionTest, JoinsErrorsLikeAws) {
  const std::vector<Diagnostic> diagnostics = {
      {"ERROR", "MISSING_TRANSITION_TARGET", "Missing 'Next' target: pass3", "/States/pass1/Next"},
      {"WARNING", "NO_DOLLAR", "ignored", "/States/x"},
      {"ERROR", "MISSING_TRANSITION_TARGET", "State \"pass2\" is not reachable.",
       "/States/pass2"}};
  EXPECT_EQ(FormatInvalidDefinition(diagnostics),
            "Invalid State Machine Definition: 'MISSING_TRANSITION_TARGET: Missing 'Next' "
            "target: pass3 at /States/pass1/Next, MISSING_TRANSITION_TARGET: State \"pass2\" is "
            "not reachable. at /States/pass2'");
}

TEST(FormatInvalidDefinitionTest, MissingLocationPrintsNull) {
  EXPECT_EQ(FormatInvalidDefinition(
                {{"ERROR", "MISSING_END_STATE", "Workflow has no terminal state", ""}}),
            "Invalid State Machine Definition: 'MISSING_END_STATE: Workflow has no terminal "
            "state at null'");
}

}  // namespace
}  // namespace stepway::asl
