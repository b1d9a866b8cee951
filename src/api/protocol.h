// The AWS JSON protocol as Stepway speaks it, independent of sockets: a Request is what an HTTP
// POST carried, a Response is what to send back. Step Functions speaks JSON 1.0
// (`X-Amz-Target: AWSStepFunctions.<Op>`, errors `{"__type", "message"}`); Transfer Family
// speaks JSON 1.1 (`TransferService.<Op>`, errors `{"__type", "Message"}`).
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace stepway::api {

struct Request {
  std::string method = "POST";
  std::string target;  // http path, usually "/"
  std::vector<std::pair<std::string, std::string>> headers;  // as received, names any case
  std::string body;

  // The first header named `name` (case-insensitive), or "" when absent.
  std::string_view Header(std::string_view name) const;
};

struct Response {
  int status = 200;
  std::string content_type = "application/x-amz-json-1.0";
  std::vector<std::pair<std::string, std::string>> headers;  // extra headers
  std::string body = "{}";
};

// An error as AWS sends it: `__type` (also the X-Amzn-ErrorType header), a message, a status.
struct ApiError {
  std::string type;     // "ValidationException", "TaskTimedOut" ...
  std::string message;
  int status = 400;
};

enum class JsonVersion { k1_0, k1_1 };

// The error response: 1.0 spells the member "message", 1.1 "Message"; `extra` members (such as
// Transfer's Resource/ResourceType) are added as given (a JSON object's text, or "").
Response ErrorResponse(const ApiError& error, JsonVersion version,
                       std::string_view extra_members = "");

// Answers a request, now or later: `respond` is called exactly once, on any thread. A handler
// never sees a socket (the http module moves bytes; tests call handlers directly).
using Respond = std::function<void(Response)>;
using Handler = std::function<void(Request, Respond)>;

}  // namespace stepway::api
