#include "integrations/process_runner.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <boost/asio.hpp>
#include <cerrno>
#include <cstring>
#include <map>
#include <mutex>
#include <thread>

extern char** environ;

namespace stepway::integrations {

namespace {

namespace net = boost::asio;
using boost::system::error_code;

// How long the pipes are still read after the process exited: a child it left behind may
// hold them open, and its output is then not waited for.
constexpr auto kDrainAfterExit = std::chrono::seconds(2);
// Without pidfds (Linux < 5.3), how often the exit is polled for.
constexpr auto kExitPollInterval = std::chrono::milliseconds(20);
constexpr std::size_t kMaxStderrLine = 64 * 1024;

int OpenPidfd(pid_t pid) {
#ifdef SYS_pidfd_open
  return static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
#else
  errno = ENOSYS;
  return -1;
#endif
}

std::string Errno(std::string_view what) {
  return std::string(what) + ": " + std::strerror(errno);
}

}  // namespace

std::vector<std::string> CurrentEnvironment() {
  std::vector<std::string> env;
  for (char** e = environ; e && *e; ++e) env.emplace_back(*e);
  return env;
}

// One child. Everything but construction runs on the runner's single thread.
struct Process : std::enable_shared_from_this<Process> {
  Process(net::io_context& io, ProcessRunner::Id id, pid_t pid, int in, int out, int err,
          int pidfd)
      : id(id),
        pid(pid),
        in(io, in),
        out(io, out),
        err(io, err),
        exit_watch(io),
        timeout_timer(io),
        poll_timer(io),
        drain_timer(io) {
    if (pidfd >= 0) exit_watch.assign(pidfd);
  }

  const ProcessRunner::Id id;
  const pid_t pid;
  net::posix::stream_descriptor in, out, err, exit_watch;
  net::steady_timer timeout_timer, poll_timer, drain_timer;
  ProcessSpec spec;
  ProcessRunner::Done done;

  std::array<char, 16384> out_buf{}, err_buf{};
  ProcessOutcome outcome;
  std::string err_line;
  bool reaped = false, out_eof = false, err_eof = false, finished = false;
  bool timed_out = false, killed = false;
  int status = 0;
  std::function<void(ProcessRunner::Id)> forget;  // removes it from the runner's table

  void Begin() {
    auto self = shared_from_this();
    if (spec.stdin_data.empty()) {
      error_code ignored;
      in.close(ignored);
    } else {
      net::async_write(in, net::buffer(spec.stdin_data), [self](error_code, std::size_t) {
        error_code ignored;  // EPIPE when the child does not read its input: fine
        self->in.close(ignored);
      });
    }
    ReadOut();
    ReadErr();
    if (exit_watch.is_open()) {
      exit_watch.async_wait(net::posix::stream_descriptor::wait_read,
                            [self](error_code ec) {
                              if (!ec) self->Reap(/*block=*/true);
                            });
    } else {
      Poll();
    }
    timeout_timer.expires_after(spec.timeout);
    timeout_timer.async_wait([self](error_code ec) {
      if (ec || self->reaped) return;
      self->timed_out = true;
      self->KillGroup();
    });
  }

  void KillGroup() {
    // Only while the child is not reaped: its pid (and so its group id) cannot be reused yet.
    if (!reaped) ::kill(-pid, SIGKILL);
  }

  void Poll() {
    poll_timer.expires_after(kExitPollInterval);
    poll_timer.async_wait([self = shared_from_this()](error_code ec) {
      if (ec || self->reaped) return;
      if (!self->Reap(/*block=*/false)) self->Poll();
    });
  }

  // Collects the exit status; false when the child still runs (only when !block).
  bool Reap(bool block) {
    if (reaped) return true;
    int st = 0;
    pid_t r;
    do {
      r = ::waitpid(pid, &st, block ? 0 : WNOHANG);
    } while (r < 0 && errno == EINTR);
    if (r == 0) return false;
    reaped = true;
    status = r == pid ? st : 0;
    error_code ignored;
    timeout_timer.cancel();
    exit_watch.close(ignored);
    drain_timer.expires_after(kDrainAfterExit);
    drain_timer.async_wait([self = shared_from_this()](error_code ec) {
      if (ec) return;
      error_code ignored;
      self->out.close(ignored);
      self->err.close(ignored);
    });
    MaybeFinish();
    return true;
  }

