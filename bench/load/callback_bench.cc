// callback_bench: a load generator for `stepway serve`.
//
// An HTTP/1.1 keep-alive client (Boost.Beast over Asio coroutines) that speaks the Step Functions
// AWS JSON 1.0 protocol (`X-Amz-Target: AWSStepFunctions.<Op>`, no SigV4) over N connections
// and measures one scenario per run:
//
//   callback   Pass -> Task(activity) -> Pass: start N executions, collect the N task tokens
//              with GetActivityTask, then (timed) complete them with SendTaskSuccess; checks with
//              ListExecutions(statusFilter=SUCCEEDED) that all N succeeded.
//   roundtrip  W workers loop GetActivityTask -> SendTaskSuccess while feeders start executions.
//   start      a 10-state Pass machine: StartExecution on STANDARD and EXPRESS, then
//              StartSyncExecution on EXPRESS.
//   park       M executions parked on a .waitForTaskToken task; the server's RSS before/after.
//   ready      polls DescribeExecution until the server answers (restart-to-serving time).
//
// Every phase prints a human line and a JSON line (starting with '{') with its throughput,
// p50/p99/max latency and the machine's 1-minute load average. bench/server_bench.sh drives it.
//
// Threads: each connection is one coroutine; connections are spread over --threads io_contexts,
// one thread each. Shared counters are atomics; each connection records latencies in its own
// slot, merged after the threads are joined.
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "json/json.h"

namespace stepway::bench {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::awaitable;
using asio::use_awaitable;
using tcp = asio::ip::tcp;
using SteadyClock = std::chrono::steady_clock;

// GetActivityTask long-polls up to 60 s on the server; every other call answers quickly.
constexpr auto kCallTimeout = std::chrono::seconds(120);
constexpr std::size_t kResponseBodyLimit = 64 * 1024 * 1024;
constexpr int kListPageSize = 1000;  // ListExecutions' maxResults upper bound (AWS)
constexpr const char* kRoleArn = "arn:aws:iam::123456789012:role/stepway-bench";

struct Options {
  std::string host = "127.0.0.1";
  unsigned short port = 0;
  std::string scenario;
  long n = 20000;           // executions (callback, roundtrip, start, park)
  int connections = 64;     // client connections for the timed phases
  int workers = 64;         // roundtrip: activity workers
  int feeders = 8;          // roundtrip: connections starting executions
  int threads = 1;          // client io threads
  int server_pid = 0;       // park: read its VmRSS
  long long t0_ns = 0;      // ready: CLOCK_REALTIME when the server was started
  std::string execution_arn;  // ready: what to describe
  double timeout_s = 600;   // ready, and waiting for SUCCEEDED
  double settle_s = 2;      // park: wait before reading RSS after the starts
};

std::int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             SteadyClock::now().time_since_epoch())
      .count();
}

double LoadAverage() {
  std::ifstream in("/proc/loadavg");
  double one = -1;
  in >> one;
  return one;
}

// VmRSS of a process in bytes, or -1.
long long RssBytes(int pid) {
  if (pid <= 0) return -1;
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::atoll(line.c_str() + 6) * 1024;
  }
  return -1;
}

// User + system CPU time of a process in seconds (all its threads), or -1.
double CpuSeconds(int pid) {
  if (pid <= 0) return -1;
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto close = text.rfind(')');  // the command name may hold spaces
  if (close == std::string::npos) return -1;
  std::istringstream fields(text.substr(close + 2));
  std::string skip;
  for (int i = 3; i < 14; ++i) fields >> skip;  // state .. cmajflt (fields 3-13)
  long long utime = 0, stime = 0;
  fields >> utime >> stime;
  return double(utime + stime) / double(sysconf(_SC_CLK_TCK));
}

// The server's CPU time (all threads) since construction: what a phase cost it. Also this
// client's own, to show whether the client kept up.
class ServerCpu {
 public:
  explicit ServerCpu(int pid)
      : pid_(pid), start_(CpuSeconds(pid)), client_start_(CpuSeconds(getpid())) {}
  int pid() const { return pid_; }
  // Seconds used since construction, or -1 when the pid is unknown.
  double Used() const { return pid_ > 0 && start_ >= 0 ? CpuSeconds(pid_) - start_ : -1; }
  double ClientUsed() const { return CpuSeconds(getpid()) - client_start_; }

 private:
  int pid_;
  double start_;
  double client_start_;
};

