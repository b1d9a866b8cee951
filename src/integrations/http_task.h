// The HTTP Task: `arn:aws:states:::http:invoke` calls an HTTP(S) API
// (https://docs.aws.amazon.com/step-functions/latest/dg/call-https-apis.html).
//
// Parameters: ApiEndpoint (the URL), Method (GET, POST, PUT, DELETE, PATCH, OPTIONS, HEAD),
// Headers, QueryParameters, RequestBody (a string is sent as is, anything else as JSON), and
// Transform {RequestBodyEncoding: NONE | URL_ENCODED, RequestEncodingOptions: {ArrayFormat:
// INDICES (default) | REPEAT | COMMAS | BRACKETS}} for form bodies (the same ArrayFormat writes
// arrays in QueryParameters). Authentication.ConnectionArn names an EventBridge connection; here
// its credentials come from the `--connections` file (LoadConnections): an API key header,
// Basic credentials, or an OAuth client-credentials grant whose token is cached until it
// expires. Without a ConnectionArn the request goes unauthenticated.
//
// The result: {"Headers": {name (lowercase): [values]}, "ResponseBody": parsed when the response
// is JSON, its text otherwise, "StatusCode": 200, "StatusText": "OK"}. Failures:
// - a status outside 2xx: `States.Http.StatusCode.NNN`, the cause that same object as JSON;
// - the API cannot be reached, or does not answer within 60 s: `States.Http.Socket`;
// - a response over the size limit: `States.DataLimitExceeded`;
// - bad parameters (no ApiEndpoint, an unknown Method, a header Step Functions reserves such as
//   Authorization, Host or X-Amz-*): `States.Runtime`; an unknown ConnectionArn or a failed
//   OAuth token request: `States.TaskFailed`, the cause saying what to configure.
//
// Thread-safe; Invoke never blocks (the HTTP client has its own thread).
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "base/result.h"
#include "integrations/http_client.h"
#include "json/json.h"
#include "runtime/integration.h"

namespace stepway::integrations {

// An EventBridge connection's credentials.
struct Connection {
  enum class Kind { kApiKey, kBasic, kOAuth };
  Kind kind = Kind::kApiKey;
  std::string api_key_name;   // kApiKey: the header
  std::string api_key_value;
  std::string username;       // kBasic
  std::string password;
  std::string token_endpoint;  // kOAuth: the authorization server's token URL
  std::string token_method = "POST";
  std::string client_id;
  std::string client_secret;
  std::string scope;  // "" for none
};
using Connections = std::map<std::string, Connection, std::less<>>;  // by ConnectionArn

// The `--connections` file: {"<connection arn>": {"ApiKey": {"Key", "Value"}} |
// {"Basic": {"Username", "Password"}} | {"OAuth": {"AuthorizationEndpoint" (or
// "TokenEndpoint"), "HttpMethod" (default POST), "ClientId", "ClientSecret", "Scope"}}}.
// kInvalidArgument naming the entry that is wrong; kNotFound when the file cannot be read.
Result<Connections> ParseConnections(std::string_view json_text);
Result<Connections> LoadConnections(const std::string& path);

struct HttpTaskOptions {
  Connections connections;
  std::string region = "us-east-1";            // in the User-Agent, as AWS sends it
  std::chrono::milliseconds timeout{60000};     // AWS: an HTTP Task times out after 60 s
  std::size_t max_response_bytes = 10 * 1024 * 1024;
};

// arn:aws:states:::http:invoke (request-response, the only pattern AWS offers for it).
bool IsHttpTask(const runtime::TaskInvocation& invocation);

class HttpTaskIntegration final : public runtime::Integration {
 public:
  explicit HttpTaskIntegration(HttpTaskOptions options);
  ~HttpTaskIntegration() override;

  void Invoke(runtime::TaskInvocation invocation,
              std::shared_ptr<runtime::TaskReporter> reporter) override;

 private:
  struct Call;
  void Send(std::shared_ptr<Call> call);
  // Adds the connection's credentials to the request, fetching (or reusing) an OAuth token
  // first, then sends it; or reports why it cannot.
  void Authorize(std::shared_ptr<Call> call);

  const HttpTaskOptions options_;
  std::mutex mu_;
  struct Token {
    std::string value;
    std::chrono::steady_clock::time_point expires;
  };
  std::map<std::string, Token> tokens_;  // OAuth access tokens by ConnectionArn; guarded by mu_
  HttpClient client_;  // last: stopped (its callbacks ended) before the rest goes
};

// Form-encodes a JSON value as the HTTP Task's URL_ENCODED transform does: members become
// key=value pairs, nested objects key[member]=..., arrays per `array_format` (INDICES key[0]=a,
// REPEAT key=a&key=b, COMMAS key=a,b, BRACKETS key[]=a). Strings go as they are, other scalars
// as their JSON.
std::string FormEncode(const json::Object& object, std::string_view array_format);

}  // namespace stepway::integrations
