// What the load generators in bench/load/ (callback_bench, transfer_bench) share: an AWS JSON
// keep-alive client (Asio coroutines, hand-framed HTTP/1.1, no SigV4), a runner that spreads N such
// connections over io threads, the server's and the client's CPU time and RSS from /proc, and
// the report of one phase: a human line and a JSON line (starting with '{') with throughput,
// p50/p99/max/mean latency and the machine's 1-minute load average. The JSON keys are what
// bench/server_bench.sh and bench/transfer_bench.sh summarise; keep them stable.
//
// Header-only: each tool is one translation unit. Thread-safety: a Connection belongs to one
// coroutine; Failures may be added to from any thread; the rest is stateless or read-only.
#pragma once

#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <atomic>
#include <boost/asio.hpp>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <fstream>
#include <functional>
#include <iterator>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "json/json.h"

namespace stepway::bench {

namespace asio = boost::asio;
using asio::awaitable;
using asio::use_awaitable;
using tcp = asio::ip::tcp;
using SteadyClock = std::chrono::steady_clock;

constexpr auto kConnectTimeout = std::chrono::seconds(10);
constexpr std::size_t kResponseBodyLimit = 64 * 1024 * 1024;
// ListExecutions' maxResults (Step Functions) and MaxResults (Transfer) upper bound (AWS).
constexpr int kListPageSize = 1000;
constexpr const char* kRoleArn = "arn:aws:iam::123456789012:role/stepway-bench";

// ---------------------------------------------------------------------------------------------
// Time and /proc.

inline std::int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             SteadyClock::now().time_since_epoch())
      .count();
}

inline double SecondsSince(std::int64_t start_ns) { return double(NowNs() - start_ns) / 1e9; }

// The machine's 1-minute load average, or -1.
inline double LoadAverage() {
  std::ifstream in("/proc/loadavg");
  double one = -1;
  in >> one;
  return one;
}

// VmRSS of a process in bytes, or -1.
inline long long RssBytes(int pid) {
  if (pid <= 0) return -1;
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::atoll(line.c_str() + 6) * 1024;
  }
  return -1;
}