std::string Quote(std::string_view s) { return json::Serialize(json::Value(json::String(s))); }

// ---------------------------------------------------------------------------------------------
// One keep-alive connection.

struct Reply {
  unsigned status = 0;  // 0: transport failure, body holds the message
  std::string body;
};

class Connection {
 public:
  Connection(asio::any_io_executor executor, tcp::endpoint endpoint, std::string host)
      : stream_(std::move(executor)), endpoint_(endpoint), host_(std::move(host)) {}

  // One request/response on this connection, (re)connecting first when needed. A transport
  // failure answers status 0 and drops the connection; the next call reconnects.
  awaitable<Reply> Call(std::string_view operation, std::string body) {
    boost::system::error_code ec;
    if (!connected_) {
      stream_.expires_after(std::chrono::seconds(10));
      co_await stream_.async_connect(endpoint_, asio::redirect_error(use_awaitable, ec));
      if (ec) {
        stream_.close();
        co_return Reply{0, "connect: " + ec.message()};
      }
      stream_.socket().set_option(tcp::no_delay(true), ec);
      connected_ = true;
    }
    http::request<http::string_body> request{http::verb::post, "/", 11};
    request.set(http::field::host, host_);
    request.set(http::field::content_type, "application/x-amz-json-1.0");
    request.set("X-Amz-Target", std::string("AWSStepFunctions.").append(operation));
    request.body() = std::move(body);
    request.prepare_payload();
    stream_.expires_after(kCallTimeout);
    co_await http::async_write(stream_, request, asio::redirect_error(use_awaitable, ec));
    if (!ec) {
      http::response_parser<http::string_body> parser;
      parser.body_limit(kResponseBodyLimit);
      co_await http::async_read(stream_, buffer_, parser, asio::redirect_error(use_awaitable, ec));
      if (!ec) {
        auto response = parser.release();
        if (!response.keep_alive()) Drop();
        co_return Reply{response.result_int(), std::move(response.body())};
      }
    }
    Drop();
    co_return Reply{0, ec.message()};
  }

