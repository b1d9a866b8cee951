#include "integrations/lambda.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <thread>

#include "engine/resource.h"
#include "http/server.h"
#include "json/json.h"

namespace stepway::integrations {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

constexpr const char* kExecution =
    "arn:aws:states:us-east-1:123456789012:execution:machine:run-1";
constexpr const char* kInvoke = "arn:aws:states:::lambda:invoke";

// Records every report; Wait() returns the first one.
class Reporter final : public runtime::TaskReporter {
 public:
  struct Report {
    std::string kind;  // "Succeeded", "Failed", "Submitted"
    json::Value value;
    std::string error, cause;
  };
  void Submitted(json::Value v) override { Add({"Submitted", std::move(v), "", ""}); }
  void Succeeded(json::Value v) override { Add({"Succeeded", std::move(v), "", ""}); }
  void Failed(std::string e, std::string c) override { Add({"Failed", {}, std::move(e), std::move(c)}); }

  Report Wait(std::chrono::milliseconds timeout = 20s) {
    std::unique_lock<std::mutex> lock(mu_);
    EXPECT_TRUE(cv_.wait_for(lock, timeout, [this] { return !reports_.empty(); }))
        << "no report";
    return reports_.empty() ? Report{"none", {}, "", ""} : reports_.front();
  }
  std::size_t Count() {
    std::lock_guard<std::mutex> lock(mu_);
    return reports_.size();
  }

 private:
  void Add(Report r) {
    std::lock_guard<std::mutex> lock(mu_);
    reports_.push_back(std::move(r));
    cv_.notify_all();
  }
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Report> reports_;  // guarded by mu_
};

runtime::TaskInvocation Invocation(std::string_view resource, std::string_view input,
                                   std::int64_t task_id = 1) {
  runtime::TaskInvocation i;
  i.execution_arn = kExecution;
  i.execution_name = "run-1";
  i.region = "us-east-1";
  i.account = "123456789012";
  i.command.task_id = task_id;
  i.command.resource = std::make_shared<const engine::Resource>(engine::ParseResource(resource));
  i.command.input = *json::Parse(input);
  return i;
}

class LambdaTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/stepway-lambda-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { fs::remove_all(dir_); }

  void Function(const std::string& name, const std::string& body) {
    const std::string path = dir_ + "/" + name;
    std::ofstream(path) << "#!/bin/sh\n" << body;
    ::chmod(path.c_str(), 0755);
  }

  LambdaOptions Options() {
    LambdaOptions o;
    o.functions_dir = dir_;
    o.timeout = 10s;
    return o;
  }

  Reporter::Report Run(LambdaIntegration& lambda, runtime::TaskInvocation invocation) {
    auto reporter = std::make_shared<Reporter>();
    lambda.Invoke(std::move(invocation), reporter);
    return reporter->Wait();
  }

  std::string dir_;
};

TEST(ParseFunctionNameTest, AcceptsTheFormsLambdaDoes) {
  auto f = ParseFunctionName("f");
  ASSERT_TRUE(f);
  EXPECT_EQ(f->name, "f");
  EXPECT_EQ(f->qualifier, "");
  f = ParseFunctionName("my-fn_2:prod");
  ASSERT_TRUE(f);
  EXPECT_EQ(f->name, "my-fn_2");
  EXPECT_EQ(f->qualifier, "prod");
  f = ParseFunctionName("123456789012:function:f:$LATEST");
  ASSERT_TRUE(f);
  EXPECT_EQ(f->name, "f");
  EXPECT_EQ(f->qualifier, "$LATEST");
  f = ParseFunctionName("arn:aws:lambda:eu-west-1:123456789012:function:f:3");
  ASSERT_TRUE(f);
  EXPECT_EQ(f->name, "f");
  EXPECT_EQ(f->qualifier, "3");
  for (const char* bad : {"", "../etc", "a/b", "..", "a.b", "f:", "arn:aws:lambda:r:a:layer:f",
                          "arn:aws:lambda:r:a:function:f:1:2", "a:b:c"}) {
    EXPECT_FALSE(ParseFunctionName(bad)) << bad;
  }
}

