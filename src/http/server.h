// The HTTP/1.1 listener: Boost.Beast over Asio, keep-alive, on a pool of threads.
//
// The server only moves bytes: every request is handed to an api::Handler, which answers once,
// now or later, from any thread. Limits: request bodies over `max_body_bytes` get 413 with an
// AWS-shaped error, headers over 16 KiB get 431, idle connections close after
// `idle_timeout_seconds`, and requests on one connection are answered in order. Stop() closes
// the listener and every connection and returns when the threads have ended.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "api/protocol.h"
#include "base/result.h"

namespace stepway::http {

struct ServerOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 8083;  // 0: any free port (see Server::port())
  int threads = 0;            // 0: one per core
  std::size_t max_body_bytes = 1024 * 1024 + 64 * 1024;
  int idle_timeout_seconds = 120;
};

class Server {
 public:
  virtual ~Server() = default;
  // The port actually bound.
  virtual std::uint16_t port() const = 0;
  // Stops accepting, closes connections (answers not yet written are dropped), joins the
  // threads. Idempotent; callable from any thread except the server's own io threads (so not
  // from inside a handler). A Respond called or destroyed after Stop, or after the Server is
  // gone, is harmless: its answer is dropped.
  virtual void Stop() = 0;
};

// Binds and starts serving. kUnavailable when the address cannot be bound.
Result<std::unique_ptr<Server>> StartServer(const ServerOptions& options, api::Handler handler);

}  // namespace stepway::http