 private:
  void Drop() {
    boost::system::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream_.close();
    buffer_.clear();
    connected_ = false;
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  tcp::endpoint endpoint_;
  std::string host_;
  bool connected_ = false;
};

// ---------------------------------------------------------------------------------------------
// Running coroutines over connections.

using Body = std::function<awaitable<void>(Connection&, int index)>;

awaitable<void> Spawned(const Body* body, tcp::endpoint endpoint, std::string host, int index) {
  Connection connection(co_await asio::this_coro::executor, endpoint, std::move(host));
  co_await (*body)(connection, index);
}

// Runs `count` coroutines, body(connection, index), each with its own connection, over
// opts.threads io threads; returns when all have finished. An exception escaping a coroutine
// ends that coroutine; the first one is rethrown here once all have finished.
void RunConnections(const Options& opts, int count, Body body) {
  const tcp::endpoint endpoint(asio::ip::make_address(opts.host), opts.port);
  const std::string host = opts.host + ":" + std::to_string(opts.port);
  const int threads = std::max(1, std::min(opts.threads, count));
  std::vector<std::unique_ptr<asio::io_context>> contexts;
  for (int t = 0; t < threads; ++t) contexts.push_back(std::make_unique<asio::io_context>(1));
  std::mutex mu;
  std::exception_ptr first;  // GUARDED_BY(mu)
  for (int i = 0; i < count; ++i) {
    asio::co_spawn(*contexts[i % threads], Spawned(&body, endpoint, host, i),
                   [&mu, &first](std::exception_ptr e) {
                     if (!e) return;
                     std::lock_guard lock(mu);
                     if (!first) first = e;
                   });
  }
  std::vector<std::thread> running;
  for (auto& c : contexts) running.emplace_back([&c] { c->run(); });
  for (auto& t : running) t.join();
  if (first) std::rethrow_exception(first);
}

// One coroutine on one connection (setup and checks).
void RunOne(const Options& opts, std::function<awaitable<void>(Connection&)> body) {
  Options one = opts;
  one.threads = 1;
  RunConnections(one, 1, [&body](Connection& c, int) -> awaitable<void> { co_await body(c); });
}

// ---------------------------------------------------------------------------------------------
// Results.

struct Failures {
  std::atomic<long> count{0};
  std::mutex mu;
  std::string first;  // GUARDED_BY(mu)
  void Add(std::string_view operation, const Reply& r) {
    if (count.fetch_add(1) == 0) {
      std::lock_guard lock(mu);
      first = std::string(operation) + " -> " + std::to_string(r.status) + " " +
              r.body.substr(0, 300);
    }
  }
};

// Latencies, one vector per connection (each written by its own coroutine only).
using PerConnection = std::vector<std::vector<std::int64_t>>;

struct Summary {
  long n = 0;
  double p50_ms = 0, p99_ms = 0, max_ms = 0, mean_ms = 0;
};

Summary Summarize(const PerConnection& per) {
  std::vector<std::int64_t> all;
  for (const auto& v : per) all.insert(all.end(), v.begin(), v.end());
  Summary s;
  s.n = long(all.size());
  if (all.empty()) return s;
  std::sort(all.begin(), all.end());
  auto at = [&](double q) {
    std::size_t i = std::size_t(q * double(all.size() - 1) + 0.5);
    return double(all[std::min(i, all.size() - 1)]) / 1e6;
  };
  s.p50_ms = at(0.50);
  s.p99_ms = at(0.99);
  s.max_ms = double(all.back()) / 1e6;
  double sum = 0;
  for (auto v : all) sum += double(v);
  s.mean_ms = sum / double(all.size()) / 1e6;
  return s;
}

// Prints one phase: a human line and a JSON line. `extra` is appended to the JSON object
// (",\"key\":value..." form). `cpu` gives the server's CPU time over the phase, when known.
void Report(const std::string& scenario, const std::string& phase, long n, double seconds,
            const PerConnection& latencies, Failures& failures, int connections,
            const ServerCpu& cpu, std::string extra = "") {
  const Summary s = Summarize(latencies);
  const double rate = seconds > 0 ? double(n) / seconds : 0;
  const double load = LoadAverage();
  const double used = cpu.Used();
  std::string cpu_text;
  if (used >= 0) {
    const double cores = seconds > 0 ? used / seconds : 0;
    const double per_op_us = n > 0 ? used * 1e6 / double(n) : 0;
    char buf[200];
    std::snprintf(buf, sizeof buf, "  server %.2f cores, %.0f us CPU/op", cores, per_op_us);
    const long long rss = RssBytes(cpu.pid());
    cpu_text = buf;
    const double client_cores = seconds > 0 ? cpu.ClientUsed() / seconds : 0;
    std::snprintf(buf, sizeof buf, ", RSS %.0f MB; client %.2f cores", double(rss) / 1e6,
                  client_cores);
    cpu_text += buf;
    std::snprintf(buf, sizeof buf,
                  ",\"server_cpu_s\":%.2f,\"server_cores\":%.3f,\"server_cpu_us_per_op\":%.1f,"
                  "\"server_rss_bytes\":%lld,\"client_cores\":%.3f",
                  used, cores, per_op_us, rss, client_cores);
    extra += buf;
  }
  std::printf(
      "%-10s %-28s n=%-8ld %8.3f s %10.1f /s  p50 %7.2f ms  p99 %7.2f ms  max %8.2f ms  "
      "errors %ld  conns %d  load %.2f%s\n",
      scenario.c_str(), phase.c_str(), n, seconds, rate, s.p50_ms, s.p99_ms, s.max_ms,
      failures.count.load(), connections, load, cpu_text.c_str());
  if (failures.count.load() > 0) {
    std::lock_guard lock(failures.mu);
    std::printf("           first error: %s\n", failures.first.c_str());
  }
  std::printf(
      "{\"scenario\":%s,\"phase\":%s,\"n\":%ld,\"seconds\":%.4f,\"per_s\":%.1f,"
      "\"latency_ms_p50\":%.3f,\"latency_ms_p99\":%.3f,\"latency_ms_max\":%.3f,"
      "\"latency_ms_mean\":%.3f,\"errors\":%ld,\"connections\":%d,\"load1\":%.2f%s}\n",
      Quote(scenario).c_str(), Quote(phase).c_str(), n, seconds, rate, s.p50_ms, s.p99_ms,
      s.max_ms, s.mean_ms, failures.count.load(), connections, load, extra.c_str());
  std::fflush(stdout);
}

double SecondsSince(std::int64_t start_ns) { return double(NowNs() - start_ns) / 1e9; }

std::string StringField(const std::string& body, std::string_view key) {
  auto v = json::Parse(body);
  if (!v) return "";
  const json::Value* f = json::Find(*v, key);
  return f && f->is_string() ? std::string(f->get_string()) : "";
}

// ---------------------------------------------------------------------------------------------
// Setup calls.

std::string Suffix() {
  return std::to_string(getpid()) + "-" + std::to_string(std::time(nullptr));
}

awaitable<std::string> CreateActivity(Connection& c, const std::string& name) {
  Reply r = co_await c.Call("CreateActivity", "{\"name\":" + Quote(name) + "}");
  if (r.status != 200) throw std::runtime_error("CreateActivity: " + r.body);
  co_return StringField(r.body, "activityArn");
}

awaitable<std::string> CreateStateMachine(Connection& c, const std::string& name,
                                          const std::string& definition,
                                          const std::string& type) {
  Reply r = co_await c.Call("CreateStateMachine",
                            "{\"name\":" + Quote(name) + ",\"definition\":" + Quote(definition) +
                                ",\"roleArn\":" + Quote(kRoleArn) + ",\"type\":" + Quote(type) +
                                "}");
  if (r.status != 200) throw std::runtime_error("CreateStateMachine: " + r.body);
  co_return StringField(r.body, "stateMachineArn");
}

// Pass -> Task(activity) -> Pass.
std::string ActivityMachine(const std::string& activity_arn) {
  return R"({"StartAt":"Before","States":{)"
         R"("Before":{"Type":"Pass","Result":{"step":"before"},"ResultPath":"$.before","Next":"Work"},)"
         R"("Work":{"Type":"Task","Resource":")" +
         activity_arn +
         R"(","ResultPath":"$.work","Next":"After"},)"
         R"("After":{"Type":"Pass","End":true}}})";
}

