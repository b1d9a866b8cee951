#include "integrations/http_task.h"

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <mutex>

#include "engine/resource.h"
#include "http/server.h"

namespace stepway::integrations {
namespace {

using namespace std::chrono_literals;

constexpr const char* kConnection =
    "arn:aws:events:us-east-1:123456789012:connection/api/0b5e2a4c-1111-2222-3333-444455556666";

class Reporter final : public runtime::TaskReporter {
 public:
  void Submitted(json::Value) override { Set("Submitted", {}, "", ""); }
  void Succeeded(json::Value v) override { Set("Succeeded", std::move(v), "", ""); }
  void Failed(std::string e, std::string c) override { Set("Failed", {}, std::move(e), std::move(c)); }
  void Wait() {
    std::unique_lock<std::mutex> lock(mu_);
    EXPECT_TRUE(cv_.wait_for(lock, 20s, [this] { return !kind.empty(); })) << "no report";
  }
  std::string kind;
  json::Value value;
  std::string error, cause;

 private:
  void Set(std::string k, json::Value v, std::string e, std::string c) {
    std::lock_guard<std::mutex> lock(mu_);
    if (!kind.empty()) return;
    kind = std::move(k);
    value = std::move(v);
    error = std::move(e);
    cause = std::move(c);
    cv_.notify_all();
  }
  std::mutex mu_;
  std::condition_variable cv_;
};

// A local API: /echo answers what it got as JSON; /text answers text; /missing 404; /token is
// an OAuth token endpoint.
class Api {
 public:
  Api() {
    http::ServerOptions options;
    options.port = 0;
    options.threads = 1;
    auto server = http::StartServer(options, [this](api::Request r, api::Respond respond) {
      api::Response response;
      response.content_type = "application/json";
      std::lock_guard<std::mutex> lock(mu_);
      if (r.target.starts_with("/token")) {
        ++token_requests;
        token_authorization = std::string(r.Header("Authorization"));
        token_body = r.body;
        response.body = R"({"access_token":"tok-)" + std::to_string(token_requests) +
                        R"(","token_type":"Bearer","expires_in":3600})";
      } else if (r.target.starts_with("/text")) {
        response.content_type = "text/plain; charset=utf-8";
        response.body = "plain words";
      } else if (r.target.starts_with("/missing")) {
        response.status = 404;
        response.body = R"({"message":"no such thing"})";
      } else {
        json::Object echo;
        echo["method"] = r.method;
        echo["target"] = r.target;
        echo["body"] = r.body;
        json::Object headers;
        for (const auto& [n, v] : r.headers) headers[n] = v;
        echo["headers"] = std::move(headers);
        response.body = json::Serialize(echo);
      }
      respond(std::move(response));
    });
    EXPECT_TRUE(server.has_value());
    server_ = std::move(*server);
  }
  ~Api() { server_->Stop(); }
  std::string Url(std::string_view path) const {
    return "http://127.0.0.1:" + std::to_string(server_->port()) + std::string(path);
  }
  std::mutex mu_;
  int token_requests = 0;
  std::string token_authorization, token_body;

 private:
  std::unique_ptr<http::Server> server_;
};

runtime::TaskInvocation Invocation(const json::Value& params) {
  runtime::TaskInvocation i;
  i.execution_arn = "arn:aws:states:us-east-1:123456789012:execution:m:e";
  i.command.task_id = 1;
  i.command.resource = std::make_shared<const engine::Resource>(
      engine::ParseResource("arn:aws:states:::http:invoke"));
  i.command.input = params;
  return i;
}

std::shared_ptr<Reporter> Call(HttpTaskIntegration& task, std::string_view params) {
  auto parsed = json::Parse(params);
  EXPECT_TRUE(parsed) << params;
  auto reporter = std::make_shared<Reporter>();
  task.Invoke(Invocation(*parsed), reporter);
  reporter->Wait();
  return reporter;
}

std::string Field(const json::Value& v, std::string_view path) {
  const json::Value* at = &v;
  std::size_t start = 0;
  while (at && start <= path.size()) {
    const auto dot = path.find('.', start);
    at = json::Find(*at, path.substr(start, dot - start));
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  if (!at) return "<missing>";
  return at->is_string() ? std::string(at->as_string()) : json::Serialize(*at);
}

std::string Params(const Api& api, std::string_view path, std::string_view rest) {
  return R"({"ApiEndpoint":")" + api.Url(path) + "\"" + std::string(rest) + "}";
}

