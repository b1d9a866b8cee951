#include "integrations/lambda.h"

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstring>
#include <ctime>

#include "base/limits.h"
#include "base/time.h"
#include "json/json.h"

namespace stepway::integrations {

namespace {

using runtime::TaskInvocation;
using runtime::TaskReporter;

constexpr std::string_view kUnknownCause =
    "The cause could not be determined because Lambda did not return an error type. "
    "Returned payload: ";

std::vector<std::string_view> Split(std::string_view s, char sep) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  while (true) {
    const std::size_t pos = s.find(sep, start);
    if (pos == std::string_view::npos) {
      parts.push_back(s.substr(start));
      return parts;
    }
    parts.push_back(s.substr(start, pos - start));
    start = pos + 1;
  }
}

bool ValidName(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_';
  });
}

bool ValidQualifier(std::string_view q) {
  if (q.empty() || q.size() > 128) return false;
  return std::all_of(q.begin(), q.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '$';
  });
}

// Cuts UTF-8 text to at most `max` bytes without splitting a character.
std::string Truncate(std::string text, std::size_t max) {
  if (text.size() <= max) return text;
  std::size_t n = max;
  while (n > 0 && (static_cast<unsigned char>(text[n]) & 0xC0) == 0x80) --n;
  text.resize(n);
  return text;
}

void ReportFailure(TaskReporter& reporter, std::string error, std::string cause) {
  reporter.Failed(Truncate(std::move(error), limits::kMaxErrorLength),
                  Truncate(std::move(cause), limits::kMaxCauseLength));
}

// "Tue, 21 Nov 2023 00:06:05 GMT"
std::string HttpDate() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  return buf;
}

std::string Lowercase(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// What Lambda answered an Invoke (status 2xx).
struct Answer {
  int status = 200;
  std::string function_error;    // X-Amz-Function-Error: "Unhandled", or ""
  std::string payload;
  std::string executed_version;  // "" when Lambda sent none (Event, DryRun)
  HttpHeaders headers;
};

// The task's failure for a function error: the function's errorType and its whole answer, or
// Lambda.Unknown when it named no errorType.
std::pair<std::string, std::string> FunctionFailure(const std::string& payload) {
  auto parsed = json::Parse(payload);
  if (parsed && parsed->is_object()) {
    const json::Value* type = json::Find(*parsed, "errorType");
    if (type && type->is_string() && !type->as_string().empty()) {
      return {std::string(type->as_string()), json::Serialize(*parsed)};
    }
    return {"Lambda.Unknown", std::string(kUnknownCause) + json::Serialize(*parsed)};
  }
  return {"Lambda.Unknown", std::string(kUnknownCause) + payload};
}

json::Value PayloadValue(const std::string& payload, bool synchronous) {
  if (payload.empty()) return synchronous ? json::Value(nullptr) : json::Value("");
  auto parsed = json::Parse(payload);
  if (parsed) return std::move(*parsed);
  return json::Value(payload);
}

json::Value SdkHttpMetadata(const Answer& answer) {
  json::Object all, single;
  for (const auto& [name, value] : answer.headers) {
    json::Value& list = all[name];
    if (!list.is_array()) list = json::Array();
    list.as_array().emplace_back(value);
    if (!single.contains(name)) single[name] = value;
  }
  json::Object metadata;
  metadata["AllHttpHeaders"] = std::move(all);
  metadata["HttpHeaders"] = std::move(single);
  metadata["HttpStatusCode"] = answer.status;
  return metadata;
}

std::string SignalName(int signal) {
  const char* name = strsignal(signal);
  std::string s = name ? name : ("signal " + std::to_string(signal));
  return Lowercase(std::move(s));
}

std::string FormatSeconds(std::chrono::milliseconds d) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", double(d.count()) / 1000.0);
  return buf;
}

}  // namespace

bool IsLambda(const TaskInvocation& invocation) {
  const engine::Resource& r = *invocation.command.resource;
  if (r.kind == engine::ResourceKind::kLambdaFunction) return true;
  return r.kind == engine::ResourceKind::kService && r.service == "lambda" &&
         r.action == "invoke" &&
         (r.pattern == engine::TaskPattern::kRequestResponse ||
          r.pattern == engine::TaskPattern::kWaitForTaskToken);
}

