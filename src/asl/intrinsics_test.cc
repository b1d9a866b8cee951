#include <gtest/gtest.h>

#include <regex>

#include "asl/payload_template.h"
#include "base/random.h"
#include "json/json.h"

namespace stepway::asl {
namespace {

json::Value J(std::string_view text) {
  auto v = json::Parse(text);
  EXPECT_TRUE(v.has_value()) << text;
  return v ? *v : json::Value();
}

const json::Value& Context() {
  static const json::Value context = J(R"({
    "Execution": {"Name": "exec-1", "Input": {"input_field": {"constant_input_field": "constant_value"},
                  "FunctionInput": "Value1,Value2,Value3\nValue4,Value5,Value6\n,,,\ntrue,1,'HelloWorld'\nNull,None,\n   \n"}},
    "StateMachine": {"Id": "arn:aws:states:us-east-1:000000000000:stateMachine:sm-name-x",
                     "Name": "sm-name-x"}
  })");
  return context;
}

// Evaluates `call` with `input` as $ and returns its result as compact JSON, or
// "<error>: <cause>" when it fails.
std::string Call(std::string_view call, std::string_view input = "{}",
                 const VariableScope* variables = nullptr, std::uint64_t seed = 7) {
  auto parsed = IntrinsicCall::Parse(call);
  EXPECT_TRUE(parsed.has_value()) << call << ": " << (parsed ? "" : parsed.error().message);
  if (!parsed) return "<parse error>";
  const json::Value in = J(input);
  SeededRandom random(seed);
  auto v = parsed->Evaluate(Scope{in, Context(), variables, &random}, "FunctionResult.$");
  if (!v) return v.error().error + ": " + v.error().cause;
  return json::Serialize(*v);
}

struct Case {
  const char* call;
  const char* input;
  const char* output;
};

// From tests/conformance/asl, category intrinsic_functions: what AWS answered.
TEST(IntrinsicsTest, ConformanceCases) {
  const Case cases[] = {
      {"States.Array($.FunctionInput.fst, $.FunctionInput.snd)",
       R"({"FunctionInput": {"fst": "", "snd": ""}})", R"(["",""])"},
      {"States.Array($.FunctionInput.fst, $.FunctionInput.snd)",
       R"({"FunctionInput": {"fst": null, "snd": null}})", "[null,null]"},
      {"States.Array($.FunctionInput.fst, $.FunctionInput.snd)",
       R"({"FunctionInput": {"fst": 1.1, "snd": 1.1}})", "[1.1,1.1]"},
      {"States.Array($.FunctionInput.fst, $.FunctionInput.snd)",
       R"({"FunctionInput": {"fst": {"Arg1": 1, "Arg2": []}, "snd": {"Arg1": 1, "Arg2": []}}})",
       R"([{"Arg1":1,"Arg2":[]},{"Arg1":1,"Arg2":[]}])"},
      {"States.ArrayRange($.f.a, $.f.b, $.f.c)", R"({"f": {"a": 0, "b": 9, "c": 3}})",
       "[0,3,6,9]"},
      {"States.ArrayRange($.f.a, $.f.b, $.f.c)", R"({"f": {"a": 0, "b": 10, "c": 3}})",
       "[0,3,6,9]"},
      {"States.ArrayRange($.f.a, $.f.b, $.f.c)", R"({"f": {"a": 1, "b": 9, "c": 9}})", "[1]"},
      {"States.ArrayRange($.f.a, $.f.b, $.f.c)", R"({"f": {"a": 1, "b": 9, "c": 2}})",
       "[1,3,5,7,9]"},
      {"States.ArrayRange(0, 3, 1)", "{}", "[0,1,2,3]"},
      {"States.ArrayPartition($.a, $.n)", R"({"a": [0], "n": 1})", "[[0]]"},
      {"States.ArrayPartition($.a, $.n)", R"({"a": [0], "n": 5})", "[[0]]"},
      {"States.ArrayPartition($.a, $.n)", R"({"a": [0, 1, 2], "n": 2})", "[[0,1],[2]]"},
      {"States.ArrayPartition($.a, $.n)", R"({"a": [0, 1, 2, 3], "n": 3})", "[[0,1,2],[3]]"},
      {"States.ArrayPartition($.a, $.n)", R"({"a": [0, 1, 2, 3], "n": 4})", "[[0,1,2,3]]"},
      {"States.ArrayPartition($.a, $.n)", R"({"a": [0, 1, 2, 3], "n": 1})",
       "[[0],[1],[2],[3]]"},
      {"States.Base64Decode($.FunctionInput)", R"({"FunctionInput": ""})", R"("")"},
      {"States.Base64Decode($.FunctionInput)", R"({"FunctionInput": "RGF0YSB0byBlbmNvZGU="})",
       R"("Data to encode")"},
      {"States.Base64Encode($.FunctionInput)", R"({"FunctionInput": ""})", R"("")"},
      {"States.Base64Encode($.FunctionInput)", R"({"FunctionInput": "Data to encode"})",
       R"("RGF0YSB0byBlbmNvZGU=")"},
      {"States.StringSplit('Hello\nWorld', '\n')", "{}", R"(["Hello","World"])"},
      {"States.Format('Formatting argument {}.', $.FunctionInput)", R"({"FunctionInput": ""})",
       R"("Formatting argument .")"},
      {"States.Format('Formatting argument {}.', $.FunctionInput)", R"({"FunctionInput": null})",
       R"("Formatting argument null.")"},
      {"States.Format('Formatting argument {}.', $.FunctionInput)", R"({"FunctionInput": 1})",
       R"("Formatting argument 1.")"},
      {"States.Format('Formatting argument {}.', $.FunctionInput)", R"({"FunctionInput": 1.1})",
       R"("Formatting argument 1.1.")"},
      {"States.Format('Formatting argument {}.', $.FunctionInput)",
       R"({"FunctionInput": "{\"Arg1\": 1, \"Arg2\": []}"})",
       R"("Formatting argument {\"Arg1\": 1, \"Arg2\": []}.")"},
      {"States.Format('Formatting arguments fst={} and snd={}.', $.F.fst, $.F.snd)",
       R"({"F": {"fst": " ", "snd": " "}})", R"("Formatting arguments fst=  and snd= .")"},
      {"States.Format('Formatting arguments fst={} and snd={}.', $.F.fst, $.F.snd)",
       R"({"F": {"fst": {"Arg1": 1, "Arg2": []}, "snd": {"Arg1": 1, "Arg2": []}}})",
       R"("Formatting arguments fst={Arg1=1, Arg2=[]} and snd={Arg1=1, Arg2=[]}.")"},
      {"States.Format('Formatting arguments fst={} and snd={}.', $$.Execution.Name, "
       "$$.StateMachine)",
       R"({"FunctionInput": null})",
       R"("Formatting arguments fst=exec-1 and snd={Id=arn:aws:states:us-east-1:000000000000:stateMachine:sm-name-x, Name=sm-name-x}.")"},
      {"States.ArrayGetItem(States.StringSplit($$.StateMachine.Name, '-'), "
       "States.MathAdd(States.ArrayLength(States.StringSplit($$.StateMachine.Name, '-')), -1))",
       R"({"FunctionInput": null})", R"("x")"},
      {"States.Hash($.F.fst, $.F.snd)", R"({"F": {"fst": "input data", "snd": "MD5"}})",
       R"("812f45842bc6d66ee14572ce20db8e86")"},
      {"States.Hash($.F.fst, $.F.snd)", R"({"F": {"fst": "input data", "snd": "SHA-1"}})",
       R"("aaff4a450a104cd177d28d18d74485e8cae074b7")"},
      {"States.Hash($.F.fst, $.F.snd)", R"({"F": {"fst": "input data", "snd": "SHA-256"}})",
       R"("b4a697a057313163aee33cd8d40c66e9f0f177e00cac2de32475ffff6169c3e3")"},
      {"States.Hash($.F.fst, $.F.snd)", R"({"F": {"fst": "input data", "snd": "SHA-384"}})",
       R"("d28a7d5cf25a74f11a50a18452b75e04bb3d70c9dd0510d6123aa008c756511b87525bdc835ebb27e1fb9e9374a15562")"},
      {"States.Hash($.F.fst, $.F.snd)", R"({"F": {"fst": "input data", "snd": "SHA-512"}})",
       R"("6ce4adb348546d4f449c4d25aad9a7c9cb711d9e91982d3f0b29ca2f3f47d4ce2deba23bf2954f0f1d593fc50283731a533d30d425402d4f91316d871303aac4")"},
      {"States.JsonMerge(States.StringToJson('{\"constant_in_literal\": \"false\"}'), "
       "$$.Execution.Input.input_field, false)",
       "{}", R"({"constant_in_literal":"false","constant_input_field":"constant_value"})"},
      {"States.JsonToString($.F)", R"({"F": null})", R"("null")"},
      {"States.JsonToString($.F)", R"({"F": 1.1})", R"("1.1")"},
      {"States.JsonToString($.F)", R"({"F": "HelloWorld"})", R"("\"HelloWorld\"")"},
      {"States.JsonToString($.F)", R"({"F": [1, 2, "HelloWorld"]})",
       R"("[1,2,\"HelloWorld\"]")"},
      {"States.JsonToString($.F)", R"({"F": {"Arg1": 1, "Arg2": []}})",
       R"("{\"Arg1\":1,\"Arg2\":[]}")"},
      {"States.StringToJson($.F)", R"({"F": ""})", "null"},
      {"States.StringToJson($.F)", R"({"F": " "})", "null"},
      {"States.StringToJson($.F)", R"({"F": "null"})", "null"},
      {"States.StringToJson($.F)", R"({"F": "-0"})", "0"},
      {"States.StringToJson($.F)", R"({"F": "1.1"})", "1.1"},
      {"States.StringToJson($.F)", R"({"F": "true"})", "true"},
      {"States.StringToJson($.F)", R"({"F": "\"HelloWorld\""})", R"("HelloWorld")"},
      {"States.StringToJson($.F)", R"({"F": "[1, 2, \"HelloWorld\"]"})", R"([1,2,"HelloWorld"])"},
      {"States.StringToJson('{\"text\":\"An \\\"escaped double quote\\\" here\"}')", "{}",
       R"({"text":"An \"escaped double quote\" here"})"},
      {"States.StringSplit($$.Execution.Input.FunctionInput, ',')", "{}",
       R"(["Value1","Value2","Value3\nValue4","Value5","Value6\n","\ntrue","1","'HelloWorld'\nNull","None","\n   \n"])"},
      {"States.MathAdd($.Iterations, -1)", R"({"Iterations": 3})", "2"},
  };
  for (const Case& c : cases) {
    const json::Value expected = J(c.output);
    const std::string got = Call(c.call, c.input);
    auto actual = json::Parse(got);
    EXPECT_TRUE(actual && json::Equal(*actual, expected))
        << c.call << "\n  input: " << c.input << "\n  got: " << got << "\n  want: " << c.output;
  }
}

// test_math_add: each argument is rounded as Java's Math.round does (halves go up).
TEST(IntrinsicsTest, MathAddRoundsEachArgumentLikeJava) {
  const struct {
    double a, b;
    int sum;
  } cases[] = {{-9, 3, -6},      {-1.5, 0, -1},    {-1.51, 0, -2}, {0.5, 0, 1},
               {1.5, 0, 2},      {2.5, 0, 3},      {3.5, 0, 4},    {-0.5, 0.5, 1},
               {-0.5, 0, 0},     {-2.5, 0, -2},    {1.49, 1.5, 3}, {-3.5, 0, -3},
               {1.5, 1.51, 4},   {-1.49, -1.5, -2}, {-1.5, -1.51, -3}, {1.49, 0, 1},
               {1.49, -1.49, 0}, {1.51, 0, 2},     {-1.49, 0, -1}};
  for (const auto& c : cases) {
    json::Object input;
    input["a"] = c.a;
    input["b"] = c.b;
    EXPECT_EQ(Call("States.MathAdd($.a, $.b)", json::Serialize(json::Value(input))),
              std::to_string(c.sum))
        << c.a << " + " << c.b;
  }
}

TEST(IntrinsicsTest, ArrayFunctions) {
  EXPECT_EQ(Call("States.Array()"), "[]");
  EXPECT_EQ(Call("States.Array('a', 1, 2.5, true, null, $.x)", R"({"x":{"k":[1]}})"),
            R"(["a",1,2.5,true,null,{"k":[1]}])");
  EXPECT_EQ(Call("States.ArrayContains($.a, $.v)", R"({"a":[1,{"b":2},"c"],"v":{"b":2}})"),
            "true");
  EXPECT_EQ(Call("States.ArrayContains($.a, 'd')", R"({"a":[1,"c"]})"), "false");
  EXPECT_EQ(Call("States.ArrayGetItem($.a, 1)", R"({"a":[5,6,7]})"), "6");
  EXPECT_EQ(Call("States.ArrayLength($.a)", R"({"a":[5,6,7]})"), "3");
  EXPECT_EQ(Call("States.ArrayUnique($.a)", R"({"a":[1,2,2,3,3,4,{"x":1},{"x":1}]})"),
            R"([1,2,3,4,{"x":1}])");
  EXPECT_EQ(Call("States.ArrayRange(10, 0, -5)"), "[10,5,0]");
  EXPECT_EQ(Call("States.ArrayRange(1, 0, 1)"), "[]");
  EXPECT_EQ(Call("States.ArrayRange(1, 1000, 1)").substr(0, 6), "[1,2,3");
  EXPECT_EQ(Call("States.ArrayPartition($.a, 2)", R"({"a":[]})"), "[]");
}

TEST(IntrinsicsTest, StringFunctions) {
  EXPECT_EQ(Call("States.StringSplit('This.is+a,test=string', '.+,=')"),
            R"(["This","is","a","test","string"])");
  EXPECT_EQ(Call("States.StringSplit('a,,b,', ',')"), R"(["a","b"])");
  EXPECT_EQ(Call("States.StringSplit('', ',')"), "[]");
  EXPECT_EQ(Call("States.StringSplit('1é2é3', 'é')"), R"(["1","2","3"])");
  EXPECT_EQ(Call("States.Base64Encode('Hello World')"), R"("SGVsbG8gV29ybGQ=")");
  EXPECT_EQ(Call("States.Base64Decode('SGVsbG8gV29ybGQ=')"), R"("Hello World")");
  EXPECT_EQ(Call("States.Base64Decode('YQ==')"), R"("a")");
  EXPECT_EQ(Call("States.Hash('Hash this string', 'SHA-256')"),
            R"("1cac63f39fd68d8c531f27b807610fb3d50f0fc3f186995767fb6316e7200a3e")");
}

TEST(IntrinsicsTest, FormatEscapesAndValues) {
  EXPECT_EQ(Call(R"(States.Format('Hello {}, welcome to {}!', $.n, $.p))",
                 R"({"n":"John","p":"LocalStack"})"),
            R"("Hello John, welcome to LocalStack!")");
  EXPECT_EQ(Call(R"(States.Format('\{\} is {} and it\'s \\ fine', 'x'))"),
            R"("{} is x and it's \\ fine")");
  EXPECT_FALSE(IntrinsicCall::Parse(R"(States.Format('{}', [1]))").has_value());  // no JSON literals
  EXPECT_EQ(Call(R"(States.Format('{}-{}-{}', true, 1.0, $.a))", R"({"a":[1,"x",null]})"),
            R"("true-1.0-[1, x, null]")");
  EXPECT_EQ(Call(R"(States.Format($.t, 'Pikachu'))", R"({"t":"It's {}!"})"),
            R"("It's Pikachu!")");
  EXPECT_EQ(Call(R"(States.Format('no placeholders'))"), R"("no placeholders")");
}

TEST(IntrinsicsTest, VariablesAndUuid) {
  VariableScope vars;
  vars.values["name"] = "John";
  vars.values["json1"] = J(R"({"a":1,"b":2})");
  vars.values["json2"] = J(R"({"b":3,"c":4})");
  EXPECT_EQ(Call("States.Format('Hi {}', $name)", "{}", &vars), R"("Hi John")");
  EXPECT_EQ(Call("States.JsonMerge($json1, $json2, false)", "{}", &vars),
            R"({"a":1,"b":3,"c":4})");
  const std::string uuid = Call("States.UUID()");
  EXPECT_TRUE(std::regex_match(
      uuid, std::regex(R"("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")")))
      << uuid;
  // The same seed of scope.random gives the same value (replay), another gives another.
  EXPECT_EQ(Call("States.UUID()", "{}", nullptr, 1), Call("States.UUID()", "{}", nullptr, 1));
  EXPECT_NE(Call("States.UUID()", "{}", nullptr, 1), Call("States.UUID()", "{}", nullptr, 2));
}

TEST(IntrinsicsTest, MathRandom) {
  for (std::uint64_t seed = 1; seed < 50; ++seed) {
    const int v = std::stoi(Call("States.MathRandom(12.5, 44.51)", "{}", nullptr, seed));
    EXPECT_GE(v, 13);
    EXPECT_LT(v, 45);
    const int w = std::stoi(Call("States.MathRandom(-99999, -9999)", "{}", nullptr, seed));
    EXPECT_GE(w, -99999);
    EXPECT_LT(w, -9999);
  }
  // With a seed the value is java.util.Random(seed).nextInt(end - start) + start, so it does
  // not depend on scope.random (values checked with a JVM): new Random(42).nextInt(100) == 30,
  // new Random(1).nextInt(10) == 5, new Random(-5).nextInt(1000) == 411.
  EXPECT_EQ(Call("States.MathRandom(0, 100, 42)", "{}", nullptr, 1), "30");
  EXPECT_EQ(Call("States.MathRandom(0, 100, 42)", "{}", nullptr, 2), "30");
  EXPECT_EQ(Call("States.MathRandom(1, 11, 1)"), "6");
  EXPECT_EQ(Call("States.MathRandom(-1000, 0, -5)"), "-589");
}

TEST(IntrinsicsTest, RuntimeFailures) {
  const std::string kIntrinsic = "States.IntrinsicFailure: Invalid arguments in ";
  EXPECT_EQ(Call("States.ArrayGetItem($.a, 3)", R"({"a":[1]})"),
            kIntrinsic + "States.ArrayGetItem: the index is out of bounds");
  EXPECT_EQ(Call("States.ArrayLength($.a)", R"({"a":"x"})"),
            kIntrinsic + "States.ArrayLength: the argument must be an array");
  EXPECT_EQ(Call("States.ArrayPartition($.a, 0)", R"({"a":[1]})"),
            kIntrinsic + "States.ArrayPartition: the chunk size must be a positive integer");
  EXPECT_EQ(Call("States.ArrayRange(0, 2000, 1)"),
            kIntrinsic + "States.ArrayRange: the range has more than 1000 elements");
  EXPECT_EQ(Call("States.ArrayRange(0, 5, 0)"),
            kIntrinsic + "States.ArrayRange: the step must not be 0");
  EXPECT_EQ(Call("States.Format('{} {}', 'a')"),
            kIntrinsic + "States.Format: the format has more placeholders than arguments");
  EXPECT_EQ(Call("States.Format('{}', 'a', 'b')"),
            kIntrinsic + "States.Format: the format has fewer placeholders than arguments");
  EXPECT_EQ(Call("States.StringToJson('{nope')"),
            kIntrinsic + "States.StringToJson: the argument is not valid JSON");
  EXPECT_EQ(Call("States.Base64Decode('***')"),
            kIntrinsic + "States.Base64Decode: the argument is not valid base64");
  EXPECT_EQ(Call("States.Hash('x', 'SHA-3')"),
            kIntrinsic +
                "States.Hash: the algorithm must be one of MD5, SHA-1, SHA-256, SHA-384, SHA-512");
  EXPECT_EQ(Call("States.JsonMerge($.a, $.a, true)", R"({"a":{}})"),
            kIntrinsic + "States.JsonMerge: only shallow merging (false) is supported");
  EXPECT_EQ(Call("States.MathAdd('1', 2)"),
            kIntrinsic + "States.MathAdd: the arguments must be numbers");
  EXPECT_EQ(Call("States.MathRandom(5, 5)"),
            kIntrinsic + "States.MathRandom: the end must be greater than the start");
  EXPECT_EQ(Call("States.Base64Encode($.s)", "{\"s\":\"" + std::string(10001, 'a') + "\"}"),
            kIntrinsic + "States.Base64Encode: the string is longer than 10000 characters");
  // A path argument that names nothing is a States.Runtime failure, quoting the state input.
  EXPECT_EQ(Call("States.Format('{}', $.missing)", R"({"a":1})"),
            "States.Runtime: The JSONPath '$.missing' specified for the field 'FunctionResult.$' "
            "could not be found in the input '{\"a\":1}'");
}

TEST(IntrinsicsTest, ParsingAndNesting) {
  EXPECT_TRUE(IntrinsicCall::LooksLikeCall("States.Format('x')"));
  EXPECT_TRUE(IntrinsicCall::LooksLikeCall("States.UUID ()"));
  EXPECT_FALSE(IntrinsicCall::LooksLikeCall("$.a"));
  EXPECT_FALSE(IntrinsicCall::LooksLikeCall("States.Format"));
  EXPECT_FALSE(IntrinsicCall::LooksLikeCall("States.(x)"));

  EXPECT_EQ(IntrinsicCall::Parse("States.Format('x')")->name(), "States.Format");
  for (std::string_view bad :
       {"States.Nope(1)", "States.UUID(1)", "States.ArrayLength()", "States.MathAdd(1)",
        "States.Array('x'", "States.Array('x) ", "States.Array(1) trailing", "States.Array(foo)",
        "States.Array($.a[)", "States.MathRandom(1, 2, 3, 4)", "States.Format()",
        "States.JsonMerge($.a, $.b)"}) {
    EXPECT_FALSE(IntrinsicCall::Parse(bad).has_value()) << bad;
  }
  // Paths with commas and parentheses inside brackets are one argument.
  EXPECT_EQ(Call("States.Array($.a['x','y'], $.b[?(@.v > 1)].v)",
                 R"({"a":{"x":1,"y":2},"b":[{"v":1},{"v":2}]})"),
            R"([{"x":1,"y":2},[2]])");
  EXPECT_EQ(Call("States.Array( 1 ,$ , 'x' )", R"({"k":1})"), R"([1,{"k":1},"x"])");
  // Up to 10 calls deep.
  std::string ten = "1";
  for (int k = 0; k < 9; ++k) ten = "States.MathAdd(" + ten + ", 1)";
  ten = "States.Array(" + ten + ")";
  EXPECT_EQ(Call(ten), "[10]");
  EXPECT_FALSE(IntrinsicCall::Parse("States.Array(" + ten + ")").has_value());
}

}  // namespace
}  // namespace stepway::asl
