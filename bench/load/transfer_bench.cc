// transfer_bench: a load generator for the Transfer Family side of `stepway serve`.
//
// It plays every party a Transfer workflow has besides the server:
// - the administrator: CreateWorkflow (COPY -> CUSTOM -> DELETE), CreateServer (OnUpload),
//   CreateUser per SFTP session, over AWS JSON 1.1 (`X-Amz-Target: TransferService.<Op>`, no
//   SigV4) on a Beast keep-alive client;
// - the users: S libssh client sessions (one thread each), each uploading N small files;
// - the CUSTOM step's Lambda function: an HTTP server for the Lambda Invoke API
//   (`POST /2015-03-31/functions/NAME/invocations`, what `stepway serve --lambda-endpoint`
//   calls) that answers 200 `{}` at once and, depending on the scenario, either sends
//   SendWorkflowStepState SUCCESS for the event's token right away or keeps the token.
//
// Scenarios, one per run:
//   upload  S sessions upload N files each; the Lambda answers and calls back at once. Timed
//           from the first upload to the last ExecutionCompleted (the server's own log line,
//           DATA/logs/transfer/SERVER_ID.log, tailed every 2 ms); then checked with
//           ListExecutions (all COMPLETED) and the data folder (every COPY destination exists,
//           every uploaded original was deleted).
//   step    S*N uploads park on the CUSTOM step (tokens kept); then, timed, S*N
//           SendWorkflowStepState SUCCESS over C connections; then the same checks.
//
// Every phase prints a human line and a JSON line (starting with '{') in callback_bench's
// format, with the server's and this client's CPU time when --server-pid is given; the client,
// the connection runner and the report are shared with it (bench/load/load_support.h).
// bench/transfer_bench.sh drives it.
//
// Threads: SFTP sessions are blocking libssh calls, one thread each; the Lambda endpoint and its
// callbacks run on one io thread (its connection pool is touched only there); the timed
// SendWorkflowStepState phase runs its C connections on one io thread of its own. Shared
// results are atomics or guarded by the mutex named beside them.
#include <fcntl.h>
#include <libssh/libssh.h>
#include <libssh/sftp.h>

#include <atomic>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include "json/json.h"
#include "load_support.h"

namespace stepway::bench {
namespace {

namespace fs = std::filesystem;
namespace beast = boost::beast;  // the Lambda endpoint it serves
namespace http = beast::http;

// Transfer Family's AWS JSON 1.1.
constexpr Protocol kTransfer{"application/x-amz-json-1.1", "TransferService.",
                             std::chrono::seconds(60)};
// The human line's layout (callback_bench's differs).
constexpr Columns kColumns{.phase = 30, .n = 7, .rate = 9};
constexpr const char* kInbox = "inbox";      // the users' HomeDirectory bucket
constexpr const char* kArchive = "archive";  // the COPY step's destination bucket
constexpr const char* kFunction = "bench-approve";
// The CUSTOM step's TimeoutSeconds: long enough that no parked step times out during a run.
constexpr int kCustomTimeoutSeconds = 1800;
constexpr auto kLogPollInterval = std::chrono::milliseconds(2);

struct Options {
  ClientOptions client{.protocol = kTransfer};  // --host, --port (stepway serve's HTTP port)
  unsigned short lambda_port = 0;  // where this tool serves the Lambda Invoke API
  std::string data_dir;            // the server's --data folder (log and files are read there)
  std::string scenario;
  int sessions = 4;                // SFTP sessions
  int files = 250;                 // uploads per session
  int file_bytes = 4096;
  int connections = 64;            // step: connections sending SendWorkflowStepState
  int server_pid = 0;
  double timeout_s = 120;          // waiting for invocations or completions
};

std::string StringAt(const json::Value& v, std::initializer_list<std::string_view> path) {
  const json::Value* at = &v;
  for (std::string_view key : path) {
    at = json::Find(*at, key);
    if (at == nullptr) return "";
  }
  return at->is_string() ? std::string(at->get_string()) : "";
}

// Prints one phase: a human line and a JSON line (see PrintPhase).
void Report(const std::string& scenario, const std::string& phase, long n, double seconds,
            const Latencies& latencies, Failures& failures, int connections,
            const ServerCpu& cpu, std::string extra = "") {
  PrintPhase(kColumns, scenario, phase, n, seconds, latencies, failures, connections, cpu,
             std::move(extra));
}

// ---------------------------------------------------------------------------------------------
// Setup: a COPY -> CUSTOM -> DELETE workflow, a server running it on upload, one user per
// session (all with the same key).

struct Setup {
  std::string workflow_id;
  std::string server_id;
  unsigned short sftp_port = 0;
};

std::string UserName(int session) { return "user" + std::to_string(session); }
std::string FileName(int index) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "f-%06d", index);
  return buf;
}

