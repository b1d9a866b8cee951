// `stepway run` end to end in this process: files on disk, RunCommand, its stdout and exit code.
#include "cli/run_command.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "json/json.h"

namespace stepway::cli {
namespace {

namespace fs = std::filesystem;

struct Ran {
  int code = -1;
  std::string out;
  std::string err;
};

class RunCommandTest : public testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::path(testing::TempDir()) /
           ("stepway_run_" +
            std::string(testing::UnitTest::GetInstance()->current_test_info()->name()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string Write(const std::string& name, const std::string& text) {
    const fs::path p = dir_ / name;
    std::ofstream(p, std::ios::binary) << text;
    return p.string();
  }

  Ran Run(const RunCommandOptions& options) {
    Ran r;
    testing::internal::CaptureStdout();
    testing::internal::CaptureStderr();
    r.code = RunCommand(options);
    r.out = testing::internal::GetCapturedStdout();
    r.err = testing::internal::GetCapturedStderr();
    return r;
  }

  RunCommandOptions Options(const std::string& definition, const std::string& input = "{}") {
    RunCommandOptions o;
    o.definition_path = Write("definition.asl.json", definition);
    o.input = input;
    o.fast_waits = true;
    return o;
  }

  fs::path dir_;
};

json::Value J(std::string_view text) {
  auto v = json::Parse(text);
  EXPECT_TRUE(v.has_value()) << text;
  return v ? *v : json::Value();
}

// ---------------------------------------------------------------------------------------------
// Outcomes

TEST_F(RunCommandTest, SuccessPrintsTheOutputAndExitsZero) {
  const Ran r = Run(Options(R"j({"StartAt":"P","States":{"P":{"Type":"Pass",
      "Parameters":{"greeting.$":"States.Format('Hello, {}!', $.name)"},"End":true}}})j",
                            R"({"name":"World"})"));
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "{\"greeting\":\"Hello, World!\"}\n");
  EXPECT_EQ(r.err, "");
}

TEST_F(RunCommandTest, InputFromAFile) {
  RunCommandOptions o =
      Options(R"({"StartAt":"P","States":{"P":{"Type":"Pass","InputPath":"$.a","End":true}}})");
  o.input = "@" + Write("input.json", R"({"a":[1,2.5,"x"]})");
  const Ran r = Run(o);
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "[1,2.5,\"x\"]\n");
}

TEST_F(RunCommandTest, FailurePrintsStatusErrorCauseAndExitsOne) {
  Ran r = Run(Options(
      R"({"StartAt":"F","States":{"F":{"Type":"Fail","Error":"MyError","Cause":"it broke"}}})"));
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.out, "{\"status\":\"FAILED\",\"error\":\"MyError\",\"cause\":\"it broke\"}\n");

  // A Fail state without Cause: the cause is null, not "".
  r = Run(Options(R"({"StartAt":"F","States":{"F":{"Type":"Fail","Error":"E"}}})"));
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.out, "{\"status\":\"FAILED\",\"error\":\"E\",\"cause\":null}\n");

  // A runtime error is a failed execution too, not a usage error.
  r = Run(Options(
      R"({"StartAt":"P","States":{"P":{"Type":"Pass","InputPath":"$.missing","End":true}}})"));
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(json::Serialize(J(r.out).at("error")), "\"States.Runtime\"");
}

TEST_F(RunCommandTest, ExecutionTimeoutIsExitOne) {
  const Ran r = Run(Options(R"({"TimeoutSeconds":1,"StartAt":"W","States":{
      "W":{"Type":"Wait","Seconds":60,"End":true}}})"));
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(json::Serialize(J(r.out).at("status")), "\"TIMED_OUT\"");
  EXPECT_EQ(json::Serialize(J(r.out).at("error")), "\"States.Timeout\"");
}

TEST_F(RunCommandTest, FastWaitsDoNotSleep) {
  const auto start = std::chrono::steady_clock::now();
  const Ran r = Run(Options(
      R"({"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":3600,"End":true}}})", "[1]"));
  EXPECT_EQ(r.code, 0);
  EXPECT_EQ(r.out, "[1]\n");
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
}

TEST_F(RunCommandTest, TaskWithoutAMockFailsTheExecution) {
  const Ran r = Run(Options(R"({"StartAt":"T","States":{"T":{"Type":"Task",
      "Resource":"arn:aws:states:::lambda:invoke","End":true}}})"));
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(json::Serialize(J(r.out).at("status")), "\"FAILED\"");
}

// ---------------------------------------------------------------------------------------------
// Usage errors: exit 2, a message on stderr, nothing on stdout

TEST_F(RunCommandTest, BadDefinitionsAreUsageErrors) {
  for (const char* text : {"", "{", "not json", "[]",
                           R"({"StartAt":"Nope","States":{"P":{"Type":"Pass","End":true}}})",
                           R"({"StartAt":"P","States":{"P":{"Type":"Bogus","End":true}}})",
                           R"({"StartAt":"P","States":{"P":{"Type":"Pass"}}})"}) {
    const Ran r = Run(Options(text));
    EXPECT_EQ(r.code, 2) << text;
    EXPECT_EQ(r.out, "") << text;
    EXPECT_NE(r.err.find("stepway run: Invalid State Machine Definition"), std::string::npos)
        << text << " -> " << r.err;
  }
}

