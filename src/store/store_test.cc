// One test suite for every Store backend (typed tests), plus what only a durable backend can
// show: reopening the file, refusing foreign or newer files, and losing nothing acknowledged
// when the process is SIGKILLed mid-stream.
#include "store/store.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <cstdlib>
#include <filesystem>
#include <future>
#include <limits>
#include <mutex>
#include <semaphore>
#include <set>
#include <thread>

namespace stepway::store {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

constexpr char kMachine[] = "arn:aws:states:us-east-1:123456789012:stateMachine:m";
constexpr char kOtherMachine[] = "arn:aws:states:us-east-1:123456789012:stateMachine:other";

// A fresh directory, removed with everything in it at the end of the test.
class TempDir {
 public:
  TempDir() {
    std::string pattern = std::filesystem::temp_directory_path() / "store_test.XXXXXX";
    CHECK_NOTNULL(mkdtemp(pattern.data()));
    path_ = pattern;
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  std::string File(std::string_view name) const { return path_ / name; }

 private:
  static void CHECK_NOTNULL(const char* p) { ASSERT_NE(p, nullptr) << std::strerror(errno); }
  std::filesystem::path path_;
};

struct MemoryBackend {
  static std::unique_ptr<Store> Open(const TempDir&) { return NewMemoryStore(); }
};

struct SqliteBackend {
  static std::unique_ptr<Store> Open(const TempDir& dir) {
    auto store = OpenSqliteStore(dir.File("stepway.db"));
    EXPECT_TRUE(store) << store.error().message;
    return store ? std::move(*store) : nullptr;
  }
};

ExecutionRecord MakeExecution(std::string_view name, std::string_view machine = kMachine,
                              std::int64_t start_millis = 1000,
                              std::string_view status = "RUNNING") {
  ExecutionRecord r;
  r.arn = std::string("arn:aws:states:us-east-1:123456789012:execution:m:") + std::string(name);
  r.state_machine_arn = machine;
  r.name = name;
  r.status = status;
  r.input = R"({"n":1})";
  r.start_millis = start_millis;
  r.definition = R"({"StartAt":"A","States":{"A":{"Type":"Succeed"}}})";
  r.role_arn = "arn:aws:iam::123456789012:role/r";
  r.seed = 42;
  return r;
}

HistoryRecord Event(std::int64_t id) {
  return {id, R"({"id":)" + std::to_string(id) + R"(,"type":"PassStateEntered"})"};
}

ExecutionInput Input(std::int64_t sequence, ExecutionInput::Kind kind = ExecutionInput::Kind::kStart) {
  ExecutionInput input;
  input.sequence = sequence;
  input.kind = kind;
  input.at_millis = 1000 + sequence;
  input.id = sequence * 10;
  input.a = "a" + std::to_string(sequence);
  input.b = "b" + std::to_string(sequence);
  return input;
}

// A batch that writes `execution` and appends events [first, last] and one input.
WriteBatch StepBatch(const ExecutionRecord& execution, std::int64_t first, std::int64_t last,
                     std::int64_t input_sequence) {
  WriteBatch batch;
  batch.executions.push_back(execution);
  WriteBatch::Appended append{execution.arn, {Input(input_sequence)}, {}};
  for (std::int64_t id = first; id <= last; ++id) append.events.push_back(Event(id));
  batch.appends.push_back(std::move(append));
  return batch;
}

// Executions of `machine` ("": of every machine), first page of the default size.
ExecutionFilter Of(std::string_view machine) {
  ExecutionFilter filter;
  filter.state_machine_arn = machine;
  return filter;
}

std::vector<std::string> Names(const std::vector<ExecutionRecord>& executions) {
  std::vector<std::string> names;
  for (const auto& e : executions) names.push_back(e.name);
  return names;
}

std::vector<std::int64_t> Ids(const std::vector<HistoryRecord>& events) {
  std::vector<std::int64_t> ids;
  for (const auto& e : events) ids.push_back(e.id);
  return ids;
}

void ExpectSameExecution(const ExecutionRecord& a, const ExecutionRecord& b) {
  EXPECT_EQ(a.arn, b.arn);
  EXPECT_EQ(a.state_machine_arn, b.state_machine_arn);
  EXPECT_EQ(a.name, b.name);
  EXPECT_EQ(a.status, b.status);
  EXPECT_EQ(a.input, b.input);
  EXPECT_EQ(a.output, b.output);
  EXPECT_EQ(a.error, b.error);
  EXPECT_EQ(a.cause, b.cause);
  EXPECT_EQ(a.start_millis, b.start_millis);
  EXPECT_EQ(a.stop_millis, b.stop_millis);
  EXPECT_EQ(a.definition, b.definition);
  EXPECT_EQ(a.role_arn, b.role_arn);
  EXPECT_EQ(a.idle, b.idle);
  EXPECT_EQ(a.type, b.type);
  EXPECT_EQ(a.seed, b.seed);
  EXPECT_EQ(a.redrive_count, b.redrive_count);
  EXPECT_EQ(a.test_case, b.test_case);
}

template <typename Backend>
class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = Backend::Open(dir_);
    ASSERT_NE(store_, nullptr);
  }
  Store& store() { return *store_; }

  TempDir dir_;
  std::unique_ptr<Store> store_;
};

using Backends = ::testing::Types<MemoryBackend, SqliteBackend>;
class BackendNames {
 public:
  template <typename T>
  static std::string GetName(int) {
    return std::is_same_v<T, MemoryBackend> ? "Memory" : "Sqlite";
  }
};
TYPED_TEST_SUITE(StoreTest, Backends, BackendNames);

TYPED_TEST(StoreTest, StateMachineCrud) {
  Store& s = this->store();
  StateMachineRecord m;
  m.arn = kMachine;
  m.name = "zeta";
  m.definition = R"({"StartAt":"A"})";
  m.role_arn = "arn:aws:iam::123456789012:role/r";
  m.type = "EXPRESS";
  m.description = "d";
  m.logging_configuration = R"({"level":"OFF"})";
  m.revision_id = "rev1";
  m.creation_millis = 5;
  m.update_millis = 6;
  ASSERT_TRUE(s.PutStateMachine(m));
  auto got = s.GetStateMachine(kMachine);
  ASSERT_TRUE(got);
  EXPECT_EQ(got->name, "zeta");
  EXPECT_EQ(got->definition, m.definition);
  EXPECT_EQ(got->type, "EXPRESS");
  EXPECT_EQ(got->description, "d");
  EXPECT_EQ(got->logging_configuration, m.logging_configuration);
  EXPECT_EQ(got->tracing_configuration, "");
  EXPECT_EQ(got->revision_id, "rev1");
  EXPECT_EQ(got->creation_millis, 5);
  EXPECT_EQ(got->update_millis, 6);

  m.revision_id = "rev2";
  ASSERT_TRUE(s.PutStateMachine(m));
  EXPECT_EQ(s.GetStateMachine(kMachine)->revision_id, "rev2");

  StateMachineRecord other = m;
  other.arn = kOtherMachine;
  other.name = "alpha";
  ASSERT_TRUE(s.PutStateMachine(other));
  const auto list = s.ListStateMachines();
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0].name, "alpha");
  EXPECT_EQ(list[1].name, "zeta");

  const auto missing = s.GetStateMachine("arn:nope");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);

  ASSERT_TRUE(s.TagResource(kMachine, {{"k", "v"}}));
  ASSERT_TRUE(s.DeleteStateMachine(kMachine));
  ASSERT_TRUE(s.DeleteStateMachine(kMachine));  // idempotent
  EXPECT_FALSE(s.GetStateMachine(kMachine));
  EXPECT_THAT(s.ListTags(kMachine), IsEmpty());
  EXPECT_EQ(s.ListStateMachines().size(), 1u);
}

