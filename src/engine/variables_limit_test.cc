// The per-execution variables quota: all variables of one execution, every scope together, may
// take at most limits::kMaxVariablesPerExecutionBytes (10 MiB) of JSON. An Assign that would go
// past it fails the state with States.DataLimitExceeded, in JSONPath and JSONata mode alike; a
// reassigned variable gives back its old size, and a Map iteration's or Parallel branch's
// variables are given back when it ends.
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>

#include "asl/definition.h"
#include "asl/diagnostic.h"
#include "base/limits.h"
#include "base/random.h"
#include "base/time.h"
#include "engine/execution.h"
#include "json/json.h"

namespace stepway::engine {
namespace {

// A variable of this many characters serialises to kBig + 2 bytes (the quotes): 41 of them fit
// in 10 MiB (10,250,082 bytes), 42 do not (10,500,084).
constexpr std::size_t kBig = 250000;
constexpr int kFitting = int(limits::kMaxVariablesPerExecutionBytes / (kBig + 2));

class Tokens final : public TokenMinter {
 public:
  std::string Mint(std::int64_t task_id) override { return "token-" + std::to_string(task_id); }
};

class VariablesLimitTest : public testing::Test {
 protected:
  // Runs `definition` (pure states only) to its end on `input`.
  void Run(const json::Value& definition, const json::Value& input) {
    asl::ParsedDefinition parsed = asl::ParseDefinition(json::Serialize(definition));
    ASSERT_NE(parsed.definition, nullptr) << asl::FormatInvalidDefinition(parsed.diagnostics);
    ExecutionInfo info;
    info.execution_arn = "arn:aws:states:us-east-1:123456789012:execution:M:e1";
    info.execution_name = "e1";
    info.state_machine_arn = "arn:aws:states:us-east-1:123456789012:stateMachine:M";
    info.state_machine_name = "M";
    info.start_time = TimePoint(std::chrono::seconds(1700000000));
    ExecutionOptions options;
    options.record_payloads = false;
    exec_ = std::make_unique<Execution>(parsed.definition, info, options);
    StepOutput out;
    exec_->Start(input, Environment{info.start_time, random_, tokens_}, out);
    ASSERT_NE(exec_->status(), ExecutionStatus::kRunning);
  }

  static json::Value BigInput() { return json::Object{{"big", std::string(kBig, 'x')}}; }

  // A chain of `count` Pass states, each assigning `assign(i)`, then a Succeed state.
  template <typename F>
  static json::Object Chain(int count, F assign) {
    json::Object states;
    for (int i = 0; i < count; ++i) {
      json::Object pass{{"Type", "Pass"}, {"Assign", assign(i)}};
      pass["Next"] = i + 1 < count ? "S" + std::to_string(i + 1) : std::string("Done");
      states["S" + std::to_string(i)] = std::move(pass);
    }
    states["Done"] = json::Object{{"Type", "Succeed"}};
    return states;
  }

  static std::string Cause(std::string_view state) {
    return "The assignment in state '" + std::string(state) +
           "' has exceeded the maximum size limit of 10485760 bytes for all variables of the "
           "execution.";
  }

  SeededRandom random_{7};
  Tokens tokens_;
  std::unique_ptr<Execution> exec_;
};

TEST_F(VariablesLimitTest, JsonPathVariablesUpToTheLimitSucceed) {
  json::Object states = Chain(kFitting, [](int i) {
    return json::Object{{"v" + std::to_string(i) + ".$", "$.big"}};
  });
  Run(json::Object{{"StartAt", "S0"}, {"States", std::move(states)}}, BigInput());
  EXPECT_EQ(exec_->status(), ExecutionStatus::kSucceeded) << exec_->cause();
}

TEST_F(VariablesLimitTest, JsonPathAssignPastTheLimitIsDataLimitExceeded) {
  json::Object states = Chain(kFitting + 1, [](int i) {
    return json::Object{{"v" + std::to_string(i) + ".$", "$.big"}};
  });
  Run(json::Object{{"StartAt", "S0"}, {"States", std::move(states)}}, BigInput());
  EXPECT_EQ(exec_->status(), ExecutionStatus::kFailed);
  EXPECT_EQ(exec_->error(), "States.DataLimitExceeded");
  EXPECT_EQ(exec_->cause(), Cause("S" + std::to_string(kFitting)));
}

TEST_F(VariablesLimitTest, JsonataAssignPastTheLimitIsDataLimitExceeded) {
  json::Object states = Chain(kFitting + 1, [](int i) {
    return json::Object{{"v" + std::to_string(i), "{% $states.input.big %}"}};
  });
  Run(json::Object{{"QueryLanguage", "JSONata"}, {"StartAt", "S0"}, {"States", std::move(states)}},
      BigInput());
  EXPECT_EQ(exec_->error(), "States.DataLimitExceeded");
  EXPECT_EQ(exec_->cause(), Cause("S" + std::to_string(kFitting)));
}

// DataLimitExceeded is terminal: a Catch on States.ALL around it does not catch it.
TEST_F(VariablesLimitTest, TheFailureIsNotCaughtByStatesAll) {
  json::Object inner = Chain(kFitting + 1, [](int i) {
    return json::Object{{"v" + std::to_string(i) + ".$", "$.big"}};
  });
  json::Object states;
  states["Par"] = json::Object{
      {"Type", "Parallel"},
      {"Branches", json::Array{json::Object{{"StartAt", "S0"}, {"States", std::move(inner)}}}},
      {"Catch", json::Array{json::Object{{"ErrorEquals", json::Array{"States.ALL"}},
                                         {"Next", "Caught"}}}},
      {"End", true}};
  states["Caught"] = json::Object{{"Type", "Succeed"}};
  Run(json::Object{{"StartAt", "Par"}, {"States", std::move(states)}}, BigInput());
  EXPECT_EQ(exec_->status(), ExecutionStatus::kFailed);
  EXPECT_EQ(exec_->error(), "States.DataLimitExceeded");
}

// Reassigning a variable replaces its size: 100 reassignments of the same 250 KB variable stay
// far below 10 MiB.
TEST_F(VariablesLimitTest, ReassignmentGivesBackTheOldSize) {
  json::Object states = Chain(100, [](int) {
    return json::Object{{"same", "{% $states.input.big %}"}};
  });
  Run(json::Object{{"QueryLanguage", "JSONata"}, {"StartAt", "S0"}, {"States", std::move(states)}},
      BigInput());
  EXPECT_EQ(exec_->status(), ExecutionStatus::kSucceeded) << exec_->cause();
}

// A loop that reassigns the same variables many times never accumulates.
TEST_F(VariablesLimitTest, LoopReassigningVariablesSucceeds) {
  json::Value definition = json::Parse(R"({"QueryLanguage":"JSONata","StartAt":"Loop","States":{
    "Loop":{"Type":"Pass","Assign":{"n":"{% ($exists($n) ? $n : 0) + 1 %}",
                                    "blob":"{% $states.input.big %}"},"Next":"Check"},
    "Check":{"Type":"Choice","Choices":[{"Condition":"{% $n < 60 %}","Next":"Loop"}],
             "Default":"Done"},
    "Done":{"Type":"Succeed","Output":"{% $n %}"}}})")
                               .value();
  Run(definition, BigInput());
  EXPECT_EQ(exec_->status(), ExecutionStatus::kSucceeded) << exec_->cause();
  EXPECT_EQ(json::Serialize(*exec_->output()), "60");
}

