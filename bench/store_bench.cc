// Group commit at work: committed batches/s of the SQLite store (WAL, synchronous=FULL) for 1,
// 8 and 64 concurrent committers, each waiting for its batch to be durable before sending the
// next, as an api handler answering SendTaskSuccess does. A batch is what SendTaskSuccess
// writes: the execution record, one input and three ~300-byte history events.
//
// Counters: batches_per_s (acknowledged, durable batches), fsyncs_per_s (transactions, each one
// WAL fsync), batches_per_fsync (the group size). One committer is bounded by fsync latency;
// more committers share each fsync, so batches/s should grow with them while fsyncs/s stays
// about level. The database lives in $TMPDIR (default /tmp): point it at the disk to measure.
#include <benchmark/benchmark.h>
#include <unistd.h>

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
constexpr int kEventsPerBatch = 3;

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

}  // namespace

BENCHMARK_MAIN();