TYPED_TEST(StoreTest, ActivityCrud) {
  Store& s = this->store();
  ASSERT_TRUE(s.PutActivity({"arn:act:b", "b", 2}));
  ASSERT_TRUE(s.PutActivity({"arn:act:a", "a", 1}));
  const auto got = s.GetActivity("arn:act:b");
  ASSERT_TRUE(got);
  EXPECT_EQ(got->name, "b");
  EXPECT_EQ(got->creation_millis, 2);
  const auto list = s.ListActivities();
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0].arn, "arn:act:a");
  EXPECT_EQ(s.GetActivity("arn:act:c").error().code, ErrorCode::kNotFound);
  ASSERT_TRUE(s.TagResource("arn:act:a", {{"team", "x"}}));
  ASSERT_TRUE(s.DeleteActivity("arn:act:a"));
  ASSERT_TRUE(s.DeleteActivity("arn:act:a"));
  EXPECT_FALSE(s.GetActivity("arn:act:a"));
  EXPECT_THAT(s.ListTags("arn:act:a"), IsEmpty());
  EXPECT_EQ(s.ListActivities().size(), 1u);
}

TYPED_TEST(StoreTest, Tags) {
  Store& s = this->store();
  EXPECT_THAT(s.ListTags(kMachine), IsEmpty());
  ASSERT_TRUE(s.TagResource(kMachine, {{"a", "1"}, {"b", "2"}}));
  ASSERT_TRUE(s.TagResource(kMachine, {{"b", "3"}, {"c", ""}}));
  ASSERT_TRUE(s.TagResource(kOtherMachine, {{"z", "9"}}));
  EXPECT_EQ(s.ListTags(kMachine), (Tags{{"a", "1"}, {"b", "3"}, {"c", ""}}));
  ASSERT_TRUE(s.UntagResource(kMachine, {"a", "absent"}));
  EXPECT_EQ(s.ListTags(kMachine), (Tags{{"b", "3"}, {"c", ""}}));
  ASSERT_TRUE(s.UntagResource("arn:unknown", {"a"}));
  EXPECT_EQ(s.ListTags(kOtherMachine), (Tags{{"z", "9"}}));
}

TEST(MemoryStoreTest, KeepsOnlyTheNewestFinishedExecutions) {
  auto s = NewMemoryStore(2);
  ExecutionRecord running = MakeExecution("running");
  ASSERT_TRUE(s->CommitAndWait(WriteBatch{{running}, {}}));
  for (const char* name : {"a", "b", "c"}) {
    ExecutionRecord e = MakeExecution(name);
    ASSERT_TRUE(s->CommitAndWait(WriteBatch{{e}, {}}));
    e.status = "SUCCEEDED";
    ASSERT_TRUE(s->CommitAndWait(WriteBatch{{e}, {}}));
    ASSERT_TRUE(s->CommitAndWait(WriteBatch{{e}, {}}));  // finishing twice counts once
  }
  EXPECT_FALSE(s->GetExecution(MakeExecution("a").arn));
  EXPECT_TRUE(s->GetExecution(MakeExecution("b").arn));
  EXPECT_TRUE(s->GetExecution(MakeExecution("c").arn));
  EXPECT_TRUE(s->GetExecution(running.arn));  // running ones are never forgotten
  ExecutionFilter all;
  all.limit = 0;
  EXPECT_EQ(s->ListExecutions(all).executions.size(), 3u);
}

TYPED_TEST(StoreTest, Documents) {
  Store& s = this->store();
  EXPECT_EQ(s.GetDocument("server", "s-1").error().code, ErrorCode::kNotFound);
  ASSERT_TRUE(s.PutDocument({"server", "s-2", R"({"n":2})"}));
  ASSERT_TRUE(s.PutDocument({"server", "s-1", R"({"n":1})"}));
  ASSERT_TRUE(s.PutDocument({"user", "s-1/alice", "{}"}));
  ASSERT_TRUE(s.PutDocument({"user", "s-10/bob", "{}"}));
  ASSERT_TRUE(s.PutDocument({"server", "s-1", R"({"n":11})"}));  // replaces
  EXPECT_EQ(s.GetDocument("server", "s-1")->body, R"({"n":11})");
  auto servers = s.ListDocuments("server");
  ASSERT_EQ(servers.size(), 2u);
  EXPECT_EQ(servers[0].id, "s-1");
  EXPECT_EQ(servers[1].id, "s-2");
  auto users = s.ListDocuments("user", "s-1/");
  ASSERT_EQ(users.size(), 1u);
  EXPECT_EQ(users[0].id, "s-1/alice");
  EXPECT_EQ(users[0].kind, "user");
  ASSERT_TRUE(s.DeleteDocument("server", "s-1"));
  ASSERT_TRUE(s.DeleteDocument("server", "absent"));
  EXPECT_FALSE(s.GetDocument("server", "s-1"));
  EXPECT_EQ(s.ListDocuments("server").size(), 1u);
}

TYPED_TEST(StoreTest, ExecutionRoundTrip) {
  Store& s = this->store();
  ExecutionRecord e = MakeExecution("e1");
  e.seed = std::numeric_limits<std::uint64_t>::max() - 7;  // high bit set
  e.redrive_count = 2;
  e.type = "EXPRESS";
  e.test_case = "HappyPath";
  ASSERT_TRUE(s.CommitAndWait(WriteBatch{{e}, {}}));
  auto got = s.GetExecution(e.arn);
  ASSERT_TRUE(got);
  ExpectSameExecution(*got, e);
  EXPECT_FALSE(got->output.has_value());
  EXPECT_FALSE(got->stop_millis.has_value());

  e.status = "FAILED";
  e.output = "";  // present but empty is not absent
  e.error = "States.TaskFailed";
  e.cause = "boom";
  e.stop_millis = 2000;
  ASSERT_TRUE(s.CommitAndWait(WriteBatch{{e}, {}}));
  got = s.GetExecution(e.arn);
  ASSERT_TRUE(got);
  ExpectSameExecution(*got, e);
  EXPECT_EQ(got->output, std::optional<std::string>(""));

  // What the first write fixed stays; what changes after it follows the latest write.
  ExecutionRecord later = e;
  later.state_machine_arn = kOtherMachine;
  later.name = "renamed";
  later.input = "{}";
  later.start_millis = 5;
  later.definition = "{}";
  later.role_arn = "arn:aws:iam::123456789012:role/other";
  later.type = "STANDARD";
  later.seed = 1;
  later.test_case = "";
  later.status = "SUCCEEDED";
  later.output = R"({"done":true})";
  later.error.reset();
  later.cause.reset();
  later.stop_millis = 3000;
  later.redrive_count = 3;
  later.idle = true;
  ASSERT_TRUE(s.CommitAndWait(WriteBatch{{later}, {}}));
  ExecutionRecord expected = e;
  expected.status = later.status;
  expected.output = later.output;
  expected.error = later.error;
  expected.cause = later.cause;
  expected.stop_millis = later.stop_millis;
  expected.redrive_count = later.redrive_count;
  expected.idle = later.idle;
  ExpectSameExecution(*s.GetExecution(e.arn), expected);
  EXPECT_THAT(Names(s.ListExecutions(Of(kMachine)).executions), ElementsAre("e1"));

  EXPECT_EQ(s.GetExecution("arn:nope").error().code, ErrorCode::kNotFound);
  EXPECT_TRUE(s.CommitAndWait(WriteBatch{}));  // an empty batch is fine
}