std::string WorkflowSteps() {
  return R"([{"Type":"COPY","CopyStepDetails":{"Name":"copy","DestinationFileLocation":)"
         R"({"S3FileLocation":{"Bucket":")" +
         std::string(kArchive) +
         R"(","Key":"${transfer:UserName}/"}},"OverwriteExisting":"TRUE"}},)"
         R"({"Type":"CUSTOM","CustomStepDetails":{"Name":"approve","Target":)"
         R"("arn:aws:lambda:us-east-1:123456789012:function:)" +
         std::string(kFunction) + R"(","TimeoutSeconds":)" +
         std::to_string(kCustomTimeoutSeconds) +
         R"(}},{"Type":"DELETE","DeleteStepDetails":{"Name":"delete",)"
         R"("SourceFileLocation":"${original.file}"}}])";
}

awaitable<Reply> MustCall(Connection& c, std::string_view operation, std::string body) {
  Reply r = co_await c.Call(operation, std::move(body));
  if (r.status != 200) {
    throw std::runtime_error(std::string(operation) + ": " + std::to_string(r.status) + " " +
                             r.body);
  }
  co_return r;
}

Setup CreateAll(const Options& opts, const std::string& public_key) {
  Setup s;
  RunOne(opts.client, [&](Connection& c) -> awaitable<void> {
    Reply r = co_await MustCall(c, "CreateWorkflow",
                                "{\"Description\":\"bench COPY CUSTOM DELETE\",\"Steps\":" +
                                    WorkflowSteps() + "}");
    s.workflow_id = StringAt(*json::Parse(r.body), {"WorkflowId"});
    r = co_await MustCall(c, "CreateServer",
                          "{\"WorkflowDetails\":{\"OnUpload\":[{\"WorkflowId\":" +
                              Quote(s.workflow_id) + ",\"ExecutionRole\":" + Quote(kRoleArn) +
                              "}]}}");
    s.server_id = StringAt(*json::Parse(r.body), {"ServerId"});
    for (int i = 0; i < opts.sessions; ++i) {
      co_await MustCall(c, "CreateUser",
                        "{\"ServerId\":" + Quote(s.server_id) + ",\"UserName\":" +
                            Quote(UserName(i)) + ",\"Role\":" + Quote(kRoleArn) +
                            ",\"HomeDirectory\":" + Quote("/" + std::string(kInbox) + "/" +
                                                          UserName(i)) +
                            ",\"SshPublicKeyBody\":" + Quote(public_key) + "}");
    }
    r = co_await MustCall(c, "DescribeServer", "{\"ServerId\":" + Quote(s.server_id) + "}");
    auto v = json::Parse(r.body);
    const json::Value* server = v ? json::Find(*v, "Server") : nullptr;
    const json::Value* port = server ? json::Find(*server, "Port") : nullptr;
    std::int64_t p = 0;
    if (!port || !json::AsInt64(*port, p) || p <= 0) {
      throw std::runtime_error("DescribeServer has no Port: " + r.body);
    }
    s.sftp_port = static_cast<unsigned short>(p);
  });
  return s;
}

// ---------------------------------------------------------------------------------------------
// The Lambda function: serves the Invoke API on its own io thread.

struct Invocation {
  std::string workflow_id;
  std::string execution_id;
  std::string token;
  std::string key;  // fileLocation.key: the COPY destination, "userN/f-NNNNNN"
};

class LambdaEndpoint {
 public:
  // answer_at_once: send SendWorkflowStepState SUCCESS for each invocation as soon as it is
  // answered; otherwise keep the invocations for Parked().
  LambdaEndpoint(const Options& opts, bool answer_at_once)
      : opts_(opts), answer_at_once_(answer_at_once), acceptor_(io_) {
    const tcp::endpoint at(asio::ip::make_address("127.0.0.1"), opts.lambda_port);
    acceptor_.open(at.protocol());
    acceptor_.set_option(tcp::acceptor::reuse_address(true));
    acceptor_.bind(at);
    acceptor_.listen();
    asio::co_spawn(io_, Accept(), asio::detached);
    thread_ = std::thread([this] { io_.run(); });
  }
  ~LambdaEndpoint() {
    io_.stop();
    thread_.join();
  }

