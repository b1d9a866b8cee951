#include "integrations/http_client.h"

#include <openssl/ssl.h>
#include <signal.h>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/url/parse.hpp>
#include <cctype>
#include <cstdio>
#include <mutex>
#include <optional>
#include <thread>

namespace stepway::integrations {

namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace ssl = boost::asio::ssl;
using tcp = net::ip::tcp;

constexpr std::size_t kMaxResponseHeaderBytes = 64 * 1024;
constexpr const char* kUserAgent = "stepway";

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

bool HasHeader(const HttpHeaders& headers, std::string_view name) {
  for (const auto& [n, v] : headers) {
    if (EqualsIgnoreCase(n, name)) return true;
  }
  return false;
}

// Where a request goes, from its URL.
struct Target {
  bool tls = false;
  std::string host;       // for resolving and SNI, without brackets
  std::string port;       // "80", "443" or as written
  std::string host_header;
  std::string path;       // origin-form: /path?query
};

Result<Target> ParseTarget(const std::string& url) {
  auto parsed = boost::urls::parse_uri(url);
  if (!parsed) return Fail(ErrorCode::kInvalidArgument, "not a URL: '" + url + "'");
  const boost::urls::url_view& u = *parsed;
  Target t;
  const std::string scheme = std::string(u.scheme());
  if (EqualsIgnoreCase(scheme, "https")) {
    t.tls = true;
  } else if (!EqualsIgnoreCase(scheme, "http")) {
    return Fail(ErrorCode::kInvalidArgument, "only http and https URLs are supported: '" + url + "'");
  }
  t.host = std::string(u.encoded_host_address());
  if (t.host.empty()) return Fail(ErrorCode::kInvalidArgument, "the URL has no host: '" + url + "'");
  t.port = u.has_port() && !u.port().empty() ? std::string(u.port()) : (t.tls ? "443" : "80");
  t.host_header = std::string(u.encoded_host_and_port());
  t.path = std::string(u.encoded_path());
  if (t.path.empty()) t.path = "/";
  if (u.has_query()) t.path += "?" + std::string(u.encoded_query());
  return t;
}

// One request in flight. Shared by the coroutine and the deadline's handler, which both run
// on the call's strand.
struct Call {
  explicit Call(net::any_io_executor ex) : resolver(ex), timer(ex) {}
  tcp::resolver resolver;
  net::steady_timer timer;
  std::optional<beast::tcp_stream> plain;
  std::optional<beast::ssl_stream<beast::tcp_stream>> secure;
  bool timed_out = false;

  beast::tcp_stream& lowest() { return secure ? beast::get_lowest_layer(*secure) : *plain; }
};

Error SocketError(const Call& call, const HttpRequest& request, const beast::error_code& ec,
                  std::string_view during) {
  if (call.timed_out) {
    return Error{ErrorCode::kTimedOut, "the request to " + request.url + " timed out after " +
                                           std::to_string(request.timeout.count()) + " ms"};
  }
  if (ec == bhttp::error::body_limit || ec == bhttp::error::header_limit ||
      ec == bhttp::error::buffer_overflow) {
    return Error{ErrorCode::kResourceExhausted,
                 "the response of " + request.url + " is over the limit (" +
                     std::to_string(request.max_response_bytes) + " body bytes)"};
  }
  return Error{ErrorCode::kUnavailable, std::string(during) + " " + request.url +
                                            " failed: " + ec.message()};
}

net::awaitable<Result<HttpResponse>> Exchange(ssl::context& tls_context, bool verify_peer,
                                              Target target, HttpRequest request) {
  auto ex = co_await net::this_coro::executor;
  auto call = std::make_shared<Call>(ex);
  call->timer.expires_after(request.timeout);
  call->timer.async_wait([call](const beast::error_code& ec) {
    if (ec) return;  // cancelled: the exchange ended first
    call->timed_out = true;
    call->resolver.cancel();
    if (call->plain || call->secure) {
      beast::error_code ignored;
      call->lowest().socket().close(ignored);
    }
  });
  struct CancelTimer {
    Call& call;
    ~CancelTimer() { call.timer.cancel(); }
  } cancel_timer{*call};

  beast::error_code ec;
  auto endpoints = co_await call->resolver.async_resolve(
      target.host, target.port, net::redirect_error(net::use_awaitable, ec));
  if (ec || call->timed_out) co_return tl::unexpected(SocketError(*call, request, ec, "resolving"));

  if (target.tls) {
    call->secure.emplace(ex, tls_context);
    if (!SSL_set_tlsext_host_name(call->secure->native_handle(), target.host.c_str())) {
      co_return Fail(ErrorCode::kUnavailable, "cannot set the TLS server name for " + request.url);
    }
    if (verify_peer) call->secure->set_verify_callback(ssl::host_name_verification(target.host));
  } else {
    call->plain.emplace(ex);
  }
  co_await call->lowest().async_connect(endpoints, net::redirect_error(net::use_awaitable, ec));
  if (ec || call->timed_out) co_return tl::unexpected(SocketError(*call, request, ec, "connecting to"));
  if (call->secure) {
    co_await call->secure->async_handshake(ssl::stream_base::client,
                                           net::redirect_error(net::use_awaitable, ec));
    if (ec || call->timed_out) {
      co_return tl::unexpected(SocketError(*call, request, ec, "the TLS handshake with"));
    }
  }

  bhttp::request<bhttp::string_body> out;
  out.version(11);
  out.method_string(request.method);
  out.target(target.path);
  for (const auto& [name, value] : request.headers) out.insert(name, value);
  if (!HasHeader(request.headers, "Host")) out.set(bhttp::field::host, target.host_header);
  if (!HasHeader(request.headers, "User-Agent")) out.set(bhttp::field::user_agent, kUserAgent);
  out.keep_alive(false);
  const bool head = out.method() == bhttp::verb::head;
  out.body() = std::move(request.body);
  out.prepare_payload();
  if (call->secure) {
    co_await bhttp::async_write(*call->secure, out, net::redirect_error(net::use_awaitable, ec));
  } else {
    co_await bhttp::async_write(*call->plain, out, net::redirect_error(net::use_awaitable, ec));
  }
  if (ec || call->timed_out) co_return tl::unexpected(SocketError(*call, request, ec, "sending to"));

  beast::flat_buffer buffer;
  bhttp::response_parser<bhttp::string_body> parser;
  parser.header_limit(kMaxResponseHeaderBytes);
  parser.body_limit(request.max_response_bytes);
  if (head) parser.skip(true);
  if (call->secure) {
    co_await bhttp::async_read(*call->secure, buffer, parser,
                               net::redirect_error(net::use_awaitable, ec));
    // A server that closes without TLS close_notify after a complete message is common.
    if (ec == ssl::error::stream_truncated && parser.is_done()) ec = {};
  } else {
    co_await bhttp::async_read(*call->plain, buffer, parser,
                               net::redirect_error(net::use_awaitable, ec));
  }
  if (ec || call->timed_out) co_return tl::unexpected(SocketError(*call, request, ec, "reading from"));

  auto message = parser.release();
  HttpResponse response;
  response.status = static_cast<int>(message.result_int());
  response.reason = std::string(message.reason());
  for (const auto& field : message) {
    response.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
  }
  response.body = std::move(message.body());
  beast::error_code ignored;
  if (call->secure) {
    // Best effort: a bounded shutdown would need another round trip; just close.
    call->lowest().socket().shutdown(tcp::socket::shutdown_both, ignored);
  } else {
    call->plain->socket().shutdown(tcp::socket::shutdown_both, ignored);
  }
  co_return response;
}

}  // namespace

