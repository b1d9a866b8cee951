#include "integrations/mock.h"

#include <fstream>
#include <sstream>

namespace stepway::integrations {

Result<std::shared_ptr<const engine::MockConfig>> LoadMockConfig(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Fail(ErrorCode::kInvalidArgument, "cannot read the mock config " + path);
  std::stringstream text;
  text << in.rdbuf();
  auto config = engine::MockConfig::Parse(text.str());
  if (!config) {
    return Fail(ErrorCode::kInvalidArgument, path + ": " + config.error().message);
  }
  return std::make_shared<const engine::MockConfig>(std::move(*config));
}

std::string StateMachineNameOf(std::string_view arn) {
  // arn:partition:states:region:account:stateMachine:NAME[:qualifier]
  for (int i = 0; i < 6; ++i) {
    const auto colon = arn.find(':');
    if (colon == std::string_view::npos) return "";
    arn.remove_prefix(colon + 1);
  }
  return std::string(arn.substr(0, arn.find(':')));
}

MockIntegration::MockIntegration(std::shared_ptr<const engine::MockConfig> config)
    : config_(std::move(config)) {}

bool MockIntegration::Matches(const runtime::TaskInvocation& invocation) const {
  if (invocation.test_case.empty()) return false;
  return config_
      ->Lookup(StateMachineNameOf(invocation.state_machine_arn), invocation.test_case,
               invocation.command.state_name, 0)
      .has_value();
}

std::int64_t MockIntegration::InvocationOf(const runtime::TaskInvocation& invocation) {
  bool first_sight = false;
  std::int64_t number = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto execution = calls_.find(invocation.execution_arn);
    if (execution == calls_.end()) {
      execution = calls_.emplace(invocation.execution_arn, decltype(calls_)::mapped_type()).first;
      first_sight = true;
    }
    StateCalls& calls = execution->second[invocation.command.state_name];
    const std::int64_t task_id = invocation.command.task_id;
    if (auto seen = calls.by_task.find(task_id); seen != calls.by_task.end()) {
      number = seen->second;
    } else {
      // After a restart the count is gone: resume it from the task's own retry count.
      if (invocation.resumed && calls.by_task.empty()) calls.next = invocation.command.retry_count;
      number = calls.next++;
      calls.by_task.emplace(task_id, number);
    }
  }
  if (first_sight && runtime_ != nullptr) {
    runtime_->WatchExecution(invocation.execution_arn,
                             [this, arn = invocation.execution_arn](auto) {
                               std::lock_guard<std::mutex> lock(mu_);
                               calls_.erase(arn);
                             });
  }
  return number;
}

void MockIntegration::Invoke(runtime::TaskInvocation invocation,
                             std::shared_ptr<runtime::TaskReporter> reporter) {
  const std::int64_t number = InvocationOf(invocation);
  auto response = config_->Lookup(StateMachineNameOf(invocation.state_machine_arn),
                                  invocation.test_case, invocation.command.state_name, number);
  if (!response) {
    // The test case was edited away under a running execution; cannot happen with a fixed file.
    reporter->Failed("States.Runtime", "The state '" + invocation.command.state_name +
                                           "' is not mocked in the test case '" +
                                           invocation.test_case + "'");
    return;
  }
  if (response->is_throw) {
    reporter->Failed(response->error, response->cause);
    return;
  }
  reporter->Succeeded(response->value);
}

}  // namespace stepway::integrations
