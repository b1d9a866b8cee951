#include "integrations/aws_services.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <mutex>

#include "api/sigv4.h"
#include "http/server.h"
#include "integrations/test_support.h"

namespace stepway::integrations {
namespace {

using ::testing::HasSubstr;
using testing::RecordingReporter;

constexpr const char* kAccessKey = "AKIDEXAMPLE";
constexpr const char* kSecret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

// A fake AWS endpoint on 127.0.0.1: answers every request with `reply` and keeps the last one.
class FakeService {
 public:
  FakeService() {
    http::ServerOptions options;
    options.port = 0;
    options.threads = 1;
    auto server = http::StartServer(options, [this](api::Request request, api::Respond respond) {
      api::Response reply;
      {
        std::lock_guard<std::mutex> lock(mu_);
        last_ = request;
        ++count_;
        reply = reply_;
      }
      respond(std::move(reply));
    });
    EXPECT_TRUE(server);
    server_ = std::move(*server);
  }
  ~FakeService() { server_->Stop(); }

  std::string url() const { return "http://127.0.0.1:" + std::to_string(server_->port()); }
  void Reply(int status, std::string content_type, std::string body) {
    std::lock_guard<std::mutex> lock(mu_);
    reply_.status = status;
    reply_.content_type = std::move(content_type);
    reply_.body = std::move(body);
    reply_.headers = {{"x-amzn-RequestId", "req-1"}};
  }
  api::Request last() {
    std::lock_guard<std::mutex> lock(mu_);
    return last_;
  }

 private:
  std::mutex mu_;
  api::Request last_;  // GUARDED_BY(mu_)
  api::Response reply_;
  int count_ = 0;
  std::unique_ptr<http::Server> server_;
};

runtime::TaskInvocation Invocation(const std::string& resource, json::Value parameters) {
  runtime::TaskInvocation i;
  i.execution_arn = "arn:aws:states:us-east-1:123456789012:execution:m:e1";
  i.state_machine_arn = testing::MachineArn("m");
  i.region = "us-east-1";
  i.command.task_id = 1;
  i.command.state_name = "Call";
  i.command.resource = std::make_shared<const engine::Resource>(engine::ParseResource(resource));
  i.command.input = std::move(parameters);
  return i;
}

class AwsServicesTest : public ::testing::Test {
 protected:
  std::unique_ptr<AwsServiceIntegration> Integration(const std::string& service) {
    AwsServicesOptions options;
    options.endpoints[service] = fake_.url();
    options.access_key_id = kAccessKey;
    options.secret_access_key = kSecret;
    options.timeout = std::chrono::milliseconds(5000);
    return std::make_unique<AwsServiceIntegration>(std::move(options));
  }

  RecordingReporter::Report Call(AwsServiceIntegration& integration,
                                 runtime::TaskInvocation invocation) {
    auto reporter = std::make_shared<RecordingReporter>();
    integration.Invoke(std::move(invocation), reporter);
    auto r = reporter->Wait();
    EXPECT_TRUE(r);
    return r ? *r : RecordingReporter::Report{};
  }

  // The last request carried a valid SigV4 signature for `service`.
  void ExpectSigned(std::string_view service) {
    const api::Request request = fake_.last();
    auto verified = api::VerifySigV4(
        request,
        [](std::string_view key) -> std::optional<std::string> {
          if (key == kAccessKey) return std::string(kSecret);
          return std::nullopt;
        },
        std::chrono::system_clock::now(), api::SigV4Options{service});
    EXPECT_TRUE(verified) << (verified ? "" : verified.error().message);
    if (verified) EXPECT_EQ(verified->region, "us-east-1");
  }