  long invocations() const { return invocations_.load(); }
  long callbacks_done() const { return callbacks_done_.load(); }
  Failures& failures() { return failures_; }

  // Waits until `n` invocations arrived, or `timeout_s` passed without a new one.
  bool WaitInvocations(long n, double timeout_s) {
    std::unique_lock lock(mu_);
    auto count = [&] { return long(parked_.size()) + answered_; };
    while (count() < n) {
      const long seen = count();
      if (!cv_.wait_for(lock, std::chrono::duration<double>(timeout_s),
                        [&] { return count() != seen; })) {
        return false;
      }
    }
    return true;
  }

  std::vector<Invocation> Parked() {
    std::lock_guard lock(mu_);
    return parked_;
  }
  // Execution id -> its file key, for every invocation seen.
  std::unordered_map<std::string, std::string> Keys() {
    std::lock_guard lock(mu_);
    return keys_;
  }
  // The SendWorkflowStepState calls made at once (answer_at_once), once the endpoint has been
  // idle; read after the run.
  Latencies CallbackLatencies() {
    std::lock_guard lock(mu_);
    return callback_latencies_;
  }
  int pool_size() {
    std::lock_guard lock(mu_);
    return pool_created_;
  }

 private:
  awaitable<void> Accept() {
    for (;;) {
      boost::system::error_code ec;
      tcp::socket socket = co_await acceptor_.async_accept(asio::redirect_error(use_awaitable, ec));
      if (ec) co_return;
      asio::co_spawn(io_, Session(std::move(socket)), asio::detached);
    }
  }

  awaitable<void> Session(tcp::socket socket) {
    beast::tcp_stream stream(std::move(socket));
    beast::flat_buffer buffer;
    for (;;) {
      boost::system::error_code ec;
      http::request<http::string_body> request;
      stream.expires_after(std::chrono::seconds(120));
      co_await http::async_read(stream, buffer, request, asio::redirect_error(use_awaitable, ec));
      if (ec) break;
      std::optional<Invocation> invocation = Parse(request);
      http::response<http::string_body> response{
          invocation ? http::status::ok : http::status::bad_request, request.version()};
      response.set(http::field::content_type, "application/json");
      response.set("X-Amz-Executed-Version", "$LATEST");
      response.keep_alive(request.keep_alive());
      response.body() = invocation ? "{}" : R"({"Type":"User","message":"not an event"})";
      response.prepare_payload();
      co_await http::async_write(stream, response, asio::redirect_error(use_awaitable, ec));
      if (invocation) Record(std::move(*invocation));
      if (ec || !request.keep_alive()) break;
    }
    boost::system::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
  }

  std::optional<Invocation> Parse(const http::request<http::string_body>& request) {
    if (request.method() != http::verb::post ||
        request.target().find("/invocations") == beast::string_view::npos) {
      failures_.Add("Lambda request", std::string(request.target()));
      return std::nullopt;
    }
    auto event = json::Parse(request.body());
    if (!event) {
      failures_.Add("Lambda event", request.body());
      return std::nullopt;
    }
    Invocation inv;
    inv.token = StringAt(*event, {"token"});
    inv.workflow_id = StringAt(*event, {"serviceMetadata", "executionDetails", "workflowId"});
    inv.execution_id = StringAt(*event, {"serviceMetadata", "executionDetails", "executionId"});
    inv.key = StringAt(*event, {"fileLocation", "key"});
    if (inv.token.empty() || inv.execution_id.empty()) {
      failures_.Add("Lambda event", request.body());
      return std::nullopt;
    }
    return inv;
  }

  void Record(Invocation invocation) {
    invocations_.fetch_add(1);
    if (answer_at_once_) {
      asio::co_spawn(io_, CallBack(invocation), asio::detached);
    }
    {
      std::lock_guard lock(mu_);
      keys_[invocation.execution_id] = invocation.key;
      if (answer_at_once_) {
        ++answered_;
      } else {
        parked_.push_back(std::move(invocation));
      }
    }
    cv_.notify_all();
  }

