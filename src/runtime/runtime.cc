#include "runtime/runtime.h"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/system_timer.hpp>
#include <condition_variable>
#include <deque>
#include <atomic>
#include <future>
#include <list>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <unordered_map>
#include <utility>

#include "asl/definition.h"
#include "base/limits.h"
#include "base/random.h"
#include "base/thread_name.h"
#include "engine/execution.h"
#include "engine/history_event.h"

namespace stepway::runtime {

namespace asio = boost::asio;
using engine::ExecutionStatus;
using store::ExecutionInput;

namespace {

std::int64_t Millis(TimePoint t) { return t.time_since_epoch().count(); }
TimePoint FromMillis(std::int64_t ms) { return TimePoint(std::chrono::milliseconds(ms)); }

std::string ArnName(std::string_view arn) {
  auto pos = arn.rfind(':');
  return std::string(pos == std::string_view::npos ? arn : arn.substr(pos + 1));
}

// Mints the tokens of one execution from its seeded random stream, so a replay mints the same.
class ExecutionTokens final : public engine::TokenMinter {
 public:
  ExecutionTokens(const TaskTokenCodec& codec, std::string arn, Random& random)
      : codec_(codec), arn_(std::move(arn)), random_(random) {}
  std::string Mint(std::int64_t task_id) override {
    return codec_.Encode({arn_, task_id, random_.Next()});
  }

 private:
  const TaskTokenCodec& codec_;
  std::string arn_;
  Random& random_;
};

struct OpenTask {
  engine::TaskCommand command;
  bool started = false;
  // Nothing of it is in flight: it only waits for a SendTask* with its token (an activity
  // task a worker took, or an integration's `.waitForTaskToken` request that went out).
  bool awaiting_token = false;
  std::unique_ptr<asio::system_timer> heartbeat;
};

// A running execution, owned by one shard.
struct Live {
  store::ExecutionRecord record;
  std::shared_ptr<const asl::Definition> definition;
  std::unique_ptr<SeededRandom> random;
  std::unique_ptr<ExecutionTokens> tokens;
  std::unique_ptr<engine::Execution> execution;
  store::Store* store = nullptr;  // the durable store, or the express (memory) one
  std::int64_t next_input = 1;
  std::map<std::int64_t, std::unique_ptr<asio::system_timer>> timers;
  std::map<std::int64_t, OpenTask> tasks;
  std::function<void()> on_end;  // StartSyncExecution's waiter
  std::vector<std::function<void(Result<store::ExecutionRecord>)>> watchers;
  int pending_commits = 0;  // commits of this execution not called back yet
  // Its place in the shard's list of idle executions, while it is in it.
  std::optional<std::list<std::string>::iterator> idle_position;
};

// Closed when the runtime shuts down: reports from integrations arriving later are dropped
// instead of being posted to shards that are going away.
struct Gate {
  std::mutex mu;
  bool open = true;  // GUARDED_BY(mu)
};

// A task waiting for a worker, and a worker waiting for a task.
struct QueuedActivityTask {
  std::string execution_arn;
  std::int64_t task_id = 0;
  std::string token;
  std::string input;
};

struct Poller {
  std::uint64_t id = 0;
  std::string worker_name;
  std::function<void(Result<std::optional<ActivityTask>>)> done;
  // Answers "no task" at `deadline` if the poller is still waiting then. It stays armed while
  // a task is being handed over, in case the task goes away and the poller waits again.
  std::unique_ptr<asio::steady_timer> timeout;
  std::chrono::steady_clock::time_point deadline;
};

// One thread owning a set of executions: everything about them runs on its io_context.
class Shard {
 public:
  Shard() : work_(asio::make_work_guard(io_)) {}
  void Run(std::string name) {
    thread_ = std::thread([this, name = std::move(name)] {
      SetThreadName(name);
      io_.run();
    });
  }
  void Stop() {
    asio::post(io_, [this] {
      for (auto& [arn, live] : live_) {
        for (auto& [id, t] : live->timers) t->cancel();
        for (auto& [id, t] : live->tasks) {
          if (t.heartbeat) t.heartbeat->cancel();
        }
      }
      idle_.clear();
      live_.clear();
    });
    work_.reset();
    io_.stop();
    if (thread_.joinable()) thread_.join();
  }
  asio::io_context& io() { return io_; }

  std::unordered_map<std::string, std::unique_ptr<Live>>& live() { return live_; }
  // Idle executions kept in memory, least recently idle first (see RuntimeImpl::Settle).
  std::list<std::string>& idle() { return idle_; }

 private:
  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> work_;
  std::thread thread_;
  std::unordered_map<std::string, std::unique_ptr<Live>> live_;
  std::list<std::string> idle_;
};

}  // namespace

class RuntimeImpl final : public Runtime {
 public:
  RuntimeImpl(store::Store& store, store::Store& express_store, const TaskTokenCodec& tokens,
              Clock& clock, RuntimeOptions options)
      : store_(store),
        express_store_(express_store),
        codec_(tokens),
        clock_(clock),
        options_(std::move(options)) {
    int n = options_.shards > 0 ? options_.shards : int(std::thread::hardware_concurrency());
    if (n <= 0) n = 1;
    for (int i = 0; i < n; ++i) shards_.push_back(std::make_unique<Shard>());
    for (int i = 0; i < n; ++i) shards_[i]->Run("sw-shard-" + std::to_string(i));
    poll_thread_work_ = std::make_unique<Shard>();
    poll_thread_work_->Run("sw-poll");
  }
  ~RuntimeImpl() override { Shutdown(); }

  const RuntimeOptions& options() const override { return options_; }

  void Shutdown() override {
    std::call_once(shutdown_once_, [this] {
      {
        std::lock_guard<std::mutex> lock(gate_->mu);
        gate_->open = false;
      }
      {
        std::lock_guard<std::mutex> lock(activity_mu_);
        shutting_down_ = true;
      }
      for (auto& s : shards_) s->Stop();
      poll_thread_work_->Stop();
      // A commit still in the store calls back into this runtime (it posts to a shard, now
      // stopped): wait for those callbacks, so that none runs after the runtime is gone.
      std::unique_lock<std::mutex> lock(commits_mu_);
      commits_cv_.wait_for(lock, std::chrono::seconds(30),
                           [this] { return commits_in_flight_ == 0; });
    });
  }

