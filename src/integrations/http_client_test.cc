#include "integrations/http_client.h"

#include <gtest/gtest.h>

#include <boost/asio.hpp>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <thread>
#include <future>
#include <mutex>
#include <string>
#include <vector>

#include "http/server.h"
#include "integrations/process_runner.h"

namespace stepway::integrations {
namespace {

using namespace std::chrono_literals;

// A local server whose handler the test chooses.
class Local {
 public:
  explicit Local(api::Handler handler) {
    http::ServerOptions options;
    options.host = "127.0.0.1";
    options.port = 0;
    options.threads = 1;
    auto started = http::StartServer(options, std::move(handler));
    EXPECT_TRUE(started.has_value());
    server_ = std::move(*started);
  }
  ~Local() { server_->Stop(); }
  std::string Url(std::string_view path) const {
    return "http://127.0.0.1:" + std::to_string(server_->port()) + std::string(path);
  }

 private:
  std::unique_ptr<http::Server> server_;
};

HttpRequest Req(std::string method, std::string url,
                std::chrono::milliseconds timeout = std::chrono::seconds(30),
                std::size_t max_response_bytes = 16 * 1024 * 1024) {
  HttpRequest request;
  request.method = std::move(method);
  request.url = std::move(url);
  request.timeout = timeout;
  request.max_response_bytes = max_response_bytes;
  return request;
}

Result<HttpResponse> SendAndWait(HttpClient& client, HttpRequest request) {
  std::promise<Result<HttpResponse>> promise;
  auto future = promise.get_future();
  client.Send(std::move(request), [&promise](Result<HttpResponse> r) { promise.set_value(std::move(r)); });
  EXPECT_EQ(future.wait_for(20s), std::future_status::ready);
  return future.get();
}

TEST(HttpClientTest, SendsMethodTargetHeadersAndBody) {
  api::Request seen;
  Local server([&seen](api::Request request, api::Respond respond) {
    seen = request;
    api::Response response;
    response.status = 201;
    response.content_type = "application/json";
    response.headers.emplace_back("X-Echo", std::string(request.Header("X-Custom")));
    response.body = R"({"got":)" + request.body + "}";
    respond(std::move(response));
  });
  HttpClient client;
  HttpRequest request;
  request.method = "PUT";
  request.url = server.Url("/things/a%20b?x=1&y=2");
  request.headers = {{"X-Custom", "hello"}, {"Content-Type", "application/json"}};
  request.body = "[1,2]";
  auto response = SendAndWait(client, request);
  ASSERT_TRUE(response.has_value()) << response.error().message;
  EXPECT_EQ(response->status, 201);
  EXPECT_EQ(response->reason, "Created");
  EXPECT_EQ(response->Header("x-echo"), "hello");
  EXPECT_EQ(response->Header("content-type"), "application/json");
  EXPECT_EQ(response->body, R"({"got":[1,2]})");
  EXPECT_EQ(seen.method, "PUT");
  EXPECT_EQ(seen.target, "/things/a%20b?x=1&y=2");
  EXPECT_EQ(seen.Header("Host"), request.url.substr(7, request.url.find('/', 7) - 7));
  EXPECT_EQ(seen.Header("User-Agent"), "stepway");
  EXPECT_EQ(seen.body, "[1,2]");
}

TEST(HttpClientTest, ReturnsErrorStatusesAsResponses) {
  Local server([](api::Request, api::Respond respond) {
    api::Response response;
    response.status = 404;
    response.content_type = "text/plain";
    response.body = "nope";
    respond(std::move(response));
  });
  HttpClient client;
  auto response = SendAndWait(client, Req("GET", server.Url("/missing")));
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 404);
  EXPECT_EQ(response->reason, "Not Found");
  EXPECT_EQ(response->body, "nope");
}

TEST(HttpClientTest, HeadHasNoBody) {
  Local server([](api::Request request, api::Respond respond) {
    api::Response response;
    response.body = "ignored for HEAD";
    respond(std::move(response));
  });
  HttpClient client;
  auto response = SendAndWait(client, Req("HEAD", server.Url("/")));
  ASSERT_TRUE(response.has_value()) << response.error().message;
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, "");
}

TEST(HttpClientTest, TimesOut) {
  std::mutex mu;
  std::vector<api::Respond> held;  // never answered before the deadline
  Local server([&](api::Request, api::Respond respond) {
    std::lock_guard<std::mutex> lock(mu);
    held.push_back(std::move(respond));
  });
  HttpClient client;
  const auto start = std::chrono::steady_clock::now();
  auto response =
      SendAndWait(client, Req("GET", server.Url("/slow"), 200ms));
  ASSERT_FALSE(response.has_value());
  EXPECT_EQ(response.error().code, ErrorCode::kTimedOut) << response.error().message;
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
  std::lock_guard<std::mutex> lock(mu);
  held.clear();
}

TEST(HttpClientTest, LimitsTheBody) {
  Local server([](api::Request, api::Respond respond) {
    api::Response response;
    response.body = std::string(10000, 'x');
    respond(std::move(response));
  });
  HttpClient client;
  auto response = SendAndWait(
      client, Req("GET", server.Url("/big"), std::chrono::seconds(30), 1000));
  ASSERT_FALSE(response.has_value());
  EXPECT_EQ(response.error().code, ErrorCode::kResourceExhausted) << response.error().message;
}