  // SendWorkflowStepState SUCCESS on a pooled keep-alive connection (the pool grows to the
  // number of callbacks in flight at once; only this io thread touches it).
  awaitable<void> CallBack(Invocation inv) {
    std::unique_ptr<Connection> c;
    if (pool_.empty()) {
      c = std::make_unique<Connection>(io_.get_executor(), opts_.client);
      std::lock_guard lock(mu_);
      ++pool_created_;
    } else {
      c = std::move(pool_.back());
      pool_.pop_back();
    }
    const std::int64_t t = NowNs();
    Reply r = co_await c->Call("SendWorkflowStepState", StepStateBody(inv));
    const std::int64_t took = NowNs() - t;
    pool_.push_back(std::move(c));
    if (r.status != 200) failures_.Add("SendWorkflowStepState", r);
    {
      std::lock_guard lock(mu_);
      callback_latencies_.push_back(took);
    }
    callbacks_done_.fetch_add(1);
  }

 public:
  static std::string StepStateBody(const Invocation& inv) {
    return "{\"WorkflowId\":" + Quote(inv.workflow_id) + ",\"ExecutionId\":" +
           Quote(inv.execution_id) + ",\"Token\":" + Quote(inv.token) +
           ",\"Status\":\"SUCCESS\"}";
  }

 private:
  const Options& opts_;
  const bool answer_at_once_;
  asio::io_context io_{1};
  tcp::acceptor acceptor_;
  std::thread thread_;
  std::vector<std::unique_ptr<Connection>> pool_;  // io thread only
  std::atomic<long> invocations_{0};
  std::atomic<long> callbacks_done_{0};
  Failures failures_;
  std::mutex mu_;
  std::condition_variable cv_;
  long answered_ = 0;                               // GUARDED_BY(mu_)
  std::vector<Invocation> parked_;                  // GUARDED_BY(mu_)
  std::unordered_map<std::string, std::string> keys_;  // GUARDED_BY(mu_)
  Latencies callback_latencies_;                    // GUARDED_BY(mu_)
  int pool_created_ = 0;                            // GUARDED_BY(mu_)
};

// ---------------------------------------------------------------------------------------------
// The server's Transfer log: when each execution ended, as the server itself records it.

class LogTail {
 public:
  explicit LogTail(std::string path) : path_(std::move(path)) {
    thread_ = std::thread([this] { Run(); });
  }
  ~LogTail() {
    stop_.store(true);
    thread_.join();
  }
  long completed() const { return completed_.load(); }
  long errored() const { return errored_.load(); }
  // Execution id -> when its ExecutionCompleted line was seen (NowNs).
  std::unordered_map<std::string, std::int64_t> Ended() {
    std::lock_guard lock(mu_);
    return ended_;
  }
  std::int64_t last_end_ns() const { return last_end_ns_.load(); }

  // Waits until completed + errored reaches `n`, or `timeout_s` passed without progress.
  bool Wait(long n, double timeout_s) {
    std::int64_t progress_at = NowNs();
    long seen = -1;
    while (completed() + errored() < n) {
      const long now = completed() + errored();
      if (now != seen) {
        seen = now;
        progress_at = NowNs();
      } else if (SecondsSince(progress_at) > timeout_s) {
        return false;
      }
      std::this_thread::sleep_for(kLogPollInterval);
    }
    return true;
  }

 private:
  void Run() {
    std::ifstream in;
    std::string pending;
    while (!stop_.load()) {
      if (!in.is_open()) {
        in.open(path_);
        if (!in.is_open()) {
          std::this_thread::sleep_for(kLogPollInterval);
          continue;
        }
      }
      char buf[65536];
      bool any = false;
      for (;;) {
        in.read(buf, sizeof buf);
        const std::streamsize got = in.gcount();
        if (got <= 0) break;
        pending.append(buf, std::size_t(got));
        any = true;
      }
      in.clear();  // past EOF: read on when the file grows
      if (any) Consume(pending);
      else std::this_thread::sleep_for(kLogPollInterval);
    }
  }

  void Consume(std::string& pending) {
    const std::int64_t now = NowNs();
    std::size_t begin = 0;
    for (std::size_t end; (end = pending.find('\n', begin)) != std::string::npos;
         begin = end + 1) {
      const std::string_view line(pending.data() + begin, end - begin);
      const bool done = line.find("\"ExecutionCompleted\"") != std::string_view::npos;
      const bool failed = line.find("\"ExecutionErrored\"") != std::string_view::npos;
      if (!done && !failed) continue;
      auto v = json::Parse(line);
      const std::string id = v ? StringAt(*v, {"executionId"}) : "";
      {
        std::lock_guard lock(mu_);
        if (done) ended_[id] = now;
      }
      (done ? completed_ : errored_).fetch_add(1);
      last_end_ns_.store(now);
    }
    pending.erase(0, begin);
  }

