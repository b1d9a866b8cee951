// The interpreter on JSONata-mode states: Arguments/Output/Assign data flow, Catch with
// $states.errorOutput, Map Items, numeric fields as expressions, and States.QueryEvaluationError
// with its EvaluationFailed event. Messages quoted in comments were recorded from AWS.
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "asl/definition.h"
#include "asl/diagnostic.h"
#include "base/random.h"
#include "base/time.h"
#include "engine/execution.h"
#include "engine/history_event.h"
#include "json/json.h"

namespace stepway::engine {
namespace {

using std::chrono::milliseconds;

json::Value J(std::string_view text) {
  auto v = json::Parse(text);
  EXPECT_TRUE(v.has_value()) << text;
  return v ? *v : json::Value();
}

std::string S(const json::Value& v) { return json::Serialize(v); }

class Tokens final : public TokenMinter {
 public:
  std::string Mint(std::int64_t task_id) override { return "token-" + std::to_string(task_id); }
};

class JsonataExecutionTest : public testing::Test {
 protected:
  void Start(std::string_view definition, std::string_view input = "{}") {
    asl::ParsedDefinition parsed = asl::ParseDefinition(definition);
    ASSERT_NE(parsed.definition, nullptr) << asl::FormatInvalidDefinition(parsed.diagnostics);
    ExecutionInfo info;
    info.execution_arn = "arn:aws:states:us-east-1:123456789012:execution:M:e1";
    info.execution_name = "e1";
    info.state_machine_arn = "arn:aws:states:us-east-1:123456789012:stateMachine:M";
    info.state_machine_name = "M";
    info.start_time = now_;
    exec_ = std::make_unique<Execution>(parsed.definition, info);
    Step([&](StepOutput& out) { exec_->Start(J(input), Env(), out); });
  }
  Environment Env() { return Environment{now_, random_, tokens_}; }
  template <typename F>
  void Step(F f) {
    out_ = StepOutput();
    f(out_);
    for (const TaskCommand& t : out_.tasks) tasks_.push_back(t);
    history_.insert(history_.end(), out_.events.begin(), out_.events.end());
  }
  void TaskSucceeds(std::string_view output) {
    ASSERT_FALSE(tasks_.empty());
    const std::int64_t id = tasks_.back().task_id;
    Step([&](StepOutput& out) { exec_->TaskSucceeded(id, J(output), Env(), out); });
  }
  void TaskFails(std::string error, std::string cause) {
    ASSERT_FALSE(tasks_.empty());
    const std::int64_t id = tasks_.back().task_id;
    Step([&](StepOutput& out) { exec_->TaskFailed(id, error, cause, Env(), out); });
  }
  void FireTimer() {
    ASSERT_EQ(out_.timers.size(), 1u);
    const TimerCommand t = out_.timers[0];
    now_ = std::max(now_, t.fire_at);
    Step([&](StepOutput& out) { exec_->TimerFired(t.timer_id, Env(), out); });
  }
  std::vector<std::string> Types() const {
    std::vector<std::string> v;
    for (const HistoryEvent& e : history_) v.push_back(EventTypeName(e.type));
    return v;
  }
  const HistoryEvent* Find(EventType type) const {
    for (const HistoryEvent& e : history_) {
      if (e.type == type) return &e;
    }
    return nullptr;
  }
  std::string Output() const { return exec_->output() ? S(*exec_->output()) : "<none>"; }

  TimePoint now_{milliseconds{1'700'000'000'000}};
  SeededRandom random_{7};
  Tokens tokens_;
  std::unique_ptr<Execution> exec_;
  StepOutput out_;
  std::vector<HistoryEvent> history_;
  std::vector<TaskCommand> tasks_;
};

constexpr const char* kTaskMachine = R"({"QueryLanguage":"JSONata","StartAt":"Init","States":{
  "Init":{"Type":"Pass","Assign":{"n":1},"Next":"T"},
  "T":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke",
       "Arguments":{"Payload":"{% $states.input.x %}","n":"{% $n %}",
                    "token":"{% $states.context.Task.Token %}"},
       "TimeoutSeconds":"{% $n * 30 %}",
       "Assign":{"n":"{% $n + 1 %}","seen":"{% $states.result.r %}"},
       "Output":{"r":"{% $states.result.r %}","n_before":"{% $n %}"},
       "Next":"Show"},
  "Show":{"Type":"Pass","Output":"{% [$states.input, $n, $seen] %}","End":true}}})";

TEST_F(JsonataExecutionTest, TaskArgumentsOutputAndAssign) {
  Start(kTaskMachine, R"({"x":"payload"})");
  ASSERT_EQ(tasks_.size(), 1u);
  EXPECT_EQ(S(tasks_[0].input), R"({"Payload":"payload","n":1,"token":"token-1"})");
  ASSERT_TRUE(tasks_[0].timeout_seconds.has_value());
  EXPECT_EQ(*tasks_[0].timeout_seconds, 30);
  TaskSucceeds(R"({"r":"done"})");
  EXPECT_EQ(exec_->status(), ExecutionStatus::kSucceeded);
  // Assign and Output both read $n as it was before the state; the new value is seen after.
  EXPECT_EQ(Output(), R"([{"r":"done","n_before":1},2,"done"])");
  const HistoryEvent* exited = Find(EventType::kTaskStateExited);
  ASSERT_NE(exited, nullptr);
  EXPECT_EQ(S(exited->extra.at("assignedVariables")), R"({"n":"2","seen":"\"done\""})");
}