std::optional<FunctionName> ParseFunctionName(std::string_view text) {
  const auto parts = Split(text, ':');
  FunctionName f;
  std::size_t at = 0;  // where NAME is
  if (parts.size() >= 7 && parts[0] == "arn" && parts[2] == "lambda" && parts[5] == "function") {
    at = 6;  // arn:aws:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER]
  } else if (parts.size() >= 3 && parts[1] == "function") {
    at = 2;  // ACCOUNT:function:NAME[:QUALIFIER]
  } else if (parts.size() <= 2) {
    at = 0;  // NAME[:QUALIFIER]
  } else {
    return std::nullopt;
  }
  if (parts.size() > at + 2) return std::nullopt;
  f.name = std::string(parts[at]);
  if (!ValidName(f.name)) return std::nullopt;
  if (parts.size() == at + 2) {
    f.qualifier = std::string(parts[at + 1]);
    if (!ValidQualifier(f.qualifier)) return std::nullopt;
  }
  return f;
}

struct LambdaIntegration::Call {
  Key key;
  std::string region;
  std::string account;
  std::shared_ptr<TaskReporter> reporter;
  bool legacy = false;
  bool wait_for_token = false;
  FunctionName function;
  std::string payload;  // the JSON text sent
  std::string invocation_type = "RequestResponse";
  std::string client_context;
  std::string request_id;
  ProcessRunner::Id process = 0;  // guarded by the integration's mu_
  bool cancelled = false;         // guarded by the integration's mu_

  std::string FunctionArn() const {
    return "arn:aws:lambda:" + region + ":" + account + ":function:" + function.name;
  }
  bool Synchronous() const { return invocation_type == "RequestResponse"; }

  // A Lambda service error, as the AWS SDK for Java words it.
  void ServiceError(std::string_view code, int status, std::string_view message) const {
    ReportFailure(*reporter, "Lambda." + std::string(code),
         std::string(message) + " (Service: AWSLambda; Status Code: " + std::to_string(status) +
             "; Error Code: " + std::string(code) + "; Request ID: " + request_id +
             "; Proxy: null)");
  }

  // Reports Lambda's answer: the function's failure, or the result.
  void Report(Answer answer) const {
    if (!answer.function_error.empty()) {
      auto [error, cause] = FunctionFailure(answer.payload);
      ReportFailure(*reporter, std::move(error), std::move(cause));
      return;
    }
    json::Value payload = PayloadValue(answer.payload, Synchronous());
    if (legacy) {
      reporter->Succeeded(std::move(payload));
      return;
    }
    json::Object out;
    if (!answer.executed_version.empty()) out["ExecutedVersion"] = answer.executed_version;
    out["Payload"] = std::move(payload);
    out["SdkHttpMetadata"] = SdkHttpMetadata(answer);
    json::Object response_metadata;
    response_metadata["RequestId"] = request_id;
    out["SdkResponseMetadata"] = std::move(response_metadata);
    out["StatusCode"] = answer.status;
    if (wait_for_token) {
      reporter->Submitted(std::move(out));
    } else {
      reporter->Succeeded(std::move(out));
    }
  }

  // The headers Lambda sends with an answer, for answers made here.
  HttpHeaders LocalHeaders(const Answer& answer) const {
    HttpHeaders h = {{"Connection", "keep-alive"},
                     {"Content-Length", std::to_string(answer.payload.size())},
                     {"Content-Type", "application/json"},
                     {"Date", HttpDate()}};
    if (!answer.executed_version.empty()) h.emplace_back("X-Amz-Executed-Version", answer.executed_version);
    if (!answer.function_error.empty()) h.emplace_back("X-Amz-Function-Error", answer.function_error);
    h.emplace_back("x-amzn-Remapped-Content-Length", "0");
    h.emplace_back("x-amzn-RequestId", request_id);
    return h;
  }
};

