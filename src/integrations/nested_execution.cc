#include "integrations/nested_execution.h"

#include "api/sigv4.h"
#include "base/random.h"

namespace stepway::integrations {

namespace {

// AWS's optimized integration names a refused call `StepFunctions.<Code>Exception`, and its cause
// is the SDK exception's text.
void FailRefused(runtime::TaskReporter& reporter, std::string_view code, std::string_view message) {
  SystemRandom random;
  std::string name(code);
  if (!name.ends_with("Exception")) name += "Exception";
  reporter.Failed("StepFunctions." + name,
                  std::string(message) + " (Service: AWSStepFunctions; Status Code: 400; " +
                      "Error Code: " + std::string(code) + "; Request ID: " + NewUuid(random) +
                      "; Proxy: null)");
}

std::string_view CodeOf(ErrorCode code) {
  switch (code) {
    case ErrorCode::kNotFound:
      return "StateMachineDoesNotExist";
    case ErrorCode::kAlreadyExists:
      return "ExecutionAlreadyExists";
    case ErrorCode::kInvalidArgument:
      return "InvalidExecutionInput";
    case ErrorCode::kFailedPrecondition:
      return "StateMachineTypeNotSupported";
    default:
      return "ServiceUnavailable";
  }
}

json::Object StartResult(const std::string& arn, std::int64_t start_millis) {
  return json::Object{{"ExecutionArn", arn}, {"StartDate", start_millis}};
}

// The child's ARN from its machine's ARN and its name (the runtime names executions so).
std::string ChildArn(std::string_view machine_arn, std::string_view name) {
  const auto at = machine_arn.find(":stateMachine:");
  if (at == std::string_view::npos) return "";
  std::string machine(machine_arn.substr(at + 14));
  machine = machine.substr(0, machine.find(':'));
  return std::string(machine_arn.substr(0, at)) + ":execution:" + machine + ":" + std::string(name);
}

}  // namespace

bool IsNestedExecution(const runtime::TaskInvocation& invocation) {
  const engine::Resource& r = *invocation.command.resource;
  return r.kind == engine::ResourceKind::kService && r.service == "states" &&
         r.action == "startExecution";
}

std::string ChildExecutionName(std::string_view parent_execution_arn, std::int64_t task_id) {
  const std::string h =
      api::Sha256Hex(std::string(parent_execution_arn) + "#" + std::to_string(task_id));
  return h.substr(0, 8) + "-" + h.substr(8, 4) + "-" + h.substr(12, 4) + "-" + h.substr(16, 4) +
         "-" + h.substr(20, 12);
}

json::Value DescribeForSync(const store::ExecutionRecord& e, bool parse_json) {
  // Members in AWS's order (alphabetical, as its Java serializer writes DescribeExecution).
  const auto data = [parse_json](const std::string& text) -> json::Value {
    if (!parse_json) return json::Value(text);
    auto v = json::Parse(text);
    return v ? std::move(*v) : json::Value(text);
  };
  json::Object out;
  if (e.cause) out["Cause"] = *e.cause;
  if (e.error) out["Error"] = *e.error;
  out["ExecutionArn"] = e.arn;
  out["Input"] = data(e.input);
  out["InputDetails"] = json::Object{{"Included", true}};
  out["Name"] = e.name;
  if (e.output) {
    out["Output"] = data(*e.output);
    out["OutputDetails"] = json::Object{{"Included", true}};
  }
  out["RedriveCount"] = e.redrive_count;
  if (e.status == "SUCCEEDED") {
    out["RedriveStatus"] = "NOT_REDRIVABLE";
    out["RedriveStatusReason"] = "Execution is SUCCEEDED and cannot be redriven";
  } else {
    out["RedriveStatus"] = "REDRIVABLE";
  }
  out["StartDate"] = e.start_millis;
  out["StateMachineArn"] = e.state_machine_arn;
  out["Status"] = e.status;
  if (e.stop_millis) out["StopDate"] = *e.stop_millis;
  return out;
}

NestedExecutionIntegration::NestedExecutionIntegration(runtime::Runtime& runtime)
    : runtime_(runtime) {}

void NestedExecutionIntegration::Invoke(runtime::TaskInvocation invocation,
                                        std::shared_ptr<runtime::TaskReporter> reporter) {
  const json::Value& params = invocation.command.input;
  const json::Value* machine = json::Find(params, "StateMachineArn");
  if (machine == nullptr || !machine->is_string()) {
    FailRefused(*reporter, "InvalidArn",
                "Invalid Arn: 'The parameter StateMachineArn is required and must be a string'");
    return;
  }
  runtime::StartExecutionRequest request;
  request.state_machine_arn = std::string(machine->get_string());
  if (const json::Value* input = json::Find(params, "Input")) {
    request.input = input->is_string() ? std::string(input->get_string()) : json::Serialize(*input);
  }
  if (const json::Value* name = json::Find(params, "Name")) {
    if (!name->is_string()) {
      FailRefused(*reporter, "InvalidName", "Invalid Name: 'Name must be a string'");
      return;
    }
    request.name = std::string(name->get_string());
  } else {
    request.name = ChildExecutionName(invocation.execution_arn, invocation.command.task_id);
  }
  const engine::TaskPattern pattern = invocation.command.resource->pattern;
  const bool resumed = invocation.resumed;
  const bool derived_name = json::Find(params, "Name") == nullptr;
  const std::string child_arn = ChildArn(request.state_machine_arn, request.name);
  runtime_.StartExecution(std::move(request), [this, pattern, resumed, derived_name, child_arn,
                                               reporter, parent = invocation.execution_arn,
                                               task_id = invocation.command.task_id](
                                                  Result<runtime::StartExecutionResult> started) {
    const bool sync =
        pattern == engine::TaskPattern::kSync || pattern == engine::TaskPattern::kSync2;
    const bool ours = resumed && !child_arn.empty() && !started &&
                      started.error().code == ErrorCode::kAlreadyExists;
    if (ours && sync) {
      // A resumed .sync task whose child already ended: report that end.
      Watch(parent, task_id, child_arn, pattern == engine::TaskPattern::kSync2, reporter);
      return;
    }
    if (ours && derived_name) {
      // A resumed task whose child (named after this very task) started and ended before
      // the restart: answer with that child, as the first attempt would have.
      runtime_.WatchExecution(child_arn, [pattern, reporter](Result<store::ExecutionRecord> child) {
        if (!child) {
          FailRefused(*reporter, CodeOf(child.error().code), child.error().message);
          return;
        }
        json::Value result = StartResult(child->arn, child->start_millis);
        if (pattern == engine::TaskPattern::kWaitForTaskToken) {
          reporter->Submitted(std::move(result));
        } else {
          reporter->Succeeded(std::move(result));
        }
      });
      return;
    }
    if (!started) {
      FailRefused(*reporter, CodeOf(started.error().code), started.error().message);
      return;
    }
    switch (pattern) {
      case engine::TaskPattern::kRequestResponse:
        reporter->Succeeded(StartResult(started->execution_arn, started->start_millis));
        return;
      case engine::TaskPattern::kWaitForTaskToken:
        reporter->Submitted(StartResult(started->execution_arn, started->start_millis));
        return;
      case engine::TaskPattern::kSync:
      case engine::TaskPattern::kSync2:
        Watch(parent, task_id, started->execution_arn, pattern == engine::TaskPattern::kSync2,
              reporter);
        return;
    }
  });
}

void NestedExecutionIntegration::Watch(std::string parent_arn, std::int64_t task_id,
                                       std::string child_arn, bool parse_json,
                                       std::shared_ptr<runtime::TaskReporter> reporter) {
  auto key = std::make_pair(std::move(parent_arn), task_id);
  {
    std::lock_guard<std::mutex> lock(mu_);
    watched_[key] = child_arn;
  }
  runtime_.WatchExecution(child_arn,
                          [this, key, parse_json, reporter](Result<store::ExecutionRecord> ended) {
                            {
                              std::lock_guard<std::mutex> lock(mu_);
                              watched_.erase(key);
                            }
                            if (!ended) {
                              reporter->Failed("States.TaskFailed", ended.error().message);
                              return;
                            }
                            json::Value described = DescribeForSync(*ended, parse_json);
                            if (ended->status == "SUCCEEDED") {
                              reporter->Succeeded(std::move(described));
                            } else {
                              reporter->Failed("States.TaskFailed", json::Serialize(described));
                            }
                          });
}

void NestedExecutionIntegration::Cancel(const std::string& execution_arn, std::int64_t task_id) {
  std::string child;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = watched_.find({execution_arn, task_id});
    if (it == watched_.end()) return;
    child = it->second;
    watched_.erase(it);
  }
  runtime_.StopExecution(child, "", "", [](Result<std::int64_t>) {});
}

}  // namespace stepway::integrations