// Ten Pass states in a row.
std::string PassChain10() {
  std::string d = R"({"StartAt":"P0","States":{)";
  for (int i = 0; i < 10; ++i) {
    if (i) d += ",";
    d += "\"P" + std::to_string(i) + "\":{\"Type\":\"Pass\",\"Result\":" + std::to_string(i) +
         ",\"ResultPath\":\"$.p" + std::to_string(i) + "\"," +
         (i == 9 ? std::string("\"End\":true") : "\"Next\":\"P" + std::to_string(i + 1) + "\"") +
         "}";
  }
  return d + "}}";
}

// One task parked on .waitForTaskToken (no integration delivers the message: it just waits).
std::string ParkedMachine() {
  return R"({"StartAt":"Park","States":{"Park":{"Type":"Task",)"
         R"("Resource":"arn:aws:states:::sqs:sendMessage.waitForTaskToken",)"
         R"("Parameters":{"QueueUrl":"https://sqs.us-east-1.amazonaws.com/123456789012/bench",)"
         R"("MessageBody":{"token.$":"$$.Task.Token","input.$":"$"}},"End":true}}})";
}

std::string StartBody(const std::string& machine_arn, long i, const std::string& input) {
  return "{\"stateMachineArn\":" + Quote(machine_arn) + ",\"name\":\"e-" + std::to_string(i) +
         "\",\"input\":" + Quote(input) + "}";
}

// Counts a machine's executions with `status` by paging ListExecutions.
awaitable<long> CountExecutions(Connection& c, const std::string& machine_arn,
                                const std::string& status) {
  long count = 0;
  std::string next;
  for (;;) {
    std::string body = "{\"stateMachineArn\":" + Quote(machine_arn) +
                       ",\"statusFilter\":" + Quote(status) +
                       ",\"maxResults\":" + std::to_string(kListPageSize);
    if (!next.empty()) body += ",\"nextToken\":" + Quote(next);
    body += "}";
    Reply r = co_await c.Call("ListExecutions", std::move(body));
    if (r.status != 200) throw std::runtime_error("ListExecutions: " + r.body);
    auto v = json::Parse(r.body);
    if (!v) throw std::runtime_error("ListExecutions: not JSON");
    if (const json::Value* list = json::Find(*v, "executions"); list && list->is_array()) {
      count += long(list->get_array().size());
    }
    const json::Value* token = json::Find(*v, "nextToken");
    if (!token || !token->is_string() || token->get_string().empty()) break;
    next = std::string(token->get_string());
  }
  co_return count;
}

