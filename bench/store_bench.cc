// Group commit at work: committed batches/s of the SQLite store (WAL, synchronous=FULL) for 1,
// 8 and 64 concurrent committers, each waiting for its batch to be durable before sending the
// next, as an api handler answering SendTaskSuccess does. A batch is what SendTaskSuccess
// writes: the execution record, one input and five ~300-byte history events (TaskSucceeded,
// TaskStateExited, PassStateEntered, PassStateExited, ExecutionSucceeded in the server's
// callback workload).
//
// Counters: batches_per_s (acknowledged, durable batches), fsyncs_per_s (transactions, each one
// WAL fsync), batches_per_fsync (the group size). One committer is bounded by fsync latency;
// more committers share each fsync, so batches/s should grow with them while fsyncs/s stays
// about level. The database lives in $TMPDIR (default /tmp): point it at the disk to measure.
#include <benchmark/benchmark.h>
#include <sys/resource.h>
#include <unistd.h>
#if __has_include(<valgrind/callgrind.h>)
#include <valgrind/callgrind.h>
#else
#define CALLGRIND_START_INSTRUMENTATION
#define CALLGRIND_STOP_INSTRUMENTATION
#endif

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <semaphore>
#include <string>

#include "store/store.h"

namespace {

using stepway::store::ExecutionInput;
using stepway::store::ExecutionRecord;
using stepway::store::HistoryRecord;
using stepway::store::Store;
using stepway::store::WriteBatch;

constexpr std::size_t kEventBytes = 300;
constexpr int kEventsPerBatch = 5;

// Shared by the benchmark's threads: created by thread 0 before the loop (whose start is a
// barrier for all threads) and destroyed by it after the loop (whose end is one too).
std::unique_ptr<Store> g_store;
std::filesystem::path g_dir;
std::chrono::steady_clock::time_point g_start;
stepway::store::CommitStats g_stats_at_start;

void OpenStore(benchmark::State& state) {
  std::string pattern = std::filesystem::temp_directory_path() / "store_bench.XXXXXX";
  if (mkdtemp(pattern.data()) == nullptr) {
    state.SkipWithError("mkdtemp failed");
    return;
  }
  g_dir = pattern;
  auto store = stepway::store::OpenSqliteStore(g_dir / "stepway.db");
  if (!store) {
    state.SkipWithError(store.error().message.c_str());
    return;
  }
  g_store = std::move(*store);
  g_stats_at_start = g_store->GetCommitStats();
  g_start = std::chrono::steady_clock::now();
}

void CloseStore(benchmark::State& state) {
  if (!g_store) return;
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - g_start).count();
  const auto stats = g_store->GetCommitStats();
  const double batches = static_cast<double>(stats.batches - g_stats_at_start.batches);
  const double fsyncs = static_cast<double>(stats.transactions - g_stats_at_start.transactions);
  state.counters["batches_per_s"] = batches / seconds;
  state.counters["fsyncs_per_s"] = fsyncs / seconds;
  state.counters["batches_per_fsync"] = fsyncs > 0 ? batches / fsyncs : 0;
  g_store.reset();
  std::filesystem::remove_all(g_dir);
}

// One execution's stream of SendTaskSuccess-like batches.
class Execution {
 public:
  explicit Execution(int index) {
    record_.arn = "arn:aws:states:us-east-1:123456789012:execution:bench:e" +
                  std::to_string(index);
    record_.state_machine_arn = "arn:aws:states:us-east-1:123456789012:stateMachine:bench";
    record_.name = "e" + std::to_string(index);
    record_.input = R"({"orderId":"ord-12345","total":129.95})";
    record_.definition = R"({"StartAt":"T","States":{"T":{"Type":"Task","Resource":)"
                         R"("arn:aws:states:::lambda:invoke.waitForTaskToken","End":true}}})";
    record_.role_arn = "arn:aws:iam::123456789012:role/bench";
    record_.start_millis = 1'700'000'000'000;
  }

