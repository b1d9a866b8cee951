// Nested executions: `arn:aws:states:::states:startExecution` in its four patterns
// (https://docs.aws.amazon.com/step-functions/latest/dg/connect-stepfunctions.html).
//
// Parameters: StateMachineArn (required), Input (any JSON; a string is taken as the JSON text of
// the input, as AWS does), Name (optional). `AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID` reaches
// the child as the definition passes it, inside Input.
//
// - request-response: the task ends when the child has started, with {ExecutionArn, StartDate}.
// - `.sync`: the task ends when the child does, with DescribeExecution's shape in PascalCase
//   (Output as a JSON string); `.sync:2` likewise with Input and Output parsed as JSON.
//   A child that fails, times out or is aborted fails the task with States.TaskFailed and the
//   child's DescribeExecution JSON as the cause.
// - `.waitForTaskToken`: the task is submitted once the child has started ({ExecutionArn,
//   StartDate}) and then waits for SendTaskSuccess/Failure with its token.
// A refused StartExecution fails the task with `StepFunctions.<Code>Exception` (such as
// StepFunctions.ExecutionAlreadyExistsException) and AWS's SDK-style cause.
//
// Recovery: a child without a Name gets one derived from the parent's ARN and the task id, so a
// task re-invoked after a restart (TaskInvocation::resumed) starts nothing new: StartExecution
// of the same name and input answers with the running child, and a child that already ended is
// watched (its end is reported at once).
//
// Thread-safe; never blocks the caller: the runtime's calls answer through callbacks.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <utility>

#include "runtime/integration.h"
#include "runtime/runtime.h"

namespace stepway::integrations {

// True for the resources this integration serves (states:startExecution[.pattern]).
bool IsNestedExecution(const runtime::TaskInvocation& invocation);

// The name a child without a Name gets: a UUID-shaped hash of the parent and the task.
std::string ChildExecutionName(std::string_view parent_execution_arn, std::int64_t task_id);

// A finished execution as `.sync` reports it (`parse_json`: `.sync:2`, Input/Output parsed).
json::Value DescribeForSync(const store::ExecutionRecord& record, bool parse_json);

class NestedExecutionIntegration final : public runtime::Integration {
 public:
  // `runtime` must outlive this object's use (the app keeps both until shutdown).
  explicit NestedExecutionIntegration(runtime::Runtime& runtime);

  void Invoke(runtime::TaskInvocation invocation,
              std::shared_ptr<runtime::TaskReporter> reporter) override;
  // A `.sync` task that is no longer wanted stops its child, as AWS does.
  void Cancel(const std::string& execution_arn, std::int64_t task_id) override;

 private:
  void Watch(std::string parent_arn, std::int64_t task_id, std::string child_arn, bool parse_json,
             std::shared_ptr<runtime::TaskReporter> reporter);

  runtime::Runtime& runtime_;
  std::mutex mu_;
  // (parent execution ARN, task id) -> child ARN, for running `.sync` children.
  std::map<std::pair<std::string, std::int64_t>, std::string> watched_;  // GUARDED_BY(mu_)
};

}  // namespace stepway::integrations
