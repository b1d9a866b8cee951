// The interpreter driven by hand: a fixed clock, a seeded or fixed Random, a counting token
// minter. Each test states the Step Functions behaviour it checks; where AWS documents it, the
// comment says where.
#include "engine/execution.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "asl/definition.h"
#include "asl/diagnostic.h"
#include "base/random.h"
#include "base/time.h"
#include "engine/history_event.h"
#include "json/json.h"

namespace stepway::engine {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

const TimePoint kT0{milliseconds{1'700'000'000'000}};

json::Value J(std::string_view text) {
  auto v = json::Parse(text);
  EXPECT_TRUE(v.has_value()) << text;
  return v ? *v : json::Value();
}

std::string S(const json::Value& v) { return json::Serialize(v); }

class CountingTokens final : public TokenMinter {
 public:
  std::string Mint(std::int64_t task_id) override {
    ++minted;
    return "token-" + std::to_string(task_id);
  }
  int minted = 0;
};

// Next() always returns the same value: NextDouble() is then `value >> 11` scaled to [0, 1).
class FixedRandom final : public Random {
 public:
  explicit FixedRandom(std::uint64_t value) : value_(value) {}
  std::uint64_t Next() override { return value_; }

 private:
  std::uint64_t value_;
};

class ExecutionTest : public testing::Test {
 protected:
  void Start(std::string_view definition, std::string_view input = "{}") {
    asl::ParsedDefinition parsed = asl::ParseDefinition(definition);
    ASSERT_NE(parsed.definition, nullptr) << asl::FormatInvalidDefinition(parsed.diagnostics);
    ExecutionInfo info;
    info.execution_arn = "arn:aws:states:us-east-1:123456789012:execution:M:e1";
    info.execution_name = "e1";
    info.state_machine_arn = "arn:aws:states:us-east-1:123456789012:stateMachine:M";
    info.state_machine_name = "M";
    info.role_arn = "arn:aws:iam::123456789012:role/R";
    info.start_time = now_;
    exec_ = std::make_unique<Execution>(parsed.definition, info, options_);
    out_ = StepOutput();
    exec_->Start(J(input), Env(), out_);
    Absorb();
  }

  Environment Env() { return Environment{now_, *random_, tokens_}; }

  void Absorb() {
    for (const TaskCommand& t : out_.tasks) tasks_.push_back(t);
    for (const TimerCommand& t : out_.timers) timers_.push_back(t);
    history_.insert(history_.end(), out_.events.begin(), out_.events.end());
    // Every event the interpreter emits prints the same written directly as through the DOM.
    for (const HistoryEvent& e : out_.events) {
      EXPECT_EQ(ToJsonText(e), json::Serialize(ToJson(e)));
      EXPECT_EQ(ToJsonText(e, false), json::Serialize(ToJson(e, false)));
    }
  }

  bool Succeed(std::int64_t task_id, std::string_view output) {
    out_ = StepOutput();
    const bool r = exec_->TaskSucceeded(task_id, J(output), Env(), out_);
    Absorb();
    return r;
  }
  bool Fail(std::int64_t task_id, std::string error, std::string cause = "") {
    out_ = StepOutput();
    const bool r = exec_->TaskFailed(task_id, std::move(error), std::move(cause), Env(), out_);
    Absorb();
    return r;
  }
  void Started(std::int64_t task_id, std::string_view worker = "") {
    out_ = StepOutput();
    exec_->TaskStarted(task_id, worker, Env(), out_);
    Absorb();
  }
  void Fire(std::int64_t timer_id) {
    out_ = StepOutput();
    exec_->TimerFired(timer_id, Env(), out_);
    Absorb();
  }
  // Fires the only timer the last step asked for, moving the clock to its fire time.
  void FireLastTimer() {
    ASSERT_EQ(out_.timers.size(), 1u);
    const TimerCommand t = out_.timers[0];
    now_ = std::max(now_, t.fire_at);
    Fire(t.timer_id);
  }

  std::vector<std::string> Types(std::size_t from = 0) const {
    std::vector<std::string> v;
    for (std::size_t i = from; i < history_.size(); ++i) {
      v.push_back(EventTypeName(history_[i].type));
    }
    return v;
  }
  std::vector<std::string> StepTypes() const {
    std::vector<std::string> v;
    for (const HistoryEvent& e : out_.events) v.push_back(EventTypeName(e.type));
    return v;
  }
  const HistoryEvent* FindEvent(EventType type, std::size_t nth = 0) const {
    for (const HistoryEvent& e : history_) {
      if (e.type == type && nth-- == 0) return &e;
    }
    return nullptr;
  }
  json::Object Details(const HistoryEvent& e) const {
    json::Object o = ToJson(e);
    const char* member = EventDetailsMember(e.type);
    if (member == nullptr || !o.contains(member)) return json::Object();
    return o[member].as_object();
  }
  std::string Output() const {
    return exec_->output() ? S(*exec_->output()) : std::string("<none>");
  }

  ExecutionOptions options_;
  TimePoint now_ = kT0;
  std::unique_ptr<Random> random_ = std::make_unique<SeededRandom>(7);
  CountingTokens tokens_;
  std::unique_ptr<Execution> exec_;
  StepOutput out_;  // the last step's output
  std::vector<HistoryEvent> history_;
  std::vector<TaskCommand> tasks_;  // every task asked for, in order
  std::vector<TimerCommand> timers_;
};

// ---------------------------------------------------------------------------------------------
// Pure states

TEST_F(ExecutionTest, PassStatesHistoryIdsAndDetails) {
  Start(R"({"StartAt":"A","States":{
    "A":{"Type":"Pass","Result":{"x":1},"ResultPath":"$.r","Next":"B"},
    "B":{"Type":"Pass","End":true}}})",
        R"({"in":true})");
  EXPECT_EQ(exec_->status(), ExecutionStatus::kSucceeded);
  EXPECT_EQ(Output(), R"({"in":true,"r":{"x":1}})");
  EXPECT_EQ(Types(), (std::vector<std::string>{"ExecutionStarted", "PassStateEntered",
                                               "PassStateExited", "PassStateEntered",
                                               "PassStateExited", "ExecutionSucceeded"}));
  // GetExecutionHistory's own example: ExecutionStarted and the first state's entered event
  // both have previousEventId 0; after that each event points at the one before it.
  const std::vector<std::int64_t> previous{0, 0, 2, 3, 4, 5};
  for (std::size_t i = 0; i < history_.size(); ++i) {
    EXPECT_EQ(history_[i].id, std::int64_t(i + 1));
    EXPECT_EQ(history_[i].previous_event_id, previous[i]) << i;
    EXPECT_EQ(history_[i].timestamp, kT0);
  }
  EXPECT_EQ(exec_->last_event_id(), 6);
  EXPECT_EQ(exec_->transitions(), 2);

  json::Object started = ToJson(history_[0]);
  EXPECT_EQ(S(started["type"]), R"("ExecutionStarted")");
  EXPECT_EQ(started["timestamp"].as_double(), 1'700'000'000.0);
  EXPECT_EQ(S(started["executionStartedEventDetails"]),
            R"({"input":"{\"in\":true}","inputDetails":{"truncated":false},)"
            R"("roleArn":"arn:aws:iam::123456789012:role/R"})");
  EXPECT_EQ(S(Details(history_[1])),
            R"({"name":"A","input":"{\"in\":true}","inputDetails":{"truncated":false}})");
  EXPECT_EQ(S(Details(history_[2])), R"({"name":"A","output":"{\"in\":true,\"r\":{\"x\":1}}",)"
                                     R"("outputDetails":{"truncated":false}})");
  EXPECT_EQ(S(Details(history_[5])),
            R"({"output":"{\"in\":true,\"r\":{\"x\":1}}","outputDetails":{"truncated":false}})");
  // includeExecutionData=false leaves the data out.
  EXPECT_EQ(S(ToJson(history_[1], false)["stateEnteredEventDetails"]),
            R"({"name":"A","inputDetails":{"truncated":false}})");
}

TEST_F(ExecutionTest, ChoiceTakesFirstMatchingRuleThenDefault) {
  const char* def = R"({"StartAt":"C","States":{
    "C":{"Type":"Choice","Choices":[
      {"Variable":"$.n","NumericGreaterThan":10,"Next":"Big"},
      {"Variable":"$.n","NumericGreaterThan":5,"Next":"Medium"}],
      "Default":"Small","OutputPath":"$.n"},
    "Big":{"Type":"Pass","Result":"big","End":true},
    "Medium":{"Type":"Pass","Result":"medium","End":true},
    "Small":{"Type":"Pass","Result":"small","End":true}}})";
  Start(def, R"({"n":20})");
  EXPECT_EQ(Output(), R"("big")");
  EXPECT_EQ(Types(), (std::vector<std::string>{"ExecutionStarted", "ChoiceStateEntered",
                                               "ChoiceStateExited", "PassStateEntered",
                                               "PassStateExited", "ExecutionSucceeded"}));
  EXPECT_EQ(history_[1].previous_event_id, 0);
  EXPECT_EQ(history_[2].previous_event_id, 2);
  EXPECT_EQ(S(Details(history_[2])),
            R"({"name":"C","output":"20","outputDetails":{"truncated":false}})");
  EXPECT_EQ(history_[3].name, "Big");

  history_.clear();
  Start(def, R"({"n":7})");
  EXPECT_EQ(Output(), R"("medium")");
  history_.clear();
  Start(def, R"({"n":1})");
  EXPECT_EQ(Output(), R"("small")");
}

