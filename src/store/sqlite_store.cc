// SqliteStore: the default durable store. One SQLite file in WAL mode.
//
// Threads and ownership:
// - One writer thread owns the write connection and every write statement. Commit() and the
//   synchronous writes enqueue work; the writer takes everything queued (up to
//   kMaxGroupBatches), runs it in one BEGIN IMMEDIATE ... COMMIT transaction, and hands the
//   outcomes to the syncer. That is group commit: under load, many callers share an fsync.
//   When an item fails, the transaction is rolled back and the group run again with each item
//   inside its own SAVEPOINT, so that one failing item leaves the others intact.
// - The syncer thread makes committed transactions durable and only then reports them: it
//   fdatasyncs the WAL file once for every transaction committed since its last fdatasync,
//   then calls their `done`s, in commit order. The write connection runs synchronous=NORMAL
//   (COMMIT writes the WAL without fsyncing it), so the writer goes on with the next group
//   while the previous one's fsync is in flight: the fsync's latency no longer stops the
//   writer, and a slow disk costs latency, not throughput. Nothing is acknowledged before it
//   is durable; a reader of the store may see a transaction up to one fsync before then (after
//   a power loss it may be gone; after a crash of the process it is not, the WAL being in the
//   page cache).
// - Reads use a small pool of read connections (WAL lets readers run beside the writer); a
//   connection and its statements belong to one reading thread while checked out.
// - A checkpointer thread with a connection of its own copies the WAL into the database file
//   when a commit has grown the WAL past kCheckpointFrames, so that no commit waits for that
//   copy and its fsync of the database file (SQLite's default runs it inside the COMMIT).
// - The destructor stops intake, lets the writer drain what was queued, and joins it.
#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <future>
#include <limits>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include "base/check.h"
#include "base/thread_name.h"
#include "store/execution_cursor.h"
#include "store/mutex.h"
#include "store/sqlite_db.h"
#include "store/store.h"

namespace stepway::store {
namespace {

// The schema's version, in PRAGMA user_version. A file of a newer version is refused; an older
// one is migrated step by step (kMigrations). 2: executions.test_case. 3: documents.
// 4: executions.idle and the index of executions to resume. 5: history and execution_inputs
// keyed by one integer (AppendKey), a history row holding a run of events.
constexpr std::int64_t kSchemaVersion = 5;
// PRAGMA application_id of a Stepway database ("STPW"), so that another program's SQLite file
// is refused rather than written into.
constexpr std::int64_t kApplicationId = 0x53545057;
// Most work items one transaction carries. Bounds a transaction's size and the latency of the
// first caller in a large group.
constexpr std::size_t kMaxGroupBatches = 512;
// Most read connections open at once; more concurrent readers wait for one to be returned.
constexpr std::size_t kMaxReaders = 4;
// WAL size, in frames (pages), past which a commit asks the checkpointer thread to copy the WAL
// into the database file: SQLite's own default threshold.
constexpr int kCheckpointFrames = 1000;
// WAL size past which the writer checkpoints itself after a commit. Under continuous load the
// checkpointer never sees the writer pause, so the WAL never restarts from its beginning; a
// checkpoint on the writer's thread, where nothing is appended meanwhile, lets the next
// transaction restart it. Bounds the WAL file to about this many pages.
constexpr int kWriterCheckpointFrames = 4 * kCheckpointFrames;
constexpr std::int64_t kNoLimit = -1;  // SQLite's LIMIT for "all"
// Most executions whose seq the writer remembers (Writer::seqs, ~200 bytes each); past this it
// forgets them all and learns again. Many times the executions a busy server has in flight.
constexpr std::size_t kMaxRememberedSeqs = 1 << 16;

// The append-only tables are keyed by AppendKey(execution seq, id), one integer: inputs by
// their rowid (one B-tree insert a row, where v4's composite PRIMARY KEY also inserted into
// its automatic index), history by an indexed column (see the history table). The low
// kAppendIdBits hold a history event id or an input sequence, the bits above them the
// execution's seq, so that an execution's rows are one contiguous range in id order. 24 bits
// allow 16,777,215 events or inputs per execution, 671 times AWS's 25,000-event history
// (limits::kMaxHistoryEvents); the store refuses ids beyond (kMaxAppendId) rather than let
// them run into the next execution's range. The seq field has 39 bits.
constexpr int kAppendIdBits = 24;
constexpr std::int64_t kMaxAppendId = (std::int64_t{1} << kAppendIdBits) - 1;
constexpr std::int64_t kMaxAppendSeq = (std::int64_t{1} << (63 - kAppendIdBits)) - 1;

constexpr std::int64_t AppendKey(std::int64_t seq, std::int64_t id) {
  return (seq << kAppendIdBits) | id;
}
constexpr std::int64_t AppendId(std::int64_t key) { return key & kMaxAppendId; }

constexpr std::string_view kSchema = R"sql(
CREATE TABLE state_machines (
  arn TEXT PRIMARY KEY NOT NULL,
  name TEXT NOT NULL,
  definition TEXT NOT NULL,
  role_arn TEXT NOT NULL,
  type TEXT NOT NULL,
  description TEXT NOT NULL,
  logging_configuration TEXT NOT NULL,
  tracing_configuration TEXT NOT NULL,
  revision_id TEXT NOT NULL,
  creation_millis INTEGER NOT NULL,
  update_millis INTEGER NOT NULL
);
CREATE INDEX state_machines_by_name ON state_machines (name, arn);
CREATE TABLE activities (
  arn TEXT PRIMARY KEY NOT NULL,
  name TEXT NOT NULL,
  creation_millis INTEGER NOT NULL
);
CREATE INDEX activities_by_name ON activities (name, arn);
CREATE TABLE tags (
  arn TEXT NOT NULL,
  key TEXT NOT NULL,
  value TEXT NOT NULL,
  PRIMARY KEY (arn, key)
) WITHOUT ROWID;
-- seq is the order in which executions were first written; it ties start_millis in listings
-- and keys the append-only tables, so that their rows carry an integer, not the arn.
CREATE TABLE executions (
  seq INTEGER PRIMARY KEY,
  arn TEXT NOT NULL UNIQUE,
  state_machine_arn TEXT NOT NULL,
  name TEXT NOT NULL,
  status TEXT NOT NULL,
  input TEXT NOT NULL,
  output TEXT,
  error TEXT,
  cause TEXT,
  start_millis INTEGER NOT NULL,
  stop_millis INTEGER,
  definition TEXT NOT NULL,
  role_arn TEXT NOT NULL,
  type TEXT NOT NULL,
  seed INTEGER NOT NULL,
  redrive_count INTEGER NOT NULL,
  test_case TEXT NOT NULL DEFAULT '',
  idle INTEGER NOT NULL DEFAULT 0
);
-- What a restart reloads: RUNNING executions that are not idle (ExecutionRecord::idle).
CREATE INDEX executions_to_resume ON executions (seq) WHERE status = 'RUNNING' AND idle = 0;
CREATE INDEX executions_by_machine ON executions (state_machine_arn, start_millis, seq);
-- Every index that holds status moves on each status change, so there are only those that
-- an AWS listing needs (ListExecutions names a machine), and they leave out SUCCEEDED: the
-- common change, RUNNING to SUCCEEDED, then deletes entries and inserts none. A machine's
-- SUCCEEDED executions, usually most of its executions, are listed by walking
-- executions_by_machine. Listing every machine's executions (ExecutionFilter's "", for tools
-- and tests), by status or not, scans the table.
CREATE INDEX executions_by_machine_status
  ON executions (state_machine_arn, status, start_millis, seq) WHERE status <> 'SUCCEEDED';
-- key: (execution seq << 24) | sequence (AppendKey).
CREATE TABLE execution_inputs (
  key INTEGER PRIMARY KEY,
  kind INTEGER NOT NULL,
  at_millis INTEGER NOT NULL,
  id INTEGER NOT NULL,
  a TEXT NOT NULL,
  b TEXT NOT NULL
);
-- A run of events with contiguous ids: key is (execution seq << 24) | the first id
-- (AppendKey), last_id the last; json holds the events' JSON texts joined by newlines (one
-- event's JSON may hold a raw newline only when it is the row's only event). Rows are placed
-- in write order (position), so that a commit's rows, a few hundred bytes to kilobytes
-- each, fill pages at the table's end; placed by key, each would land on a page of its own
-- execution's and split it, and the commit would write several times the pages to the WAL.
CREATE TABLE history (
  position INTEGER PRIMARY KEY,
  key INTEGER NOT NULL,
  last_id INTEGER NOT NULL,
  json TEXT NOT NULL
);
-- Runs never overlap (the writer checks, with this index alone), so keys are unique.
CREATE INDEX history_by_key ON history (key, last_id);
CREATE TABLE documents (
  kind TEXT NOT NULL,
  id TEXT NOT NULL,
  body TEXT NOT NULL,
  PRIMARY KEY (kind, id)
) WITHOUT ROWID;
)sql";