TEST_F(RunCommandTest, MissingFilesAreUsageErrors) {
  RunCommandOptions o;
  o.definition_path = (dir_ / "absent.json").string();
  Ran r = Run(o);
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("cannot read the definition file"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("absent.json"), std::string::npos) << r.err;

  // A directory is not a definition either.
  o.definition_path = dir_.string();
  r = Run(o);
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.out, "");

  o = Options(R"({"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}})");
  o.input = "@" + (dir_ / "no-input.json").string();
  r = Run(o);
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("cannot read the input file"), std::string::npos) << r.err;
}

TEST_F(RunCommandTest, BadInputJsonIsAUsageError) {
  for (const char* input : {"", "{", "{\"a\":}", "[1,]", "nope", "{} {}"}) {
    const Ran r =
        Run(Options(R"({"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}})", input));
    EXPECT_EQ(r.code, 2) << input;
    EXPECT_EQ(r.out, "") << input;
    EXPECT_NE(r.err.find("the input is not valid JSON"), std::string::npos) << r.err;
  }
  // Any JSON value is a valid input.
  const Ran r =
      Run(Options(R"({"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}})", " \"s\" "));
  EXPECT_EQ(r.code, 0);
  EXPECT_EQ(r.out, "\"s\"\n");
}

// ---------------------------------------------------------------------------------------------
// Mocked tasks

constexpr const char* kRetryDefinition = R"({"StartAt":"Call","States":{
  "Call":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke",
    "Parameters":{"FunctionName":"f","Payload.$":"$"},
    "ResultSelector":{"body.$":"$.Payload.body"},
    "Retry":[{"ErrorEquals":["Lambda.TooManyRequestsException"],"IntervalSeconds":1,
              "MaxAttempts":%MAX%}],
    "End":true}}})";

constexpr const char* kMockConfig = R"({
  "StateMachines":{
    "Machine":{"TestCases":{
      "HappyPath":{"Call":"CallOk"},
      "Flaky":{"Call":"CallFlaky"},
      "Broken":{"Call":"CallBroken"}}},
    "OtherMachine":{"TestCases":{"HappyPath":{"Call":"CallOk"}}}
  },
  "MockedResponses":{
    "CallOk":{"0":{"Return":{"StatusCode":200,"Payload":{"body":"ok"}}}},
    "CallFlaky":{
      "0":{"Throw":{"Error":"Lambda.TooManyRequestsException","Cause":"slow down"}},
      "1-2":{"Throw":{"Error":"Lambda.TooManyRequestsException","Cause":"still slow"}},
      "3":{"Return":{"StatusCode":200,"Payload":{"body":"finally"}}}},
    "CallBroken":{"0":{"Throw":{"Error":"Lambda.Unknown","Cause":"boom"}}}
  }
})";

std::string RetryDefinition(int max_attempts) {
  std::string d = kRetryDefinition;
  d.replace(d.find("%MAX%"), 5, std::to_string(max_attempts));
  return d;
}

TEST_F(RunCommandTest, MockedReturn) {
  RunCommandOptions o = Options(RetryDefinition(3));
  o.mock_config = Write("mock.json", kMockConfig);
  o.test_case = "HappyPath";
  o.state_machine = "Machine";
  const Ran r = Run(o);
  EXPECT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_EQ(r.out, "{\"body\":\"ok\"}\n");
}

TEST_F(RunCommandTest, MockRangesAreConsumedByRetries) {
  // Invocations 0, 1 and 2 throw; the third retry (invocation 3) returns.
  RunCommandOptions o = Options(RetryDefinition(3));
  o.mock_config = Write("mock.json", kMockConfig);
  o.test_case = "Flaky";
  Ran r = Run(o);
  EXPECT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_EQ(r.out, "{\"body\":\"finally\"}\n");

  // With two retries the third invocation still throws ("1-2" covers it).
  o = Options(RetryDefinition(2));
  o.mock_config = Write("mock.json", kMockConfig);
  o.test_case = "Flaky";
  r = Run(o);
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.out,
            "{\"status\":\"FAILED\",\"error\":\"Lambda.TooManyRequestsException\","
            "\"cause\":\"still slow\"}\n");
}

TEST_F(RunCommandTest, MockedThrowWithoutRetryFails) {
  RunCommandOptions o = Options(RetryDefinition(3));
  o.mock_config = Write("mock.json", kMockConfig);
  o.test_case = "Broken";
  const Ran r = Run(o);
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.out, "{\"status\":\"FAILED\",\"error\":\"Lambda.Unknown\",\"cause\":\"boom\"}\n");
}

