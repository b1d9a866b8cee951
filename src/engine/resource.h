// What a Task state's Resource names: an activity, a Lambda function, or a service integration
// with its pattern (request-response, .sync, .sync:2, .waitForTaskToken).
#pragma once

#include <string>
#include <string_view>

namespace stepway::engine {

enum class ResourceKind { kActivity, kLambdaFunction, kService, kUnknown };
enum class TaskPattern { kRequestResponse, kSync, kSync2, kWaitForTaskToken };

struct Resource {
  ResourceKind kind = ResourceKind::kUnknown;
  std::string arn;      // as written
  std::string region;   // from the ARN, may be empty
  std::string service;  // "lambda", "sqs", "states", "aws-sdk:dynamodb" ...
  std::string action;   // "invoke", "sendMessage", "startExecution" ...
  TaskPattern pattern = TaskPattern::kRequestResponse;

  // The resourceType/resource pair of TaskScheduled events: ("lambda", "invoke"),
  // ("sqs", "sendMessage.waitForTaskToken").
  std::string EventResourceType() const;
  std::string EventResource() const;
};

// Classifies an ARN. Never fails: anything unrecognised is kUnknown.
Resource ParseResource(std::string_view arn);

}  // namespace stepway::engine
