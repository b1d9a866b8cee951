// Helpers shared by the integrations' unit tests: a TaskReporter that records what it is told,
// and a runtime over memory stores with the given registry. Tests only.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <future>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "base/time.h"
#include "integrations/registry.h"
#include "runtime/runtime.h"
#include "store/store.h"

namespace stepway::integrations::testing {

// Records the first report (and a Submitted before it). Thread-safe.
class RecordingReporter final : public runtime::TaskReporter {
 public:
  struct Report {
    std::string kind;  // "Succeeded", "Failed", "Submitted"
    json::Value value;
    std::string error;
    std::string cause;
  };
  void Submitted(json::Value response) override {
    Record({"Submitted", std::move(response), "", ""});
  }
  void Succeeded(json::Value output) override { Record({"Succeeded", std::move(output), "", ""}); }
  void Failed(std::string error, std::string cause) override {
    Record({"Failed", {}, std::move(error), std::move(cause)});
  }
  // The first report, waiting up to 5 s for it.
  std::optional<Report> Wait() {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait_for(lock, std::chrono::seconds(5), [this] { return report_.has_value(); });
    return report_;
  }

 private:
  void Record(Report r) {
    std::lock_guard<std::mutex> lock(mu_);
    if (!report_) report_ = std::move(r);
    cv_.notify_all();
  }
  std::mutex mu_;
  std::condition_variable cv_;
  std::optional<Report> report_;  // GUARDED_BY(mu_)
};

constexpr const char* kRegion = "us-east-1";
constexpr const char* kAccount = "123456789012";

inline std::string MachineArn(const std::string& name) {
  return std::string("arn:aws:states:") + kRegion + ":" + kAccount + ":stateMachine:" + name;
}

// Memory stores, a runtime resolving through `registry`, and small helpers around them.
class RuntimeFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = store::NewMemoryStore();
    express_ = store::NewMemoryStore();
    key_.fill(3);
  }
  void TearDown() override {
    if (runtime_) runtime_->Shutdown();
  }

  void StartRuntime() {
    runtime::RuntimeOptions options;
    options.shards = 2;
    options.wait_time_scale = 0.001;
    options.activity_poll_seconds = 1;
    options.integrations = registry_.Resolver();
    runtime_ = runtime::NewRuntime(*store_, *express_, codec_, clock_, options);
  }

  void PutMachine(const std::string& name, const std::string& definition) {
    store::StateMachineRecord m;
    m.arn = MachineArn(name);
    m.name = name;
    m.definition = definition;
    m.role_arn = "arn:aws:iam::123456789012:role/x";
    ASSERT_TRUE(store_->PutStateMachine(m));
  }

  Result<runtime::StartExecutionResult> Start(const std::string& machine, const std::string& name,
                                              const std::string& input,
                                              const std::string& test_case = "") {
    std::promise<Result<runtime::StartExecutionResult>> p;
    runtime::StartExecutionRequest r;
    r.state_machine_arn = MachineArn(machine);
    r.name = name;
    r.input = input;
    r.test_case = test_case;
    runtime_->StartExecution(std::move(r), [&p](Result<runtime::StartExecutionResult> result) {
      p.set_value(std::move(result));
    });
    return p.get_future().get();
  }

  store::ExecutionRecord WaitForEnd(const std::string& arn) {
    for (int i = 0; i < 500; ++i) {
      auto e = store_->GetExecution(arn);
      if (e && e->status != "RUNNING") return *e;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    auto e = store_->GetExecution(arn);
    return e ? *e : store::ExecutionRecord{};
  }

  std::unique_ptr<store::Store> store_;
  std::unique_ptr<store::Store> express_;
  runtime::TaskTokenCodec::Key key_{};
  runtime::TaskTokenCodec codec_{key_};
  SystemClock clock_;
  Registry registry_;  // declared before runtime_: outlives it
  std::unique_ptr<runtime::Runtime> runtime_;
};

}  // namespace stepway::integrations::testing