TEST_F(JsonataExecutionTest, TaskOutputDefaultsToResult) {
  Start(R"({"QueryLanguage":"JSONata","StartAt":"T","States":{
    "T":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","End":true}}})",
        R"({"in":1})");
  ASSERT_EQ(tasks_.size(), 1u);
  EXPECT_EQ(S(tasks_[0].input), R"({"in":1})");  // no Arguments: the state input
  TaskSucceeds(R"({"out":2})");
  EXPECT_EQ(Output(), R"({"out":2})");
}

TEST_F(JsonataExecutionTest, CatchOutputAndAssignSeeErrorOutput) {
  Start(R"({"QueryLanguage":"JSONata","StartAt":"T","States":{
    "T":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke",
         "Catch":[{"ErrorEquals":["States.ALL"],"Next":"After",
                   "Assign":{"err":"{% $states.errorOutput.Error %}"},
                   "Output":{"input":"{% $states.input %}","cause":"{% $states.errorOutput.Cause %}"}}],
         "End":true},
    "After":{"Type":"Pass","Output":{"o":"{% $states.input %}","err":"{% $err %}"},"End":true}}})",
        R"({"a":1})");
  TaskFails("Boom", "it broke");
  EXPECT_EQ(exec_->status(), ExecutionStatus::kSucceeded);
  EXPECT_EQ(Output(), R"({"o":{"input":{"a":1},"cause":"it broke"},"err":"Boom"})");
}

TEST_F(JsonataExecutionTest, CatchWithoutOutputPassesErrorOutput) {
  Start(R"({"QueryLanguage":"JSONata","StartAt":"T","States":{
    "T":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke",
         "Catch":[{"ErrorEquals":["States.ALL"],"Next":"After"}],"End":true},
    "After":{"Type":"Succeed"}}})");
  TaskFails("Boom", "it broke");
  EXPECT_EQ(Output(), R"({"Error":"Boom","Cause":"it broke"})");
}

TEST_F(JsonataExecutionTest, UndefinedOutputFailsWithEvaluationFailed) {
  Start(R"({"QueryLanguage":"JSONata","StartAt":"State0","States":{
    "State0":{"Type":"Pass","Output":{"result":"{% $doesNotExist %}"},"End":true}}})");
  EXPECT_EQ(exec_->status(), ExecutionStatus::kFailed);
  EXPECT_EQ(exec_->error(), "States.QueryEvaluationError");
  // Recorded from AWS.
  EXPECT_EQ(exec_->cause(),
            "An error occurred while executing the state 'State0' (entered at the event id #2). "
            "The JSONata expression '$doesNotExist' specified for the field 'Output/result' "
            "returned nothing (undefined).");
  EXPECT_EQ(Types(), (std::vector<std::string>{"ExecutionStarted", "PassStateEntered",
                                               "EvaluationFailed", "ExecutionFailed"}));
  const json::Object event = ToJson(*Find(EventType::kEvaluationFailed));
  const json::Object& details = event.at("evaluationFailedEventDetails").as_object();
  EXPECT_EQ(S(details.at("location")), R"("Output/result")");
  EXPECT_EQ(S(details.at("state")), R"("State0")");
  EXPECT_EQ(S(details.at("error")), R"("States.QueryEvaluationError")");
}

TEST_F(JsonataExecutionTest, MapItemsMustBeAnArray) {
  Start(R"({"QueryLanguage":"JSONata","StartAt":"MapIterateState","States":{
    "MapIterateState":{"Type":"Map","Items":"{% true %}","ItemProcessor":{"StartAt":"P",
      "States":{"P":{"Type":"Pass","End":true}}},"End":true}}})");
  EXPECT_EQ(exec_->error(), "States.QueryEvaluationError");
  EXPECT_EQ(exec_->cause(),
            "An error occurred while executing the state 'MapIterateState' (entered at the event "
            "id #2). The JSONata expression 'true' specified for the field 'Items' returned an "
            "unexpected result type. Expected 'array', but was 'boolean' for value: true");
  EXPECT_EQ(Types(), (std::vector<std::string>{"ExecutionStarted", "MapStateEntered",
                                               "EvaluationFailed", "MapStateFailed",
                                               "ExecutionFailed"}));
}

