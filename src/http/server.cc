// The listener and its sessions. See server.h for the contract; this file is the how.
//
// Ownership. A `Core` holds the io_context, the handler and the set of live sessions; the
// Server, every Session and every outstanding Respond share it, so the io_context outlives every
// socket and timer bound to it, whoever lets go last (a Respond kept by the runtime after Stop
// may be destroyed long after the Server). Sessions hold the Core; the Core knows sessions only
// weakly, to close them on Stop.
//
// Threads. Each Session runs on its own strand: all of its members are touched only there. The
// handler is called on that strand and may answer from any thread; the answer is posted back.
// Core::mu guards `stopped` and the session registry; it is also held while posting an answer,
// so that once Stop has set `stopped` nothing new enters the io_context (otherwise a late answer
// would sit in a queue nobody runs, keeping its session, and so the Core, alive forever).
//
// Timeouts. Beast's tcp_stream timers bound each write and the lingering close. The idle
// timeout is a separate timer, armed only while the connection has nothing outstanding: a read
// stays pending while a handler works (to accept pipelined requests), and tcp_stream cannot
// extend the deadline of a read already started, so its read timer would cut long polls short.
#include "http/server.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <ctime>
#include <deque>
#include <exception>
#include <iterator>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include "base/random.h"
#include "base/thread_name.h"

namespace stepway::http {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = net::ip::tcp;

// Requests read ahead of their answers on one connection (Beast's advanced server uses 8).
constexpr std::size_t kMaxPipelined = 16;
// A request's start line and headers together.
constexpr std::uint32_t kMaxHeaderBytes = 16 * 1024;
// After answering with `Connection: close`, how long unread input is drained before closing, so
// that the client reads our answer instead of a reset.
constexpr auto kLingerTime = std::chrono::seconds(2);
constexpr std::size_t kLingerBytes = 4 * 1024 * 1024;
// How long Stop waits for connections to wind down before stopping the io_context outright.
constexpr auto kStopGrace = std::chrono::seconds(5);
// Pause before accepting again after an accept error such as EMFILE.
constexpr auto kAcceptRetryDelay = std::chrono::milliseconds(50);

class Session;

struct Core {
  Core(ServerOptions o, api::Handler h) : options(std::move(o)), handler(std::move(h)) {}

  const ServerOptions options;
  const api::Handler handler;
  net::io_context ioc;