  Result<std::size_t> Recover() override;
  void StartExecution(StartExecutionRequest request,
                      std::function<void(Result<StartExecutionResult>)> done) override;
  void StartSyncExecution(StartExecutionRequest request,
                          std::function<void(Result<SyncExecutionResult>)> done) override;
  void StopExecution(std::string execution_arn, std::string error, std::string cause,
                     std::function<void(Result<std::int64_t>)> done) override;
  void SendTaskSuccess(std::string token, std::string output,
                       std::function<void(Status)> done) override;
  void SendTaskFailure(std::string token, std::string error, std::string cause,
                       std::function<void(Status)> done) override;
  void SendTaskHeartbeat(std::string token, std::function<void(Status)> done) override;
  void GetActivityTask(std::string activity_arn, std::string worker_name,
                       std::function<void(Result<std::optional<ActivityTask>>)> done) override;
  void WatchExecution(std::string execution_arn,
                      std::function<void(Result<store::ExecutionRecord>)> on_end) override;
  void InvalidateStateMachine(const std::string& arn) override {
    std::lock_guard<std::mutex> lock(definitions_mu_);
    definitions_.erase(arn);
  }

 private:
  Shard& ShardOf(std::string_view arn) {
    return *shards_[std::hash<std::string_view>{}(arn) % shards_.size()];
  }

  Result<std::shared_ptr<const asl::Definition>> DefinitionOf(const std::string& text);

  // Applies one input to a live execution on its shard, commits it with the events it caused,
  // then carries out the commands and calls `done`. `value`, when given, is the input's JSON
  // (`input.a`) already parsed.
  void Apply(Shard& shard, Live& live, ExecutionInput input, std::function<void(Status)> done,
             std::optional<json::Value> value = std::nullopt);
  // After a commit of `arn` was carried out: when the execution is idle (nothing to do until a
  // task token comes back), marks it so in the store and puts it at the end of the shard's idle
  // list; beyond options_.resident_idle_executions the least recently idle are dropped from
  // memory. They are reloaded by Load when a callback, a stop or a watcher comes for them.
  void Settle(Shard& shard, const std::string& arn);
  // With `pending`, whether it will be idle once that step output (not committed yet) is
  // carried out; false when that cannot be told yet.
  bool IsIdle(const Live& live, const engine::StepOutput* pending = nullptr) const;
  void Unidle(Shard& shard, Live& live);
  // The execution `arn` of the durable store in memory, reloaded when it was dropped; null when
  // it is unknown or no longer running, and then `stored` (when given) gets what either store
  // has of it.
  Live* Load(Shard& shard, const std::string& arn,
             std::optional<store::ExecutionRecord>* stored = nullptr);
  // Store::Commit, counted so that Shutdown can wait for the callbacks still to come.
  void CountedCommit(store::Store& store, store::WriteBatch batch,
                     std::function<void(Status)> done);
  void CarryOut(Shard& shard, const std::string& arn, engine::StepOutput& out);
  void FinishIfEnded(Shard& shard, const std::string& arn);
  void ArmTimer(Shard& shard, Live& live, std::int64_t timer_id, TimePoint fire_at, bool is_wait);
  void ArmHeartbeat(Shard& shard, Live& live, OpenTask& task);
  void OfferActivityTask(const std::string& activity_arn, QueuedActivityTask task);
  void RemoveActivityTask(const std::string& execution_arn, std::int64_t task_id);
  void HandTaskToPoller(const std::string& activity_arn);
  void TaskCall(TaskTokenFields fields, std::function<void(Shard&, Live&, std::int64_t)> apply,
                std::function<void(Status)> done);
  void Invoke(Shard& shard, Live& live, OpenTask& task, bool resumed);
  void RecoverOne(Shard& shard, store::ExecutionRecord record);
  std::unique_ptr<Live> MakeLive(store::ExecutionRecord record,
                                 std::shared_ptr<const asl::Definition> definition,
                                 store::Store* store);
  engine::ExecutionInfo InfoOf(const store::ExecutionRecord& record) const;

  store::Store& store_;
  store::Store& express_store_;
  const TaskTokenCodec& codec_;
  Clock& clock_;
  RuntimeOptions options_;
  std::vector<std::unique_ptr<Shard>> shards_;
  // Idle executions in memory, all shards together (each shard's idle list adds to it).
  std::atomic<std::size_t> resident_idle_{0};
  std::unique_ptr<Shard> poll_thread_work_;  // the long-poll timers live here
  std::once_flag shutdown_once_;
  std::shared_ptr<Gate> gate_ = std::make_shared<Gate>();

  std::mutex commits_mu_;
  std::condition_variable commits_cv_;
  int commits_in_flight_ = 0;  // GUARDED_BY(commits_mu_): CountedCommits not called back yet

  std::mutex definitions_mu_;
  std::unordered_map<std::string, std::shared_ptr<const asl::Definition>> definitions_;
  // GUARDED_BY(definitions_mu_): parsed definitions by their text (many machines share few).

