// The live engine: running executions sharded over worker threads, their timers, activity
// queues with long-polling workers, task tokens, and durable commits.
//
// Each execution belongs to one shard (by its ARN); a shard is one thread that owns its
// executions outright, so the interpreter runs without locks. A call that changes an execution
// (start, a task's result, a stop) is applied on the shard, its history events and the input
// itself are committed to the Store together (group commit), and only then is the caller's
// callback invoked — an acknowledged request is never lost. On start, Recover() reloads every
// RUNNING execution that is not idle by replaying its inputs through the deterministic
// interpreter, re-arms its timers at their original times and offers its activity tasks again;
// tokens stay valid.
//
// An execution is idle when it has nothing to do until a task token comes back (no timer, no
// task queued or in an integration's hands): it is marked so in the store, and beyond
// `resident_idle_executions` the least recently idle are dropped from memory. A callback, a
// stop or a watcher for one reloads it the same way, by replay. So a million executions parked
// on callbacks cost disk, not memory, and a restart does not replay them.
//
// Thread-safe: every public method may be called from any thread; callbacks run on a shard or
// store thread and must not block.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "base/result.h"
#include "base/time.h"
#include "json/json.h"
#include "runtime/integration.h"
#include "runtime/task_token.h"
#include "store/store.h"

namespace stepway::runtime {

struct RuntimeOptions {
  std::string region = "us-east-1";
  std::string account = "123456789012";
  int shards = 0;  // 0: one per core
  // Multiplies every Wait state and retry delay (tests use 0.01 and less).
  double wait_time_scale = 1.0;
  // How long GetActivityTask waits for a task before answering with none (AWS: 60 s).
  int activity_poll_seconds = 60;
  // How many idle executions stay in memory (0: none; each is reloaded when its callback comes).
  std::size_t resident_idle_executions = 20000;
  // Who runs Task resources other than activities (Lambda, HTTP, AWS services, mocks ...).
  IntegrationResolver integrations;
};

struct StartExecutionRequest {
  std::string state_machine_arn;
  std::string name;        // empty: a UUID is chosen
  std::string input = "{}";
  std::string trace_header;
  std::string test_case;  // a mock test case ("arn#Case" in StartExecution), or ""
};

struct StartExecutionResult {
  std::string execution_arn;
  std::int64_t start_millis = 0;
};

// What GetActivityTask hands a worker.
struct ActivityTask {
  std::string task_token;
  std::string input;  // JSON text
};

// A finished EXPRESS execution run by StartSyncExecution.
struct SyncExecutionResult {
  store::ExecutionRecord record;
  std::int64_t billed_millis = 0;
};

class Runtime {
 public:
  virtual ~Runtime() = default;

  // Reloads the RUNNING executions that are not idle from the store and says how many. Call
  // once, before serving.
  virtual Result<std::size_t> Recover() = 0;
  // Stops the shards and timers (running executions stay RUNNING in the store). Idempotent.
  virtual void Shutdown() = 0;

  // StartExecution. Errors: kNotFound (state machine), kAlreadyExists (same name, different
  // input or not running), kInvalidArgument (input not JSON / too large, message says which).
  // An identical request for a RUNNING execution answers with the existing one.
  virtual void StartExecution(StartExecutionRequest request,
                              std::function<void(Result<StartExecutionResult>)> done) = 0;
  // StartSyncExecution for an EXPRESS state machine: runs to the end in memory.
  virtual void StartSyncExecution(StartExecutionRequest request,
                                  std::function<void(Result<SyncExecutionResult>)> done) = 0;
  // StopExecution: kNotFound when unknown; a finished execution is left as it is and its stop
  // date returned. Gives the stop date (millis).
  virtual void StopExecution(std::string execution_arn, std::string error, std::string cause,
                             std::function<void(Result<std::int64_t>)> done) = 0;

  // SendTaskSuccess/Failure/Heartbeat. Errors: kInvalidArgument (malformed or forged token:
  // InvalidToken), kNotFound (no such task: TaskDoesNotExist), kTimedOut (the task already
  // closed, timed out, or its execution ended: TaskTimedOut), kFailedPrecondition (output not
  // JSON: InvalidOutput).
  virtual void SendTaskSuccess(std::string token, std::string output,
                               std::function<void(Status)> done) = 0;
  virtual void SendTaskFailure(std::string token, std::string error, std::string cause,
                               std::function<void(Status)> done) = 0;
  virtual void SendTaskHeartbeat(std::string token, std::function<void(Status)> done) = 0;

  // GetActivityTask: waits up to activity_poll_seconds for a task of `activity_arn`; answers
  // with nullopt when none came. kNotFound when the activity does not exist.
  virtual void GetActivityTask(std::string activity_arn, std::string worker_name,
                               std::function<void(Result<std::optional<ActivityTask>>)> done) = 0;

  // Calls `on_end` once the execution has ended — at once when it already has — with its
  // final record; kNotFound when there is no such execution. For `.sync` child executions.
  virtual void WatchExecution(std::string execution_arn,
                              std::function<void(Result<store::ExecutionRecord>)> on_end) = 0;

  // Forget the cached parse of a state machine's definition (after Update/Delete).
  virtual void InvalidateStateMachine(const std::string& state_machine_arn) = 0;

  virtual const RuntimeOptions& options() const = 0;
};

std::unique_ptr<Runtime> NewRuntime(store::Store& store, store::Store& express_store,
                                    const TaskTokenCodec& tokens, Clock& clock,
                                    RuntimeOptions options);

}  // namespace stepway::runtime
