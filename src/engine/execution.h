// The interpreter: one execution of a state machine, as a deterministic step function.
//
// An Execution is driven from outside: Start, then one call per thing that happened (a task
// started, succeeded, failed or timed out; a timer fired; a stop request). Each call runs every
// state that can run without waiting, appends the history events AWS would record to
// `StepOutput::events`, and asks for the outside world only through commands: run a task, start
// or cancel a timer. Pure states (Pass, Choice, Succeed, Fail, and Parallel/Map over them) run
// to completion inside one call.
//
// No I/O, no clock, no randomness of its own: the time and a Random are passed in with every
// call, so the same calls replay to the same history. Not thread-safe: one owner at a time.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "asl/definition.h"
#include "asl/failure.h"
#include "base/random.h"
#include "base/time.h"
#include "engine/history_event.h"
#include "engine/resource.h"
#include "json/json.h"

namespace stepway::engine {

struct ExecutionInfo {
  std::string execution_arn;
  std::string execution_name;
  std::string state_machine_arn;
  std::string state_machine_name;
  std::string role_arn;
  TimePoint start_time;
  std::int64_t redrive_count = 0;
};

// Command: run the resource of a Task state. The runtime reports back with TaskStarted,
// TaskSucceeded, TaskFailed or TaskTimedOut naming `task_id`.
struct TaskCommand {
  std::int64_t task_id = 0;  // unique within the execution; a retry gets a new one
  std::string state_name;
  std::shared_ptr<const Resource> resource;  // never null; shared by the state's commands
  json::Value input;   // the effective parameters (or input, for activities)
  std::string token;   // the task token ($$.Task.Token), minted for every task
  std::optional<std::int64_t> timeout_seconds;    // TimeoutSeconds, enforced by the engine
  std::optional<std::int64_t> heartbeat_seconds;  // HeartbeatSeconds, enforced by the runtime
  std::int64_t retry_count = 0;
  json::Value credentials;  // the state's Credentials, null when absent
};

// Command: call TimerFired(timer_id) at `fire_at` (at once if that has passed).
struct TimerCommand {
  std::int64_t timer_id = 0;
  TimePoint fire_at;
  // A Wait state or a retry's back-off (which a test server may shorten), rather than a
  // TimeoutSeconds deadline (which it must not).
  bool is_wait = true;
};

struct StepOutput {
  std::vector<HistoryEvent> events;
  std::vector<TaskCommand> tasks;
  std::vector<TimerCommand> timers;
  std::vector<std::int64_t> cancelled_timers;
  std::vector<std::int64_t> cancelled_tasks;  // tasks whose results are no longer wanted
};

// Makes the task token of a new task. The runtime's minter signs (execution, task id, nonce);
// `stepway run` may use anything unique.
class TokenMinter {
 public:
  virtual ~TokenMinter() = default;
  virtual std::string Mint(std::int64_t task_id) = 0;
};

struct Environment {
  TimePoint now;
  Random& random;
  TokenMinter& tokens;
};

struct ExecutionOptions {
  // Whether state entered/exited events carry the state's input and output. The server keeps
  // them (they are the history); an in-process run that prints no history turns them off, which
  // lets the interpreter change a state's input in place instead of copying it.
  bool record_payloads = true;
  // Whether history events are appended to StepOutput::events at all. The server keeps them;
  // a caller that discards them (engine_bench, `stepway run` without history) turns this off,
  // so that no event is built per state. Event ids are still counted (error causes name the
  // entered event's id), so everything but StepOutput::events is the same either way.
  bool record_events = true;
};

enum class ExecutionStatus { kRunning, kSucceeded, kFailed, kTimedOut, kAborted };
const char* ExecutionStatusName(ExecutionStatus status);  // "RUNNING", "SUCCEEDED" ...

class Execution {
 public:
  Execution(std::shared_ptr<const asl::Definition> definition, ExecutionInfo info,
            ExecutionOptions options = {});
  ~Execution();
  Execution(const Execution&) = delete;
  Execution& operator=(const Execution&) = delete;

  // Records ExecutionStarted and runs until the execution waits or ends. `input` must be the
  // parsed execution input (validated by the caller for size and syntax).
  void Start(json::Value input, const Environment& env, StepOutput& out);

  // The runtime began the task: emits TaskStarted / ActivityStarted (with `worker_name`) /
  // LambdaFunctionStarted. Ignored for an unknown or finished task.
  void TaskStarted(std::int64_t task_id, std::string_view worker_name, const Environment& env,
                   StepOutput& out);
  // A .waitForTaskToken task's request went out: emits TaskSubmitted with the service's
  // response; the task stays open until its token comes back. False when not open.
  bool TaskSubmitted(std::int64_t task_id, json::Value response, const Environment& env,
                     StepOutput& out);
  // A task's result arrived. Ignored (returns false) when the task is not open.
  bool TaskSucceeded(std::int64_t task_id, json::Value output, const Environment& env,
                     StepOutput& out);
  bool TaskFailed(std::int64_t task_id, std::string error, std::string cause,
                  const Environment& env, StepOutput& out);
  // The runtime saw the heartbeat (or its own timeout) run out: `error` is States.Timeout or
  // States.HeartbeatTimeout.
  bool TaskTimedOut(std::int64_t task_id, std::string error, std::string cause,
                    const Environment& env, StepOutput& out);
  void TimerFired(std::int64_t timer_id, const Environment& env, StepOutput& out);
  // StopExecution: ends a running execution as ABORTED.
  void Stop(std::string error, std::string cause, const Environment& env, StepOutput& out);