TEST_F(ExecutionTest, ChoiceWithoutMatchOrDefaultFailsWithNoChoiceMatched) {
  Start(R"({"StartAt":"C","States":{
    "C":{"Type":"Choice","Choices":[{"Variable":"$.n","NumericEquals":1,"Next":"X"}]},
    "X":{"Type":"Succeed"}}})",
        R"({"n":2})");
  EXPECT_EQ(exec_->status(), ExecutionStatus::kFailed);
  EXPECT_EQ(exec_->error(), "States.NoChoiceMatched");
  EXPECT_EQ(Types(), (std::vector<std::string>{"ExecutionStarted", "ChoiceStateEntered",
                                               "ExecutionFailed"}));
}

TEST_F(ExecutionTest, SucceedStateAppliesInputAndOutputPath) {
  Start(R"({"StartAt":"S","States":{"S":{"Type":"Succeed","InputPath":"$.a","OutputPath":"$.b"}}})",
        R"({"a":{"b":[1,2]},"c":3})");
  EXPECT_EQ(Output(), "[1,2]");
  EXPECT_EQ(Types(), (std::vector<std::string>{"ExecutionStarted", "SucceedStateEntered",
                                               "SucceedStateExited", "ExecutionSucceeded"}));
  EXPECT_EQ(
      S(Details(history_[1])),
      R"({"name":"S","input":"{\"a\":{\"b\":[1,2]},\"c\":3}","inputDetails":{"truncated":false}})");
  EXPECT_EQ(history_[3].previous_event_id, 3);
}

TEST_F(ExecutionTest, FailStateEndsTheExecutionWithItsErrorAndCause) {
  Start(R"({"StartAt":"F","States":{"F":{"Type":"Fail","Error":"MyError","Cause":"because"}}})");
  EXPECT_EQ(exec_->status(), ExecutionStatus::kFailed);
  EXPECT_EQ(Types(),
            (std::vector<std::string>{"ExecutionStarted", "FailStateEntered", "ExecutionFailed"}));
  EXPECT_EQ(history_[2].previous_event_id, 2);
  EXPECT_EQ(S(Details(history_[2])), R"({"error":"MyError","cause":"because"})");
  EXPECT_EQ(exec_->error(), "MyError");
  EXPECT_EQ(exec_->cause(), "because");

  // Without a Cause the event has no cause member at all.
  history_.clear();
  Start(R"({"StartAt":"F","States":{"F":{"Type":"Fail","ErrorPath":"$.e"}}})", R"({"e":"E1"})");
  EXPECT_EQ(S(Details(history_.back())), R"({"error":"E1"})");
  EXPECT_TRUE(exec_->has_error());
  EXPECT_FALSE(exec_->has_cause());
}

// ---------------------------------------------------------------------------------------------
// Wait

TEST_F(ExecutionTest, WaitSecondsAsksForATimerAndExitsWhenItFires) {
  Start(R"({"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":10,"Next":"P"},
    "P":{"Type":"Pass","End":true}}})",
        R"({"k":1})");
  EXPECT_EQ(exec_->status(), ExecutionStatus::kRunning);
  EXPECT_EQ(Types(), (std::vector<std::string>{"ExecutionStarted", "WaitStateEntered"}));
  ASSERT_EQ(out_.timers.size(), 1u);
  EXPECT_EQ(out_.timers[0].fire_at, kT0 + seconds(10));
  EXPECT_TRUE(out_.tasks.empty());

  // A timer id that is not the Wait's does nothing.
  Fire(out_.timers[0].timer_id + 100);
  EXPECT_TRUE(out_.events.empty());

  now_ = kT0 + seconds(10);
  Fire(timers_[0].timer_id);
  EXPECT_EQ(StepTypes(), (std::vector<std::string>{"WaitStateExited", "PassStateEntered",
                                                   "PassStateExited", "ExecutionSucceeded"}));
  EXPECT_EQ(out_.events[0].timestamp, kT0 + seconds(10));
  EXPECT_EQ(out_.events[0].previous_event_id, 2);
  EXPECT_EQ(Output(), R"({"k":1})");

  // A second firing of the same timer is ignored.
  Fire(timers_[0].timer_id);
  EXPECT_TRUE(out_.events.empty());
}

TEST_F(ExecutionTest, WaitTimestampSecondsPathAndTimestampPath) {
  Start(
      R"({"StartAt":"W","States":{"W":{"Type":"Wait","Timestamp":"2023-11-14T22:15:00Z","End":true}}})");
  ASSERT_EQ(out_.timers.size(), 1u);
  EXPECT_EQ(FormatIso8601(out_.timers[0].fire_at), "2023-11-14T22:15:00.000Z");

  Start(R"({"StartAt":"W","States":{"W":{"Type":"Wait","SecondsPath":"$.s","End":true}}})",
        R"({"s":42})");
  ASSERT_EQ(out_.timers.size(), 1u);
  EXPECT_EQ(out_.timers[0].fire_at, kT0 + seconds(42));

  Start(R"({"StartAt":"W","States":{"W":{"Type":"Wait","TimestampPath":"$.t","End":true}}})",
        R"({"t":"2030-01-01T00:00:00+01:00"})");
  ASSERT_EQ(out_.timers.size(), 1u);
  EXPECT_EQ(FormatIso8601(out_.timers[0].fire_at), "2029-12-31T23:00:00.000Z");

  // A time in the past fires at once.
  Start(R"({"StartAt":"W","States":{"W":{"Type":"Wait","TimestampPath":"$.t","End":true}}})",
        R"({"t":"2001-01-01T00:00:00Z"})");
  ASSERT_EQ(out_.timers.size(), 1u);
  EXPECT_LE(out_.timers[0].fire_at, kT0);
}

TEST_F(ExecutionTest, WaitPathsThatAreNotValidFailWithStatesRuntime) {
  for (const char* input : {R"({"s":"ten"})", R"({"s":-1})", R"({})"}) {
    Start(R"({"StartAt":"W","States":{"W":{"Type":"Wait","SecondsPath":"$.s","End":true}}})",
          input);
    EXPECT_EQ(exec_->status(), ExecutionStatus::kFailed) << input;
    EXPECT_EQ(exec_->error(), "States.Runtime") << input;
  }
  Start(R"({"StartAt":"W","States":{"W":{"Type":"Wait","TimestampPath":"$.t","End":true}}})",
        R"({"t":"yesterday"})");
  EXPECT_EQ(exec_->error(), "States.Runtime");
  EXPECT_EQ(exec_->cause().rfind("An error occurred while executing the state 'W' (entered at "
                                 "the event id #2). ",
                                 0),
            0u)
      << exec_->cause();
}

// ---------------------------------------------------------------------------------------------
// Task scheduling