TEST(HttpClientTest, ReportsBadUrlsAndUnreachableServers) {
  HttpClient client;
  auto bad = SendAndWait(client, Req("GET", "not a url"));
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().code, ErrorCode::kInvalidArgument);
  auto ftp = SendAndWait(client, Req("GET", "ftp://127.0.0.1/x"));
  ASSERT_FALSE(ftp.has_value());
  EXPECT_EQ(ftp.error().code, ErrorCode::kInvalidArgument);

  std::string url;
  {
    Local server([](api::Request, api::Respond respond) { respond({}); });
    url = server.Url("/");
  }  // stopped: nothing listens on the port any more
  auto refused = SendAndWait(client, Req("GET", url));
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().code, ErrorCode::kUnavailable) << refused.error().message;
}

TEST(HttpClientTest, HttpsToAPlainServerFailsTheHandshake) {
  Local server([](api::Request, api::Respond respond) { respond({}); });
  HttpClient client;
  std::string url = server.Url("/");
  url.replace(0, 4, "https");
  auto response = SendAndWait(client, Req("GET", url, 5s));
  ASSERT_FALSE(response.has_value());
  EXPECT_EQ(response.error().code, ErrorCode::kUnavailable) << response.error().message;
}

TEST(HttpClientTest, ManyConcurrentRequests) {
  Local server([](api::Request request, api::Respond respond) {
    api::Response response;
    response.body = request.target;
    respond(std::move(response));
  });
  HttpClientOptions two;
  two.threads = 2;
  HttpClient client(two);
  constexpr int kCount = 50;
  std::vector<std::promise<Result<HttpResponse>>> promises(kCount);
  for (int i = 0; i < kCount; ++i) {
    client.Send(Req("GET", server.Url("/" + std::to_string(i))),
                [&promises, i](Result<HttpResponse> r) { promises[i].set_value(std::move(r)); });
  }
  for (int i = 0; i < kCount; ++i) {
    auto r = promises[i].get_future().get();
    ASSERT_TRUE(r.has_value()) << r.error().message;
    EXPECT_EQ(r->body, "/" + std::to_string(i));
  }
}

TEST(HttpClientTest, SendAfterStopFailsAtOnce) {
  HttpClient client;
  client.Stop();
  client.Stop();  // idempotent
  bool called = false;
  client.Send(Req("GET", "http://127.0.0.1:1/"), [&](Result<HttpResponse> r) {
    called = true;
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().code, ErrorCode::kUnavailable);
  });
  EXPECT_TRUE(called);
}

TEST(HttpClientTest, MediaTypeAndUrlEncode) {
  EXPECT_EQ(MediaType("Application/JSON; charset=utf-8"), "application/json");
  EXPECT_EQ(MediaType(" text/plain "), "text/plain");
  EXPECT_EQ(MediaType(""), "");
  EXPECT_EQ(UrlEncode("a b&c=d/é~"), "a%20b%26c%3Dd%2F%C3%A9~");
}

}  // namespace
}  // namespace stepway::integrations

namespace stepway::integrations {
namespace {

// https against `openssl s_server -www` with a self-signed certificate for "localhost": trusted
// through ca_file it answers; with the default trust store the handshake fails verification.
TEST(HttpClientTlsTest, VerifiesTheServerCertificate) {
  if (std::system("command -v openssl >/dev/null 2>&1") != 0) GTEST_SKIP() << "no openssl";
  char tmpl[] = "/tmp/stepway-tls-XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl), nullptr);
  const std::string dir = tmpl;
  const std::string cert = dir + "/cert.pem", key = dir + "/key.pem";
  ASSERT_EQ(std::system(("openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=localhost "
                         "-addext subjectAltName=DNS:localhost -keyout " + key + " -out " + cert +
                         " >/dev/null 2>&1").c_str()),
            0);
  // A free port: bind to 0, read it, release it.
  int port = 0;
  {
    boost::asio::io_context io;
    boost::asio::ip::tcp::acceptor acceptor(
        io, boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0));
    port = acceptor.local_endpoint().port();
  }
  ProcessRunner runner;
  ProcessSpec spec;
  spec.path = "/usr/bin/openssl";
  spec.args = {"s_server", "-quiet", "-www", "-accept", "127.0.0.1:" + std::to_string(port),
               "-cert", cert, "-key", key};
  spec.timeout = std::chrono::seconds(60);
  auto server = runner.Start(spec, [](ProcessOutcome) {});
  ASSERT_TRUE(server.has_value()) << server.error().message;

  const std::string url = "https://localhost:" + std::to_string(port) + "/";
  HttpClientOptions trusting;
  trusting.ca_file = cert;
  HttpClient client(trusting);
  Result<HttpResponse> response = Fail(ErrorCode::kUnavailable, "not tried");
  for (int attempt = 0; attempt < 50; ++attempt) {  // until s_server listens
    response = SendAndWait(client, Req("GET", url, std::chrono::seconds(5)));
    if (response || response.error().message.find("onnection refused") == std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_TRUE(response.has_value()) << response.error().message;
  EXPECT_EQ(response->status, 200);

  HttpClient system_trust;
  auto refused = SendAndWait(system_trust, Req("GET", url, std::chrono::seconds(5)));
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().code, ErrorCode::kUnavailable) << refused.error().message;
  runner.Kill(*server);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace stepway::integrations
