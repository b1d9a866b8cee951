// The seam between the runtime and the Task resources it does not run itself (Lambda, HTTP,
// nested executions, AWS services, mocks). Activities are the runtime's own; everything else is
// an Integration chosen per task by the resolver the app wires in.
//
// An integration is invoked on a shard thread and must not block it: it starts the work
// (a process, an HTTP call, a child execution) and reports through its TaskReporter, from any
// thread, when the work ends. The runtime turns each report into a durable input of the
// execution, exactly as a SendTaskSuccess would be.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "engine/execution.h"
#include "json/json.h"

namespace stepway::runtime {

// How an integration reports on one task. Thread-safe. Succeeded or Failed ends the task;
// reports after that (or for a task that has since closed) are ignored.
class TaskReporter {
 public:
  virtual ~TaskReporter() = default;
  // .waitForTaskToken: the request went out (TaskSubmitted, with the service's response). The
  // task then waits for SendTaskSuccess/Failure with its token.
  virtual void Submitted(json::Value response) = 0;
  virtual void Succeeded(json::Value output) = 0;
  virtual void Failed(std::string error, std::string cause) = 0;
};

struct TaskInvocation {
  std::string execution_arn;
  std::string execution_name;
  std::string state_machine_arn;
  std::string region;
  std::string account;
  std::string test_case;  // the mock test case the execution runs, or ""
  engine::TaskCommand command;  // resource, effective input, task token, timeouts
  // True when the runtime re-invokes a task after a restart (it had not finished before).
  bool resumed = false;
};

class Integration {
 public:
  virtual ~Integration() = default;
  virtual void Invoke(TaskInvocation invocation, std::shared_ptr<TaskReporter> reporter) = 0;
  // The task's result is no longer wanted (the execution stopped, or the task timed out).
  // Best effort; the reporter may still be called and is then ignored.
  virtual void Cancel(const std::string& execution_arn, std::int64_t task_id) {}
};

// The integration for a task, or nullptr when none serves its resource (the task then fails
// with a States.TaskFailed naming what to configure).
using IntegrationResolver = std::function<Integration*(const TaskInvocation& invocation)>;

}  // namespace stepway::runtime