TYPED_TEST(StoreTest, ListExecutionsNewestFirstAndFiltered) {
  Store& s = this->store();
  // Written in this order; c and d share a start time, so d (written later) comes first.
  ASSERT_TRUE(s.CommitAndWait({{MakeExecution("a", kMachine, 100),
                                MakeExecution("b", kMachine, 300, "SUCCEEDED"),
                                MakeExecution("c", kMachine, 200),
                                MakeExecution("d", kMachine, 200, "FAILED"),
                                MakeExecution("x", kOtherMachine, 250)},
                               {}}));
  ExecutionFilter filter = Of(kMachine);
  EXPECT_THAT(Names(s.ListExecutions(filter).executions), ElementsAre("b", "d", "c", "a"));
  filter.status = "RUNNING";
  EXPECT_THAT(Names(s.ListExecutions(filter).executions), ElementsAre("c", "a"));
  filter.status = "ABORTED";
  EXPECT_THAT(s.ListExecutions(filter).executions, IsEmpty());
  EXPECT_THAT(Names(s.ListExecutions(Of(kOtherMachine)).executions), ElementsAre("x"));
  EXPECT_THAT(Names(s.ListExecutions(Of("")).executions), ElementsAre("b", "x", "d", "c", "a"));
  ExecutionFilter running_anywhere = Of("");
  running_anywhere.status = "RUNNING";
  EXPECT_THAT(Names(s.ListExecutions(running_anywhere).executions), ElementsAre("x", "c", "a"));

  // Replacing a record keeps its place (c stays behind d); a status change moves it between
  // the filtered listings.
  ExecutionRecord c = MakeExecution("c", kMachine, 200, "SUCCEEDED");
  ASSERT_TRUE(s.CommitAndWait({{c}, {}}));
  EXPECT_THAT(Names(s.ListExecutions(Of(kMachine)).executions), ElementsAre("b", "d", "c", "a"));
  filter.status = "SUCCEEDED";
  EXPECT_THAT(Names(s.ListExecutions(filter).executions), ElementsAre("b", "c"));

  EXPECT_THAT(Names(s.ListExecutionsToResume()), ElementsAre("a", "x"));
}

TYPED_TEST(StoreTest, ListExecutionsByStatusPages) {
  Store& s = this->store();
  WriteBatch batch;
  for (int i = 0; i < 9; ++i) {
    const char* status = i % 3 == 0 ? "RUNNING" : i % 3 == 1 ? "SUCCEEDED" : "FAILED";
    batch.executions.push_back(
        MakeExecution("s" + std::to_string(i), kMachine, 100 + i / 2, status));
    batch.executions.push_back(MakeExecution("o" + std::to_string(i), kOtherMachine, 100, status));
  }
  ASSERT_TRUE(s.CommitAndWait(batch));
  // s3 finishes: it leaves the RUNNING listing for the SUCCEEDED one, in its place.
  ASSERT_TRUE(s.CommitAndWait({{MakeExecution("s3", kMachine, 101, "SUCCEEDED")}, {}}));
  const auto all_pages = [&s](const char* status) {
    ExecutionFilter filter = Of(kMachine);
    filter.status = status;
    filter.limit = 2;
    std::vector<std::string> names;
    for (int pages = 0; pages < 10; ++pages) {
      const ExecutionPage page = s.ListExecutions(filter);
      for (const auto& e : page.executions) names.push_back(e.name);
      if (page.next.empty()) break;
      filter.after = page.next;
    }
    return names;
  };
  EXPECT_THAT(all_pages("RUNNING"), ElementsAre("s6", "s0"));
  EXPECT_THAT(all_pages("SUCCEEDED"), ElementsAre("s7", "s4", "s3", "s1"));
  EXPECT_THAT(all_pages("FAILED"), ElementsAre("s8", "s5", "s2"));
  EXPECT_THAT(all_pages("ABORTED"), IsEmpty());
}

TYPED_TEST(StoreTest, IdleExecutionsAreNotResumed) {
  Store& s = this->store();
  ExecutionRecord waiting = MakeExecution("waiting", kMachine, 100);
  waiting.idle = true;
  ASSERT_TRUE(s.CommitAndWait({{waiting, MakeExecution("busy", kMachine, 200)}, {}}));
  EXPECT_TRUE(s.GetExecution(waiting.arn)->idle);
  EXPECT_THAT(Names(s.ListExecutionsToResume()), ElementsAre("busy"));

  // Marks flip the flag of stored executions, in the batch's atomic commit; unknown arns are
  // ignored.
  WriteBatch marks;
  marks.idle_marks = {{waiting.arn, false}, {MakeExecution("busy").arn, true}, {"arn:none", true}};
  ASSERT_FALSE(marks.empty());
  ASSERT_TRUE(s.CommitAndWait(marks));
  EXPECT_FALSE(s.GetExecution(waiting.arn)->idle);
  EXPECT_THAT(Names(s.ListExecutionsToResume()), ElementsAre("waiting"));

  // A mark applies after the batch's records and appends; a finished execution is never resumed.
  waiting.idle = false;
  WriteBatch step = StepBatch(waiting, 1, 2, 1);
  step.idle_marks = {{waiting.arn, true}};
  ASSERT_TRUE(s.CommitAndWait(step));
  EXPECT_THAT(s.ListExecutionsToResume(), IsEmpty());
  ASSERT_TRUE(s.CommitAndWait({{MakeExecution("busy", kMachine, 200, "SUCCEEDED")}, {}}));
  EXPECT_THAT(s.ListExecutionsToResume(), IsEmpty());
}

TYPED_TEST(StoreTest, ListExecutionsPagesWithStableCursors) {
  Store& s = this->store();
  WriteBatch batch;
  for (int i = 0; i < 10; ++i) {
    // Pairs share a start time, to page across ties.
    batch.executions.push_back(MakeExecution("e" + std::to_string(i), kMachine, 100 + i / 2));
  }
  ASSERT_TRUE(s.CommitAndWait(batch));
  ExecutionFilter filter = Of(kMachine);
  filter.limit = 3;
  std::vector<std::string> seen;
  int pages = 0;
  while (true) {
    const ExecutionPage page = s.ListExecutions(filter);
    ++pages;
    EXPECT_LE(page.executions.size(), 3u);
    for (const auto& e : page.executions) seen.push_back(e.name);
    if (pages == 1) {
      // Executions started meanwhile (newer) do not shift later pages.
      ASSERT_TRUE(s.CommitAndWait({{MakeExecution("new", kMachine, 999)}, {}}));
    }
    if (page.next.empty()) break;
    EXPECT_TRUE(IsValidExecutionCursor(page.next));
    filter.after = page.next;
  }
  EXPECT_EQ(pages, 4);
  EXPECT_THAT(seen, ElementsAre("e9", "e8", "e7", "e6", "e5", "e4", "e3", "e2", "e1", "e0"));

  // An exact multiple of the limit has no empty last page.
  filter = Of(kMachine);
  filter.limit = 11;
  EXPECT_TRUE(s.ListExecutions(filter).next.empty());
  filter.limit = 0;  // all
  EXPECT_EQ(s.ListExecutions(filter).executions.size(), 11u);

  for (const char* bad : {"garbage", "x1.", "x1.5", "x1.5.0", "x1.05.3", "x1.5.3.", "x1.+5.3",
                          "x1.99999999999999999999.1"}) {
    EXPECT_FALSE(IsValidExecutionCursor(bad)) << bad;
    filter.after = bad;
    EXPECT_THAT(s.ListExecutions(filter).executions, IsEmpty()) << bad;
  }
  EXPECT_TRUE(IsValidExecutionCursor(""));
  EXPECT_TRUE(IsValidExecutionCursor("x1.-5.3"));
}

