#include "integrations/nested_execution.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "integrations/test_support.h"

namespace stepway::integrations {
namespace {

using ::testing::HasSubstr;
using testing::MachineArn;
using testing::RecordingReporter;

constexpr const char* kChildPass =
    R"({"StartAt":"P","States":{"P":{"Type":"Pass","Parameters":{"got.$":"$"},"End":true}}})";
constexpr const char* kChildFail =
    R"({"StartAt":"F","States":{"F":{"Type":"Fail","Error":"Child.Broke","Cause":"on purpose"}}})";
// A child that waits for an activity worker that never comes: stays RUNNING.
constexpr const char* kChildWaits =
    R"({"StartAt":"W","States":{"W":{"Type":"Task","Resource":"arn:aws:states:us-east-1:123456789012:activity:never","End":true}}})";

std::string Parent(const std::string& resource, const std::string& child,
                   const std::string& extra_parameters = "") {
  return R"({"StartAt":"Call","States":{"Call":{"Type":"Task","Resource":"arn:aws:states:::)" +
         resource + R"(","Parameters":{"StateMachineArn":")" + MachineArn(child) +
         R"(","Input":{"x.$":"$.x","AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID.$":"$$.Execution.Id"})" +
         extra_parameters + R"(},"End":true}}})";
}

class NestedExecutionTest : public testing::RuntimeFixture {
 protected:
  void SetUp() override {
    RuntimeFixture::SetUp();
    StartRuntime();
    // Added after the runtime exists, as the app does.
    registry_.Add(IsNestedExecution, std::make_unique<NestedExecutionIntegration>(*runtime_));
    PutMachine("child", kChildPass);
    PutMachine("failing", kChildFail);
    PutMachine("waits", kChildWaits);
  }

