#include "cli/local_runner.h"

#include <chrono>
#include <deque>
#include <map>
#include <set>
#include <thread>

namespace stepway::cli {

namespace {

class LocalTokens final : public engine::TokenMinter {
 public:
  std::string Mint(std::int64_t task_id) override {
    return "local-task-token-" + std::to_string(task_id);
  }
};

struct PendingResult {
  std::int64_t task_id;
  TaskOutcome outcome;
};

}  // namespace

TaskHandler MockTaskHandler(std::shared_ptr<const engine::MockConfig> config,
                            std::string state_machine, std::string test_case) {
  return [config = std::move(config), state_machine = std::move(state_machine),
          test_case = std::move(test_case)](const engine::TaskCommand& task,
                                            std::int64_t invocation) -> std::optional<TaskOutcome> {
    auto r = config->Lookup(state_machine, test_case, task.state_name, invocation);
    if (!r) return std::nullopt;
    TaskOutcome outcome;
    outcome.succeeded = !r->is_throw;
    outcome.output = r->value;
    outcome.error = r->error;
    outcome.cause = r->cause;
    return outcome;
  };
}

LocalRunResult RunLocally(std::shared_ptr<const asl::Definition> definition, json::Value input,
                          const LocalRunOptions& options) {
  SystemClock wall;
  TimePoint now = wall.Now();
  std::unique_ptr<Random> random;
  if (options.seed != 0) {
    random = std::make_unique<SeededRandom>(options.seed);
  } else {
    random = std::make_unique<SystemRandom>();
  }
  LocalTokens tokens;

  engine::ExecutionInfo info;
  const std::string account = "123456789012";
  info.state_machine_name = options.state_machine_name;
  info.execution_name = options.execution_name;
  info.state_machine_arn =
      "arn:aws:states:us-east-1:" + account + ":stateMachine:" + options.state_machine_name;
  info.execution_arn = "arn:aws:states:us-east-1:" + account + ":execution:" +
                       options.state_machine_name + ":" + options.execution_name;
  info.role_arn = "arn:aws:iam::" + account + ":role/stepway-local";
  info.start_time = now;
  engine::ExecutionOptions execution_options;
  execution_options.record_payloads = options.keep_history;
  execution_options.record_events = options.keep_history;
  engine::Execution execution(std::move(definition), info, execution_options);

  LocalRunResult result;
  std::multimap<TimePoint, std::int64_t> timers;
  std::set<std::int64_t> cancelled;
  std::deque<PendingResult> results;
  std::map<std::string, std::int64_t> invocations;  // per state name, counting retries
  std::optional<std::int64_t> unanswered;

  auto absorb = [&](engine::StepOutput& out) {
    for (std::int64_t id : out.cancelled_timers) cancelled.insert(id);
    for (const auto& t : out.timers) timers.emplace(t.fire_at, t.timer_id);
    for (auto& task : out.tasks) {
      std::int64_t invocation = invocations[task.state_name]++;
      std::optional<TaskOutcome> outcome;
      if (options.tasks) outcome = options.tasks(task, invocation);
      if (outcome) {
        results.push_back({task.task_id, std::move(*outcome)});
      } else {
        results.push_back({task.task_id,
                           TaskOutcome{false, {}, "Stepway.NoTaskHandler",
                                       "No result for the Task state '" + task.state_name +
                                           "': give a mock config and test case that mock it"}});
        unanswered = task.task_id;
      }
    }
    if (options.keep_history) {
      for (auto& e : out.events) result.history.push_back(std::move(e));
    }
    // Cleared, not replaced: the vectors keep their capacity for the next step.
    out.events.clear();
    out.tasks.clear();
    out.timers.clear();
    out.cancelled_timers.clear();
    out.cancelled_tasks.clear();
  };

  engine::StepOutput out;
  out.events.reserve(32);
  {
    engine::Environment env{now, *random, tokens};
    execution.Start(std::move(input), env, out);
  }
  absorb(out);
  while (execution.status() == engine::ExecutionStatus::kRunning) {
    if (!results.empty()) {
      PendingResult r = std::move(results.front());
      results.pop_front();
      engine::Environment env{now, *random, tokens};
      if (r.outcome.succeeded) {
        execution.TaskSucceeded(r.task_id, std::move(r.outcome.output), env, out);
      } else {
        execution.TaskFailed(r.task_id, std::move(r.outcome.error), std::move(r.outcome.cause),
                             env, out);
      }
      absorb(out);
      continue;
    }
    // Next live timer.
    while (!timers.empty() && cancelled.count(timers.begin()->second)) {
      cancelled.erase(timers.begin()->second);
      timers.erase(timers.begin());
    }
    if (timers.empty()) break;  // waiting on something that will never come
    auto [fire_at, id] = *timers.begin();
    timers.erase(timers.begin());
    if (options.fast_waits) {
      now = std::max(now, fire_at);
    } else {
      TimePoint wall_now = wall.Now();
      if (fire_at > wall_now) std::this_thread::sleep_until(fire_at);
      now = std::max(now, wall.Now());
    }
    engine::Environment env{now, *random, tokens};
    execution.TimerFired(id, env, out);
    absorb(out);
  }
  result.status = execution.status();
  result.output = execution.output();
  if (execution.has_error()) result.error = execution.error();
  if (execution.has_cause()) result.cause = execution.cause();
  result.transitions = execution.transitions();
  if (result.status == engine::ExecutionStatus::kRunning) {
    result.error = "Stepway.Stuck";
    result.cause = "The execution waits for something that cannot happen in a local run";
  }
  return result;
}

}  // namespace stepway::cli