  FakeService fake_;
};

TEST_F(AwsServicesTest, SqsSendMessageIsSignedJson10) {
  fake_.Reply(200, "application/x-amz-json-1.0", R"({"MD5OfMessageBody":"abc","MessageId":"m-1"})");
  auto sqs = Integration("sqs");
  auto r = Call(*sqs, Invocation("arn:aws:states:::sqs:sendMessage",
                                 json::Object{{"QueueUrl", "http://q/1"},
                                              {"MessageBody", json::Object{{"a", 1}}}}));
  ASSERT_EQ(r.kind, "Succeeded") << r.error << " " << r.cause;
  EXPECT_EQ(json::Find(r.value, "MessageId")->get_string(), "m-1");
  EXPECT_EQ(json::Find(*json::Find(r.value, "SdkHttpMetadata"), "HttpStatusCode")->as_int64(), 200);
  EXPECT_EQ(json::Find(*json::Find(r.value, "SdkResponseMetadata"), "RequestId")->get_string(),
            "req-1");
  const api::Request request = fake_.last();
  EXPECT_EQ(request.Header("X-Amz-Target"), "AmazonSQS.SendMessage");
  EXPECT_EQ(request.Header("Content-Type"), "application/x-amz-json-1.0");
  auto body = json::Parse(request.body);
  ASSERT_TRUE(body);
  EXPECT_EQ(json::Find(*body, "MessageBody")->get_string(), R"({"a":1})");
  ExpectSigned("sqs");
}

TEST_F(AwsServicesTest, SqsErrorsAreNamedAsAwsNamesThem) {
  fake_.Reply(
      400, "application/x-amz-json-1.0",
      R"({"__type":"com.amazonaws.sqs#QueueDoesNotExist","message":"The specified queue does not exist."})");
  auto sqs = Integration("sqs");
  auto r = Call(*sqs, Invocation("arn:aws:states:::sqs:sendMessage",
                                 json::Object{{"QueueUrl", "http://q/1"}, {"MessageBody", "x"}}));
  ASSERT_EQ(r.kind, "Failed");
  EXPECT_EQ(r.error, "SQS.QueueDoesNotExistException");
  EXPECT_THAT(r.cause, HasSubstr("The specified queue does not exist."));
  EXPECT_THAT(r.cause, HasSubstr("Service: AmazonSQS; Status Code: 400"));
  EXPECT_THAT(r.cause, HasSubstr("Request ID: req-1"));
}

TEST_F(AwsServicesTest, WaitForTaskTokenSubmits) {
  fake_.Reply(200, "application/x-amz-json-1.0", R"({"MessageId":"m-2"})");
  auto sqs = Integration("sqs");
  auto r = Call(*sqs, Invocation("arn:aws:states:::sqs:sendMessage.waitForTaskToken",
                                 json::Object{{"QueueUrl", "http://q/1"}, {"MessageBody", "x"}}));
  ASSERT_EQ(r.kind, "Submitted");
  EXPECT_EQ(json::Find(r.value, "MessageId")->get_string(), "m-2");
}

TEST_F(AwsServicesTest, SnsPublishSpeaksTheQueryProtocol) {
  fake_.Reply(200, "text/xml",
              "<PublishResponse xmlns=\"http://sns.amazonaws.com/doc/2010-03-31/\"><PublishResult>"
              "<MessageId>94f20ce6-13c5-43a0-9a9e-ca52d816e90b</MessageId></PublishResult>"
              "<ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></PublishResponse>");
  auto sns = Integration("sns");
  auto r = Call(
      *sns, Invocation("arn:aws:states:::sns:publish",
                       json::Object{{"TopicArn", "arn:aws:sns:us-east-1:1:t"},
                                    {"Message", json::Object{{"k", "v w"}}},
                                    {"MessageAttributes",
                                     json::Object{{"attr", json::Object{{"DataType", "String"},
                                                                        {"StringValue", "x"}}}}}}));
  ASSERT_EQ(r.kind, "Succeeded") << r.error << " " << r.cause;
  EXPECT_EQ(json::Find(r.value, "MessageId")->get_string(), "94f20ce6-13c5-43a0-9a9e-ca52d816e90b");
  const api::Request request = fake_.last();
  EXPECT_THAT(request.body, HasSubstr("Action=Publish"));
  EXPECT_THAT(request.body, HasSubstr("TopicArn=arn%3Aaws%3Asns%3Aus-east-1%3A1%3At"));
  EXPECT_THAT(request.body, HasSubstr("Message=%7B%22k%22%3A%22v%20w%22%7D"));
  EXPECT_THAT(request.body, HasSubstr("MessageAttributes.entry.1.Name=attr"));
  EXPECT_THAT(request.body, HasSubstr("MessageAttributes.entry.1.Value.DataType=String"));
  ExpectSigned("sns");
}

TEST_F(AwsServicesTest, SnsErrorsComeFromTheXml) {
  fake_.Reply(404, "text/xml",
              "<ErrorResponse><Error><Type>Sender</Type><Code>NotFound</Code>"
              "<Message>Topic does not exist</Message></Error><RequestId>r-9</RequestId>"
              "</ErrorResponse>");
  auto sns = Integration("sns");
  auto r = Call(*sns, Invocation("arn:aws:states:::sns:publish",
                                 json::Object{{"TopicArn", "t"}, {"Message", "m"}}));
  ASSERT_EQ(r.kind, "Failed");
  EXPECT_EQ(r.error, "SNS.NotFoundException");
  EXPECT_THAT(r.cause, HasSubstr("Topic does not exist"));
}

TEST_F(AwsServicesTest, PutEventsFailedEntryFailsTheTask) {
  fake_.Reply(
      200, "application/x-amz-json-1.1",
      R"({"Entries":[{"ErrorCode":"InvalidArgument","ErrorMessage":"no"}],"FailedEntryCount":1})");
  auto events = Integration("events");
  auto r = Call(*events, Invocation("arn:aws:states:::events:putEvents",
                                    json::Object{{"Entries", json::Array{json::Object{
                                                                 {"Detail", json::Object{{"a", 1}}},
                                                                 {"DetailType", "t"},
                                                                 {"Source", "s"}}}}}));
  ASSERT_EQ(r.kind, "Failed");
  EXPECT_EQ(r.error, "EventBridge.FailedEntry");
  EXPECT_THAT(r.cause, HasSubstr(R"("FailedEntryCount":1)"));
  const api::Request request = fake_.last();
  EXPECT_EQ(request.Header("X-Amz-Target"), "AWSEvents.PutEvents");
  EXPECT_EQ(request.Header("Content-Type"), "application/x-amz-json-1.1");
  EXPECT_THAT(request.body, HasSubstr(R"("Detail":"{\"a\":1}")"));
  ExpectSigned("events");
}

TEST_F(AwsServicesTest, DynamoDbConditionalCheckFailed) {
  fake_.Reply(
      400, "application/x-amz-json-1.0",
      R"({"__type":"com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException","message":"The conditional request failed"})");
  auto ddb = Integration("dynamodb");
  auto r = Call(*ddb,
                Invocation("arn:aws:states:::dynamodb:putItem",
                           json::Object{{"TableName", "t"},
                                        {"Item", json::Object{{"id", json::Object{{"S", "1"}}}}}}));
  ASSERT_EQ(r.kind, "Failed");
  EXPECT_EQ(r.error, "DynamoDB.ConditionalCheckFailedException");
  EXPECT_EQ(fake_.last().Header("X-Amz-Target"), "DynamoDB_20120810.PutItem");
  ExpectSigned("dynamodb");
}

TEST_F(AwsServicesTest, AwsSdkSfnUsesCamelCaseOnTheWire) {
  fake_.Reply(200, "application/x-amz-json-1.0", R"({"executionArn":"arn:x","startDate":1.7E9})");
  auto sfn = Integration("sfn");
  auto r = Call(*sfn, Invocation("arn:aws:states:::aws-sdk:sfn:startExecution",
                                 json::Object{{"StateMachineArn", "arn:sm"}, {"Input", "{}"}}));
  ASSERT_EQ(r.kind, "Succeeded") << r.error << " " << r.cause;
  EXPECT_EQ(json::Find(r.value, "ExecutionArn")->get_string(), "arn:x");
  EXPECT_EQ(json::Find(r.value, "SdkHttpMetadata"), nullptr);
  const api::Request request = fake_.last();
  EXPECT_EQ(request.Header("X-Amz-Target"), "AWSStepFunctions.StartExecution");
  EXPECT_THAT(request.body, HasSubstr(R"("stateMachineArn":"arn:sm")"));
  ExpectSigned("states");
}

TEST_F(AwsServicesTest, AwsSdkErrorsUseTheSdkServiceName) {
  fake_.Reply(
      400, "application/x-amz-json-1.1",
      R"({"__type":"ResourceNotFoundException","Message":"Secrets Manager can't find the specified secret."})");
  auto sm = Integration("secretsmanager");
  auto r = Call(*sm, Invocation("arn:aws:states:::aws-sdk:secretsmanager:getSecretValue",
                                json::Object{{"SecretId", "s"}}));
  ASSERT_EQ(r.kind, "Failed");
  EXPECT_EQ(r.error, "SecretsManager.ResourceNotFoundException");
  EXPECT_EQ(fake_.last().Header("X-Amz-Target"), "secretsmanager.GetSecretValue");
}

TEST_F(AwsServicesTest, EndpointAliasesWorkBothWays) {
  fake_.Reply(200, "application/x-amz-json-1.1", R"({"Entries":[],"FailedEntryCount":0})");
  auto events = Integration("eventbridge");  // configured under the SDK's name
  auto r = Call(*events, Invocation("arn:aws:states:::events:putEvents",
                                    json::Object{{"Entries", json::Array()}}));
  EXPECT_EQ(r.kind, "Succeeded") << r.error << " " << r.cause;
}

TEST(AwsServices, UnconfiguredServiceNamesTheFlag) {
  AwsServiceIntegration integration(AwsServicesOptions{});
  auto reporter = std::make_shared<RecordingReporter>();
  integration.Invoke(Invocation("arn:aws:states:::sqs:sendMessage", json::Object{}), reporter);
  auto r = reporter->Wait();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->error, "States.TaskFailed");
  EXPECT_THAT(r->cause, HasSubstr("--endpoint sqs=URL"));
}

TEST(AwsServices, UnconfiguredCallbacksAreLeftToWaitForTheirToken) {
  AwsServicesOptions options;
  options.endpoints["sns"] = "http://127.0.0.1:1";
  AwsServiceIntegration integration(std::move(options));
  EXPECT_FALSE(integration.Matches(
      Invocation("arn:aws:states:::sqs:sendMessage.waitForTaskToken", json::Object{})));
  EXPECT_TRUE(integration.Matches(Invocation("arn:aws:states:::sqs:sendMessage", json::Object{})));
  EXPECT_TRUE(integration.Matches(
      Invocation("arn:aws:states:::sns:publish.waitForTaskToken", json::Object{})));
}

TEST(AwsServices, UnreachableEndpointIsAnSdkClientException) {
  AwsServicesOptions options;
  options.endpoints["dynamodb"] = "http://127.0.0.1:1";
  AwsServiceIntegration integration(std::move(options));
  auto reporter = std::make_shared<RecordingReporter>();
  integration.Invoke(Invocation("arn:aws:states:::dynamodb:getItem", json::Object{}), reporter);
  auto r = reporter->Wait();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->error, "DynamoDB.SdkClientException");
}

TEST(AwsServices, Matcher) {
  auto matches = [](const std::string& arn) {
    return IsAwsService(Invocation(arn, json::Object{}));
  };
  EXPECT_TRUE(matches("arn:aws:states:::sqs:sendMessage.waitForTaskToken"));
  EXPECT_TRUE(matches("arn:aws:states:::dynamodb:getItem"));
  EXPECT_TRUE(matches("arn:aws:states:::aws-sdk:kinesis:putRecord"));
  EXPECT_FALSE(matches("arn:aws:states:::aws-sdk:lambda:invoke"));
  EXPECT_FALSE(matches("arn:aws:states:::lambda:invoke"));
  EXPECT_FALSE(matches("arn:aws:states:::states:startExecution.sync"));
}

}  // namespace
}  // namespace stepway::integrations
