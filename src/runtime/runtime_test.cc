#include "runtime/runtime.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <future>
#include <set>
#include <thread>

#include "base/time.h"

namespace stepway::runtime {
namespace {

constexpr const char* kActivityArn = "arn:aws:states:us-east-1:123456789012:activity:work";
constexpr const char* kMachineArn = "arn:aws:states:us-east-1:123456789012:stateMachine:m";

class RuntimeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = store::NewMemoryStore();
    express_ = store::NewMemoryStore();
    key_.fill(7);
    ASSERT_TRUE(store_->PutActivity({kActivityArn, "work", 1}));
    PutMachine(R"({"StartAt":"W","States":{"W":{"Type":"Task","Resource":")" +
               std::string(kActivityArn) + R"(","ResultPath":"$.r","End":true}}})");
  }

  void PutMachine(const std::string& definition) {
    store::StateMachineRecord m;
    m.arn = kMachineArn;
    m.name = "m";
    m.definition = definition;
    m.role_arn = "arn:aws:iam::123456789012:role/x";
    ASSERT_TRUE(store_->PutStateMachine(m));
  }

  std::unique_ptr<Runtime> NewTestRuntime(std::size_t resident_idle_executions = 20000) {
    RuntimeOptions options;
    options.shards = 2;
    options.activity_poll_seconds = 1;
    options.resident_idle_executions = resident_idle_executions;
    return NewRuntime(*store_, *express_, codec_, clock_, options);
  }

  StartExecutionResult Start(Runtime& rt, const std::string& name, const std::string& input) {
    std::promise<Result<StartExecutionResult>> p;
    rt.StartExecution({kMachineArn, name, input, ""},
                      [&p](Result<StartExecutionResult> r) { p.set_value(std::move(r)); });
    auto r = p.get_future().get();
    EXPECT_TRUE(r) << (r ? "" : r.error().message);
    return r ? *r : StartExecutionResult{};
  }

  std::optional<ActivityTask> Poll(Runtime& rt) {
    std::promise<Result<std::optional<ActivityTask>>> p;
    rt.GetActivityTask(kActivityArn, "worker-1",
                       [&p](Result<std::optional<ActivityTask>> r) { p.set_value(std::move(r)); });
    auto r = p.get_future().get();
    EXPECT_TRUE(r);
    return r ? *r : std::nullopt;
  }

  Status Succeed(Runtime& rt, const std::string& token, const std::string& output) {
    std::promise<Status> p;
    rt.SendTaskSuccess(token, output, [&p](Status s) { p.set_value(std::move(s)); });
    return p.get_future().get();
  }

  std::string StatusOf(const std::string& arn) {
    auto e = store_->GetExecution(arn);
    return e ? e->status : "MISSING";
  }

  // Waits until the store marks `arn` idle (the mark is written after the commit that made it
  // so); false when it never does.
  bool WaitForIdle(const std::string& arn) {
    for (int i = 0; i < 200; ++i) {
      auto e = store_->GetExecution(arn);
      if (e && e->idle) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
  }

  std::vector<std::string> ArnsToResume() {
    std::vector<std::string> arns;
    for (const auto& e : store_->ListExecutionsToResume()) arns.push_back(e.arn);
    return arns;
  }

  std::string WaitForEnd(const std::string& arn) {
    for (int i = 0; i < 200 && StatusOf(arn) == "RUNNING"; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return StatusOf(arn);
  }

  std::unique_ptr<store::Store> store_;
  std::unique_ptr<store::Store> express_;
  TaskTokenCodec::Key key_{};
  TaskTokenCodec codec_{key_};
  SystemClock clock_;
};

TEST_F(RuntimeTest, ActivityTaskRoundTrip) {
  auto rt = NewTestRuntime();
  auto started = Start(*rt, "e1", R"({"x":1})");
  auto task = Poll(*rt);
  ASSERT_TRUE(task);
  EXPECT_EQ(task->input, R"({"x":1})");
  ASSERT_TRUE(Succeed(*rt, task->task_token, R"({"ok":true})"));
  EXPECT_EQ(WaitForEnd(started.execution_arn), "SUCCEEDED");
  EXPECT_EQ(*store_->GetExecution(started.execution_arn)->output, R"({"x":1,"r":{"ok":true}})");
  // The same token again: the task is closed.
  auto again = Succeed(*rt, task->task_token, "{}");
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, ErrorCode::kTimedOut);
}

TEST_F(RuntimeTest, TokensAreCheckedBeforeAnythingElse) {
  auto rt = NewTestRuntime();
  auto forged = Succeed(*rt, "bm90IGEgdG9rZW4", "{}");
  ASSERT_FALSE(forged);
  EXPECT_EQ(forged.error().code, ErrorCode::kInvalidArgument);
  // A well-formed token of an execution nobody knows.
  auto unknown = Succeed(*rt, codec_.Encode({"arn:aws:states:us-east-1:1:execution:m:nope", 1, 2}),
                         "{}");
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().code, ErrorCode::kNotFound);
}