LambdaIntegration::LambdaIntegration(LambdaOptions options)
    : options_(std::move(options)), base_environment_(CurrentEnvironment()) {
  runner_ = std::make_unique<ProcessRunner>();
  if (!options_.endpoint.empty()) http_ = std::make_unique<HttpClient>();
}

LambdaIntegration::~LambdaIntegration() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  if (http_) http_->Stop();
  runner_.reset();  // kills what still runs
}

void LambdaIntegration::SetServiceEndpoint(std::string url) {
  std::lock_guard<std::mutex> lock(mu_);
  service_endpoint_ = std::move(url);
}

std::string LambdaIntegration::NewRequestId() {
  std::lock_guard<std::mutex> lock(mu_);
  return NewUuid(random_);
}

void LambdaIntegration::Invoke(TaskInvocation invocation, std::shared_ptr<TaskReporter> reporter) {
  auto call = std::make_shared<Call>();
  call->key = {invocation.execution_arn, invocation.command.task_id};
  call->region = invocation.region;
  call->account = invocation.account;
  call->reporter = std::move(reporter);
  call->request_id = NewRequestId();
  const engine::Resource& r = *invocation.command.resource;
  if (!r.region.empty()) call->region = r.region;
  if (r.kind == engine::ResourceKind::kLambdaFunction) {
    call->legacy = true;
    // arn:aws:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER]
    const auto parts = Split(r.arn, ':');
    if (parts.size() > 4 && !parts[4].empty()) call->account = std::string(parts[4]);
    auto f = ParseFunctionName(r.arn);
    if (!f) {
      call->ServiceError("ResourceNotFoundException", 404, "Function not found: " + r.arn);
      return;
    }
    call->function = std::move(*f);
    call->payload = json::Serialize(invocation.command.input);
  } else {
    call->wait_for_token = r.pattern == engine::TaskPattern::kWaitForTaskToken;
    const json::Value& params = invocation.command.input;
    const json::Value* name = json::Find(params, "FunctionName");
    if (name == nullptr || !name->is_string()) {
      ReportFailure(*call->reporter, "States.Runtime",
           "The field 'FunctionName' is required and must be a string for the resource " + r.arn);
      return;
    }
    auto f = ParseFunctionName(name->as_string());
    if (!f) {
      call->ServiceError("ValidationException", 400,
                         "1 validation error detected: Value '" +
                             std::string(name->as_string()) +
                             "' at 'functionName' failed to satisfy constraint: Member must "
                             "satisfy regular expression pattern: (arn:(aws[a-zA-Z-]*)?:lambda:)"
                             "?([a-z]{2}(-gov)?-[a-z]+-\\d{1}:)?(\\d{12}:)?(function:)?"
                             "([a-zA-Z0-9-_\\.]+)(:(\\$LATEST|[a-zA-Z0-9-_]+))?");
      return;
    }
    call->function = std::move(*f);
    const auto name_parts = Split(name->as_string(), ':');
    if (name_parts.size() >= 7 && name_parts[0] == "arn") {
      if (!name_parts[3].empty()) call->region = std::string(name_parts[3]);
      if (!name_parts[4].empty()) call->account = std::string(name_parts[4]);
    }
    if (const json::Value* q = json::Find(params, "Qualifier"); q && q->is_string()) {
      call->function.qualifier = std::string(q->as_string());
    }
    if (const json::Value* t = json::Find(params, "InvocationType"); t && t->is_string()) {
      call->invocation_type = std::string(t->as_string());
      if (call->invocation_type != "RequestResponse" && call->invocation_type != "Event" &&
          call->invocation_type != "DryRun") {
        call->ServiceError("ValidationException", 400,
                           "1 validation error detected: Value '" + call->invocation_type +
                               "' at 'invocationType' failed to satisfy constraint: Member must "
                               "satisfy enum value set: [Event, RequestResponse, DryRun]");
        return;
      }
    }
    if (const json::Value* c = json::Find(params, "ClientContext"); c && c->is_string()) {
      call->client_context = std::string(c->as_string());
    }
    // Payload: JSON text given as a string is sent as is; any other value as its JSON.
    const json::Value* payload = json::Find(params, "Payload");
    if (payload == nullptr || payload->is_null()) {
      call->payload = "{}";
    } else if (payload->is_string() && json::Parse(payload->as_string())) {
      call->payload = std::string(payload->as_string());
    } else {
      call->payload = json::Serialize(*payload);
    }
  }
  Admit(std::move(call));
}