TEST_F(LambdaTest, LegacyArnPassesTheEventAndReturnsTheResult) {
  Function("double", "read event\necho \"event: $event\" >&2\necho \"{\\\"in\\\": $event, \\\"name\\\": \\\"$AWS_LAMBDA_FUNCTION_NAME\\\"}\"\n");
  LambdaIntegration lambda(Options());
  const auto r = Run(lambda, Invocation("arn:aws:lambda:us-east-1:123456789012:function:double",
                                        R"({"x":1})"));
  ASSERT_EQ(r.kind, "Succeeded") << r.error << " " << r.cause;
  EXPECT_EQ(json::Serialize(r.value), R"({"in":{"x":1},"name":"double"})");
}

TEST_F(LambdaTest, InvokeReturnsLambdasResponseShape) {
  Function("hello", "cat >/dev/null\necho '{\"greeting\":\"hi\"}'\n");
  LambdaIntegration lambda(Options());
  const auto r = Run(lambda, Invocation(kInvoke, R"({"FunctionName":"hello","Payload":{"a":1}})"));
  ASSERT_EQ(r.kind, "Succeeded") << r.error << " " << r.cause;
  const json::Value& v = r.value;
  EXPECT_EQ(json::Serialize(*json::Find(v, "Payload")), R"({"greeting":"hi"})");
  EXPECT_EQ(json::Serialize(*json::Find(v, "StatusCode")), "200");
  EXPECT_EQ(json::Serialize(*json::Find(v, "ExecutedVersion")), R"("$LATEST")");
  const json::Value* metadata = json::Find(v, "SdkHttpMetadata");
  ASSERT_TRUE(metadata);
  EXPECT_EQ(json::Serialize(*json::Find(*metadata, "HttpStatusCode")), "200");
  const json::Value* all = json::Find(*metadata, "AllHttpHeaders");
  ASSERT_TRUE(all && all->is_object());
  EXPECT_EQ(json::Serialize(*json::Find(*all, "Content-Type")), R"(["application/json"])");
  const json::Value* single = json::Find(*metadata, "HttpHeaders");
  ASSERT_TRUE(single);
  const std::string request_id = std::string(json::Find(*single, "x-amzn-RequestId")->as_string());
  EXPECT_EQ(request_id.size(), 36u);
  EXPECT_EQ(json::Find(*json::Find(v, "SdkResponseMetadata"), "RequestId")->as_string(), request_id);
  // The members in AWS's order.
  std::vector<std::string> keys;
  for (const auto& kv : v.as_object()) keys.emplace_back(kv.key());
  EXPECT_EQ(keys, (std::vector<std::string>{"ExecutedVersion", "Payload", "SdkHttpMetadata",
                                            "SdkResponseMetadata", "StatusCode"}));
}

