#include "asl/payload_template.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>

#include "asl/path.h"
#include "base/random.h"
#include "json/json.h"

namespace stepway::asl {
namespace {

json::Value J(std::string_view text) {
  auto v = json::Parse(text);
  EXPECT_TRUE(v.has_value()) << text;
  return v ? *v : json::Value();
}

std::string Build(std::string_view spec, std::string_view input, std::string_view context = "{}",
                  const VariableScope* variables = nullptr) {
  auto t = PayloadTemplate::Compile(J(spec));
  EXPECT_TRUE(t.has_value()) << spec << ": " << (t ? "" : t.error().message);
  if (!t) return "<compile error>";
  const json::Value in = J(input);
  const json::Value ctx = J(context);
  SeededRandom random(1);
  auto v = t->Evaluate(Scope{in, ctx, variables, &random});
  if (!v) return v.error().error + ": " + v.error().cause;
  return json::Serialize(*v);
}

TEST(PayloadTemplateTest, LiteralsPassThrough) {
  // test_escape_sequence_parsing[ESCAPE_SEQUENCES_STRING_LITERALS]: plain members are copied.
  const std::string spec =
      R"({"literal_single_quote":"'","escaped_backslash":"Backslash \\\\ in string",)"
      R"("whitespace_escapes":"Line1\nLine2\tTabbed","n":1.0,"a":[1,{"b":null}]})";
  EXPECT_EQ(Build(spec, "{}"), spec);
  EXPECT_EQ(Build("42", "{}"), "42");
  EXPECT_EQ(Build("{}", "{}"), "{}");
}

TEST(PayloadTemplateTest, PathsAndCallsInNestedObjectsAndArrays) {
  EXPECT_EQ(Build(R"({"x.$":"$.a","k":"v","o":{"y.$":"$.b[1]","z":[{"w.$":"$"},2]}})",
                  R"({"a":1,"b":[2,3]})"),
            R"({"x":1,"k":"v","o":{"y":3,"z":[{"w":{"a":1,"b":[2,3]}},2]}})");
  EXPECT_EQ(Build(R"j({"s.$":"States.Format('{}!', $.a)","u.$":"$.b[*]"})j", R"({"a":1,"b":[2,3]})"),
            R"({"s":"1!","u":[2,3]})");
  // A `.$` member is renamed without the suffix; "x.$" alone is not a dynamic name.
  EXPECT_EQ(Build(R"({".$":"lit"})", "{}"), R"({".$":"lit"})");
  // "x" and "x.$" name the same output member: the later one's value, the first one's place.
  EXPECT_EQ(Build(R"({"x":1,"k":0,"x.$":"$.a"})", R"({"a":2})"), R"({"x":2,"k":0})");
}

TEST(PayloadTemplateTest, ContextAndVariables) {
  // test_map_state_item_selector: ItemSelector reads $$.Map.Item and the Map input.
  EXPECT_EQ(Build(R"({"original_input.$":"$","iteration_input_value.$":"$$.Map.Item.Value",)"
                  R"("iteration_index.$":"$$.Map.Item.Index",)"
                  R"("from_input_constant.$":"$.delivery-partner","constant_value":"HelloWorld"})",
                  R"({"delivery-partner":"UQS","shipped":["A"]})",
                  R"({"Map":{"Item":{"Index":0,"Value":"A"}}})"),
            R"({"original_input":{"delivery-partner":"UQS","shipped":["A"]},)"
            R"("iteration_input_value":"A","iteration_index":0,"from_input_constant":"UQS",)"
            R"("constant_value":"HelloWorld"})");
  VariableScope vars;
  vars.values["Question"] = "Who's that Pokemon?";
  vars.values["AnswerTemplate"] = "It's {}!";
  EXPECT_EQ(Build(R"j({"Question.$":"$Question","A.$":"States.Format($AnswerTemplate, $.p)"})j",
                  R"({"p":"Pikachu"})", "{}", &vars),
            R"({"Question":"Who's that Pokemon?","A":"It's Pikachu!"})");
}

TEST(PayloadTemplateTest, MissingPathFailsWithAwsMessage) {
  // test_invalid_jsonpath[INVALID_JSONPATH_IN_STRING_EXPR_JSONPATH] and [..._CONTEXTPATH].
  EXPECT_EQ(Build(R"({"value.$":"$.no_such_jsonpath"})", R"({"int-literal":0})"),
            "States.Runtime: The JSONPath '$.no_such_jsonpath' specified for the field 'value.$' "
            "could not be found in the input '{\"int-literal\":0}'");
  EXPECT_EQ(Build(R"({"value.$":"$$.Execution.Input.no_such_jsonpath"})", R"({"int-literal":0})",
                  R"({"Execution":{"Input":{"int-literal":0}}})"),
            "States.Runtime: The JSONPath '$$.Execution.Input.no_such_jsonpath' specified for the "
            "field 'value.$' could not be found in the input '{\"int-literal\":0}'");
  EXPECT_EQ(Build(R"({"a":{"b":[{"value.$":"$undefinedVar"}]}})", R"({})"),
            "States.Runtime: The JSONPath '$undefinedVar' specified for the field 'value.$' could "
            "not be found in the input '{}'");
  EXPECT_EQ(Build(R"j({"v.$":"States.ArrayGetItem($.a, 5)"})j", R"({"a":[]})"),
            "States.IntrinsicFailure: Invalid arguments in States.ArrayGetItem: the index is out "
            "of bounds");
}

TEST(PayloadTemplateTest, CompileRejectsBadDynamicMembers) {
  for (std::string_view spec :
       {R"({"x.$":"a.b"})", R"({"x.$":1})", R"j({"x.$":"States.Nope()"})j", R"({"x.$":"$.a["})",
        R"({"o":{"x.$":null}})", R"([{"x.$":"States.Format("}])"}) {
    auto t = PayloadTemplate::Compile(J(spec));
    EXPECT_FALSE(t.has_value()) << spec;
  }
  auto t = PayloadTemplate::Compile(J(R"({"o":{"x.$":"nope"}})"));
  ASSERT_FALSE(t.has_value());
  EXPECT_EQ(t.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(t.error().message,
            "The value for the field 'x.$' must be a valid JSONPath or a valid intrinsic function "
            "call");
}

TEST(PayloadTemplateTest, SpecIsKept) {
  const json::Value spec = J(R"({"a.$":"$.x","b":1})");
  auto t = PayloadTemplate::Compile(spec);
  ASSERT_TRUE(t);
  EXPECT_TRUE(json::Equal(t->spec(), spec));
}

// Replays the recorded AWS executions whose only work is one Pass state's Parameters (the
// intrinsic_functions and base categories): the template's result must be AWS's output.
TEST(PayloadTemplateTest, ConformanceSinglePassParameters) {
  const std::filesystem::path dir =
      std::filesystem::path(STEPWAY_SOURCE_DIR) / "tests" / "conformance" / "asl";
  if (!std::filesystem::is_directory(dir)) GTEST_SKIP() << "no conformance cases at " << dir;
  int replayed = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() != ".json") continue;
    std::ifstream file(entry.path());
    std::stringstream text;
    text << file.rdbuf();
    auto parsed = json::Parse(text.str());
    if (!parsed || !parsed->is_object()) continue;
    const json::Value& c = *parsed;
    const json::Value* definition = json::Find(c, "definition");
    const json::Value* expected = json::Find(c, "expected");
    const json::Value* states = definition ? json::Find(*definition, "States") : nullptr;
    if (!states || !states->is_object() || states->get_object().size() != 1) continue;
    if (json::Find(*definition, "QueryLanguage")) continue;
    const json::Value& state = states->get_object().begin()->value();
    const json::Value* parameters = json::Find(state, "Parameters");
    if (!parameters || json::Find(state, "Type")->get_string() != "Pass") continue;
    if (json::Find(state, "InputPath") || json::Find(state, "ResultPath") ||
        json::Find(state, "OutputPath") || json::Find(state, "ResultSelector")) {
      continue;
    }
    const json::Value* placeholders = json::Find(*expected, "placeholders");
    if (placeholders && placeholders->is_array() && !placeholders->get_array().empty()) continue;

    const json::Value input = J(json::Find(c, "input")->get_string());
    json::Object execution;
    execution["Input"] = input;
    json::Object context;
    context["Execution"] = std::move(execution);
    const json::Value context_value(std::move(context));
    SeededRandom random(1);
    auto t = PayloadTemplate::Compile(*parameters);
    ASSERT_TRUE(t) << entry.path();
    auto v = t->Evaluate(Scope{input, context_value, nullptr, &random});
    const std::string id(json::Find(c, "id")->get_string());
    if (json::Find(*expected, "status")->get_string() == "SUCCEEDED") {
      ASSERT_TRUE(v) << id << ": " << v.error().cause;
      EXPECT_TRUE(json::Equal(*v, *json::Find(*expected, "output")))
          << id << "\n  got:  " << json::Serialize(*v)
          << "\n  want: " << json::Serialize(*json::Find(*expected, "output"));
    } else {
      ASSERT_FALSE(v) << id;
      EXPECT_EQ(v.error().error, json::Find(*expected, "error")->get_string()) << id;
      // The engine prefixes the state context; the placeholder stands for the state input.
      std::string cause(json::Find(*expected, "cause")->get_string());
      cause = cause.substr(cause.find(". ") + 2);
      const std::size_t p = cause.find("<json-input:1>");
      if (p != std::string::npos) cause.replace(p, 14, json::Serialize(input));
      EXPECT_EQ(v.error().cause, cause) << id;
    }
    ++replayed;
  }
  EXPECT_GE(replayed, 40);
}

// Every JSONPath-mode template and path in the recorded executions compiles: AWS accepted them.
TEST(PayloadTemplateTest, ConformanceTemplatesAndPathsCompile) {
  const std::filesystem::path dir =
      std::filesystem::path(STEPWAY_SOURCE_DIR) / "tests" / "conformance" / "asl";
  if (!std::filesystem::is_directory(dir)) GTEST_SKIP() << "no conformance cases at " << dir;
  int templates = 0, paths = 0;
  // Walks states (including Parallel branches and Map processors) of a JSONPath definition.
  std::function<void(const json::Value&, bool)> walk = [&](const json::Value& v, bool jsonata) {
    if (v.is_array()) {
      for (const json::Value& e : v.get_array()) walk(e, jsonata);
      return;
    }
    if (!v.is_object()) return;
    if (const json::Value* q = json::Find(v, "QueryLanguage"); q && q->is_string()) {
      jsonata = q->get_string() == "JSONata";
    }
    for (const auto& member : v.get_object()) {
      const std::string_view key = member.key();
      if (!jsonata && (key == "Parameters" || key == "ItemSelector" || key == "ResultSelector" ||
                       key == "Assign")) {
        auto t = PayloadTemplate::Compile(member.value());
        EXPECT_TRUE(t) << json::Serialize(member.value()) << ": " << (t ? "" : t.error().message);
        ++templates;
        continue;
      }
      if (!jsonata && member.value().is_string() &&
          (key == "InputPath" || key == "OutputPath" || key == "ItemsPath" || key == "Variable")) {
        auto p = Path::Parse(member.value().get_string());
        EXPECT_TRUE(p) << member.value().get_string();
        ++paths;
        continue;
      }
      if (!jsonata && key == "ResultPath" && member.value().is_string()) {
        EXPECT_TRUE(ReferencePath::Parse(member.value().get_string()))
            << member.value().get_string();
        ++paths;
        continue;
      }
      walk(member.value(), jsonata);
    }
  };
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() != ".json") continue;
    std::ifstream file(entry.path());
    std::stringstream text;
    text << file.rdbuf();
    auto parsed = json::Parse(text.str());
    if (!parsed || !parsed->is_object()) continue;
    if (const json::Value* definition = json::Find(*parsed, "definition")) walk(*definition, false);
  }
  EXPECT_GE(templates, 100);
  EXPECT_GE(paths, 400);
}

// EvaluateInto: the result is the one Evaluate gives, written into a target of the same shape.
TEST(PayloadTemplateTest, EvaluateIntoATargetOfTheSameShape) {
  auto t = PayloadTemplate::Compile(J(R"j({"a.$":"$.t.b","b.$":"$.t.a","c":1,)j"
                                       R"j("s.$":"States.Format('{}-{}', $.t.a, $.t.b)"})j"));
  ASSERT_TRUE(t.has_value());
  SeededRandom random(1);
  const json::Value ctx = J("{}");
  // The target lies inside the input and the template reads what it replaces: every value
  // is read before the first is written, so a and b are swapped, not both set to one.
  json::Value in = J(R"({"t":{"a":"x","b":"y","c":0,"s":""}})");
  auto expected = t->Evaluate(Scope{in, ctx, nullptr, &random});
  ASSERT_TRUE(expected.has_value());
  auto placed = t->EvaluateInto(Scope{in, ctx, nullptr, &random}, in.get_object()["t"]);
  ASSERT_TRUE(placed.has_value());
  EXPECT_TRUE(*placed);
  EXPECT_EQ(json::Serialize(in), R"({"t":{"a":"y","b":"x","c":1,"s":"x-y"}})");
  EXPECT_EQ(json::Serialize(in.at("t")), json::Serialize(*expected));

  // Other member names, another order, or not an object: nothing is done.
  for (std::string_view target : {R"({"a":1,"b":2,"c":3})", R"({"b":1,"a":2,"c":3,"s":4})",
                                  R"({"a":1,"b":2,"c":3,"x":4})", "[1,2,3,4]", "null"}) {
    json::Value doc = J(R"({"t":{"a":"x","b":"y"}})");
    json::Value slot = J(target);
    auto r = t->EvaluateInto(Scope{doc, ctx, nullptr, &random}, slot);
    ASSERT_TRUE(r.has_value());
    EXPECT_FALSE(*r) << target;
    EXPECT_EQ(json::Serialize(slot), json::Serialize(J(target)));
  }

  // A failure leaves the target as it was, and says what Evaluate says.
  json::Value missing = J(R"({"t":{"a":"x"},"u":{"a":0,"b":0,"c":0,"s":0}})");
  auto failed = t->EvaluateInto(Scope{missing, ctx, nullptr, &random},
                                missing.get_object()["u"]);
  ASSERT_FALSE(failed.has_value());
  auto evaluated = t->Evaluate(Scope{missing, ctx, nullptr, &random});
  ASSERT_FALSE(evaluated.has_value());
  EXPECT_EQ(failed.error().cause, evaluated.error().cause);
  EXPECT_EQ(json::Serialize(missing), R"({"t":{"a":"x"},"u":{"a":0,"b":0,"c":0,"s":0}})");

  // More members than are held on the stack: the same result.
  std::string wide_spec = "{", wide_target = "{", wide_expected = "{";
  for (int k = 0; k < 12; ++k) {
    const std::string name = "m" + std::to_string(k);
    const std::string sep = k == 0 ? "" : ",";
    wide_spec += sep + "\"" + name + ".$\":\"$.v[" + std::to_string(11 - k) + "]\"";
    wide_target += sep + "\"" + name + "\":null";
    wide_expected += sep + "\"" + name + "\":" + std::to_string(11 - k);
  }
  auto wide = PayloadTemplate::Compile(J(wide_spec + "}"));
  ASSERT_TRUE(wide.has_value());
  json::Value wide_in = J(R"({"v":[0,1,2,3,4,5,6,7,8,9,10,11]})");
  json::Value wide_slot = J(wide_target + "}");
  auto wide_placed = wide->EvaluateInto(Scope{wide_in, ctx, nullptr, &random}, wide_slot);
  ASSERT_TRUE(wide_placed.has_value());
  EXPECT_TRUE(*wide_placed);
  EXPECT_EQ(json::Serialize(wide_slot), wide_expected + "}");

  // A template that is not an object of distinct names is never written in place.
  auto repeated = PayloadTemplate::Compile(J(R"({"x":1,"x.$":"$.a"})"));
  ASSERT_TRUE(repeated.has_value());
  json::Value doc = J(R"({"a":2})");
  json::Value slot = J(R"({"x":0})");
  auto r = repeated->EvaluateInto(Scope{doc, ctx, nullptr, &random}, slot);
  ASSERT_TRUE(r.has_value());
  EXPECT_FALSE(*r);
}

}  // namespace
}  // namespace stepway::asl
