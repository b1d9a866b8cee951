// Step Functions Local's MockConfigFile.json: test cases, mocked responses, invocation ranges.
#include "engine/mock_config.h"

#include <gtest/gtest.h>

namespace stepway::engine {
namespace {

// The shape of the example in "Using mocked service integrations" (Step Functions Local).
constexpr const char* kConfig = R"({
  "StateMachines": {
    "LambdaSQSIntegration": {
      "TestCases": {
        "HappyPath": {"LambdaState": "MockedLambdaSuccess", "SQSState": "MockedSQSSuccess"},
        "RetryPath": {"LambdaState": "MockedLambdaRetry", "SQSState": "MockedSQSSuccess"},
        "HybridPath": {"LambdaState": "MockedLambdaSuccess"}
      }
    },
    "Other": {"TestCases": {"HappyPath": {}}}
  },
  "MockedResponses": {
    "MockedLambdaSuccess": {
      "0": {"Return": {"StatusCode": 200, "Payload": {"StatusCode": 200, "body": "Hello"}}}
    },
    "MockedSQSSuccess": {
      "0": {"Return": {"MD5OfMessageBody": "3bcb6e8e", "MessageId": "7c9ef21e"}}
    },
    "MockedLambdaRetry": {
      "0": {"Throw": {"Error": "Lambda.ResourceNotReadyException", "Cause": "not ready"}},
      "1-2": {"Throw": {"Error": "Lambda.TimeoutException", "Cause": "timed out"}},
      "3": {"Return": {"StatusCode": 200, "Payload": {"body": "ok"}}}
    }
  }
})";

MockConfig Parsed(std::string_view text = kConfig) {
  auto c = MockConfig::Parse(text);
  EXPECT_TRUE(c.has_value()) << (c ? "" : c.error().message);
  return c ? std::move(*c) : MockConfig();
}

TEST(MockConfigTest, TestCasesAndMachines) {
  const MockConfig c = Parsed();
  EXPECT_TRUE(c.HasTestCase("LambdaSQSIntegration", "HappyPath"));
  EXPECT_TRUE(c.HasTestCase("LambdaSQSIntegration", "RetryPath"));
  EXPECT_FALSE(c.HasTestCase("LambdaSQSIntegration", "Nope"));
  EXPECT_FALSE(c.HasTestCase("Nope", "HappyPath"));
  EXPECT_EQ(c.MachinesWithTestCase("HappyPath"),
            (std::vector<std::string>{"LambdaSQSIntegration", "Other"}));
  EXPECT_EQ(c.MachinesWithTestCase("RetryPath"), std::vector<std::string>{"LambdaSQSIntegration"});
  EXPECT_TRUE(c.MachinesWithTestCase("Nope").empty());
}

TEST(MockConfigTest, ReturnResponses) {
  const MockConfig c = Parsed();
  auto r = c.Lookup("LambdaSQSIntegration", "HappyPath", "LambdaState", 0);
  ASSERT_TRUE(r.has_value());
  EXPECT_FALSE(r->is_throw);
  EXPECT_EQ(json::Serialize(r->value),
            R"({"StatusCode":200,"Payload":{"StatusCode":200,"body":"Hello"}})");
  // Not mocked in that test case: nullopt, so the runner can say so.
  EXPECT_FALSE(c.Lookup("LambdaSQSIntegration", "HybridPath", "SQSState", 0).has_value());
  EXPECT_FALSE(c.Lookup("LambdaSQSIntegration", "Nope", "LambdaState", 0).has_value());
  EXPECT_FALSE(c.Lookup("Nope", "HappyPath", "LambdaState", 0).has_value());
}

TEST(MockConfigTest, InvocationRangesCountRetries) {
  const MockConfig c = Parsed();
  auto at = [&](std::int64_t n) {
    auto r = c.Lookup("LambdaSQSIntegration", "RetryPath", "LambdaState", n);
    EXPECT_TRUE(r.has_value());
    return r ? (r->is_throw ? r->error + "/" + r->cause : json::Serialize(r->value))
             : std::string();
  };
  EXPECT_EQ(at(0), "Lambda.ResourceNotReadyException/not ready");
  EXPECT_EQ(at(1), "Lambda.TimeoutException/timed out");
  EXPECT_EQ(at(2), "Lambda.TimeoutException/timed out");
  EXPECT_EQ(at(3), R"({"StatusCode":200,"Payload":{"body":"ok"}})");
  // Past the last range the last response repeats.
  EXPECT_EQ(at(4), at(3));
  EXPECT_EQ(at(100), at(3));
  auto r = c.Lookup("LambdaSQSIntegration", "RetryPath", "LambdaState", 1);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->first, 1);
  EXPECT_EQ(r->last, 2);
}

