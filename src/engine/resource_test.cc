// Task Resource ARNs: activities, Lambda functions, and service integrations with their patterns.
#include "engine/resource.h"

#include <gtest/gtest.h>

namespace stepway::engine {
namespace {

TEST(ResourceTest, Activity) {
  const Resource r = ParseResource("arn:aws:states:us-east-1:123456789012:activity:my-activity");
  EXPECT_EQ(r.kind, ResourceKind::kActivity);
  EXPECT_EQ(r.arn, "arn:aws:states:us-east-1:123456789012:activity:my-activity");
  EXPECT_EQ(r.region, "us-east-1");
}

TEST(ResourceTest, LambdaFunctionArns) {
  for (const char* arn : {"arn:aws:lambda:eu-west-1:123456789012:function:fn",
                          "arn:aws:lambda:eu-west-1:123456789012:function:fn:live",
                          "arn:aws:lambda:eu-west-1:123456789012:function:fn:$LATEST"}) {
    const Resource r = ParseResource(arn);
    EXPECT_EQ(r.kind, ResourceKind::kLambdaFunction) << arn;
    EXPECT_EQ(r.arn, arn);
    EXPECT_EQ(r.region, "eu-west-1");
    EXPECT_EQ(r.service, "lambda");
  }
}

TEST(ResourceTest, ServiceIntegrationsAndPatterns) {
  struct Case {
    const char* arn;
    const char* service;
    const char* action;
    TaskPattern pattern;
    const char* event_resource;
  };
  const Case cases[] = {
      {"arn:aws:states:::lambda:invoke", "lambda", "invoke", TaskPattern::kRequestResponse,
       "invoke"},
      {"arn:aws:states:::lambda:invoke.waitForTaskToken", "lambda", "invoke",
       TaskPattern::kWaitForTaskToken, "invoke.waitForTaskToken"},
      {"arn:aws:states:::sqs:sendMessage.waitForTaskToken", "sqs", "sendMessage",
       TaskPattern::kWaitForTaskToken, "sendMessage.waitForTaskToken"},
      {"arn:aws:states:::states:startExecution.sync", "states", "startExecution",
       TaskPattern::kSync, "startExecution.sync"},
      {"arn:aws:states:::states:startExecution.sync:2", "states", "startExecution",
       TaskPattern::kSync2, "startExecution.sync:2"},
      {"arn:aws:states:::ecs:runTask.sync", "ecs", "runTask", TaskPattern::kSync, "runTask.sync"},
      {"arn:aws:states:::dynamodb:putItem", "dynamodb", "putItem", TaskPattern::kRequestResponse,
       "putItem"},
      {"arn:aws:states:::aws-sdk:s3:listBuckets", "aws-sdk:s3", "listBuckets",
       TaskPattern::kRequestResponse, "listBuckets"},
      {"arn:aws:states:::http:invoke", "http", "invoke", TaskPattern::kRequestResponse, "invoke"},
  };
  for (const Case& c : cases) {
    const Resource r = ParseResource(c.arn);
    EXPECT_EQ(r.kind, ResourceKind::kService) << c.arn;
    EXPECT_EQ(r.arn, c.arn);
    EXPECT_EQ(r.region, "");
    EXPECT_EQ(r.service, c.service) << c.arn;
    EXPECT_EQ(r.action, c.action) << c.arn;
    EXPECT_EQ(r.pattern, c.pattern) << c.arn;
    EXPECT_EQ(r.EventResourceType(), c.service) << c.arn;
    EXPECT_EQ(r.EventResource(), c.event_resource) << c.arn;
  }
}

TEST(ResourceTest, AnythingElseIsUnknownAndNeverFails) {
  for (const char* arn :
       {"", "arn", "not an arn", "arn:aws:states", "arn:aws:states:::", "arn:aws:states:::lambda",
        "arn:aws:sns:us-east-1:1:topic", "arn:aws:states:us-east-1:123456789012:stateMachine:M",
        "arn:aws:lambda:us-east-1:123456789012:layer:x", "urn:aws:states:::lambda:invoke",
        ":::::::"}) {
    const Resource r = ParseResource(arn);
    EXPECT_EQ(r.kind, ResourceKind::kUnknown) << arn;
    EXPECT_EQ(r.arn, arn);
  }
}

}  // namespace
}  // namespace stepway::engine