TEST_F(RunCommandTest, MockConfigProblemsAreUsageErrors) {
  struct Case {
    std::string mock;  // file text; empty: no file at that path
    std::string test_case;
    std::string machine;
    const char* message;
  };
  const std::vector<Case> cases{
      {"", "HappyPath", "", "cannot read the mock config"},
      {"{not json", "HappyPath", "", "bad mock config"},
      {R"({"StateMachines":{"M":{"TestCases":{"T":{"S":"Missing"}}}}})", "T", "",
       "bad mock config"},
      {kMockConfig, "NoSuchCase", "",
       "no state machine in the mock config has the test case 'NoSuchCase'"},
      {kMockConfig, "HappyPath", "", "several state machines have the test case 'HappyPath'"},
      {kMockConfig, "Flaky", "OtherMachine", "no test case 'Flaky'"},
      {kMockConfig, "HappyPath", "NoSuchMachine", "no test case 'HappyPath'"},
  };
  for (const Case& c : cases) {
    RunCommandOptions o = Options(RetryDefinition(3));
    o.mock_config =
        c.mock.empty() ? (dir_ / "absent-mock.json").string() : Write("mock.json", c.mock);
    o.test_case = c.test_case;
    o.state_machine = c.machine;
    const Ran r = Run(o);
    EXPECT_EQ(r.code, 2) << c.message;
    EXPECT_EQ(r.out, "") << c.message;
    EXPECT_NE(r.err.find(c.message), std::string::npos) << c.message << " -> " << r.err;
  }
  // --mock-config and --test-case go together.
  RunCommandOptions o = Options(RetryDefinition(3));
  o.mock_config = Write("mock.json", kMockConfig);
  Ran r = Run(o);
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("go together"), std::string::npos) << r.err;
  o = Options(RetryDefinition(3));
  o.test_case = "HappyPath";
  r = Run(o);
  EXPECT_EQ(r.code, 2);
}

// ---------------------------------------------------------------------------------------------
// --history

TEST_F(RunCommandTest, HistoryPrintsTheEventsBeforeTheOutput) {
  RunCommandOptions o = Options(RetryDefinition(3), R"({"n":1})");
  o.mock_config = Write("mock.json", kMockConfig);
  o.test_case = "Flaky";
  o.history = true;
  const Ran r = Run(o);
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  const std::size_t newline = r.out.find('\n');
  ASSERT_NE(newline, std::string::npos);
  EXPECT_EQ(r.out.substr(newline + 1), "{\"body\":\"finally\"}\n");
  const json::Value history = J(r.out.substr(0, newline));
  const json::Array& events = history.at("events").as_array();
  std::vector<std::string> types;
  for (std::size_t i = 0; i < events.size(); ++i) {
    const json::Object& e = events[i].as_object();
    types.push_back(std::string(e.at("type").as_string()));
    EXPECT_EQ(e.at("id").as_int64(), std::int64_t(i + 1));
    EXPECT_TRUE(e.at("timestamp").is_number());
  }
  std::vector<std::string> expected{"ExecutionStarted", "TaskStateEntered"};
  for (int attempt = 0; attempt < 3; ++attempt) {
    for (const char* t : {"TaskScheduled", "TaskStarted", "TaskFailed"}) expected.push_back(t);
  }
  for (const char* t :
       {"TaskScheduled", "TaskStarted", "TaskSucceeded", "TaskStateExited", "ExecutionSucceeded"}) {
    expected.push_back(t);
  }
  EXPECT_EQ(types, expected);
  // The details are AWS's: the scheduled parameters and the failure's error and cause.
  const json::Object& scheduled = events[2].as_object().at("taskScheduledEventDetails").as_object();
  EXPECT_EQ(json::Serialize(scheduled.at("resourceType")), "\"lambda\"");
  EXPECT_EQ(json::Serialize(scheduled.at("resource")), "\"invoke\"");
  EXPECT_EQ(json::Serialize(scheduled.at("parameters")),
            R"("{\"FunctionName\":\"f\",\"Payload\":{\"n\":1}}")");
  const json::Object& failed = events[4].as_object().at("taskFailedEventDetails").as_object();
  EXPECT_EQ(json::Serialize(failed.at("error")), "\"Lambda.TooManyRequestsException\"");
  EXPECT_EQ(json::Serialize(failed.at("cause")), "\"slow down\"");
}

TEST_F(RunCommandTest, HistoryIsPrintedForFailuresToo) {
  RunCommandOptions o = Options(R"({"StartAt":"F","States":{"F":{"Type":"Fail","Error":"E"}}})");
  o.history = true;
  const Ran r = Run(o);
  EXPECT_EQ(r.code, 1);
  const std::size_t newline = r.out.find('\n');
  ASSERT_NE(newline, std::string::npos);
  const json::Value history = J(r.out.substr(0, newline));
  EXPECT_EQ(history.at("events").as_array().size(), 3u);
  EXPECT_EQ(r.out.substr(newline + 1), "{\"status\":\"FAILED\",\"error\":\"E\",\"cause\":null}\n");
}

}  // namespace
}  // namespace stepway::cli