// Waits until `n` executions of the machine are SUCCEEDED (or the timeout passes); prints the
// check. Returns the count seen last.
long VerifySucceeded(const Options& opts, const std::string& scenario,
                     const std::string& machine_arn, long n, std::int64_t since_ns) {
  long seen = 0;
  const std::int64_t check_start = NowNs();
  double list_seconds = 0;
  RunOne(opts, [&](Connection& c) -> awaitable<void> {
    asio::steady_timer timer(co_await asio::this_coro::executor);
    for (;;) {
      const std::int64_t t = NowNs();
      seen = co_await CountExecutions(c, machine_arn, "SUCCEEDED");
      list_seconds = SecondsSince(t);
      if (seen >= n || SecondsSince(check_start) > opts.timeout_s) break;
      timer.expires_after(std::chrono::milliseconds(200));
      co_await timer.async_wait(use_awaitable);
    }
  });
  const double all_done = SecondsSince(since_ns);
  std::printf("%-10s %-28s %ld of %ld SUCCEEDED (%s), all seen %.3f s after the phase began; "
              "one full ListExecutions paging took %.3f s\n",
              scenario.c_str(), "verify", seen, n, seen == n ? "ok" : "MISSING", all_done,
              list_seconds);
  std::printf("{\"scenario\":%s,\"phase\":\"verify\",\"n\":%ld,\"succeeded\":%ld,\"ok\":%s,"
              "\"seconds_to_all_succeeded\":%.4f,\"list_paging_seconds\":%.4f}\n",
              Quote(scenario).c_str(), n, seen, seen == n ? "true" : "false", all_done,
              list_seconds);
  std::fflush(stdout);
  return seen;
}

// Starts executions 0..n-1 over opts.connections connections; reports and returns the time.
double StartAll(const Options& opts, const std::string& scenario, const std::string& phase,
                const std::string& machine_arn, long n, const std::string& input,
                const std::string& extra = "") {
  std::atomic<long> next{0};
  Failures failures;
  PerConnection latencies(opts.connections);
  const ServerCpu cpu(opts.server_pid);
  const std::int64_t start = NowNs();
  RunConnections(opts, opts.connections, [&](Connection& c, int index) -> awaitable<void> {
    for (long i = next.fetch_add(1); i < n; i = next.fetch_add(1)) {
      const std::int64_t t = NowNs();
      Reply r = co_await c.Call("StartExecution", StartBody(machine_arn, i, input));
      latencies[index].push_back(NowNs() - t);
      if (r.status != 200) failures.Add("StartExecution", r);
    }
  });
  const double seconds = SecondsSince(start);
  Report(scenario, phase, n, seconds, latencies, failures, opts.connections, cpu, extra);
  return seconds;
}

// ---------------------------------------------------------------------------------------------
// Scenarios.

int Callback(const Options& opts) {
  const std::string suffix = Suffix();
  std::string activity_arn, machine_arn;
  RunOne(opts, [&](Connection& c) -> awaitable<void> {
    activity_arn = co_await CreateActivity(c, "bench-callback-" + suffix);
    machine_arn = co_await CreateStateMachine(c, "bench-callback-" + suffix,
                                              ActivityMachine(activity_arn), "STANDARD");
  });
  const long n = opts.n;
  const std::int64_t began = NowNs();
  StartAll(opts, "callback", "StartExecution", machine_arn, n, R"({"order":"o-1234567890"})");

  // Collect every token. A connection polls only while a task is still unclaimed, so no poll is
  // left hanging on the server at the end.
  std::vector<std::string> tokens(n);
  {
    std::atomic<long> claimed{0};
    std::atomic<long> got{0};
    Failures failures;
    PerConnection latencies(opts.connections);
    const ServerCpu cpu(opts.server_pid);
    const std::int64_t start = NowNs();
    RunConnections(opts, opts.connections, [&](Connection& c, int index) -> awaitable<void> {
      const std::string body = "{\"activityArn\":" + Quote(activity_arn) +
                               ",\"workerName\":\"collector-" + std::to_string(index) + "\"}";
      while (claimed.fetch_add(1) < n) {
        for (;;) {
          const std::int64_t t = NowNs();
          Reply r = co_await c.Call("GetActivityTask", body);
          latencies[index].push_back(NowNs() - t);
          if (r.status != 200) {
            failures.Add("GetActivityTask", r);
            if (failures.count.load() > 1000) co_return;
            continue;
          }
          std::string token = StringField(r.body, "taskToken");
          if (token.empty()) continue;  // the poll timed out: poll again
          tokens[got.fetch_add(1)] = std::move(token);
          break;
        }
      }
    });
    Report("callback", "GetActivityTask", got.load(), SecondsSince(start), latencies, failures,
           opts.connections, cpu);
  }

  // The timed phase: complete every task.
  {
    std::atomic<long> next{0};
    Failures failures;
    PerConnection latencies(opts.connections);
    const ServerCpu cpu(opts.server_pid);
    const std::int64_t start = NowNs();
    RunConnections(opts, opts.connections, [&](Connection& c, int index) -> awaitable<void> {
      for (long i = next.fetch_add(1); i < n; i = next.fetch_add(1)) {
        std::string body = "{\"taskToken\":" + Quote(tokens[i]) + ",\"output\":" +
                           Quote(R"({"status":"ok","orderId":"o-1234567890","n":)" +
                                 std::to_string(i) + "}") +
                           "}";
        const std::int64_t t = NowNs();
        Reply r = co_await c.Call("SendTaskSuccess", std::move(body));
        latencies[index].push_back(NowNs() - t);
        if (r.status != 200) failures.Add("SendTaskSuccess", r);
      }
    });
    const double seconds = SecondsSince(start);
    Report("callback", "SendTaskSuccess", n, seconds, latencies, failures, opts.connections, cpu);
  }
  const long seen = VerifySucceeded(opts, "callback", machine_arn, n, began);
  return seen == n ? 0 : 1;
}