TEST_F(JsonataExecutionTest, MapItemSelectorAndTolerance) {
  Start(R"({"QueryLanguage":"JSONata","StartAt":"M","States":{
    "M":{"Type":"Map","Items":"{% $states.input.xs %}",
         "ItemSelector":{"v":"{% $states.context.Map.Item.Value %}",
                         "i":"{% $states.context.Map.Item.Index %}"},
         "ToleratedFailureCount":"{% $states.input.tolerate %}",
         "ItemProcessor":{"StartAt":"C","States":{
           "C":{"Type":"Choice","Choices":[{"Condition":"{% $states.input.v = 'bad' %}",
                                            "Next":"F"}],"Default":"Ok"},
           "F":{"Type":"Fail","Error":"Bad","Cause":"{% 'item ' & $states.input.i %}"},
           "Ok":{"Type":"Pass","End":true}}},
         "End":true}}})",
        R"({"xs":["a","bad"],"tolerate":1})");
  EXPECT_EQ(exec_->status(), ExecutionStatus::kSucceeded);
  EXPECT_EQ(Output(), R"([{"v":"a","i":0},{"Error":"Bad","Cause":"item 1"}])");
}

TEST_F(JsonataExecutionTest, ChoiceConditionMustBeBoolean) {
  Start(R"({"QueryLanguage":"JSONata","StartAt":"C","States":{
    "C":{"Type":"Choice","Choices":[{"Condition":"{% $states.input.v %}","Next":"A"}],
         "Default":"A"},
    "A":{"Type":"Succeed"}}})",
        R"({"v":"yes"})");
  EXPECT_EQ(exec_->error(), "States.QueryEvaluationError");
  EXPECT_NE(exec_->cause().find("The JSONata expression '$states.input.v' specified for the "
                                "field 'Condition' returned an unexpected result type. Expected "
                                "'boolean', but was 'string' for value: \"yes\""),
            std::string::npos)
      << exec_->cause();
}

TEST_F(JsonataExecutionTest, ChoiceRuleOutputAndAssign) {
  const char* machine = R"({"QueryLanguage":"JSONata","StartAt":"C","States":{
    "C":{"Type":"Choice","Choices":[{"Condition":"{% $states.input.go %}","Next":"A",
                                     "Assign":{"path":"rule"},"Output":"{% 'rule' %}"}],
         "Default":"A","Assign":{"path":"default"},"Output":"default"},
    "A":{"Type":"Pass","Output":"{% [$states.input, $path] %}","End":true}}})";
  Start(machine, R"({"go":true})");
  EXPECT_EQ(Output(), R"(["rule","rule"])");
  history_.clear();
  tasks_.clear();
  Start(machine, R"({"go":false})");
  EXPECT_EQ(Output(), R"(["default","default"])");
}

TEST_F(JsonataExecutionTest, WaitTimestampAndSeconds) {
  Start(R"({"QueryLanguage":"JSONata","StartAt":"W","States":{
    "W":{"Type":"Wait","Seconds":"{% $states.input.s %}","Output":"{% $states.input.s * 2 %}",
         "End":true}}})",
        R"({"s":5})");
  ASSERT_EQ(out_.timers.size(), 1u);
  EXPECT_EQ(out_.timers[0].fire_at, now_ + std::chrono::seconds(5));
  FireTimer();
  EXPECT_EQ(Output(), "10");

  history_.clear();
  Start(R"({"QueryLanguage":"JSONata","StartAt":"WaitState","States":{
    "WaitState":{"Type":"Wait","Timestamp":"{% $states.input.t %}","End":true}}})",
        R"({"t":"2016-12-05 21:29:29Z"})");
  EXPECT_EQ(exec_->cause(),
            "An error occurred while executing the state 'WaitState' (entered at the event id "
            "#2). The Timestamp field cannot be parsed as an ISO-8601 extended offset date-time "
            "format string: 2016-12-05 21:29:29Z");
}

TEST_F(JsonataExecutionTest, ParallelArgumentsFeedEveryBranch) {
  Start(R"({"QueryLanguage":"JSONata","StartAt":"P","States":{
    "P":{"Type":"Parallel","Arguments":{"x":"{% $states.input.a %}"},
         "Output":"{% $states.result %}",
         "Branches":[{"StartAt":"B1","States":{"B1":{"Type":"Pass","End":true}}},
                     {"StartAt":"B2","States":{"B2":{"Type":"Pass",
                        "Output":"{% $states.input.x + 1 %}","End":true}}}],
         "End":true}}})",
        R"({"a":1})");
  EXPECT_EQ(Output(), R"([{"x":1},2])");
}

TEST_F(JsonataExecutionTest, FailErrorAndCauseExpressions) {
  Start(R"({"QueryLanguage":"JSONata","StartAt":"F","States":{
    "F":{"Type":"Fail","Error":"{% $states.input.e %}","Cause":"literal"}}})",
        R"({"e":"Custom"})");
  EXPECT_EQ(exec_->error(), "Custom");
  EXPECT_EQ(exec_->cause(), "literal");
}

TEST_F(JsonataExecutionTest, AssignTooLargeIsDataLimitExceeded) {
  Start(R"({"QueryLanguage":"JSONata","StartAt":"P","States":{
    "P":{"Type":"Pass","Assign":{"big":"{% $pad('', 270000, 'x') %}"},"End":true}}})");
  EXPECT_EQ(exec_->error(), "States.DataLimitExceeded");
  EXPECT_EQ(exec_->cause(),
            "The variable 'big' has exceeded the maximum size limit of 262144 bytes.");
}

}  // namespace
}  // namespace stepway::engine
