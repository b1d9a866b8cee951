// Durable state behind one interface: state machines, activities, tags, executions, their
// history (append-only) and the inputs that drove them.
//
// An execution is event-sourced twice over: its history events are what GetExecutionHistory
// returns, and its *inputs* (start, task results, timer firings, stop requests, each with the
// time it was applied) are what the runtime replays through the deterministic interpreter to
// rebuild a running execution after a restart. Both are appended in the same atomic commit as
// the execution's new status, so an acknowledged request is never lost.
//
// Implementations: MemoryStore (tests, EXPRESS executions), SqliteStore (the default, WAL, one
// writer thread doing group commit), PostgreSQL later. All methods are thread-safe. Both share
// one typed test suite (store_test.cc), which is the executable form of the contracts below.
//
// Contracts common to every backend:
// - A batch is applied whole or not at all. Appending a history event or an input whose id or
//   sequence the execution already has fails the batch with kAlreadyExists (history is
//   append-only; a duplicate is a bug or a lost lease, never something to overwrite).
// - Executions are listed newest first: by start_millis descending, then by the order in which
//   they were first written, latest first. Writing a record again keeps its place.
// - An execution's identity and start are fixed by its first write (WriteBatch::executions).
// - Writes that return a Status (Put*, Delete*, Tag*) are durable when they return.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace stepway::store {

using Tags = std::map<std::string, std::string>;

struct StateMachineRecord {
  std::string arn;
  std::string name;
  std::string definition;  // as the client sent it
  std::string role_arn;
  std::string type = "STANDARD";  // or "EXPRESS"
  std::string description;
  std::string logging_configuration;  // JSON text, "" when absent
  std::string tracing_configuration;  // JSON text, "" when absent
  std::string revision_id;
  std::int64_t creation_millis = 0;
  std::int64_t update_millis = 0;
};

struct ActivityRecord {
  std::string arn;
  std::string name;
  std::int64_t creation_millis = 0;
};

struct ExecutionRecord {
  std::string arn;
  std::string state_machine_arn;
  std::string name;
  std::string status = "RUNNING";  // RUNNING SUCCEEDED FAILED TIMED_OUT ABORTED
  std::string input;               // JSON text
  std::optional<std::string> output;
  std::optional<std::string> error;
  std::optional<std::string> cause;
  std::int64_t start_millis = 0;
  std::optional<std::int64_t> stop_millis;
  std::string definition;  // the definition it runs (DescribeStateMachineForExecution, replay)
  std::string role_arn;
  std::string type = "STANDARD";
  std::uint64_t seed = 0;  // the interpreter's random seed, for replay
  std::int64_t redrive_count = 0;
  // The mock test case the execution runs (StartExecution's "stateMachineArn#TestCase"), or "".
  std::string test_case;
  // RUNNING, and nothing to do until a task token's callback arrives: no timer, no task queued
  // for a worker or in the hands of an integration. The runtime does not reload idle
  // executions on start; a callback (or a stop) reloads the one it is for.
  bool idle = false;
};

// One thing that happened to an execution, in the order the interpreter applied it.
struct ExecutionInput {
  enum class Kind {
    kStart = 0,
    kTaskStarted = 1,    // a = worker name
    kTaskSucceeded = 2,  // a = output JSON
    kTaskFailed = 3,     // a = error, b = cause
    kTaskTimedOut = 4,   // a = error, b = cause
    kTimerFired = 5,
    kStop = 6,           // a = error, b = cause
    kTaskSubmitted = 7,  // a = the service's response JSON (.waitForTaskToken)
  };
  std::int64_t sequence = 0;  // 1, 2, ... per execution
  Kind kind = Kind::kStart;
  std::int64_t at_millis = 0;  // the interpreter's "now" when applied
  std::int64_t id = 0;         // task or timer id
  std::string a;
  std::string b;
};

struct HistoryRecord {
  std::int64_t id = 0;  // the event id, 1, 2, ...
  std::string json;     // the event as GetExecutionHistory shows it (with execution data)
};

// A small record of some other kind of resource (a Transfer server, user or workflow): its
// JSON text, by kind and id.
struct Document {
  std::string kind;  // "transfer-server", "transfer-user", ...
  std::string id;
  std::string body;  // JSON text
};

// Everything one commit writes. Applied atomically: all of it or none.
struct WriteBatch {
  // Inserted; or, when the arn is stored, updated: status, output, error, cause, stop_millis,
  // redrive_count and idle take the record's values, and the fields fixed at the start
  // (state_machine_arn, name, input, start_millis, definition, role_arn, type, seed,
  // test_case) keep the first write's, whatever the record says. The runtime writes an
  // execution when it starts and when it ends, both times with what it was started with.
  std::vector<ExecutionRecord> executions;
  struct Appended {
    std::string execution_arn;
    std::vector<ExecutionInput> inputs;
    std::vector<HistoryRecord> events;
  };
  std::vector<Appended> appends;
  // Sets ExecutionRecord::idle of executions already stored (applied after the above; an
  // unknown arn is ignored).
  struct IdleMark {
    std::string execution_arn;
    bool idle = false;
  };
  std::vector<IdleMark> idle_marks;
  bool empty() const { return executions.empty() && appends.empty() && idle_marks.empty(); }
};

struct ExecutionFilter {
  std::string state_machine_arn;  // "": every state machine's (not an AWS listing; tools, tests)
  std::optional<std::string> status;
  std::size_t limit = 100;  // 0: no limit
  // Resume after this position (an opaque cursor from the previous page); empty: first page.
  std::string after;
};