int RoundTrip(const Options& opts) {
  const std::string suffix = Suffix();
  std::string activity_arn, machine_arn;
  RunOne(opts, [&](Connection& c) -> awaitable<void> {
    activity_arn = co_await CreateActivity(c, "bench-roundtrip-" + suffix);
    machine_arn = co_await CreateStateMachine(c, "bench-roundtrip-" + suffix,
                                              ActivityMachine(activity_arn), "STANDARD");
  });
  const long n = opts.n;
  std::atomic<long> next_start{0};
  std::atomic<long> claimed{0};
  std::atomic<long> completed{0};
  Failures failures;
  const int total = opts.feeders + opts.workers;
  PerConnection end_to_end(total);   // StartExecution sent -> SendTaskSuccess acknowledged
  PerConnection success_calls(total);
  PerConnection poll_calls(total);
  const ServerCpu cpu(opts.server_pid);
  const std::int64_t start = NowNs();
  RunConnections(opts, total, [&](Connection& c, int index) -> awaitable<void> {
    if (index < opts.feeders) {
      for (long i = next_start.fetch_add(1); i < n; i = next_start.fetch_add(1)) {
        Reply r = co_await c.Call(
            "StartExecution",
            StartBody(machine_arn, i, "{\"t0\":" + std::to_string(NowNs()) + "}"));
        if (r.status != 200) failures.Add("StartExecution", r);
      }
      co_return;
    }
    const std::string poll = "{\"activityArn\":" + Quote(activity_arn) +
                             ",\"workerName\":\"worker-" + std::to_string(index) + "\"}";
    while (claimed.fetch_add(1) < n) {
      for (;;) {
        std::int64_t t = NowNs();
        Reply r = co_await c.Call("GetActivityTask", poll);
        poll_calls[index].push_back(NowNs() - t);
        if (r.status != 200) {
          failures.Add("GetActivityTask", r);
          if (failures.count.load() > 1000) co_return;
          continue;
        }
        auto v = json::Parse(r.body);
        const json::Value* token = v ? json::Find(*v, "taskToken") : nullptr;
        if (!token || !token->is_string()) continue;
        std::int64_t t0 = 0;
        if (const json::Value* input = json::Find(*v, "input"); input && input->is_string()) {
          if (auto in = json::Parse(input->get_string())) {
            if (const json::Value* f = json::Find(*in, "t0")) (void)json::AsInt64(*f, t0);
          }
        }
        t = NowNs();
        Reply done = co_await c.Call(
            "SendTaskSuccess", "{\"taskToken\":" + json::Serialize(*token) +
                                   ",\"output\":\"{\\\"status\\\":\\\"ok\\\"}\"}");
        const std::int64_t now = NowNs();
        success_calls[index].push_back(now - t);
        if (done.status != 200) {
          failures.Add("SendTaskSuccess", done);
        } else {
          completed.fetch_add(1);
          if (t0 > 0) end_to_end[index].push_back(now - t0);
        }
        break;
      }
    }
  });
  const double seconds = SecondsSince(start);
  const std::string extra = ",\"workers\":" + std::to_string(opts.workers) +
                            ",\"feeders\":" + std::to_string(opts.feeders);
  Report("roundtrip", "start->task->success (e2e)", completed.load(), seconds, end_to_end, failures,
         total, cpu, extra);
  Failures none;
  const ServerCpu unknown(0);
  Report("roundtrip", "  SendTaskSuccess call", completed.load(), seconds, success_calls, none,
         opts.workers, unknown, extra);
  Report("roundtrip", "  GetActivityTask call", completed.load(), seconds, poll_calls, none,
         opts.workers, unknown, extra);
  const long seen = VerifySucceeded(opts, "roundtrip", machine_arn, n, start);
  return seen == n ? 0 : 1;
}