  // Whether `task_id` is open, i.e. its result is awaited.
  bool IsTaskOpen(std::int64_t task_id) const;

  ExecutionStatus status() const { return status_; }
  const Payload& output() const { return output_; }        // when SUCCEEDED
  const std::string& error() const { return error_; }      // when FAILED/TIMED_OUT/ABORTED
  const std::string& cause() const { return cause_; }
  bool has_error() const { return has_error_; }
  bool has_cause() const { return has_cause_; }
  const ExecutionInfo& info() const { return info_; }
  std::int64_t last_event_id() const { return last_event_id_; }
  // State transitions so far, counted as AWS bills them (one per state entered).
  std::int64_t transitions() const { return transitions_; }

  struct Frame;

 private:
  // The steps of the interpreter (execution.cc).
  void RunLoop(const Environment& env, StepOutput& out);
  void RunFrame(Frame& f, const Environment& env, StepOutput& out);
  void EnterState(Frame& f, const Environment& env, StepOutput& out);
  // For a Pass state whose InputPath and ResultPath name the same node of an input nothing else
  // holds: moves that node out as the effective input. False when the case does not apply.
  bool TakeSubtree(Frame& f, const asl::State& s);
  void ExecutePass(Frame& f, const asl::State& s, const Environment& env, StepOutput& out);
  void ExecuteChoice(Frame& f, const asl::State& s, const Environment& env, StepOutput& out);
  void ExecuteWait(Frame& f, const asl::State& s, const Environment& env, StepOutput& out);
  void ExecuteSucceed(Frame& f, const asl::State& s, const Environment& env, StepOutput& out);
  void ExecuteFail(Frame& f, const asl::State& s, const Environment& env, StepOutput& out);
  void ScheduleTask(Frame& f, const Environment& env, StepOutput& out);
  static bool TaskTakesInput(const Frame& f, const asl::State& s);
  void StartParallel(Frame& f, const Environment& env, StepOutput& out);
  void StartMap(Frame& f, const Environment& env, StepOutput& out);
  void LaunchIterations(Frame& f, const Environment& env, StepOutput& out);
  void FinishChildren(Frame& f, const Environment& env, StepOutput& out);
  void FinishTask(Frame& f, json::Value result, const Environment& env, StepOutput& out);
  // `result_bound`: an upper bound of the result's JSON size when the caller knows one.
  void ExitWithResult(Frame& f, json::Value result, const Environment& env, StepOutput& out,
                      std::size_t result_bound = std::size_t(-1));
  // Where a JSONPath state's Parameters may be evaluated in place (PayloadTemplate::EvaluateInto):
  // the node at its ResultPath, when it exists, nothing but `f` holds the input, and no Assign
  // or ResultSelector reads the result. nullptr otherwise.
  static json::Value* ResultTarget(Frame& f, const asl::State& s);
  // ExitWithResult for a result already written at the state's ResultPath in `f.input`.
  void ExitPlaced(Frame& f, std::size_t result_bound, const Environment& env, StepOutput& out);
  // `bound` is an upper bound of the output's JSON size (SIZE_MAX when unknown).
  void ExitState(Frame& f, Payload output, json::Object assigned, const Environment& env,
                 StepOutput& out, std::size_t bound = std::size_t(-1));
  void FailState(Frame& f, asl::Failure failure, const Environment& env, StepOutput& out);
  void FailRuntime(Frame& f, const std::string& cause, const Environment& env, StepOutput& out);
  // InputPath/OutputPath semantics: a null path gives {}, "$" gives `from` itself, any other
  // path the part of `from` it names. False (the state failed with States.Runtime, AWS's
  // "Invalid path" message) when the path names nothing.
  bool SelectPath(Frame& f, const std::optional<asl::Path>& path, const Payload& from,
                  Payload& into, const Environment& env, StepOutput& out);
  void CompleteFrame(Frame& f, Payload output, const Environment& env, StepOutput& out);
  void FailFrame(Frame& f, asl::Failure failure, const Environment& env, StepOutput& out);
  void AbortFrame(Frame& f, const Environment& env, StepOutput& out, bool emit_events);
  void EndExecution(ExecutionStatus status, EventType type, const Environment& env,
                    StepOutput& out);
  bool ApplyAssign(Frame& f, const asl::State& s, const json::Value* assign_raw,
                   const asl::PayloadTemplate* assign, const json::Value& input,
                   json::Object& assigned, const Environment& env, StepOutput& out);
  // Checks the variables' sizes (256 KiB each and per assignment, 10 MiB for all variables of
  // the execution) and binds them in `f`'s scope, recording their JSON in `assigned`. False
  // (and nothing bound) when the state failed with States.DataLimitExceeded instead.
  bool BindVariables(Frame& f, const asl::State& s, json::Object values, json::Object& assigned,
                     const Environment& env, StepOutput& out);

