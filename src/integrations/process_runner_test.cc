#include "integrations/process_runner.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <future>
#include <mutex>

namespace stepway::integrations {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

class ProcessRunnerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/stepway-process-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string Script(const std::string& name, const std::string& body) {
    const std::string path = dir_ + "/" + name;
    std::ofstream(path) << "#!/bin/sh\n" << body;
    ::chmod(path.c_str(), 0755);
    return path;
  }

  ProcessSpec Spec(std::string path, std::string stdin_data = "") {
    ProcessSpec spec;
    spec.path = std::move(path);
    spec.env = CurrentEnvironment();
    spec.stdin_data = std::move(stdin_data);
    spec.timeout = 20s;
    return spec;
  }

  ProcessOutcome Run(ProcessSpec spec) {
    std::promise<ProcessOutcome> promise;
    auto future = promise.get_future();
    auto id = runner_.Start(std::move(spec), [&](ProcessOutcome o) { promise.set_value(std::move(o)); });
    EXPECT_TRUE(id.has_value()) << id.error().message;
    EXPECT_EQ(future.wait_for(30s), std::future_status::ready);
    return future.get();
  }

  std::string dir_;
  ProcessRunner runner_;
};

TEST_F(ProcessRunnerTest, PipesStdinToStdoutAndStderrByLine) {
  std::mutex mu;
  std::vector<std::string> lines;
  auto spec = Spec(Script("echo", "cat\necho 'first line' >&2\nprintf 'second\\nthird' >&2\n"),
                   R"({"hello":"world"})");
  spec.on_stderr_line = [&](std::string_view line) {
    std::lock_guard<std::mutex> lock(mu);
    lines.emplace_back(line);
  };
  const ProcessOutcome o = Run(std::move(spec));
  EXPECT_EQ(o.end, ProcessOutcome::End::kExited);
  EXPECT_EQ(o.code, 0);
  EXPECT_EQ(o.stdout_data, R"({"hello":"world"})");
  EXPECT_FALSE(o.stdout_truncated);
  EXPECT_EQ(lines, (std::vector<std::string>{"first line", "second", "third"}));
}

TEST_F(ProcessRunnerTest, ExitCodesSignalsAndEnvironment) {
  auto spec = Spec(Script("env", "echo \"$GREETING\"\nexit 3\n"));
  spec.env.push_back("GREETING=hi there");
  const ProcessOutcome exited = Run(std::move(spec));
  EXPECT_EQ(exited.end, ProcessOutcome::End::kExited);
  EXPECT_EQ(exited.code, 3);
  EXPECT_EQ(exited.stdout_data, "hi there\n");

  const ProcessOutcome signaled = Run(Spec(Script("abort", "kill -9 $$\n")));
  EXPECT_EQ(signaled.end, ProcessOutcome::End::kSignaled);
  EXPECT_EQ(signaled.code, 9);
}

TEST_F(ProcessRunnerTest, TimeoutKillsTheWholeGroup) {
  const std::string marker = dir_ + "/survived";
  auto spec = Spec(Script("slow", "(sleep 2; touch " + marker + ") &\nsleep 30\n"));
  spec.timeout = 300ms;
  const auto start = std::chrono::steady_clock::now();
  const ProcessOutcome o = Run(std::move(spec));
  EXPECT_EQ(o.end, ProcessOutcome::End::kTimedOut);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
  std::this_thread::sleep_for(2500ms);
  EXPECT_FALSE(fs::exists(marker)) << "the background child outlived the timeout";
}

TEST_F(ProcessRunnerTest, KillEndsARunningProcess) {
  std::promise<ProcessOutcome> promise;
  auto id = runner_.Start(Spec(Script("forever", "sleep 30\n")),
                          [&](ProcessOutcome o) { promise.set_value(std::move(o)); });
  ASSERT_TRUE(id.has_value());
  std::this_thread::sleep_for(100ms);
  runner_.Kill(*id);
  runner_.Kill(*id + 1000);  // unknown: ignored
  auto future = promise.get_future();
  ASSERT_EQ(future.wait_for(10s), std::future_status::ready);
  EXPECT_EQ(future.get().end, ProcessOutcome::End::kKilled);
}

TEST_F(ProcessRunnerTest, MissingExecutablesAreNotFound) {
  auto missing = runner_.Start(Spec(dir_ + "/nothing"), [](ProcessOutcome) { FAIL(); });
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
  const std::string plain = dir_ + "/plain";
  std::ofstream(plain) << "not executable";
  auto not_executable = runner_.Start(Spec(plain), [](ProcessOutcome) { FAIL(); });
  ASSERT_FALSE(not_executable.has_value());
  EXPECT_EQ(not_executable.error().code, ErrorCode::kNotFound);
  auto directory = runner_.Start(Spec(dir_), [](ProcessOutcome) { FAIL(); });
  ASSERT_FALSE(directory.has_value());
}

TEST_F(ProcessRunnerTest, LimitsStdoutAndSurvivesUnreadStdin) {
  auto spec = Spec(Script("big", "head -c 100000 /dev/zero | tr '\\0' x\n"),
                   std::string(4 * 1024 * 1024, 'i'));  // never read: EPIPE, not SIGPIPE
  spec.max_stdout_bytes = 1000;
  const ProcessOutcome o = Run(std::move(spec));
  EXPECT_EQ(o.end, ProcessOutcome::End::kExited);
  EXPECT_EQ(o.stdout_data.size(), 1000u);
  EXPECT_TRUE(o.stdout_truncated);
}

TEST_F(ProcessRunnerTest, DoesNotWaitLongForLeftoverChildren) {
  const auto start = std::chrono::steady_clock::now();
  const ProcessOutcome o = Run(Spec(Script("leaves", "sleep 20 &\necho done\n")));
  EXPECT_EQ(o.end, ProcessOutcome::End::kExited);
  EXPECT_EQ(o.stdout_data, "done\n");
  EXPECT_LT(std::chrono::steady_clock::now() - start, 10s);
}

TEST_F(ProcessRunnerTest, ManyAtOnce) {
  const std::string path = Script("cat", "cat\n");
  constexpr int kCount = 20;
  std::vector<std::promise<ProcessOutcome>> promises(kCount);
  for (int i = 0; i < kCount; ++i) {
    auto id = runner_.Start(Spec(path, std::to_string(i)),
                            [&promises, i](ProcessOutcome o) { promises[i].set_value(std::move(o)); });
    ASSERT_TRUE(id.has_value());
  }
  for (int i = 0; i < kCount; ++i) {
    EXPECT_EQ(promises[i].get_future().get().stdout_data, std::to_string(i));
  }
}

TEST(ProcessRunnerShutdown, DestructorKillsWhatRuns) {
  char tmpl[] = "/tmp/stepway-process-XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl), nullptr);
  const std::string path = std::string(tmpl) + "/forever";
  std::ofstream(path) << "#!/bin/sh\nsleep 30\n";
  ::chmod(path.c_str(), 0755);
  const auto start = std::chrono::steady_clock::now();
  {
    ProcessRunner runner;
    ProcessSpec spec;
    spec.path = path;
    ASSERT_TRUE(runner.Start(spec, [](ProcessOutcome) {}).has_value());
    std::this_thread::sleep_for(100ms);
  }
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
  fs::remove_all(tmpl);
}

}  // namespace
}  // namespace stepway::integrations