// kMigrations[v - 1] takes a file of version v to v + 1.
constexpr std::string_view kMigrations[] = {
    "ALTER TABLE executions ADD COLUMN test_case TEXT NOT NULL DEFAULT ''",
    R"sql(CREATE TABLE documents (
  kind TEXT NOT NULL,
  id TEXT NOT NULL,
  body TEXT NOT NULL,
  PRIMARY KEY (kind, id)
) WITHOUT ROWID;)sql",
    R"sql(ALTER TABLE executions ADD COLUMN idle INTEGER NOT NULL DEFAULT 0;
CREATE INDEX executions_to_resume ON executions (seq) WHERE status = 'RUNNING' AND idle = 0;)sql",
    // Every history row becomes a run of one event. An id outside [1, kMaxAppendId] would
    // break the key's order: its last_id is NULL, and the NOT NULL constraint fails the
    // migration (and the open) instead.
    R"sql(CREATE TABLE history_v5 (
  position INTEGER PRIMARY KEY,
  key INTEGER NOT NULL,
  last_id INTEGER NOT NULL,
  json TEXT NOT NULL
);
INSERT INTO history_v5 (key, last_id, json)
  SELECT (execution_seq << 24) | id, CASE WHEN id BETWEEN 1 AND 16777215 THEN id END, json
  FROM history ORDER BY rowid;
DROP TABLE history;
ALTER TABLE history_v5 RENAME TO history;
CREATE INDEX history_by_key ON history (key, last_id);
CREATE TABLE execution_inputs_v5 (
  key INTEGER PRIMARY KEY,
  kind INTEGER NOT NULL,
  at_millis INTEGER NOT NULL,
  id INTEGER NOT NULL,
  a TEXT NOT NULL,
  b TEXT NOT NULL
);
INSERT INTO execution_inputs_v5 (key, kind, at_millis, id, a, b)
  SELECT (execution_seq << 24) | sequence,
         CASE WHEN sequence BETWEEN 1 AND 16777215 THEN kind END, at_millis, id, a, b
  FROM execution_inputs ORDER BY execution_seq, sequence;
DROP TABLE execution_inputs;
ALTER TABLE execution_inputs_v5 RENAME TO execution_inputs;
DROP INDEX executions_by_status;
DROP INDEX executions_by_machine_status;
CREATE INDEX executions_by_machine_status
  ON executions (state_machine_arn, status, start_millis, seq) WHERE status <> 'SUCCEEDED';)sql",
};
static_assert(kAppendIdBits == 24 && kMaxAppendId == 16777215);  // written out in SQL above
static_assert(std::size(kMigrations) == kSchemaVersion - 1);

constexpr char kExecutionColumns[] =
    "arn, state_machine_arn, name, status, input, output, error, cause, start_millis, "
    "stop_millis, definition, role_arn, type, seed, redrive_count, test_case, seq, idle";

// Reads a row selected with kExecutionColumns; returns the row's seq through `seq`.
ExecutionRecord ReadExecution(const SqliteStatement& s, std::int64_t* seq = nullptr) {
  ExecutionRecord r;
  r.arn = s.Text(0);
  r.state_machine_arn = s.Text(1);
  r.name = s.Text(2);
  r.status = s.Text(3);
  r.input = s.Text(4);
  r.output = s.OptionalText(5);
  r.error = s.OptionalText(6);
  r.cause = s.OptionalText(7);
  r.start_millis = s.Int(8);
  r.stop_millis = s.OptionalInt(9);
  r.definition = s.Text(10);
  r.role_arn = s.Text(11);
  r.type = s.Text(12);
  r.seed = static_cast<std::uint64_t>(s.Int(13));  // stored as its two's-complement int64
  r.redrive_count = s.Int(14);
  r.test_case = s.Text(15);
  if (seq != nullptr) *seq = s.Int(16);
  r.idle = s.Int(17) != 0;
  return r;
}

StateMachineRecord ReadStateMachine(const SqliteStatement& s) {
  StateMachineRecord r;
  r.arn = s.Text(0);
  r.name = s.Text(1);
  r.definition = s.Text(2);
  r.role_arn = s.Text(3);
  r.type = s.Text(4);
  r.description = s.Text(5);
  r.logging_configuration = s.Text(6);
  r.tracing_configuration = s.Text(7);
  r.revision_id = s.Text(8);
  r.creation_millis = s.Int(9);
  r.update_millis = s.Int(10);
  return r;
}

constexpr char kStateMachineColumns[] =
    "arn, name, definition, role_arn, type, description, logging_configuration, "
    "tracing_configuration, revision_id, creation_millis, update_millis";

// Prepares `sql` into `*out`, keeping the first error in `*status`.
void PrepareInto(const SqliteDb& db, std::string_view sql, SqliteStatement* out,
                 Status* status) {
  if (!*status) return;
  auto stmt = SqliteStatement::Prepare(db, sql);
  if (!stmt) {
    *status = tl::unexpected(stmt.error());
    return;
  }
  *out = std::move(*stmt);
}

// Hashes std::string and std::string_view alike, so that a map keyed by std::string is
// searched with a view.
struct StringHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

std::string Sql(std::initializer_list<std::string_view> parts) {
  std::string sql;
  for (const auto part : parts) sql += part;
  return sql;
}

// The write connection and its statements. Touched only by the writer thread (and by Open,
// before that thread starts).
struct Writer {
  explicit Writer(SqliteDb d) : db(std::move(d)) {}