TEST_F(ExecutionTest, ServiceTaskCommandCarriesParametersTokenAndTimeouts) {
  Start(R"({"StartAt":"T","States":{"T":{"Type":"Task",
      "Resource":"arn:aws:states:::lambda:invoke.waitForTaskToken",
      "Parameters":{"FunctionName":"f","Payload.$":"$.p","Token.$":"$$.Task.Token",
                    "Name.$":"$$.State.Name"},
      "TimeoutSeconds":30,"HeartbeatSeconds":10,"End":true}}})",
        R"({"p":{"a":1}})");
  ASSERT_EQ(out_.tasks.size(), 1u);
  const TaskCommand& t = out_.tasks[0];
  EXPECT_EQ(t.state_name, "T");
  EXPECT_EQ(t.token, "token-" + std::to_string(t.task_id));
  EXPECT_EQ(S(t.input),
            R"({"FunctionName":"f","Payload":{"a":1},"Token":")" + t.token + R"(","Name":"T"})");
  EXPECT_EQ(t.resource->kind, ResourceKind::kService);
  EXPECT_EQ(t.resource->service, "lambda");
  EXPECT_EQ(t.resource->action, "invoke");
  EXPECT_EQ(t.resource->pattern, TaskPattern::kWaitForTaskToken);
  EXPECT_EQ(t.timeout_seconds, std::optional<std::int64_t>(30));
  EXPECT_EQ(t.heartbeat_seconds, std::optional<std::int64_t>(10));
  EXPECT_EQ(t.retry_count, 0);
  EXPECT_TRUE(t.credentials.is_null());
  EXPECT_TRUE(exec_->IsTaskOpen(t.task_id));
  // TimeoutSeconds is the engine's timer.
  ASSERT_EQ(out_.timers.size(), 1u);
  EXPECT_EQ(out_.timers[0].fire_at, kT0 + seconds(30));

  EXPECT_EQ(Types(),
            (std::vector<std::string>{"ExecutionStarted", "TaskStateEntered", "TaskScheduled"}));
  EXPECT_EQ(history_[2].previous_event_id, 2);
  // Members compare as a set: their order carries no meaning.
  EXPECT_TRUE(json::Equal(
      Details(history_[2]),
      J(R"({"resourceType":"lambda","resource":"invoke.waitForTaskToken",)"
        R"("region":"us-east-1","parameters":")" +
        std::string(R"({\"FunctionName\":\"f\",\"Payload\":{\"a\":1},\"Token\":\")") + t.token +
        R"(\",\"Name\":\"T\"}","timeoutInSeconds":30,"heartbeatInSeconds":10})")))
      << S(Details(history_[2]));

  const std::int64_t id = t.task_id;
  const std::int64_t timeout_timer = timers_[0].timer_id;
  Started(id);
  EXPECT_EQ(StepTypes(), std::vector<std::string>{"TaskStarted"});
  EXPECT_EQ(S(Details(out_.events[0])),
            R"({"resourceType":"lambda","resource":"invoke.waitForTaskToken"})");
  Started(id);  // a second report changes nothing
  EXPECT_TRUE(out_.events.empty());

  now_ += seconds(3);
  EXPECT_TRUE(Succeed(id, R"({"ok":true})"));
  EXPECT_EQ(StepTypes(),
            (std::vector<std::string>{"TaskSucceeded", "TaskStateExited", "ExecutionSucceeded"}));
  EXPECT_EQ(S(Details(out_.events[0])),
            R"({"resourceType":"lambda","resource":"invoke.waitForTaskToken",)"
            R"("output":"{\"ok\":true}","outputDetails":{"truncated":false}})");
  EXPECT_EQ(out_.events[0].previous_event_id, 4);
  EXPECT_EQ(out_.events[0].timestamp, kT0 + seconds(3));
  EXPECT_NE(std::find(out_.cancelled_timers.begin(), out_.cancelled_timers.end(), timeout_timer),
            out_.cancelled_timers.end());
  EXPECT_EQ(Output(), R"({"ok":true})");
  EXPECT_FALSE(exec_->IsTaskOpen(id));
}

TEST_F(ExecutionTest, TimeoutAndHeartbeatPathForms) {
  Start(
      R"({"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::sqs:sendMessage",
      "TimeoutSecondsPath":"$.t","HeartbeatSecondsPath":"$.h","End":true}}})",
      R"({"t":60,"h":5})");
  ASSERT_EQ(out_.tasks.size(), 1u);
  EXPECT_EQ(out_.tasks[0].timeout_seconds, std::optional<std::int64_t>(60));
  EXPECT_EQ(out_.tasks[0].heartbeat_seconds, std::optional<std::int64_t>(5));
  EXPECT_EQ(S(out_.tasks[0].input), R"({"t":60,"h":5})");  // no Parameters: the input
  ASSERT_EQ(out_.timers.size(), 1u);
  EXPECT_EQ(out_.timers[0].fire_at, kT0 + seconds(60));

  // A path to something that is not a positive integer is a States.Runtime failure.
  for (const char* input : {R"({"t":"x","h":5})", R"({"t":0,"h":5})", R"({"h":5})"}) {
    Start(
        R"({"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::sqs:sendMessage",
        "TimeoutSecondsPath":"$.t","End":true}}})",
        input);
    EXPECT_EQ(exec_->status(), ExecutionStatus::kFailed) << input;
    EXPECT_EQ(exec_->error(), "States.Runtime") << input;
    EXPECT_TRUE(out_.tasks.empty());
  }
  // Without TimeoutSeconds a service task has no engine timer.
  Start(
      R"({"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::sqs:sendMessage","End":true}}})");
  EXPECT_TRUE(out_.timers.empty());
  EXPECT_FALSE(out_.tasks[0].timeout_seconds.has_value());
}

TEST_F(ExecutionTest, ActivityTasksUseActivityEvents) {
  const std::string arn = "arn:aws:states:us-east-1:123456789012:activity:work";
  Start(R"({"StartAt":"T","States":{"T":{"Type":"Task","Resource":")" + arn + R"(","End":true}}})",
        R"({"job":7})");
  ASSERT_EQ(out_.tasks.size(), 1u);
  EXPECT_EQ(out_.tasks[0].resource->kind, ResourceKind::kActivity);
  EXPECT_EQ(S(out_.tasks[0].input), R"({"job":7})");
  EXPECT_EQ(Types(), (std::vector<std::string>{"ExecutionStarted", "TaskStateEntered",
                                               "ActivityScheduled"}));
  json::Object scheduled = Details(history_[2]);
  EXPECT_EQ(S(scheduled["resource"]), "\"" + arn + "\"");
  EXPECT_EQ(S(scheduled["input"]), R"("{\"job\":7}")");
  const std::int64_t id = out_.tasks[0].task_id;
  Started(id, "worker-1");
  EXPECT_EQ(StepTypes(), std::vector<std::string>{"ActivityStarted"});
  EXPECT_EQ(S(Details(out_.events[0])), R"({"workerName":"worker-1"})");
  EXPECT_TRUE(Succeed(id, R"({"done":1})"));
  EXPECT_EQ(StepTypes(), (std::vector<std::string>{"ActivitySucceeded", "TaskStateExited",
                                                   "ExecutionSucceeded"}));
  EXPECT_EQ(S(Details(out_.events[0])),
            R"({"output":"{\"done\":1}","outputDetails":{"truncated":false}})");
}

TEST_F(ExecutionTest, LambdaFunctionArnsUseLambdaFunctionEvents) {
  const std::string arn = "arn:aws:lambda:eu-west-1:123456789012:function:fn";
  Start(R"({"StartAt":"T","States":{"T":{"Type":"Task","Resource":")" + arn + R"(","End":true}}})",
        R"({"a":1})");
  ASSERT_EQ(out_.tasks.size(), 1u);
  EXPECT_EQ(out_.tasks[0].resource->kind, ResourceKind::kLambdaFunction);
  EXPECT_EQ(Types(), (std::vector<std::string>{"ExecutionStarted", "TaskStateEntered",
                                               "LambdaFunctionScheduled"}));
  EXPECT_EQ(
      S(Details(history_[2])),
      R"({"resource":")" + arn + R"(","input":"{\"a\":1}","inputDetails":{"truncated":false}})");
  const std::int64_t id = out_.tasks[0].task_id;
  EXPECT_TRUE(Fail(id, "Lambda.Unknown", "boom"));
  EXPECT_EQ(StepTypes(), (std::vector<std::string>{"LambdaFunctionStarted", "LambdaFunctionFailed",
                                                   "ExecutionFailed"}));
  EXPECT_EQ(S(Details(out_.events[1])), R"({"error":"Lambda.Unknown","cause":"boom"})");
  EXPECT_EQ(exec_->error(), "Lambda.Unknown");
}

TEST_F(ExecutionTest, ResultSelectorResultPathAndOutputPathOnATaskResult) {
  Start(R"({"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke",
      "ResultSelector":{"v.$":"$.Payload.v","code.$":"$.StatusCode"},
      "ResultPath":"$.res","OutputPath":"$.res","Next":"P"},
    "P":{"Type":"Pass","End":true}}})",
        R"({"keep":1})");
  ASSERT_EQ(out_.tasks.size(), 1u);
  EXPECT_TRUE(Succeed(out_.tasks[0].task_id, R"({"Payload":{"v":"x","w":2},"StatusCode":200})"));
  EXPECT_EQ(
      S(Details(out_.events[2])),  // TaskStateExited
      R"({"name":"T","output":"{\"v\":\"x\",\"code\":200}","outputDetails":{"truncated":false}})");
  EXPECT_EQ(Output(), R"({"v":"x","code":200})");

  // ResultPath null keeps the input; ResultPath into the input merges.
  Start(R"({"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke",
      "ResultPath":null,"End":true}}})",
        R"({"keep":1})");
  EXPECT_TRUE(Succeed(out_.tasks[0].task_id, R"({"x":2})"));
  EXPECT_EQ(Output(), R"({"keep":1})");
  Start(R"({"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke",
      "ResultPath":"$.a.b","End":true}}})",
        R"({"keep":1,"a":{"c":3}})");
  EXPECT_TRUE(Succeed(out_.tasks[0].task_id, "[1]"));
  EXPECT_EQ(Output(), R"({"keep":1,"a":{"c":3,"b":[1]}})");
}

TEST_F(ExecutionTest, LateAndDuplicateResultsAreIgnored) {
  Start(
      R"({"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Next":"W"},
    "W":{"Type":"Wait","Seconds":5,"End":true}}})");
  const std::int64_t id = out_.tasks[0].task_id;
  EXPECT_TRUE(Succeed(id, R"({"r":1})"));
  const std::size_t events = history_.size();
  const std::int64_t last = exec_->last_event_id();
  EXPECT_FALSE(Succeed(id, R"({"r":2})"));
  EXPECT_TRUE(out_.events.empty() && out_.tasks.empty() && out_.timers.empty());
  EXPECT_FALSE(Fail(id, "E"));
  EXPECT_TRUE(out_.events.empty());
  out_ = StepOutput();
  EXPECT_FALSE(exec_->TaskTimedOut(id, "States.Timeout", "", Env(), out_));
  EXPECT_TRUE(out_.events.empty());
  EXPECT_FALSE(Succeed(id + 1000, "{}"));  // never existed
  EXPECT_EQ(history_.size(), events);
  EXPECT_EQ(exec_->last_event_id(), last);
  EXPECT_EQ(exec_->status(), ExecutionStatus::kRunning);
}