  std::mutex activity_mu_;
  // GUARDED_BY(activity_mu_)
  std::unordered_map<std::string, std::deque<QueuedActivityTask>> activity_tasks_;
  std::unordered_map<std::string, std::list<Poller>> pollers_;
  std::uint64_t next_poller_ = 0;
  bool shutting_down_ = false;
};

// ---------------------------------------------------------------------------------------------

Result<std::shared_ptr<const asl::Definition>> RuntimeImpl::DefinitionOf(const std::string& text) {
  {
    std::lock_guard<std::mutex> lock(definitions_mu_);
    if (auto it = definitions_.find(text); it != definitions_.end()) return it->second;
  }
  asl::ParsedDefinition parsed = asl::ParseDefinition(text);
  if (!parsed.definition) {
    return Fail(ErrorCode::kInvalidArgument, asl::FormatInvalidDefinition(parsed.diagnostics));
  }
  std::lock_guard<std::mutex> lock(definitions_mu_);
  if (definitions_.size() > 10000) definitions_.clear();
  definitions_[text] = parsed.definition;
  return parsed.definition;
}

engine::ExecutionInfo RuntimeImpl::InfoOf(const store::ExecutionRecord& record) const {
  engine::ExecutionInfo info;
  info.execution_arn = record.arn;
  info.execution_name = record.name;
  info.state_machine_arn = record.state_machine_arn;
  info.state_machine_name = ArnName(record.state_machine_arn);
  info.role_arn = record.role_arn;
  info.start_time = FromMillis(record.start_millis);
  info.redrive_count = record.redrive_count;
  return info;
}

std::unique_ptr<Live> RuntimeImpl::MakeLive(store::ExecutionRecord record,
                                            std::shared_ptr<const asl::Definition> definition,
                                            store::Store* store) {
  auto live = std::make_unique<Live>();
  live->random = std::make_unique<SeededRandom>(record.seed);
  live->tokens = std::make_unique<ExecutionTokens>(codec_, record.arn, *live->random);
  live->execution = std::make_unique<engine::Execution>(definition, InfoOf(record));
  live->definition = std::move(definition);
  live->record = std::move(record);
  live->store = store;
  return live;
}

// ---------------------------------------------------------------------------------------------
// Applying inputs

namespace {

// `value`: the input's JSON (`in.a`) when the caller parsed it already.
void Dispatch(engine::Execution& e, const ExecutionInput& in, const engine::Environment& env,
              engine::StepOutput& out, std::optional<json::Value> value = std::nullopt) {
  const auto parsed = [&](json::Value otherwise) {
    if (value) return std::move(*value);
    auto v = json::Parse(in.a);
    return v ? std::move(*v) : otherwise;
  };
  switch (in.kind) {
    case ExecutionInput::Kind::kStart:
      e.Start(parsed(json::Object()), env, out);
      break;
    case ExecutionInput::Kind::kTaskStarted:
      e.TaskStarted(in.id, in.a, env, out);
      break;
    case ExecutionInput::Kind::kTaskSucceeded:
      e.TaskSucceeded(in.id, parsed(json::Value()), env, out);
      break;
    case ExecutionInput::Kind::kTaskFailed:
      e.TaskFailed(in.id, in.a, in.b, env, out);
      break;
    case ExecutionInput::Kind::kTaskTimedOut:
      e.TaskTimedOut(in.id, in.a, in.b, env, out);
      break;
    case ExecutionInput::Kind::kTimerFired:
      e.TimerFired(in.id, env, out);
      break;
    case ExecutionInput::Kind::kStop:
      e.Stop(in.a, in.b, env, out);
      break;
    case ExecutionInput::Kind::kTaskSubmitted:
      e.TaskSubmitted(in.id, parsed(json::Value()), env, out);
      break;
  }
}

void UpdateRecord(store::ExecutionRecord& r, const engine::Execution& e, std::int64_t now) {
  r.status = engine::ExecutionStatusName(e.status());
  if (e.status() == ExecutionStatus::kRunning) return;
  r.stop_millis = now;
  if (e.status() == ExecutionStatus::kSucceeded && e.output()) {
    r.output = json::Serialize(*e.output());
  }
  if (e.has_error()) r.error = e.error();
  if (e.has_cause()) r.cause = e.cause();
}

}  // namespace

void RuntimeImpl::Apply(Shard& shard, Live& live, ExecutionInput input,
                        std::function<void(Status)> done, std::optional<json::Value> value) {
  input.sequence = live.next_input++;
  engine::Environment env{FromMillis(input.at_millis), *live.random, *live.tokens};
  auto out = std::make_shared<engine::StepOutput>();
  const bool was_running = live.execution->status() == ExecutionStatus::kRunning;
  Dispatch(*live.execution, input, env, *out, std::move(value));
  const bool ended = was_running && live.execution->status() != ExecutionStatus::kRunning;

  store::WriteBatch batch;
  // The commit also says whether a restart must reload the execution: not when the input leaves
  // it idle (a worker took its activity task), else from now on (the record this batch writes
  // says so, or else a mark).
  const bool was_idle = live.record.idle;
  live.record.idle = IsIdle(live, out.get());
  ++live.pending_commits;
  Unidle(shard, live);
  if (input.kind == ExecutionInput::Kind::kStart || ended) {
    UpdateRecord(live.record, *live.execution, input.at_millis);
    batch.executions.push_back(live.record);
  } else if (was_idle != live.record.idle) {
    batch.idle_marks.push_back({live.record.arn, live.record.idle});
  }
  store::WriteBatch::Appended appended;
  appended.execution_arn = live.record.arn;
  // An EXPRESS execution keeps no history (as in AWS) and is never replayed: only its record.
  const bool express = live.store == &express_store_;
  if (!express) {
    for (const engine::HistoryEvent& e : out->events) {
      appended.events.push_back({e.id, engine::ToJsonText(e)});
    }
  }
  appended.inputs.push_back(std::move(input));
  if (!express) batch.appends.push_back(std::move(appended));

  const std::string arn = live.record.arn;
  auto committed = [this, &shard, arn, out, done = std::move(done)](Status s) {
    asio::post(shard.io(), [this, &shard, arn, out, s] {
      if (auto it = shard.live().find(arn); it != shard.live().end()) {
        --it->second->pending_commits;
      }
      if (s) {
        CarryOut(shard, arn, *out);
        FinishIfEnded(shard, arn);
      }
      Settle(shard, arn);
    });
    // Answered from the store's thread, not after one more hop through the shard: the answer
    // only says the input is durable. Whatever the caller sends next for this execution is
    // posted to the shard after the CarryOut above, so it still sees the execution moved on.
    if (done) done(s);
  };
  CountedCommit(*live.store, std::move(batch), std::move(committed));
}

void RuntimeImpl::CountedCommit(store::Store& store, store::WriteBatch batch,
                                std::function<void(Status)> done) {
  {
    std::lock_guard<std::mutex> lock(commits_mu_);
    ++commits_in_flight_;
  }
  store.Commit(std::move(batch), [this, done = std::move(done)](Status s) {
    done(std::move(s));
    std::lock_guard<std::mutex> lock(commits_mu_);
    if (--commits_in_flight_ == 0) commits_cv_.notify_all();
  });
}

void RuntimeImpl::CarryOut(Shard& shard, const std::string& arn, engine::StepOutput& out) {
  auto it = shard.live().find(arn);
  if (it == shard.live().end()) return;
  Live& live = *it->second;
  for (std::int64_t id : out.cancelled_timers) {
    if (auto t = live.timers.find(id); t != live.timers.end()) {
      t->second->cancel();
      live.timers.erase(t);
    }
  }
  for (std::int64_t id : out.cancelled_tasks) {
    if (auto t = live.tasks.find(id); t != live.tasks.end()) {
      if (t->second.heartbeat) t->second.heartbeat->cancel();
      if (t->second.command.resource->kind == engine::ResourceKind::kActivity) {
        RemoveActivityTask(arn, id);
      } else if (options_.integrations) {
        TaskInvocation probe;
        probe.execution_arn = arn;
        probe.state_machine_arn = live.record.state_machine_arn;
        probe.test_case = live.record.test_case;
        probe.command = t->second.command;
        if (Integration* i = options_.integrations(probe)) i->Cancel(arn, id);
      }
      live.tasks.erase(t);
    }
  }
  // Tasks the interpreter closed (a result arrived) need no bookkeeping any more.
  for (auto t = live.tasks.begin(); t != live.tasks.end();) {
    if (!live.execution->IsTaskOpen(t->first)) {
      if (t->second.heartbeat) t->second.heartbeat->cancel();
      t = live.tasks.erase(t);
    } else {
      ++t;
    }
  }
  for (const engine::TimerCommand& t : out.timers) {
    ArmTimer(shard, live, t.timer_id, t.fire_at, t.is_wait);
  }
  for (engine::TaskCommand& task : out.tasks) {
    const std::int64_t id = task.task_id;
    OpenTask open;
    open.command = std::move(task);
    auto [pos, inserted] = live.tasks.emplace(id, std::move(open));
    OpenTask& t = pos->second;
    const engine::Resource& r = *t.command.resource;
    if (r.kind == engine::ResourceKind::kActivity) {
      OfferActivityTask(r.arn, {arn, id, t.command.token, json::Serialize(t.command.input)});
      continue;
    }
    ExecutionInput started;
    started.kind = ExecutionInput::Kind::kTaskStarted;
    started.at_millis = Millis(clock_.Now());
    started.id = id;
    t.started = true;
    ArmHeartbeat(shard, live, t);
    Apply(shard, live, std::move(started), nullptr);
    Invoke(shard, live, t, /*resumed=*/false);
  }
}

namespace {

// Turns an integration's reports into inputs of the execution, on its shard.
class ShardReporter final : public TaskReporter {
 public:
  using Post = std::function<void(ExecutionInput)>;
  ShardReporter(std::shared_ptr<Gate> gate, Post post)
      : gate_(std::move(gate)), post_(std::move(post)) {}
  void Submitted(json::Value response) override {
    ExecutionInput in;
    in.kind = ExecutionInput::Kind::kTaskSubmitted;
    in.a = json::Serialize(response);
    Send(std::move(in));
  }
  void Succeeded(json::Value output) override {
    ExecutionInput in;
    in.kind = ExecutionInput::Kind::kTaskSucceeded;
    in.a = json::Serialize(output);
    Send(std::move(in));
  }
  void Failed(std::string error, std::string cause) override {
    ExecutionInput in;
    in.kind = ExecutionInput::Kind::kTaskFailed;
    in.a = std::move(error);
    in.b = std::move(cause);
    Send(std::move(in));
  }