TYPED_TEST(StoreTest, HistoryRanges) {
  Store& s = this->store();
  const ExecutionRecord e = MakeExecution("h");
  ASSERT_TRUE(s.CommitAndWait(StepBatch(e, 1, 4, 1)));
  ASSERT_TRUE(s.CommitAndWait(StepBatch(e, 5, 9, 2)));
  EXPECT_EQ(s.CountHistory(e.arn), 9);
  EXPECT_THAT(Ids(s.GetHistory(e.arn, 1, 0, false)), ElementsAre(1, 2, 3, 4, 5, 6, 7, 8, 9));
  EXPECT_THAT(Ids(s.GetHistory(e.arn, 4, 3, false)), ElementsAre(4, 5, 6));
  EXPECT_THAT(Ids(s.GetHistory(e.arn, 8, 5, false)), ElementsAre(8, 9));
  EXPECT_THAT(s.GetHistory(e.arn, 10, 5, false), IsEmpty());
  EXPECT_THAT(Ids(s.GetHistory(e.arn, std::numeric_limits<std::int64_t>::max(), 2, true)),
              ElementsAre(9, 8));
  EXPECT_THAT(Ids(s.GetHistory(e.arn, 4, 0, true)), ElementsAre(4, 3, 2, 1));
  EXPECT_THAT(Ids(s.GetHistory(e.arn, 3, 10, true)), ElementsAre(3, 2, 1));
  EXPECT_THAT(s.GetHistory(e.arn, 0, 10, true), IsEmpty());
  const auto events = s.GetHistory(e.arn, 7, 1, false);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].json, Event(7).json);
  EXPECT_THAT(s.GetHistory("arn:nope", 1, 0, false), IsEmpty());
  EXPECT_EQ(s.CountHistory("arn:nope"), 0);
}

// Appends of several events (which a backend may keep together) read back whole from any
// point inside them, either way, with any limit; duplicates are found inside them too.
TYPED_TEST(StoreTest, HistoryRangesAcrossAppends) {
  Store& s = this->store();
  const ExecutionRecord e = MakeExecution("runs");
  ASSERT_TRUE(s.CommitAndWait(StepBatch(e, 1, 5, 1)));
  ASSERT_TRUE(s.CommitAndWait(StepBatch(e, 6, 6, 2)));
  // A JSON text with a raw newline (not compact, but a valid text) and events out of order.
  WriteBatch odd{{}, {{e.arn, {Input(3)}, {{7, "{\"a\":\n1}"}, Event(8), Event(10), Event(9)}}}};
  ASSERT_TRUE(s.CommitAndWait(odd));
  ASSERT_TRUE(s.CommitAndWait(StepBatch(e, 11, 15, 4)));
  EXPECT_EQ(s.CountHistory(e.arn), 15);
  const auto all = s.GetHistory(e.arn, 1, 0, false);
  ASSERT_EQ(all.size(), 15u);
  for (std::int64_t id = 1; id <= 15; ++id) {
    EXPECT_EQ(all[id - 1].id, id);
    EXPECT_EQ(all[id - 1].json, id == 7 ? "{\"a\":\n1}" : Event(id).json) << id;
  }
  EXPECT_THAT(Ids(s.GetHistory(e.arn, 2, 3, false)), ElementsAre(2, 3, 4));
  EXPECT_THAT(Ids(s.GetHistory(e.arn, 3, 4, false)), ElementsAre(3, 4, 5, 6));
  EXPECT_THAT(Ids(s.GetHistory(e.arn, 5, 0, false)),
              ElementsAre(5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15));
  EXPECT_THAT(Ids(s.GetHistory(e.arn, 13, 0, false)), ElementsAre(13, 14, 15));
  EXPECT_THAT(Ids(s.GetHistory(e.arn, 0, 2, false)), ElementsAre(1, 2));
  EXPECT_THAT(Ids(s.GetHistory(e.arn, -5, 1, false)), ElementsAre(1));
  EXPECT_THAT(s.GetHistory(e.arn, 16, 0, false), IsEmpty());
  EXPECT_THAT(Ids(s.GetHistory(e.arn, 13, 4, true)), ElementsAre(13, 12, 11, 10));
  EXPECT_THAT(Ids(s.GetHistory(e.arn, 4, 0, true)), ElementsAre(4, 3, 2, 1));
  EXPECT_THAT(Ids(s.GetHistory(e.arn, 9, 3, true)), ElementsAre(9, 8, 7));
  EXPECT_THAT(Ids(s.GetHistory(e.arn, 16, 2, true)), ElementsAre(15, 14));
  EXPECT_THAT(Ids(s.GetHistory(e.arn, 1, 5, true)), ElementsAre(1));
  EXPECT_THAT(s.GetHistory(e.arn, -1, 0, true), IsEmpty());
  EXPECT_EQ(s.GetHistory(e.arn, 3, 1, true).at(0).json, Event(3).json);
  EXPECT_EQ(s.GetHistory(e.arn, 7, 1, false).at(0).json, "{\"a\":\n1}");

  // An id inside an earlier append, at either end of one or overlapping the last.
  for (const auto& [first, last] : std::vector<std::pair<int, int>>{
           {3, 3}, {1, 1}, {5, 6}, {4, 17}, {9, 9}, {15, 16}, {12, 14}}) {
    const auto status = s.CommitAndWait(StepBatch(e, first, last, 5));
    ASSERT_FALSE(status) << first << "-" << last;
    EXPECT_EQ(status.error().code, ErrorCode::kAlreadyExists) << first << "-" << last;
  }
  EXPECT_EQ(s.CountHistory(e.arn), 15);
  EXPECT_EQ(s.GetInputs(e.arn).size(), 4u);
  ASSERT_TRUE(s.CommitAndWait(StepBatch(e, 16, 17, 5)));
  EXPECT_THAT(Ids(s.GetHistory(e.arn, 17, 3, true)), ElementsAre(17, 16, 15));
}

TYPED_TEST(StoreTest, InputsInOrder) {
  Store& s = this->store();
  const ExecutionRecord e = MakeExecution("i");
  ASSERT_TRUE(s.CommitAndWait({{e}, {{e.arn, {Input(1, ExecutionInput::Kind::kStart)}, {}}}}));
  ASSERT_TRUE(s.CommitAndWait(
      {{}, {{e.arn,
             {Input(2, ExecutionInput::Kind::kTaskStarted),
              Input(3, ExecutionInput::Kind::kTaskFailed)},
             {}}}}));
  ASSERT_TRUE(
      s.CommitAndWait({{}, {{e.arn, {Input(4, ExecutionInput::Kind::kStop)}, {}}}}));
  const auto inputs = s.GetInputs(e.arn);
  ASSERT_EQ(inputs.size(), 4u);
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    const ExecutionInput expected = Input(static_cast<std::int64_t>(i) + 1);
    EXPECT_EQ(inputs[i].sequence, expected.sequence);
    EXPECT_EQ(inputs[i].at_millis, expected.at_millis);
    EXPECT_EQ(inputs[i].id, expected.id);
    EXPECT_EQ(inputs[i].a, expected.a);
    EXPECT_EQ(inputs[i].b, expected.b);
  }
  EXPECT_EQ(inputs[1].kind, ExecutionInput::Kind::kTaskStarted);
  EXPECT_EQ(inputs[2].kind, ExecutionInput::Kind::kTaskFailed);
  EXPECT_EQ(inputs[3].kind, ExecutionInput::Kind::kStop);
  EXPECT_THAT(s.GetInputs("arn:nope"), IsEmpty());
}

