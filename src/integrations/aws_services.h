// AWS services at configured endpoints (`stepway serve --endpoint SERVICE=URL`), called with
// SigV4-signed requests as the AWS SDKs make them:
//
// - `sqs:sendMessage` — JSON 1.0, `AmazonSQS.SendMessage` (a MessageBody given as JSON is sent as
//   its text); errors `SQS.<Code>Exception` (SQS.QueueDoesNotExistException).
// - `sns:publish` — the query protocol (Action=Publish, form-encoded; the XML answer's
//   MessageId); errors `SNS.<Code>Exception`.
// - `events:putEvents` — JSON 1.1, `AWSEvents.PutEvents` (an entry's Detail given as JSON is sent
//   as its text); a rejected entry fails the task with `EventBridge.FailedEntry`.
// - `dynamodb:getItem|putItem|updateItem|deleteItem` — JSON 1.0, `DynamoDB_20120810.*`; errors
//   `DynamoDB.<Code>Exception` (DynamoDB.ConditionalCheckFailedException).
// - `aws-sdk:SERVICE:action` for the JSON-protocol services of kJsonServices (dynamodb, sqs,
//   eventbridge, kinesis, sfn, secretsmanager, ssm, logs, kms, ecs): the action's PascalCase name
//   is the operation, Parameters are its request, the response is the task's result; errors
//   `<ServiceName>.<Code>Exception` with the SDK's service name (DynamoDb., Sfn., Sqs. ...), as
//   https://docs.aws.amazon.com/step-functions/latest/dg/supported-services-awssdk.html names them.
//
// Every call may be `.waitForTaskToken`: the task reports Submitted(response) and then waits for
// its token. A failure to reach the endpoint fails the task with `<Prefix>.SdkClientException`;
// a service without a configured endpoint with States.TaskFailed naming the `--endpoint` to add
// — except a `.waitForTaskToken` task, which Matches() leaves to the runtime: with no endpoint
// it just waits for its token (so callback workflows run without any service behind them).
//
// Thread-safe; Invoke never blocks (the HTTP client has its own thread).
#pragma once

#include <map>
#include <memory>
#include <string>

#include "api/protocol.h"
#include "integrations/http_client.h"
#include "runtime/integration.h"

namespace stepway::integrations {

struct AwsServicesOptions {
  // Service name -> base URL ("sqs" -> "http://127.0.0.1:9324"). Aliases are accepted both ways:
  // events/eventbridge, states/sfn.
  std::map<std::string, std::string> endpoints;
  std::string access_key_id;  // "": requests go unsigned
  std::string secret_access_key;
  std::string region = "us-east-1";
  std::chrono::milliseconds timeout{30000};
};

// True for the resources this integration serves: sqs:, sns:, events:, dynamodb: and every
// aws-sdk: resource except aws-sdk:lambda (a REST service, left to the Lambda integration).
bool IsAwsService(const runtime::TaskInvocation& invocation);

// Signs `request` (method, target, headers with Host, body) with SigV4 at `now`: adds
// X-Amz-Date and Authorization. `service` is the signing name ("sqs", "states" ...).
void SignRequest(api::Request& request, std::string_view access_key_id,
                 std::string_view secret_access_key, std::string_view region,
                 std::string_view service, std::chrono::system_clock::time_point now);

class AwsServiceIntegration final : public runtime::Integration {
 public:
  explicit AwsServiceIntegration(AwsServicesOptions options);
  ~AwsServiceIntegration() override;

  // IsAwsService, less the `.waitForTaskToken` tasks of services without an endpoint.
  bool Matches(const runtime::TaskInvocation& invocation) const;

  void Invoke(runtime::TaskInvocation invocation,
              std::shared_ptr<runtime::TaskReporter> reporter) override;

 private:
  struct Call;
  // The configured base URL of the service a resource names ("sqs", "aws-sdk:sfn" ...), or "".
  std::string EndpointOf(const engine::Resource& resource) const;
  void Send(std::shared_ptr<Call> call, std::shared_ptr<runtime::TaskReporter> reporter);

  AwsServicesOptions options_;
  HttpClient client_;  // last: stopped (its callbacks ended) before the rest goes
};

}  // namespace stepway::integrations