  Status Prepare() {
    Status s;
    PrepareInto(db, "BEGIN IMMEDIATE", &begin, &s);
    PrepareInto(db, "COMMIT", &commit, &s);
    PrepareInto(db, "ROLLBACK", &rollback, &s);
    PrepareInto(db, "SAVEPOINT item", &savepoint, &s);
    PrepareInto(db, "RELEASE item", &release, &s);
    PrepareInto(db, "ROLLBACK TO item", &rollback_to, &s);
    // Only the columns that change after the first write (ExecutionRecord): SQLite then
    // updates only the indexes on them (status, idle), not those on the arn or the machine.
    PrepareInto(db,
                "UPDATE executions SET status = ?2, output = ?3, error = ?4, cause = ?5, "
                "stop_millis = ?6, redrive_count = ?7, idle = ?8 WHERE seq = ?1",
                &update_execution, &s);
    PrepareInto(db,
                "INSERT INTO executions (arn, state_machine_arn, name, status, input, output, "
                "error, cause, start_millis, stop_millis, definition, role_arn, type, seed, "
                "redrive_count, test_case, idle) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, "
                "?11, ?12, ?13, ?14, ?15, ?16, ?17)",
                &insert_execution, &s);
    PrepareInto(db, "UPDATE executions SET idle = ?2 WHERE arn = ?1", &mark_idle, &s);
    PrepareInto(db, "SELECT seq FROM executions WHERE arn = ?1", &execution_seq, &s);
    PrepareInto(db, "INSERT INTO history (key, last_id, json) VALUES (?1, ?2, ?3)", &insert_events,
                &s);
    PrepareInto(db,
                "SELECT last_id FROM history WHERE key BETWEEN ?1 AND ?2 ORDER BY key DESC "
                "LIMIT 1",
                &last_event_row, &s);
    PrepareInto(db,
                "INSERT INTO execution_inputs (key, kind, at_millis, id, a, b) "
                "VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                &insert_input, &s);
    PrepareInto(db,
                Sql({"INSERT OR REPLACE INTO state_machines (", kStateMachineColumns,
                     ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)"}),
                &put_state_machine, &s);
    PrepareInto(db, "DELETE FROM state_machines WHERE arn = ?1", &delete_state_machine, &s);
    PrepareInto(db,
                "INSERT OR REPLACE INTO activities (arn, name, creation_millis) "
                "VALUES (?1, ?2, ?3)",
                &put_activity, &s);
    PrepareInto(db, "DELETE FROM activities WHERE arn = ?1", &delete_activity, &s);
    PrepareInto(db, "INSERT OR REPLACE INTO tags (arn, key, value) VALUES (?1, ?2, ?3)",
                &put_tag, &s);
    PrepareInto(db, "DELETE FROM tags WHERE arn = ?1 AND key = ?2", &delete_tag, &s);
    PrepareInto(db, "DELETE FROM tags WHERE arn = ?1", &delete_tags, &s);
    PrepareInto(db, "INSERT OR REPLACE INTO documents (kind, id, body) VALUES (?1, ?2, ?3)",
                &put_document, &s);
    PrepareInto(db, "DELETE FROM documents WHERE kind = ?1 AND id = ?2", &delete_document, &s);
    return s;
  }

  Status Exec(SqliteStatement& stmt) {
    SqliteStatement::Use use(stmt);
    return stmt.Run();
  }

  // An id (history event id or input sequence) must fit AppendKey's field: kInvalidArgument
  // below 1, kResourceExhausted past kMaxAppendId.
  static Status CheckAppendId(std::int64_t id, std::string_view what,
                              const WriteBatch::Appended& append) {
    if (id >= 1 && id <= kMaxAppendId) return {};
    return Fail(id < 1 ? ErrorCode::kInvalidArgument : ErrorCode::kResourceExhausted,
                std::string(what) + " " + std::to_string(id) + " of " + append.execution_arn +
                    " is outside the store's range [1, " + std::to_string(kMaxAppendId) + "]");
  }

  // The end of the run of events that starts at events[begin] and goes into one history row:
  // ids ascending by one, and newline-free JSON unless the event is alone in its row. The
  // events of one Appended are one run as the runtime writes them (contiguous ids; compact
  // JSON from engine::ToJsonText, which escapes every newline in a string).
  static std::size_t RunEnd(const std::vector<HistoryRecord>& events, std::size_t begin) {
    const auto alone = [](const HistoryRecord& e) {
      return e.json.find('\n') != std::string::npos;
    };
    if (alone(events[begin])) return begin + 1;
    std::size_t end = begin + 1;
    while (end < events.size() && events[end].id == events[end - 1].id + 1 && !alone(events[end])) {
      ++end;
    }
    return end;
  }

  // Writes events [begin, end) of `append`, a run (RunEnd), as one history row. Fails with
  // kAlreadyExists when the execution has any of their ids already.
  Status InsertEvents(std::int64_t seq, const WriteBatch::Appended& append, std::size_t begin,
                      std::size_t end) {
    const std::int64_t first = append.events[begin].id;
    const std::int64_t last = append.events[end - 1].id;
    if (auto ok = CheckAppendId(first, "history event", append); !ok) return ok;
    if (auto ok = CheckAppendId(last, "history event", append); !ok) return ok;
    const auto duplicate = [&] {
      return Fail(ErrorCode::kAlreadyExists, "history events " + std::to_string(first) + "-" +
                                                 std::to_string(last) + " of " +
                                                 append.execution_arn + ": an id is taken");
    };
    {
      // Rows never overlap, so the only one that can overlap [first, last] is the last one
      // starting at or before `last`.
      SqliteStatement::Use use(last_event_row);
      last_event_row.Bind(1, AppendKey(seq, 0));
      last_event_row.Bind(2, AppendKey(seq, last));
      const auto row = last_event_row.Step();
      if (!row) return tl::unexpected(row.error());
      if (*row && last_event_row.Int(0) >= first) return duplicate();
    }
    std::string_view json = append.events[begin].json;
    if (end - begin > 1) {
      joined_events.clear();
      for (std::size_t i = begin; i < end; ++i) {
        if (i != begin) joined_events += '\n';
        joined_events += append.events[i].json;
      }
      json = joined_events;
    }
    SqliteStatement::Use use(insert_events);
    insert_events.Bind(1, AppendKey(seq, first));
    insert_events.Bind(2, last);
    insert_events.Bind(3, json);
    if (auto ok = insert_events.Run(); !ok) {
      return Fail(ok.error().code, "history events " + std::to_string(first) + "-" +
                                       std::to_string(last) + " of " + append.execution_arn + ": " +
                                       ok.error().message);
    }
    return {};
  }

  // The seq of the stored execution `arn` (from `seqs`, else looked up and remembered), or
  // nullopt when there is none.
  Result<std::optional<std::int64_t>> FindExecution(std::string_view arn) {
    if (const auto it = seqs.find(arn); it != seqs.end()) return it->second;
    SqliteStatement::Use use(execution_seq);
    execution_seq.Bind(1, arn);
    const auto row = execution_seq.Step();
    if (!row) return tl::unexpected(row.error());
    if (!*row) return std::nullopt;
    Remember(arn, execution_seq.Int(0));
    return execution_seq.Int(0);
  }

  // Adds arn -> seq to `seqs`, as learned in the open transaction.
  void Remember(std::string_view arn, std::int64_t seq) {
    const auto [it, added] = seqs.emplace(arn, seq);
    if (added) uncommitted_seqs.push_back(it->first);
  }

  // What `seqs` learned since `mark` (a size of uncommitted_seqs) is forgotten: the rows it
  // came from were rolled back, and their seqs may go to other executions.
  void ForgetSeqsSince(std::size_t mark) {
    for (std::size_t i = mark; i < uncommitted_seqs.size(); ++i) {
      seqs.erase(seqs.find(uncommitted_seqs[i]));
    }
    uncommitted_seqs.resize(std::min(mark, uncommitted_seqs.size()));
  }

  // The open transaction committed: what `seqs` learned in it stays.
  void SeqsCommitted() {
    uncommitted_seqs.clear();
    if (seqs.size() > kMaxRememberedSeqs) seqs.clear();
  }

  // Writes `r`: its changing fields when it is stored, else all of it. (Finding the seq, then
  // an UPDATE by seq, costs less than an UPDATE ... RETURNING seq by arn, which SQLite runs
  // through an ephemeral table.)
  Status WriteExecution(const ExecutionRecord& r) {
    const auto stored = FindExecution(r.arn);
    if (!stored) return tl::unexpected(stored.error());
    if (*stored) {
      SqliteStatement& s = update_execution;
      SqliteStatement::Use use(s);
      s.Bind(1, **stored);
      s.Bind(2, r.status);
      s.Bind(3, r.output);
      s.Bind(4, r.error);
      s.Bind(5, r.cause);
      s.Bind(6, r.stop_millis);
      s.Bind(7, r.redrive_count);
      s.Bind(8, std::int64_t{r.idle});
      return s.Run();
    }
    SqliteStatement& s = insert_execution;
    SqliteStatement::Use use(s);
    s.Bind(1, r.arn);
    s.Bind(2, r.state_machine_arn);
    s.Bind(3, r.name);
    s.Bind(4, r.status);
    s.Bind(5, r.input);
    s.Bind(6, r.output);
    s.Bind(7, r.error);
    s.Bind(8, r.cause);
    s.Bind(9, r.start_millis);
    s.Bind(10, r.stop_millis);
    s.Bind(11, r.definition);
    s.Bind(12, r.role_arn);
    s.Bind(13, r.type);
    s.Bind(14, static_cast<std::int64_t>(r.seed));
    s.Bind(15, r.redrive_count);
    s.Bind(16, r.test_case);
    s.Bind(17, std::int64_t{r.idle});
    if (auto ok = s.Run(); !ok) return ok;
    Remember(r.arn, sqlite3_last_insert_rowid(db.get()));
    return {};
  }

  // Applies `batch` inside the open transaction. The caller rolls back what a failure left, and
  // tells `seqs` (ForgetSeqsSince, SeqsCommitted).
  Status ApplyBatch(const WriteBatch& batch) {
    for (const ExecutionRecord& r : batch.executions) {
      if (auto ok = WriteExecution(r); !ok) return ok;
    }
    for (const WriteBatch::Appended& append : batch.appends) {
      const auto stored = FindExecution(append.execution_arn);
      if (!stored) return tl::unexpected(stored.error());
      if (!*stored) {
        return Fail(ErrorCode::kNotFound, "append to unknown execution " + append.execution_arn);
      }
      const std::int64_t seq = **stored;
      if (seq > kMaxAppendSeq) {
        return Fail(ErrorCode::kResourceExhausted,
                    "execution " + append.execution_arn + " is beyond the store's " +
                        std::to_string(kMaxAppendSeq) + " executions with history");
      }
      for (std::size_t i = 0; i < append.events.size();) {
        const std::size_t end = RunEnd(append.events, i);
        if (auto ok = InsertEvents(seq, append, i, end); !ok) return ok;
        i = end;
      }
      for (const ExecutionInput& input : append.inputs) {
        if (auto ok = CheckAppendId(input.sequence, "input", append); !ok) return ok;
        SqliteStatement::Use use(insert_input);
        insert_input.Bind(1, AppendKey(seq, input.sequence));
        insert_input.Bind(2, static_cast<std::int64_t>(input.kind));
        insert_input.Bind(3, input.at_millis);
        insert_input.Bind(4, input.id);
        insert_input.Bind(5, input.a);
        insert_input.Bind(6, input.b);
        if (auto ok = insert_input.Run(); !ok) {
          return Fail(ok.error().code, "input " + std::to_string(input.sequence) + " of " +
                                           append.execution_arn + ": " + ok.error().message);
        }
      }
    }
    for (const WriteBatch::IdleMark& mark : batch.idle_marks) {
      SqliteStatement::Use use(mark_idle);
      mark_idle.Bind(1, mark.execution_arn);
      mark_idle.Bind(2, std::int64_t{mark.idle});
      if (auto ok = mark_idle.Run(); !ok) return ok;
    }
    return {};
  }

  SqliteDb db;
  SqliteStatement begin, commit, rollback, savepoint, release, rollback_to;
  SqliteStatement update_execution, insert_execution, mark_idle, execution_seq;
  SqliteStatement insert_events, last_event_row, insert_input;
  // The seqs of executions by arn, so that most writes and appends need no lookup by arn (an
  // execution's seq never changes, and executions are never deleted). What the open
  // transaction taught it is listed in uncommitted_seqs, views of its keys, until the
  // transaction commits or rolls back.
  std::unordered_map<std::string, std::int64_t, StringHash, std::equal_to<>> seqs;
  std::vector<std::string_view> uncommitted_seqs;
  std::string joined_events;  // InsertEvents' buffer, kept for its capacity
  SqliteStatement put_state_machine, delete_state_machine, put_activity, delete_activity;
  SqliteStatement put_tag, delete_tag, delete_tags, put_document, delete_document;
};

// A read connection and its statements; checked out of the pool by one thread at a time.
struct Reader {
  explicit Reader(SqliteDb d) : db(std::move(d)) {}

  Status Prepare() {
    Status s = db.Exec("PRAGMA query_only = 1");
    PrepareInto(db, Sql({"SELECT ", kStateMachineColumns, " FROM state_machines WHERE arn = ?1"}),
                &get_state_machine, &s);
    PrepareInto(db,
                Sql({"SELECT ", kStateMachineColumns,
                     " FROM state_machines ORDER BY name, arn"}),
                &list_state_machines, &s);
    PrepareInto(db, "SELECT arn, name, creation_millis FROM activities WHERE arn = ?1",
                &get_activity, &s);
    PrepareInto(db, "SELECT arn, name, creation_millis FROM activities ORDER BY name, arn",
                &list_activities, &s);
    PrepareInto(db, "SELECT key, value FROM tags WHERE arn = ?1 ORDER BY key", &list_tags, &s);
    PrepareInto(db, Sql({"SELECT ", kExecutionColumns, " FROM executions WHERE arn = ?1"}),
                &get_execution, &s);
    // ?1 ?2: the position to resume after (start_millis, seq); ?3 limit; ?4 machine; ?5 status.
    // The first condition bounds the index range; the second resolves ties within one millis.
    constexpr std::string_view kAfter =
        " start_millis <= ?1 AND (start_millis < ?1 OR seq < ?2)"
        " ORDER BY start_millis DESC, seq DESC LIMIT ?3";
    // The literal condition lets SQLite use the partial index executions_by_machine_status.
    PrepareInto(db,
                Sql({"SELECT ", kExecutionColumns,
                     " FROM executions WHERE state_machine_arn = ?4 AND status = ?5 AND "
                     "status <> 'SUCCEEDED' AND",
                     kAfter}),
                &list_by_machine_status, &s);
    PrepareInto(db,
                Sql({"SELECT ", kExecutionColumns,
                     " FROM executions INDEXED BY executions_by_machine WHERE "
                     "state_machine_arn = ?4 AND status = ?5 AND",
                     kAfter}),
                &list_by_machine_succeeded, &s);
    PrepareInto(db,
                Sql({"SELECT ", kExecutionColumns, " FROM executions WHERE state_machine_arn = ?4 AND",
                     kAfter}),
                &list_by_machine, &s);
    PrepareInto(db,
                Sql({"SELECT ", kExecutionColumns, " FROM executions WHERE status = ?5 AND",
                     kAfter}),
                &list_by_status, &s);
    PrepareInto(db, Sql({"SELECT ", kExecutionColumns, " FROM executions WHERE", kAfter}),
                &list_all, &s);
    PrepareInto(db,
                Sql({"SELECT ", kExecutionColumns,
                     " FROM executions WHERE status = 'RUNNING' AND idle = 0 ORDER BY seq"}),
                &list_to_resume, &s);
    PrepareInto(db, "SELECT seq FROM executions WHERE arn = ?1", &execution_seq, &s);
    // Keys (AppendKey) ?1: the execution's first possible, ?2: the wanted id's, ?3: the
    // execution's last possible. Forward starts at the row holding ?2's event (the last row
    // starting at or before it), or at ?2 when there is none.
    PrepareInto(db,
                "SELECT key, last_id, json FROM history WHERE key >= coalesce((SELECT key FROM "
                "history WHERE key BETWEEN ?1 AND ?2 ORDER BY key DESC LIMIT 1), ?2) AND "
                "key <= ?3 ORDER BY key",
                &history_forward, &s);
    PrepareInto(db,
                "SELECT key, last_id, json FROM history WHERE key BETWEEN ?1 AND ?2 "
                "ORDER BY key DESC",
                &history_reverse, &s);
    PrepareInto(db,
                Sql({"SELECT coalesce(sum(last_id - (key & ", std::to_string(kMaxAppendId),
                     ") + 1), 0) FROM history WHERE key BETWEEN ?1 AND ?2"}),
                &count_history, &s);
    PrepareInto(db,
                Sql({"SELECT key & ", std::to_string(kMaxAppendId),
                     ", kind, at_millis, id, a, b FROM execution_inputs WHERE key BETWEEN ?1 "
                     "AND ?2 ORDER BY key"}),
                &inputs, &s);
    PrepareInto(db, "SELECT body FROM documents WHERE kind = ?1 AND id = ?2", &get_document, &s);
    // ?2 is a prefix of the ids wanted: the range [prefix, prefix || U+10FFFF).
    PrepareInto(db,
                "SELECT id, body FROM documents WHERE kind = ?1 AND id >= ?2 AND id < ?2 || "
                "char(1114111) ORDER BY id",
                &list_documents, &s);
    return s;
  }

  SqliteDb db;
  SqliteStatement get_state_machine, list_state_machines, get_activity, list_activities;
  SqliteStatement list_tags, get_execution;
  SqliteStatement list_by_machine_status, list_by_machine_succeeded, list_by_machine;
  SqliteStatement list_by_status, list_all;
  SqliteStatement list_to_resume, execution_seq, history_forward, history_reverse;
  SqliteStatement count_history, inputs;
  SqliteStatement get_document, list_documents;
};

// Opens a read connection with its statements ready.
Result<std::unique_ptr<Reader>> OpenReader(const std::string& path) {
  auto db = SqliteDb::Open(path);
  if (!db) return tl::unexpected(db.error());
  auto reader = std::make_unique<Reader>(std::move(*db));
  if (auto ok = reader->Prepare(); !ok) return tl::unexpected(ok.error());
  return reader;
}

// Runs PASSIVE checkpoints on its own thread and connection when asked. A PASSIVE checkpoint
// neither waits for nor blocks the writer: it copies the frames committed when it began, and
// the database file is fsynced (synchronous=FULL on this connection) before the WAL may be
// reused. Request() is cheap and may be called from SQLite's WAL hook on the writer thread.
class Checkpointer {
 public:
  explicit Checkpointer(SqliteDb db) : db_(std::move(db)), thread_([this] {
        SetThreadName("sw-checkpoint");
        Loop();
      }) {}
  ~Checkpointer() {
    {
      MutexLock lock(mu_);
      stopping_ = true;
    }
    cv_.notify_one();
    thread_.join();
  }

  void Request() {
    {
      MutexLock lock(mu_);
      if (requested_) return;
      requested_ = true;
    }
    cv_.notify_one();
  }

 private:
  void Loop() {
    while (true) {
      {
        MutexLock lock(mu_);
        // No timeout needed: Request and the destructor both notify under the same flags.
        while (!requested_ && !stopping_) cv_.wait(mu_);
        if (stopping_) return;
        requested_ = false;
      }
      // SQLITE_BUSY (another checkpoint is running) or an I/O error: the next commit past the
      // threshold asks again, and the writer's own checkpoint bounds the WAL meanwhile.
      (void)sqlite3_wal_checkpoint_v2(db_.get(), nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr,
                                      nullptr);
    }
  }

  SqliteDb db_;  // touched only by thread_
  Mutex mu_;
  std::condition_variable_any cv_;
  bool requested_ GUARDED_BY(mu_) = false;
  bool stopping_ GUARDED_BY(mu_) = false;
  std::thread thread_;  // last: started once everything above is ready
};

// Makes the WAL durable behind the writer, then reports what it made durable (see the top of
// the file). Add() is called by the writer thread after each transaction, in commit order.
class Syncer {
 public:
  // One outcome to report once durable. `committed`: its transaction reached the WAL (a failed
  // transaction needs no fsync, but is reported in its turn all the same).
  struct Outcome {
    std::function<void(Status)> done;
    Status status;
    bool committed = false;
    // What was written, freed here rather than on the writer thread, the store's bottleneck
    // (3 % of its instructions for a SendTaskSuccess batch).
    WriteBatch batch;
  };

  explicit Syncer(std::string wal_path) : wal_path_(std::move(wal_path)), thread_([this] {
        SetThreadName("sw-store-sync");
        Loop();
      }) {}
  ~Syncer() {
    {
      MutexLock lock(mu_);
      stopping_ = true;
    }
    cv_.notify_one();
    thread_.join();
    if (wal_fd_ >= 0) ::close(wal_fd_);
  }

  void Add(std::vector<Outcome> outcomes) {
    {
      MutexLock lock(mu_);
      pending_.insert(pending_.end(), std::make_move_iterator(outcomes.begin()),
                      std::make_move_iterator(outcomes.end()));
    }
    cv_.notify_one();
  }

  std::thread::id thread_id() const { return thread_.get_id(); }
  std::uint64_t syncs() const { return syncs_.load(std::memory_order_relaxed); }

 private:
  void Loop() {
    std::vector<Outcome> taken;
    while (true) {
      taken.clear();
      {
        MutexLock lock(mu_);
        while (pending_.empty() && !stopping_) cv_.wait(mu_);
        if (pending_.empty()) return;  // stopping, and everything added is reported
        taken.swap(pending_);
      }
      bool any_committed = false;
      for (const Outcome& o : taken) any_committed = any_committed || o.committed;
      if (any_committed) Sync();
      for (Outcome& o : taken) o.done(std::move(o.status));
    }
  }

  // fdatasync of the WAL. The WAL file keeps its inode while the store is open (SQLite removes
  // it only when the last connection closes); should it ever be a new file, it is reopened and
  // its directory entry made durable as well. A failed fdatasync leaves committed transactions
  // of unknown durability that callers would be told are safe: the process stops instead, and
  // a restart recovers from what the disk holds.
  void Sync() {
    struct stat now {};
    if (wal_fd_ >= 0) {
      struct stat open {};
      if (::fstat(wal_fd_, &open) != 0 || ::stat(wal_path_.c_str(), &now) != 0 ||
          open.st_ino != now.st_ino || open.st_dev != now.st_dev) {
        ::close(wal_fd_);
        wal_fd_ = -1;
      }
    }
    if (wal_fd_ < 0) {
      wal_fd_ = ::open(wal_path_.c_str(), O_RDONLY | O_CLOEXEC);
      if (wal_fd_ < 0) Die("open");
      const std::string dir = std::filesystem::path(wal_path_).parent_path().string();
      const int dir_fd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      if (dir_fd < 0 || ::fsync(dir_fd) != 0) Die("fsync the directory of");
      ::close(dir_fd);
    }
    if (::fdatasync(wal_fd_) != 0) Die("fdatasync");
    syncs_.fetch_add(1, std::memory_order_relaxed);
  }

  [[noreturn]] void Die(const char* what) {
    std::fprintf(stderr, "store: cannot %s %s: %s; stopping, as committed writes may not be durable\n",
                 what, wal_path_.c_str(), std::strerror(errno));
    std::abort();
  }

  const std::string wal_path_;
  int wal_fd_ = -1;  // the syncer thread's
  std::atomic<std::uint64_t> syncs_{0};
  Mutex mu_;
  std::condition_variable_any cv_;
  std::vector<Outcome> pending_ GUARDED_BY(mu_);
  bool stopping_ GUARDED_BY(mu_) = false;
  std::thread thread_;  // last: started once everything above is ready
};

class SqliteStore final : public Store {
 public:
  SqliteStore(std::string path, std::unique_ptr<Writer> writer, std::unique_ptr<Reader> reader,
              std::unique_ptr<Checkpointer> checkpointer)
      : path_(std::move(path)),
        writer_(std::move(writer)),
        checkpointer_(std::move(checkpointer)),
        syncer_(std::make_unique<Syncer>(path_ + "-wal")) {
    readers_.push_back(std::move(reader));
    open_readers_ = 1;
    // Replaces SQLite's automatic checkpoint, which would run inside the writer's COMMIT.
    sqlite3_wal_hook(writer_->db.get(), &SqliteStore::OnWalCommit, this);
    writer_thread_ = std::thread([this] {
      SetThreadName("sw-store-write");
      WriterLoop();
    });
  }

  ~SqliteStore() override {
    {
      MutexLock lock(queue_mu_);
      stopping_ = true;
    }
    queue_cv_.notify_all();
    writer_thread_.join();
    syncer_.reset();  // reports what the writer handed it, after its last fsync
  }

  Status PutStateMachine(const StateMachineRecord& r) override {
    return Write([&r](Writer& w) {
      SqliteStatement& s = w.put_state_machine;
      SqliteStatement::Use use(s);
      s.Bind(1, r.arn);
      s.Bind(2, r.name);
      s.Bind(3, r.definition);
      s.Bind(4, r.role_arn);
      s.Bind(5, r.type);
      s.Bind(6, r.description);
      s.Bind(7, r.logging_configuration);
      s.Bind(8, r.tracing_configuration);
      s.Bind(9, r.revision_id);
      s.Bind(10, r.creation_millis);
      s.Bind(11, r.update_millis);
      return s.Run();
    });
  }

  Result<StateMachineRecord> GetStateMachine(std::string_view arn) override {
    auto reader = Checkout();
    if (!reader) return tl::unexpected(reader.error());
    SqliteStatement& s = (*reader)->get_state_machine;
    SqliteStatement::Use use(s);
    s.Bind(1, arn);
    const auto row = s.Step();
    if (!row) return tl::unexpected(row.error());
    if (!*row) return Fail(ErrorCode::kNotFound, "no such state machine");
    return ReadStateMachine(s);
  }

  std::vector<StateMachineRecord> ListStateMachines() override {
    std::vector<StateMachineRecord> out;
    auto reader = Checkout();
    if (!reader) return out;
    SqliteStatement& s = (*reader)->list_state_machines;
    SqliteStatement::Use use(s);
    while (s.Step().value_or(false)) out.push_back(ReadStateMachine(s));
    return out;
  }

  Status DeleteStateMachine(std::string_view arn) override {
    return Write([arn](Writer& w) { return DeleteWithTags(w, w.delete_state_machine, arn); });
  }

  Status PutActivity(const ActivityRecord& r) override {
    return Write([&r](Writer& w) {
      SqliteStatement& s = w.put_activity;
      SqliteStatement::Use use(s);
      s.Bind(1, r.arn);
      s.Bind(2, r.name);
      s.Bind(3, r.creation_millis);
      return s.Run();
    });
  }

  Result<ActivityRecord> GetActivity(std::string_view arn) override {
    auto reader = Checkout();
    if (!reader) return tl::unexpected(reader.error());
    SqliteStatement& s = (*reader)->get_activity;
    SqliteStatement::Use use(s);
    s.Bind(1, arn);
    const auto row = s.Step();
    if (!row) return tl::unexpected(row.error());
    if (!*row) return Fail(ErrorCode::kNotFound, "no such activity");
    return ActivityRecord{s.Text(0), s.Text(1), s.Int(2)};
  }

  std::vector<ActivityRecord> ListActivities() override {
    std::vector<ActivityRecord> out;
    auto reader = Checkout();
    if (!reader) return out;
    SqliteStatement& s = (*reader)->list_activities;
    SqliteStatement::Use use(s);
    while (s.Step().value_or(false)) out.push_back({s.Text(0), s.Text(1), s.Int(2)});
    return out;
  }

  Status DeleteActivity(std::string_view arn) override {
    return Write([arn](Writer& w) { return DeleteWithTags(w, w.delete_activity, arn); });
  }

  Status PutDocument(const Document& d) override {
    return Write([&d](Writer& w) {
      SqliteStatement& s = w.put_document;
      SqliteStatement::Use use(s);
      s.Bind(1, d.kind);
      s.Bind(2, d.id);
      s.Bind(3, d.body);
      return s.Run();
    });
  }

  Result<Document> GetDocument(std::string_view kind, std::string_view id) override {
    auto reader = Checkout();
    if (!reader) return tl::unexpected(reader.error());
    SqliteStatement& s = (*reader)->get_document;
    SqliteStatement::Use use(s);
    s.Bind(1, kind);
    s.Bind(2, id);
    const auto row = s.Step();
    if (!row) return tl::unexpected(row.error());
    if (!*row) return Fail(ErrorCode::kNotFound, "no such " + std::string(kind));
    return Document{std::string(kind), std::string(id), s.Text(0)};
  }

  std::vector<Document> ListDocuments(std::string_view kind, std::string_view id_prefix) override {
    std::vector<Document> out;
    auto reader = Checkout();
    if (!reader) return out;
    SqliteStatement& s = (*reader)->list_documents;
    SqliteStatement::Use use(s);
    s.Bind(1, kind);
    s.Bind(2, id_prefix);
    while (s.Step().value_or(false)) out.push_back({std::string(kind), s.Text(0), s.Text(1)});
    return out;
  }

  Status DeleteDocument(std::string_view kind, std::string_view id) override {
    return Write([kind, id](Writer& w) {
      SqliteStatement& s = w.delete_document;
      SqliteStatement::Use use(s);
      s.Bind(1, kind);
      s.Bind(2, id);
      return s.Run();
    });
  }

  Status TagResource(std::string_view arn, const Tags& tags) override {
    return Write([arn, &tags](Writer& w) -> Status {
      for (const auto& [key, value] : tags) {
        SqliteStatement::Use use(w.put_tag);
        w.put_tag.Bind(1, arn);
        w.put_tag.Bind(2, key);
        w.put_tag.Bind(3, value);
        if (auto ok = w.put_tag.Run(); !ok) return ok;
      }
      return {};
    });
  }

  Status UntagResource(std::string_view arn, const std::vector<std::string>& keys) override {
    return Write([arn, &keys](Writer& w) -> Status {
      for (const auto& key : keys) {
        SqliteStatement::Use use(w.delete_tag);
        w.delete_tag.Bind(1, arn);
        w.delete_tag.Bind(2, key);
        if (auto ok = w.delete_tag.Run(); !ok) return ok;
      }
      return {};
    });
  }

  Tags ListTags(std::string_view arn) override {
    Tags out;
    auto reader = Checkout();
    if (!reader) return out;
    SqliteStatement& s = (*reader)->list_tags;
    SqliteStatement::Use use(s);
    s.Bind(1, arn);
    while (s.Step().value_or(false)) out.emplace(s.Text(0), s.Text(1));
    return out;
  }

  void Commit(WriteBatch batch, std::function<void(Status)> done) override {
    Enqueue(Item{std::move(batch), nullptr, std::move(done)});
  }

  Result<ExecutionRecord> GetExecution(std::string_view arn) override {
    auto reader = Checkout();
    if (!reader) return tl::unexpected(reader.error());
    SqliteStatement& s = (*reader)->get_execution;
    SqliteStatement::Use use(s);
    s.Bind(1, arn);
    const auto row = s.Step();
    if (!row) return tl::unexpected(row.error());
    if (!*row) return Fail(ErrorCode::kNotFound, "no such execution");
    return ReadExecution(s);
  }

  ExecutionPage ListExecutions(const ExecutionFilter& filter) override {
    ExecutionPage page;
    ExecutionPosition after{std::numeric_limits<std::int64_t>::max(),
                            std::numeric_limits<std::int64_t>::max()};
    if (!filter.after.empty()) {
      const auto decoded = DecodeExecutionCursor(filter.after);
      if (!decoded) return page;
      after = *decoded;
    }
    auto reader = Checkout();
    if (!reader) return page;
    Reader& r = **reader;
    const bool by_machine = !filter.state_machine_arn.empty();
    SqliteStatement& by_machine_status =
        filter.status == "SUCCEEDED" ? r.list_by_machine_succeeded : r.list_by_machine_status;
    SqliteStatement& s = by_machine ? (filter.status ? by_machine_status : r.list_by_machine)
                                    : (filter.status ? r.list_by_status : r.list_all);
    SqliteStatement::Use use(s);
    s.Bind(1, after.start_millis);
    s.Bind(2, after.seq);
    // One row past the page tells whether there is a next page.
    s.Bind(3, filter.limit == 0 ? kNoLimit : static_cast<std::int64_t>(filter.limit) + 1);
    if (by_machine) s.Bind(4, filter.state_machine_arn);
    if (filter.status) s.Bind(5, *filter.status);
    ExecutionPosition last;
    while (s.Step().value_or(false)) {
      if (filter.limit != 0 && page.executions.size() == filter.limit) {
        page.next = EncodeExecutionCursor(last);
        break;
      }
      std::int64_t seq = 0;
      page.executions.push_back(ReadExecution(s, &seq));
      last = {page.executions.back().start_millis, seq};
    }
    return page;
  }

  std::vector<ExecutionRecord> ListExecutionsToResume() override {
    std::vector<ExecutionRecord> out;
    auto reader = Checkout();
    if (!reader) return out;
    SqliteStatement& s = (*reader)->list_to_resume;
    SqliteStatement::Use use(s);
    while (s.Step().value_or(false)) out.push_back(ReadExecution(s));
    return out;
  }

  std::vector<HistoryRecord> GetHistory(std::string_view execution_arn, std::int64_t first_id,
                                        std::size_t limit, bool reverse) override {
    std::vector<HistoryRecord> out;
    // Ids are at least 1: forward from below 1 is from 1, reverse from below 1 is nothing.
    if (reverse ? first_id < 1 : first_id > kMaxAppendId) return out;
    first_id = std::clamp<std::int64_t>(first_id, 1, kMaxAppendId);
    auto reader = Checkout();
    if (!reader) return out;
    const auto seq = ExecutionSeq(**reader, execution_arn);
    if (!seq) return out;
    SqliteStatement& s = reverse ? (*reader)->history_reverse : (*reader)->history_forward;
    SqliteStatement::Use use(s);
    s.Bind(1, AppendKey(*seq, 0));
    s.Bind(2, AppendKey(*seq, first_id));
    if (!reverse) s.Bind(3, AppendKey(*seq, kMaxAppendId));
    const auto full = [&] { return limit != 0 && out.size() == limit; };
    std::vector<std::string_view> events;
    while (!full() && s.Step().value_or(false)) {
      const std::int64_t first = AppendId(s.Int(0));
      const std::int64_t last = s.Int(1);
      SplitEvents(s.TextView(2), last - first + 1, events);
      if (!reverse) {
        for (std::int64_t id = std::max(first, first_id); id <= last && !full(); ++id) {
          out.push_back({id, std::string(events[id - first])});
        }
      } else {
        for (std::int64_t id = std::min(last, first_id); id >= first && !full(); --id) {
          out.push_back({id, std::string(events[id - first])});
        }
      }
    }
    return out;
  }

  std::int64_t CountHistory(std::string_view execution_arn) override {
    auto reader = Checkout();
    if (!reader) return 0;
    const auto seq = ExecutionSeq(**reader, execution_arn);
    if (!seq) return 0;
    SqliteStatement& s = (*reader)->count_history;
    SqliteStatement::Use use(s);
    s.Bind(1, AppendKey(*seq, 0));
    s.Bind(2, AppendKey(*seq, kMaxAppendId));
    return s.Step().value_or(false) ? s.Int(0) : 0;
  }

  std::vector<ExecutionInput> GetInputs(std::string_view execution_arn) override {
    std::vector<ExecutionInput> out;
    auto reader = Checkout();
    if (!reader) return out;
    const auto seq = ExecutionSeq(**reader, execution_arn);
    if (!seq) return out;
    SqliteStatement& s = (*reader)->inputs;
    SqliteStatement::Use use(s);
    s.Bind(1, AppendKey(*seq, 0));
    s.Bind(2, AppendKey(*seq, kMaxAppendId));
    while (s.Step().value_or(false)) {
      ExecutionInput input;
      input.sequence = s.Int(0);
      input.kind = static_cast<ExecutionInput::Kind>(s.Int(1));
      input.at_millis = s.Int(2);
      input.id = s.Int(3);
      input.a = s.Text(4);
      input.b = s.Text(5);
      out.push_back(std::move(input));
    }
    return out;
  }

  CommitStats GetCommitStats() override {
    return {batches_.load(std::memory_order_relaxed),
            transactions_.load(std::memory_order_relaxed), syncer_->syncs()};
  }

 private:
  // SQLite's WAL hook: called on the writer thread after each commit with the WAL's size in
  // frames. Asks for a checkpoint each time the WAL has grown by kCheckpointFrames (as often as
  // SQLite's own would run), and checkpoints here past kWriterCheckpointFrames.
  static int OnWalCommit(void* self, sqlite3* db, const char* name, int frames) {
    auto& store = *static_cast<SqliteStore*>(self);
    if (frames >= kWriterCheckpointFrames) {
      // Busy when the checkpointer is at work: it copies the frames, and a later commit retries.
      (void)sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
      return SQLITE_OK;
    }
    if (frames < store.frames_at_checkpoint_request_) store.frames_at_checkpoint_request_ = 0;
    if (frames - store.frames_at_checkpoint_request_ >= kCheckpointFrames) {
      store.frames_at_checkpoint_request_ = frames;
      store.checkpointer_->Request();
    }
    return SQLITE_OK;
  }

  // One unit of the writer's work: a batch, or (when `op` is set) a synchronous write.
  struct Item {
    WriteBatch batch;
    std::function<Status(Writer&)> op;
    std::function<void(Status)> done;
  };

  // A read connection checked out of the pool; returned to it on destruction.
  class ReaderLease {
   public:
    ReaderLease(SqliteStore* store, std::unique_ptr<Reader> reader)
        : store_(store), reader_(std::move(reader)) {}
    ReaderLease(ReaderLease&&) = default;
    ~ReaderLease() {
      if (reader_) store_->Return(std::move(reader_));
    }
    Reader* operator->() const { return reader_.get(); }
    Reader& operator*() const { return *reader_; }

   private:
    SqliteStore* store_;
    std::unique_ptr<Reader> reader_;
  };

  // The seq of the execution `arn`, or nullopt when there is none (or the read failed).
  static std::optional<std::int64_t> ExecutionSeq(Reader& reader, std::string_view arn) {
    SqliteStatement& s = reader.execution_seq;
    SqliteStatement::Use use(s);
    s.Bind(1, arn);
    if (!s.Step().value_or(false)) return std::nullopt;
    return s.Int(0);
  }

  // Splits a history row's json into its `count` events (see the history table). A row of one
  // event is its JSON whole, newlines and all. A row whose text holds fewer parts than its ids
  // (only a damaged file) yields empty events for the missing ones.
  static void SplitEvents(std::string_view json, std::int64_t count,
                          std::vector<std::string_view>& events) {
    events.clear();
    if (count == 1) {
      events.push_back(json);
      return;
    }
    for (std::int64_t i = 0; i + 1 < count; ++i) {
      const std::size_t end = json.find('\n');
      if (end == std::string_view::npos) break;
      events.push_back(json.substr(0, end));
      json.remove_prefix(end + 1);
    }
    events.push_back(json);
    events.resize(static_cast<std::size_t>(std::max<std::int64_t>(count, 0)));
  }

  static Status DeleteWithTags(Writer& w, SqliteStatement& remove, std::string_view arn) {
    {
      SqliteStatement::Use use(remove);
      remove.Bind(1, arn);
      if (auto ok = remove.Run(); !ok) return ok;
    }
    SqliteStatement::Use use(w.delete_tags);
    w.delete_tags.Bind(1, arn);
    return w.delete_tags.Run();
  }

  // Runs `op` on the writer thread in a transaction (possibly shared with others' work) and
  // waits until it is durable. The wait ends: the writer reports every item it took, and
  // drains the queue before it exits.
  Status Write(std::function<Status(Writer&)> op) {
    CHECK(std::this_thread::get_id() != writer_thread_.get_id() &&
          std::this_thread::get_id() != syncer_->thread_id());  // see Store::Commit
    std::promise<Status> promise;
    auto future = promise.get_future();
    Enqueue(Item{{}, std::move(op), [&promise](Status s) { promise.set_value(std::move(s)); }});
    return future.get();
  }

  void Enqueue(Item item) {
    {
      MutexLock lock(queue_mu_);
      if (!stopping_) {
        queue_.push_back(std::move(item));
        item.done = nullptr;
      }
    }
    if (item.done) {
      item.done(Fail(ErrorCode::kUnavailable, "the store is closing"));
      return;
    }
    queue_cv_.notify_one();
  }

  void WriterLoop() {
    std::vector<Item> group;
    while (true) {
      group.clear();
      {
        MutexLock lock(queue_mu_);
        // No timeout needed: Enqueue and the destructor both notify, and the destructor sets
        // stopping_ under the lock before notifying.
        while (queue_.empty() && !stopping_) queue_cv_.wait(queue_mu_);
        if (queue_.empty()) return;  // stopping, and everything queued is done
        const std::size_t n = std::min(queue_.size(), kMaxGroupBatches);
        group.assign(std::make_move_iterator(queue_.begin()),
                     std::make_move_iterator(queue_.begin() + static_cast<std::ptrdiff_t>(n)));
        queue_.erase(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(n));
      }
      RunGroup(group);
    }
  }

  // Runs `group` in one transaction and hands each item's outcome to the syncer.
  void RunGroup(std::vector<Item>& group) {
    std::vector<Status> results(group.size());
    const std::uint64_t before = transactions_.load(std::memory_order_relaxed);
    if (!RunGroupOptimistically(group, results)) RunGroupInSavepoints(group, results);
    const bool committed = transactions_.load(std::memory_order_relaxed) != before;
    batches_.fetch_add(group.size(), std::memory_order_relaxed);
    std::vector<Syncer::Outcome> outcomes;
    outcomes.reserve(group.size());
    for (std::size_t i = 0; i < group.size(); ++i) {
      outcomes.push_back(
          {std::move(group[i].done), std::move(results[i]), committed, std::move(group[i].batch)});
    }
    syncer_->Add(std::move(outcomes));
  }

  // The common case, every item succeeding, without a savepoint per item (each costs three
  // statements and a copy of every page the item touches into the statement journal). Returns
  // false, with nothing written, when an item failed: the caller then runs the group again in
  // savepoints, so that only the failing items fail. True when the outcome is in `results`.
  bool RunGroupOptimistically(const std::vector<Item>& group, std::vector<Status>& results) {
    Writer& w = *writer_;
    Status transaction = w.Exec(w.begin);
    for (std::size_t i = 0; transaction && i < group.size(); ++i) {
      const Item& item = group[i];
      if (Status ok = item.op ? item.op(w) : w.ApplyBatch(item.batch); !ok) {
        if (!w.db.autocommit()) (void)w.Exec(w.rollback);
        w.ForgetSeqsSince(0);
        return false;
      }
    }
    if (transaction) transaction = w.Exec(w.commit);
    if (!transaction) {
      if (!w.db.autocommit()) (void)w.Exec(w.rollback);
      w.ForgetSeqsSince(0);
      for (auto& result : results) result = tl::unexpected(transaction.error());
      return true;
    }
    w.SeqsCommitted();
    transactions_.fetch_add(1, std::memory_order_relaxed);
    return true;
  }

  // Each item in its own SAVEPOINT, so that one failing item leaves the others intact.
  void RunGroupInSavepoints(const std::vector<Item>& group, std::vector<Status>& results) {
    Writer& w = *writer_;
    Status transaction = w.Exec(w.begin);
    for (std::size_t i = 0; transaction && i < group.size(); ++i) {
      if (transaction = w.Exec(w.savepoint); !transaction) break;
      const Item& item = group[i];
      const std::size_t seqs_mark = w.uncommitted_seqs.size();
      results[i] = item.op ? item.op(w) : w.ApplyBatch(item.batch);
      if (results[i]) {
        transaction = w.Exec(w.release);
        continue;
      }
      // SQLite rolls the whole transaction back by itself after some errors (disk full, I/O);
      // then what the earlier items wrote is gone too.
      if (w.db.autocommit()) {
        transaction = tl::unexpected(results[i].error());
        break;
      }
      transaction = w.Exec(w.rollback_to);
      w.ForgetSeqsSince(seqs_mark);
      if (transaction) transaction = w.Exec(w.release);
    }
    if (transaction) transaction = w.Exec(w.commit);
    if (!transaction) {
      if (!w.db.autocommit()) (void)w.Exec(w.rollback);
      w.ForgetSeqsSince(0);
      for (auto& result : results) {
        if (result) result = tl::unexpected(transaction.error());
      }
    } else {
      w.SeqsCommitted();
      transactions_.fetch_add(1, std::memory_order_relaxed);
    }
  }

  // Takes a read connection from the pool, opening one when none is free and fewer than
  // kMaxReaders are open; otherwise waits for one. A lease lasts one query, so the wait is
  // bounded by the longest query.
  Result<ReaderLease> Checkout() {
    {
      MutexLock lock(readers_mu_);
      while (readers_.empty() && open_readers_ >= kMaxReaders) readers_cv_.wait(readers_mu_);
      if (!readers_.empty()) {
        auto reader = std::move(readers_.back());
        readers_.pop_back();
        return ReaderLease(this, std::move(reader));
      }
      ++open_readers_;
    }
    auto reader = OpenReader(path_);
    if (!reader) {
      {
        MutexLock lock(readers_mu_);
        --open_readers_;
      }
      readers_cv_.notify_one();
      return tl::unexpected(reader.error());
    }
    return ReaderLease(this, std::move(*reader));
  }

  void Return(std::unique_ptr<Reader> reader) {
    {
      MutexLock lock(readers_mu_);
      readers_.push_back(std::move(reader));
    }
    readers_cv_.notify_one();
  }

  const std::string path_;
  const std::unique_ptr<Writer> writer_;  // only the writer thread touches it once started
  const std::unique_ptr<Checkpointer> checkpointer_;  // stopped after the writer (see ~)
  int frames_at_checkpoint_request_ = 0;  // the WAL's size at the last request; writer thread
  std::unique_ptr<Syncer> syncer_;  // stopped after the writer, before the checkpointer

  Mutex queue_mu_;
  std::condition_variable_any queue_cv_;
  std::vector<Item> queue_ GUARDED_BY(queue_mu_);
  bool stopping_ GUARDED_BY(queue_mu_) = false;

  Mutex readers_mu_;
  std::condition_variable_any readers_cv_;
  std::vector<std::unique_ptr<Reader>> readers_ GUARDED_BY(readers_mu_);
  std::size_t open_readers_ GUARDED_BY(readers_mu_) = 0;

  std::atomic<std::uint64_t> batches_{0};
  std::atomic<std::uint64_t> transactions_{0};

  std::thread writer_thread_;  // last: started once everything above is ready
};

// Creates the schema in a new file, or checks an existing one's identity and version.
Status PrepareSchema(SqliteDb& db) {
  if (auto ok = db.Exec("BEGIN IMMEDIATE"); !ok) return ok;
  const auto finish = [&db](Status status) -> Status {
    if (!status) {
      (void)db.Exec("ROLLBACK");
      return status;
    }
    return db.Exec("COMMIT");
  };
  const auto version = db.QueryInt("PRAGMA user_version");
  if (!version) return finish(tl::unexpected(version.error()));
  const auto application = db.QueryInt("PRAGMA application_id");
  if (!application) return finish(tl::unexpected(application.error()));
  if (*version == 0) {
    const auto tables = db.QueryInt("SELECT count(*) FROM sqlite_schema");
    if (!tables) return finish(tl::unexpected(tables.error()));
    if (*tables != 0 || *application != 0) {
      return finish(Fail(ErrorCode::kUnavailable, "not a Stepway database"));
    }
    Status created = db.Exec(kSchema);
    if (created) {
      created = db.Exec("PRAGMA application_id = " + std::to_string(kApplicationId) +
                        "; PRAGMA user_version = " + std::to_string(kSchemaVersion));
    }
    return finish(std::move(created));
  }
  if (*application != kApplicationId) {
    return finish(Fail(ErrorCode::kUnavailable, "not a Stepway database"));
  }
  if (*version > kSchemaVersion) {
    return finish(Fail(ErrorCode::kUnavailable,
                       "the database's schema version " + std::to_string(*version) +
                           " is newer than this program's " + std::to_string(kSchemaVersion)));
  }
  for (std::int64_t v = *version; v < kSchemaVersion; ++v) {
    Status migrated = db.Exec(kMigrations[v - 1]);
    if (migrated) migrated = db.Exec("PRAGMA user_version = " + std::to_string(v + 1));
    if (!migrated) return finish(std::move(migrated));
  }
  return finish({});
}

}  // namespace

Result<std::unique_ptr<Store>> OpenSqliteStore(const std::string& path) {
  if (sqlite3_threadsafe() == 0) {
    return Fail(ErrorCode::kUnavailable, "SQLite was built without thread support");
  }
  const auto unavailable = [&path](const Error& e) {
    return Fail(ErrorCode::kUnavailable, path + ": " + e.message);
  };
  auto db = SqliteDb::Open(path);
  if (!db) return unavailable(db.error());
  // WAL: readers run beside the writer. synchronous=NORMAL: COMMIT writes the WAL without an
  // fsync; the syncer fsyncs it before anything is acknowledged (see the top of the file), so a
  // committed batch survives power loss, not only a crash of the process. SQLite still fsyncs
  // the WAL before a checkpoint and the database file after one. temp_store=MEMORY:
  // the statement journal that lets ROLLBACK TO undo one item of a group (never needed after
  // the transaction) stays in memory; by default it spills past 64 KiB into a file in /var/tmp,
  // one write() per page, which cost more than the rest of the commit.
  for (const char* pragma :
       {"PRAGMA journal_mode = WAL", "PRAGMA synchronous = NORMAL", "PRAGMA temp_store = MEMORY"}) {
    if (auto ok = db->Exec(pragma); !ok) return unavailable(ok.error());
  }
  {
    auto mode = SqliteStatement::Prepare(*db, "PRAGMA journal_mode");
    if (!mode) return unavailable(mode.error());
    const auto row = mode->Step();
    if (!row || !*row || mode->Text(0) != "wal") {
      return Fail(ErrorCode::kUnavailable, path + ": cannot use WAL mode");
    }
  }
  if (auto ok = PrepareSchema(*db); !ok) return unavailable(ok.error());
  auto writer = std::make_unique<Writer>(std::move(*db));
  if (auto ok = writer->Prepare(); !ok) return unavailable(ok.error());
  auto reader = OpenReader(path);
  if (!reader) return unavailable(reader.error());
  auto checkpoint_db = SqliteDb::Open(path);
  if (!checkpoint_db) return unavailable(checkpoint_db.error());
  if (auto ok = checkpoint_db->Exec("PRAGMA synchronous = FULL"); !ok) {
    return unavailable(ok.error());
  }
  return std::make_unique<SqliteStore>(path, std::move(writer), std::move(*reader),
                                       std::make_unique<Checkpointer>(std::move(*checkpoint_db)));
}

}  // namespace stepway::store