 private:
  void Send(ExecutionInput in) {
    std::lock_guard<std::mutex> lock(gate_->mu);
    if (gate_->open) post_(std::move(in));
  }
  std::shared_ptr<Gate> gate_;
  Post post_;
};

}  // namespace

void RuntimeImpl::Invoke(Shard& shard, Live& live, OpenTask& t, bool resumed) {
  TaskInvocation invocation;
  invocation.execution_arn = live.record.arn;
  invocation.execution_name = live.record.name;
  invocation.state_machine_arn = live.record.state_machine_arn;
  invocation.region = options_.region;
  invocation.account = options_.account;
  invocation.test_case = live.record.test_case;
  invocation.command = t.command;
  invocation.resumed = resumed;
  Integration* integration = options_.integrations ? options_.integrations(invocation) : nullptr;
  const engine::Resource& r = *t.command.resource;
  if (integration == nullptr) {
    if (r.pattern == engine::TaskPattern::kWaitForTaskToken) {  // waits for its token
      t.awaiting_token = true;
      return;
    }
    ExecutionInput failed;
    failed.kind = ExecutionInput::Kind::kTaskFailed;
    failed.at_millis = Millis(clock_.Now());
    failed.id = t.command.task_id;
    failed.a = "States.TaskFailed";
    failed.b = "Stepway has no integration for the resource '" + r.arn +
               "': configure one (see `stepway serve --help`: --functions, --lambda-endpoint, "
               "--endpoint SERVICE=URL, --mock-config)";
    Apply(shard, live, std::move(failed), nullptr);
    return;
  }
  const std::string arn = live.record.arn;
  const std::int64_t task_id = t.command.task_id;
  auto reporter =
      std::make_shared<ShardReporter>(gate_, [this, &shard, arn, task_id](ExecutionInput in) {
        asio::post(shard.io(), [this, &shard, arn, task_id, in = std::move(in)]() mutable {
          Live* live = Load(shard, arn);
          if (live == nullptr || !live->execution->IsTaskOpen(task_id)) return;
          if (in.kind == ExecutionInput::Kind::kTaskSubmitted) {
            if (auto t = live->tasks.find(task_id); t != live->tasks.end()) {
              t->second.awaiting_token = true;
            }
          }
          in.at_millis = Millis(clock_.Now());
          in.id = task_id;
          Apply(shard, *live, std::move(in), nullptr);
        });
      });
  integration->Invoke(std::move(invocation), std::move(reporter));
}

void RuntimeImpl::FinishIfEnded(Shard& shard, const std::string& arn) {
  auto it = shard.live().find(arn);
  if (it == shard.live().end()) return;
  Live& live = *it->second;
  if (live.execution->status() == ExecutionStatus::kRunning) return;
  for (auto& [id, t] : live.timers) t->cancel();
  for (auto& [id, t] : live.tasks) {
    if (t.heartbeat) t.heartbeat->cancel();
    if (t.command.resource->kind == engine::ResourceKind::kActivity) RemoveActivityTask(arn, id);
  }
  Unidle(shard, live);
  auto on_end = std::move(live.on_end);
  auto watchers = std::move(live.watchers);
  // on_end reads the Live (StartSyncExecution's does): keep it alive until the callbacks ran.
  const std::unique_ptr<Live> ended = std::move(it->second);
  shard.live().erase(it);
  if (on_end) on_end();
  for (auto& w : watchers) w(ended->record);
}

bool RuntimeImpl::IsIdle(const Live& live, const engine::StepOutput* pending) const {
  if (live.store != &store_ || live.execution->status() != ExecutionStatus::kRunning ||
      !live.timers.empty() || live.on_end || !live.watchers.empty()) {
    return false;
  }
  // Commits in flight have outputs still to carry out (timers to arm, tasks to start).
  if (live.pending_commits != 0) return false;
  if (pending != nullptr && (!pending->timers.empty() || !pending->tasks.empty())) return false;
  for (const auto& [id, t] : live.tasks) {
    const bool activity = t.command.resource->kind == engine::ResourceKind::kActivity;
    if (t.heartbeat || !(activity ? t.started : t.awaiting_token)) return false;
  }
  return true;
}

void RuntimeImpl::Unidle(Shard& shard, Live& live) {
  if (!live.idle_position) return;
  shard.idle().erase(*live.idle_position);
  resident_idle_.fetch_sub(1, std::memory_order_relaxed);
  live.idle_position.reset();
}

void RuntimeImpl::Settle(Shard& shard, const std::string& arn) {
  auto it = shard.live().find(arn);
  if (it == shard.live().end()) return;
  Live& live = *it->second;
  if (live.idle_position || !IsIdle(live)) return;
  if (!live.record.idle) {
    // Dropping it from memory waits until the store knows, so that a reload reads the flag
    // this process last wrote.
    live.record.idle = true;
    ++live.pending_commits;
    store::WriteBatch batch;
    batch.idle_marks.push_back({arn, true});
    CountedCommit(store_, std::move(batch), [this, &shard, arn](Status) {
      asio::post(shard.io(), [this, &shard, arn] {
        if (auto it = shard.live().find(arn); it != shard.live().end()) {
          --it->second->pending_commits;
        }
        Settle(shard, arn);
      });
    });
    return;
  }
  live.idle_position = shard.idle().insert(shard.idle().end(), arn);
  resident_idle_.fetch_add(1, std::memory_order_relaxed);
  // Beyond the limit (counted over all shards, however the executions fell into them), this
  // shard drops its own least recently idle.
  while (resident_idle_.load(std::memory_order_relaxed) > options_.resident_idle_executions &&
         !shard.idle().empty()) {
    auto oldest = shard.live().find(shard.idle().front());
    shard.idle().pop_front();
    resident_idle_.fetch_sub(1, std::memory_order_relaxed);
    if (oldest != shard.live().end()) shard.live().erase(oldest);
  }
}

Live* RuntimeImpl::Load(Shard& shard, const std::string& arn,
                        std::optional<store::ExecutionRecord>* stored) {
  if (auto it = shard.live().find(arn); it != shard.live().end()) return it->second.get();
  auto record = store_.GetExecution(arn);
  if (record && record->status == "RUNNING") {
    RecoverOne(shard, std::move(*record));
    // Whoever reloaded it acts on it first; then it may be dropped again.
    asio::post(shard.io(), [this, &shard, arn] { Settle(shard, arn); });
    if (auto it = shard.live().find(arn); it != shard.live().end()) return it->second.get();
    record = store_.GetExecution(arn);  // its replay failed (cannot happen for accepted ones)
  }
  if (stored != nullptr) {
    if (!record) record = express_store_.GetExecution(arn);
    if (record) *stored = std::move(*record);
  }
  return nullptr;
}

void RuntimeImpl::ArmTimer(Shard& shard, Live& live, std::int64_t timer_id, TimePoint fire_at,
                           bool is_wait) {
  const TimePoint now = clock_.Now();
  auto delay = fire_at - now;
  if (delay.count() < 0) delay = decltype(delay)(0);
  // --wait-time-scale shortens Wait states and retry back-offs, never TimeoutSeconds.
  if (is_wait) {
    delay =
        std::chrono::milliseconds(std::int64_t(double(delay.count()) * options_.wait_time_scale));
  }
  auto timer = std::make_unique<asio::system_timer>(shard.io());
  timer->expires_after(delay);
  const std::string arn = live.record.arn;
  timer->async_wait([this, &shard, arn, timer_id](boost::system::error_code ec) {
    if (ec) return;
    auto it = shard.live().find(arn);
    if (it == shard.live().end()) return;
    Live& l = *it->second;
    l.timers.erase(timer_id);
    ExecutionInput in;
    in.kind = ExecutionInput::Kind::kTimerFired;
    in.at_millis = Millis(clock_.Now());
    in.id = timer_id;
    Apply(shard, l, std::move(in), nullptr);
  });
  live.timers[timer_id] = std::move(timer);
}

void RuntimeImpl::ArmHeartbeat(Shard& shard, Live& live, OpenTask& task) {
  if (!task.command.heartbeat_seconds) return;
  if (!task.heartbeat) task.heartbeat = std::make_unique<asio::system_timer>(shard.io());
  task.heartbeat->expires_after(std::chrono::seconds(*task.command.heartbeat_seconds));
  const std::string arn = live.record.arn;
  const std::int64_t id = task.command.task_id;
  task.heartbeat->async_wait([this, &shard, arn, id](boost::system::error_code ec) {
    if (ec) return;
    auto it = shard.live().find(arn);
    if (it == shard.live().end() || !it->second->execution->IsTaskOpen(id)) return;
    ExecutionInput in;
    in.kind = ExecutionInput::Kind::kTaskTimedOut;
    in.at_millis = Millis(clock_.Now());
    in.id = id;
    in.a = "States.HeartbeatTimeout";
    Apply(shard, *it->second, std::move(in), nullptr);
  });
}

// ---------------------------------------------------------------------------------------------
// Executions

void RuntimeImpl::StartExecution(StartExecutionRequest request,
                                 std::function<void(Result<StartExecutionResult>)> done) {
  auto machine = store_.GetStateMachine(request.state_machine_arn);
  if (!machine) {
    done(Fail(ErrorCode::kNotFound,
              "State Machine Does Not Exist: '" + request.state_machine_arn + "'"));
    return;
  }
  auto definition = DefinitionOf(machine->definition);
  if (!definition) {
    done(tl::unexpected(definition.error()));
    return;
  }
  auto input = json::Parse(request.input);
  if (!input) {
    done(Fail(ErrorCode::kInvalidArgument,
              "Invalid State Machine Execution Input: '" + input.error().message + "'"));
    return;
  }
  if (request.name.empty()) {
    SystemRandom r;
    request.name = NewUuid(r);
  }
  store::ExecutionRecord record;
  record.arn = "arn:aws:states:" + options_.region + ":" + options_.account + ":" +
               (machine->type == "EXPRESS" ? "express:" : "execution:") + machine->name + ":" +
               request.name;
  record.state_machine_arn = machine->arn;
  record.name = request.name;
  record.input = request.input;
  record.definition = machine->definition;
  record.role_arn = machine->role_arn;
  record.type = machine->type;
  record.test_case = request.test_case;
  {
    SystemRandom r;
    record.seed = r.Next() | 1;
  }
  store::Store* target = machine->type == "EXPRESS" ? &express_store_ : &store_;
  Shard& shard = ShardOf(record.arn);
  asio::post(shard.io(), [this, &shard, record = std::move(record), target,
                          definition = std::move(*definition), done = std::move(done)]() mutable {
    // Same name: the same execution when it is still running with the same input.
    auto existing_live = shard.live().find(record.arn);
    std::optional<store::ExecutionRecord> existing;
    if (existing_live != shard.live().end()) {
      existing = existing_live->second->record;
    } else if (auto e = target->GetExecution(record.arn)) {
      existing = std::move(*e);
    }
    if (existing) {
      if (existing->status == "RUNNING" && existing->input == record.input) {
        done(StartExecutionResult{existing->arn, existing->start_millis});
      } else {
        done(Fail(ErrorCode::kAlreadyExists, "Execution Already Exists: '" + record.arn + "'"));
      }
      return;
    }
    record.start_millis = Millis(clock_.Now());
    const std::string arn = record.arn;
    const std::int64_t start = record.start_millis;
    ExecutionInput in;
    in.kind = ExecutionInput::Kind::kStart;
    in.at_millis = start;
    in.a = record.input;
    auto live = MakeLive(std::move(record), std::move(definition), target);
    Live& l = *live;
    shard.live()[arn] = std::move(live);
    Apply(shard, l, std::move(in), [arn, start, done = std::move(done)](Status s) {
      if (!s) {
        done(tl::unexpected(s.error()));
      } else {
        done(StartExecutionResult{arn, start});
      }
    });
  });
}

void RuntimeImpl::StartSyncExecution(StartExecutionRequest request,
                                     std::function<void(Result<SyncExecutionResult>)> done) {
  auto machine = store_.GetStateMachine(request.state_machine_arn);
  if (!machine) {
    done(Fail(ErrorCode::kNotFound,
              "State Machine Does Not Exist: '" + request.state_machine_arn + "'"));
    return;
  }
  if (machine->type != "EXPRESS") {
    done(Fail(ErrorCode::kFailedPrecondition,
              "This operation is only supported by Express state machines"));
    return;
  }
  auto definition = DefinitionOf(machine->definition);
  if (!definition) {
    done(tl::unexpected(definition.error()));
    return;
  }
  if (!json::Parse(request.input)) {
    done(Fail(ErrorCode::kInvalidArgument, "Invalid State Machine Execution Input"));
    return;
  }
  if (request.name.empty()) {
    SystemRandom r;
    request.name = NewUuid(r);
  }
  store::ExecutionRecord record;
  record.arn = "arn:aws:states:" + options_.region + ":" + options_.account +
               ":express:" + machine->name + ":" + request.name + ":" + request.name;
  record.state_machine_arn = machine->arn;
  record.name = request.name;
  record.input = request.input;
  record.definition = machine->definition;
  record.role_arn = machine->role_arn;
  record.type = "EXPRESS";
  record.test_case = request.test_case;
  {
    SystemRandom r;
    record.seed = r.Next() | 1;
  }
  Shard& shard = ShardOf(record.arn);
  asio::post(shard.io(), [this, &shard, record = std::move(record),
                          definition = std::move(*definition), done = std::move(done)]() mutable {
    record.start_millis = Millis(clock_.Now());
    const std::string arn = record.arn;
    ExecutionInput in;
    in.kind = ExecutionInput::Kind::kStart;
    in.at_millis = record.start_millis;
    in.a = record.input;
    auto live = MakeLive(std::move(record), std::move(definition), &express_store_);
    Live& l = *live;
    auto shared_done =
        std::make_shared<std::function<void(Result<SyncExecutionResult>)>>(std::move(done));
    l.on_end = [this, &l, shared_done]() {
      SyncExecutionResult result;
      result.record = l.record;
      result.billed_millis = result.record.stop_millis.value_or(result.record.start_millis) -
                             result.record.start_millis;
      (*shared_done)(std::move(result));
    };
    shard.live()[arn] = std::move(live);
    Apply(shard, l, std::move(in), nullptr);
  });
}

void RuntimeImpl::StopExecution(std::string execution_arn, std::string error, std::string cause,
                                std::function<void(Result<std::int64_t>)> done) {
  Shard& shard = ShardOf(execution_arn);
  asio::post(shard.io(), [this, &shard, arn = std::move(execution_arn), error = std::move(error),
                          cause = std::move(cause), done = std::move(done)]() mutable {
    std::optional<store::ExecutionRecord> stored;
    Live* live = Load(shard, arn, &stored);
    if (live == nullptr) {
      if (!stored) {
        done(Fail(ErrorCode::kNotFound, "Execution Does Not Exist: '" + arn + "'"));
        return;
      }
      done(stored->stop_millis.value_or(Millis(clock_.Now())));
      return;
    }
    ExecutionInput in;
    in.kind = ExecutionInput::Kind::kStop;
    in.at_millis = Millis(clock_.Now());
    in.a = std::move(error);
    in.b = std::move(cause);
    const std::int64_t at = in.at_millis;
    Apply(shard, *live, std::move(in), [at, done = std::move(done)](Status s) {
      if (!s) {
        done(tl::unexpected(s.error()));
      } else {
        done(at);
      }
    });
  });
}

// ---------------------------------------------------------------------------------------------
// Task callbacks

void RuntimeImpl::TaskCall(TaskTokenFields fields,
                           std::function<void(Shard&, Live&, std::int64_t)> apply,
                           std::function<void(Status)> done) {
  Shard& shard = ShardOf(fields.execution_arn);
  asio::post(shard.io(), [this, &shard, fields = std::move(fields), apply = std::move(apply),
                          done = std::move(done)]() mutable {
    std::optional<store::ExecutionRecord> stored;
    Live* live = Load(shard, fields.execution_arn, &stored);
    if (live == nullptr) {
      if (stored) {
        done(Fail(ErrorCode::kTimedOut, "Task Timed Out: 'Provided task does not exist anymore'"));
      } else {
        done(Fail(ErrorCode::kNotFound, "Task does not exist"));
      }
      return;
    }
    if (!live->execution->IsTaskOpen(fields.task_id)) {
      done(Fail(ErrorCode::kTimedOut, "Task Timed Out: 'Provided task does not exist anymore'"));
      return;
    }
    apply(shard, *live, fields.task_id);
  });
}

namespace {

Status InvalidToken() {
  return Fail(ErrorCode::kInvalidArgument, "Invalid Token: 'Invalid token'");
}

}  // namespace

void RuntimeImpl::SendTaskSuccess(std::string token, std::string output,
                                  std::function<void(Status)> done) {
  auto fields = codec_.Decode(token);
  if (!fields) {
    done(InvalidToken());
    return;
  }
  auto value = json::Parse(output);
  if (!value) {
    done(Fail(ErrorCode::kFailedPrecondition,
              "Invalid Output: 'The output provided is not valid JSON'"));
    return;
  }
  auto shared_done = std::make_shared<std::function<void(Status)>>(std::move(done));
  TaskCall(
      std::move(*fields),
      [this, output = std::move(output), value = std::move(*value), shared_done](
          Shard& shard, Live& live, std::int64_t task_id) mutable {
        ExecutionInput in;
        in.kind = ExecutionInput::Kind::kTaskSucceeded;
        in.at_millis = Millis(clock_.Now());
        in.id = task_id;
        in.a = std::move(output);
        Apply(shard, live, std::move(in), [shared_done](Status s) { (*shared_done)(s); },
              std::move(value));
      },
      [shared_done](Status s) { (*shared_done)(s); });
}

void RuntimeImpl::SendTaskFailure(std::string token, std::string error, std::string cause,
                                  std::function<void(Status)> done) {
  auto fields = codec_.Decode(token);
  if (!fields) {
    done(InvalidToken());
    return;
  }
  auto shared_done = std::make_shared<std::function<void(Status)>>(std::move(done));
  TaskCall(
      std::move(*fields),
      [this, error = std::move(error), cause = std::move(cause), shared_done](
          Shard& shard, Live& live, std::int64_t task_id) mutable {
        ExecutionInput in;
        in.kind = ExecutionInput::Kind::kTaskFailed;
        in.at_millis = Millis(clock_.Now());
        in.id = task_id;
        in.a = std::move(error);
        in.b = std::move(cause);
        Apply(shard, live, std::move(in), [shared_done](Status s) { (*shared_done)(s); });
      },
      [shared_done](Status s) { (*shared_done)(s); });
}

void RuntimeImpl::SendTaskHeartbeat(std::string token, std::function<void(Status)> done) {
  auto fields = codec_.Decode(token);
  if (!fields) {
    done(InvalidToken());
    return;
  }
  auto shared_done = std::make_shared<std::function<void(Status)>>(std::move(done));
  TaskCall(
      std::move(*fields),
      [this, shared_done](Shard& shard, Live& live, std::int64_t task_id) {
        auto t = live.tasks.find(task_id);
        if (t != live.tasks.end() && t->second.heartbeat) ArmHeartbeat(shard, live, t->second);
        (*shared_done)(Status());
      },
      [shared_done](Status s) { (*shared_done)(s); });
}

// ---------------------------------------------------------------------------------------------
// Activities

void RuntimeImpl::OfferActivityTask(const std::string& activity_arn, QueuedActivityTask task) {
  {
    std::lock_guard<std::mutex> lock(activity_mu_);
    activity_tasks_[activity_arn].push_back(std::move(task));
  }
  HandTaskToPoller(activity_arn);
}

void RuntimeImpl::RemoveActivityTask(const std::string& execution_arn, std::int64_t task_id) {
  std::lock_guard<std::mutex> lock(activity_mu_);
  for (auto& [arn, queue] : activity_tasks_) {
    for (auto it = queue.begin(); it != queue.end(); ++it) {
      if (it->execution_arn == execution_arn && it->task_id == task_id) {
        queue.erase(it);
        return;
      }
    }
  }
}

// Pairs the oldest waiting task with the oldest waiting poller. The task is marked started
// (ActivityStarted, committed) before the worker gets its token, so a task is never handed
// out twice, even across a crash.
void RuntimeImpl::HandTaskToPoller(const std::string& activity_arn) {
  QueuedActivityTask task;
  Poller poller;
  {
    std::lock_guard<std::mutex> lock(activity_mu_);
    auto& queue = activity_tasks_[activity_arn];
    auto& waiting = pollers_[activity_arn];
    if (queue.empty() || waiting.empty()) return;
    task = std::move(queue.front());
    queue.pop_front();
    poller = std::move(waiting.front());
    waiting.pop_front();
  }
  Shard& shard = ShardOf(task.execution_arn);
  auto shared_poller = std::make_shared<Poller>(std::move(poller));
  asio::post(shard.io(),
             [this, &shard, task = std::move(task), shared_poller, activity_arn]() mutable {
               auto it = shard.live().find(task.execution_arn);
               if (it == shard.live().end() || !it->second->execution->IsTaskOpen(task.task_id)) {
                 // The task went away meanwhile: the worker waits for the next one, until its
                 // deadline (its timer is still armed; past the deadline it may have fired
                 // already).
                 if (std::chrono::steady_clock::now() >= shared_poller->deadline) {
                   shared_poller->done(std::optional<ActivityTask>());
                   return;
                 }
                 {
                   std::lock_guard<std::mutex> lock(activity_mu_);
                   pollers_[activity_arn].push_front(std::move(*shared_poller));
                 }
                 HandTaskToPoller(activity_arn);
                 return;
               }
               Live& live = *it->second;
               ExecutionInput in;
               in.kind = ExecutionInput::Kind::kTaskStarted;
               in.at_millis = Millis(clock_.Now());
               in.id = task.task_id;
               in.a = shared_poller->worker_name;
               if (auto t = live.tasks.find(task.task_id); t != live.tasks.end()) {
                 t->second.started = true;
                 ArmHeartbeat(shard, live, t->second);
               }
               auto token = task.token;
               auto input = task.input;
               Apply(shard, live, std::move(in), [shared_poller, token, input](Status s) {
                 if (!s) {
                   shared_poller->done(tl::unexpected(s.error()));
                   return;
                 }
                 shared_poller->done(std::optional<ActivityTask>(ActivityTask{token, input}));
               });
             });
  HandTaskToPoller(activity_arn);
}

void RuntimeImpl::GetActivityTask(std::string activity_arn, std::string worker_name,
                                  std::function<void(Result<std::optional<ActivityTask>>)> done) {
  if (!store_.GetActivity(activity_arn)) {
    done(Fail(ErrorCode::kNotFound, "Activity Does Not Exist: '" + activity_arn + "'"));
    return;
  }
  std::uint64_t id;
  {
    std::lock_guard<std::mutex> lock(activity_mu_);
    if (shutting_down_) {
      done(std::optional<ActivityTask>());
      return;
    }
    id = ++next_poller_;
    Poller p;
    p.id = id;
    p.worker_name = std::move(worker_name);
    p.done = std::move(done);
    p.deadline =
        std::chrono::steady_clock::now() + std::chrono::seconds(options_.activity_poll_seconds);
    p.timeout = std::make_unique<asio::steady_timer>(poll_thread_work_->io());
    p.timeout->expires_at(p.deadline);
    p.timeout->async_wait([this, activity_arn, id](boost::system::error_code ec) {
      if (ec) return;
      std::function<void(Result<std::optional<ActivityTask>>)> expired;
      {
        std::lock_guard<std::mutex> lock(activity_mu_);
        auto& waiting = pollers_[activity_arn];
        for (auto it = waiting.begin(); it != waiting.end(); ++it) {
          if (it->id == id) {
            expired = std::move(it->done);
            waiting.erase(it);
            break;
          }
        }
      }
      if (expired) expired(std::optional<ActivityTask>());
    });
    pollers_[activity_arn].push_back(std::move(p));
  }
  HandTaskToPoller(activity_arn);
}

void RuntimeImpl::WatchExecution(std::string execution_arn,
                                 std::function<void(Result<store::ExecutionRecord>)> on_end) {
  Shard& shard = ShardOf(execution_arn);
  asio::post(shard.io(),
             [this, &shard, arn = std::move(execution_arn), on_end = std::move(on_end)]() mutable {
               std::optional<store::ExecutionRecord> stored;
               if (Live* live = Load(shard, arn, &stored)) {
                 Unidle(shard, *live);  // a watched execution stays in memory
                 live->watchers.push_back(std::move(on_end));
                 return;
               }
               if (!stored) {
                 on_end(Fail(ErrorCode::kNotFound, "Execution Does Not Exist: '" + arn + "'"));
                 return;
               }
               on_end(std::move(*stored));
             });
}

// ---------------------------------------------------------------------------------------------
// Recovery

// Rebuilds one RUNNING execution on its shard by replaying its inputs, then re-arms its
// timers, offers its activity tasks again and re-invokes unfinished integration tasks.
void RuntimeImpl::RecoverOne(Shard& shard, store::ExecutionRecord record) {
  auto definition = DefinitionOf(record.definition);
  if (!definition) return;  // cannot happen for a definition that was accepted
  std::vector<ExecutionInput> inputs = store_.GetInputs(record.arn);
  auto live = MakeLive(std::move(record), std::move(*definition), &store_);
  Live& l = *live;
  std::map<std::int64_t, engine::TimerCommand> timers;
  std::map<std::int64_t, engine::TaskCommand> tasks;
  std::set<std::int64_t> started;
  std::set<std::int64_t> submitted;
  for (const ExecutionInput& in : inputs) {
    if (in.kind == ExecutionInput::Kind::kTaskSubmitted) submitted.insert(in.id);
    engine::Environment env{FromMillis(in.at_millis), *l.random, *l.tokens};
    engine::StepOutput out;
    Dispatch(*l.execution, in, env, out);
    if (in.kind == ExecutionInput::Kind::kTimerFired) timers.erase(in.id);
    if (in.kind == ExecutionInput::Kind::kTaskStarted) started.insert(in.id);
    for (auto id : out.cancelled_timers) timers.erase(id);
    for (auto& t : out.timers) timers[t.timer_id] = t;
    for (auto& t : out.tasks) tasks[t.task_id] = std::move(t);
    l.next_input = in.sequence + 1;
  }
  const std::string arn = l.record.arn;
  shard.live()[arn] = std::move(live);
  if (l.execution->status() != ExecutionStatus::kRunning) {
    // The end was applied but its record not yet written: write it now.
    UpdateRecord(l.record, *l.execution, Millis(clock_.Now()));
    store::WriteBatch batch;
    batch.executions.push_back(l.record);
    store_.Commit(std::move(batch), [](Status) {});
    FinishIfEnded(shard, arn);
    return;
  }
  for (auto& [id, t] : timers) ArmTimer(shard, l, id, t.fire_at, t.is_wait);
  for (auto& [id, command] : tasks) {
    if (!l.execution->IsTaskOpen(id)) continue;
    OpenTask open;
    open.command = std::move(command);
    open.started = started.count(id) > 0;
    auto [pos, inserted] = l.tasks.emplace(id, std::move(open));
    OpenTask& t = pos->second;
    if (t.command.resource->kind == engine::ResourceKind::kActivity) {
      if (!t.started) {
        OfferActivityTask(t.command.resource->arn,
                          {arn, id, t.command.token, json::Serialize(t.command.input)});
      } else {
        ArmHeartbeat(shard, l, t);
      }
    } else {
      ArmHeartbeat(shard, l, t);
      // The integration's work did not report before the restart: run it again (a
      // .waitForTaskToken request that went out is not sent twice).
      if (submitted.count(id)) {
        t.awaiting_token = true;
      } else {
        Invoke(shard, l, t, /*resumed=*/true);
      }
    }
  }
}

Result<std::size_t> RuntimeImpl::Recover() {
  // Each shard replays its own executions, all shards at once.
  std::vector<std::vector<store::ExecutionRecord>> per_shard(shards_.size());
  std::size_t count = 0;
  for (store::ExecutionRecord& record : store_.ListExecutionsToResume()) {
    ++count;
    const std::size_t i = std::hash<std::string_view>{}(record.arn) % shards_.size();
    per_shard[i].push_back(std::move(record));
  }
  std::vector<std::future<void>> replayed;
  for (std::size_t i = 0; i < shards_.size(); ++i) {
    auto done = std::make_shared<std::promise<void>>();
    replayed.push_back(done->get_future());
    Shard& shard = *shards_[i];
    asio::post(shard.io(), [this, &shard, records = std::move(per_shard[i]), done]() mutable {
      for (store::ExecutionRecord& record : records) {
        const std::string arn = record.arn;
        RecoverOne(shard, std::move(record));
        Settle(shard, arn);
      }
      done->set_value();
    });
  }
  for (auto& f : replayed) f.wait();
  return count;
}

std::unique_ptr<Runtime> NewRuntime(store::Store& store, store::Store& express_store,
                                    const TaskTokenCodec& tokens, Clock& clock,
                                    RuntimeOptions options) {
  return std::make_unique<RuntimeImpl>(store, express_store, tokens, clock, std::move(options));
}

}  // namespace stepway::runtime