// ---------------------------------------------------------------------------------------------
// Retry and Catch

// The error-handling guide's own example: "Suppose this task fails four successive times,
// outputting these error names: ErrorA, ErrorB, ErrorC, and ErrorB. The first two errors match
// the first retrier and cause waits of one and two seconds. The third error matches the second
// retrier and causes a wait of five seconds. The fourth error also matches the first retrier.
// However, it already reached its maximum of two retries ... Therefore, that retrier fails and
// the execution redirects the workflow to the MyState state through the Catch field."
TEST_F(ExecutionTest, RetriersKeepTheirOwnCountersAndThenCatch) {
  Start(R"({"StartAt":"X","States":{
    "X":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke",
      "Parameters":{"rc.$":"$$.State.RetryCount","tok.$":"$$.Task.Token"},
      "Retry":[{"ErrorEquals":["ErrorA","ErrorB"],"IntervalSeconds":1,"BackoffRate":2.0,"MaxAttempts":2},
               {"ErrorEquals":["ErrorC"],"IntervalSeconds":5}],
      "Catch":[{"ErrorEquals":["States.ALL"],"Next":"MyState","ResultPath":"$.error"}],
      "End":true},
    "MyState":{"Type":"Pass","End":true}}})",
        R"({"in":1})");
  const std::vector<std::pair<const char*, int>> failures{
      {"ErrorA", 1}, {"ErrorB", 2}, {"ErrorC", 5}};
  std::vector<std::string> tokens;
  for (std::size_t i = 0; i < failures.size(); ++i) {
    ASSERT_EQ(out_.tasks.size(), 1u) << i;
    const TaskCommand task = out_.tasks[0];
    EXPECT_EQ(task.retry_count, std::int64_t(i));
    EXPECT_EQ(S(task.input), R"({"rc":)" + std::to_string(i) + R"(,"tok":")" + task.token + "\"}");
    tokens.push_back(task.token);
    EXPECT_TRUE(Fail(task.task_id, failures[i].first, "c"));
    EXPECT_EQ(StepTypes(), (std::vector<std::string>{"TaskStarted", "TaskFailed"}));
    ASSERT_EQ(out_.timers.size(), 1u);
    EXPECT_EQ(out_.timers[0].fire_at, now_ + seconds(failures[i].second)) << failures[i].first;
    EXPECT_TRUE(out_.tasks.empty());
    FireLastTimer();
    // A retry schedules the task again without entering the state again.
    EXPECT_EQ(StepTypes(), std::vector<std::string>{"TaskScheduled"});
  }
  ASSERT_EQ(out_.tasks.size(), 1u);
  tokens.push_back(out_.tasks[0].token);
  // Every attempt has its own task id and token.
  for (std::size_t i = 0; i < tokens.size(); ++i) {
    for (std::size_t j = i + 1; j < tokens.size(); ++j) EXPECT_NE(tokens[i], tokens[j]);
  }
  EXPECT_TRUE(Fail(out_.tasks[0].task_id, "ErrorB", "last"));
  EXPECT_TRUE(out_.timers.empty());
  EXPECT_EQ(StepTypes(), (std::vector<std::string>{"TaskStarted", "TaskFailed", "TaskStateExited",
                                                   "PassStateEntered", "PassStateExited",
                                                   "ExecutionSucceeded"}));
  EXPECT_EQ(Output(), R"({"in":1,"error":{"Error":"ErrorB","Cause":"last"}})");
  EXPECT_EQ(out_.events[3].name, "MyState");
  // The state was entered once.
  int entered = 0;
  for (const HistoryEvent& e : history_) entered += e.type == EventType::kTaskStateEntered;
  EXPECT_EQ(entered, 1);
}

TEST_F(ExecutionTest, RetryBackoffIsCappedByMaxDelaySeconds) {
  Start(R"({"StartAt":"X","States":{"X":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke",
      "Retry":[{"ErrorEquals":["States.ALL"],"IntervalSeconds":10,"BackoffRate":3,
                "MaxAttempts":5,"MaxDelaySeconds":50}],
      "End":true}}})");
  for (int expected : {10, 30, 50, 50, 50}) {
    ASSERT_EQ(out_.tasks.size(), 1u);
    EXPECT_TRUE(Fail(out_.tasks[0].task_id, "E"));
    ASSERT_EQ(out_.timers.size(), 1u);
    EXPECT_EQ(out_.timers[0].fire_at - now_, seconds(expected));
    FireLastTimer();
  }
  // MaxAttempts reached: the sixth failure ends the execution with that error.
  EXPECT_TRUE(Fail(out_.tasks[0].task_id, "E", "final"));
  EXPECT_EQ(exec_->status(), ExecutionStatus::kFailed);
  EXPECT_EQ(exec_->error(), "E");
  EXPECT_EQ(exec_->cause(), "final");
}

TEST_F(ExecutionTest, FullJitterDrawsTheDelayBetweenZeroAndTheBackoff) {
  // Half of the 4 s back-off with a Random whose NextDouble() is exactly 0.5.
  random_ = std::make_unique<FixedRandom>(std::uint64_t(1) << 63);
  Start(R"({"StartAt":"X","States":{"X":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke",
      "Retry":[{"ErrorEquals":["States.ALL"],"IntervalSeconds":4,"MaxAttempts":1,"JitterStrategy":"FULL"}],
      "End":true}}})");
  EXPECT_TRUE(Fail(out_.tasks[0].task_id, "E"));
  ASSERT_EQ(out_.timers.size(), 1u);
  EXPECT_EQ(out_.timers[0].fire_at - now_, milliseconds(2000));

  // With a real random source, always within [0, IntervalSeconds * BackoffRate^n].
  random_ = std::make_unique<SeededRandom>(12345);
  Start(R"({"StartAt":"X","States":{"X":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke",
      "Retry":[{"ErrorEquals":["States.ALL"],"IntervalSeconds":2,"BackoffRate":2,"MaxAttempts":6,"JitterStrategy":"FULL"}],
      "End":true}}})");
  bool all_equal_to_backoff = true;
  for (int n = 0; n < 6; ++n) {
    EXPECT_TRUE(Fail(out_.tasks[0].task_id, "E"));
    ASSERT_EQ(out_.timers.size(), 1u);
    const auto delay = out_.timers[0].fire_at - now_;
    const milliseconds backoff{2000 << n};
    EXPECT_GE(delay, milliseconds(0));
    EXPECT_LE(delay, backoff);
    all_equal_to_backoff = all_equal_to_backoff && delay == backoff;
    FireLastTimer();
  }
  EXPECT_FALSE(all_equal_to_backoff);
}

TEST_F(ExecutionTest, MaxAttemptsZeroNeverRetriesAndTheFirstMatchingRetrierDecides) {
  // The first retrier matches and allows no attempt; the second is never consulted.
  Start(R"({"StartAt":"X","States":{"X":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke",
      "Retry":[{"ErrorEquals":["E"],"MaxAttempts":0},{"ErrorEquals":["States.ALL"],"MaxAttempts":3}],
      "End":true}}})");
  EXPECT_TRUE(Fail(out_.tasks[0].task_id, "E"));
  EXPECT_TRUE(out_.timers.empty());
  EXPECT_EQ(exec_->status(), ExecutionStatus::kFailed);
}

TEST_F(ExecutionTest, StatesAllDoesNotCatchStatesRuntime) {
  // The JSONPath in Parameters matches nothing: States.Runtime, which no Retry or Catch handles.
  Start(R"({"StartAt":"X","States":{"X":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke",
      "Parameters":{"x.$":"$.missing"},
      "Retry":[{"ErrorEquals":["States.ALL"]}],
      "Catch":[{"ErrorEquals":["States.ALL"],"Next":"C"}],"End":true},
    "C":{"Type":"Succeed"}}})");
  EXPECT_TRUE(out_.tasks.empty());
  EXPECT_TRUE(out_.timers.empty());
  EXPECT_EQ(exec_->status(), ExecutionStatus::kFailed);
  EXPECT_EQ(exec_->error(), "States.Runtime");
  EXPECT_EQ(exec_->cause(),
            "An error occurred while executing the state 'X' (entered at the event id #2). The "
            "JSONPath '$.missing' specified for the field 'x.$' could not be found in the input "
            "'{}'");
  EXPECT_EQ(Types(),
            (std::vector<std::string>{"ExecutionStarted", "TaskStateEntered", "ExecutionFailed"}));
}