  const std::string path_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::atomic<long> completed_{0};
  std::atomic<long> errored_{0};
  std::atomic<std::int64_t> last_end_ns_{0};
  std::mutex mu_;
  std::unordered_map<std::string, std::int64_t> ended_;  // GUARDED_BY(mu_)
};

// ---------------------------------------------------------------------------------------------
// SFTP sessions (libssh client, one thread each).

class Key {
 public:
  Key() {
    if (ssh_pki_generate(SSH_KEYTYPE_ED25519, 0, &key_) != SSH_OK) {
      throw std::runtime_error("ssh_pki_generate failed");
    }
    ssh_key pub = nullptr;
    char* b64 = nullptr;
    if (ssh_pki_export_privkey_to_pubkey(key_, &pub) != SSH_OK ||
        ssh_pki_export_pubkey_base64(pub, &b64) != SSH_OK) {
      throw std::runtime_error("exporting the public key failed");
    }
    public_line_ = std::string("ssh-ed25519 ") + b64 + " stepway-bench";
    ssh_string_free_char(b64);
    ssh_key_free(pub);
  }
  ~Key() { ssh_key_free(key_); }
  Key(const Key&) = delete;
  Key& operator=(const Key&) = delete;
  ssh_key get() const { return key_; }
  const std::string& public_line() const { return public_line_; }

 private:
  ssh_key key_ = nullptr;
  std::string public_line_;
};

// One logged-in SFTP session. Throws with libssh's message when a step fails.
class SftpSession {
 public:
  SftpSession(const std::string& host, unsigned short port, const std::string& user,
              const Key& key) {
    session_ = ssh_new();
    if (session_ == nullptr) throw std::runtime_error("ssh_new failed");
    const int p = port;
    const int no = 0;
    ssh_options_set(session_, SSH_OPTIONS_HOST, host.c_str());
    ssh_options_set(session_, SSH_OPTIONS_PORT, &p);
    ssh_options_set(session_, SSH_OPTIONS_USER, user.c_str());
    ssh_options_set(session_, SSH_OPTIONS_PROCESS_CONFIG, &no);
    ssh_options_set(session_, SSH_OPTIONS_KNOWNHOSTS, "/dev/null");
    ssh_options_set(session_, SSH_OPTIONS_GLOBAL_KNOWNHOSTS, "/dev/null");
    if (ssh_connect(session_) != SSH_OK) Fail("ssh_connect");
    // The server's host key is not checked: it is the one just started on this machine.
    if (ssh_userauth_publickey(session_, nullptr, key.get()) != SSH_AUTH_SUCCESS) {
      Fail("ssh_userauth_publickey");
    }
    sftp_ = sftp_new(session_);
    if (sftp_ == nullptr || sftp_init(sftp_) != SSH_OK) Fail("sftp_init");
  }
  ~SftpSession() {
    if (sftp_ != nullptr) sftp_free(sftp_);
    if (session_ != nullptr) {
      ssh_disconnect(session_);
      ssh_free(session_);
    }
  }
  SftpSession(const SftpSession&) = delete;
  SftpSession& operator=(const SftpSession&) = delete;

