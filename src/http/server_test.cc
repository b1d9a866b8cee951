#include "http/server.h"

#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace stepway::http {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = net::ip::tcp;
using namespace std::chrono_literals;

using Response = bhttp::response<bhttp::string_body>;

// A blocking client over one connection; every read gives up after `timeout`.
class Client {
 public:
  explicit Client(std::uint16_t port) : stream_(ioc_) {
    stream_.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port));
  }

  void Send(bhttp::request<bhttp::string_body> request) {
    request.prepare_payload();
    bhttp::write(stream_, request);
  }

  void SendRaw(std::string_view bytes) { net::write(stream_, net::buffer(bytes)); }

  // Reads one response; an error (end_of_stream, timeout …) in `ec`.
  Response Read(beast::error_code& ec, std::chrono::seconds timeout = 5s) {
    Response response;
    stream_.expires_after(timeout);
    bhttp::async_read(stream_, buffer_, response,
                      [&](beast::error_code e, std::size_t) { ec = e; });
    ioc_.restart();
    ioc_.run();
    return response;
  }

  Response Read() {
    beast::error_code ec;
    Response response = Read(ec);
    EXPECT_FALSE(ec) << ec.message();
    return response;
  }

  // True when the server closes the connection (EOF or reset) within `timeout`.
  bool ClosedWithin(std::chrono::seconds timeout) {
    beast::error_code ec;
    Read(ec, timeout);
    return ec && ec != beast::error::timeout;
  }

 private:
  net::io_context ioc_;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
};

bhttp::request<bhttp::string_body> Post(std::string body, std::string target = "/") {
  bhttp::request<bhttp::string_body> request(bhttp::verb::post, target, 11);
  request.set(bhttp::field::host, "localhost");
  request.set(bhttp::field::content_type, "application/x-amz-json-1.0");
  request.set("X-Amz-Target", "AWSStepFunctions.ListActivities");
  request.body() = std::move(body);
  return request;
}

// Answers with the request's body, and the method, target and X-Amz-Target in headers.
void Echo(api::Request request, api::Respond respond) {
  api::Response response;
  response.headers.emplace_back("X-Method", request.method);
  response.headers.emplace_back("X-Target", request.target);
  response.headers.emplace_back("X-Echo-Target", std::string(request.Header("x-amz-target")));
  response.body = std::move(request.body);
  respond(std::move(response));
}

std::unique_ptr<Server> Start(api::Handler handler, ServerOptions options = {}) {
  options.port = 0;
  options.threads = 2;
  auto server = StartServer(options, std::move(handler));
  EXPECT_TRUE(server.has_value()) << (server ? "" : server.error().message);
  return server ? std::move(*server) : nullptr;
}

TEST(ServerTest, PostRoundTripCarriesBodyAndHeaders) {
  auto server = Start(Echo);
  ASSERT_TRUE(server);
  ASSERT_NE(server->port(), 0);
  Client client(server->port());
  client.Send(Post(R"({"maxResults":1})", "/path?x=1"));
  const Response response = client.Read();
  EXPECT_EQ(response.result_int(), 200);
  EXPECT_EQ(response.body(), R"({"maxResults":1})");
  EXPECT_EQ(response[bhttp::field::content_type], "application/x-amz-json-1.0");
  EXPECT_EQ(response["X-Method"], "POST");
  EXPECT_EQ(response["X-Target"], "/path?x=1");
  EXPECT_EQ(response["X-Echo-Target"], "AWSStepFunctions.ListActivities");
  EXPECT_EQ(response["x-amzn-RequestId"].size(), 36u);
  EXPECT_FALSE(response[bhttp::field::date].empty());
  EXPECT_TRUE(response.keep_alive());
}

TEST(ServerTest, ErrorStatusAndExtraHeadersAreWritten) {
  auto server = Start([](api::Request, api::Respond respond) {
    respond(api::ErrorResponse({"StateMachineDoesNotExist", "no such machine", 400},
                               api::JsonVersion::k1_0));
  });
  ASSERT_TRUE(server);
  Client client(server->port());
  client.Send(Post("{}"));
  const Response response = client.Read();
  EXPECT_EQ(response.result_int(), 400);
  EXPECT_EQ(response["X-Amzn-ErrorType"], "StateMachineDoesNotExist");
  EXPECT_NE(response.body().find("no such machine"), std::string::npos);
}

TEST(ServerTest, HandlerRequestIdIsKept) {
  auto server = Start([](api::Request, api::Respond respond) {
    api::Response response;
    response.headers.emplace_back("x-amzn-RequestId", "fixed-id");
    respond(std::move(response));
  });
  ASSERT_TRUE(server);
  Client client(server->port());
  client.Send(Post("{}"));
  const Response response = client.Read();
  EXPECT_EQ(response["x-amzn-RequestId"], "fixed-id");
  EXPECT_EQ(response.count("x-amzn-RequestId"), 1u);
}

