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
// The client, the connection runner and the report are shared with transfer_bench
// (bench/load/load_support.h).
//
// Threads: each connection is one coroutine; connections are spread over --threads io_contexts,
// one thread each. Shared counters are atomics; each connection records latencies in its own
// slot, merged after the threads are joined.
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <functional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "json/json.h"
#include "load_support.h"

namespace stepway::bench {
namespace {

// Step Functions' AWS JSON 1.0. GetActivityTask long-polls up to 60 s on the server; every
// other call answers quickly.
constexpr Protocol kStepFunctions{"application/x-amz-json-1.0", "AWSStepFunctions.",
                                  std::chrono::seconds(120)};
// The human line's layout (transfer_bench's differs).
constexpr Columns kColumns{.phase = 28, .n = 8, .rate = 10};

struct Options {
  ClientOptions client{.protocol = kStepFunctions};  // --host, --port, --threads
  std::string scenario;
  long n = 20000;           // executions (callback, roundtrip, start, park)
  int connections = 64;     // client connections for the timed phases
  int workers = 64;         // roundtrip: activity workers
  int feeders = 8;          // roundtrip: connections starting executions
  int server_pid = 0;       // park: read its VmRSS
  long long t0_ns = 0;      // ready: CLOCK_REALTIME when the server was started
  std::string execution_arn;  // ready: what to describe
  double timeout_s = 600;   // ready, and waiting for SUCCEEDED
  double settle_s = 2;      // park: wait before reading RSS after the starts
  long of = 0;              // wake: how many executions were parked
};

// Latencies, one vector per connection (each written by its own coroutine only).
using PerConnection = std::vector<Latencies>;

// Prints one phase: a human line and a JSON line (see PrintPhase).
void Report(const std::string& scenario, const std::string& phase, long n, double seconds,
            const PerConnection& latencies, Failures& failures, int connections,
            const ServerCpu& cpu, std::string extra = "") {
  PrintPhase(kColumns, scenario, phase, n, seconds, Merge(latencies), failures, connections, cpu,
             std::move(extra));
}

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
  RunOne(opts.client, [&](Connection& c) -> awaitable<void> {
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
  RunConnections(opts.client, opts.connections, [&](Connection& c, int index) -> awaitable<void> {
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
  RunOne(opts.client, [&](Connection& c) -> awaitable<void> {
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
    RunConnections(opts.client, opts.connections, [&](Connection& c, int index) -> awaitable<void> {
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
    RunConnections(opts.client, opts.connections, [&](Connection& c, int index) -> awaitable<void> {
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
  RunOne(opts.client, [&](Connection& c) -> awaitable<void> {
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
  RunConnections(opts.client, total, [&](Connection& c, int index) -> awaitable<void> {
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
  RunOne(opts.client, [&](Connection& c) -> awaitable<void> {
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
    // `stepway serve` keeps only the 10,000 most recently finished EXPRESS executions.
    const long listed = type == "EXPRESS" ? std::min(n, 10000L) : n;
    if (VerifySucceeded(opts, "start", arn, listed, start) != listed) rc = 1;
  }
  // StartSyncExecution: the whole execution in one call.
  std::atomic<long> next{0};
  std::atomic<long> succeeded{0};
  Failures failures;
  PerConnection latencies(opts.connections);
  const ServerCpu cpu(opts.server_pid);
  const std::int64_t start = NowNs();
  RunConnections(opts.client, opts.connections, [&](Connection& c, int index) -> awaitable<void> {
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
  RunOne(opts.client, [&](Connection& c) -> awaitable<void> {
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
  RunOne(opts.client, [&](Connection& c) -> awaitable<void> {
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

// After a restart: completes opts.n of the opts.of parked executions (spread evenly over them),
// whose probe is opts.execution_arn. Their tokens come from GetExecutionHistory (not timed);
// the timed phase is their SendTaskSuccess calls. None of them is in the server's memory then
// (a restart reloads no idle execution), so each call reloads its execution from the store.
int Wake(const Options& opts) {
  const std::string& probe = opts.execution_arn;
  const std::string prefix = probe.substr(0, probe.rfind(':') + 1);
  const long n = std::min(opts.n, opts.of);
  std::vector<std::string> arns(n), tokens(n);
  for (long k = 0; k < n; ++k) arns[k] = prefix + "e-" + std::to_string(k * opts.of / n);
  {
    std::atomic<long> next{0};
    Failures failures;
    RunConnections(opts.client, opts.connections, [&](Connection& c, int) -> awaitable<void> {
      for (long k = next.fetch_add(1); k < n; k = next.fetch_add(1)) {
        Reply r = co_await c.Call("GetExecutionHistory",
                                  "{\"executionArn\":" + Quote(arns[k]) + ",\"maxResults\":5}");
        auto history = json::Parse(r.body);
        const json::Value* events = history ? json::Find(*history, "events") : nullptr;
        if (r.status != 200 || events == nullptr || !events->is_array()) {
          failures.Add("GetExecutionHistory", r);
          continue;
        }
        for (const json::Value& e : events->get_array()) {
          const json::Value* details = json::Find(e, "taskScheduledEventDetails");
          const json::Value* parameters = details ? json::Find(*details, "parameters") : nullptr;
          if (parameters == nullptr || !parameters->is_string()) continue;
          auto p = json::Parse(parameters->get_string());
          const json::Value* body = p ? json::Find(*p, "MessageBody") : nullptr;
          const json::Value* token = body ? json::Find(*body, "token") : nullptr;
          if (token != nullptr && token->is_string()) tokens[k] = std::string(token->get_string());
        }
      }
    });
  }
  Failures failures;
  PerConnection latencies(opts.connections);
  const ServerCpu cpu(opts.server_pid);
  std::atomic<long> next{0};
  const std::int64_t start = NowNs();
  RunConnections(opts.client, opts.connections, [&](Connection& c, int index) -> awaitable<void> {
    for (long k = next.fetch_add(1); k < n; k = next.fetch_add(1)) {
      const std::int64_t t = NowNs();
      Reply r = co_await c.Call("SendTaskSuccess", "{\"taskToken\":" + Quote(tokens[k]) +
                                                       ",\"output\":\"{\\\"woken\\\":true}\"}");
      latencies[index].push_back(NowNs() - t);
      if (r.status != 200) failures.Add("SendTaskSuccess", r);
    }
  });
  Report("wake", "SendTaskSuccess (reloaded)", n, SecondsSince(start), latencies, failures,
         opts.connections, cpu);
  std::atomic<long> succeeded{0};
  next = 0;
  RunConnections(opts.client, opts.connections, [&](Connection& c, int) -> awaitable<void> {
    for (long k = next.fetch_add(1); k < n; k = next.fetch_add(1)) {
      Reply r = co_await c.Call("DescribeExecution", "{\"executionArn\":" + Quote(arns[k]) + "}");
      if (StringField(r.body, "status") == "SUCCEEDED") succeeded.fetch_add(1);
    }
  });
  std::printf("wake       verify                       %ld of %ld SUCCEEDED (%s)\n",
              succeeded.load(), n, succeeded.load() == n ? "ok" : "MISSING");
  std::printf("{\"scenario\":\"wake\",\"phase\":\"verify\",\"n\":%ld,\"succeeded\":%ld,"
              "\"ok\":%s}\n",
              n, succeeded.load(), succeeded.load() == n ? "true" : "false");
  std::fflush(stdout);
  return succeeded.load() == n ? 0 : 1;
}

// Polls DescribeExecution until the server answers it, and reports the time since opts.t0_ns
// (CLOCK_REALTIME, as `date +%s%N` prints it).
int Ready(const Options& opts) {
  bool answered = false;
  int attempts = 0;
  std::string status;
  RunOne(opts.client, [&](Connection& c) -> awaitable<void> {
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
               "       | ready     --execution-arn ARN --t0-ns NS [--timeout 600]\n"
               "       | wake      --execution-arn PROBE --of PARKED [--n 2000]\n");
}

}  // namespace
}  // namespace stepway::bench

int main(int argc, char** argv) {
  using stepway::bench::Arguments;
  stepway::bench::Options opts;
  const Arguments read = stepway::bench::ReadArguments(
      "callback_bench", argc, argv, opts.scenario,
      [&opts](std::string_view a, const std::function<std::string()>& value) {
        if (a == "--host") opts.client.host = value();
        else if (a == "--port") opts.client.port = static_cast<unsigned short>(std::stoi(value()));
        else if (a == "--n") opts.n = std::stol(value());
        else if (a == "--connections") opts.connections = std::stoi(value());
        else if (a == "--workers") opts.workers = std::stoi(value());
        else if (a == "--feeders") opts.feeders = std::stoi(value());
        else if (a == "--threads") opts.client.threads = std::stoi(value());
        else if (a == "--server-pid") opts.server_pid = std::stoi(value());
        else if (a == "--t0-ns") opts.t0_ns = std::stoll(value());
        else if (a == "--execution-arn") opts.execution_arn = value();
        else if (a == "--timeout") opts.timeout_s = std::stod(value());
        else if (a == "--settle") opts.settle_s = std::stod(value());
        else if (a == "--of") opts.of = std::stol(value());
        else return false;
        return true;
      });
  if (read != Arguments::kRead) {
    stepway::bench::Usage();
    return read == Arguments::kHelp ? 0 : 2;
  }
  if (opts.client.port == 0 || opts.n <= 0 || opts.connections <= 0) {
    stepway::bench::Usage();
    return 2;
  }
  try {
    if (opts.scenario == "callback") return stepway::bench::Callback(opts);
    if (opts.scenario == "roundtrip") return stepway::bench::RoundTrip(opts);
    if (opts.scenario == "start") return stepway::bench::Start(opts);
    if (opts.scenario == "park") return stepway::bench::Park(opts);
    if (opts.scenario == "ready") return stepway::bench::Ready(opts);
    if (opts.scenario == "wake") return stepway::bench::Wake(opts);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "callback_bench: %s\n", e.what());
    return 1;
  }
  stepway::bench::Usage();
  return 2;
}