TEST(HttpTaskTest, GetWithHeadersAndQuery) {
  Api api;
  HttpTaskIntegration task({});
  auto r = Call(task, Params(api, "/echo?fixed=1",
                            R"(,"Method":"GET","Headers":{"X-Trace":"abc","X-Num":5},
                               "QueryParameters":{"q":"a b","n":2,"list":["x","y"]})"));
  ASSERT_EQ(r->kind, "Succeeded") << r->error << " " << r->cause;
  EXPECT_EQ(Field(r->value, "StatusCode"), "200");
  EXPECT_EQ(Field(r->value, "StatusText"), "OK");
  EXPECT_EQ(Field(r->value, "ResponseBody.method"), "GET");
  EXPECT_EQ(Field(r->value, "ResponseBody.target"),
            "/echo?fixed=1&q=a%20b&n=2&list%5B0%5D=x&list%5B1%5D=y");
  EXPECT_EQ(Field(r->value, "ResponseBody.headers.X-Trace"), "abc");
  EXPECT_EQ(Field(r->value, "ResponseBody.headers.X-Num"), "5");
  EXPECT_EQ(Field(r->value, "ResponseBody.headers.User-Agent"),
            "Amazon|StepFunctions|HttpInvoke|us-east-1");
  EXPECT_EQ(Field(r->value, "Headers.content-type"), R"(["application/json"])");
}

TEST(HttpTaskTest, JsonAndStringBodies) {
  Api api;
  HttpTaskIntegration task({});
  auto r = Call(task, Params(api, "/echo", R"(,"Method":"POST","RequestBody":{"a":[1,2],"b":"c"})"));
  ASSERT_EQ(r->kind, "Succeeded") << r->cause;
  EXPECT_EQ(Field(r->value, "ResponseBody.body"), R"({"a":[1,2],"b":"c"})");
  EXPECT_EQ(Field(r->value, "ResponseBody.headers.Content-Type"), "application/json; charset=UTF-8");
  r = Call(task, Params(api, "/echo", R"(,"Method":"PUT","RequestBody":"raw text","Headers":{"Content-Type":"text/plain"})"));
  ASSERT_EQ(r->kind, "Succeeded") << r->cause;
  EXPECT_EQ(Field(r->value, "ResponseBody.body"), "raw text");
  EXPECT_EQ(Field(r->value, "ResponseBody.headers.Content-Type"), "text/plain");
  r = Call(task, Params(api, "/text", R"(,"Method":"GET")"));
  ASSERT_EQ(r->kind, "Succeeded") << r->cause;
  EXPECT_EQ(json::Serialize(*json::Find(r->value, "ResponseBody")), R"("plain words")");
}

TEST(HttpTaskTest, UrlEncodedBodiesInEachArrayFormat) {
  Api api;
  HttpTaskIntegration task({});
  const std::string body = R"("RequestBody":{"name":"a b","tags":["x","y"],"obj":{"k":true}})";
  const std::pair<const char*, const char*> cases[] = {
      {"INDICES", "name=a%20b&tags%5B0%5D=x&tags%5B1%5D=y&obj%5Bk%5D=true"},
      {"REPEAT", "name=a%20b&tags=x&tags=y&obj%5Bk%5D=true"},
      {"COMMAS", "name=a%20b&tags=x%2Cy&obj%5Bk%5D=true"},
      {"BRACKETS", "name=a%20b&tags%5B%5D=x&tags%5B%5D=y&obj%5Bk%5D=true"},
  };
  for (const auto& [format, expected] : cases) {
    auto r = Call(task, Params(api, "/echo", std::string(R"(,"Method":"POST",)") + body +
                                                R"(,"Transform":{"RequestBodyEncoding":"URL_ENCODED","RequestEncodingOptions":{"ArrayFormat":")" +
                                                format + R"("}})"));
    ASSERT_EQ(r->kind, "Succeeded") << r->cause;
    EXPECT_EQ(Field(r->value, "ResponseBody.body"), expected) << format;
    EXPECT_EQ(Field(r->value, "ResponseBody.headers.Content-Type"),
              "application/x-www-form-urlencoded");
  }
}

TEST(HttpTaskTest, ErrorStatusesAreStatesHttpStatusCode) {
  Api api;
  HttpTaskIntegration task({});
  auto r = Call(task, Params(api, "/missing", R"(,"Method":"GET")"));
  ASSERT_EQ(r->kind, "Failed");
  EXPECT_EQ(r->error, "States.Http.StatusCode.404");
  auto cause = json::Parse(r->cause);
  ASSERT_TRUE(cause) << r->cause;
  EXPECT_EQ(Field(*cause, "StatusCode"), "404");
  EXPECT_EQ(Field(*cause, "StatusText"), "Not Found");
  EXPECT_EQ(Field(*cause, "ResponseBody.message"), "no such thing");
}

TEST(HttpTaskTest, UnreachableIsStatesHttpSocket) {
  std::string url;
  {
    Api api;
    url = api.Url("/gone");
  }
  HttpTaskIntegration task({});
  auto r = Call(task, R"({"ApiEndpoint":")" + url + R"(","Method":"GET"})");
  ASSERT_EQ(r->kind, "Failed");
  EXPECT_EQ(r->error, "States.Http.Socket");
}