// User + system CPU time of a process in seconds (all its threads), or -1.
inline double CpuSeconds(int pid) {
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

inline std::string Quote(std::string_view s) {
  return json::Serialize(json::Value(json::String(s)));
}

// ---------------------------------------------------------------------------------------------
// One keep-alive connection.

// How a service's requests are framed (AWS JSON 1.0 or 1.1).
struct Protocol {
  const char* content_type;           // "application/x-amz-json-1.0"
  const char* target_prefix;          // X-Amz-Target is this + the operation: "AWSStepFunctions."
  std::chrono::seconds call_timeout;  // one request and its response
};

// Where and how a tool talks to the server.
struct ClientOptions {
  Protocol protocol;
  std::string host = "127.0.0.1";
  unsigned short port = 0;
  int threads = 1;  // io threads RunConnections spreads its connections over
};

struct Reply {
  unsigned status = 0;  // 0: transport failure, body holds the message
  std::string body;
};

// A lean HTTP/1.1 client, as wrk is one: the request's head is formatted once into a reusable
// buffer and sent with the body in one write; the response is parsed by hand (status line,
// Content-Length, Connection: close) from a buffer kept across calls. No per-call timer: a
// watchdog closes the socket when a call outlives the protocol's call_timeout. The load
// generator shares the machine's cores with the server, so every microsecond it spends is one
// the server does not get.
class Connection {
 public:
  Connection(asio::any_io_executor executor, const ClientOptions& client)
      : socket_(executor),
        watch_(std::make_shared<Watch>(executor)),
        endpoint_(asio::ip::make_address(client.host), client.port),
        host_(client.host + ":" + std::to_string(client.port)),
        protocol_(client.protocol) {}
  ~Connection() {
    watch_->connection = nullptr;
    watch_->timer.cancel();
  }

  // One request/response on this connection, (re)connecting first when needed. A transport
  // failure answers status 0 and drops the connection; the next call reconnects.
  awaitable<Reply> Call(std::string_view operation, std::string body) {
    boost::system::error_code ec;
    watch_->call_started = SteadyClock::now();
    in_call_ = true;
    if (watch_->connection == nullptr) {
      watch_->connection = this;
      asio::co_spawn(socket_.get_executor(), Watching(watch_), asio::detached);
    }
    if (!connected_) {
      co_await socket_.async_connect(endpoint_, asio::redirect_error(use_awaitable, ec));
      if (ec) {
        Drop();
        in_call_ = false;
        co_return Reply{0, "connect: " + ec.message()};
      }
      socket_.set_option(tcp::no_delay(true), ec);
      connected_ = true;
    }
    head_.clear();
    head_.append("POST / HTTP/1.1\r\nHost: ").append(host_);
    head_.append("\r\nContent-Type: ").append(protocol_.content_type);
    head_.append("\r\nX-Amz-Target: ").append(protocol_.target_prefix).append(operation);
    head_.append("\r\nContent-Length: ").append(std::to_string(body.size())).append("\r\n\r\n");
    const std::array<asio::const_buffer, 2> request{asio::buffer(head_), asio::buffer(body)};
    co_await asio::async_write(socket_, request, asio::redirect_error(use_awaitable, ec));
    Reply reply;
    if (!ec) reply = co_await ReadResponse(ec);
    in_call_ = false;
    if (ec) {
      Drop();
      co_return Reply{0, ec == asio::error::operation_aborted ? "timed out" : ec.message()};
    }
    co_return reply;
  }

 private:
  // Reads one response from the read buffer (and the socket). Sets ec on a transport or
  // framing error.
  awaitable<Reply> ReadResponse(boost::system::error_code& ec) {
    std::size_t head_end;
    while ((head_end = Pending().find("\r\n\r\n", scanned_)) == std::string_view::npos) {
      scanned_ = Pending().size() > 3 ? Pending().size() - 3 : 0;
      if (!co_await Fill(ec)) co_return Reply{};
    }
    scanned_ = 0;
    const std::string_view head = Pending().substr(0, head_end + 2);
    Reply reply;
    if (head.size() < 12 || head.substr(0, 5) != "HTTP/") {
      ec = asio::error::invalid_argument;
      co_return reply;
    }
    reply.status = unsigned(std::atoi(head.data() + 9));
    std::size_t length = 0;
    bool close = false;
    for (std::size_t at = head.find("\r\n") + 2; at < head.size();) {
      const std::size_t eol = head.find("\r\n", at);
      const std::string_view line = head.substr(at, eol - at);
      at = eol + 2;
      const std::size_t colon = line.find(':');
      if (colon == std::string_view::npos) continue;
      const std::string_view name = line.substr(0, colon);
      std::string_view value = line.substr(colon + 1);
      while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
      if (EqualsIgnoringCase(name, "content-length")) {
        length = std::size_t(std::strtoull(std::string(value).c_str(), nullptr, 10));
      } else if (EqualsIgnoringCase(name, "connection")) {
        close = EqualsIgnoringCase(value, "close");
      } else if (EqualsIgnoringCase(name, "transfer-encoding")) {
        ec = asio::error::operation_not_supported;  // the servers measured send Content-Length
        co_return reply;
      }
    }
    if (length > kResponseBodyLimit) {
      ec = asio::error::message_size;
      co_return reply;
    }
    const std::size_t body_start = head_end + 4;
    while (Pending().size() < body_start + length) {
      if (!co_await Fill(ec)) co_return Reply{};
    }
    reply.body.assign(Pending().substr(body_start, length));
    begin_ += body_start + length;
    if (begin_ == end_) begin_ = end_ = 0;
    if (close) Drop();
    co_return reply;
  }

  // The bytes read and not yet consumed.
  std::string_view Pending() const { return {read_.data() + begin_, end_ - begin_}; }

  // Reads what the socket has after the pending bytes (moving them to the front, or growing
  // the buffer, when there is no room); false (and ec set) on error or end of stream.
  awaitable<bool> Fill(boost::system::error_code& ec) {
    if (read_.size() - end_ < kReadChunk) {
      std::memmove(read_.data(), read_.data() + begin_, end_ - begin_);
      end_ -= begin_;
      begin_ = 0;
      if (read_.size() - end_ < kReadChunk) read_.resize(end_ + kReadChunk);
    }
    const std::size_t n = co_await socket_.async_read_some(
        asio::buffer(read_.data() + end_, read_.size() - end_),
        asio::redirect_error(use_awaitable, ec));
    end_ += n;
    co_return !ec;
  }

  // What the watchdog needs, shared with it so that it outlives the Connection: a timer that
  // fires while the Connection is being destroyed finds `connection` null and ends.
  struct Watch {
    explicit Watch(const asio::any_io_executor& executor) : timer(executor) {}
    asio::steady_timer timer;
    Connection* connection = nullptr;  // null: not started, or the Connection is gone
    SteadyClock::time_point call_started;
  };

  // Closes the socket of a call that has run longer than the protocol allows. Runs on the
  // connection's (single) io thread, so it never races the Connection itself.
  static awaitable<void> Watching(std::shared_ptr<Watch> watch) {
    for (;;) {
      watch->timer.expires_after(std::chrono::seconds(1));
      boost::system::error_code ec;
      co_await watch->timer.async_wait(asio::redirect_error(use_awaitable, ec));
      Connection* c = watch->connection;
      if (c == nullptr) co_return;
      if (c->in_call_ && SteadyClock::now() - watch->call_started > c->protocol_.call_timeout) {
        boost::system::error_code ignored;
        c->socket_.close(ignored);
      }
    }
  }

  static bool EqualsIgnoringCase(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
             return std::tolower(static_cast<unsigned char>(x)) ==
                    std::tolower(static_cast<unsigned char>(y));
           });
  }

  void Drop() {
    boost::system::error_code ignored;
    socket_.shutdown(tcp::socket::shutdown_both, ignored);
    socket_.close(ignored);
    begin_ = end_ = 0;
    scanned_ = 0;
    connected_ = false;
  }

  tcp::socket socket_;
  std::shared_ptr<Watch> watch_;
  tcp::endpoint endpoint_;
  std::string host_;
  Protocol protocol_;
  std::string head_;    // the request head being sent, reused
  static constexpr std::size_t kReadChunk = 16 * 1024;
  std::vector<char> read_ = std::vector<char>(4 * kReadChunk);  // [begin_, end_) not yet consumed
  std::size_t begin_ = 0;
  std::size_t end_ = 0;
  std::size_t scanned_ = 0;  // where to resume looking for the end of the head
  bool in_call_ = false;
  bool connected_ = false;
};