TEST_F(ExecutionTest, StatesTaskFailedCatchesTaskErrorsButNotTimeouts) {
  const char* def = R"({"StartAt":"X","States":{"X":{"Type":"Task",
      "Resource":"arn:aws:states:::lambda:invoke","TimeoutSeconds":10,
      "Catch":[{"ErrorEquals":["States.TaskFailed"],"Next":"C"}],"End":true},
    "C":{"Type":"Succeed"}}})";
  Start(def);
  EXPECT_TRUE(Fail(out_.tasks[0].task_id, "Lambda.ServiceException"));
  EXPECT_EQ(exec_->status(), ExecutionStatus::kSucceeded);

  Start(def);
  FireLastTimer();  // TimeoutSeconds ran out
  EXPECT_EQ(exec_->status(), ExecutionStatus::kFailed);
  EXPECT_EQ(exec_->error(), "States.Timeout");
}

TEST_F(ExecutionTest, TaskTimeoutIsATimerThenTaskTimedOutThenCaught) {
  Start(R"({"StartAt":"X","States":{"X":{"Type":"Task",
      "Resource":"arn:aws:states:::lambda:invoke","TimeoutSeconds":10,
      "Catch":[{"ErrorEquals":["States.Timeout"],"ResultPath":"$.err","Next":"C"}],"Next":"C"},
    "C":{"Type":"Pass","End":true}}})",
        R"({"a":1})");
  const std::int64_t task = out_.tasks[0].task_id;
  Started(task);
  ASSERT_EQ(timers_.size(), 1u);
  EXPECT_EQ(timers_[0].fire_at, kT0 + seconds(10));
  now_ = kT0 + seconds(10);
  Fire(timers_[0].timer_id);
  EXPECT_EQ(StepTypes(),
            (std::vector<std::string>{"TaskTimedOut", "TaskStateExited", "PassStateEntered",
                                      "PassStateExited", "ExecutionSucceeded"}));
  EXPECT_EQ(S(Details(out_.events[0])),
            R"({"resourceType":"lambda","resource":"invoke","error":"States.Timeout"})");
  // The runtime is told to stop waiting for the task.
  EXPECT_EQ(out_.cancelled_tasks, std::vector<std::int64_t>{task});
  EXPECT_EQ(Output(), R"({"a":1,"err":{"Error":"States.Timeout","Cause":""}})");
  // The result that arrives afterwards is too late.
  EXPECT_FALSE(Succeed(task, "{}"));
}

TEST_F(ExecutionTest, HeartbeatTimeoutIsCaughtByItsName) {
  Start(R"({"StartAt":"X","States":{"X":{"Type":"Task",
      "Resource":"arn:aws:states:::sqs:sendMessage.waitForTaskToken","HeartbeatSeconds":5,
      "Catch":[{"ErrorEquals":["States.HeartbeatTimeout"],"Next":"C"}],"End":true},
    "C":{"Type":"Succeed"}}})");
  out_ = StepOutput();
  EXPECT_TRUE(exec_->TaskTimedOut(tasks_[0].task_id, "States.HeartbeatTimeout", "", Env(), out_));
  Absorb();
  EXPECT_EQ(exec_->status(), ExecutionStatus::kSucceeded);
  EXPECT_EQ(out_.events[0].type, EventType::kTaskTimedOut);
}

TEST_F(ExecutionTest, CatcherResultPathAndTheFirstMatchingCatcher) {
  Start(R"({"StartAt":"X","States":{"X":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke",
      "Catch":[{"ErrorEquals":["Other"],"Next":"Wrong"},
               {"ErrorEquals":["Another","Custom"],"Next":"Right"},
               {"ErrorEquals":["States.ALL"],"Next":"Wrong"}],"End":true},
    "Right":{"Type":"Pass","End":true},"Wrong":{"Type":"Fail","Error":"wrong"}}})",
        R"({"in":1})");
  EXPECT_TRUE(Fail(out_.tasks[0].task_id, "Custom", "why"));
  EXPECT_EQ(exec_->status(), ExecutionStatus::kSucceeded);
  // Without ResultPath the error output replaces the input.
  EXPECT_EQ(Output(), R"({"Error":"Custom","Cause":"why"})");
  EXPECT_EQ(StepTypes(), (std::vector<std::string>{"TaskStarted", "TaskFailed", "TaskStateExited",
                                                   "PassStateEntered", "PassStateExited",
                                                   "ExecutionSucceeded"}));
  EXPECT_EQ(out_.events[3].name, "Right");
}

// ---------------------------------------------------------------------------------------------
// Payload size

TEST_F(ExecutionTest, TaskResultOverTheLimitIsDataLimitExceeded) {
  const char* def =
      R"({"StartAt":"X","States":{"X":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke",
      "Retry":[{"ErrorEquals":["States.ALL"]}],
      "Catch":[{"ErrorEquals":["States.ALL"],"Next":"C"}],"End":true},
    "C":{"Type":"Succeed"}}})";
  // {"s":"..."} is 8 bytes around the string: exactly 262144 bytes is allowed.
  Start(def);
  EXPECT_TRUE(Succeed(out_.tasks[0].task_id, R"({"s":")" + std::string(262144 - 8, 'a') + "\"}"));
  EXPECT_EQ(exec_->status(), ExecutionStatus::kSucceeded);

  // One byte more fails, and neither Retry nor Catch on States.ALL handles it.
  Start(def);
  EXPECT_TRUE(Succeed(out_.tasks[0].task_id, R"({"s":")" + std::string(262144 - 7, 'a') + "\"}"));
  EXPECT_TRUE(out_.timers.empty());
  EXPECT_EQ(exec_->status(), ExecutionStatus::kFailed);
  EXPECT_EQ(exec_->error(), "States.DataLimitExceeded");
}

TEST_F(ExecutionTest, StateOutputOverTheLimitIsDataLimitExceeded) {
  // The input is within the limit; ResultPath makes the output bigger than it.
  const std::string big(200000, 'b');
  Start(R"({"StartAt":"P","States":{"P":{"Type":"Pass","ResultPath":"$.copy","End":true}}})",
        R"({"s":")" + big + "\"}");
  EXPECT_EQ(exec_->status(), ExecutionStatus::kFailed);
  EXPECT_EQ(exec_->error(), "States.DataLimitExceeded");
}

// ---------------------------------------------------------------------------------------------
// Parallel

constexpr const char* kTwoBranches = R"({"StartAt":"P","States":{"P":{"Type":"Parallel",
    "Branches":[
      {"StartAt":"A","States":{"A":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke",
                                    "Parameters":{"b":"A","in.$":"$"},"End":true}}},
      {"StartAt":"B","States":{"B":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke",
                                    "Parameters":{"b":"B","in.$":"$"},"End":true}}}],
    %RETRY% "End":true}}})";

std::string TwoBranches(std::string retry = "") {
  std::string def = kTwoBranches;
  def.replace(def.find("%RETRY%"), 7, retry);
  return def;
}

TEST_F(ExecutionTest, ParallelResultsAreInBranchOrder) {
  Start(TwoBranches(), R"({"x":1})");
  ASSERT_EQ(out_.tasks.size(), 2u);
  EXPECT_EQ(S(out_.tasks[0].input), R"({"b":"A","in":{"x":1}})");
  EXPECT_EQ(S(out_.tasks[1].input), R"({"b":"B","in":{"x":1}})");
  EXPECT_EQ(Types()[1], "ParallelStateEntered");
  EXPECT_EQ(Types()[2], "ParallelStateStarted");
  // Each branch's events chain from ParallelStateStarted, not from the other branch's events.
  const HistoryEvent* entered_a = FindEvent(EventType::kTaskStateEntered, 0);
  const HistoryEvent* entered_b = FindEvent(EventType::kTaskStateEntered, 1);
  ASSERT_TRUE(entered_a && entered_b);
  EXPECT_EQ(entered_a->previous_event_id, 3);
  EXPECT_EQ(entered_b->previous_event_id, 3);
  EXPECT_EQ(FindEvent(EventType::kTaskScheduled, 1)->previous_event_id, entered_b->id);
  const std::int64_t a = out_.tasks[0].task_id, b = out_.tasks[1].task_id;
  EXPECT_TRUE(Succeed(b, R"("from B")"));
  EXPECT_EQ(exec_->status(), ExecutionStatus::kRunning);
  EXPECT_TRUE(Succeed(a, R"("from A")"));
  EXPECT_EQ(exec_->status(), ExecutionStatus::kSucceeded);
  EXPECT_EQ(Output(), R"(["from A","from B"])");
  EXPECT_EQ(StepTypes().back(), "ExecutionSucceeded");
  EXPECT_EQ(StepTypes()[StepTypes().size() - 2], "ParallelStateExited");
}