  std::mutex mu;
  bool stopped = false;                                     // guarded by mu
  std::unordered_map<Session*, std::weak_ptr<Session>> sessions;  // guarded by mu
};

// A random id in UUID form for X-Amzn-RequestId; one generator per thread.
std::string NewRequestId() {
  thread_local SystemRandom random;
  return NewUuid(random);
}

// The current time as an HTTP Date (RFC 7231 IMF-fixdate), formatted once per second per thread.
std::string_view HttpDate() {
  thread_local std::time_t formatted_at = -1;
  thread_local char text[64];
  thread_local std::size_t size = 0;
  const std::time_t now = std::time(nullptr);
  if (now != formatted_at) {
    std::tm tm{};
    gmtime_r(&now, &tm);
    size = std::strftime(text, sizeof text, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    formatted_at = now;
  }
  return std::string_view(text, size);
}

// Appends "name: value\r\n".
void AppendField(std::string_view name, std::string_view value, std::string& out) {
  out.append(name);
  out += ": ";
  out.append(value);
  out += "\r\n";
}

// One connection: reads requests, hands them to the handler, writes the answers in request
// order. Lives as long as an operation, timer or unanswered Respond refers to it.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(std::shared_ptr<Core> core, tcp::socket&& socket)
      : core_(std::move(core)), stream_(std::move(socket)), idle_timer_(stream_.get_executor()) {}

  ~Session() {
    std::lock_guard lock(core_->mu);
    core_->sessions.erase(this);
  }

  // Starts reading. Called once, from the accept handler (any thread).
  void Start() {
    net::dispatch(stream_.get_executor(), [self = shared_from_this()] {
      self->ArmIdleTimer();
      self->MaybeRead();
    });
  }

  // Closes the connection from any thread; pending answers are dropped.
  void CloseSoon() {
    net::post(stream_.get_executor(), [self = shared_from_this()] { self->Close(); });
  }

  // Delivers the handler's answer to request `seq` from any thread. Dropped after Stop.
  void Deliver(std::uint64_t seq, api::Response response) {
    std::lock_guard lock(core_->mu);
    if (core_->stopped) return;
    net::post(stream_.get_executor(),
              [self = shared_from_this(), seq, response = std::move(response)]() mutable {
                self->OnAnswer(seq, std::move(response));
              });
  }

 private:
  // A request read and not yet fully written back, in arrival order.
  struct Slot {
    std::uint64_t seq = 0;
    unsigned version = 11;
    bool keep_alive = true;
    std::optional<std::string> response;  // the answer as it goes on the wire
  };

  // The state shared by the copies of one Respond: answers once; answers 500 if dropped
  // unanswered, so that a lost callback cannot wedge the connection.
  struct Pending {
    Pending(std::shared_ptr<Session> s, std::uint64_t q) : session(std::move(s)), seq(q) {}
    ~Pending() {
      if (answered.exchange(true)) return;
      session->Deliver(seq, api::ErrorResponse({"InternalFailure",
                                                "The request was not answered.", 500},
                                               api::JsonVersion::k1_0));
    }
    void Answer(api::Response response) {
      if (answered.exchange(true)) return;  // a second answer is ignored
      session->Deliver(seq, std::move(response));
    }
    const std::shared_ptr<Session> session;
    const std::uint64_t seq;
    std::atomic<bool> answered{false};
  };

  void MaybeRead() {
    if (closed_ || reading_ || !more_requests_ || slots_.size() >= kMaxPipelined) return;
    parser_.emplace();
    parser_->body_limit(core_->options.max_body_bytes);
    parser_->header_limit(kMaxHeaderBytes);
    reading_ = true;
    stream_.expires_never();  // the idle timer bounds waiting for a request, see the top
    bhttp::async_read_header(stream_, buffer_, *parser_,
                             [self = shared_from_this()](beast::error_code ec, std::size_t) {
                               self->OnHeader(ec);
                             });
  }

  void OnHeader(beast::error_code ec) {
    if (closed_) return;
    if (ec) return OnReadError(ec);
    // Ask for the body now rather than after the client's own 100-continue timeout (curl waits
    // a second). An interim answer may only go out when nothing earlier is owed or being sent.
    const auto& header = parser_->get();
    if (beast::iequals(header[bhttp::field::expect], "100-continue") && slots_.empty() &&
        !writing_ && !parser_->is_done()) {
      writing_ = true;
      stream_.expires_after(std::chrono::seconds(core_->options.idle_timeout_seconds));
      static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
      net::async_write(stream_, net::buffer(kContinue.data(), kContinue.size()),
                       [self = shared_from_this()](beast::error_code ec, std::size_t) {
                         self->writing_ = false;
                         if (self->closed_) return;
                         if (ec) return self->Close();
                         self->ReadBody();
                       });
      return;
    }
    ReadBody();
  }

  void ReadBody() {
    stream_.expires_never();
    bhttp::async_read(stream_, buffer_, *parser_,
                      [self = shared_from_this()](beast::error_code ec, std::size_t) {
                        self->OnRead(ec);
                      });
  }

  void OnReadError(beast::error_code ec) {
    reading_ = false;
    more_requests_ = false;
    if (ec == bhttp::error::body_limit) {
      return Refuse(413, "RequestEntityTooLargeException",
                    "Request body must be at most " +
                        std::to_string(core_->options.max_body_bytes) + " bytes.");
    }
    if (ec == bhttp::error::header_limit) {
      return Refuse(431, "RequestHeaderFieldsTooLargeException",
                    "Request headers must be at most " + std::to_string(kMaxHeaderBytes) +
                        " bytes.");
    }
    // End of stream, a malformed request, a reset or our own close: answer what is owed, if
    // the socket still works, and close.
    if (slots_.empty() && !writing_) Close();
  }

  // Answers a request that could not be read with an error and `Connection: close`.
  void Refuse(int status, std::string type, std::string message) {
    idle_timer_.cancel();
    Slot& slot = slots_.emplace_back();
    slot.seq = next_seq_++;
    // After a header_limit error the start line may not have been parsed.
    slot.version = parser_->get().version() == 10 ? 10 : 11;
    slot.keep_alive = false;
    // Transfer Family speaks JSON 1.1 ("Message"); everything else here 1.0 ("message").
    const bool json_1_1 =
        parser_->get()["X-Amz-Target"].starts_with("TransferService.");
    slot.response = MakeResponse(
        slot, api::ErrorResponse({std::move(type), std::move(message), status},
                                 json_1_1 ? api::JsonVersion::k1_1 : api::JsonVersion::k1_0));
    Write();
  }

  void OnRead(beast::error_code ec) {
    if (closed_) return;
    if (ec) return OnReadError(ec);
    reading_ = false;
    auto message = parser_->release();
    parser_.reset();

    api::Request request;
    request.method = std::string(message.method_string());
    request.target = std::string(message.target());
    request.headers.reserve(std::distance(message.begin(), message.end()));
    for (const auto& field : message) {
      request.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
    }
    request.body = std::move(message.body());

    idle_timer_.cancel();
    Slot& slot = slots_.emplace_back();
    const std::uint64_t seq = slot.seq = next_seq_++;
    slot.version = message.version();
    slot.keep_alive = message.keep_alive();
    if (!slot.keep_alive) more_requests_ = false;

    auto pending = std::make_shared<Pending>(shared_from_this(), seq);
    try {
      core_->handler(std::move(request),
                     [pending](api::Response response) { pending->Answer(std::move(response)); });
    } catch (const std::exception& e) {
      pending->Answer(api::ErrorResponse({"InternalFailure", e.what(), 500},
                                         api::JsonVersion::k1_0));
    } catch (...) {
      pending->Answer(api::ErrorResponse({"InternalFailure", "Unknown error.", 500},
                                         api::JsonVersion::k1_0));
    }
    MaybeRead();
  }

  void OnAnswer(std::uint64_t seq, api::Response answer) {
    // Slots hold consecutive seqs in arrival order; a slot already gone (its connection
    // lingering or closed) or already answered is left alone.
    if (closed_ || slots_.empty() || seq < slots_.front().seq) return;
    const std::uint64_t index = seq - slots_.front().seq;
    if (index >= slots_.size() || slots_[index].response) return;
    Slot& slot = slots_[index];
    slot.response = MakeResponse(slot, std::move(answer));
    Write();
  }

  // The answer's bytes: status line, headers and body in one string, written with one call.
  // The same fields Beast would print for a response<string_body> with keep_alive(keep_alive)
  // and prepare_payload(), without building its field list first.
  static std::string MakeResponse(const Slot& slot, api::Response answer) {
    std::string out;
    out.reserve(256 + answer.body.size());
    out += slot.version == 10 ? "HTTP/1.0 " : "HTTP/1.1 ";
    out += std::to_string(answer.status);
    out += ' ';
    out.append(bhttp::obsolete_reason(bhttp::int_to_status(static_cast<unsigned>(answer.status))));
    out += "\r\n";
    AppendField("Date", HttpDate(), out);
    AppendField("Content-Type", answer.content_type, out);
    bool has_request_id = false;
    for (const auto& [name, value] : answer.headers) {
      if (beast::iequals(name, "x-amzn-RequestId")) has_request_id = true;
      AppendField(name, value, out);
    }
    if (!has_request_id) AppendField("x-amzn-RequestId", NewRequestId(), out);
    // 1.1 keeps the connection unless told; 1.0 closes it unless told.
    if (slot.version == 10 && slot.keep_alive) AppendField("Connection", "keep-alive", out);
    if (slot.version != 10 && !slot.keep_alive) AppendField("Connection", "close", out);
    AppendField("Content-Length", std::to_string(answer.body.size()), out);
    out += "\r\n";
    out += answer.body;
    return out;
  }

  void Write() {
    if (closed_ || writing_ || slots_.empty() || !slots_.front().response) return;
    writing_ = true;
    stream_.expires_after(std::chrono::seconds(core_->options.idle_timeout_seconds));
    net::async_write(stream_, net::buffer(*slots_.front().response),
                     [self = shared_from_this()](beast::error_code ec, std::size_t) {
                       self->OnWrite(ec);
                     });
  }

  void OnWrite(beast::error_code ec) {
    writing_ = false;
    if (closed_) return;
    if (ec) return Close();
    const bool keep_alive = slots_.front().keep_alive;
    slots_.pop_front();
    if (!keep_alive) return Linger();
    Write();
    MaybeRead();
    if (slots_.empty()) {
      if (!more_requests_ && !reading_) return Close();
      ArmIdleTimer();
    }
  }

  // Half-closes and reads whatever the client still sends, for a short while, then closes.
  void Linger() {
    // Nothing is read after a request that ends the connection, so no read is pending here.
    if (reading_) return Close();
    more_requests_ = false;
    slots_.clear();
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    stream_.expires_after(kLingerTime);
    DrainOnce();
  }

  void DrainOnce() {
    stream_.async_read_some(net::buffer(drain_),
                            [self = shared_from_this()](beast::error_code ec, std::size_t n) {
                              self->drained_ += n;
                              if (ec || self->drained_ > kLingerBytes) return self->Close();
                              self->DrainOnce();
                            });
  }

  // Closes after idle_timeout_seconds unless a request arrives first (which cancels it).
  void ArmIdleTimer() {
    if (closed_) return;
    const std::uint64_t generation = ++idle_generation_;
    idle_timer_.expires_after(std::chrono::seconds(core_->options.idle_timeout_seconds));
    idle_timer_.async_wait([self = shared_from_this(), generation](beast::error_code ec) {
      if (ec || generation != self->idle_generation_) return;
      if (self->slots_.empty() && !self->writing_) self->Close();
    });
  }

  void Close() {
    if (closed_) return;
    closed_ = true;
    ++idle_generation_;
    idle_timer_.cancel();
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream_.close();
    // slots_, parser_ and buffer_ stay: operations still pending refer to them until their
    // (aborted) completions have run; they go with the Session.
  }

  const std::shared_ptr<Core> core_;  // first: destroyed last, after the socket and timer
  beast::tcp_stream stream_;
  net::steady_timer idle_timer_;
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  std::deque<Slot> slots_;
  std::uint64_t next_seq_ = 0;  // the seq the next handled request gets
  std::uint64_t idle_generation_ = 0;
  bool reading_ = false;
  bool writing_ = false;
  bool more_requests_ = true;  // false after Connection: close, EOF or a read error
  bool closed_ = false;
  std::size_t drained_ = 0;
  std::array<char, 4096> drain_;
};

class ServerImpl final : public Server {
 public:
  ServerImpl(std::shared_ptr<Core> core, tcp::acceptor acceptor)
      : core_(std::move(core)),
        acceptor_(std::move(acceptor)),
        retry_timer_(acceptor_.get_executor()),
        port_(acceptor_.local_endpoint().port()) {}