  std::vector<store::ExecutionRecord> ExecutionsOf(const std::string& machine) {
    store::ExecutionFilter f;
    f.state_machine_arn = MachineArn(machine);
    return store_->ListExecutions(f).executions;
  }
};

TEST_F(NestedExecutionTest, SyncReturnsDescribeExecutionWithOutputAsString) {
  PutMachine("parent", Parent("states:startExecution.sync", "child"));
  auto started = Start("parent", "p1", R"({"x":7})");
  ASSERT_TRUE(started);
  auto parent = WaitForEnd(started->execution_arn);
  ASSERT_EQ(parent.status, "SUCCEEDED") << parent.cause.value_or("");
  auto out = json::Parse(*parent.output);
  ASSERT_TRUE(out);
  EXPECT_EQ(json::Find(*out, "Status")->get_string(), "SUCCEEDED");
  const json::Value* output = json::Find(*out, "Output");
  ASSERT_TRUE(output && output->is_string());
  auto child_output = json::Parse(output->get_string());
  ASSERT_TRUE(child_output);
  EXPECT_EQ(json::Find(*json::Find(*child_output, "got"), "x")->as_int64(), 7);
  // The child got the parent's id where the definition put it.
  EXPECT_EQ(
      json::Find(*json::Find(*child_output, "got"), "AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID")
          ->get_string(),
      started->execution_arn);
  EXPECT_TRUE(json::Find(*out, "StartDate")->is_int64());
  EXPECT_TRUE(json::Find(*out, "StopDate")->is_int64());
  EXPECT_EQ(json::Find(*out, "StateMachineArn")->get_string(), MachineArn("child"));
  EXPECT_TRUE(json::Find(*out, "Input")->is_string());
}

TEST_F(NestedExecutionTest, Sync2ParsesInputAndOutput) {
  PutMachine("parent", Parent("states:startExecution.sync:2", "child", R"(,"Name":"named")"));
  auto started = Start("parent", "p1", R"({"x":1})");
  ASSERT_TRUE(started);
  auto parent = WaitForEnd(started->execution_arn);
  ASSERT_EQ(parent.status, "SUCCEEDED") << parent.cause.value_or("");
  auto out = json::Parse(*parent.output);
  ASSERT_TRUE(out);
  EXPECT_TRUE(json::Find(*out, "Output")->is_object());
  EXPECT_TRUE(json::Find(*out, "Input")->is_object());
  EXPECT_EQ(json::Find(*out, "Name")->get_string(), "named");
}

TEST_F(NestedExecutionTest, RequestResponseAnswersOnceStarted) {
  PutMachine("parent", Parent("states:startExecution", "waits"));
  auto started = Start("parent", "p1", R"({"x":1})");
  ASSERT_TRUE(started);
  auto parent = WaitForEnd(started->execution_arn);
  ASSERT_EQ(parent.status, "SUCCEEDED") << parent.cause.value_or("");
  auto out = json::Parse(*parent.output);
  ASSERT_TRUE(out);
  const std::string child = std::string(json::Find(*out, "ExecutionArn")->get_string());
  EXPECT_THAT(child, HasSubstr(":execution:waits:"));
  EXPECT_TRUE(json::Find(*out, "StartDate")->is_int64());
  EXPECT_EQ(store_->GetExecution(child)->status, "RUNNING");
}

TEST_F(NestedExecutionTest, ChildFailureFailsTheTaskWithItsDescription) {
  PutMachine("parent", Parent("states:startExecution.sync", "failing"));
  auto started = Start("parent", "p1", R"({"x":1})");
  ASSERT_TRUE(started);
  auto parent = WaitForEnd(started->execution_arn);
  ASSERT_EQ(parent.status, "FAILED");
  EXPECT_EQ(parent.error, "States.TaskFailed");
  auto cause = json::Parse(*parent.cause);
  ASSERT_TRUE(cause) << *parent.cause;
  EXPECT_EQ(json::Find(*cause, "Status")->get_string(), "FAILED");
  EXPECT_EQ(json::Find(*cause, "Error")->get_string(), "Child.Broke");
  EXPECT_EQ(json::Find(*cause, "Cause")->get_string(), "on purpose");
}

TEST_F(NestedExecutionTest, AbortedChildFailsTheTask) {
  PutMachine("parent", Parent("states:startExecution.sync", "waits"));
  auto started = Start("parent", "p1", R"({"x":1})");
  ASSERT_TRUE(started);
  std::vector<store::ExecutionRecord> children;
  for (int i = 0; i < 200 && children.empty(); ++i) {
    children = ExecutionsOf("waits");
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_EQ(children.size(), 1u);
  std::promise<Result<std::int64_t>> stopped;
  runtime_->StopExecution(children[0].arn, "", "",
                          [&](Result<std::int64_t> r) { stopped.set_value(r); });
  ASSERT_TRUE(stopped.get_future().get());
  auto parent = WaitForEnd(started->execution_arn);
  ASSERT_EQ(parent.status, "FAILED");
  EXPECT_EQ(parent.error, "States.TaskFailed");
  EXPECT_THAT(*parent.cause, HasSubstr(R"("Status":"ABORTED")"));
}

TEST_F(NestedExecutionTest, StoppingTheParentStopsASyncChild) {
  PutMachine("parent", Parent("states:startExecution.sync", "waits"));
  auto started = Start("parent", "p1", R"({"x":1})");
  ASSERT_TRUE(started);
  std::vector<store::ExecutionRecord> children;
  for (int i = 0; i < 200 && children.empty(); ++i) {
    children = ExecutionsOf("waits");
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_EQ(children.size(), 1u);
  std::promise<Result<std::int64_t>> stopped;
  runtime_->StopExecution(started->execution_arn, "", "",
                          [&](Result<std::int64_t> r) { stopped.set_value(r); });
  ASSERT_TRUE(stopped.get_future().get());
  EXPECT_EQ(WaitForEnd(started->execution_arn).status, "ABORTED");
  EXPECT_EQ(WaitForEnd(children[0].arn).status, "ABORTED");
}

TEST_F(NestedExecutionTest, RefusedStartIsAStepFunctionsException) {
  PutMachine("parent", Parent("states:startExecution.sync", "nope"));
  auto started = Start("parent", "p1", R"({"x":1})");
  ASSERT_TRUE(started);
  auto parent = WaitForEnd(started->execution_arn);
  ASSERT_EQ(parent.status, "FAILED");
  EXPECT_EQ(parent.error, "StepFunctions.StateMachineDoesNotExistException");
  EXPECT_THAT(*parent.cause, HasSubstr("State Machine Does Not Exist"));
  EXPECT_THAT(*parent.cause, HasSubstr("Error Code: StateMachineDoesNotExist"));
}

TEST_F(NestedExecutionTest, WaitForTaskTokenWaitsForTheCallback) {
  PutMachine(
      "parent",
      R"({"StartAt":"Call","States":{"Call":{"Type":"Task","Resource":"arn:aws:states:::states:startExecution.waitForTaskToken","Parameters":{"StateMachineArn":")" +
          MachineArn("waits") + R"(","Input":{"token.$":"$$.Task.Token"}},"End":true}}})");
  auto started = Start("parent", "p1", "{}");
  ASSERT_TRUE(started);
  std::vector<store::ExecutionRecord> children;
  for (int i = 0; i < 200 && children.empty(); ++i) {
    children = ExecutionsOf("waits");
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_EQ(children.size(), 1u);
  auto input = json::Parse(children[0].input);
  ASSERT_TRUE(input);
  const std::string token(json::Find(*input, "token")->get_string());
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_EQ(store_->GetExecution(started->execution_arn)->status, "RUNNING");
  std::promise<Status> sent;
  runtime_->SendTaskSuccess(token, R"({"done":1})", [&](Status s) { sent.set_value(s); });
  ASSERT_TRUE(sent.get_future().get());
  auto parent = WaitForEnd(started->execution_arn);
  ASSERT_EQ(parent.status, "SUCCEEDED");
  EXPECT_EQ(*parent.output, R"({"done":1})");
}