  void ReadOut() {
    out.async_read_some(net::buffer(out_buf), [self = shared_from_this()](error_code ec,
                                                                          std::size_t n) {
      if (n > 0) {
        std::string& data = self->outcome.stdout_data;
        const std::size_t room =
            self->spec.max_stdout_bytes > data.size() ? self->spec.max_stdout_bytes - data.size() : 0;
        if (n > room) self->outcome.stdout_truncated = true;
        data.append(self->out_buf.data(), std::min(n, room));
      }
      if (ec) {
        self->out_eof = true;
        self->MaybeFinish();
        return;
      }
      self->ReadOut();
    });
  }

  void ReadErr() {
    err.async_read_some(net::buffer(err_buf), [self = shared_from_this()](error_code ec,
                                                                          std::size_t n) {
      for (std::size_t i = 0; i < n; ++i) {
        const char c = self->err_buf[i];
        if (c == '\n') {
          self->EmitLine();
        } else {
          self->err_line += c;
          if (self->err_line.size() >= kMaxStderrLine) self->EmitLine();
        }
      }
      if (ec) {
        if (!self->err_line.empty()) self->EmitLine();
        self->err_eof = true;
        self->MaybeFinish();
        return;
      }
      self->ReadErr();
    });
  }

  void EmitLine() {
    if (!err_line.empty() && err_line.back() == '\r') err_line.pop_back();
    if (spec.on_stderr_line) spec.on_stderr_line(err_line);
    err_line.clear();
  }

  void MaybeFinish() {
    if (finished || !reaped || !out_eof || !err_eof) return;
    finished = true;
    drain_timer.cancel();
    poll_timer.cancel();
    if (killed) {
      outcome.end = ProcessOutcome::End::kKilled;
      outcome.code = SIGKILL;
    } else if (timed_out) {
      outcome.end = ProcessOutcome::End::kTimedOut;
      outcome.code = SIGKILL;
    } else if (WIFSIGNALED(status)) {
      outcome.end = ProcessOutcome::End::kSignaled;
      outcome.code = WTERMSIG(status);
    } else {
      outcome.end = ProcessOutcome::End::kExited;
      outcome.code = WIFEXITED(status) ? WEXITSTATUS(status) : 0;
    }
    forget(id);
    auto callback = std::move(done);
    if (callback) callback(std::move(outcome));
  }
};

class ProcessRunner::Impl {
 public:
  Impl() : work_(net::make_work_guard(io_)) {
    thread_ = std::thread([this] {
      sigset_t all;
      sigfillset(&all);
      pthread_sigmask(SIG_BLOCK, &all, nullptr);  // also keeps EPIPE from raising SIGPIPE
      io_.run();
    });
  }

  ~Impl() {
    std::map<Id, std::shared_ptr<Process>> live;
    {
      std::lock_guard<std::mutex> lock(mu_);
      stopped_ = true;
      live = live_;
    }
    work_.reset();
    io_.stop();
    thread_.join();
    for (auto& [id, p] : live) {
      if (p->reaped) continue;
      p->KillGroup();
      int st;
      while (::waitpid(p->pid, &st, 0) < 0 && errno == EINTR) {
      }
      p->reaped = true;
    }
    std::lock_guard<std::mutex> lock(mu_);
    live_.clear();
  }