TYPED_TEST(StoreTest, BatchIsAtomic) {
  Store& s = this->store();
  ExecutionRecord e = MakeExecution("atomic");
  ASSERT_TRUE(s.CommitAndWait(StepBatch(e, 1, 3, 1)));

  // The status change, the new input and the new events all fail with the duplicate event 3.
  ExecutionRecord changed = e;
  changed.status = "SUCCEEDED";
  WriteBatch bad = StepBatch(changed, 3, 5, 2);
  ExecutionRecord other = MakeExecution("bystander");
  bad.executions.insert(bad.executions.begin(), other);
  auto status = s.CommitAndWait(bad);
  ASSERT_FALSE(status);
  EXPECT_EQ(status.error().code, ErrorCode::kAlreadyExists);
  EXPECT_EQ(s.GetExecution(e.arn)->status, "RUNNING");
  EXPECT_EQ(s.CountHistory(e.arn), 3);
  EXPECT_EQ(s.GetInputs(e.arn).size(), 1u);
  EXPECT_FALSE(s.GetExecution(other.arn));

  // A duplicate input sequence, and a duplicate within one batch, likewise.
  status = s.CommitAndWait(StepBatch(changed, 4, 5, 1));
  ASSERT_FALSE(status);
  EXPECT_EQ(status.error().code, ErrorCode::kAlreadyExists);
  WriteBatch twice = StepBatch(changed, 4, 5, 2);
  twice.appends.push_back(twice.appends[0]);
  twice.appends[1].inputs.clear();
  EXPECT_FALSE(s.CommitAndWait(twice));
  EXPECT_EQ(s.CountHistory(e.arn), 3);

  // Appending to an execution that is neither stored nor in the batch.
  status = s.CommitAndWait({{}, {{"arn:nope", {}, {Event(1)}}}});
  ASSERT_FALSE(status);
  EXPECT_EQ(status.error().code, ErrorCode::kNotFound);

  // The store is still usable and the good batch goes through.
  ASSERT_TRUE(s.CommitAndWait(StepBatch(changed, 4, 5, 2)));
  EXPECT_EQ(s.GetExecution(e.arn)->status, "SUCCEEDED");
  EXPECT_EQ(s.CountHistory(e.arn), 5);
}

TYPED_TEST(StoreTest, FailedBatchLeavesNoTraceOfItsExecution) {
  // A failed batch's new execution is not stored, even for a while: an append to it fails,
  // and nothing reaches an execution written after it (which a backend may give the same
  // internal place).
  Store& s = this->store();
  const ExecutionRecord lost = MakeExecution("lost");
  WriteBatch bad{{lost}, {{lost.arn, {Input(1)}, {Event(1), Event(1)}}}};
  EXPECT_EQ(s.CommitAndWait(bad).error().code, ErrorCode::kAlreadyExists);
  EXPECT_FALSE(s.GetExecution(lost.arn));
  const ExecutionRecord next = MakeExecution("next");
  ASSERT_TRUE(s.CommitAndWait({{next}, {}}));
  EXPECT_EQ(s.CommitAndWait({{}, {{lost.arn, {Input(1)}, {Event(1)}}}}).error().code,
            ErrorCode::kNotFound);
  ExecutionRecord finished = lost;
  finished.status = "SUCCEEDED";
  ASSERT_TRUE(s.CommitAndWait({{finished}, {}}));  // written afresh, in a place of its own
  EXPECT_EQ(s.GetExecution(next.arn)->status, "RUNNING");
  EXPECT_EQ(s.GetExecution(lost.arn)->status, "SUCCEEDED");
  EXPECT_EQ(s.CountHistory(next.arn), 0);
  EXPECT_THAT(s.GetInputs(next.arn), IsEmpty());
}

TYPED_TEST(StoreTest, ManyConcurrentCommittersAllAcknowledged) {
  Store& s = this->store();
  constexpr int kThreads = 16;
  constexpr int kStepsPerThread = 40;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&s, &failures, t] {
      ExecutionRecord e = MakeExecution("c" + std::to_string(t), kMachine, t);
      for (int step = 0; step < kStepsPerThread; ++step) {
        if (step + 1 == kStepsPerThread) e.status = "SUCCEEDED";
        // Every third step, a bad batch (duplicate event 1) rides along and must fail alone.
        if (step > 0 && step % 3 == 0 && s.CommitAndWait(StepBatch(e, 1, 1, 1000 + step))) {
          ++failures;
        }
        if (!s.CommitAndWait(StepBatch(e, 3 * step + 1, 3 * step + 3, step + 1))) ++failures;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(failures.load(), 0);
  for (int t = 0; t < kThreads; ++t) {
    const std::string arn = MakeExecution("c" + std::to_string(t)).arn;
    EXPECT_EQ(s.GetExecution(arn)->status, "SUCCEEDED");
    EXPECT_EQ(s.CountHistory(arn), 3 * kStepsPerThread);
    EXPECT_EQ(s.GetInputs(arn).size(), static_cast<std::size_t>(kStepsPerThread));
  }
  ExecutionFilter filter = Of(kMachine);
  filter.limit = 0;
  EXPECT_EQ(s.ListExecutions(filter).executions.size(), static_cast<std::size_t>(kThreads));
  EXPECT_THAT(s.ListExecutionsToResume(), IsEmpty());
  const CommitStats stats = s.GetCommitStats();
  EXPECT_GE(stats.batches, static_cast<std::uint64_t>(kThreads * kStepsPerThread));
  EXPECT_LE(stats.transactions, stats.batches);
}

TYPED_TEST(StoreTest, FailingBatchesFailAloneAmongManyInFlight) {
  // Batches committed back to back without waiting share transactions in a group-committing
  // store; the bad ones (a duplicate event) must fail alone, before, after and between good ones.
  Store& s = this->store();
  constexpr int kExecutions = 60;
  std::vector<ExecutionRecord> executions;
  for (int i = 0; i < kExecutions; ++i) {
    executions.push_back(MakeExecution("f" + std::to_string(i), kMachine, i));
    ASSERT_TRUE(s.CommitAndWait(StepBatch(executions.back(), 1, 2, 1)));
  }
  std::mutex mu;
  std::condition_variable cv;
  int outstanding = 2 * kExecutions;
  std::vector<int> ok(2 * kExecutions, -1);
  for (int i = 0; i < kExecutions; ++i) {
    ExecutionRecord done = executions[i];
    done.status = "SUCCEEDED";
    const bool bad_first = i % 2 == 0;
    for (int k = 0; k < 2; ++k) {
      const bool bad = (k == 0) == bad_first;
      const int slot = 2 * i + k;
      s.Commit(bad ? StepBatch(done, 2, 3, 2) : StepBatch(done, 3, 4, 2), [&, slot](Status st) {
        std::lock_guard lock(mu);
        ok[slot] = st ? 1 : 0;
        if (--outstanding == 0) cv.notify_all();
      });
    }
  }
  std::unique_lock lock(mu);
  ASSERT_TRUE(cv.wait_for(lock, std::chrono::seconds(30), [&] { return outstanding == 0; }));
  for (int i = 0; i < kExecutions; ++i) {
    const bool bad_first = i % 2 == 0;
    EXPECT_EQ(ok[2 * i], bad_first ? 0 : 1) << i;
    EXPECT_EQ(ok[2 * i + 1], bad_first ? 1 : 0) << i;
    EXPECT_EQ(s.GetExecution(executions[i].arn)->status, "SUCCEEDED");
    EXPECT_EQ(s.CountHistory(executions[i].arn), 4);
    EXPECT_EQ(s.GetInputs(executions[i].arn).size(), 2u);
  }
}

TYPED_TEST(StoreTest, CommitFromDoneCallbackChains) {
  // `done` may start the next commit (it must only not wait for it).
  Store& s = this->store();
  constexpr int kSteps = 20;
  const ExecutionRecord e = MakeExecution("chain");
  std::promise<Status> finished;
  std::function<void(int)> step = [&](int i) {
    s.Commit(StepBatch(e, i + 1, i + 1, i + 1), [&, i](Status status) {
      if (!status || i + 1 == kSteps) {
        finished.set_value(status);
        return;
      }
      step(i + 1);
    });
  };
  step(0);
  auto future = finished.get_future();
  ASSERT_EQ(future.wait_for(std::chrono::seconds(30)), std::future_status::ready);
  EXPECT_TRUE(future.get());
  EXPECT_EQ(s.CountHistory(e.arn), kSteps);
}

// What only the SQLite store can show.
class SqliteStoreTest : public ::testing::Test {
 protected:
  std::unique_ptr<Store> Open() { return SqliteBackend::Open(dir_); }
  std::string path() const { return dir_.File("stepway.db"); }
  TempDir dir_;
};

TEST_F(SqliteStoreTest, ReopenFindsEverything) {
  const ExecutionRecord e = MakeExecution("durable");
  {
    auto s = Open();
    ASSERT_NE(s, nullptr);
    StateMachineRecord m;
    m.arn = kMachine;
    m.name = "m";
    m.definition = "{}";
    ASSERT_TRUE(s->PutStateMachine(m));
    ASSERT_TRUE(s->PutActivity({"arn:act:a", "a", 1}));
    ASSERT_TRUE(s->TagResource(kMachine, {{"k", "v"}}));
    ASSERT_TRUE(s->CommitAndWait(StepBatch(e, 1, 3, 1)));
    ASSERT_TRUE(s->CommitAndWait(StepBatch(e, 4, 6, 2)));
  }
  auto s = Open();
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->GetStateMachine(kMachine)->name, "m");
  EXPECT_EQ(s->GetActivity("arn:act:a")->name, "a");
  EXPECT_EQ(s->ListTags(kMachine), (Tags{{"k", "v"}}));
  auto got = s->GetExecution(e.arn);
  ASSERT_TRUE(got);
  ExpectSameExecution(*got, e);
  EXPECT_THAT(Ids(s->GetHistory(e.arn, 1, 0, false)), ElementsAre(1, 2, 3, 4, 5, 6));
  EXPECT_EQ(s->GetInputs(e.arn).size(), 2u);
  EXPECT_THAT(Names(s->ListExecutionsToResume()), ElementsAre("durable"));
  // Positions survive too: an execution written after reopening lists before a tie.
  ASSERT_TRUE(s->CommitAndWait({{MakeExecution("later")}, {}}));
  EXPECT_THAT(Names(s->ListExecutions(Of(kMachine)).executions), ElementsAre("later", "durable"));
}

