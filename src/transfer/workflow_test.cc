#include "transfer/workflow.h"

#include <gtest/gtest.h>

#include "asl/definition.h"

namespace stepway::transfer {
namespace {

json::Array Steps(std::string_view text) { return json::Parse(text)->get_array(); }

json::Object States(const std::string& definition) {
  return json::Parse(definition)->get_object().at("States").get_object();
}

TEST(CompileWorkflow, StepsBecomeTasksThatCatchIntoTheExceptionSteps) {
  auto definition = CompileWorkflow(
      Steps(R"([{"Type":"COPY","CopyStepDetails":{"Name":"copy","DestinationFileLocation":
                 {"S3FileLocation":{"Bucket":"b","Key":"k/"}}}},
               {"Type":"CUSTOM","CustomStepDetails":{"Target":"arn:aws:lambda:us-east-1:1:function:f",
                 "TimeoutSeconds":30}}])"),
      Steps(R"([{"Type":"DELETE","DeleteStepDetails":{}}])"));
  ASSERT_TRUE(definition) << definition.error().message;
  auto parsed = asl::ParseDefinition(*definition);
  ASSERT_NE(parsed.definition, nullptr) << *definition;
  json::Object states = States(*definition);
  const json::Object& copy = states.at("Step0").get_object();
  EXPECT_EQ(copy.at("Resource"), "arn:aws:states:::transfer:step");
  EXPECT_EQ(copy.at("Next"), "Step1");
  EXPECT_EQ(copy.at("Parameters").at("type"), "COPY");
  EXPECT_EQ(copy.at("Catch").at(0).at("Next"), "ExceptionSteps");
  const json::Object& custom = states.at("Step1").get_object();
  EXPECT_EQ(custom.at("Resource"), "arn:aws:states:::transfer:custom.waitForTaskToken");
  EXPECT_EQ(custom.at("TimeoutSeconds"), 30);
  EXPECT_TRUE(custom.at("ResultPath").is_null());
  EXPECT_TRUE(custom.at("End").as_bool());
  EXPECT_EQ(states.at("ExceptionSteps").at("Next"), "ExceptionStep0");
  const json::Object& cleanup = states.at("ExceptionStep0").get_object();
  EXPECT_EQ(cleanup.at("Next"), "Exception");
  EXPECT_EQ(cleanup.at("Catch").at(0).at("Next"), "Exception");
  EXPECT_EQ(states.at("Exception").at("Type"), "Fail");
}

TEST(CompileWorkflow, CustomStepsWaitHalfAnHourByDefault) {
  auto definition = CompileWorkflow(
      Steps(R"([{"Type":"CUSTOM","CustomStepDetails":{"Target":"arn:aws:lambda:r:1:function:f"}}])"),
      {});
  ASSERT_TRUE(definition);
  EXPECT_EQ(States(*definition).at("Step0").at("TimeoutSeconds"), 1800);
  ASSERT_NE(asl::ParseDefinition(*definition).definition, nullptr);
}

TEST(CompileWorkflow, NoStepsSucceedAtOnce) {
  auto definition = CompileWorkflow({}, {});
  ASSERT_TRUE(definition);
  EXPECT_NE(asl::ParseDefinition(*definition).definition, nullptr) << *definition;
}

TEST(CompileWorkflow, TypeAndDetailsMustAgree) {
  for (std::string_view bad : {
           R"([{"Type":"COPY","TagStepDetails":{"Tags":[]}}])",
           R"([{"Type":"COPY"}])",
           R"([{"Type":"COPY","CopyStepDetails":{}}])",
           R"([{"Type":"TAG","TagStepDetails":{},"DeleteStepDetails":{}}])",
           R"([{"Type":"CUSTOM","CustomStepDetails":{}}])",
           R"([{"CopyStepDetails":{}}])",
       }) {
    auto definition = CompileWorkflow(Steps(bad), {});
    ASSERT_FALSE(definition) << bad;
    EXPECT_EQ(definition.error().code, ErrorCode::kInvalidArgument);
    EXPECT_NE(definition.error().message.find("Steps[0]"), std::string::npos);
  }
}