TEST_F(ExecutionTest, AFailingBranchAbortsTheOthersAndCancelsTheirTasks) {
  Start(TwoBranches());
  const std::int64_t a = out_.tasks[0].task_id, b = out_.tasks[1].task_id;
  EXPECT_TRUE(Fail(a, "Boom", "branch A"));
  EXPECT_EQ(exec_->status(), ExecutionStatus::kFailed);
  EXPECT_EQ(exec_->error(), "Boom");
  EXPECT_EQ(exec_->cause(), "branch A");
  EXPECT_EQ(out_.cancelled_tasks, std::vector<std::int64_t>{b});
  const std::vector<std::string> types = StepTypes();
  EXPECT_NE(std::find(types.begin(), types.end(), "ParallelStateFailed"), types.end());
  EXPECT_NE(std::find(types.begin(), types.end(), "TaskStateAborted"), types.end());
  EXPECT_EQ(types.back(), "ExecutionFailed");
  EXPECT_FALSE(exec_->IsTaskOpen(b));
  EXPECT_FALSE(Succeed(b, "{}"));
}

TEST_F(ExecutionTest, RetryingAParallelRunsEveryBranchAgain) {
  Start(TwoBranches(R"("Retry":[{"ErrorEquals":["Boom"],"IntervalSeconds":3,"MaxAttempts":1}],)"));
  const std::int64_t a = out_.tasks[0].task_id, b = out_.tasks[1].task_id;
  EXPECT_TRUE(Succeed(b, "2"));
  EXPECT_TRUE(Fail(a, "Boom"));
  EXPECT_EQ(exec_->status(), ExecutionStatus::kRunning);
  ASSERT_EQ(out_.timers.size(), 1u);
  EXPECT_EQ(out_.timers[0].fire_at, now_ + seconds(3));
  FireLastTimer();
  ASSERT_EQ(out_.tasks.size(), 2u);
  EXPECT_EQ(out_.events[0].type, EventType::kParallelStateStarted);
  EXPECT_NE(out_.tasks[0].task_id, a);
  EXPECT_NE(out_.tasks[1].task_id, b);
  EXPECT_TRUE(Succeed(out_.tasks[1].task_id, "20"));
  EXPECT_TRUE(Succeed(tasks_[tasks_.size() - 2].task_id, "10"));
  EXPECT_EQ(Output(), "[10,20]");
}

TEST_F(ExecutionTest, ParallelOfPureStatesRunsInOneStep) {
  Start(R"({"StartAt":"P","States":{"P":{"Type":"Parallel","ResultSelector":{"first.$":"$[0]"},
    "Branches":[{"StartAt":"A","States":{"A":{"Type":"Pass","Result":1,"End":true}}},
                {"StartAt":"B","States":{"B":{"Type":"Pass","Result":2,"End":true}}}],
    "End":true}}})");
  EXPECT_EQ(exec_->status(), ExecutionStatus::kSucceeded);
  EXPECT_EQ(Output(), R"({"first":1})");
}

// ---------------------------------------------------------------------------------------------
// Map

TEST_F(ExecutionTest, MapMaxConcurrencyBoundsOutstandingTasksAndKeepsItemOrder) {
  Start(R"({"StartAt":"M","States":{"M":{"Type":"Map","ItemsPath":"$.items","MaxConcurrency":2,
      "ItemSelector":{"idx.$":"$$.Map.Item.Index","val.$":"$$.Map.Item.Value","c.$":"$.c"},
      "ItemProcessor":{"StartAt":"T","States":{"T":{"Type":"Task",
        "Resource":"arn:aws:states:::lambda:invoke","End":true}}},
      "End":true}}})",
        R"({"items":["a","b","c","d","e"],"c":"k"})");
  ASSERT_EQ(out_.tasks.size(), 2u);
  EXPECT_EQ(S(out_.tasks[0].input), R"({"idx":0,"val":"a","c":"k"})");
  EXPECT_EQ(S(out_.tasks[1].input), R"({"idx":1,"val":"b","c":"k"})");
  const HistoryEvent* started = FindEvent(EventType::kMapStateStarted);
  ASSERT_NE(started, nullptr);
  EXPECT_EQ(S(Details(*started)), R"({"length":5})");
  const HistoryEvent* iteration = FindEvent(EventType::kMapIterationStarted);
  ASSERT_NE(iteration, nullptr);
  EXPECT_EQ(S(Details(*iteration)), R"({"name":"M","index":0})");

  // Completing in reverse order; never more than two open at once.
  std::vector<std::int64_t> open{tasks_[0].task_id, tasks_[1].task_id};
  std::map<std::int64_t, std::string> value_of;
  for (const TaskCommand& t : tasks_) value_of[t.task_id] = S(t.input);
  while (!open.empty()) {
    const std::int64_t id = open.back();
    open.pop_back();
    const std::string input = value_of[id];
    EXPECT_TRUE(Succeed(id, R"({"r":)" + input + "}"));
    for (const TaskCommand& t : out_.tasks) {
      open.push_back(t.task_id);
      value_of[t.task_id] = S(t.input);
    }
    EXPECT_LE(open.size(), 2u);
  }
  EXPECT_EQ(tasks_.size(), 5u);
  EXPECT_EQ(exec_->status(), ExecutionStatus::kSucceeded);
  json::Value out = *exec_->output();
  ASSERT_TRUE(out.is_array());
  ASSERT_EQ(out.as_array().size(), 5u);
  const char* letters[] = {"a", "b", "c", "d", "e"};
  for (std::size_t i = 0; i < 5; ++i) {
    EXPECT_EQ(S(out.as_array()[i]), R"({"r":{"idx":)" + std::to_string(i) + R"(,"val":")" +
                                        letters[i] + R"(","c":"k"}})");
  }
  const std::vector<std::string> types = Types();
  EXPECT_EQ(std::count(types.begin(), types.end(), "MapIterationStarted"), 5);
  EXPECT_EQ(std::count(types.begin(), types.end(), "MapIterationSucceeded"), 5);
  EXPECT_EQ(types[types.size() - 3], "MapStateSucceeded");
  EXPECT_EQ(types[types.size() - 2], "MapStateExited");
}

TEST_F(ExecutionTest, MapWithoutMaxConcurrencyStartsEveryItem) {
  Start(R"({"StartAt":"M","States":{"M":{"Type":"Map",
      "ItemProcessor":{"StartAt":"T","States":{"T":{"Type":"Task",
        "Resource":"arn:aws:states:::lambda:invoke","End":true}}},
      "End":true}}})",
        "[1,2,3,4]");
  EXPECT_EQ(out_.tasks.size(), 4u);
  // An empty array succeeds at once with [].
  Start(R"({"StartAt":"M","States":{"M":{"Type":"Map",
      "ItemProcessor":{"StartAt":"T","States":{"T":{"Type":"Pass","End":true}}},"End":true}}})",
        "[]");
  EXPECT_EQ(Output(), "[]");
}

TEST_F(ExecutionTest, AFailedIterationFailsTheMap) {
  Start(R"({"StartAt":"M","States":{"M":{"Type":"Map",
      "ItemProcessor":{"StartAt":"T","States":{"T":{"Type":"Task",
        "Resource":"arn:aws:states:::lambda:invoke","End":true}}},
      "End":true}}})",
        "[1,2,3]");
  ASSERT_EQ(out_.tasks.size(), 3u);
  EXPECT_TRUE(Fail(tasks_[1].task_id, "ItemError", "item 1"));
  EXPECT_EQ(exec_->status(), ExecutionStatus::kFailed);
  EXPECT_EQ(exec_->error(), "ItemError");
  const std::vector<std::string> types = StepTypes();
  ASSERT_GE(types.size(), 3u);
  EXPECT_EQ(types[2], "MapIterationFailed");
  EXPECT_EQ(S(Details(out_.events[2])), R"({"name":"M","index":1})");
  EXPECT_NE(std::find(types.begin(), types.end(), "MapStateFailed"), types.end());
  EXPECT_EQ(types.back(), "ExecutionFailed");
  std::vector<std::int64_t> cancelled = out_.cancelled_tasks;
  std::sort(cancelled.begin(), cancelled.end());
  EXPECT_EQ(cancelled, (std::vector<std::int64_t>{tasks_[0].task_id, tasks_[2].task_id}));
}

constexpr const char* kToleratedMap = R"({"StartAt":"M","States":{"M":{"Type":"Map",
    %TOLERANCE%,
    "ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"STANDARD"},
      "StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","End":true}}},
    "Catch":[{"ErrorEquals":["States.ExceedToleratedFailureThreshold"],"Next":"Over"}],
    "End":true},
  "Over":{"Type":"Pass","Result":"over","End":true}}})";

class ToleranceTest : public ExecutionTest {
 protected:
  // Runs the Map over `items` items, failing the first `failures` of them: the output, or the
  // error when the execution failed.
  std::string Run(const std::string& tolerance, int items, int failures) {
    std::string def = kToleratedMap;
    def.replace(def.find("%TOLERANCE%"), 11, tolerance);
    std::string input = "[";
    for (int i = 0; i < items; ++i) input += (i ? "," : "") + std::to_string(i);
    input += "]";
    Start(def, input);
    const std::vector<TaskCommand> tasks = out_.tasks;
    EXPECT_EQ(tasks.size(), std::size_t(items));
    for (int i = 0; i < items && exec_->status() == ExecutionStatus::kRunning; ++i) {
      if (i < failures) {
        Fail(tasks[i].task_id, "ItemError", "c");
      } else {
        Succeed(tasks[i].task_id, std::to_string(i));
      }
    }
    return exec_->status() == ExecutionStatus::kSucceeded ? Output() : exec_->error();
  }
};