int Start(const Options& opts) {
  const std::string suffix = Suffix();
  std::string standard_arn, express_arn;
  RunOne(opts, [&](Connection& c) -> awaitable<void> {
    standard_arn =
        co_await CreateStateMachine(c, "bench-pass10-std-" + suffix, PassChain10(), "STANDARD");
    express_arn =
        co_await CreateStateMachine(c, "bench-pass10-exp-" + suffix, PassChain10(), "EXPRESS");
  });
  const long n = opts.n;
  const std::string input = R"({"order":"o-1234567890"})";
  int rc = 0;
  for (const auto& [type, arn] : {std::pair{std::string("STANDARD"), standard_arn},
                                  std::pair{std::string("EXPRESS"), express_arn}}) {
    const std::int64_t start = NowNs();
    StartAll(opts, "start", "StartExecution " + type, arn, n, input,
             ",\"type\":\"" + type + "\",\"states\":10");
    if (VerifySucceeded(opts, "start", arn, n, start) != n) rc = 1;
  }
  // StartSyncExecution: the whole execution in one call.
  std::atomic<long> next{0};
  std::atomic<long> succeeded{0};
  Failures failures;
  PerConnection latencies(opts.connections);
  const ServerCpu cpu(opts.server_pid);
  const std::int64_t start = NowNs();
  RunConnections(opts, opts.connections, [&](Connection& c, int index) -> awaitable<void> {
    const std::string body =
        "{\"stateMachineArn\":" + Quote(express_arn) + ",\"input\":" + Quote(input) + "}";
    for (long i = next.fetch_add(1); i < n; i = next.fetch_add(1)) {
      const std::int64_t t = NowNs();
      Reply r = co_await c.Call("StartSyncExecution", body);
      latencies[index].push_back(NowNs() - t);
      if (r.status != 200 || StringField(r.body, "status") != "SUCCEEDED") {
        failures.Add("StartSyncExecution", r);
      } else {
        succeeded.fetch_add(1);
      }
    }
  });
  Report("start", "StartSyncExecution EXPRESS", succeeded.load(), SecondsSince(start), latencies,
         failures, opts.connections, cpu, ",\"type\":\"EXPRESS\",\"states\":10");
  return rc || succeeded.load() != n;
}

int Park(const Options& opts) {
  const std::string suffix = Suffix();
  const std::string name = "bench-park-" + suffix;
  std::string machine_arn;
  RunOne(opts, [&](Connection& c) -> awaitable<void> {
    machine_arn = co_await CreateStateMachine(c, name, ParkedMachine(), "STANDARD");
  });
  const long n = opts.n;
  const long long before = RssBytes(opts.server_pid);
  StartAll(opts, "park", "StartExecution (parked)", machine_arn, n, R"({"order":"o-1234567890"})");
  std::this_thread::sleep_for(std::chrono::duration<double>(opts.settle_s));
  const long long after = RssBytes(opts.server_pid);
  // The last execution started: the restart probe describes it.
  const std::string probe = "arn:aws:states:us-east-1:123456789012:execution:" + name + ":e-" +
                            std::to_string(n - 1);
  long running = 0;
  RunOne(opts, [&](Connection& c) -> awaitable<void> {
    running = co_await CountExecutions(c, machine_arn, "RUNNING");
  });
  const double per_task = n > 0 && before > 0 ? double(after - before) / double(n) : 0;
  std::printf("park       server RSS %.1f MB before, %.1f MB after %ld parked executions "
              "(%ld RUNNING): %.0f bytes per open task\n",
              double(before) / 1e6, double(after) / 1e6, n, running, per_task);
  std::printf("{\"scenario\":\"park\",\"phase\":\"memory\",\"n\":%ld,\"running\":%ld,"
              "\"rss_before_bytes\":%lld,\"rss_after_bytes\":%lld,\"bytes_per_open_task\":%.0f,"
              "\"probe_arn\":%s}\n",
              n, running, before, after, per_task, Quote(probe).c_str());
  std::fflush(stdout);
  return running == n ? 0 : 1;
}