// ---------------------------------------------------------------------------------------------
// Running coroutines over connections.

using Body = std::function<awaitable<void>(Connection&, int index)>;

namespace internal {
inline awaitable<void> Spawned(const Body* body, const ClientOptions* client, int index) {
  Connection connection(co_await asio::this_coro::executor, *client);
  co_await (*body)(connection, index);
}
}  // namespace internal

// Runs `count` coroutines, body(connection, index), each with its own connection, over
// client.threads io threads; returns when all have finished. An exception escaping a coroutine
// ends that coroutine; the first one is rethrown here once all have finished.
inline void RunConnections(const ClientOptions& client, int count, Body body) {
  const int threads = std::max(1, std::min(client.threads, count));
  std::vector<std::unique_ptr<asio::io_context>> contexts;
  for (int t = 0; t < threads; ++t) contexts.push_back(std::make_unique<asio::io_context>(1));
  std::mutex mu;
  std::exception_ptr first;  // GUARDED_BY(mu)
  for (int i = 0; i < count; ++i) {
    asio::co_spawn(*contexts[i % threads], internal::Spawned(&body, &client, i),
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
inline void RunOne(const ClientOptions& client,
                   std::function<awaitable<void>(Connection&)> body) {
  ClientOptions one = client;
  one.threads = 1;
  RunConnections(one, 1, [&body](Connection& c, int) -> awaitable<void> { co_await body(c); });
}

// ---------------------------------------------------------------------------------------------
// Results.

// Counts a phase's failures and keeps the first one's message.
struct Failures {
  std::atomic<long> count{0};
  std::mutex mu;
  std::string first;  // GUARDED_BY(mu)
  void Add(std::string_view what, std::string_view detail) {
    if (count.fetch_add(1) == 0) {
      std::lock_guard lock(mu);
      first = std::string(what) + " -> " + std::string(detail.substr(0, 300));
    }
  }
  void Add(std::string_view operation, const Reply& r) {
    Add(operation, std::to_string(r.status) + " " + r.body);
  }
};

// Latencies in nanoseconds.
using Latencies = std::vector<std::int64_t>;

// All of `parts` in one vector (per-connection latencies, merged after the threads joined).
inline Latencies Merge(const std::vector<Latencies>& parts) {
  Latencies all;
  for (const auto& v : parts) all.insert(all.end(), v.begin(), v.end());
  return all;
}

struct Summary {
  long n = 0;
  double p50_ms = 0, p99_ms = 0, max_ms = 0, mean_ms = 0;
};

inline Summary Summarize(Latencies all) {
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

// Widths of the human line's phase, n and rate columns: each tool keeps its own layout.
struct Columns {
  int phase;
  int n;
  int rate;
};

// Prints one phase: a human line and a JSON line. `extra` is appended to the JSON object
// (",\"key\":value..." form). `cpu` gives the server's CPU time over the phase, when known.
inline void PrintPhase(const Columns& columns, const std::string& scenario,
                       const std::string& phase, long n, double seconds,
                       const Latencies& latencies, Failures& failures, int connections,
                       const ServerCpu& cpu, std::string extra) {
  const Summary s = Summarize(latencies);
  const double rate = seconds > 0 ? double(n) / seconds : 0;
  const double load = LoadAverage();
  const double used = cpu.Used();
  std::string cpu_text;
  if (used >= 0) {
    const double cores = seconds > 0 ? used / seconds : 0;
    const double per_op_us = n > 0 ? used * 1e6 / double(n) : 0;
    const long long rss = RssBytes(cpu.pid());
    const double client_cores = seconds > 0 ? cpu.ClientUsed() / seconds : 0;
    char buf[240];
    std::snprintf(buf, sizeof buf,
                  "  server %.2f cores, %.0f us CPU/op, RSS %.0f MB; client %.2f cores", cores,
                  per_op_us, double(rss) / 1e6, client_cores);
    cpu_text = buf;
    std::snprintf(buf, sizeof buf,
                  ",\"server_cpu_s\":%.2f,\"server_cores\":%.3f,\"server_cpu_us_per_op\":%.1f,"
                  "\"server_rss_bytes\":%lld,\"client_cores\":%.3f",
                  used, cores, per_op_us, rss, client_cores);
    extra += buf;
  }
  std::printf(
      "%-10s %-*s n=%-*ld %8.3f s %*.1f /s  p50 %7.2f ms  p99 %7.2f ms  max %8.2f ms  "
      "errors %ld  conns %d  load %.2f%s\n",
      scenario.c_str(), columns.phase, phase.c_str(), columns.n, n, seconds, columns.rate, rate,
      s.p50_ms, s.p99_ms, s.max_ms, failures.count.load(), connections, load, cpu_text.c_str());
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

// ---------------------------------------------------------------------------------------------
// The command line: `TOOL [--flag VALUE]... SCENARIO [--flag VALUE]...`.

enum class Arguments { kRead, kHelp, kBad };

// Reads a flag: `value()` takes the flag's value (and exits 2, saying so, when there is none).
// Returns false for a flag the tool does not know.
using FlagReader =
    std::function<bool(std::string_view flag, const std::function<std::string()>& value)>;

// Reads argv: each argument goes first to `flag`; then -h/--help answers kHelp, and the first
// argument not starting with '-' is the scenario. Anything else is printed as "TOOL: unknown
// argument X" and answers kBad.
inline Arguments ReadArguments(const char* tool, int argc, char** argv, std::string& scenario,
                               const FlagReader& flag) {
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    const std::function<std::string()> value = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "%s: %s wants a value\n", tool, a.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (flag(a, value)) continue;
    if (a == "-h" || a == "--help") return Arguments::kHelp;
    if (!a.empty() && a[0] != '-' && scenario.empty()) {
      scenario = a;
      continue;
    }
    std::fprintf(stderr, "%s: unknown argument %s\n", tool, a.c_str());
    return Arguments::kBad;
  }
  return Arguments::kRead;
}

}  // namespace stepway::bench