class HttpClient::Impl {
 public:
  explicit Impl(const HttpClientOptions& options)
      : options_(options),
        work_(net::make_work_guard(io_)),
        tls_(ssl::context::tls_client) {
    boost::system::error_code ec;
    if (options.verify_peer) {
      tls_.set_verify_mode(ssl::verify_peer, ec);
      if (options.ca_file.empty()) {
        tls_.set_default_verify_paths(ec);
      } else {
        tls_.load_verify_file(options.ca_file, ec);
      }
      if (ec) std::fprintf(stderr, "stepway: http client: TLS trust store: %s\n", ec.message().c_str());
    } else {
      tls_.set_verify_mode(ssl::verify_none, ec);
    }
    const int n = options.threads > 0 ? options.threads : 1;
    for (int i = 0; i < n; ++i) {
      threads_.emplace_back([this] {
        // Signals are the app's business (it waits for SIGINT/SIGTERM on one thread).
        sigset_t all;
        sigfillset(&all);
        pthread_sigmask(SIG_BLOCK, &all, nullptr);
        while (true) {
          try {
            io_.run();
            return;
          } catch (const std::exception& e) {
            std::fprintf(stderr, "stepway: http client: a callback threw: %s\n", e.what());
          }
        }
      });
    }
  }

  ~Impl() { Stop(); }

  void Send(HttpRequest request, HttpCallback done) {
    auto target = ParseTarget(request.url);
    if (!target) {
      done(tl::unexpected(target.error()));
      return;
    }
    if (request.method.empty()) {
      done(Fail(ErrorCode::kInvalidArgument, "the request has no method"));
      return;
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (!stopped_) {
        net::co_spawn(net::make_strand(io_),
                      Exchange(tls_, options_.verify_peer, std::move(*target), std::move(request)),
                      [done = std::move(done)](std::exception_ptr e, Result<HttpResponse> r) {
                        if (e) {
                          std::string what = "the request failed";
                          try {
                            std::rethrow_exception(e);
                          } catch (const std::exception& x) {
                            what += std::string(": ") + x.what();
                          } catch (...) {
                          }
                          done(Fail(ErrorCode::kInternal, what));
                          return;
                        }
                        done(std::move(r));
                      });
        return;
      }
    }
    done(Fail(ErrorCode::kUnavailable, "the HTTP client has stopped"));
  }

  void Stop() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stopped_) return;
      stopped_ = true;
    }
    work_.reset();
    io_.stop();
    for (auto& t : threads_) t.join();
    threads_.clear();
  }

 private:
  HttpClientOptions options_;
  net::io_context io_;
  net::executor_work_guard<net::io_context::executor_type> work_;
  ssl::context tls_;
  std::vector<std::thread> threads_;
  std::mutex mu_;
  bool stopped_ = false;  // guarded by mu_
};

HttpClient::HttpClient(HttpClientOptions options) : impl_(std::make_shared<Impl>(options)) {}

HttpClient::~HttpClient() { impl_->Stop(); }

void HttpClient::Send(HttpRequest request, HttpCallback done) {
  impl_->Send(std::move(request), std::move(done));
}

void HttpClient::Stop() { impl_->Stop(); }

std::string_view HttpResponse::Header(std::string_view name) const {
  for (const auto& [n, v] : headers) {
    if (EqualsIgnoreCase(n, name)) return v;
  }
  return {};
}

std::string MediaType(std::string_view content_type) {
  const auto semicolon = content_type.find(';');
  std::string_view media = content_type.substr(0, semicolon);
  while (!media.empty() && std::isspace(static_cast<unsigned char>(media.front()))) {
    media.remove_prefix(1);
  }
  while (!media.empty() && std::isspace(static_cast<unsigned char>(media.back()))) {
    media.remove_suffix(1);
  }
  std::string out(media);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string UrlEncode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (const char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

}  // namespace stepway::integrations