void LambdaIntegration::Admit(std::shared_ptr<Call> call) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) return;
    calls_[call->key] = call;
    if (running_ >= std::max(1, options_.concurrency)) {
      waiting_.push_back(std::move(call));
      return;
    }
    ++running_;
  }
  Run(std::move(call));
}

void LambdaIntegration::Run(std::shared_ptr<Call> call) {
  if (http_) {
    RunRemote(std::move(call));
  } else {
    RunProcess(std::move(call));
  }
}

void LambdaIntegration::Finish(const std::shared_ptr<Call>& call) {
  std::shared_ptr<Call> next;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (auto it = calls_.find(call->key); it != calls_.end() && it->second == call) calls_.erase(it);
    --running_;
    if (stopping_) return;
    while (!waiting_.empty() && !next) {
      next = std::move(waiting_.front());
      waiting_.pop_front();
      if (next->cancelled) next.reset();
    }
    if (next) ++running_;
  }
  if (next) Run(std::move(next));
}

void LambdaIntegration::Cancel(const std::string& execution_arn, std::int64_t task_id) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = calls_.find({execution_arn, task_id});
  if (it == calls_.end()) return;
  std::shared_ptr<Call> call = it->second;
  call->cancelled = true;
  if (auto w = std::find(waiting_.begin(), waiting_.end(), call); w != waiting_.end()) {
    waiting_.erase(w);
    calls_.erase(it);
    return;
  }
  if (call->process != 0) runner_->Kill(call->process);
}

std::vector<std::string> LambdaIntegration::ProcessEnvironment(const Call& call) {
  std::string service_endpoint;
  {
    std::lock_guard<std::mutex> lock(mu_);
    service_endpoint = service_endpoint_;
  }
  std::vector<std::pair<std::string, std::string>> set = {
      {"AWS_LAMBDA_FUNCTION_NAME", call.function.name},
      {"AWS_LAMBDA_FUNCTION_VERSION", "$LATEST"},
      {"AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128"},
      {"AWS_REGION", call.region},
      {"AWS_DEFAULT_REGION", call.region},
      {"STEPWAY_EXECUTION_ARN", call.key.first},
      {"STEPWAY_REQUEST_ID", call.request_id},
  };
  if (!call.client_context.empty()) set.emplace_back("STEPWAY_CLIENT_CONTEXT", call.client_context);
  bool has_sfn_endpoint = false;
  bool has_transfer_endpoint = false;
  for (const std::string& e : base_environment_) {
    if (e.starts_with("AWS_ENDPOINT_URL_SFN=")) has_sfn_endpoint = true;
    if (e.starts_with("AWS_ENDPOINT_URL_TRANSFER=")) has_transfer_endpoint = true;
  }
  if (!service_endpoint.empty()) {
    set.emplace_back("STEPWAY_ENDPOINT", service_endpoint);
    if (!has_sfn_endpoint) set.emplace_back("AWS_ENDPOINT_URL_SFN", service_endpoint);
    if (!has_transfer_endpoint) set.emplace_back("AWS_ENDPOINT_URL_TRANSFER", service_endpoint);
  }
  std::vector<std::string> env;
  env.reserve(base_environment_.size() + set.size());
  for (const std::string& e : base_environment_) {
    const std::string_view name = std::string_view(e).substr(0, e.find('='));
    const bool replaced =
        std::any_of(set.begin(), set.end(), [&](const auto& kv) { return kv.first == name; });
    if (!replaced) env.push_back(e);
  }
  for (auto& [k, v] : set) env.push_back(k + "=" + v);
  return env;
}