  // Writes `data` to `path` (created or truncated) and closes it: one upload.
  void Upload(const std::string& path, const std::string& data) {
    sftp_file f = sftp_open(sftp_, path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (f == nullptr) Fail("sftp_open " + path);
    const ssize_t wrote = sftp_write(f, data.data(), data.size());
    const int closed = sftp_close(f);
    if (wrote != ssize_t(data.size()) || closed != SSH_OK) Fail("sftp_write/close " + path);
  }

 private:
  [[noreturn]] void Fail(const std::string& what) {
    throw std::runtime_error(what + ": " + ssh_get_error(session_));
  }
  ssh_session session_ = nullptr;
  sftp_session sftp_ = nullptr;
};

struct UploadRun {
  std::int64_t start_ns = 0;   // when the first upload began (all sessions logged in)
  std::int64_t end_ns = 0;     // when the last one was closed
  double connect_s = 0;        // connect + auth + sftp_init of all sessions
  Latencies latencies;         // open + write + close, per upload
  std::unordered_map<std::string, std::int64_t> closed_at;  // "userN/f-NNNNNN" -> NowNs
  Failures failures;
};

// S sessions log in, wait for each other, then upload N files each.
void UploadAll(const Options& opts, const Setup& setup, const Key& key, UploadRun& run) {
  const std::string data(std::size_t(opts.file_bytes), 'x');
  std::mutex mu;  // guards run.latencies, run.closed_at, ready
  std::condition_variable cv;
  int ready = 0;
  const std::int64_t connect_start = NowNs();
  std::atomic<std::int64_t> start_ns{0};
  std::vector<std::thread> threads;
  for (int s = 0; s < opts.sessions; ++s) {
    threads.emplace_back([&, s] {
      std::unique_ptr<SftpSession> session;
      try {
        session = std::make_unique<SftpSession>(opts.client.host, setup.sftp_port, UserName(s),
                                                key);
      } catch (const std::exception& e) {
        run.failures.Add("SFTP login " + UserName(s), e.what());
      }
      {
        std::unique_lock lock(mu);
        if (++ready == opts.sessions) {
          run.connect_s = SecondsSince(connect_start);
          start_ns.store(NowNs());
          cv.notify_all();
        } else {
          cv.wait(lock, [&] { return ready == opts.sessions; });
        }
      }
      if (!session) return;
      Latencies mine;
      std::vector<std::pair<std::string, std::int64_t>> closed;
      for (int i = 0; i < opts.files; ++i) {
        const std::string name = FileName(i);
        const std::int64_t t = NowNs();
        try {
          session->Upload("/" + std::string(kInbox) + "/" + UserName(s) + "/" + name, data);
        } catch (const std::exception& e) {
          run.failures.Add("SFTP upload", e.what());
          return;
        }
        const std::int64_t now = NowNs();
        mine.push_back(now - t);
        closed.emplace_back(UserName(s) + "/" + name, now);
      }
      std::lock_guard lock(mu);
      run.latencies.insert(run.latencies.end(), mine.begin(), mine.end());
      for (auto& [k, at] : closed) run.closed_at[k] = at;
    });
  }
  for (auto& t : threads) t.join();
  run.start_ns = start_ns.load();
  run.end_ns = NowNs();
}

// ---------------------------------------------------------------------------------------------
// Checks.

// Counts the workflow's executions by Status, paging ListExecutions.
std::map<std::string, long> CountByStatus(const Options& opts, const std::string& workflow_id) {
  std::map<std::string, long> counts;
  RunOne(opts.client, [&](Connection& c) -> awaitable<void> {
    std::string next;
    for (;;) {
      std::string body = "{\"WorkflowId\":" + Quote(workflow_id) +
                         ",\"MaxResults\":" + std::to_string(kListPageSize);
      if (!next.empty()) body += ",\"NextToken\":" + Quote(next);
      body += "}";
      Reply r = co_await MustCall(c, "ListExecutions", std::move(body));
      auto v = json::Parse(r.body);
      if (!v) throw std::runtime_error("ListExecutions: not JSON");
      if (const json::Value* list = json::Find(*v, "Executions"); list && list->is_array()) {
        for (const json::Value& e : list->get_array()) ++counts[StringAt(e, {"Status"})];
      }
      next = StringAt(*v, {"NextToken"});
      if (next.empty()) break;
    }
  });
  return counts;
}

// ListExecutions says all `n` COMPLETED; every COPY destination exists with the uploaded size;
// no original is left in the inbox. Prints the check; true when all hold.
bool Verify(const Options& opts, const std::string& scenario, const Setup& setup, long n) {
  const std::int64_t t = NowNs();
  const auto counts = CountByStatus(opts, setup.workflow_id);
  const double list_s = SecondsSince(t);
  long total = 0;
  std::string by_status;
  for (const auto& [status, count] : counts) {
    total += count;
    by_status += (by_status.empty() ? "" : ", ") + status + " " + std::to_string(count);
  }
  const long completed = counts.count("COMPLETED") ? counts.at("COMPLETED") : 0;
  long copied = 0, left = 0;
  const fs::path root = fs::path(opts.data_dir) / "files" / "s3";
  for (int s = 0; s < opts.sessions; ++s) {
    for (int i = 0; i < opts.files; ++i) {
      std::error_code ec;
      const auto size = fs::file_size(root / kArchive / UserName(s) / FileName(i), ec);
      if (!ec && size == std::uintmax_t(opts.file_bytes)) ++copied;
      if (fs::exists(root / kInbox / UserName(s) / FileName(i), ec)) ++left;
    }
  }
  const bool ok = completed == n && total == n && copied == n && left == 0;
  std::printf("%-10s %-30s %ld executions (%s): %s; COPY destinations %ld of %ld; originals "
              "left %ld; ListExecutions paging %.3f s\n",
              scenario.c_str(), "verify", total, by_status.c_str(), ok ? "ok" : "MISSING",
              copied, n, left, list_s);
  std::printf("{\"scenario\":%s,\"phase\":\"verify\",\"n\":%ld,\"executions\":%ld,"
              "\"completed\":%ld,\"copied\":%ld,\"originals_left\":%ld,\"ok\":%s,"
              "\"list_paging_seconds\":%.4f}\n",
              Quote(scenario).c_str(), n, total, completed, copied, left, ok ? "true" : "false",
              list_s);
  std::fflush(stdout);
  return ok;
}

std::string LogPath(const Options& opts, const Setup& setup) {
  return opts.data_dir + "/logs/transfer/" + setup.server_id + ".log";
}

// Upload close -> ExecutionCompleted, per execution the Lambda saw.
Latencies EndToEnd(const UploadRun& run, LambdaEndpoint& lambda, LogTail& log) {
  const auto keys = lambda.Keys();
  const auto ended = log.Ended();
  Latencies out;
  for (const auto& [execution, at] : ended) {
    auto k = keys.find(execution);
    if (k == keys.end()) continue;
    auto c = run.closed_at.find(k->second);
    if (c != run.closed_at.end()) out.push_back(at - c->second);
  }
  return out;
}

std::string ShapeExtra(const Options& opts) {
  return ",\"sessions\":" + std::to_string(opts.sessions) +
         ",\"files_per_session\":" + std::to_string(opts.files) +
         ",\"file_bytes\":" + std::to_string(opts.file_bytes);
}

// ---------------------------------------------------------------------------------------------
// Scenarios.

int Upload(const Options& opts) {
  const Key key;
  const Setup setup = CreateAll(opts, key.public_line());
  const long n = long(opts.sessions) * opts.files;
  LambdaEndpoint lambda(opts, /*answer_at_once=*/true);
  LogTail log(LogPath(opts, setup));
  const std::string scenario = "upload";
  const std::string extra = ShapeExtra(opts);

  const ServerCpu cpu(opts.server_pid);
  UploadRun run;
  UploadAll(opts, setup, key, run);
  const double upload_s = double(run.end_ns - run.start_ns) / 1e9;
  Report(scenario, "SFTP uploads (close acked)", long(run.latencies.size()), upload_s,
         run.latencies, run.failures, opts.sessions, ServerCpu(0),
         extra + ",\"connect_seconds\":" + std::to_string(run.connect_s));

  const bool all = log.Wait(n, opts.timeout_s);
  const std::int64_t last = log.last_end_ns();
  const double e2e_s = last > run.start_ns ? double(last - run.start_ns) / 1e9 : 0;
  Failures none;
  Report(scenario, "e2e upload->COMPLETED", log.completed(), e2e_s, EndToEnd(run, lambda, log),
         none, opts.sessions, cpu,
         extra + ",\"errored\":" + std::to_string(log.errored()) +
             ",\"all_completed\":" + (all ? "true" : "false"));
  if (log.errored() > 0) std::printf("           %ld executions ended in EXCEPTION\n", log.errored());
  Report(scenario, "  SendWorkflowStepState (cb)", lambda.callbacks_done(), e2e_s,
         lambda.CallbackLatencies(), lambda.failures(), lambda.pool_size(), ServerCpu(0),
         extra + ",\"lambda_invocations\":" + std::to_string(lambda.invocations()));
  return Verify(opts, scenario, setup, n) && all ? 0 : 1;
}

int Step(const Options& opts) {
  const Key key;
  const Setup setup = CreateAll(opts, key.public_line());
  const long n = long(opts.sessions) * opts.files;
  LambdaEndpoint lambda(opts, /*answer_at_once=*/false);
  LogTail log(LogPath(opts, setup));
  const std::string scenario = "step";
  const std::string extra = ShapeExtra(opts);

  // Park: every upload's execution reaches the CUSTOM step and its Lambda was invoked.
  {
    const ServerCpu cpu(opts.server_pid);
    UploadRun run;
    UploadAll(opts, setup, key, run);
    const bool all = lambda.WaitInvocations(n, opts.timeout_s);
    const double s = SecondsSince(run.start_ns);
    Report(scenario, "park: upload->CUSTOM invoked", lambda.invocations(), s, run.latencies,
           run.failures, opts.sessions, cpu,
           extra + ",\"all_parked\":" + (all ? "true" : "false"));
    if (!all) {
      std::printf("step: only %ld of %ld executions reached the CUSTOM step\n",
                  lambda.invocations(), n);
      return 1;
    }
  }

  // The timed phase: answer every parked step.
  const std::vector<Invocation> parked = lambda.Parked();
  std::atomic<long> next{0};
  Failures failures;
  std::vector<Latencies> per(std::size_t(opts.connections));
  const ServerCpu cpu(opts.server_pid);
  const std::int64_t start = NowNs();
  RunConnections(opts.client, opts.connections, [&](Connection& c, int index) -> awaitable<void> {
    for (long i = next.fetch_add(1); i < long(parked.size()); i = next.fetch_add(1)) {
      const std::int64_t t = NowNs();
      Reply r = co_await c.Call("SendWorkflowStepState", LambdaEndpoint::StepStateBody(parked[i]));
      per[std::size_t(index)].push_back(NowNs() - t);
      if (r.status != 200) failures.Add("SendWorkflowStepState", r);
    }
  });
  const double seconds = SecondsSince(start);
  Report(scenario, "SendWorkflowStepState", long(parked.size()), seconds, Merge(per), failures,
         opts.connections, cpu, extra);

  // Each answered execution still runs DELETE: wait for them all.
  const bool all = log.Wait(n, opts.timeout_s);
  const std::int64_t last = log.last_end_ns();
  const double drain_s = last > start ? double(last - start) / 1e9 : 0;
  Failures none;
  Report(scenario, "  first call->all COMPLETED", log.completed(), drain_s, {}, none,
         opts.connections, ServerCpu(0),
         extra + ",\"errored\":" + std::to_string(log.errored()));
  return Verify(opts, scenario, setup, n) && all && failures.count.load() == 0 ? 0 : 1;
}

void Usage() {
  std::fprintf(stderr,
               "usage: transfer_bench --port PORT --lambda-port PORT --data DIR [--host 127.0.0.1]\n"
               "         [--server-pid PID] [--timeout 120]\n"
               "         upload [--sessions 4] [--files 250] [--bytes 4096]\n"
               "       | step   [--sessions 4] [--files 250] [--bytes 4096] [--connections 64]\n"
               "The server must run with --lambda-endpoint http://127.0.0.1:LAMBDA_PORT.\n");
}

}  // namespace
}  // namespace stepway::bench