TEST(ParseStepTask, ReadsTheParameters) {
  auto task = ParseStepTask(*json::Parse(
      R"({"type":"TAG","details":{"Name":"t","Tags":[]},"exception":true,"state":{"a":1}})"));
  ASSERT_TRUE(task);
  EXPECT_EQ(task->type, "TAG");
  EXPECT_EQ(task->name, "t");
  EXPECT_TRUE(task->exception_step);
  EXPECT_EQ(task->state.at("a"), 1);
  EXPECT_FALSE(ParseStepTask(*json::Parse(R"({"type":"NOPE","details":{},"state":{}})")));
  EXPECT_FALSE(ParseStepTask(*json::Parse(R"([1])")));
}

store::HistoryRecord Event(std::int64_t id, std::string json) { return {id, std::move(json)}; }

TEST(ViewExecution, StepResultsAndStatusComeFromTheHistory) {
  store::ExecutionRecord record;
  record.status = "RUNNING";
  std::vector<store::HistoryRecord> history = {
      Event(1, R"({"type":"ExecutionStarted"})"),
      Event(2, R"({"type":"TaskStateEntered","stateEnteredEventDetails":{"name":"Step0"}})"),
      Event(3, R"({"type":"TaskScheduled","taskScheduledEventDetails":{"parameters":"{\"type\":\"COPY\"}"}})"),
      Event(4, R"({"type":"TaskSucceeded","taskSucceededEventDetails":{"output":"{\"outputs\":{\"fileLocation\":{\"domain\":\"S3\"}}}"}})"),
      Event(5, R"({"type":"TaskStateEntered","stateEnteredEventDetails":{"name":"Step1"}})"),
      Event(6, R"({"type":"TaskScheduled","taskScheduledEventDetails":{"parameters":"{\"type\":\"CUSTOM\"}"}})"),
  };
  ExecutionView view = ViewExecution(record, history);
  EXPECT_EQ(view.status, "IN_PROGRESS");
  ASSERT_EQ(view.steps.size(), 2u);
  EXPECT_EQ(view.steps[0].type, "COPY");
  EXPECT_EQ(*view.steps[0].outputs, R"({"fileLocation":{"domain":"S3"}})");
  EXPECT_EQ(view.steps[1].type, "CUSTOM");
  EXPECT_FALSE(view.steps[1].outputs);

  history.push_back(Event(7, R"({"type":"TaskTimedOut","taskTimedOutEventDetails":{"error":"States.Timeout"}})"));
  history.push_back(Event(8, R"({"type":"PassStateEntered","stateEnteredEventDetails":{"name":"ExceptionSteps"}})"));
  view = ViewExecution(record, history);
  EXPECT_EQ(view.status, "HANDLING_EXCEPTION");
  EXPECT_EQ(*view.steps[1].error_type, "TIMEOUT");
  EXPECT_FALSE(view.steps[1].error_message.empty());

  history.push_back(Event(9, R"({"type":"TaskStateEntered","stateEnteredEventDetails":{"name":"ExceptionStep0"}})"));
  history.push_back(Event(10, R"({"type":"TaskScheduled","taskScheduledEventDetails":{"parameters":"{\"type\":\"DELETE\"}"}})"));
  history.push_back(Event(11, R"({"type":"TaskFailed","taskFailedEventDetails":{"error":"NOT_FOUND","cause":"gone"}})"));
  record.status = "FAILED";
  view = ViewExecution(record, history);
  EXPECT_EQ(view.status, "EXCEPTION");
  ASSERT_EQ(view.exception_steps.size(), 1u);
  EXPECT_EQ(view.exception_steps[0].type, "DELETE");
  EXPECT_EQ(*view.exception_steps[0].error_type, "NOT_FOUND");
  EXPECT_EQ(view.exception_steps[0].error_message, "gone");

  record.status = "SUCCEEDED";
  EXPECT_EQ(ViewExecution(record, {}).status, "COMPLETED");
}

TEST(ErrorTypeOf, MapsRuntimeErrors) {
  EXPECT_EQ(ErrorTypeOf("States.Timeout"), "TIMEOUT");
  EXPECT_EQ(ErrorTypeOf("ALREADY_EXISTS"), "ALREADY_EXISTS");
  EXPECT_EQ(ErrorTypeOf("CUSTOM_STEP_FAILED"), "CUSTOM_STEP_FAILED");
  EXPECT_EQ(ErrorTypeOf("States.TaskFailed"), "INTERNAL_SERVER_ERROR");
}

}  // namespace
}  // namespace stepway::transfer
