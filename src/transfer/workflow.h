// Transfer workflows as state machines, and executions as Transfer describes them. Pure.
//
// A workflow compiles to an Amazon States Language definition that the runtime runs like any
// other (durable, timed, restartable): step i of Steps is the Task state "Step<i>", step j of
// OnExceptionSteps is "ExceptionStep<j>". Each Task's resource is
// arn:aws:states:::transfer:<type> (CUSTOM: custom.waitForTaskToken, so that it waits for
// SendWorkflowStepState), its Parameters carry the step's details and the workflow's state,
// and a Catch on States.ALL sends any error (a step failure, a FAILURE callback, a CUSTOM
// step's TimeoutSeconds) to the exception steps; after them the execution fails.
//
// The workflow's state — the execution input, then each step's result — is a JSON object:
//   {"original": FILE, "previous": FILE, "transferDetails": {...}, "outputs": {...}}
// where FILE is a FileLocation's JSON. A step answers with the new state ("previous" is the
// file it produced, "outputs" its Outputs); a CUSTOM step's callback leaves the state as is.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "json/json.h"
#include "store/store.h"

namespace stepway::transfer {

// The state machine of a workflow (Steps and OnExceptionSteps as CreateWorkflow takes them,
// already checked against the service model). kInvalidArgument when a step's Type and details
// disagree (AWS's InvalidRequestException), message saying which.
Result<std::string> CompileWorkflow(const json::Array& steps, const json::Array& on_exception_steps);

// What the step integration receives as a task's input: the Parameters of a step's state.
struct StepTask {
  std::string type;      // COPY, CUSTOM, TAG, DELETE, DECRYPT
  std::string name;      // the step's Name, or ""
  json::Object details;  // CopyStepDetails, ...
  json::Object state;    // the workflow's state
  bool exception_step = false;
  // The runtime runs the step again after a restart: its work may already be done.
  bool resumed = false;
};
std::optional<StepTask> ParseStepTask(const json::Value& input);

struct StepResult {
  std::string type;
  std::optional<std::string> outputs;  // JSON text
  std::optional<std::string> error_type;  // ExecutionErrorType
  std::string error_message;
};

struct ExecutionView {
  std::string status;  // IN_PROGRESS, COMPLETED, EXCEPTION, HANDLING_EXCEPTION
  std::vector<StepResult> steps;
  std::vector<StepResult> exception_steps;
};

// How Transfer shows an execution: its status and step results, from the runtime's record and
// history of it.
ExecutionView ViewExecution(const store::ExecutionRecord& record,
                            const std::vector<store::HistoryRecord>& history);

// The ExecutionErrorType for an error the runtime recorded (States.Timeout is TIMEOUT; a Transfer
// type stays itself; anything else is INTERNAL_SERVER_ERROR).
std::string ErrorTypeOf(std::string_view error);

}  // namespace stepway::transfer