TEST_F(ToleranceTest, ToleratedFailureCount) {
  // "The Map Run fails if the number of failed items exceeds ToleratedFailureCount."
  EXPECT_NE(Run(R"("ToleratedFailureCount":1)", 3, 1), R"("over")");
  EXPECT_EQ(exec_->status(), ExecutionStatus::kSucceeded);
  EXPECT_EQ(Run(R"("ToleratedFailureCount":1)", 3, 2), R"("over")");
  const std::vector<std::string> types = Types();
  EXPECT_NE(std::find(types.begin(), types.end(), "MapStateFailed"), types.end());
  EXPECT_EQ(Run(R"("ToleratedFailureCount":0)", 3, 1), R"("over")");
}

TEST_F(ToleranceTest, ToleratedFailurePercentage) {
  EXPECT_NE(Run(R"("ToleratedFailurePercentage":50)", 4, 2), R"("over")");
  EXPECT_EQ(exec_->status(), ExecutionStatus::kSucceeded);
  EXPECT_EQ(Run(R"("ToleratedFailurePercentage":50)", 4, 3), R"("over")");
  EXPECT_EQ(Run(R"("ToleratedFailurePercentage":0)", 4, 1), R"("over")");
  EXPECT_NE(Run(R"("ToleratedFailurePercentage":100)", 4, 4), R"("over")");
}

TEST_F(ExecutionTest, MapWithoutToleranceFailsWithTheIterationsError) {
  Start(R"({"StartAt":"M","States":{"M":{"Type":"Map","ItemsPath":"$.items",
      "ItemProcessor":{"StartAt":"F","States":{"F":{"Type":"Fail","Error":"E","Cause":"C"}}},
      "Catch":[{"ErrorEquals":["E"],"ResultPath":"$.err","Next":"Caught"}],"End":true},
    "Caught":{"Type":"Pass","OutputPath":"$.err","End":true}}})",
        R"({"items":[1]})");
  EXPECT_EQ(Output(), R"({"Error":"E","Cause":"C"})") << exec_->error() << ": " << exec_->cause();
}

// ---------------------------------------------------------------------------------------------
// Stop and the execution's timeout

TEST_F(ExecutionTest, StopAbortsAndCancelsWhatIsOutstanding) {
  Start(R"({"StartAt":"P","States":{"P":{"Type":"Parallel","Branches":[
      {"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","End":true}}},
      {"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":100,"End":true}}}],"End":true}}})");
  ASSERT_EQ(out_.tasks.size(), 1u);
  ASSERT_EQ(out_.timers.size(), 1u);
  const std::int64_t task = out_.tasks[0].task_id;
  const std::int64_t timer = out_.timers[0].timer_id;
  out_ = StepOutput();
  exec_->Stop("Operator", "stopped by hand", Env(), out_);
  Absorb();
  EXPECT_EQ(exec_->status(), ExecutionStatus::kAborted);
  ASSERT_FALSE(out_.events.empty());
  EXPECT_EQ(out_.events[0].type, EventType::kExecutionAborted);
  EXPECT_EQ(S(Details(out_.events[0])), R"({"error":"Operator","cause":"stopped by hand"})");
  EXPECT_EQ(out_.cancelled_tasks, std::vector<std::int64_t>{task});
  EXPECT_EQ(out_.cancelled_timers, std::vector<std::int64_t>{timer});
  EXPECT_FALSE(Succeed(task, "{}"));
  Fire(timer);
  EXPECT_TRUE(out_.events.empty());
  // A second Stop does nothing.
  out_ = StepOutput();
  exec_->Stop("Again", "", Env(), out_);
  EXPECT_TRUE(out_.events.empty());
  EXPECT_EQ(exec_->error(), "Operator");
}

TEST_F(ExecutionTest, TopLevelTimeoutSecondsTimesTheExecutionOut) {
  Start(R"({"TimeoutSeconds":5,"StartAt":"T","States":{"T":{"Type":"Task",
      "Resource":"arn:aws:states:::lambda:invoke","End":true}}})");
  ASSERT_EQ(out_.timers.size(), 1u);
  EXPECT_EQ(out_.timers[0].fire_at, kT0 + seconds(5));
  const std::int64_t task = out_.tasks[0].task_id;
  FireLastTimer();
  EXPECT_EQ(exec_->status(), ExecutionStatus::kTimedOut);
  EXPECT_EQ(StepTypes(), std::vector<std::string>{"ExecutionTimedOut"});
  EXPECT_EQ(S(Details(out_.events[0])).find(R"("error":"States.Timeout")"), 1u);
  EXPECT_EQ(out_.cancelled_tasks, std::vector<std::int64_t>{task});
  EXPECT_FALSE(Succeed(task, "{}"));

  // Finishing first cancels the execution's timer.
  Start(R"({"TimeoutSeconds":5,"StartAt":"T","States":{"T":{"Type":"Task",
      "Resource":"arn:aws:states:::lambda:invoke","End":true}}})");
  const std::int64_t execution_timer = out_.timers[0].timer_id;
  EXPECT_TRUE(Succeed(out_.tasks[0].task_id, "{}"));
  EXPECT_NE(std::find(out_.cancelled_timers.begin(), out_.cancelled_timers.end(), execution_timer),
            out_.cancelled_timers.end());
}

// ---------------------------------------------------------------------------------------------
// Without recorded payloads (stepway run without --history) the interpreter changes inputs in
// place and bounds sizes instead of measuring them: the results must not change.

TEST_F(ExecutionTest, InPlaceDataFlowGivesTheSameResults) {
  const std::string big(130000, 'q');
  struct Case {
    std::string definition, input;
  };
  std::vector<Case> cases{
      {R"({"StartAt":"P","States":{"P":{"Type":"Pass","InputPath":"$.a","ResultPath":"$.a","Next":"Q"},
         "Q":{"Type":"Pass","InputPath":"$.a.b","ResultPath":"$.c","End":true}}})",
       R"({"a":{"b":[1,2]},"z":0})"},
      {R"({"StartAt":"P","States":{"P":{"Type":"Pass","Result":{"r":1},"ResultPath":"$.a.b","Next":"Q"},
         "Q":{"Type":"Pass","Parameters":{"x.$":"$.a"},"ResultPath":"$.p","OutputPath":"$.p","End":true}}})",
       R"({"a":{"c":1}})"},
      // Doubling a 130 KB string passes the 256 KiB limit only on the second copy.
      {R"({"StartAt":"P","States":{"P":{"Type":"Pass","InputPath":"$.s","ResultPath":"$.t","Next":"Q"},
         "Q":{"Type":"Pass","InputPath":"$.s","ResultPath":"$.u","End":true}}})",
       R"({"s":")" + big + "\"}"},
      {R"({"StartAt":"P","States":{"P":{"Type":"Pass","InputPath":"$.s","ResultPath":"$.s","Next":"Q"},
         "Q":{"Type":"Pass","Parameters":{"a.$":"$.s","b.$":"$.s"},"End":true}}})",
       R"({"s":")" + big + "\"}"},
      {R"({"StartAt":"M","States":{"M":{"Type":"Map","ItemsPath":"$.xs","ResultPath":"$.xs",
         "ItemProcessor":{"StartAt":"I","States":{"I":{"Type":"Pass","Parameters":{"v.$":"$"},"End":true}}},
         "Next":"P"},
         "P":{"Type":"Parallel","Branches":[{"StartAt":"B","States":{"B":{"Type":"Pass","End":true}}},
           {"StartAt":"C","States":{"C":{"Type":"Pass","InputPath":"$.xs[0]","End":true}}}],"End":true}}})",
       R"({"xs":[1,"two",{"three":3}]})"},
  };
  // A failure whose cause names the entered event's id, caught, then failing again.
  cases.push_back(
      {R"({"StartAt":"P","States":{"P":{"Type":"Pass","InputPath":"$.nope","Next":"Q"},
         "Q":{"Type":"Pass","End":true}}})",
       R"({"a":1})"});
  cases.push_back(
      {R"({"StartAt":"M","States":{"M":{"Type":"Map","ItemsPath":"$.xs",
         "ItemProcessor":{"StartAt":"I","States":{"I":{"Type":"Pass","InputPath":"$.v",
           "Parameters":{"v.$":"$.w"},"End":true}}},
         "Catch":[{"ErrorEquals":["States.ALL"],"ResultPath":"$.err","Next":"F"}],"End":true},
         "F":{"Type":"Pass","Parameters":{"c.$":"$.err.Cause"},"Next":"G"},
         "G":{"Type":"Fail","CausePath":"$.c","Error":"E"}}})",
       R"({"xs":[{"v":{"w":1}},{"v":{}}]})"});
  // Payloads recorded (the server), payloads not recorded, no events at all (engine_bench).
  struct Mode {
    bool payloads, events;
  };
  for (const Case& c : cases) {
    std::vector<std::string> results;
    for (Mode mode : {Mode{true, true}, Mode{false, true}, Mode{false, false}}) {
      options_.record_payloads = mode.payloads;
      options_.record_events = mode.events;
      Start(c.definition, c.input);
      if (!mode.events) {
        EXPECT_TRUE(out_.events.empty());
      }
      results.push_back(std::string(ExecutionStatusName(exec_->status())) + " " +
                        (exec_->status() == ExecutionStatus::kSucceeded
                             ? Output()
                             : exec_->error() + " " + exec_->cause()) +
                        " " + std::to_string(exec_->last_event_id()));
    }
    EXPECT_EQ(results[0], results[1]) << c.definition;
    EXPECT_EQ(results[0], results[2]) << c.definition;
  }
  options_.record_events = true;
  // The third case does exceed the limit.
  options_.record_payloads = false;
  Start(cases[2].definition, cases[2].input);
  EXPECT_EQ(exec_->error(), "States.DataLimitExceeded");
}