TEST(ServerTest, GetIsHandedToTheHandler) {
  auto server = Start([](api::Request request, api::Respond respond) {
    api::Response response;
    response.content_type = "text/html";
    response.body = request.method + " " + request.target;
    respond(std::move(response));
  });
  ASSERT_TRUE(server);
  Client client(server->port());
  bhttp::request<bhttp::string_body> request(bhttp::verb::get, "/console/index.html", 11);
  client.Send(request);
  const Response response = client.Read();
  EXPECT_EQ(response.body(), "GET /console/index.html");
  EXPECT_EQ(response[bhttp::field::content_type], "text/html");
}

TEST(ServerTest, KeepAliveServesManyRequestsOnOneConnection) {
  std::atomic<int> calls = 0;
  auto server = Start([&](api::Request request, api::Respond respond) {
    ++calls;
    Echo(std::move(request), std::move(respond));
  });
  ASSERT_TRUE(server);
  Client client(server->port());
  for (int i = 0; i < 200; ++i) {
    client.Send(Post(std::to_string(i)));
    EXPECT_EQ(client.Read().body(), std::to_string(i));
  }
  EXPECT_EQ(calls, 200);
}

TEST(ServerTest, AsynchronousAnswerFromAnotherThread) {
  std::vector<std::thread> workers;
  std::mutex mu;
  auto server = Start([&](api::Request request, api::Respond respond) {
    std::lock_guard lock(mu);
    workers.emplace_back([request = std::move(request), respond = std::move(respond)] {
      std::this_thread::sleep_for(50ms);
      api::Response response;
      response.body = "later:" + request.body;
      respond(std::move(response));
    });
  });
  ASSERT_TRUE(server);
  Client client(server->port());
  client.Send(Post("a"));
  EXPECT_EQ(client.Read().body(), "later:a");
  client.Send(Post("b"));
  EXPECT_EQ(client.Read().body(), "later:b");
  server->Stop();
  std::lock_guard lock(mu);
  for (auto& worker : workers) worker.join();
}

TEST(ServerTest, PipelinedRequestsAreAnsweredInOrder) {
  // Later requests are answered sooner, so order comes from the server, not the handler.
  constexpr int kRequests = 24;  // more than the server reads ahead
  std::vector<std::thread> workers;
  std::mutex mu;
  auto server = Start([&](api::Request request, api::Respond respond) {
    const int n = std::stoi(request.body);
    std::lock_guard lock(mu);
    workers.emplace_back([n, respond = std::move(respond)] {
      std::this_thread::sleep_for(std::chrono::milliseconds(2 * (kRequests - n)));
      api::Response response;
      response.body = std::to_string(n);
      respond(std::move(response));
    });
  });
  ASSERT_TRUE(server);
  Client client(server->port());
  std::string batch;
  for (int i = 0; i < kRequests; ++i) {
    batch += "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: " +
             std::to_string(std::to_string(i).size()) + "\r\n\r\n" + std::to_string(i);
  }
  client.SendRaw(batch);
  for (int i = 0; i < kRequests; ++i) EXPECT_EQ(client.Read().body(), std::to_string(i));
  server->Stop();
  std::lock_guard lock(mu);
  for (auto& worker : workers) worker.join();
}

TEST(ServerTest, BodyOverTheLimitIs413AndCloses) {
  ServerOptions options;
  options.max_body_bytes = 1024;
  std::atomic<int> calls = 0;
  auto server = Start(
      [&](api::Request request, api::Respond respond) {
        ++calls;
        Echo(std::move(request), std::move(respond));
      },
      options);
  ASSERT_TRUE(server);
  {
    Client client(server->port());
    client.Send(Post(std::string(1024, 'x')));  // at the limit: fine
    EXPECT_EQ(client.Read().result_int(), 200);
    client.Send(Post(std::string(4096, 'x')));
    const Response response = client.Read();
    EXPECT_EQ(response.result_int(), 413);
    EXPECT_EQ(response["X-Amzn-ErrorType"], "RequestEntityTooLargeException");
    EXPECT_NE(response.body().find(R"("__type":"RequestEntityTooLargeException")"),
              std::string::npos);
    EXPECT_NE(response.body().find(R"("message":)"), std::string::npos);
    EXPECT_FALSE(response.keep_alive());
    EXPECT_TRUE(client.ClosedWithin(5s));
  }
  {
    // Chunked: the limit applies as the body arrives.
    Client client(server->port());
    client.SendRaw("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n");
    client.SendRaw("400\r\n" + std::string(1024, 'y') + "\r\n400\r\n" + std::string(1024, 'y') +
                   "\r\n0\r\n\r\n");
    EXPECT_EQ(client.Read().result_int(), 413);
  }
  {
    // Transfer Family's JSON 1.1 spells the message member "Message".
    Client client(server->port());
    auto request = Post(std::string(4096, 'x'));
    request.set("X-Amz-Target", "TransferService.StartFileTransfer");
    request.set(bhttp::field::content_type, "application/x-amz-json-1.1");
    client.Send(request);
    const Response response = client.Read();
    EXPECT_EQ(response.result_int(), 413);
    EXPECT_EQ(response[bhttp::field::content_type], "application/x-amz-json-1.1");
    EXPECT_NE(response.body().find(R"("Message":)"), std::string::npos);
  }
  EXPECT_EQ(calls, 1);
}