  ~ServerImpl() override { Stop(); }

  void Run(int threads) {
    Accept();
    running_ = threads;
    threads_.reserve(threads);
    for (int i = 0; i < threads; ++i) {
      threads_.emplace_back([this, i] {
        SetThreadName("sw-http-" + std::to_string(i));
        try {
          core_->ioc.run();
        } catch (const std::exception& e) {
          std::fprintf(stderr, "http: io thread ended: %s\n", e.what());
        }
        std::lock_guard lock(threads_mu_);
        --running_;
        threads_done_.notify_all();
      });
    }
  }

  std::uint16_t port() const override { return port_; }

  void Stop() override {
    std::call_once(stop_once_, [this] { StopOnce(); });
  }

 private:
  void Accept() {
    acceptor_.async_accept(net::make_strand(core_->ioc),
                           [this](beast::error_code ec, tcp::socket socket) {
                             OnAccept(ec, std::move(socket));
                           });
  }

  void OnAccept(beast::error_code ec, tcp::socket socket) {
    if (ec == net::error::operation_aborted || !acceptor_.is_open()) return;
    if (ec) {
      // EMFILE and friends: keep serving the connections we have, try again shortly.
      retry_timer_.expires_after(kAcceptRetryDelay);
      retry_timer_.async_wait([this](beast::error_code ec) {
        if (!ec && acceptor_.is_open()) Accept();
      });
      return;
    }
    beast::error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);
    std::shared_ptr<Session> session;
    {
      std::lock_guard lock(core_->mu);
      if (core_->stopped) return;  // the socket closes as it goes out of scope
      session = std::make_shared<Session>(core_, std::move(socket));
      core_->sessions.emplace(session.get(), session);
    }
    session->Start();
    Accept();
  }