// Whether `cursor` is one that ListExecutions could have returned in ExecutionPage::next (or is
// empty). The api module answers InvalidToken for anything else; ListExecutions itself treats
// an invalid cursor as the end of the listing (an empty page).
bool IsValidExecutionCursor(std::string_view cursor);

struct ExecutionPage {
  std::vector<ExecutionRecord> executions;  // newest first, as AWS lists them
  std::string next;                         // cursor for the next page, empty when done
};

// Counters of the commit path, for metrics and the benchmark.
struct CommitStats {
  std::uint64_t batches = 0;       // batches whose `done` has been called (either outcome)
  std::uint64_t transactions = 0;  // transactions that carried them
  std::uint64_t syncs = 0;         // fsyncs that made transactions durable (SqliteStore)
};

class Store {
 public:
  virtual ~Store() = default;

  // State machines. Put inserts or replaces by arn. Get: kNotFound. Delete: idempotent, and
  // also removes the resource's tags (not its executions, which outlive it as in AWS).
  virtual Status PutStateMachine(const StateMachineRecord& record) = 0;
  virtual Result<StateMachineRecord> GetStateMachine(std::string_view arn) = 0;
  virtual std::vector<StateMachineRecord> ListStateMachines() = 0;  // ordered by name
  virtual Status DeleteStateMachine(std::string_view arn) = 0;

  // Activities, likewise.
  virtual Status PutActivity(const ActivityRecord& record) = 0;
  virtual Result<ActivityRecord> GetActivity(std::string_view arn) = 0;
  virtual std::vector<ActivityRecord> ListActivities() = 0;  // ordered by name
  virtual Status DeleteActivity(std::string_view arn) = 0;

  // Tags of any resource (state machine, activity), by arn. The store does not check that the
  // resource exists (the api module does). Tag adds or overwrites keys; Untag ignores absent
  // keys; ListTags of an untagged or unknown resource is empty.
  virtual Status TagResource(std::string_view arn, const Tags& tags) = 0;
  virtual Status UntagResource(std::string_view arn, const std::vector<std::string>& keys) = 0;
  virtual Tags ListTags(std::string_view arn) = 0;

  // Documents of any kind. Put inserts or replaces by (kind, id); Get: kNotFound; List gives a
  // kind's documents whose id starts with `id_prefix`, ordered by id; Delete is idempotent.
  virtual Status PutDocument(const Document& document) = 0;
  virtual Result<Document> GetDocument(std::string_view kind, std::string_view id) = 0;
  virtual std::vector<Document> ListDocuments(std::string_view kind,
                                              std::string_view id_prefix = "") = 0;
  virtual Status DeleteDocument(std::string_view kind, std::string_view id) = 0;

  // Writes a batch durably (for SqliteStore: fsynced) and atomically, then calls `done` with
  // the outcome, on a thread of the store's (MemoryStore: inline, before Commit returns). Many
  // concurrent batches may share one transaction (group commit); one batch failing (e.g.
  // kAlreadyExists) does not fail the others in its group, but a failed transaction fails them
  // all. `done` is called exactly once, also when the store is being destroyed (kUnavailable).
  // `done` must not block, and must not call the synchronous writes (Put*, Delete*, Tag*,
  // CommitAndWait) of the same store: it runs on the writer thread they wait for.
  virtual void Commit(WriteBatch batch, std::function<void(Status)> done) = 0;
  // The same, waiting for the outcome.
  Status CommitAndWait(WriteBatch batch);

  virtual Result<ExecutionRecord> GetExecution(std::string_view arn) = 0;
  virtual ExecutionPage ListExecutions(const ExecutionFilter& filter) = 0;
  // Every execution whose status is RUNNING and that is not idle, oldest written first: what
  // the runtime reloads on start.
  virtual std::vector<ExecutionRecord> ListExecutionsToResume() = 0;
  // Events with id >= first_id in ascending id order (reverse: ids <= first_id, descending),
  // at most `limit` of them; limit 0 means all. Ids are contiguous from 1, so forward this is
  // [first_id, first_id + limit). For the newest events pass reverse and INT64_MAX.
  virtual std::vector<HistoryRecord> GetHistory(std::string_view execution_arn,
                                                std::int64_t first_id, std::size_t limit,
                                                bool reverse) = 0;
  virtual std::int64_t CountHistory(std::string_view execution_arn) = 0;
  virtual std::vector<ExecutionInput> GetInputs(std::string_view execution_arn) = 0;  // by sequence

  virtual CommitStats GetCommitStats() { return {}; }
};

// An in-memory store: for tests and EXPRESS executions. Commit completes at once. With
// `max_finished_executions` > 0 it keeps only that many finished executions (the most recently
// finished; older ones are forgotten, history and all), so that a store of EXPRESS executions,
// which AWS does not keep at all, stays bounded; 0 keeps everything.
std::unique_ptr<Store> NewMemoryStore(std::size_t max_finished_executions = 0);

// The SQLite store at `path` (created when missing), WAL mode, synchronous=FULL, one writer
// thread that gathers concurrent batches into one transaction. Fails with kUnavailable when
// the database cannot be opened or its schema is of a newer version.
Result<std::unique_ptr<Store>> OpenSqliteStore(const std::string& path);

}  // namespace stepway::store