void LambdaIntegration::RunProcess(std::shared_ptr<Call> call) {
  const std::string path = options_.functions_dir + "/" + call->function.name;
  if (options_.functions_dir.empty() || ::access(path.c_str(), X_OK) != 0) {
    call->ServiceError("ResourceNotFoundException", 404, "Function not found: " + call->FunctionArn());
    Finish(call);
    return;
  }
  if (call->invocation_type == "DryRun") {
    Answer answer;
    answer.status = 204;
    answer.headers = call->LocalHeaders(answer);
    call->Report(std::move(answer));
    Finish(call);
    return;
  }
  ProcessSpec spec;
  spec.path = path;
  spec.env = ProcessEnvironment(*call);
  spec.stdin_data = call->payload;
  spec.timeout = options_.timeout;
  spec.max_stdout_bytes = kLambdaMaxResponseBytes;
  spec.on_stderr_line = [prefix = call->key.first + " lambda " + call->function.name + ": "](
                            std::string_view line) {
    std::fprintf(stderr, "%s%.*s\n", prefix.c_str(), int(line.size()), line.data());
  };
  const bool synchronous = call->Synchronous();
  const std::chrono::milliseconds timeout = options_.timeout;
  auto started = runner_->Start(std::move(spec), [this, call, synchronous,
                                                  timeout](ProcessOutcome outcome) {
    bool cancelled;
    {
      std::lock_guard<std::mutex> lock(mu_);
      cancelled = call->cancelled;
    }
    if (cancelled || outcome.end == ProcessOutcome::End::kKilled) {
      Finish(call);
      return;
    }
    Answer answer;
    answer.executed_version = "$LATEST";
    const std::string request_id = call->request_id;
    switch (outcome.end) {
      case ProcessOutcome::End::kExited:
        if (outcome.stdout_truncated) {
          answer.function_error = "Unhandled";
          answer.payload =
              R"({"errorMessage":"Response payload size exceeded maximum allowed payload size ()" +
              std::to_string(kLambdaMaxResponseBytes) +
              R"( bytes).","errorType":"Function.ResponseSizeTooLarge"})";
        } else if (outcome.code == 0 && !outcome.stdout_data.empty() &&
                   !json::Parse(outcome.stdout_data)) {
          // A function that answers with something that is not JSON has failed: the task
          // fails (Lambda.Unknown) where Retry and Catch see it.
          answer.function_error = "Unhandled";
          json::Object error;
          error["errorMessage"] = "The function's answer is not valid JSON: " +
                                  outcome.stdout_data.substr(0, 256);
          answer.payload = json::Serialize(error);
        } else if (outcome.code == 0) {
          answer.payload = std::move(outcome.stdout_data);
        } else {
          answer.function_error = "Unhandled";
          auto parsed = json::Parse(outcome.stdout_data);
          const json::Value* type = parsed ? json::Find(*parsed, "errorType") : nullptr;
          if (type && type->is_string()) {
            answer.payload = std::move(outcome.stdout_data);
          } else {
            json::Object error;
            error["errorType"] = "Runtime.ExitError";
            error["errorMessage"] = "RequestId: " + request_id +
                                    " Error: Runtime exited with error: exit status " +
                                    std::to_string(outcome.code);
            answer.payload = json::Serialize(error);
          }
        }
        break;
      case ProcessOutcome::End::kSignaled: {
        answer.function_error = "Unhandled";
        json::Object error;
        error["errorType"] = "Runtime.ExitError";
        error["errorMessage"] = "RequestId: " + request_id +
                                " Error: Runtime exited with error: signal: " +
                                SignalName(outcome.code);
        answer.payload = json::Serialize(error);
        break;
      }
      case ProcessOutcome::End::kTimedOut: {
        answer.function_error = "Unhandled";
        json::Object error;
        error["errorMessage"] = FormatIso8601(std::chrono::time_point_cast<std::chrono::milliseconds>(
                                    std::chrono::system_clock::now())) +
                                " " + request_id + " Task timed out after " +
                                FormatSeconds(timeout) + " seconds";
        answer.payload = json::Serialize(error);
        break;
      }
      case ProcessOutcome::End::kKilled: break;
    }
    if (synchronous) {
      answer.headers = call->LocalHeaders(answer);
      call->Report(std::move(answer));
    } else if (!answer.function_error.empty()) {
      std::fprintf(stderr, "%s lambda %s (Event): %s\n", call->key.first.c_str(),
                   call->function.name.c_str(), answer.payload.c_str());
    }
    Finish(call);
  });
  if (!started) {
    if (started.error().code == ErrorCode::kNotFound) {
      call->ServiceError("ResourceNotFoundException", 404, "Function not found: " + call->FunctionArn());
    } else {
      call->ServiceError("ServiceException", 500, started.error().message);
    }
    Finish(call);
    return;
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    call->process = *started;
    if (call->cancelled) runner_->Kill(*started);
  }
  if (!synchronous) {
    // Event: Lambda queued it; the function runs on.
    Answer answer;
    answer.status = 202;
    answer.headers = call->LocalHeaders(answer);
    call->Report(std::move(answer));
  }
}

