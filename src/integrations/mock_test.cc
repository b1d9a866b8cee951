#include "integrations/mock.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "integrations/test_support.h"

namespace stepway::integrations {
namespace {

using testing::RecordingReporter;

constexpr const char* kConfig = R"({
  "StateMachines": {
    "m": {"TestCases": {
      "HappyPath": {"Work": "FlakyThenFine", "Wait": "Callback"},
      "Broken": {"Work": "AlwaysBroken"}
    }}
  },
  "MockedResponses": {
    "FlakyThenFine": {
      "0-1": {"Throw": {"Error": "Lambda.ServiceException", "Cause": "flaky"}},
      "2": {"Return": {"Payload": {"n": 2}}}
    },
    "AlwaysBroken": {"0": {"Throw": {"Error": "Custom.Broken", "Cause": "always"}}},
    "Callback": {"0": {"Return": {"called": "back"}}}
  }
})";

constexpr const char* kMachine = R"({"StartAt":"Work","States":{
  "Work":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke",
          "Parameters":{"FunctionName":"f","Payload.$":"$"},
          "Retry":[{"ErrorEquals":["Lambda.ServiceException"],"IntervalSeconds":1,"MaxAttempts":3}],
          "ResultSelector":{"n.$":"$.Payload.n"},"ResultPath":"$.work","Next":"Wait"},
  "Wait":{"Type":"Task","Resource":"arn:aws:states:::sqs:sendMessage.waitForTaskToken",
          "Parameters":{"QueueUrl":"q","MessageBody":{"t.$":"$$.Task.Token"}},
          "ResultPath":"$.wait","End":true}}})";

std::shared_ptr<const engine::MockConfig> Config() {
  auto c = engine::MockConfig::Parse(kConfig);
  EXPECT_TRUE(c) << (c ? "" : c.error().message);
  return std::make_shared<const engine::MockConfig>(std::move(*c));
}

runtime::TaskInvocation InvocationOf(const std::string& state, std::int64_t task_id,
                                     const std::string& test_case = "HappyPath") {
  runtime::TaskInvocation i;
  i.execution_arn = "arn:aws:states:us-east-1:123456789012:execution:m:e1";
  i.state_machine_arn = testing::MachineArn("m");
  i.test_case = test_case;
  i.command.task_id = task_id;
  i.command.state_name = state;
  i.command.resource = std::make_shared<const engine::Resource>(
      engine::ParseResource("arn:aws:states:::lambda:invoke"));
  return i;
}

TEST(MockIntegration, MatchesOnlyMockedStatesOfTheTestCase) {
  MockIntegration mocks(Config());
  EXPECT_TRUE(mocks.Matches(InvocationOf("Work", 1)));
  EXPECT_FALSE(mocks.Matches(InvocationOf("Other", 1)));
  EXPECT_FALSE(mocks.Matches(InvocationOf("Wait", 1, "Broken")));
  EXPECT_FALSE(mocks.Matches(InvocationOf("Work", 1, "")));
  EXPECT_FALSE(mocks.Matches(InvocationOf("Work", 1, "Nope")));
}

TEST(MockIntegration, CountsInvocationsPerStateAndRepeatsForTheSameTask) {
  MockIntegration mocks(Config());
  EXPECT_EQ(mocks.InvocationOf(InvocationOf("Work", 1)), 0);
  EXPECT_EQ(mocks.InvocationOf(InvocationOf("Work", 3)), 1);
  EXPECT_EQ(mocks.InvocationOf(InvocationOf("Wait", 4)), 0);
  EXPECT_EQ(mocks.InvocationOf(InvocationOf("Work", 3)), 1);  // re-invoked: same number
  EXPECT_EQ(mocks.InvocationOf(InvocationOf("Work", 5)), 2);
}

TEST(MockIntegration, ResumedAfterRestartCountsFromTheRetryCount) {
  MockIntegration mocks(Config());
  auto i = InvocationOf("Work", 9);
  i.resumed = true;
  i.command.retry_count = 2;
  EXPECT_EQ(mocks.InvocationOf(i), 2);
  auto reporter = std::make_shared<RecordingReporter>();
  mocks.Invoke(i, reporter);
  auto r = reporter->Wait();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->kind, "Succeeded");
}

TEST(MockIntegration, ThrowAndReturn) {
  MockIntegration mocks(Config());
  auto thrown = std::make_shared<RecordingReporter>();
  mocks.Invoke(InvocationOf("Work", 1), thrown);
  auto r = thrown->Wait();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->kind, "Failed");
  EXPECT_EQ(r->error, "Lambda.ServiceException");
  EXPECT_EQ(r->cause, "flaky");
}

TEST(StateMachineNameOf, TakesTheNameField) {
  EXPECT_EQ(StateMachineNameOf("arn:aws:states:us-east-1:1:stateMachine:m"), "m");
  EXPECT_EQ(StateMachineNameOf("arn:aws:states:us-east-1:1:stateMachine:m:3"), "m");
  EXPECT_EQ(StateMachineNameOf("nope"), "");
}

class MockRuntimeTest : public testing::RuntimeFixture {
 protected:
  void SetUp() override {
    RuntimeFixture::SetUp();
    auto owned = std::make_unique<MockIntegration>(Config());
    mocks_ = owned.get();
    registry_.Add([this](const runtime::TaskInvocation& i) { return mocks_->Matches(i); },
                  std::move(owned));
    StartRuntime();
    mocks_->AttachRuntime(runtime_.get());
    PutMachine("m", kMachine);
  }
  MockIntegration* mocks_ = nullptr;
};

TEST_F(MockRuntimeTest, RetriesConsumeThrowsThenReturnAndCallbacksAnswerAtOnce) {
  auto started = Start("m", "e1", R"({"in":1})", "HappyPath");
  ASSERT_TRUE(started);
  auto e = WaitForEnd(started->execution_arn);
  ASSERT_EQ(e.status, "SUCCEEDED") << e.error.value_or("") << " " << e.cause.value_or("");
  EXPECT_EQ(*e.output, R"({"in":1,"work":{"n":2},"wait":{"called":"back"}})");
  EXPECT_EQ(e.test_case, "HappyPath");
}

TEST_F(MockRuntimeTest, ThrowWithoutRetryFailsTheExecution) {
  auto started = Start("m", "e2", "{}", "Broken");
  ASSERT_TRUE(started);
  auto e = WaitForEnd(started->execution_arn);
  EXPECT_EQ(e.status, "FAILED");
  EXPECT_EQ(e.error, "Custom.Broken");
  EXPECT_EQ(e.cause, "always");
}

TEST_F(MockRuntimeTest, WithoutATestCaseNothingIsMocked) {
  auto started = Start("m", "e3", "{}");
  ASSERT_TRUE(started);
  auto e = WaitForEnd(started->execution_arn);
  EXPECT_EQ(e.status, "FAILED");
  EXPECT_EQ(e.error, "States.TaskFailed");
}

}  // namespace
}  // namespace stepway::integrations