TEST_F(SqliteStoreTest, RefusesIdsOutsideTheKeyField) {
  auto s = Open();
  ASSERT_NE(s, nullptr);
  const ExecutionRecord e = MakeExecution("ids");
  ASSERT_TRUE(s->CommitAndWait(StepBatch(e, 1, 1, 1)));
  const std::int64_t kMaxId = (std::int64_t{1} << 24) - 1;
  auto status = s->CommitAndWait(StepBatch(e, kMaxId + 1, kMaxId + 1, 2));
  ASSERT_FALSE(status);
  EXPECT_EQ(status.error().code, ErrorCode::kResourceExhausted);
  EXPECT_THAT(status.error().message, ::testing::HasSubstr("16777215"));
  status = s->CommitAndWait(StepBatch(e, 2, 2, kMaxId + 1));
  ASSERT_FALSE(status);
  EXPECT_EQ(status.error().code, ErrorCode::kResourceExhausted);
  status = s->CommitAndWait(StepBatch(e, 0, 0, 2));
  ASSERT_FALSE(status);
  EXPECT_EQ(status.error().code, ErrorCode::kInvalidArgument);
  ASSERT_TRUE(s->CommitAndWait(StepBatch(e, kMaxId - 1, kMaxId, 2)));
  EXPECT_THAT(Ids(s->GetHistory(e.arn, std::numeric_limits<std::int64_t>::max(), 2, true)),
              ElementsAre(kMaxId, kMaxId - 1));
  EXPECT_THAT(Ids(s->GetHistory(e.arn, kMaxId, 0, false)), ElementsAre(kMaxId));
  EXPECT_EQ(s->CountHistory(e.arn), 3);
}

TEST_F(SqliteStoreTest, DestructorDrainsTheQueue) {
  constexpr int kBatches = 300;
  std::atomic<int> acknowledged{0};
  {
    auto s = Open();
    ASSERT_NE(s, nullptr);
    for (int i = 0; i < kBatches; ++i) {
      s->Commit({{MakeExecution("q" + std::to_string(i))}, {}}, [&](Status status) {
        if (status) ++acknowledged;
      });
    }
  }
  EXPECT_EQ(acknowledged.load(), kBatches);
  auto s = Open();
  ExecutionFilter filter = Of(kMachine);
  filter.limit = 0;
  EXPECT_EQ(s->ListExecutions(filter).executions.size(), static_cast<std::size_t>(kBatches));
}

TEST_F(SqliteStoreTest, WalStaysBoundedUnderContinuousCommits) {
  // ~40 MB of history written without a pause: checkpoints run beside the writer, and the WAL
  // must still restart from its beginning now and then instead of growing with the data.
  constexpr int kBatches = 5000;
  constexpr std::size_t kEventBytes = 8000;
  {
    auto s = Open();
    ASSERT_NE(s, nullptr);
    std::counting_semaphore<64> in_flight(64);
    std::atomic<int> acknowledged{0};
    for (int i = 0; i < kBatches; ++i) {
      in_flight.acquire();
      const ExecutionRecord e = MakeExecution("w" + std::to_string(i));
      WriteBatch batch{{e}, {{e.arn, {Input(1)}, {{1, std::string(kEventBytes, 'x')}}}}};
      s->Commit(std::move(batch), [&](Status status) {
        if (status) ++acknowledged;
        in_flight.release();
      });
    }
    for (int i = 0; i < 64; ++i) in_flight.acquire();
    EXPECT_EQ(acknowledged.load(), kBatches);
    const auto wal_bytes = std::filesystem::file_size(path() + "-wal");
    EXPECT_LT(wal_bytes, 24u * 1024 * 1024) << "the WAL kept growing";
  }
  auto s = Open();
  ASSERT_NE(s, nullptr);
  ExecutionFilter all = Of(kMachine);
  all.limit = 0;
  EXPECT_EQ(s->ListExecutions(all).executions.size(), static_cast<std::size_t>(kBatches));
  EXPECT_EQ(s->GetHistory(MakeExecution("w4999").arn, 1, 0, false).at(0).json.size(),
            kEventBytes);
}