TEST(MockConfigTest, KeysInAnyOrderAreSortedByInvocation) {
  const MockConfig c = Parsed(R"({"StateMachines":{"M":{"TestCases":{"T":{"S":"R"}}}},
    "MockedResponses":{"R":{"2":{"Return":"two"},"0-1":{"Return":"low"}}}})");
  EXPECT_EQ(json::Serialize(c.Lookup("M", "T", "S", 0)->value), R"("low")");
  EXPECT_EQ(json::Serialize(c.Lookup("M", "T", "S", 1)->value), R"("low")");
  EXPECT_EQ(json::Serialize(c.Lookup("M", "T", "S", 2)->value), R"("two")");
  EXPECT_EQ(json::Serialize(c.Lookup("M", "T", "S", 3)->value), R"("two")");
}

TEST(MockConfigTest, ThrowWithoutCause) {
  const MockConfig c = Parsed(R"({"StateMachines":{"M":{"TestCases":{"T":{"S":"R"}}}},
    "MockedResponses":{"R":{"0":{"Throw":{"Error":"E"}}}}})");
  auto r = c.Lookup("M", "T", "S", 0);
  ASSERT_TRUE(r.has_value());
  EXPECT_TRUE(r->is_throw);
  EXPECT_EQ(r->error, "E");
  EXPECT_EQ(r->cause, "");
}

TEST(MockConfigTest, ReturnMayBeAnyJsonValue) {
  const MockConfig c = Parsed(R"({"StateMachines":{"M":{"TestCases":{"T":{"S":"R"}}}},
    "MockedResponses":{"R":{"0":{"Return":null},"1":{"Return":[1,2]},"2":{"Return":1.5}}}})");
  EXPECT_EQ(json::Serialize(c.Lookup("M", "T", "S", 0)->value), "null");
  EXPECT_EQ(json::Serialize(c.Lookup("M", "T", "S", 1)->value), "[1,2]");
  EXPECT_EQ(json::Serialize(c.Lookup("M", "T", "S", 2)->value), "1.5");
}

TEST(MockConfigTest, BadFilesAreInvalidArgumentNamingTheProblem) {
  struct Case {
    const char* text;
    const char* mentions;
  };
  const Case cases[] = {
      {"", "not JSON"},
      {"{", "not JSON"},
      {"[]", "must be an object"},
      {"{}", "StateMachines"},
      {R"({"StateMachines":[]})", "StateMachines"},
      {R"({"StateMachines":{"M":{}}})", "StateMachines.M"},
      {R"({"StateMachines":{"M":{"TestCases":[]}}})", "StateMachines.M"},
      {R"({"StateMachines":{"M":{"TestCases":{"T":[]}}}})", "StateMachines.M.TestCases.T"},
      {R"({"StateMachines":{"M":{"TestCases":{"T":{"S":"Missing"}}}},"MockedResponses":{}})",
       "StateMachines.M.TestCases.T.S"},
      {R"({"StateMachines":{"M":{"TestCases":{"T":{"S":7}}}},"MockedResponses":{}})",
       "StateMachines.M.TestCases.T.S"},
      {R"({"StateMachines":{},"MockedResponses":[]})", "MockedResponses"},
      {R"({"StateMachines":{},"MockedResponses":{"R":[]}})", "MockedResponses.R"},
      {R"({"StateMachines":{},"MockedResponses":{"R":{"x":{"Return":1}}}})", "'x'"},
      {R"({"StateMachines":{},"MockedResponses":{"R":{"-1":{"Return":1}}}})", "'-1'"},
      {R"({"StateMachines":{},"MockedResponses":{"R":{"2-1":{"Return":1}}}})", "'2-1'"},
      {R"({"StateMachines":{},"MockedResponses":{"R":{"1-":{"Return":1}}}})", "'1-'"},
      {R"({"StateMachines":{},"MockedResponses":{"R":{"1-x":{"Return":1}}}})", "'1-x'"},
      {R"({"StateMachines":{},"MockedResponses":{"R":{" 1":{"Return":1}}}})", "' 1'"},
      {R"({"StateMachines":{},"MockedResponses":{"R":{"0":1}}})", "MockedResponses.R.0"},
      {R"({"StateMachines":{},"MockedResponses":{"R":{"0":{}}}})", "Return or a Throw"},
      {R"({"StateMachines":{},"MockedResponses":{"R":{"0":{"Throw":"E"}}}})", "Throw"},
  };
  for (const Case& c : cases) {
    auto r = MockConfig::Parse(c.text);
    ASSERT_FALSE(r.has_value()) << c.text;
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument) << c.text;
    EXPECT_NE(r.error().message.find(c.mentions), std::string::npos)
        << c.text << " -> " << r.error().message;
  }
}

}  // namespace
}  // namespace stepway::engine