// After ResultPath the input may have been changed in place or replaced (no payloads
// recorded): the failures that can still follow, OutputPath matching nothing and the payload
// limit, are terminal (no Retry or Catch reads the input again), and read the same in every mode.
TEST_F(ExecutionTest, FailuresAfterResultPathAreTheSameWithoutRecordedPayloads) {
  struct Mode {
    bool payloads, events;
  };
  for (std::string_view result_path : {R"("$.r")", R"("$")"}) {
    std::vector<std::string> results;
    for (Mode mode : {Mode{true, true}, Mode{false, true}, Mode{false, false}}) {
      options_.record_payloads = mode.payloads;
      options_.record_events = mode.events;
      Start(std::string(R"({"StartAt":"T","States":{"T":{"Type":"Task",
          "Resource":"arn:aws:states:::lambda:invoke","ResultPath":)") +
                std::string(result_path) + R"(,"OutputPath":"$.missing",
          "Catch":[{"ErrorEquals":["States.ALL"],"ResultPath":"$.err","Next":"P"}],"End":true},
          "P":{"Type":"Pass","End":true}}})",
            R"({"a":1})");
      ASSERT_FALSE(tasks_.empty());
      EXPECT_TRUE(Succeed(tasks_.back().task_id, R"({"v":2})"));
      results.push_back(std::string(ExecutionStatusName(exec_->status())) + " " + exec_->error() +
                        " " + exec_->cause());
    }
    EXPECT_EQ(results[0].rfind("FAILED States.Runtime ", 0), 0u) << results[0];
    EXPECT_EQ(results[0], results[1]) << result_path;
    EXPECT_EQ(results[0], results[2]) << result_path;
  }
  options_ = ExecutionOptions();
}

// Without recorded payloads a Task whose every way out replaces its input hands the input to
// the task by move: the task sees the same input, and a state whose Catch keeps the input
// (ResultPath "$.err") still finds it after a failure.
TEST_F(ExecutionTest, TaskInputIsTheSameWhetherMovedOrCopied) {
  struct Mode {
    bool payloads, events;
  };
  for (std::string_view catch_path : {R"("$")", R"("$.err")"}) {
    std::vector<std::string> results;
    for (Mode mode : {Mode{true, true}, Mode{false, true}, Mode{false, false}}) {
      options_.record_payloads = mode.payloads;
      options_.record_events = mode.events;
      Start(std::string(R"({"StartAt":"T","States":{"T":{"Type":"Task",
          "Resource":"arn:aws:states:::lambda:invoke",
          "Catch":[{"ErrorEquals":["States.ALL"],"ResultPath":)") +
                std::string(catch_path) + R"(,"Next":"P"}],"End":true},
          "P":{"Type":"Pass","End":true}}})",
            R"({"a":1})");
      ASSERT_FALSE(tasks_.empty());
      EXPECT_EQ(S(tasks_.back().input), R"({"a":1})");
      EXPECT_TRUE(Fail(tasks_.back().task_id, "E", "c"));
      results.push_back(std::string(ExecutionStatusName(exec_->status())) + " " + Output());
    }
    EXPECT_EQ(results[0], results[1]) << catch_path;
    EXPECT_EQ(results[0], results[2]) << catch_path;
    if (catch_path == R"("$.err")") {
      EXPECT_EQ(results[0], R"(SUCCEEDED {"a":1,"err":{"Error":"E","Cause":"c"}})");
    }
  }
  options_ = ExecutionOptions();
}

// Without recorded payloads a Pass state that rewrites what it (or another state) wrote at
// its ResultPath evaluates its Parameters into that node: the output is the same in every mode,
// also when Parameters read the node they replace, and for ResultPath "$".
TEST_F(ExecutionTest, ParametersWrittenInPlaceGiveTheSameOutput) {
  struct Mode {
    bool payloads, events;
  };
  const char* definitions[] = {
      R"j({"StartAt":"A","States":{
        "A":{"Type":"Pass","Parameters":{"a.$":"$.t.b","b.$":"$.t.a","n.$":"$.n"},
             "ResultPath":"$.t","Next":"B"},
        "B":{"Type":"Pass","Parameters":{"a.$":"$.t.b","b.$":"$.t.a","n.$":"$.t.n"},
             "ResultPath":"$.t","Next":"C"},
        "C":{"Type":"Pass","Parameters":{"a.$":"States.Format('{}{}', $.t.a, $.t.b)",
             "b.$":"$.t","n":3},"ResultPath":"$.t","OutputPath":"$.t","End":true}}})j",
      R"({"StartAt":"A","States":{
        "A":{"Type":"Pass","Parameters":{"x.$":"$.y","y.$":"$.x"},"Next":"B"},
        "B":{"Type":"Pass","Parameters":{"x.$":"$.y","y.$":"$.x"},"Next":"C"},
        "C":{"Type":"Pass","Parameters":{"x.$":"$.y","y.$":"$.missing"},"End":true}}})",
  };
  for (const char* definition : definitions) {
    std::vector<std::string> results;
    for (Mode mode : {Mode{true, true}, Mode{false, true}, Mode{false, false}}) {
      options_.record_payloads = mode.payloads;
      options_.record_events = mode.events;
      Start(definition, R"({"x":1,"y":2,"n":0,"t":{"a":"p","b":"q","n":-1}})");
      results.push_back(std::string(ExecutionStatusName(exec_->status())) + " " + Output() +
                        " " + exec_->error() + " " + exec_->cause());
    }
    EXPECT_EQ(results[0], results[1]) << definition;
    EXPECT_EQ(results[0], results[2]) << definition;
  }
  options_ = ExecutionOptions();
  Start(definitions[0], R"({"x":1,"y":2,"n":0,"t":{"a":"p","b":"q","n":-1}})");
  EXPECT_EQ(Output(), R"({"a":"pq","b":{"a":"p","b":"q","n":0},"n":3})");
  Start(definitions[1], R"({"x":1,"y":2})");
  EXPECT_EQ(exec_->error(), "States.Runtime");
}

// ---------------------------------------------------------------------------------------------
// Variables

TEST_F(ExecutionTest, AssignedVariablesAreVisibleLaterAndShownInStateExited) {
  Start(R"({"StartAt":"A","States":{
    "A":{"Type":"Pass","Assign":{"x":1,"y.$":"$.in"},"Next":"B"},
    "B":{"Type":"Pass","Assign":{"x.$":"$y","y.$":"$x"},"Next":"C"},
    "C":{"Type":"Pass","Parameters":{"x.$":"$x","y.$":"$y"},"End":true}}})",
        R"({"in":"v"})");
  ASSERT_EQ(exec_->status(), ExecutionStatus::kSucceeded) << exec_->cause();
  // Assign reads every variable's value from before the state: B swaps x and y.
  EXPECT_EQ(Output(), R"({"x":"v","y":1})");
  const HistoryEvent* a = FindEvent(EventType::kPassStateExited, 0);
  ASSERT_NE(a, nullptr);
  json::Object details = Details(*a);
  // assignedVariables holds each value as JSON text.
  EXPECT_EQ(S(details["assignedVariables"]), R"({"x":"1","y":"\"v\""})");
  EXPECT_EQ(S(details["assignedVariablesDetails"]), R"({"truncated":false})");
  const HistoryEvent* c = FindEvent(EventType::kPassStateExited, 2);
  ASSERT_NE(c, nullptr);
  EXPECT_FALSE(Details(*c).contains("assignedVariables"));
}

TEST_F(ExecutionTest, BranchesReadOuterVariables) {
  Start(R"({"StartAt":"A","States":{
    "A":{"Type":"Pass","Assign":{"outer":"o"},"Next":"P"},
    "P":{"Type":"Parallel","Branches":[{"StartAt":"B","States":{"B":{"Type":"Pass",
        "Parameters":{"seen.$":"$outer"},"End":true}}}],"End":true}}})");
  ASSERT_EQ(exec_->status(), ExecutionStatus::kSucceeded) << exec_->cause();
  EXPECT_EQ(Output(), R"([{"seen":"o"}])");
}

}  // namespace
}  // namespace stepway::engine