  WriteBatch Next() {
    WriteBatch batch;
    ++inputs_;
    batch.executions.push_back(record_);
    ExecutionInput input;
    input.sequence = inputs_;
    input.kind = ExecutionInput::Kind::kTaskSucceeded;
    input.at_millis = record_.start_millis + inputs_;
    input.id = inputs_;
    input.a = R"({"approved":true})";
    WriteBatch::Appended append{record_.arn, {std::move(input)}, {}};
    for (int i = 0; i < kEventsPerBatch; ++i) {
      append.events.push_back({++events_, std::string(kEventBytes, 'x')});
    }
    batch.appends.push_back(std::move(append));
    return batch;
  }

 private:
  ExecutionRecord record_;
  std::int64_t inputs_ = 0;
  std::int64_t events_ = 0;
};

// Each benchmark thread is one committer, waiting for each batch before the next.
void BM_CommitAndWait(benchmark::State& state) {
  if (state.thread_index() == 0) OpenStore(state);
  Execution execution(state.thread_index());
  for (auto _ : state) {
    if (!g_store->CommitAndWait(execution.Next())) {
      state.SkipWithError("commit failed");
      break;
    }
  }
  state.SetItemsProcessed(state.iterations());
  if (state.thread_index() == 0) CloseStore(state);
}
BENCHMARK(BM_CommitAndWait)->Threads(1)->Threads(8)->Threads(64)->UseRealTime()->MinTime(2.0);

// One thread keeping `range(0)` batches in flight with Commit (as a runtime shard does),
// spread over as many executions.
void BM_CommitPipelined(benchmark::State& state) {
  OpenStore(state);
  const auto in_flight = static_cast<int>(state.range(0));
  std::vector<Execution> executions;
  for (int i = 0; i < in_flight; ++i) executions.emplace_back(i);
  std::counting_semaphore<1024> slots(in_flight);
  std::int64_t n = 0;
  for (auto _ : state) {
    slots.acquire();
    g_store->Commit(executions[n++ % in_flight].Next(), [&slots](auto) { slots.release(); });
  }
  for (int i = 0; i < in_flight; ++i) slots.acquire();
  state.SetItemsProcessed(state.iterations());
  CloseStore(state);
}
BENCHMARK(BM_CommitPipelined)->Arg(64)->UseRealTime()->MinTime(2.0);

// The process's user + system CPU time so far, in microseconds.
double CpuMicros() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return 1e6 * (usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
         (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec);
}

// An event of about the size and shape the server writes for the callback workload.
std::string EventJson(std::int64_t id, std::string_view type) {
  return R"({"timestamp":1.795259736431E9,"type":")" + std::string(type) + R"(","id":)" +
         std::to_string(id) + R"(,"previousEventId":)" + std::to_string(id - 1) +
         R"(,"stateExitedEventDetails":{"name":"Work","output":"{\"order\":\"o-1234567890\",)"
         R"(\"before\":{\"step\":\"before\"},\"work\":{\"status\":\"ok\",\"n\":5}}",)"
         R"("outputDetails":{"truncated":false}}})";
}