  void StopOnce() {
    std::vector<std::shared_ptr<Session>> sessions;
    {
      std::lock_guard lock(core_->mu);
      core_->stopped = true;
      for (auto& [ptr, weak] : core_->sessions) {
        if (auto session = weak.lock()) sessions.push_back(std::move(session));
      }
    }
    net::post(acceptor_.get_executor(), [this] {
      beast::error_code ignored;
      acceptor_.close(ignored);
      retry_timer_.cancel();
    });
    for (auto& session : sessions) session->CloseSoon();
    sessions.clear();  // outside the lock: a Session's destructor takes it

    // With the listener and every connection closed, run() returns once the aborted operations
    // have completed. Should something hold on, stop the loop outright after a grace period.
    {
      std::unique_lock lock(threads_mu_);
      if (!threads_done_.wait_for(lock, kStopGrace, [this] { return running_ == 0; })) {
        core_->ioc.stop();
      }
    }
    for (auto& thread : threads_) {
      if (thread.joinable()) thread.join();
    }
    // Complete whatever was still queued (after a forced stop) so that no handler keeps a
    // session, and through it the Core, alive.
    core_->ioc.restart();
    core_->ioc.poll();
  }

  const std::shared_ptr<Core> core_;
  tcp::acceptor acceptor_;       // on its own strand
  net::steady_timer retry_timer_;  // on the acceptor's strand
  const std::uint16_t port_;
  std::vector<std::thread> threads_;
  std::once_flag stop_once_;
  std::mutex threads_mu_;
  std::condition_variable threads_done_;
  int running_ = 0;  // io threads still in run(); guarded by threads_mu_
};

}  // namespace