  Result<Id> Start(ProcessSpec spec, Done done) {
    struct stat st;
    if (::stat(spec.path.c_str(), &st) != 0 || !S_ISREG(st.st_mode) ||
        ::access(spec.path.c_str(), X_OK) != 0) {
      return Fail(ErrorCode::kNotFound, "no executable file " + spec.path);
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stopped_) return Fail(ErrorCode::kUnavailable, "the process runner has stopped");
    }
    int in[2] = {-1, -1}, out[2] = {-1, -1}, err[2] = {-1, -1};
    auto close_all = [&] {
      for (int fd : {in[0], in[1], out[0], out[1], err[0], err[1]}) {
        if (fd >= 0) ::close(fd);
      }
    };
    if (::pipe2(in, O_CLOEXEC) != 0 || ::pipe2(out, O_CLOEXEC) != 0 ||
        ::pipe2(err, O_CLOEXEC) != 0) {
      std::string message = Errno("pipe");
      close_all();
      return Fail(ErrorCode::kInternal, message);
    }

    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, in[0], 0);
    posix_spawn_file_actions_adddup2(&actions, out[1], 1);
    posix_spawn_file_actions_adddup2(&actions, err[1], 2);
    posix_spawn_file_actions_addclosefrom_np(&actions, 3);
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK |
                                        POSIX_SPAWN_SETSIGDEF);
    posix_spawnattr_setpgroup(&attr, 0);
    sigset_t none;
    sigemptyset(&none);
    posix_spawnattr_setsigmask(&attr, &none);
    sigset_t defaults;
    sigemptyset(&defaults);
    for (int s : {SIGPIPE, SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGCHLD, SIGUSR1, SIGUSR2, SIGALRM}) {
      sigaddset(&defaults, s);
    }
    posix_spawnattr_setsigdefault(&attr, &defaults);

    std::vector<char*> argv;
    argv.push_back(spec.path.data());
    for (auto& a : spec.args) argv.push_back(a.data());
    argv.push_back(nullptr);
    std::vector<char*> envp;
    for (auto& e : spec.env) envp.push_back(e.data());
    envp.push_back(nullptr);

    pid_t pid = -1;
    const int rc = ::posix_spawn(&pid, spec.path.c_str(), &actions, &attr, argv.data(), envp.data());
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
    if (rc != 0) {
      close_all();
      return Fail(rc == ENOENT || rc == EACCES || rc == ENOEXEC ? ErrorCode::kNotFound
                                                                 : ErrorCode::kInternal,
                  "cannot run " + spec.path + ": " + std::strerror(rc));
    }
    ::close(in[0]);
    ::close(out[1]);
    ::close(err[1]);
    const int pidfd = OpenPidfd(pid);
    if (pidfd >= 0) ::fcntl(pidfd, F_SETFD, FD_CLOEXEC);

    std::lock_guard<std::mutex> lock(mu_);
    const Id id = ++next_id_;
    auto p = std::make_shared<Process>(io_, id, pid, in[1], out[0], err[0], pidfd);
    p->spec = std::move(spec);
    p->done = std::move(done);
    p->forget = [this](Id finished) {
      std::lock_guard<std::mutex> lock(mu_);
      live_.erase(finished);
    };
    live_[id] = p;
    net::post(io_, [p] { p->Begin(); });
    return id;
  }

  void Kill(Id id) {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = live_.find(id);
    if (it == live_.end()) return;
    net::post(io_, [p = it->second] {
      if (p->reaped || p->finished) return;
      p->killed = true;
      p->KillGroup();
    });
  }

 private:
  net::io_context io_;
  net::executor_work_guard<net::io_context::executor_type> work_;
  std::thread thread_;
  std::mutex mu_;
  bool stopped_ = false;                           // guarded by mu_
  Id next_id_ = 0;                                 // guarded by mu_
  std::map<Id, std::shared_ptr<Process>> live_;    // guarded by mu_
};

ProcessRunner::ProcessRunner() : impl_(std::make_unique<Impl>()) {}
ProcessRunner::~ProcessRunner() = default;

Result<ProcessRunner::Id> ProcessRunner::Start(ProcessSpec spec, Done done) {
  return impl_->Start(std::move(spec), std::move(done));
}

void ProcessRunner::Kill(Id id) { impl_->Kill(id); }

}  // namespace stepway::integrations