TEST(HttpTaskTest, BadParametersAreRuntimeErrors) {
  Api api;
  HttpTaskIntegration task({});
  for (const std::string& params : {
           std::string(R"({"Method":"GET"})"),
           Params(api, "/echo", R"(,"Method":"FETCH")"),
           Params(api, "/echo", R"(,"Method":"GET","Headers":{"Authorization":"x"})"),
           Params(api, "/echo", R"(,"Method":"GET","Headers":{"X-Amz-Date":"x"})"),
           Params(api, "/echo", R"(,"Method":"GET","Transform":{"RequestBodyEncoding":"XML"})"),
       }) {
    auto r = Call(task, params);
    EXPECT_EQ(r->kind, "Failed") << params;
    EXPECT_EQ(r->error, "States.Runtime") << params;
  }
  auto r = Call(task, Params(api, "/echo", std::string(R"(,"Method":"GET","Authentication":{"ConnectionArn":")") +
                                              kConnection + R"("})"));
  EXPECT_EQ(r->error, "States.TaskFailed");
  EXPECT_NE(r->cause.find("--connections"), std::string::npos) << r->cause;
}

TEST(HttpTaskTest, ConnectionsAuthenticate) {
  Api api;
  const std::string auth =
      std::string(R"(,"Method":"GET","Authentication":{"ConnectionArn":")") + kConnection + R"("})";
  {
    HttpTaskOptions options;
    options.connections = *ParseConnections(std::string(R"({")") + kConnection +
                                            R"(":{"ApiKey":{"Key":"X-Api-Key","Value":"s3cret"}}})");
    HttpTaskIntegration task(std::move(options));
    auto r = Call(task, Params(api, "/echo", auth));
    ASSERT_EQ(r->kind, "Succeeded") << r->cause;
    EXPECT_EQ(Field(r->value, "ResponseBody.headers.X-Api-Key"), "s3cret");
  }
  {
    HttpTaskOptions options;
    options.connections = *ParseConnections(std::string(R"({")") + kConnection +
                                            R"(":{"Basic":{"Username":"Aladdin","Password":"open sesame"}}})");
    HttpTaskIntegration task(std::move(options));
    auto r = Call(task, Params(api, "/echo", auth));
    ASSERT_EQ(r->kind, "Succeeded") << r->cause;
    EXPECT_EQ(Field(r->value, "ResponseBody.headers.Authorization"),
              "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
  }
  {
    HttpTaskOptions options;
    options.connections = *ParseConnections(
        std::string(R"({")") + kConnection + R"(":{"OAuth":{"AuthorizationEndpoint":")" +
        api.Url("/token") + R"(","ClientId":"id","ClientSecret":"pw","Scope":"read write"}}})");
    HttpTaskIntegration task(std::move(options));
    for (int i = 0; i < 2; ++i) {
      auto r = Call(task, Params(api, "/echo", auth));
      ASSERT_EQ(r->kind, "Succeeded") << r->cause;
      EXPECT_EQ(Field(r->value, "ResponseBody.headers.Authorization"), "Bearer tok-1");
    }
    std::lock_guard<std::mutex> lock(api.mu_);
    EXPECT_EQ(api.token_requests, 1);  // cached
    EXPECT_EQ(api.token_authorization, "Basic aWQ6cHc=");
    EXPECT_EQ(api.token_body, "grant_type=client_credentials&scope=read%20write");
  }
}

TEST(HttpTaskTest, ParseConnectionsRejectsMistakes) {
  EXPECT_TRUE(ParseConnections("{}"));
  EXPECT_FALSE(ParseConnections("[]"));
  EXPECT_FALSE(ParseConnections(R"({"a":{}})"));
  EXPECT_FALSE(ParseConnections(R"({"a":{"ApiKey":{"Value":"v"}}})"));
  EXPECT_FALSE(ParseConnections(R"({"a":{"Basic":{}}})"));
  EXPECT_FALSE(ParseConnections(R"({"a":{"OAuth":{"ClientId":"x"}}})"));
  EXPECT_FALSE(ParseConnections(R"({"a":{"Digest":{}}})"));
  EXPECT_FALSE(LoadConnections("/nonexistent/connections.json"));
}

TEST(HttpTaskTest, OnlyHttpInvokeMatches) {
  runtime::TaskInvocation i;
  i.command.resource = std::make_shared<const engine::Resource>(
      engine::ParseResource("arn:aws:states:::http:invoke"));
  EXPECT_TRUE(IsHttpTask(i));
  i.command.resource = std::make_shared<const engine::Resource>(
      engine::ParseResource("arn:aws:states:::lambda:invoke"));
  EXPECT_FALSE(IsHttpTask(i));
}

}  // namespace
}  // namespace stepway::integrations