TEST_F(SqliteStoreTest, ConcurrentCommitsShareTransactions) {
  auto s = Open();
  ASSERT_NE(s, nullptr);
  constexpr int kBatches = 2000;
  std::counting_semaphore<64> in_flight(64);
  std::atomic<int> acknowledged{0};
  for (int i = 0; i < kBatches; ++i) {
    in_flight.acquire();
    s->Commit({{MakeExecution("g" + std::to_string(i))}, {}}, [&](Status status) {
      if (status) ++acknowledged;
      in_flight.release();
    });
  }
  for (int i = 0; i < 64; ++i) in_flight.acquire();
  EXPECT_EQ(acknowledged.load(), kBatches);
  const CommitStats stats = s->GetCommitStats();
  EXPECT_EQ(stats.batches, static_cast<std::uint64_t>(kBatches));
  EXPECT_LT(stats.transactions, stats.batches / 4) << "group commit should share fsyncs";
  // The syncer fsyncs once for every transaction committed since its last fsync: never more
  // often than there are transactions, and at least once for the last of them.
  EXPECT_GE(stats.syncs, 1u);
  EXPECT_LE(stats.syncs, stats.transactions);
}

// Version 4's schema, as a Stepway of that version created it.
constexpr char kSchemaVersion4[] = R"sql(
CREATE TABLE state_machines (
  arn TEXT PRIMARY KEY NOT NULL, name TEXT NOT NULL, definition TEXT NOT NULL,
  role_arn TEXT NOT NULL, type TEXT NOT NULL, description TEXT NOT NULL,
  logging_configuration TEXT NOT NULL, tracing_configuration TEXT NOT NULL,
  revision_id TEXT NOT NULL, creation_millis INTEGER NOT NULL, update_millis INTEGER NOT NULL
);
CREATE INDEX state_machines_by_name ON state_machines (name, arn);
CREATE TABLE activities (
  arn TEXT PRIMARY KEY NOT NULL, name TEXT NOT NULL, creation_millis INTEGER NOT NULL
);
CREATE INDEX activities_by_name ON activities (name, arn);
CREATE TABLE tags (
  arn TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY (arn, key)
) WITHOUT ROWID;
CREATE TABLE executions (
  seq INTEGER PRIMARY KEY, arn TEXT NOT NULL UNIQUE, state_machine_arn TEXT NOT NULL,
  name TEXT NOT NULL, status TEXT NOT NULL, input TEXT NOT NULL, output TEXT, error TEXT,
  cause TEXT, start_millis INTEGER NOT NULL, stop_millis INTEGER, definition TEXT NOT NULL,
  role_arn TEXT NOT NULL, type TEXT NOT NULL, seed INTEGER NOT NULL,
  redrive_count INTEGER NOT NULL, test_case TEXT NOT NULL DEFAULT '',
  idle INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX executions_to_resume ON executions (seq) WHERE status = 'RUNNING' AND idle = 0;
CREATE INDEX executions_by_machine ON executions (state_machine_arn, start_millis, seq);
CREATE INDEX executions_by_machine_status
  ON executions (state_machine_arn, status, start_millis, seq);
CREATE INDEX executions_by_status ON executions (status, start_millis, seq);
CREATE TABLE execution_inputs (
  execution_seq INTEGER NOT NULL, sequence INTEGER NOT NULL, kind INTEGER NOT NULL,
  at_millis INTEGER NOT NULL, id INTEGER NOT NULL, a TEXT NOT NULL, b TEXT NOT NULL,
  PRIMARY KEY (execution_seq, sequence)
);
CREATE TABLE history (
  execution_seq INTEGER NOT NULL, id INTEGER NOT NULL, json TEXT NOT NULL,
  PRIMARY KEY (execution_seq, id)
);
CREATE TABLE documents (
  kind TEXT NOT NULL, id TEXT NOT NULL, body TEXT NOT NULL, PRIMARY KEY (kind, id)
) WITHOUT ROWID;
PRAGMA application_id = 1398034519;  -- "STPW"
PRAGMA user_version = 4;
)sql";

// Writes a version 4 file at `path` holding executions `first` (seq 1: events 1-5, inputs 1-2)
// and `second` (seq 2: events 1-2, input 1), then runs `downgrade` on it.
void WriteVersion4File(const std::string& path, const ExecutionRecord& first,
                       const ExecutionRecord& second, const char* downgrade = "") {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, kSchemaVersion4, nullptr, nullptr, nullptr), SQLITE_OK)
      << sqlite3_errmsg(db);
  std::string sql;
  for (const ExecutionRecord* e : {&first, &second}) {
    sql +=
        "INSERT INTO executions (arn, state_machine_arn, name, status, input, start_millis, "
        "definition, role_arn, type, seed, redrive_count) VALUES ('" +
        e->arn + "', '" + e->state_machine_arn + "', '" + e->name + "', '" + e->status + "', '" +
        e->input + "', " + std::to_string(e->start_millis) + ", '" + e->definition + "', '" +
        e->role_arn + "', '" + e->type + "', " + std::to_string(e->seed) + ", 0);";
  }
  for (const auto& [seq, id] :
       std::vector<std::pair<int, int>>{{1, 1}, {1, 2}, {1, 3}, {1, 4}, {1, 5}, {2, 1}, {2, 2}}) {
    sql += "INSERT INTO history VALUES (" + std::to_string(seq) + ", " + std::to_string(id) +
           ", '" + Event(id).json + "');";
  }
  for (const auto& [seq, sequence] : std::vector<std::pair<int, int>>{{1, 1}, {1, 2}, {2, 1}}) {
    const ExecutionInput in = Input(sequence);
    sql += "INSERT INTO execution_inputs VALUES (" + std::to_string(seq) + ", " +
           std::to_string(sequence) + ", " + std::to_string(static_cast<int>(in.kind)) + ", " +
           std::to_string(in.at_millis) + ", " + std::to_string(in.id) + ", '" + in.a + "', '" +
           in.b + "');";
  }
  sql += downgrade;
  ASSERT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK)
      << sqlite3_errmsg(db);
  sqlite3_close(db);
}

// History and inputs of a version 4 file read back as they were written, and appends go on
// after them.
TEST_F(SqliteStoreTest, MigratesVersion4) {
  const ExecutionRecord first = MakeExecution("first");
  const ExecutionRecord second = MakeExecution("second");
  ASSERT_NO_FATAL_FAILURE(WriteVersion4File(path(), first, second));
  auto s = Open();
  ASSERT_NE(s, nullptr);
  ExpectSameExecution(*s->GetExecution(first.arn), first);
  EXPECT_EQ(s->CountHistory(first.arn), 5);
  EXPECT_EQ(s->CountHistory(second.arn), 2);
  const auto events = s->GetHistory(first.arn, 1, 0, false);
  ASSERT_EQ(events.size(), 5u);
  for (std::int64_t id = 1; id <= 5; ++id) EXPECT_EQ(events[id - 1].json, Event(id).json);
  EXPECT_THAT(Ids(s->GetHistory(first.arn, 4, 0, true)), ElementsAre(4, 3, 2, 1));
  EXPECT_THAT(Ids(s->GetHistory(second.arn, 1, 0, false)), ElementsAre(1, 2));
  const auto inputs = s->GetInputs(first.arn);
  ASSERT_EQ(inputs.size(), 2u);
  EXPECT_EQ(inputs[1].sequence, 2);
  EXPECT_EQ(inputs[1].a, Input(2).a);
  EXPECT_EQ(inputs[1].at_millis, Input(2).at_millis);
  EXPECT_EQ(s->GetInputs(second.arn).size(), 1u);

  // The migrated rows still refuse duplicates, and new appends follow them.
  EXPECT_EQ(s->CommitAndWait(StepBatch(first, 5, 6, 3)).error().code, ErrorCode::kAlreadyExists);
  EXPECT_EQ(s->CommitAndWait(StepBatch(first, 6, 7, 2)).error().code, ErrorCode::kAlreadyExists);
  ASSERT_TRUE(s->CommitAndWait(StepBatch(first, 6, 8, 3)));
  EXPECT_THAT(Ids(s->GetHistory(first.arn, 4, 3, false)), ElementsAre(4, 5, 6));
  EXPECT_EQ(s->CountHistory(first.arn), 8);
  EXPECT_EQ(s->CountHistory(second.arn), 2);
  EXPECT_EQ(s->GetInputs(first.arn).size(), 3u);
}