// What the callback benchmark's SendTaskSuccess commits, on executions written beforehand as
// the server writes them (start: record, input, 5 events; task started: input, event): the
// final record (SUCCEEDED, with output), the input and 5 events. `range(0)` batches in flight
// from one thread, as the runtime's shards keep them. cpu_us_per_batch is the whole process's
// CPU time (mostly the writer thread) per completed batch.
//
// Under callgrind with --instr-atstart=no the measured loop alone is counted, on every thread:
// instructions per batch are the noise-free figure on a busy machine. E.g.
//   STORE_BENCH_BATCHES=2000 valgrind --tool=callgrind --instr-atstart=no
//   store_bench --benchmark_filter=CompleteExecutions
void BM_CompleteExecutions(benchmark::State& state) {
  OpenStore(state);
  if (!g_store) return;
  const auto in_flight = static_cast<int>(state.range(0));
  const auto n = static_cast<std::int64_t>(state.max_iterations);
  std::vector<ExecutionRecord> records;
  records.reserve(n);
  for (std::int64_t i = 0; i < n; ++i) {
    ExecutionRecord r;
    r.arn = "arn:aws:states:us-east-1:123456789012:execution:bench:" + std::to_string(i) +
            "-5d2c8f0e-1b7a-4e59-9c1d-0a8b7e6f5d4c";
    r.state_machine_arn = "arn:aws:states:us-east-1:123456789012:stateMachine:bench";
    r.name = r.arn.substr(r.arn.rfind(':') + 1);
    r.input = R"({"order":"o-1234567890"})";
    r.definition = std::string(308, 'd');
    r.role_arn = "arn:aws:iam::123456789012:role/bench";
    r.start_millis = 1'700'000'000'000 + i;
    WriteBatch start;
    start.executions.push_back(r);
    WriteBatch::Appended append{r.arn, {}, {}};
    append.inputs.push_back({1, ExecutionInput::Kind::kStart, r.start_millis, 0, r.input, ""});
    append.inputs.push_back({2, ExecutionInput::Kind::kTaskStarted, r.start_millis, 1, "w", ""});
    for (std::int64_t id = 1; id <= 6; ++id) append.events.push_back({id, EventJson(id, "X")});
    start.appends.push_back(std::move(append));
    g_store->Commit(std::move(start), [](auto) {});
    records.push_back(std::move(r));
  }
  (void)g_store->CommitAndWait({});  // everything above is written
  std::counting_semaphore<1024> slots(in_flight);
  const auto stats_before = g_stats_at_start = g_store->GetCommitStats();
  g_start = std::chrono::steady_clock::now();
  const double cpu_before = CpuMicros();
  CALLGRIND_START_INSTRUMENTATION;
  std::int64_t i = 0;
  for (auto _ : state) {
    slots.acquire();
    ExecutionRecord& r = records[i];
    r.status = "SUCCEEDED";
    r.output = R"({"order":"o-1234567890","before":{"step":"before"},"work":{"n":5}})";
    r.stop_millis = r.start_millis + 1000;
    WriteBatch batch;
    batch.executions.push_back(r);
    WriteBatch::Appended append{r.arn, {}, {}};
    append.inputs.push_back({3, ExecutionInput::Kind::kTaskSucceeded, r.start_millis, 1,
                             R"({"status":"ok","n":5})", ""});
    for (std::int64_t id = 7; id <= 11; ++id) append.events.push_back({id, EventJson(id, "Y")});
    batch.appends.push_back(std::move(append));
    g_store->Commit(std::move(batch), [&slots](stepway::Status s) {
      if (!s) std::abort();
      slots.release();
    });
    ++i;
  }
  for (int k = 0; k < in_flight; ++k) slots.acquire();
  CALLGRIND_STOP_INSTRUMENTATION;
  const auto stats = g_store->GetCommitStats();
  const double batches = static_cast<double>(stats.batches - stats_before.batches);
  state.counters["cpu_us_per_batch"] = (CpuMicros() - cpu_before) / batches;
  state.counters["batches_per_fsync"] =
      batches / static_cast<double>(stats.transactions - stats_before.transactions);
  state.SetItemsProcessed(state.iterations());
  CloseStore(state);
}
// $STORE_BENCH_BATCHES, or 20,000: fewer for a run under callgrind.
std::int64_t CompleteExecutionsBatches() {
  const char* batches = std::getenv("STORE_BENCH_BATCHES");
  return batches != nullptr ? std::max(std::atoll(batches), 64LL) : 20000;
}
BENCHMARK(BM_CompleteExecutions)->Arg(64)->Iterations(CompleteExecutionsBatches())->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