  // JSONata mode.
  asl::JsonataScope JsonataScopeFor(const Frame& f, const json::Value* input,
                                    const Environment& env) const;
  // Emits EvaluationFailed (and MapStateFailed/ParallelStateFailed when `state_failed`), then
  // fails the state with States.QueryEvaluationError: retried, caught, or the frame fails.
  void FailJsonata(Frame& f, asl::JsonataFailure failure, const Environment& env,
                   StepOutput& out, bool state_failed = false);
  // Evaluates a JSONata template of the current state; on failure, fails the state.
  std::optional<json::Value> EvaluateJsonata(Frame& f, const json::Value& spec,
                                             std::string_view field,
                                             const asl::JsonataScope& scope,
                                             const Environment& env, StepOutput& out,
                                             bool state_failed = false);
  // A JSONata numeric field (TimeoutSeconds, MaxConcurrency ...): its literal, or its
  // expression's value, which must be an integer (unless `integer` is false) and >= `min`.
  // nullopt when the field is unset or the state failed (then f.phase has moved on).
  std::optional<double> JsonataNumber(Frame& f, const asl::NumberField& field,
                                      std::string_view name, bool integer, double min,
                                      const asl::JsonataScope& scope, const Environment& env,
                                      StepOutput& out, bool& failed);
  // Leaves a JSONata state: Assign and Output evaluated against $states.input (and
  // $states.result when `result` is set); the output defaults to the result, or the input.
  void ExitJsonata(Frame& f, json::Value* result, const Environment& env, StepOutput& out);
  // Map in JSONata mode: Items (or the input), MaxConcurrency and ToleratedFailure*. False
  // when the state failed instead.
  bool StartJsonataMap(Frame& f, const asl::State& s, json::Value& items,
                       std::int64_t& max_concurrency, const Environment& env, StepOutput& out);
  void ExecuteJsonataChoice(Frame& f, const asl::State& s, const Environment& env,
                            StepOutput& out);
  void ExecuteJsonataWait(Frame& f, const asl::State& s, const Environment& env,
                          StepOutput& out);
  void ExecuteJsonataFail(Frame& f, const asl::State& s, const Environment& env,
                          StepOutput& out);
  // Catch in JSONata mode: Output/Assign see $states.errorOutput. Returns the output.
  std::optional<Payload> JsonataCatchOutput(Frame& f, const asl::Catcher& c,
                                            const json::Value& error_output,
                                            json::Object& assigned, const Environment& env,
                                            StepOutput& out);

  HistoryEvent& Emit(EventType type, const Environment& env, StepOutput& out);
  // $$ at the start: Execution (with `input`), State (filled per state) and StateMachine.
  void BuildContext(const json::Value& input);
  void SetStateContext(const Frame& f, const asl::State& s);
  asl::Scope MakeScope(const Frame& f, const json::Value& input, const Environment& env) const;
  std::string RuntimePrefix(const Frame& f) const;
  Frame* FindTaskFrame(std::int64_t task_id) const;
  Frame* FindTimerFrame(std::int64_t timer_id) const;
  std::int64_t NextId() { return ++next_id_; }

  std::shared_ptr<const asl::Definition> definition_;
  ExecutionInfo info_;
  ExecutionOptions options_;
  ExecutionStatus status_ = ExecutionStatus::kRunning;
  Payload output_;
  std::string error_, cause_;
  bool has_error_ = false, has_cause_ = false;

  // The JSON size of every variable of every live scope, kept up to date per assignment (a
  // reassigned variable gives back its old size) and as scopes end. Declared before root_, so
  // that frames destroyed with the execution still find it.
  std::size_t variables_bytes_ = 0;
  std::unique_ptr<Frame> root_;
  std::deque<Frame*> runnable_;  // front runs next: depth-first, as AWS's history reads
  json::Value context_;          // $$, updated as states are entered
  TimePoint formatted_time_;     // the last State.EnteredTime printed, and its text
  std::string formatted_time_text_;
  std::int64_t last_event_id_ = 0;
  std::int64_t next_id_ = 0;     // task and timer ids
  std::int64_t execution_timer_ = 0;
  std::int64_t transitions_ = 0;
  std::int64_t next_frame_id_ = 0;
  // Where Emit writes when options_.record_events is off: reused by every event.
  HistoryEvent scratch_event_;
};

}  // namespace stepway::engine