void LambdaIntegration::RunRemote(std::shared_ptr<Call> call) {
  std::string base = options_.endpoint;
  while (!base.empty() && base.back() == '/') base.pop_back();
  HttpRequest request;
  request.method = "POST";
  request.url = base + "/2015-03-31/functions/" + UrlEncode(call->function.name) + "/invocations";
  if (!call->function.qualifier.empty()) request.url += "?Qualifier=" + UrlEncode(call->function.qualifier);
  request.headers = {{"Content-Type", "application/json"},
                     {"X-Amz-Invocation-Type", call->invocation_type},
                     {"X-Amz-Log-Type", "None"}};
  if (!call->client_context.empty()) request.headers.emplace_back("X-Amz-Client-Context", call->client_context);
  request.body = call->payload;
  request.timeout = options_.timeout;
  request.max_response_bytes = kLambdaMaxResponseBytes + 64 * 1024;
  http_->Send(std::move(request), [this, call](Result<HttpResponse> result) {
    bool cancelled;
    {
      std::lock_guard<std::mutex> lock(mu_);
      cancelled = call->cancelled;
    }
    if (cancelled) {
      Finish(call);
      return;
    }
    if (!result) {
      ReportFailure(*call->reporter, "Lambda.SdkClientException",
           "Unable to execute HTTP request: " + result.error().message);
      Finish(call);
      return;
    }
    HttpResponse& response = *result;
    if (std::string_view id = response.Header("x-amzn-RequestId"); !id.empty()) {
      call->request_id = std::string(id);
    }
    if (response.status < 200 || response.status >= 300) {
      // {"Type": "User", "message": "..."} with X-Amzn-ErrorType: Code[:...]
      std::string code(response.Header("X-Amzn-ErrorType"));
      code = code.substr(0, code.find(':'));
      std::string message = response.body;
      if (auto body = json::Parse(response.body); body && body->is_object()) {
        for (const char* key : {"message", "Message", "errorMessage"}) {
          if (const json::Value* m = json::Find(*body, key); m && m->is_string()) {
            message = std::string(m->as_string());
            break;
          }
        }
        if (code.empty()) {
          for (const char* key : {"__type", "Type", "errorType"}) {
            if (const json::Value* t = json::Find(*body, key); t && t->is_string()) {
              code = std::string(t->as_string());
              code = code.substr(code.rfind('#') == std::string::npos ? 0 : code.rfind('#') + 1);
              break;
            }
          }
        }
      }
      if (code.empty() || code == "User") {
        code = response.status == 404 ? "ResourceNotFoundException" : "ServiceException";
      }
      call->ServiceError(code, response.status, message);
      Finish(call);
      return;
    }
    Answer answer;
    answer.status = response.status;
    answer.function_error = std::string(response.Header("X-Amz-Function-Error"));
    answer.executed_version = std::string(response.Header("X-Amz-Executed-Version"));
    if (answer.executed_version.empty() && call->Synchronous()) answer.executed_version = "$LATEST";
    answer.payload = std::move(response.body);
    answer.headers = std::move(response.headers);
    call->Report(std::move(answer));
    Finish(call);
  });
}

}  // namespace stepway::integrations
