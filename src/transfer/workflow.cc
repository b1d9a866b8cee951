#include "transfer/workflow.h"

#include <array>
#include <string_view>

#include "transfer/json_fields.h"

namespace stepway::transfer {

namespace {

constexpr std::string_view kStep = "Step";
constexpr std::string_view kExceptionStep = "ExceptionStep";
constexpr std::string_view kExceptionState = "Exception";

struct StepType {
  std::string_view type;
  std::string_view details;  // the WorkflowStep member holding its details
};
constexpr std::array<StepType, 5> kStepTypes = {{
    {"COPY", "CopyStepDetails"},
    {"CUSTOM", "CustomStepDetails"},
    {"TAG", "TagStepDetails"},
    {"DELETE", "DeleteStepDetails"},
    {"DECRYPT", "DecryptStepDetails"},
}};

const StepType* FindStepType(std::string_view type) {
  for (const StepType& t : kStepTypes) {
    if (t.type == type) return &t;
  }
  return nullptr;
}

std::string StateName(bool exception, std::size_t index) {
  return std::string(exception ? kExceptionStep : kStep) + std::to_string(index);
}

// The states of one list of steps; `after` is the state that follows the last one ("" = End).
Status AddSteps(const json::Array& steps, bool exception, const std::string& after,
                json::Object& states) {
  for (std::size_t i = 0; i < steps.size(); ++i) {
    const std::string where = std::string(exception ? "OnExceptionSteps" : "Steps") + "[" +
                              std::to_string(i) + "]";
    const json::Object* step = steps[i].if_object();
    if (step == nullptr) return Fail(ErrorCode::kInvalidArgument, where + " is not a step");
    const json::Value* type_value = step->if_contains("Type");
    if (type_value == nullptr || !type_value->is_string()) {
      return Fail(ErrorCode::kInvalidArgument, where + ": Type is required");
    }
    const std::string_view type = type_value->get_string();
    const StepType* t = FindStepType(type);
    if (t == nullptr) return Fail(ErrorCode::kInvalidArgument, where + ": unknown Type");
    for (const StepType& other : kStepTypes) {
      if (&other != t && step->contains(other.details)) {
        return Fail(ErrorCode::kInvalidArgument, where + ": a " + std::string(type) +
                                                     " step cannot have " +
                                                     std::string(other.details));
      }
    }
    const json::Value* details_value = step->if_contains(t->details);
    if (details_value == nullptr || !details_value->is_object()) {
      return Fail(ErrorCode::kInvalidArgument,
                  where + ": a " + std::string(type) + " step needs " + std::string(t->details));
    }
    const json::Object& details = details_value->get_object();
    if (type == "COPY" && !details.contains("DestinationFileLocation")) {
      return Fail(ErrorCode::kInvalidArgument,
                  where + ": CopyStepDetails needs a DestinationFileLocation");
    }
    if (type == "CUSTOM" && !details.contains("Target")) {
      return Fail(ErrorCode::kInvalidArgument, where + ": CustomStepDetails needs a Target");
    }
    if (type == "TAG" && !details.contains("Tags")) {
      return Fail(ErrorCode::kInvalidArgument, where + ": TagStepDetails needs Tags");
    }
    json::Object parameters;
    parameters["type"] = type;
    parameters["details"] = details;
    parameters["exception"] = exception;
    parameters["state.$"] = "$";
    json::Object state;
    state["Type"] = "Task";
    std::string resource = "arn:aws:states:::transfer:" + std::string(type == "CUSTOM" ? "custom.waitForTaskToken" : "step");
    state["Resource"] = resource;
    state["Parameters"] = std::move(parameters);
    if (type == "CUSTOM") {
      // The callback carries no state: the step leaves the workflow's state as it was.
      state["ResultPath"] = nullptr;
      std::int64_t timeout = 1800;  // AWS's default and most for a custom step
      if (const json::Value* t = details.if_contains("TimeoutSeconds"); t && t->is_int64()) {
        timeout = t->get_int64();
      }
      state["TimeoutSeconds"] = timeout;
    } else {
      state["ResultPath"] = "$";
    }
    const std::string next = i + 1 < steps.size() ? StateName(exception, i + 1) : after;
    if (next.empty()) {
      state["End"] = true;
    } else {
      state["Next"] = next;
    }
    json::Object catcher;
    catcher["ErrorEquals"] = json::Array{"States.ALL"};
    catcher["ResultPath"] = "$.failure";
    catcher["Next"] = std::string(exception ? kExceptionState : "ExceptionSteps");
    state["Catch"] = json::Array{std::move(catcher)};
    states[StateName(exception, i)] = std::move(state);
  }
  return {};
}


}  // namespace

Result<std::string> CompileWorkflow(const json::Array& steps,
                                    const json::Array& on_exception_steps) {
  json::Object definition;
  definition["Comment"] = "A Transfer Family managed workflow";
  json::Object states;
  if (steps.empty()) {  // nothing to do, nothing that can fail
    json::Object done;
    done["Type"] = "Succeed";
    states["Done"] = std::move(done);
    definition["StartAt"] = "Done";
    definition["States"] = std::move(states);
    return json::Serialize(definition);
  }
  if (auto s = AddSteps(steps, false, "", states); !s) return tl::unexpected(s.error());
  if (auto s = AddSteps(on_exception_steps, true, std::string(kExceptionState), states); !s) {
    return tl::unexpected(s.error());
  }
  // Where a failed step goes: the first exception step, or straight to the end.
  json::Object to_exception_steps;
  to_exception_steps["Type"] = "Pass";
  to_exception_steps["Next"] =
      on_exception_steps.empty() ? std::string(kExceptionState) : StateName(true, 0);
  states["ExceptionSteps"] = std::move(to_exception_steps);
  json::Object fail;
  fail["Type"] = "Fail";
  fail["Error"] = "Transfer.WorkflowException";
  fail["Cause"] = "A step of the workflow failed";
  states[kExceptionState] = std::move(fail);
  definition["StartAt"] = StateName(false, 0);
  definition["States"] = std::move(states);
  return json::Serialize(definition);
}

std::optional<StepTask> ParseStepTask(const json::Value& input) {
  const json::Object* o = input.if_object();
  if (o == nullptr) return std::nullopt;
  const json::Value* details = o->if_contains("details");
  const json::Value* state = o->if_contains("state");
  const json::Value* exception = o->if_contains("exception");
  if (details == nullptr || !details->is_object() || state == nullptr || !state->is_object()) {
    return std::nullopt;
  }
  StepTask task;
  task.type = Str(*o, "type");
  task.details = details->get_object();
  task.name = Str(task.details, "Name");
  task.state = state->get_object();
  task.exception_step = exception != nullptr && exception->is_bool() && exception->get_bool();
  if (FindStepType(task.type) == nullptr) return std::nullopt;
  return task;
}

std::string ErrorTypeOf(std::string_view error) {
  static constexpr std::string_view kTypes[] = {
      "PERMISSION_DENIED", "CUSTOM_STEP_FAILED", "THROTTLED", "ALREADY_EXISTS",
      "NOT_FOUND",         "BAD_REQUEST",        "TIMEOUT",   "INTERNAL_SERVER_ERROR"};
  for (std::string_view t : kTypes) {
    if (t == error) return std::string(t);
  }
  if (error == "States.Timeout" || error == "States.HeartbeatTimeout") return "TIMEOUT";
  return "INTERNAL_SERVER_ERROR";
}

ExecutionView ViewExecution(const store::ExecutionRecord& record,
                            const std::vector<store::HistoryRecord>& history) {
  ExecutionView view;
  bool handling_exception = false;
  StepResult* current = nullptr;
  for (const store::HistoryRecord& h : history) {
    auto parsed = json::Parse(h.json);
    if (!parsed || !parsed->is_object()) continue;
    const json::Object& event = parsed->get_object();
    const std::string type = Str(event, "type");
    auto details = [&event](std::string_view key) -> const json::Object* {
      const json::Value* d = event.if_contains(key);
      return d != nullptr ? d->if_object() : nullptr;
    };
    if (type == "TaskStateEntered") {
      const json::Object* d = details("stateEnteredEventDetails");
      const std::string name = d != nullptr ? Str(*d, "name") : "";
      const bool exception = name.starts_with(kExceptionStep);
      std::vector<StepResult>& list = exception ? view.exception_steps : view.steps;
      list.emplace_back();  // its type comes with TaskScheduled's parameters
      current = &list.back();
      if (exception) handling_exception = true;
    } else if (type == "TaskScheduled" && current != nullptr) {
      const json::Object* d = details("taskScheduledEventDetails");
      if (d == nullptr) continue;
      if (auto parameters = json::Parse(Str(*d, "parameters"));
          parameters && parameters->is_object()) {
        current->type = Str(parameters->get_object(), "type");
      }
    } else if (type == "TaskSucceeded" && current != nullptr) {
      const json::Object* d = details("taskSucceededEventDetails");
      json::Value outputs = json::Object();
      if (d != nullptr) {
        if (auto output = json::Parse(Str(*d, "output")); output && output->is_object()) {
          if (const json::Value* o = output->get_object().if_contains("outputs")) outputs = *o;
        }
      }
      if (current->type == "CUSTOM") outputs = json::Object();
      current->outputs = json::Serialize(outputs);
    } else if ((type == "TaskFailed" || type == "TaskTimedOut") && current != nullptr) {
      const json::Object* d =
          details(type == "TaskFailed" ? "taskFailedEventDetails" : "taskTimedOutEventDetails");
      current->error_type = ErrorTypeOf(d != nullptr ? Str(*d, "error") : "");
      current->error_message = d != nullptr ? Str(*d, "cause") : "";
      if (current->error_type == "TIMEOUT" && current->error_message.empty()) {
        current->error_message = "The step did not report its state in time";
      }
    } else if (type == "PassStateEntered") {
      // "ExceptionSteps": a step failed.
      handling_exception = true;
    }
  }
  if (record.status == "RUNNING") {
    view.status = handling_exception ? "HANDLING_EXCEPTION" : "IN_PROGRESS";
  } else {
    view.status = record.status == "SUCCEEDED" ? "COMPLETED" : "EXCEPTION";
  }
  return view;
}

}  // namespace stepway::transfer