// Polls DescribeExecution until the server answers it, and reports the time since opts.t0_ns
// (CLOCK_REALTIME, as `date +%s%N` prints it).
int Ready(const Options& opts) {
  bool answered = false;
  int attempts = 0;
  std::string status;
  RunOne(opts, [&](Connection& c) -> awaitable<void> {
    asio::steady_timer timer(co_await asio::this_coro::executor);
    const std::int64_t start = NowNs();
    const std::string body = "{\"executionArn\":" + Quote(opts.execution_arn) + "}";
    while (SecondsSince(start) < opts.timeout_s) {
      ++attempts;
      Reply r = co_await c.Call("DescribeExecution", body);
      if (r.status == 200) {
        answered = true;
        status = StringField(r.body, "status");
        co_return;
      }
      timer.expires_after(std::chrono::milliseconds(2));
      co_await timer.async_wait(use_awaitable);
    }
  });
  timespec now{};
  clock_gettime(CLOCK_REALTIME, &now);
  const double ms =
      (double(now.tv_sec) * 1e9 + double(now.tv_nsec) - double(opts.t0_ns)) / 1e6;
  std::printf("restart    DescribeExecution answered %s after %.1f ms (status %s, %d attempts)\n",
              answered ? "" : "NOT", ms, status.c_str(), attempts);
  std::printf("{\"scenario\":\"restart\",\"phase\":\"restart_to_serving\",\"answered\":%s,"
              "\"ms\":%.1f,\"status\":%s,\"attempts\":%d,\"load1\":%.2f}\n",
              answered ? "true" : "false", ms, Quote(status).c_str(), attempts, LoadAverage());
  std::fflush(stdout);
  return answered ? 0 : 1;
}

void Usage() {
  std::fprintf(stderr,
               "usage: callback_bench --port PORT [--host 127.0.0.1] [--threads 1]\n"
               "         [--server-pid PID: also report the server's CPU time per request]\n"
               "         callback  [--n 20000] [--connections 64]\n"
               "       | roundtrip [--n 20000] [--workers 64] [--feeders 8]\n"
               "       | start     [--n 20000] [--connections 64]\n"
               "       | park      [--n 200000] [--connections 64] --server-pid PID\n"
               "       | ready     --execution-arn ARN --t0-ns NS [--timeout 600]\n");
}

}  // namespace
}  // namespace stepway::bench

int main(int argc, char** argv) {
  using stepway::bench::Options;
  Options opts;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "callback_bench: %s wants a value\n", a.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--host") opts.host = value();
    else if (a == "--port") opts.port = static_cast<unsigned short>(std::stoi(value()));
    else if (a == "--n") opts.n = std::stol(value());
    else if (a == "--connections") opts.connections = std::stoi(value());
    else if (a == "--workers") opts.workers = std::stoi(value());
    else if (a == "--feeders") opts.feeders = std::stoi(value());
    else if (a == "--threads") opts.threads = std::stoi(value());
    else if (a == "--server-pid") opts.server_pid = std::stoi(value());
    else if (a == "--t0-ns") opts.t0_ns = std::stoll(value());
    else if (a == "--execution-arn") opts.execution_arn = value();
    else if (a == "--timeout") opts.timeout_s = std::stod(value());
    else if (a == "--settle") opts.settle_s = std::stod(value());
    else if (a == "-h" || a == "--help") {
      stepway::bench::Usage();
      return 0;
    } else if (!a.empty() && a[0] != '-' && opts.scenario.empty()) {
      opts.scenario = a;
    } else {
      std::fprintf(stderr, "callback_bench: unknown argument %s\n", a.c_str());
      stepway::bench::Usage();
      return 2;
    }
  }
  if (opts.port == 0 || opts.n <= 0 || opts.connections <= 0) {
    stepway::bench::Usage();
    return 2;
  }
  try {
    if (opts.scenario == "callback") return stepway::bench::Callback(opts);
    if (opts.scenario == "roundtrip") return stepway::bench::RoundTrip(opts);
    if (opts.scenario == "start") return stepway::bench::Start(opts);
    if (opts.scenario == "park") return stepway::bench::Park(opts);
    if (opts.scenario == "ready") return stepway::bench::Ready(opts);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "callback_bench: %s\n", e.what());
    return 1;
  }
  stepway::bench::Usage();
  return 2;
}