TEST(ServerTest, HeadersOverTheLimitAre431) {
  auto server = Start(Echo);
  ASSERT_TRUE(server);
  Client client(server->port());
  auto request = Post("{}");
  request.set("X-Big", std::string(20 * 1024, 'h'));
  client.Send(request);
  const Response response = client.Read();
  EXPECT_EQ(response.result_int(), 431);
  EXPECT_TRUE(client.ClosedWithin(5s));
}

TEST(ServerTest, MalformedRequestClosesTheConnectionOnly) {
  auto server = Start(Echo);
  ASSERT_TRUE(server);
  {
    Client client(server->port());
    client.SendRaw("THIS IS NOT HTTP\r\n\r\n");
    EXPECT_TRUE(client.ClosedWithin(5s));
  }
  {
    Client client(server->port());
    client.SendRaw("POST / HTTP/1.1\r\nContent-Length: nope\r\n\r\n");
    EXPECT_TRUE(client.ClosedWithin(5s));
  }
  Client client(server->port());
  client.Send(Post("still here"));
  EXPECT_EQ(client.Read().body(), "still here");
}

TEST(ServerTest, AnswersOwedBeforeAMalformedRequestAreStillSent) {
  auto server = Start(Echo);
  ASSERT_TRUE(server);
  Client client(server->port());
  client.SendRaw("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nokGARBAGE\r\n\r\n");
  EXPECT_EQ(client.Read().body(), "ok");
  EXPECT_TRUE(client.ClosedWithin(5s));
}

TEST(ServerTest, ConnectionCloseIsHonoured) {
  auto server = Start(Echo);
  ASSERT_TRUE(server);
  Client client(server->port());
  auto request = Post("bye");
  request.keep_alive(false);
  client.Send(request);
  const Response response = client.Read();
  EXPECT_EQ(response.body(), "bye");
  EXPECT_FALSE(response.keep_alive());
  EXPECT_TRUE(client.ClosedWithin(5s));
}

TEST(ServerTest, Http10ClosesUnlessKeepAlive) {
  auto server = Start(Echo);
  ASSERT_TRUE(server);
  Client client(server->port());
  client.SendRaw("POST / HTTP/1.0\r\nContent-Length: 2\r\n\r\nhi");
  const Response response = client.Read();
  EXPECT_EQ(response.version(), 10u);
  EXPECT_EQ(response.body(), "hi");
  EXPECT_TRUE(client.ClosedWithin(5s));
}

TEST(ServerTest, ExpectContinueGetsAnInterimAnswer) {
  auto server = Start(Echo);
  ASSERT_TRUE(server);
  Client client(server->port());
  client.SendRaw("POST / HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n");
  Response interim = client.Read();
  EXPECT_EQ(interim.result_int(), 100);
  client.SendRaw("body");
  EXPECT_EQ(client.Read().body(), "body");
}

TEST(ServerTest, IdleConnectionIsClosed) {
  ServerOptions options;
  options.idle_timeout_seconds = 1;
  auto server = Start(Echo, options);
  ASSERT_TRUE(server);
  {
    Client client(server->port());  // never sends anything
    EXPECT_TRUE(client.ClosedWithin(5s));
  }
  Client client(server->port());
  client.Send(Post("x"));
  EXPECT_EQ(client.Read().body(), "x");
  EXPECT_TRUE(client.ClosedWithin(5s));
}

