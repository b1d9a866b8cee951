// The AWS JSON protocol's envelope (1.0 for Step Functions, 1.1 for Transfer Family): which
// operation a Request names and its parsed body, with AWS's errors when either is wrong.
//
// A request is answered in Coral's order: size, content type, empty body, JSON syntax, the
// operation named by X-Amz-Target; then (callers, in this order) VerifySigV4 (sigv4.h),
// ValidateInput (model.h), and the operation's handler. Pure functions, thread-safe.
#pragma once

#include <optional>
#include <string_view>

#include <tl/expected.hpp>

#include "api/model.h"
#include "api/protocol.h"
#include "json/json.h"

namespace stepway::api {

struct JsonRequest {
  Service service = Service::kStepFunctions;
  const Operation* operation = nullptr;  // never null on success
  json::Value body;                      // a JSON object, or an array (left to ValidateInput)
};

// The service whose target prefix X-Amz-Target names ("AWSStepFunctions.StartExecution" ->
// kStepFunctions, "TransferService.CreateServer" -> kTransfer), or nullopt.
std::optional<Service> ServiceOfTarget(std::string_view x_amz_target);

// Decodes `request` as a call to `service`. On failure, AWS's error:
// - body over 1 MiB (limits::kMaxRequestBytes): 413 `RequestEntityTooLargeException`;
// - a method other than POST, or a Content-Type that is not JSON (anything but
//   application/x-amz-json-1.0, -1.1, application/json, or none): 404 `UnknownOperationException`
//   (both JSON versions are accepted for either service, as botocore and the JS SDK differ);
// - an empty body: `SerializationException` (or `UnknownOperationException` when the target is
//   wrong too);
// - JSON that does not parse, or parses to a string, number, boolean or null:
//   `SerializationException`;
// - X-Amz-Target missing, of another service, or naming no operation of this one:
//   `UnknownOperationException`.
// Errors carry no message, as Coral's do; all are status 400 unless stated.
tl::expected<JsonRequest, ApiError> ParseJsonRequest(Service service, const Request& request);

// ParseJsonRequest for the service ServiceOfTarget names; UnknownOperationException when it
// names none (after the size, method, content-type and body checks).
tl::expected<JsonRequest, ApiError> ParseJsonRequest(const Request& request);

}  // namespace stepway::api
