// An asynchronous HTTP/1.1 client for the integrations that call out (Lambda's Invoke API, the
// HTTP Task, AWS service endpoints): Boost.Beast over Asio, TLS through OpenSSL for https URLs.
//
// The client owns its io threads. Send() may be called from any thread and never blocks: the
// request runs on the client's threads and `done` is called there, exactly once, unless the
// client is stopped first. One connection per request (no pooling): the callers talk to local
// emulators and third-party APIs a few times per task, not thousands of times per second.
//
// Limits: every request has a deadline covering resolve, connect, TLS handshake, write and read;
// response headers are capped at 64 KiB and bodies at `max_response_bytes`. Redirects are not
// followed (the 3xx response is returned as is).
//
// Thread-safe. Stop() (also run by the destructor) cancels requests in flight and joins the
// threads; callbacks of requests that had not finished are then destroyed without being called.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.h"

namespace stepway::integrations {

using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

struct HttpRequest {
  std::string method = "GET";  // any token: GET, POST, PUT, DELETE, PATCH, HEAD, OPTIONS ...
  std::string url;             // http://host[:port]/path?query or https://...
  HttpHeaders headers;         // sent as given; Host, Content-Length and User-Agent are added
                               // when absent
  std::string body;
  std::chrono::milliseconds timeout{30000};            // the whole exchange
  std::size_t max_response_bytes = 16 * 1024 * 1024;  // body limit
};

struct HttpResponse {
  int status = 0;
  std::string reason;   // "OK", "Not Found" ... as the server sent it
  HttpHeaders headers;  // as received, in order, names as the server spelled them
  std::string body;

  // The first header named `name` (case-insensitive), or "" when absent.
  std::string_view Header(std::string_view name) const;
};

// The outcome of a request: a response (whatever its status), or why there is none:
// kInvalidArgument (the URL or method cannot be used), kTimedOut (the deadline passed),
// kResourceExhausted (the response is over a limit), kUnavailable (resolve, connect, TLS or
// socket failure; the message says which).
using HttpCallback = std::function<void(Result<HttpResponse>)>;

struct HttpClientOptions {
  int threads = 1;
  // Verify https servers' certificates against the system's trust store (or `ca_file`).
  bool verify_peer = true;
  std::string ca_file;  // PEM bundle; "" for the system default
};

class HttpClient {
 public:
  explicit HttpClient(HttpClientOptions options = {});
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Starts the request; `done` runs on one of the client's threads. After Stop(), `done` is
  // called at once (on the caller's thread) with kUnavailable.
  void Send(HttpRequest request, HttpCallback done);

  // Cancels what is in flight and joins the threads. Idempotent; not callable from inside a
  // callback (a client thread).
  void Stop();

 private:
  class Impl;
  std::shared_ptr<Impl> impl_;
};

// "application/json; charset=utf-8" -> "application/json" (lowercase, parameters dropped).
std::string MediaType(std::string_view content_type);

// Percent-encodes everything but RFC 3986's unreserved characters (for query strings and form
// bodies; a space becomes %20).
std::string UrlEncode(std::string_view text);

}  // namespace stepway::integrations