TEST(ServerTest, SlowHandlerIsNotCutByTheIdleTimeout) {
  ServerOptions options;
  options.idle_timeout_seconds = 1;
  std::vector<std::thread> workers;
  std::mutex mu;
  auto server = Start(
      [&](api::Request, api::Respond respond) {
        std::lock_guard lock(mu);
        workers.emplace_back([respond = std::move(respond)] {
          std::this_thread::sleep_for(1500ms);
          respond(api::Response{});
        });
      },
      options);
  ASSERT_TRUE(server);
  Client client(server->port());
  client.Send(Post("{}"));
  EXPECT_EQ(client.Read().result_int(), 200);
  server->Stop();
  std::lock_guard lock(mu);
  for (auto& worker : workers) worker.join();
}

TEST(ServerTest, HandlerThatDropsRespondGets500) {
  auto server = Start([](api::Request, api::Respond) {});
  ASSERT_TRUE(server);
  Client client(server->port());
  client.Send(Post("{}"));
  EXPECT_EQ(client.Read().result_int(), 500);
}

TEST(ServerTest, HandlerThatThrowsGets500AndRespondingTwiceIsHarmless) {
  auto server = Start([](api::Request request, api::Respond respond) {
    if (request.body == "throw") throw std::runtime_error("boom");
    respond(api::Response{});
    api::Response second;
    second.status = 418;
    respond(std::move(second));
  });
  ASSERT_TRUE(server);
  Client client(server->port());
  client.Send(Post("throw"));
  EXPECT_EQ(client.Read().result_int(), 500);
  client.Send(Post("twice"));
  EXPECT_EQ(client.Read().result_int(), 200);
  client.Send(Post("twice"));
  EXPECT_EQ(client.Read().result_int(), 200);
}

TEST(ServerTest, StopWithOpenConnections) {
  auto server = Start(Echo);
  ASSERT_TRUE(server);
  std::vector<std::unique_ptr<Client>> clients;
  for (int i = 0; i < 8; ++i) {
    clients.push_back(std::make_unique<Client>(server->port()));
    clients.back()->Send(Post("x"));
    EXPECT_EQ(clients.back()->Read().body(), "x");
  }
  clients.push_back(std::make_unique<Client>(server->port()));  // never sends
  clients.back()->SendRaw("POST / HTTP/1.1\r\nContent-Length: 10\r\n\r\npart");  // half sent
  server->Stop();
  server->Stop();  // idempotent
  for (auto& client : clients) EXPECT_TRUE(client->ClosedWithin(5s));
  server.reset();
}

TEST(ServerTest, StopWhileAHandlerHasNotAnsweredAndAnswerAfterwards) {
  std::mutex mu;
  std::condition_variable cv;
  std::vector<api::Respond> held;
  auto server = Start([&](api::Request, api::Respond respond) {
    std::lock_guard lock(mu);
    held.push_back(std::move(respond));
    cv.notify_all();
  });
  ASSERT_TRUE(server);
  Client a(server->port());
  Client b(server->port());
  a.Send(Post("{}"));
  b.Send(Post("{}"));
  {
    std::unique_lock lock(mu);
    ASSERT_TRUE(cv.wait_for(lock, 5s, [&] { return held.size() == 2; }));
  }
  std::thread stopper([&] { server->Stop(); });  // as from a signal-handling thread
  stopper.join();
  EXPECT_TRUE(a.ClosedWithin(5s));
  server.reset();  // the Server is gone; the answers come later still
  std::lock_guard lock(mu);
  held[0](api::Response{});
  held.clear();  // and b's Respond is dropped unanswered
}

TEST(ServerTest, StopFromAnotherThreadWhileAnswersRace) {
  std::atomic<bool> done = false;
  std::vector<std::thread> workers;
  std::mutex mu;
  auto server = Start([&](api::Request, api::Respond respond) {
    std::lock_guard lock(mu);
    workers.emplace_back([respond = std::move(respond)] {
      std::this_thread::sleep_for(1ms);
      respond(api::Response{});
    });
  });
  ASSERT_TRUE(server);
  std::thread load([&, port = server->port()] {
    while (!done) {
      try {
        Client client(port);
        for (int i = 0; i < 20 && !done; ++i) {
          client.Send(Post("{}"));
          beast::error_code ec;
          client.Read(ec, 2s);
          if (ec) break;
        }
      } catch (const std::exception&) {
        // refused once the server has stopped
      }
    }
  });
  std::this_thread::sleep_for(200ms);
  server->Stop();
  done = true;
  load.join();
  server.reset();
  std::lock_guard lock(mu);
  for (auto& worker : workers) worker.join();
}

TEST(ServerTest, BindFailureIsUnavailable) {
  auto first = Start(Echo);
  ASSERT_TRUE(first);
  ServerOptions options;
  options.port = first->port();
  auto second = StartServer(options, Echo);
  ASSERT_FALSE(second.has_value());
  EXPECT_EQ(second.error().code, ErrorCode::kUnavailable);
}

}  // namespace
}  // namespace stepway::http
