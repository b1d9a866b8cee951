#include "api/json_protocol.h"

#include <gtest/gtest.h>

#include <string>

#include "base/limits.h"

namespace stepway::api {
namespace {

Request Make(std::string target, std::string body,
             std::string content_type = "application/x-amz-json-1.0") {
  Request r;
  r.headers = {{"Host", "localhost"}, {"Content-Type", content_type}};
  if (!target.empty()) r.headers.emplace_back("x-amz-target", target);
  r.body = std::move(body);
  return r;
}

void ExpectError(const tl::expected<JsonRequest, ApiError>& r, std::string_view type,
                 int status = 400) {
  ASSERT_FALSE(r.has_value()) << "expected " << type;
  EXPECT_EQ(r.error().type, type);
  EXPECT_EQ(r.error().status, status);
}

TEST(JsonProtocol, FindsTheOperationAndParsesTheBody) {
  auto r = ParseJsonRequest(Service::kStepFunctions,
                            Make("AWSStepFunctions.StartExecution", R"({"stateMachineArn": "a"})"));
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->service, Service::kStepFunctions);
  EXPECT_EQ(r->operation->name, "StartExecution");
  EXPECT_EQ(json::Serialize(r->body), R"({"stateMachineArn":"a"})");

  auto t = ParseJsonRequest(Make("TransferService.ListServers", "{}", "application/x-amz-json-1.1"));
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(t->service, Service::kTransfer);
  EXPECT_EQ(t->operation->name, "ListServers");
}

TEST(JsonProtocol, ContentTypeIsLenient) {
  for (const char* ct : {"application/x-amz-json-1.0", "application/x-amz-json-1.1",
                         "application/x-amz-json-1.0; charset=utf-8", "application/json",
                         "APPLICATION/X-AMZ-JSON-1.0", ""}) {
    EXPECT_TRUE(ParseJsonRequest(Service::kStepFunctions,
                                 Make("AWSStepFunctions.ListActivities", "{}", ct)).has_value())
        << ct;
  }
  ExpectError(ParseJsonRequest(Service::kStepFunctions,
                               Make("AWSStepFunctions.ListActivities", "{}",
                                    "application/x-www-form-urlencoded")),
              "UnknownOperationException", 404);
  Request get = Make("AWSStepFunctions.ListActivities", "{}");
  get.method = "GET";
  ExpectError(ParseJsonRequest(Service::kStepFunctions, get), "UnknownOperationException", 404);
}

TEST(JsonProtocol, UnknownOrMissingTarget) {
  ExpectError(ParseJsonRequest(Service::kStepFunctions, Make("", "{}")), "UnknownOperationException");
  ExpectError(ParseJsonRequest(Service::kStepFunctions, Make("AWSStepFunctions.NoSuchThing", "{}")),
              "UnknownOperationException");
  ExpectError(ParseJsonRequest(Service::kStepFunctions, Make("AWSStepFunctions.", "{}")),
              "UnknownOperationException");
  ExpectError(ParseJsonRequest(Service::kStepFunctions, Make("TransferService.ListServers", "{}")),
              "UnknownOperationException");
  ExpectError(ParseJsonRequest(Service::kStepFunctions, Make("AWSStepFunctionsStartExecution", "{}")),
              "UnknownOperationException");
  ExpectError(ParseJsonRequest(Make("DynamoDB_20120810.ListTables", "{}")),
              "UnknownOperationException");
  EXPECT_EQ(ServiceOfTarget("AWSStepFunctions.X"), Service::kStepFunctions);
  EXPECT_EQ(ServiceOfTarget("TransferService.X"), Service::kTransfer);
  EXPECT_EQ(ServiceOfTarget("Other.X"), std::nullopt);
}

TEST(JsonProtocol, MalformedOrEmptyBody) {
  ExpectError(ParseJsonRequest(Service::kStepFunctions, Make("AWSStepFunctions.ListActivities", "{")),
              "SerializationException");
  ExpectError(ParseJsonRequest(Service::kStepFunctions, Make("AWSStepFunctions.ListActivities", "\"x\"")),
              "SerializationException");
  ExpectError(ParseJsonRequest(Service::kStepFunctions, Make("AWSStepFunctions.ListActivities", "")),
              "SerializationException");
  // With a wrong target as well, the target is what AWS complains about.
  ExpectError(ParseJsonRequest(Service::kStepFunctions, Make("AWSStepFunctions.Nope", "")),
              "UnknownOperationException");
  // A syntax error is found before the target is looked at.
  ExpectError(ParseJsonRequest(Service::kStepFunctions, Make("AWSStepFunctions.Nope", "{")),
              "SerializationException");
  // An array reaches input validation, which answers as Coral does.
  auto r = ParseJsonRequest(Service::kStepFunctions, Make("AWSStepFunctions.ListActivities", "[]"));
  ASSERT_TRUE(r.has_value());
  auto e = ValidateInput(r->service, *r->operation, r->body);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->type, "SerializationException");
}

TEST(JsonProtocol, BodyOverOneMebibyte) {
  std::string body = R"({"x": ")" + std::string(limits::kMaxRequestBytes, 'a') + R"("})";
  ExpectError(ParseJsonRequest(Service::kStepFunctions, Make("AWSStepFunctions.ListActivities", body)),
              "RequestEntityTooLargeException", 413);
  std::string fits = R"({"x": ")" + std::string(limits::kMaxRequestBytes - 10, 'a') + R"("})";
  EXPECT_TRUE(ParseJsonRequest(Service::kStepFunctions,
                               Make("AWSStepFunctions.ListActivities", fits)).has_value());
}

}  // namespace
}  // namespace stepway::api
