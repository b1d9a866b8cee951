// Lambda functions as Task resources, run locally or by anything that speaks the Lambda Invoke
// API:
//
// - `arn:aws:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER]` (the legacy form): the effective
//   input is the event, the function's result is the task's result. The engine records
//   LambdaFunctionScheduled/Started/Succeeded/Failed/TimedOut for it.
// - `arn:aws:states:::lambda:invoke[.waitForTaskToken]`: Parameters FunctionName (a name, a
//   name:qualifier, a partial or a full function ARN), Payload, Qualifier, InvocationType
//   (RequestResponse, Event, DryRun) and ClientContext. The result is Lambda's Invoke response
//   as Step Functions shows it: {"ExecutedVersion", "Payload" (parsed when JSON),
//   "SdkHttpMetadata": {"AllHttpHeaders", "HttpHeaders", "HttpStatusCode"},
//   "SdkResponseMetadata": {"RequestId"}, "StatusCode"}. With .waitForTaskToken that response
//   is the TaskSubmitted output and the task waits for its token.
//
// Where functions run (LambdaOptions): `functions_dir` runs NAME as the executable DIR/NAME with
// the event JSON on stdin and the result JSON expected on stdout (stderr lines go to the server's
// log, prefixed with the execution ARN); `endpoint` POSTs to
// {endpoint}/2015-03-31/functions/NAME/invocations (SAM local, the runtime interface emulator,
// LocalStack). At most `concurrency` invocations run at once; the rest wait in order.
//
// Failures, as Step Functions reports them:
// - the function's error (a non-zero exit whose stdout is {"errorType", "errorMessage", ...};
//   X-Amz-Function-Error from an endpoint): the error is its errorType, the cause its whole
//   answer; without an errorType, `Lambda.Unknown` with "The cause could not be determined
//   because Lambda did not return an error type. Returned payload: ...".
// - a crash (any other non-zero exit, or a signal): `Runtime.ExitError`, with Lambda's
//   {"errorType":"Runtime.ExitError","errorMessage":"RequestId: ... Error: Runtime exited with
//   error: exit status N"} as the cause.
// - running past `timeout` (the function's own timeout): `Lambda.Unknown`, whose returned
//   payload is Lambda's {"errorMessage":"<time> <request id> Task timed out after N.NN
//   seconds"}. (The Task state's TimeoutSeconds is the engine's: States.Timeout, and the
//   process is killed through Cancel.)
// - stdout over 6 MB: `Function.ResponseSizeTooLarge`.
// - Lambda service errors: `Lambda.<Code>` (Lambda.ResourceNotFoundException for a missing
//   executable or a 404, Lambda.ServiceException ...), and `Lambda.SdkClientException` when the
//   endpoint cannot be reached, each with the AWS SDK's cause text.
//
// Thread-safe. Invoke never blocks: processes are watched by a ProcessRunner and endpoint calls
// go through an HttpClient, each on its own thread. Destruction kills running functions.
#pragma once

#include <chrono>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/random.h"
#include "integrations/http_client.h"
#include "integrations/process_runner.h"
#include "runtime/integration.h"

namespace stepway::integrations {

struct LambdaOptions {
  std::string functions_dir;  // run NAME as DIR/NAME; or
  std::string endpoint;       // forward to the Lambda Invoke API here (when set, wins)
  int concurrency = 10;       // invocations running at once
  std::chrono::milliseconds timeout{60000};  // per invocation (Lambda's function timeout)
};

// Lambda's own limit on a synchronous invocation's response (6 MB), as Lambda enforces it
// (https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html).
inline constexpr std::size_t kLambdaMaxResponseBytes = 6291556;

// True for the legacy function ARN and for arn:aws:states:::lambda:invoke[.waitForTaskToken].
bool IsLambda(const runtime::TaskInvocation& invocation);

// What a FunctionName designates: "f", "f:prod", "123456789012:function:f",
// "arn:aws:lambda:us-east-1:123456789012:function:f:3".
struct FunctionName {
  std::string name;       // "f"
  std::string qualifier;  // "prod", "3" or ""
};
// nullopt when `text` is not a function name of one of those forms, or the name has characters
// other than letters, digits, '-' and '_' (so no path can be made of it).
std::optional<FunctionName> ParseFunctionName(std::string_view text);

class LambdaIntegration final : public runtime::Integration {
 public:
  explicit LambdaIntegration(LambdaOptions options);
  ~LambdaIntegration() override;

  void Invoke(runtime::TaskInvocation invocation,
              std::shared_ptr<runtime::TaskReporter> reporter) override;
  // Kills the function's process (or forgets a waiting invocation); nothing is reported.
  void Cancel(const std::string& execution_arn, std::int64_t task_id) override;

  // This server's Step Functions endpoint, once it listens ("http://127.0.0.1:8083"): local
  // functions get it as STEPWAY_ENDPOINT, and as AWS_ENDPOINT_URL_SFN and _TRANSFER unless the
  // server's own environment sets them, so that `aws stepfunctions send-task-success` and
  // `aws transfer send-workflow-step-state` reach this server.
  void SetServiceEndpoint(std::string url);

 private:
  struct Call;
  using Key = std::pair<std::string, std::int64_t>;  // execution ARN, task id

  void Admit(std::shared_ptr<Call> call);
  void Run(std::shared_ptr<Call> call);
  void RunProcess(std::shared_ptr<Call> call);
  void RunRemote(std::shared_ptr<Call> call);
  // The invocation ended (reported or not): frees its slot and runs the next one waiting.
  void Finish(const std::shared_ptr<Call>& call);
  std::vector<std::string> ProcessEnvironment(const Call& call);
  std::string NewRequestId();

  const LambdaOptions options_;
  const std::vector<std::string> base_environment_;

  std::mutex mu_;
  std::string service_endpoint_;                 // guarded by mu_
  bool stopping_ = false;                        // guarded by mu_
  int running_ = 0;                              // guarded by mu_
  std::deque<std::shared_ptr<Call>> waiting_;    // guarded by mu_
  std::map<Key, std::shared_ptr<Call>> calls_;   // running or waiting; guarded by mu_
  SystemRandom random_;                          // request ids; guarded by mu_

  // Last, so that they stop (and their callbacks end) before the state above goes.
  std::unique_ptr<ProcessRunner> runner_;
  std::unique_ptr<HttpClient> http_;
};

}  // namespace stepway::integrations
