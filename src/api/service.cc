#include "api/service.h"

#include <chrono>

#include "api/json_protocol.h"
#include "api/model.h"
#include "api/sfn/operations.h"
#include "api/sigv4.h"

namespace stepway::api {

namespace sfn {

Operation FindOperation(std::string_view name) {
  struct Entry {
    std::string_view name;
    Operation op;
  };
  static constexpr Entry kOperations[] = {
      {"CreateActivity", CreateActivity},
      {"CreateStateMachine", CreateStateMachine},
      {"DeleteActivity", DeleteActivity},
      {"DeleteStateMachine", DeleteStateMachine},
      {"DescribeActivity", DescribeActivity},
      {"DescribeExecution", DescribeExecution},
      {"DescribeStateMachine", DescribeStateMachine},
      {"DescribeStateMachineForExecution", DescribeStateMachineForExecution},
      {"GetActivityTask", GetActivityTask},
      {"GetExecutionHistory", GetExecutionHistory},
      {"ListActivities", ListActivities},
      {"ListExecutions", ListExecutions},
      {"ListStateMachines", ListStateMachines},
      {"ListTagsForResource", ListTagsForResource},
      {"SendTaskFailure", SendTaskFailure},
      {"SendTaskHeartbeat", SendTaskHeartbeat},
      {"SendTaskSuccess", SendTaskSuccess},
      {"StartExecution", StartExecution},
      {"StartSyncExecution", StartSyncExecution},
      {"StopExecution", StopExecution},
      {"TagResource", TagResource},
      {"UntagResource", UntagResource},
      {"UpdateStateMachine", UpdateStateMachine},
      {"ValidateStateMachineDefinition", ValidateStateMachineDefinition},
  };
  for (const Entry& e : kOperations) {
    if (e.name == name) return e.op;
  }
  return nullptr;
}

}  // namespace sfn

Handler NewServiceHandler(sfn::Context& context, ServiceOptions options) {
  auto shared = std::make_shared<ServiceOptions>(std::move(options));
  return [&context, shared](Request request, Respond respond) {
    auto parsed = ParseJsonRequest(request);
    if (!parsed) {
      return respond(ErrorResponse(parsed.error(), JsonVersion::k1_0));
    }
    const JsonVersion version = ProtocolVersion(parsed->service);
    if (!shared->credentials.empty()) {
      SecretLookup lookup = [shared](std::string_view key) -> std::optional<std::string> {
        auto it = shared->credentials.find(std::string(key));
        if (it == shared->credentials.end()) return std::nullopt;
        return it->second;
      };
      auto identity = VerifySigV4(request, lookup, std::chrono::system_clock::now());
      if (!identity) return respond(ErrorResponse(identity.error(), version));
    }
    if (auto error = ValidateInput(parsed->service, *parsed->operation, parsed->body)) {
      return respond(ErrorResponse(*error, version));
    }
    static const json::Object kEmpty;
    const json::Object& body = parsed->body.is_object() ? parsed->body.get_object() : kEmpty;
    if (parsed->service == Service::kTransfer && shared->transfer) {
      return shared->transfer(parsed->operation->name, body, std::move(respond));
    }
    if (parsed->service != Service::kStepFunctions) {
      return respond(ErrorResponse(
          ApiError{"UnknownOperationException",
                   "Transfer Family operations are not served by this Stepway yet", 400},
          version));
    }
    sfn::Operation op = sfn::FindOperation(parsed->operation->name);
    if (op == nullptr) {
      return respond(ErrorResponse(
          ApiError{"UnsupportedOperation",
                   "Stepway does not support " + std::string(parsed->operation->name) + " yet",
                   400},
          version));
    }
    op(context, body, std::move(respond));
  };
}

}  // namespace stepway::api