// A variable of an inner scope with the name of an outer one shadows it: both count.
TEST_F(VariablesLimitTest, ShadowingInAnInnerScopeAddsToTheTotal) {
  // The top level holds 40 variables (10,000,080 bytes); one Parallel branch assigns 2 more,
  // one of them named like an outer variable: 42 in all.
  json::Object states = Chain(kFitting - 1, [](int i) {
    return json::Object{{"v" + std::to_string(i) + ".$", "$.big"}};
  });
  const std::string last = "S" + std::to_string(kFitting - 2);
  states[last].as_object()["Next"] = "Par";
  json::Value branch = json::Parse(R"({"StartAt":"B1","States":{
    "B1":{"Type":"Pass","Assign":{"v0.$":"$.big"},"Next":"B2"},
    "B2":{"Type":"Pass","Assign":{"w.$":"$.big"},"End":true}}})")
                           .value();
  states["Par"] = json::Object{{"Type", "Parallel"},
                               {"Branches", json::Array{branch}},
                               {"Next", "Done"}};
  Run(json::Object{{"StartAt", "S0"}, {"States", std::move(states)}}, BigInput());
  EXPECT_EQ(exec_->error(), "States.DataLimitExceeded");
  EXPECT_EQ(exec_->cause(), Cause("B2"));
}

// A Map iteration's variables end with the Map: 30 iterations of 250 KB each, then 30 more
// top-level variables, fit (7.5 MB at most at any time), though 60 at once would not.
TEST_F(VariablesLimitTest, IterationVariablesAreGivenBackWhenTheMapEnds) {
  json::Object states = Chain(30, [](int i) {
    return json::Object{{"v" + std::to_string(i), "{% $states.input.big %}"}};
  });
  json::Value map = json::Parse(R"({"Type":"Map","Items":"{% [1..30] %}",
    "ItemProcessor":{"StartAt":"I","States":{
      "I":{"Type":"Pass","Assign":{"item":"{% $pad('', 250000, 'y') %}"},"Output":0,
           "End":true}}},
    "Output":"{% $states.input %}","Next":"S0"})")
                        .value();
  states["Map"] = map;
  Run(json::Object{{"QueryLanguage", "JSONata"}, {"StartAt", "Map"}, {"States", std::move(states)}},
      BigInput());
  EXPECT_EQ(exec_->status(), ExecutionStatus::kSucceeded) << exec_->cause();
}

// The same Map with 45 iterations goes past the limit while its iterations are alive.
TEST_F(VariablesLimitTest, LiveIterationVariablesCount) {
  json::Value map = json::Parse(R"({"Type":"Map","Items":"{% [1..45] %}",
    "ItemProcessor":{"StartAt":"I","States":{
      "I":{"Type":"Pass","Assign":{"item":"{% $pad('', 250000, 'y') %}"},"Output":0,
           "End":true}}},
    "End":true})")
                        .value();
  Run(json::Object{{"QueryLanguage", "JSONata"},
                   {"StartAt", "Map"},
                   {"States", json::Object{{"Map", map}}}},
      BigInput());
  EXPECT_EQ(exec_->error(), "States.DataLimitExceeded");
  EXPECT_EQ(exec_->cause(), Cause("I"));
}

}  // namespace
}  // namespace stepway::engine