Result<std::unique_ptr<Server>> StartServer(const ServerOptions& options, api::Handler handler) {
  if (!handler) return Fail(ErrorCode::kInvalidArgument, "http: no handler");
  if (options.idle_timeout_seconds <= 0) {
    return Fail(ErrorCode::kInvalidArgument, "http: idle_timeout_seconds must be positive");
  }
  auto core = std::make_shared<Core>(options, std::move(handler));
  beast::error_code ec;
  tcp::resolver resolver(core->ioc);
  const auto endpoints = resolver.resolve(options.host, std::to_string(options.port),
                                          tcp::resolver::passive | tcp::resolver::numeric_service,
                                          ec);
  if (ec || endpoints.empty()) {
    return Fail(ErrorCode::kUnavailable, "http: cannot resolve " + options.host + ": " +
                                             (ec ? ec.message() : "no address"));
  }
  const tcp::endpoint endpoint = endpoints.begin()->endpoint();

  tcp::acceptor acceptor(net::make_strand(core->ioc));
  auto fail = [&](std::string_view what) {
    return Fail(ErrorCode::kUnavailable, "http: cannot " + std::string(what) + " " +
                                             options.host + ":" + std::to_string(options.port) +
                                             ": " + ec.message());
  };
  if (acceptor.open(endpoint.protocol(), ec)) return fail("open");
  if (acceptor.set_option(net::socket_base::reuse_address(true), ec)) return fail("configure");
  if (acceptor.bind(endpoint, ec)) return fail("bind");
  if (acceptor.listen(net::socket_base::max_listen_connections, ec)) return fail("listen");

  int threads = options.threads;
  if (threads <= 0) threads = std::max(1u, std::thread::hardware_concurrency());
  auto server = std::make_unique<ServerImpl>(std::move(core), std::move(acceptor));
  server->Run(threads);
  return server;
}

}  // namespace stepway::http
