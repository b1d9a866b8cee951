// Runs child processes without blocking anyone: posix_spawn, then the pipes and the process's
// exit (a pidfd) are watched by Asio on the runner's own thread. Used by the Lambda integration
// to run `--functions DIR/NAME` executables.
//
// Each child gets `stdin_data` on its stdin (then EOF), its stdout collected (up to a limit),
// its stderr handed over line by line, and its own process group, so that a timeout or Kill()
// ends it together with whatever it started (SIGKILL to the group). File descriptors other than
// 0-2 are not inherited; signal dispositions and the signal mask are reset to the defaults.
//
// Thread-safe. The destructor kills the children still running, reaps them and joins the
// thread; their `done` callbacks are then not called.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace stepway::integrations {

struct ProcessSpec {
  std::string path;               // the executable
  std::vector<std::string> args;  // argv[1...]; argv[0] is `path`
  std::vector<std::string> env;   // the whole environment, "NAME=VALUE"
  std::string stdin_data;
  std::chrono::milliseconds timeout{60000};
  std::size_t max_stdout_bytes = 6 * 1024 * 1024;
  // Called on the runner's thread for each line the child writes to stderr (without the
  // newline; a last unterminated line too). May be empty.
  std::function<void(std::string_view line)> on_stderr_line;
};

struct ProcessOutcome {
  enum class End {
    kExited,    // `code` is the exit status
    kSignaled,  // `code` is the signal that ended it
    kTimedOut,  // ran past `timeout`, killed
    kKilled,    // Kill() was called
  };
  End end = End::kExited;
  int code = 0;
  std::string stdout_data;
  bool stdout_truncated = false;  // wrote more than max_stdout_bytes (the rest was dropped)
};

class ProcessRunner {
 public:
  using Id = std::uint64_t;
  using Done = std::function<void(ProcessOutcome)>;

  ProcessRunner();
  ~ProcessRunner();
  ProcessRunner(const ProcessRunner&) = delete;
  ProcessRunner& operator=(const ProcessRunner&) = delete;

  // Starts the process. `done` runs once, on the runner's thread, when it has ended and its
  // output is read. Fails (and `done` is never called) with kNotFound when `path` is not an
  // executable file, kUnavailable when the runner has stopped, kInternal when the OS refuses
  // (pipes, spawn).
  Result<Id> Start(ProcessSpec spec, Done done);

  // Kills the process (and its group) if it still runs; its outcome is then kKilled. Unknown or
  // finished ids are ignored.
  void Kill(Id id);

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

// The environment of this process, as "NAME=VALUE" strings.
std::vector<std::string> CurrentEnvironment();

}  // namespace stepway::integrations
