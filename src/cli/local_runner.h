// Runs one execution to its end in this process, without a server: the engine of `stepway run`,
// the conformance tests and the engine benchmark.
//
// Task states are answered by a TaskHandler (a mock file's responses, or code given by the
// caller). Wait states and retry back-offs either really wait or, with fast waits, move a
// virtual clock forward so that nothing sleeps.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "asl/definition.h"
#include "base/random.h"
#include "base/time.h"
#include "engine/execution.h"
#include "engine/mock_config.h"

namespace stepway::cli {

// What a Task state's resource answered.
struct TaskOutcome {
  bool succeeded = true;
  json::Value output;  // when succeeded
  std::string error;   // when not
  std::string cause;
};

// Answers a task at once, or nullopt when it cannot (the execution then fails with
// "Stepway.NoTaskHandler"). The command is the runner's to drop afterwards: a handler may move
// its `input` out instead of copying it.
using TaskHandler =
    std::function<std::optional<TaskOutcome>(engine::TaskCommand& task, std::int64_t invocation)>;

// A TaskHandler answering from a mock file's test case.
TaskHandler MockTaskHandler(std::shared_ptr<const engine::MockConfig> config,
                            std::string state_machine, std::string test_case);

struct LocalRunOptions {
  bool fast_waits = false;
  bool keep_history = true;
  std::string state_machine_name = "local";
  std::string execution_name = "local";
  TaskHandler tasks;  // may be empty: every Task state then fails
  std::uint64_t seed = 0;  // 0: random
};

struct LocalRunResult {
  engine::ExecutionStatus status = engine::ExecutionStatus::kRunning;
  engine::Payload output;
  std::optional<std::string> error;
  std::optional<std::string> cause;
  std::vector<engine::HistoryEvent> history;
  std::int64_t transitions = 0;
};

LocalRunResult RunLocally(std::shared_ptr<const asl::Definition> definition, json::Value input,
                          const LocalRunOptions& options);

}  // namespace stepway::cli