TEST_F(RuntimeTest, OutputMustBeJson) {
  auto rt = NewTestRuntime();
  Start(*rt, "e1", "{}");
  auto task = Poll(*rt);
  ASSERT_TRUE(task);
  auto r = Succeed(*rt, task->task_token, "not json");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kFailedPrecondition);
}

TEST_F(RuntimeTest, SameNameAndInputIsIdempotentWhileRunning) {
  auto rt = NewTestRuntime();
  auto a = Start(*rt, "same", R"({"a":1})");
  auto b = Start(*rt, "same", R"({"a":1})");
  EXPECT_EQ(a.execution_arn, b.execution_arn);
  EXPECT_EQ(a.start_millis, b.start_millis);
  std::promise<Result<StartExecutionResult>> p;
  rt->StartExecution({kMachineArn, "same", R"({"a":2})", ""},
                     [&p](Result<StartExecutionResult> r) { p.set_value(std::move(r)); });
  auto c = p.get_future().get();
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().code, ErrorCode::kAlreadyExists);
}

TEST_F(RuntimeTest, PollWithoutTasksAnswersEmpty) {
  auto rt = NewTestRuntime();
  auto task = Poll(*rt);
  EXPECT_FALSE(task);
}

TEST_F(RuntimeTest, ManyPollersGetDifferentTasks) {
  auto rt = NewTestRuntime();
  for (int i = 0; i < 8; ++i) Start(*rt, "e" + std::to_string(i), "{}");
  std::vector<std::future<std::optional<ActivityTask>>> polls;
  for (int i = 0; i < 8; ++i) {
    polls.push_back(std::async(std::launch::async, [&] { return Poll(*rt); }));
  }
  std::set<std::string> tokens;
  for (auto& f : polls) {
    auto t = f.get();
    ASSERT_TRUE(t);
    tokens.insert(t->task_token);
  }
  EXPECT_EQ(tokens.size(), 8u);
}

TEST_F(RuntimeTest, RecoveryReplaysAndKeepsTokensValid) {
  std::string handed_out;
  std::string arn_a, arn_b;
  {
    auto rt = NewTestRuntime();
    arn_a = Start(*rt, "a", R"({"n":"a"})").execution_arn;
    arn_b = Start(*rt, "b", R"({"n":"b"})").execution_arn;
    auto task = Poll(*rt);  // handed out before the "crash"
    ASSERT_TRUE(task);
    handed_out = task->task_token;
    rt->Shutdown();
  }
  auto rt = NewTestRuntime();
  ASSERT_TRUE(rt->Recover());
  // The task that was handed out keeps its token; the other one is offered again.
  ASSERT_TRUE(Succeed(*rt, handed_out, R"({"done":1})"));
  auto again = Poll(*rt);
  ASSERT_TRUE(again);
  EXPECT_NE(again->task_token, handed_out);
  ASSERT_TRUE(Succeed(*rt, again->task_token, R"({"done":2})"));
  EXPECT_EQ(WaitForEnd(arn_a), "SUCCEEDED");
  EXPECT_EQ(WaitForEnd(arn_b), "SUCCEEDED");
  EXPECT_FALSE(Poll(*rt));  // nothing is offered twice
}

TEST_F(RuntimeTest, StopClosesTheTask) {
  auto rt = NewTestRuntime();
  auto started = Start(*rt, "s", "{}");
  std::promise<Result<std::int64_t>> p;
  rt->StopExecution(started.execution_arn, "Err", "why",
                    [&p](Result<std::int64_t> r) { p.set_value(std::move(r)); });
  ASSERT_TRUE(p.get_future().get());
  EXPECT_EQ(StatusOf(started.execution_arn), "ABORTED");
  EXPECT_FALSE(Poll(*rt));  // the queued task went away with its execution
}

