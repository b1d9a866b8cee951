// Mocked Task responses in server mode, as Step Functions Local serves them: an execution started
// with `stateMachineArn#TestCase` runs the test case of the mock config (`--mock-config FILE` or
// SFN_MOCK_CONFIG), and each Task state the test case names answers with the mocked Return or
// Throw for its invocation number instead of calling anything.
//
// Invocation numbers count the calls of one state within one execution, retries included, from 0
// ("0", "1-2" ...). A repeated Invoke of the same task (after a restart) gets the same number;
// after a restart the count of a state resumes at the resumed task's retry count, which is exact
// for states that are not entered twice. A mocked `.waitForTaskToken` task answers at once, as if
// the callback had arrived (Step Functions Local does the same).
//
// Thread-safe. Register it first in the Registry, with Matches as its matcher, so a test case
// overrides the real integrations; states the test case does not name fall through to them.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "engine/mock_config.h"
#include "runtime/integration.h"
#include "runtime/runtime.h"

namespace stepway::integrations {

// Loads a mock config file. kInvalidArgument (with the file's name) when it cannot be read or
// is not a valid mock config.
Result<std::shared_ptr<const engine::MockConfig>> LoadMockConfig(const std::string& path);

// The state machine's name in a state machine ARN (arn:...:stateMachine:NAME[:version]).
std::string StateMachineNameOf(std::string_view state_machine_arn);

class MockIntegration final : public runtime::Integration {
 public:
  explicit MockIntegration(std::shared_ptr<const engine::MockConfig> config);

  // The runtime to ask for each execution's end, so that its counters are dropped (without
  // one they live as long as this object). Call before the first Invoke; the runtime must
  // outlive this object's use. Mocks are registered before the runtime exists (first).
  void AttachRuntime(runtime::Runtime* runtime) { runtime_ = runtime; }

  // True when the invocation's execution runs a test case that mocks the task's state.
  bool Matches(const runtime::TaskInvocation& invocation) const;

  void Invoke(runtime::TaskInvocation invocation,
              std::shared_ptr<runtime::TaskReporter> reporter) override;

  // The invocation number a task gets (exposed for tests).
  std::int64_t InvocationOf(const runtime::TaskInvocation& invocation);

 private:
  struct StateCalls {
    std::int64_t next = 0;
    std::map<std::int64_t, std::int64_t> by_task;  // task id -> invocation number
  };

  std::shared_ptr<const engine::MockConfig> config_;
  runtime::Runtime* runtime_ = nullptr;
  std::mutex mu_;
  // execution ARN -> state name -> calls
  std::map<std::string, std::map<std::string, StateCalls>> calls_;  // GUARDED_BY(mu_)
};

}  // namespace stepway::integrations