int main(int argc, char** argv) {
  using stepway::bench::Arguments;
  stepway::bench::Options opts;
  const Arguments read = stepway::bench::ReadArguments(
      "transfer_bench", argc, argv, opts.scenario,
      [&opts](std::string_view a, const std::function<std::string()>& value) {
        if (a == "--host") opts.client.host = value();
        else if (a == "--port") opts.client.port = static_cast<unsigned short>(std::stoi(value()));
        else if (a == "--lambda-port")
          opts.lambda_port = static_cast<unsigned short>(std::stoi(value()));
        else if (a == "--data") opts.data_dir = value();
        else if (a == "--sessions") opts.sessions = std::stoi(value());
        else if (a == "--files") opts.files = std::stoi(value());
        else if (a == "--bytes") opts.file_bytes = std::stoi(value());
        else if (a == "--connections") opts.connections = std::stoi(value());
        else if (a == "--server-pid") opts.server_pid = std::stoi(value());
        else if (a == "--timeout") opts.timeout_s = std::stod(value());
        else return false;
        return true;
      });
  if (read != Arguments::kRead) {
    stepway::bench::Usage();
    return read == Arguments::kHelp ? 0 : 2;
  }
  if (opts.client.port == 0 || opts.lambda_port == 0 || opts.data_dir.empty() ||
      opts.sessions <= 0 || opts.files <= 0 || opts.file_bytes <= 0 || opts.connections <= 0) {
    stepway::bench::Usage();
    return 2;
  }
  try {
    if (opts.scenario == "upload") return stepway::bench::Upload(opts);
    if (opts.scenario == "step") return stepway::bench::Step(opts);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "transfer_bench: %s\n", e.what());
    return 1;
  }
  stepway::bench::Usage();
  return 2;
}