TEST_F(RuntimeTest, IdleExecutionsLeaveMemoryAndComeBackForTheirCallback) {
  // Task → Wait → Task: idle while a worker holds a task, not idle while the Wait runs.
  const std::string activity = kActivityArn;
  PutMachine(R"({"StartAt":"A","States":{
    "A":{"Type":"Task","Resource":")" + activity + R"(","ResultPath":"$.a","Next":"W"},
    "W":{"Type":"Wait","Seconds":0,"Next":"B"},
    "B":{"Type":"Task","Resource":")" + activity + R"(","ResultPath":"$.b","End":true}}})");
  auto rt = NewTestRuntime(/*resident_idle_executions=*/0);  // every idle one is dropped
  std::vector<std::string> arns;
  std::vector<std::string> tokens(3);  // tokens[i]: the task of arns[i]
  for (int i = 0; i < 3; ++i) {
    arns.push_back(Start(*rt, "e" + std::to_string(i), R"({"i":)" + std::to_string(i) + "}")
                       .execution_arn);
  }
  // Queued for a worker: not idle, a restart must offer the tasks again.
  EXPECT_EQ(ArnsToResume(), arns);
  for (int i = 0; i < 3; ++i) {
    auto task = Poll(*rt);  // in the order the tasks were queued, which may not be arns'
    ASSERT_TRUE(task);
    const auto fields = codec_.Decode(task->task_token);
    ASSERT_TRUE(fields);
    const auto at = std::find(arns.begin(), arns.end(), fields->execution_arn);
    ASSERT_NE(at, arns.end());
    tokens[at - arns.begin()] = task->task_token;
  }
  for (const auto& arn : arns) EXPECT_TRUE(WaitForIdle(arn)) << arn;
  EXPECT_TRUE(ArnsToResume().empty());

  // The callback reloads the execution; the commit that acknowledges it also unmarks it, since
  // the Wait now needs its timer after a restart.
  auto first = Succeed(*rt, tokens[1], R"({"one":1})");
  ASSERT_TRUE(first) << first.error().message;
  EXPECT_EQ(ArnsToResume(), std::vector<std::string>{arns[1]});
  auto second = Poll(*rt);  // B, after the Wait
  ASSERT_TRUE(second);
  EXPECT_EQ(second->input, R"({"i":1,"a":{"one":1}})");
  ASSERT_TRUE(Succeed(*rt, second->task_token, R"(2)"));
  EXPECT_EQ(WaitForEnd(arns[1]), "SUCCEEDED");
  EXPECT_EQ(*store_->GetExecution(arns[1])->output, R"({"i":1,"a":{"one":1},"b":2})");

  // A used token of a dropped, then finished execution; a stop of a dropped one.
  auto again = Succeed(*rt, tokens[1], "{}");
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, ErrorCode::kTimedOut);
  std::promise<Result<std::int64_t>> stopped;
  rt->StopExecution(arns[0], "Err", "why",
                    [&stopped](Result<std::int64_t> r) { stopped.set_value(std::move(r)); });
  ASSERT_TRUE(stopped.get_future().get());
  EXPECT_EQ(StatusOf(arns[0]), "ABORTED");
  auto closed = Succeed(*rt, tokens[0], "{}");
  ASSERT_FALSE(closed);
  EXPECT_EQ(closed.error().code, ErrorCode::kTimedOut);

  // A watcher reloads a dropped execution and hears of its end.
  std::promise<Result<store::ExecutionRecord>> watched;
  rt->WatchExecution(arns[2], [&watched](Result<store::ExecutionRecord> r) {
    watched.set_value(std::move(r));
  });
  ASSERT_TRUE(Succeed(*rt, tokens[2], "{}"));
  auto b = Poll(*rt);
  ASSERT_TRUE(b);
  ASSERT_TRUE(Succeed(*rt, b->task_token, "{}"));
  auto end = watched.get_future().get();
  ASSERT_TRUE(end);
  EXPECT_EQ(end->status, "SUCCEEDED");
}

TEST_F(RuntimeTest, RestartLeavesIdleExecutionsInTheStore) {
  std::vector<std::string> tokens;
  std::string queued;
  {
    auto rt = NewTestRuntime();
    for (int i = 0; i < 4; ++i) {
      const auto arn = Start(*rt, "p" + std::to_string(i), "{}").execution_arn;
      auto task = Poll(*rt);
      ASSERT_TRUE(task);
      tokens.push_back(task->task_token);
      EXPECT_TRUE(WaitForIdle(arn));
    }
    queued = Start(*rt, "queued", "{}").execution_arn;
    rt->Shutdown();
  }
  // Only the execution with a task still to hand out is resumed on start ...
  EXPECT_EQ(ArnsToResume(), std::vector<std::string>{queued});
  auto rt = NewTestRuntime();
  ASSERT_TRUE(rt->Recover());
  auto offered = Poll(*rt);
  ASSERT_TRUE(offered);
  // ... and the idle ones come back when their tokens do.
  for (const auto& token : tokens) ASSERT_TRUE(Succeed(*rt, token, R"({"ok":1})"));
  ASSERT_TRUE(Succeed(*rt, offered->task_token, "{}"));
  for (int i = 0; i < 4; ++i) {
    const auto arn = std::string("arn:aws:states:us-east-1:123456789012:execution:m:p") +
                     std::to_string(i);
    EXPECT_EQ(WaitForEnd(arn), "SUCCEEDED");
    EXPECT_EQ(*store_->GetExecution(arn)->output, R"({"r":{"ok":1}})");
  }
  EXPECT_EQ(WaitForEnd(queued), "SUCCEEDED");
}

}  // namespace
}  // namespace stepway::runtime