TEST_F(NestedExecutionTest, ResumedSyncTaskRewatchesItsChild) {
  NestedExecutionIntegration nested(*runtime_);
  runtime::TaskInvocation invocation;
  invocation.execution_arn = "arn:aws:states:us-east-1:123456789012:execution:parent:p1";
  invocation.command.task_id = 4;
  invocation.command.state_name = "Call";
  invocation.command.resource = std::make_shared<const engine::Resource>(
      engine::ParseResource("arn:aws:states:::states:startExecution.sync"));
  invocation.command.input =
      json::Object{{"StateMachineArn", MachineArn("waits")}, {"Input", json::Object{{"a", 1}}}};

  auto first = std::make_shared<RecordingReporter>();
  nested.Invoke(invocation, first);
  std::vector<store::ExecutionRecord> children;
  for (int i = 0; i < 200 && children.empty(); ++i) {
    children = ExecutionsOf("waits");
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_EQ(children.size(), 1u);
  EXPECT_EQ(children[0].name, ChildExecutionName(invocation.execution_arn, 4));

  // After a restart: the same task again starts nothing new.
  invocation.resumed = true;
  auto second = std::make_shared<RecordingReporter>();
  nested.Invoke(invocation, second);
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_EQ(ExecutionsOf("waits").size(), 1u);

  // The child ends: both watchers hear of it.
  std::promise<Result<std::int64_t>> stopped;
  runtime_->StopExecution(children[0].arn, "E", "C",
                          [&](Result<std::int64_t> r) { stopped.set_value(r); });
  ASSERT_TRUE(stopped.get_future().get());
  auto report = second->Wait();
  ASSERT_TRUE(report);
  EXPECT_EQ(report->kind, "Failed");
  EXPECT_THAT(report->cause, HasSubstr(children[0].arn));

  // Resumed once more, after the child ended: its end is reported at once.
  auto third = std::make_shared<RecordingReporter>();
  nested.Invoke(invocation, third);
  report = third->Wait();
  ASSERT_TRUE(report);
  EXPECT_EQ(report->kind, "Failed");
  EXPECT_THAT(report->cause, HasSubstr(R"("Status":"ABORTED")"));
  EXPECT_EQ(ExecutionsOf("waits").size(), 1u);
}

TEST_F(NestedExecutionTest, ResumedRequestResponseAnswersWithItsEndedChild) {
  NestedExecutionIntegration nested(*runtime_);
  runtime::TaskInvocation invocation;
  invocation.execution_arn = "arn:aws:states:us-east-1:123456789012:execution:parent:p2";
  invocation.command.task_id = 2;
  invocation.command.resource = std::make_shared<const engine::Resource>(
      engine::ParseResource("arn:aws:states:::states:startExecution.waitForTaskToken"));
  invocation.command.input = json::Object{{"StateMachineArn", MachineArn("child")}};
  auto first = std::make_shared<RecordingReporter>();
  nested.Invoke(invocation, first);
  auto r = first->Wait();
  ASSERT_TRUE(r);
  ASSERT_EQ(r->kind, "Submitted");
  const std::string child(json::Find(r->value, "ExecutionArn")->get_string());
  ASSERT_EQ(WaitForEnd(child).status, "SUCCEEDED");

  invocation.resumed = true;  // the Submitted report was lost in a crash
  auto second = std::make_shared<RecordingReporter>();
  nested.Invoke(invocation, second);
  r = second->Wait();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->kind, "Submitted");
  EXPECT_EQ(json::Find(r->value, "ExecutionArn")->get_string(), child);
  EXPECT_EQ(ExecutionsOf("child").size(), 1u);
}

TEST(ChildExecutionName, IsStableAndUuidShaped) {
  const std::string a = ChildExecutionName("arn:x", 1);
  EXPECT_EQ(a, ChildExecutionName("arn:x", 1));
  EXPECT_NE(a, ChildExecutionName("arn:x", 2));
  EXPECT_EQ(a.size(), 36u);
  EXPECT_EQ(a[8], '-');
}

}  // namespace
}  // namespace stepway::integrations