TEST_F(SqliteStoreTest, MigratesVersion1) {
  ExecutionRecord e = MakeExecution("old");
  const ExecutionRecord other = MakeExecution("other");
  // Back to version 1's schema: no executions.test_case, idle or documents.
  ASSERT_NO_FATAL_FAILURE(WriteVersion4File(
      path(), e, other,
      "DROP INDEX executions_to_resume; ALTER TABLE executions DROP COLUMN idle; ALTER TABLE "
      "executions DROP COLUMN test_case; DROP TABLE documents; PRAGMA user_version = 1"));
  auto s = Open();
  ASSERT_NE(s, nullptr);
  auto got = s->GetExecution(e.arn);
  ASSERT_TRUE(got);
  ExpectSameExecution(*got, e);
  EXPECT_EQ(s->CountHistory(e.arn), 5);  // version 5's history
  ExecutionRecord mocked = MakeExecution("mocked");
  mocked.test_case = "HappyPath";
  ASSERT_TRUE(s->CommitAndWait(WriteBatch{{mocked}, {}}));
  EXPECT_EQ(s->GetExecution(mocked.arn)->test_case, "HappyPath");  // version 2's column
  EXPECT_TRUE(s->PutDocument({"kind", "id", "{}"}));  // version 3's table exists
  EXPECT_THAT(Names(s->ListExecutionsToResume()), ElementsAre("old", "other", "mocked"));
  ASSERT_TRUE(s->CommitAndWait(WriteBatch{{}, {}, {{e.arn, true}}}));  // version 4's column
  EXPECT_THAT(Names(s->ListExecutionsToResume()), ElementsAre("other", "mocked"));
}

TEST_F(SqliteStoreTest, RefusesNewerSchemaAndForeignFiles) {
  ASSERT_NE(Open(), nullptr);
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path().c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "PRAGMA user_version = 99", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);
  auto refused = OpenSqliteStore(path());
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kUnavailable);
  EXPECT_THAT(refused.error().message, ::testing::HasSubstr("newer"));

  const std::string foreign = dir_.File("other.db");
  ASSERT_EQ(sqlite3_open(foreign.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "CREATE TABLE t (x)", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);
  refused = OpenSqliteStore(foreign);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kUnavailable);

  refused = OpenSqliteStore(dir_.File("no/such/dir/x.db"));
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kUnavailable);
}

// The name of the crash test's execution number `n`.
std::string CrashName(std::int64_t n) { return "crash" + std::to_string(n); }

// Forks a child that commits batches numbered first, first + 1, ... as fast as it can (up to
// 64 in flight), writing the number of each acknowledged batch to a pipe, and SIGKILLs it once
// `acks_before_kill` have arrived. Adds every acknowledgement the child managed to send to
// `acknowledged`.
void CommitUntilKilled(const std::string& path, std::int64_t first, std::size_t acks_before_kill,
                       std::set<std::int64_t>* acknowledged) {
  const std::string event_json(300, 'e');
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    close(fds[0]);
    auto store = OpenSqliteStore(path);
    if (!store) _exit(2);
    std::counting_semaphore<64> in_flight(64);
    for (std::int64_t n = first;; ++n) {
      in_flight.acquire();
      WriteBatch batch;
      batch.executions.push_back(MakeExecution(CrashName(n), kMachine, n));
      WriteBatch::Appended append{batch.executions[0].arn, {Input(1)}, {}};
      for (std::int64_t id = 1; id <= 3; ++id) append.events.push_back({id, event_json});
      batch.appends.push_back(std::move(append));
      (*store)->Commit(std::move(batch), [&in_flight, fd = fds[1], n](Status status) {
        if (status && write(fd, &n, sizeof n) != sizeof n) _exit(3);
        in_flight.release();
      });
    }
  }
  close(fds[1]);
  std::size_t received = 0;
  std::int64_t n = 0;
  bool killed = false;
  while (true) {
    const ssize_t got = read(fds[0], &n, sizeof n);
    if (got == 0) break;  // the child is gone and the pipe drained
    if (got < 0 && errno == EINTR) continue;
    if (got != static_cast<ssize_t>(sizeof n)) {  // writes of <= PIPE_BUF are atomic
      kill(child, SIGKILL);
      waitpid(child, nullptr, 0);
      FAIL() << "short read from the child: " << got;
    }
    acknowledged->insert(n);
    if (!killed && ++received >= acks_before_kill) {
      ASSERT_EQ(kill(child, SIGKILL), 0);
      killed = true;
    }
  }
  close(fds[0]);
  int wstatus = 0;
  ASSERT_EQ(waitpid(child, &wstatus, 0), child);
  ASSERT_TRUE(WIFSIGNALED(wstatus)) << "child exited with " << WEXITSTATUS(wstatus);
  EXPECT_EQ(WTERMSIG(wstatus), SIGKILL);
  EXPECT_GE(received, acks_before_kill);
}

// Kills a committing process mid-stream, three times over the same file (so that recovery
// from a crash is itself crashed into). Every acknowledged batch must be found whole after
// reopening, and no batch may be found in part.
TEST_F(SqliteStoreTest, SigkillLosesNothingAcknowledged) {
  std::set<std::int64_t> acknowledged;
  constexpr std::int64_t kRoundStride = 1'000'000;
  const std::size_t kills[] = {400, 37, 1000};
  for (std::size_t round = 0; round < std::size(kills); ++round) {
    ASSERT_NO_FATAL_FAILURE(CommitUntilKilled(
        path(), static_cast<std::int64_t>(round) * kRoundStride + 1, kills[round], &acknowledged));
  }
  auto s = Open();
  ASSERT_NE(s, nullptr);
  for (const std::int64_t acked : acknowledged) {
    const std::string arn = MakeExecution(CrashName(acked)).arn;
    ASSERT_TRUE(s->GetExecution(arn)) << "acknowledged batch " << acked << " lost";
    ASSERT_EQ(s->CountHistory(arn), 3) << acked;
    ASSERT_EQ(s->GetInputs(arn).size(), 1u) << acked;
  }
  ExecutionFilter filter = Of(kMachine);
  filter.limit = 0;
  const auto all = s->ListExecutions(filter).executions;
  EXPECT_GE(all.size(), acknowledged.size());  // some committed but not yet acknowledged
  for (const auto& e : all) {
    EXPECT_EQ(s->CountHistory(e.arn), 3) << e.arn;
    EXPECT_EQ(s->GetInputs(e.arn).size(), 1u) << e.arn;
  }
  RecordProperty("acknowledged", static_cast<int>(acknowledged.size()));
  RecordProperty("found", static_cast<int>(all.size()));
}

}  // namespace
}  // namespace stepway::store
