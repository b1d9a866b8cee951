#include "cli/arguments.h"

#include <gtest/gtest.h>

#include "api/model.h"

namespace stepway::cli {
namespace {

using api::Service;

json::Value J(std::string_view text) {
  auto v = json::Parse(text);
  EXPECT_TRUE(v.has_value()) << text;
  return v ? *v : json::Value();
}

void ExpectShorthand(std::string_view text, std::string_view want) {
  auto got = ParseShorthand(text);
  ASSERT_TRUE(got.has_value()) << text << ": " << got.error().message;
  EXPECT_TRUE(json::Equal(*got, J(want))) << text << " gave " << json::Serialize(*got);
}

TEST(ShorthandTest, KeyValues) {
  ExpectShorthand("key=a,value=b", R"({"key": "a", "value": "b"})");
  ExpectShorthand("Key = a , Value = b", R"({"Key": "a", "Value": "b"})");
  ExpectShorthand("a=", R"({"a": ""})");
  ExpectShorthand("a=x=y", R"({"a": "x=y"})");
}

TEST(ShorthandTest, ImplicitAndExplicitLists) {
  ExpectShorthand("a=b,c,d", R"({"a": ["b", "c", "d"]})");
  ExpectShorthand("a=b,c,d=e", R"({"a": ["b", "c"], "d": "e"})");
  ExpectShorthand("a=[b,c],d=[]", R"({"a": ["b", "c"], "d": []})");
  ExpectShorthand("a=[{x=1},{x=2}]", R"({"a": [{"x": "1"}, {"x": "2"}]})");
}

TEST(ShorthandTest, HashesQuotesAndEscapes) {
  ExpectShorthand("a={b=1,c={d=2}}", R"({"a": {"b": "1", "c": {"d": "2"}}})");
  ExpectShorthand("a='x,y',b=\"p=q\"", R"({"a": "x,y", "b": "p=q"})");
  ExpectShorthand("a=x\\,y", R"({"a": "x,y"})");
  ExpectShorthand("a='it\\'s'", R"({"a": "it's"})");
}

TEST(ShorthandTest, Errors) {
  for (const char* bad : {"", "=a", "a", "a=b,,", "a={b=1", "a=[b", "a=1,a=2", "a='x"}) {
    EXPECT_FALSE(ParseShorthand(bad).has_value()) << bad;
  }
}

int InputOf(Service s, std::string_view op) { return api::FindOperation(s, op)->input; }

int MemberShape(Service s, std::string_view op, std::string_view member) {
  const auto& shape = api::Shapes(s)[static_cast<std::size_t>(InputOf(s, op))];
  for (const auto& m : shape.members) {
    if (m.name == member) return m.shape;
  }
  ADD_FAILURE() << member;
  return -1;
}

TEST(OptionValueTest, TypedByTheModel) {
  const Service sfn = Service::kStepFunctions;
  auto n = ParseOptionValue(sfn, MemberShape(sfn, "ListExecutions", "maxResults"), {"10"},
                            "--max-results");
  ASSERT_TRUE(n.has_value());
  EXPECT_EQ(json::Serialize(*n), "10");
  EXPECT_FALSE(ParseOptionValue(sfn, MemberShape(sfn, "ListExecutions", "maxResults"), {"ten"},
                                "--max-results")
                   .has_value());
  // A string member keeps JSON text as text.
  auto s = ParseOptionValue(sfn, MemberShape(sfn, "StartExecution", "input"), {"{\"a\": 1}"},
                            "--input");
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(s->as_string(), "{\"a\": 1}");
  // A list of structures: one shorthand structure per value, or JSON.
  const int tags = MemberShape(sfn, "TagResource", "tags");
  auto t = ParseOptionValue(sfn, tags, {"key=a,value=b", "key=c,value=d"}, "--tags");
  ASSERT_TRUE(t.has_value());
  EXPECT_TRUE(json::Equal(*t, J(R"([{"key": "a", "value": "b"}, {"key": "c", "value": "d"}])")));
  auto tj = ParseOptionValue(sfn, tags, {R"([{"key": "a"}])"}, "--tags");
  ASSERT_TRUE(tj.has_value());
  EXPECT_TRUE(json::Equal(*tj, J(R"([{"key": "a"}])")));
  // A list of strings: several values.
  auto keys = ParseOptionValue(sfn, MemberShape(sfn, "UntagResource", "tagKeys"), {"a", "b"},
                               "--tag-keys");
  ASSERT_TRUE(keys.has_value());
  EXPECT_TRUE(json::Equal(*keys, J(R"(["a", "b"])")));
  // A structure in shorthand, typed: includedData stays a string (enum), level too; a boolean
  // member becomes a boolean.
  auto logging = ParseOptionValue(
      sfn, MemberShape(sfn, "CreateStateMachine", "loggingConfiguration"),
      {"level=ALL,includeExecutionData=true"}, "--logging-configuration");
  ASSERT_TRUE(logging.has_value());
  EXPECT_TRUE(json::Equal(*logging, J(R"({"level": "ALL", "includeExecutionData": true})")));
  // A list of structures inside a structure, with integers.
  auto routing = ParseOptionValue(
      sfn, MemberShape(sfn, "CreateStateMachineAlias", "routingConfiguration"),
      {"stateMachineVersionArn=arn:1,weight=100"}, "--routing-configuration");
  ASSERT_TRUE(routing.has_value());
  EXPECT_TRUE(json::Equal(*routing, J(R"([{"stateMachineVersionArn": "arn:1", "weight": 100}])")));
}

TEST(TimestampTest, IsoAndEpoch) {
  EXPECT_DOUBLE_EQ(*ParseTimestamp("0"), 0);
  EXPECT_DOUBLE_EQ(*ParseTimestamp("1700000000.5"), 1700000000.5);
  EXPECT_DOUBLE_EQ(*ParseTimestamp("1970-01-02"), 86400);
  EXPECT_DOUBLE_EQ(*ParseTimestamp("1970-01-01T00:01:00Z"), 60);
  EXPECT_DOUBLE_EQ(*ParseTimestamp("1970-01-01T01:00:00+01:00"), 0);
  EXPECT_DOUBLE_EQ(*ParseTimestamp("1970-01-01T00:00:01.250Z"), 1.25);
  EXPECT_FALSE(ParseTimestamp("yesterday").has_value());
  EXPECT_FALSE(ParseTimestamp("1970-13-01").has_value());
}

TEST(TimestampTest, JsonInputTimestampsGoAsEpochSeconds) {
  const Service t = Service::kTransfer;
  const int input = InputOf(t, "UpdateCertificate");
  const json::Value v = TimestampsToEpoch(
      t, input, J(R"({"CertificateId": "c", "ActiveDate": "1970-01-01T00:00:10Z", "InactiveDate": 5})"));
  EXPECT_EQ(json::Serialize(v), R"({"CertificateId":"c","ActiveDate":10.0,"InactiveDate":5})");
}

TEST(ValidateTest, AsBotocoreWordsIt) {
  const Service sfn = Service::kStepFunctions;
  const int input = InputOf(sfn, "SendTaskSuccess");
  EXPECT_TRUE(ValidateParameters(sfn, input, J(R"({"taskToken": "t", "output": "{}"})")).empty());
  auto errors = ValidateParameters(sfn, input, J(R"({"output": "{}", "bogus": 1})"));
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_EQ(errors[0], "Missing required parameter in input: \"taskToken\"");
  EXPECT_EQ(errors[1], "Unknown parameter in input: \"bogus\", must be one of: taskToken, output");
  errors = ValidateParameters(sfn, input, J(R"({"taskToken": "", "output": 5})"));
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_EQ(errors[0], "Invalid length for parameter taskToken, value: 0, valid min length: 1");
  EXPECT_EQ(errors[1],
            "Invalid type for parameter output, value: 5, type: <class 'int'>, valid types: "
            "<class 'str'>");
  errors = ValidateParameters(sfn, InputOf(sfn, "CreateStateMachineAlias"),
                              J(R"({"name": "a", "routingConfiguration": [{"weight": 1}]})"));
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0],
            "Missing required parameter in routingConfiguration[0]: \"stateMachineVersionArn\"");
}

}  // namespace
}  // namespace stepway::cli