TEST_F(LambdaTest, PayloadForms) {
  Function("echo", "cat\n");
  LambdaIntegration lambda(Options());
  auto payload_of = [&](std::string_view params) {
    const auto r = Run(lambda, Invocation(kInvoke, params));
    EXPECT_EQ(r.kind, "Succeeded") << r.error << " " << r.cause;
    const json::Value* p = json::Find(r.value, "Payload");
    return p ? json::Serialize(*p) : std::string("<none>");
  };
  EXPECT_EQ(payload_of(R"({"FunctionName":"echo"})"), "{}");
  EXPECT_EQ(payload_of(R"({"FunctionName":"echo","Payload":"{\"a\":[1]}"})"), R"({"a":[1]})");
  EXPECT_EQ(payload_of(R"({"FunctionName":"echo:live","Payload":[1,2]})"), "[1,2]");
  // An answer that is not JSON fails the task where Retry and Catch see it.
  Function("text", "echo not json\n");
  const auto text = Run(lambda, Invocation(kInvoke, R"({"FunctionName":"text"})"));
  EXPECT_EQ(text.kind, "Failed");
  EXPECT_EQ(text.error, "Lambda.Unknown");
  EXPECT_NE(text.cause.find("not valid JSON"), std::string::npos) << text.cause;
  Function("quiet", "exit 0\n");
  EXPECT_EQ(payload_of(R"({"FunctionName":"quiet"})"), "null");
}

TEST_F(LambdaTest, FunctionErrorsAreNamedByTheirErrorType) {
  Function("fails", "echo '{\"errorType\": \"MyError\", \"errorMessage\": \"boom\"}'\nexit 1\n");
  LambdaIntegration lambda(Options());
  for (const char* resource : {kInvoke, "arn:aws:lambda:us-east-1:123456789012:function:fails"}) {
    const auto r = Run(lambda, Invocation(resource, R"({"FunctionName":"fails"})"));
    ASSERT_EQ(r.kind, "Failed") << resource;
    EXPECT_EQ(r.error, "MyError");
    EXPECT_EQ(r.cause, R"({"errorType":"MyError","errorMessage":"boom"})");
  }
}

TEST_F(LambdaTest, CrashesAreRuntimeExitErrors) {
  Function("crash", "echo partial\nexit 3\n");
  Function("killed", "kill -9 $$\n");
  LambdaIntegration lambda(Options());
  auto r = Run(lambda, Invocation(kInvoke, R"({"FunctionName":"crash"})"));
  ASSERT_EQ(r.kind, "Failed");
  EXPECT_EQ(r.error, "Runtime.ExitError");
  auto cause = json::Parse(r.cause);
  ASSERT_TRUE(cause) << r.cause;
  EXPECT_EQ(json::Find(*cause, "errorType")->as_string(), "Runtime.ExitError");
  EXPECT_TRUE(std::string(json::Find(*cause, "errorMessage")->as_string())
                  .ends_with("Error: Runtime exited with error: exit status 3"))
      << r.cause;
  r = Run(lambda, Invocation(kInvoke, R"({"FunctionName":"killed"})"));
  ASSERT_EQ(r.kind, "Failed");
  EXPECT_EQ(r.error, "Runtime.ExitError");
  EXPECT_NE(r.cause.find("signal: killed"), std::string::npos) << r.cause;
}

TEST_F(LambdaTest, TimeoutIsLambdaUnknown) {
  Function("slow", "sleep 30\n");
  LambdaOptions options = Options();
  options.timeout = 300ms;
  LambdaIntegration lambda(options);
  const auto start = std::chrono::steady_clock::now();
  const auto r = Run(lambda, Invocation(kInvoke, R"({"FunctionName":"slow"})"));
  ASSERT_EQ(r.kind, "Failed");
  EXPECT_EQ(r.error, "Lambda.Unknown");
  EXPECT_TRUE(r.cause.starts_with(
      "The cause could not be determined because Lambda did not return an error type. "
      "Returned payload: {\"errorMessage\":\""))
      << r.cause;
  EXPECT_TRUE(r.cause.ends_with(" Task timed out after 0.30 seconds\"}")) << r.cause;
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
}

TEST_F(LambdaTest, MissingAndInvalidFunctions) {
  LambdaIntegration lambda(Options());
  auto r = Run(lambda, Invocation(kInvoke, R"({"FunctionName":"nothing"})"));
  ASSERT_EQ(r.kind, "Failed");
  EXPECT_EQ(r.error, "Lambda.ResourceNotFoundException");
  EXPECT_TRUE(r.cause.starts_with(
      "Function not found: arn:aws:lambda:us-east-1:123456789012:function:nothing (Service: "
      "AWSLambda; Status Code: 404; Error Code: ResourceNotFoundException; Request ID: "))
      << r.cause;
  r = Run(lambda, Invocation(kInvoke, R"({"FunctionName":"../../bin/sh"})"));
  ASSERT_EQ(r.kind, "Failed");
  EXPECT_EQ(r.error, "Lambda.ValidationException");
  r = Run(lambda, Invocation(kInvoke, R"({"Payload":{}})"));
  ASSERT_EQ(r.kind, "Failed");
  EXPECT_EQ(r.error, "States.Runtime");
  r = Run(lambda, Invocation(kInvoke, R"({"FunctionName":"f","InvocationType":"Later"})"));
  ASSERT_EQ(r.kind, "Failed");
  EXPECT_EQ(r.error, "Lambda.ValidationException");
}

TEST_F(LambdaTest, WaitForTaskTokenReportsSubmitted) {
  Function("callback", "cat >/dev/null\necho '\"sent\"'\n");
  LambdaIntegration lambda(Options());
  const auto r = Run(lambda, Invocation(std::string(kInvoke) + ".waitForTaskToken",
                                        R"({"FunctionName":"callback","Payload":{"token":"t"}})"));
  ASSERT_EQ(r.kind, "Submitted");
  EXPECT_EQ(json::Serialize(*json::Find(r.value, "Payload")), R"("sent")");
}

TEST_F(LambdaTest, EventAndDryRun) {
  const std::string marker = dir_ + "/ran";
  Function("async", "cat > " + marker + "\n");
  LambdaIntegration lambda(Options());
  auto r = Run(lambda, Invocation(kInvoke, R"({"FunctionName":"async","InvocationType":"Event","Payload":{"k":2}})"));
  ASSERT_EQ(r.kind, "Succeeded");
  EXPECT_EQ(json::Serialize(*json::Find(r.value, "StatusCode")), "202");
  EXPECT_EQ(json::Serialize(*json::Find(r.value, "Payload")), R"("")");
  EXPECT_EQ(json::Find(r.value, "ExecutedVersion"), nullptr);
  for (int i = 0; i < 100 && !fs::exists(marker); ++i) std::this_thread::sleep_for(20ms);
  std::this_thread::sleep_for(50ms);
  std::ifstream in(marker);
  std::string body((std::istreambuf_iterator<char>(in)), {});
  EXPECT_EQ(body, R"({"k":2})");
  r = Run(lambda, Invocation(kInvoke, R"({"FunctionName":"async","InvocationType":"DryRun"})"));
  ASSERT_EQ(r.kind, "Succeeded");
  EXPECT_EQ(json::Serialize(*json::Find(r.value, "StatusCode")), "204");
}

TEST_F(LambdaTest, CancelKillsTheFunction) {
  const std::string marker = dir_ + "/finished";
  Function("long", "sleep 1\ntouch " + marker + "\necho '{}'\n");
  LambdaIntegration lambda(Options());
  auto reporter = std::make_shared<Reporter>();
  lambda.Invoke(Invocation(kInvoke, R"({"FunctionName":"long"})", 7), reporter);
  std::this_thread::sleep_for(200ms);
  lambda.Cancel(kExecution, 7);
  lambda.Cancel(kExecution, 8);  // unknown: ignored
  std::this_thread::sleep_for(1500ms);
  EXPECT_FALSE(fs::exists(marker));
  EXPECT_EQ(reporter->Count(), 0u);
}

TEST_F(LambdaTest, ConcurrencyLimitQueues) {
  // Fails when another invocation holds the lock directory at the same time.
  Function("exclusive", "mkdir " + dir_ + "/lock || { echo '{\"errorType\":\"Overlap\"}'; exit 1; }\n"
                        "sleep 0.2\nrmdir " + dir_ + "/lock\necho '{}'\n");
  LambdaOptions options = Options();
  options.concurrency = 1;
  LambdaIntegration lambda(options);
  std::vector<std::shared_ptr<Reporter>> reporters;
  for (int i = 0; i < 4; ++i) {
    reporters.push_back(std::make_shared<Reporter>());
    lambda.Invoke(Invocation(kInvoke, R"({"FunctionName":"exclusive"})", i + 1), reporters.back());
  }
  for (auto& r : reporters) {
    const auto report = r->Wait();
    EXPECT_EQ(report.kind, "Succeeded") << report.error;
  }
}

TEST_F(LambdaTest, EnvironmentNamesTheServer) {
  Function("env", "echo \"[\\\"$STEPWAY_ENDPOINT\\\",\\\"$STEPWAY_EXECUTION_ARN\\\",\\\"$AWS_REGION\\\"]\"\n");
  LambdaIntegration lambda(Options());
  lambda.SetServiceEndpoint("http://127.0.0.1:1234");
  const auto r = Run(lambda, Invocation(kInvoke, R"({"FunctionName":"arn:aws:lambda:eu-west-1:123456789012:function:env"})"));
  ASSERT_EQ(r.kind, "Succeeded") << r.cause;
  EXPECT_EQ(json::Serialize(*json::Find(r.value, "Payload")),
            std::string(R"(["http://127.0.0.1:1234",")") + kExecution + R"(","eu-west-1"])");
}

// --lambda-endpoint: a fake Lambda Invoke API.
TEST(LambdaEndpointTest, ForwardsToTheInvokeApi) {
  std::mutex mu;
  std::vector<api::Request> seen;
  http::ServerOptions server_options;
  server_options.port = 0;
  server_options.threads = 1;
  auto server = http::StartServer(server_options, [&](api::Request request, api::Respond respond) {
    {
      std::lock_guard<std::mutex> lock(mu);
      seen.push_back(request);
    }
    api::Response response;
    response.content_type = "application/json";
    if (request.target.starts_with("/2015-03-31/functions/missing/")) {
      response.status = 404;
      response.headers.emplace_back("X-Amzn-ErrorType", "ResourceNotFoundException");
      response.body = R"({"Type":"User","message":"Function not found: arn:aws:lambda:us-east-1:123456789012:function:missing"})";
    } else if (request.target.starts_with("/2015-03-31/functions/broken/")) {
      response.headers.emplace_back("X-Amz-Function-Error", "Unhandled");
      response.body = R"({"errorType":"ValueError","errorMessage":"bad"})";
    } else {
      response.headers.emplace_back("X-Amz-Executed-Version", "7");
      response.body = R"({"echo":)" + request.body + "}";
    }
    respond(std::move(response));
  });
  ASSERT_TRUE(server.has_value());
  LambdaOptions options;
  options.endpoint = "http://127.0.0.1:" + std::to_string((*server)->port()) + "/";
  options.timeout = 10s;
  {
    LambdaIntegration lambda(options);
    auto reporter = std::make_shared<Reporter>();
    lambda.Invoke(Invocation(kInvoke, R"({"FunctionName":"fn","Qualifier":"live","Payload":{"a":1},"ClientContext":"e30="})"), reporter);
    auto r = reporter->Wait();
    ASSERT_EQ(r.kind, "Succeeded") << r.error << " " << r.cause;
    EXPECT_EQ(json::Serialize(*json::Find(r.value, "Payload")), R"({"echo":{"a":1}})");
    EXPECT_EQ(json::Find(r.value, "ExecutedVersion")->as_string(), "7");
    {
      std::lock_guard<std::mutex> lock(mu);
      ASSERT_EQ(seen.size(), 1u);
      EXPECT_EQ(seen[0].method, "POST");
      EXPECT_EQ(seen[0].target, "/2015-03-31/functions/fn/invocations?Qualifier=live");
      EXPECT_EQ(seen[0].Header("X-Amz-Invocation-Type"), "RequestResponse");
      EXPECT_EQ(seen[0].Header("X-Amz-Client-Context"), "e30=");
    }

    reporter = std::make_shared<Reporter>();
    lambda.Invoke(Invocation("arn:aws:lambda:us-east-1:123456789012:function:broken", "{}"), reporter);
    r = reporter->Wait();
    ASSERT_EQ(r.kind, "Failed");
    EXPECT_EQ(r.error, "ValueError");
    EXPECT_EQ(r.cause, R"({"errorType":"ValueError","errorMessage":"bad"})");

    reporter = std::make_shared<Reporter>();
    lambda.Invoke(Invocation(kInvoke, R"({"FunctionName":"missing"})"), reporter);
    r = reporter->Wait();
    ASSERT_EQ(r.kind, "Failed");
    EXPECT_EQ(r.error, "Lambda.ResourceNotFoundException");
    EXPECT_TRUE(r.cause.starts_with("Function not found: arn:aws:lambda:us-east-1:123456789012:"
                                    "function:missing (Service: AWSLambda; Status Code: 404; "
                                    "Error Code: ResourceNotFoundException; Request ID: "))
        << r.cause;
  }
  (*server)->Stop();
  LambdaIntegration unreachable(options);
  auto reporter = std::make_shared<Reporter>();
  unreachable.Invoke(Invocation(kInvoke, R"({"FunctionName":"fn"})"), reporter);
  const auto r = reporter->Wait();
  ASSERT_EQ(r.kind, "Failed");
  EXPECT_EQ(r.error, "Lambda.SdkClientException");
  EXPECT_TRUE(r.cause.starts_with("Unable to execute HTTP request: ")) << r.cause;
}

}  // namespace
}  // namespace stepway::integrations
