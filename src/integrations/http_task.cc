#include "integrations/http_task.h"

#include <openssl/evp.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <sstream>
#include <vector>

namespace stepway::integrations {

namespace {

using runtime::TaskInvocation;
using runtime::TaskReporter;

constexpr std::string_view kStatusErrorPrefix = "States.Http.StatusCode.";
// An OAuth token is renewed this long before it expires.
constexpr auto kTokenMargin = std::chrono::seconds(30);
constexpr auto kDefaultTokenLifetime = std::chrono::seconds(300);

std::string Lowercase(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string Base64(std::string_view data) {
  std::string out(4 * ((data.size() + 2) / 3), '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(data.data()),
                                static_cast<int>(data.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

// Headers the HTTP Task does not let a definition set (call-https-apis.html, "Headers").
bool ReservedHeader(std::string_view name) {
  const std::string n = Lowercase(name);
  if (n.starts_with("x-forwarded-") || n.starts_with("x-amz-") || n.starts_with("x-amzn-")) {
    return true;
  }
  static constexpr std::string_view kReserved[] = {
      "a-im", "accept-charset", "accept-datetime", "accept-encoding", "authorization",
      "cache-control", "connection", "content-encoding", "content-length", "content-md5", "date",
      "expect", "forwarded", "from", "host", "http2-settings", "if-match", "if-modified-since",
      "if-none-match", "if-range", "if-unmodified-since", "max-forwards", "origin", "pragma",
      "proxy-authorization", "referer", "server", "te", "trailer", "transfer-encoding",
      "upgrade", "via", "warning"};
  return std::find(std::begin(kReserved), std::end(kReserved), n) != std::end(kReserved);
}

// A scalar as a form, query or header value: strings as they are, the rest as JSON.
std::string ScalarText(const json::Value& v) {
  if (v.is_string()) return std::string(v.as_string());
  return json::Serialize(v);
}

void EncodeValue(const std::string& key, const json::Value& v, std::string_view array_format,
                 std::vector<std::pair<std::string, std::string>>& out) {
  if (v.is_object()) {
    for (const auto& member : v.as_object()) {
      EncodeValue(key + "[" + std::string(member.key()) + "]", member.value(), array_format, out);
    }
    return;
  }
  if (v.is_array()) {
    const json::Array& items = v.as_array();
    if (array_format == "COMMAS") {
      std::string joined;
      for (std::size_t i = 0; i < items.size(); ++i) {
        if (i > 0) joined += ',';
        joined += ScalarText(items[i]);
      }
      out.emplace_back(key, joined);
      return;
    }
    for (std::size_t i = 0; i < items.size(); ++i) {
      std::string item_key = key;
      if (array_format == "BRACKETS") {
        item_key += "[]";
      } else if (array_format != "REPEAT") {  // INDICES
        item_key += "[" + std::to_string(i) + "]";
      }
      EncodeValue(item_key, items[i], array_format, out);
    }
    return;
  }
  out.emplace_back(key, ScalarText(v));
}

std::string JoinPairs(const std::vector<std::pair<std::string, std::string>>& pairs) {
  std::string out;
  for (const auto& [k, v] : pairs) {
    if (!out.empty()) out += '&';
    out += UrlEncode(k);
    out += '=';
    out += UrlEncode(v);
  }
  return out;
}

const json::Value* Member(const json::Value& v, std::string_view key) { return json::Find(v, key); }

std::string StringMember(const json::Value& v, std::string_view key) {
  const json::Value* m = json::Find(v, key);
  return m && m->is_string() ? std::string(m->as_string()) : std::string();
}

}  // namespace

std::string FormEncode(const json::Object& object, std::string_view array_format) {
  std::vector<std::pair<std::string, std::string>> pairs;
  for (const auto& member : object) {
    EncodeValue(std::string(member.key()), member.value(), array_format, pairs);
  }
  return JoinPairs(pairs);
}

Result<Connections> ParseConnections(std::string_view json_text) {
  auto parsed = json::Parse(json_text);
  if (!parsed) return tl::unexpected(parsed.error());
  if (!parsed->is_object()) {
    return Fail(ErrorCode::kInvalidArgument, "the connections file must be a JSON object");
  }
  Connections out;
  for (const auto& entry : parsed->as_object()) {
    const std::string arn(entry.key());
    const json::Value& spec = entry.value();
    auto bad = [&](std::string_view why) {
      return Fail(ErrorCode::kInvalidArgument, "connection '" + arn + "': " + std::string(why));
    };
    if (!spec.is_object() || spec.as_object().size() != 1) {
      return bad("wants exactly one of ApiKey, Basic or OAuth");
    }
    Connection c;
    if (const json::Value* k = Member(spec, "ApiKey"); k && k->is_object()) {
      c.kind = Connection::Kind::kApiKey;
      c.api_key_name = StringMember(*k, "Key");
      c.api_key_value = StringMember(*k, "Value");
      if (c.api_key_name.empty()) return bad("ApiKey wants a Key (the header) and a Value");
    } else if (const json::Value* b = Member(spec, "Basic"); b && b->is_object()) {
      c.kind = Connection::Kind::kBasic;
      c.username = StringMember(*b, "Username");
      c.password = StringMember(*b, "Password");
      if (c.username.empty()) return bad("Basic wants a Username and a Password");
    } else if (const json::Value* o = Member(spec, "OAuth"); o && o->is_object()) {
      c.kind = Connection::Kind::kOAuth;
      c.token_endpoint = StringMember(*o, "AuthorizationEndpoint");
      if (c.token_endpoint.empty()) c.token_endpoint = StringMember(*o, "TokenEndpoint");
      if (std::string m = StringMember(*o, "HttpMethod"); !m.empty()) c.token_method = m;
      c.client_id = StringMember(*o, "ClientId");
      if (c.client_id.empty()) c.client_id = StringMember(*o, "ClientID");
      c.client_secret = StringMember(*o, "ClientSecret");
      c.scope = StringMember(*o, "Scope");
      if (c.token_endpoint.empty() || c.client_id.empty()) {
        return bad("OAuth wants an AuthorizationEndpoint, a ClientId and a ClientSecret");
      }
    } else {
      return bad("wants one of ApiKey, Basic or OAuth, as an object");
    }
    out.emplace(arn, std::move(c));
  }
  return out;
}

Result<Connections> LoadConnections(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Fail(ErrorCode::kNotFound, "cannot read " + path);
  std::stringstream text;
  text << in.rdbuf();
  auto parsed = ParseConnections(text.str());
  if (!parsed) return Fail(parsed.error().code, path + ": " + parsed.error().message);
  return parsed;
}

bool IsHttpTask(const TaskInvocation& invocation) {
  const engine::Resource& r = *invocation.command.resource;
  return r.kind == engine::ResourceKind::kService && r.service == "http" &&
         r.action == "invoke" && r.pattern == engine::TaskPattern::kRequestResponse;
}

struct HttpTaskIntegration::Call {
  std::shared_ptr<TaskReporter> reporter;
  HttpRequest request;
  std::string connection_arn;  // "" for none
  const Connection* connection = nullptr;
};

HttpTaskIntegration::HttpTaskIntegration(HttpTaskOptions options) : options_(std::move(options)) {}

HttpTaskIntegration::~HttpTaskIntegration() { client_.Stop(); }

void HttpTaskIntegration::Invoke(TaskInvocation invocation,
                                 std::shared_ptr<TaskReporter> reporter) {
  const json::Value& params = invocation.command.input;
  auto runtime_error = [&](std::string cause) { reporter->Failed("States.Runtime", std::move(cause)); };
  if (!params.is_object()) return runtime_error("The HTTP Task's Parameters must be an object");

  auto call = std::make_shared<Call>();
  call->reporter = reporter;
  HttpRequest& request = call->request;
  request.timeout = options_.timeout;
  request.max_response_bytes = options_.max_response_bytes;

  request.url = StringMember(params, "ApiEndpoint");
  if (request.url.empty()) return runtime_error("The field 'ApiEndpoint' is required and must be a string");
  request.method = StringMember(params, "Method");
  static constexpr std::string_view kMethods[] = {"GET", "POST", "PUT", "DELETE",
                                                  "PATCH", "OPTIONS", "HEAD"};
  if (std::find(std::begin(kMethods), std::end(kMethods), request.method) == std::end(kMethods)) {
    return runtime_error("The field 'Method' must be one of GET, POST, PUT, DELETE, PATCH, "
                         "OPTIONS or HEAD, got '" + request.method + "'");
  }

  std::string body_encoding = "NONE";
  std::string array_format = "INDICES";
  if (const json::Value* transform = Member(params, "Transform"); transform && transform->is_object()) {
    if (std::string e = StringMember(*transform, "RequestBodyEncoding"); !e.empty()) body_encoding = e;
    if (const json::Value* o = Member(*transform, "RequestEncodingOptions"); o && o->is_object()) {
      if (std::string f = StringMember(*o, "ArrayFormat"); !f.empty()) array_format = f;
    }
  }
  if (body_encoding != "NONE" && body_encoding != "URL_ENCODED") {
    return runtime_error("RequestBodyEncoding must be NONE or URL_ENCODED, got '" + body_encoding + "'");
  }
  if (array_format != "INDICES" && array_format != "REPEAT" && array_format != "COMMAS" &&
      array_format != "BRACKETS") {
    return runtime_error("ArrayFormat must be INDICES, REPEAT, COMMAS or BRACKETS, got '" +
                         array_format + "'");
  }

  if (const json::Value* headers = Member(params, "Headers"); headers && !headers->is_null()) {
    if (!headers->is_object()) return runtime_error("The field 'Headers' must be an object");
    for (const auto& h : headers->as_object()) {
      if (ReservedHeader(h.key())) {
        return runtime_error("The header '" + std::string(h.key()) +
                             "' cannot be set in an HTTP Task");
      }
      std::string value;
      if (h.value().is_array()) {
        for (const json::Value& item : h.value().as_array()) {
          if (!value.empty()) value += ',';
          value += ScalarText(item);
        }
      } else {
        value = ScalarText(h.value());
      }
      request.headers.emplace_back(std::string(h.key()), std::move(value));
    }
  }

  if (const json::Value* query = Member(params, "QueryParameters"); query && !query->is_null()) {
    if (!query->is_object()) return runtime_error("The field 'QueryParameters' must be an object");
    const std::string encoded = FormEncode(query->as_object(), array_format);
    if (!encoded.empty()) {
      const auto hash = request.url.find('#');
      if (hash != std::string::npos) request.url.resize(hash);
      request.url += request.url.find('?') == std::string::npos ? '?' : '&';
      request.url += encoded;
    }
  }

  bool has_content_type = false;
  for (const auto& [n, v] : request.headers) {
    if (Lowercase(n) == "content-type") has_content_type = true;
  }
  if (const json::Value* body = Member(params, "RequestBody"); body && !body->is_null()) {
    if (body->is_string()) {
      request.body = std::string(body->as_string());
    } else if (body_encoding == "URL_ENCODED") {
      if (!body->is_object()) {
        return runtime_error("A URL_ENCODED RequestBody must be an object");
      }
      request.body = FormEncode(body->as_object(), array_format);
      if (!has_content_type) {
        request.headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
        has_content_type = true;
      }
    } else {
      request.body = json::Serialize(*body);
    }
    if (!has_content_type) {
      request.headers.emplace_back("Content-Type", "application/json; charset=UTF-8");
    }
  }
  request.headers.emplace_back("User-Agent", "Amazon|StepFunctions|HttpInvoke|" + options_.region);

  if (const json::Value* auth = Member(params, "Authentication"); auth && auth->is_object()) {
    call->connection_arn = StringMember(*auth, "ConnectionArn");
  }
  if (!call->connection_arn.empty()) {
    auto it = options_.connections.find(call->connection_arn);
    if (it == options_.connections.end()) {
      reporter->Failed("States.TaskFailed",
                       "The connection '" + call->connection_arn +
                           "' has no credentials here: add it to the --connections file");
      return;
    }
    call->connection = &it->second;
  }
  Authorize(std::move(call));
}

void HttpTaskIntegration::Authorize(std::shared_ptr<Call> call) {
  const Connection* c = call->connection;
  if (c == nullptr) return Send(std::move(call));
  switch (c->kind) {
    case Connection::Kind::kApiKey:
      call->request.headers.emplace_back(c->api_key_name, c->api_key_value);
      return Send(std::move(call));
    case Connection::Kind::kBasic:
      call->request.headers.emplace_back("Authorization",
                                         "Basic " + Base64(c->username + ":" + c->password));
      return Send(std::move(call));
    case Connection::Kind::kOAuth:
      break;
  }
  std::string cached;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = tokens_.find(call->connection_arn);
    if (it != tokens_.end() && std::chrono::steady_clock::now() < it->second.expires) {
      cached = it->second.value;
    }
  }
  if (!cached.empty()) {
    call->request.headers.emplace_back("Authorization", "Bearer " + cached);
    return Send(std::move(call));
  }
  // The client-credentials grant (RFC 6749 4.4), the client authenticated with Basic.
  HttpRequest token_request;
  token_request.method = c->token_method;
  token_request.url = c->token_endpoint;
  token_request.headers = {
      {"Content-Type", "application/x-www-form-urlencoded"},
      {"Accept", "application/json"},
      {"Authorization", "Basic " + Base64(c->client_id + ":" + c->client_secret)}};
  token_request.body = "grant_type=client_credentials";
  if (!c->scope.empty()) token_request.body += "&scope=" + UrlEncode(c->scope);
  token_request.timeout = options_.timeout;
  client_.Send(std::move(token_request), [this, call](Result<HttpResponse> result) {
    std::string why;
    if (!result) {
      why = result.error().message;
    } else if (result->status < 200 || result->status >= 300) {
      why = "the token endpoint answered " + std::to_string(result->status) + " " + result->body;
    } else if (auto body = json::Parse(result->body); !body || !body->is_object()) {
      why = "the token endpoint's answer is not a JSON object";
    } else if (std::string token = StringMember(*body, "access_token"); token.empty()) {
      why = "the token endpoint's answer has no access_token";
    } else {
      auto lifetime = kDefaultTokenLifetime;
      std::int64_t seconds = 0;
      if (const json::Value* e = json::Find(*body, "expires_in"); e && json::AsInt64(*e, seconds)) {
        lifetime = std::chrono::seconds(seconds);
      }
      {
        std::lock_guard<std::mutex> lock(mu_);
        tokens_[call->connection_arn] = {token,
                                         std::chrono::steady_clock::now() + lifetime - kTokenMargin};
      }
      call->request.headers.emplace_back("Authorization", "Bearer " + token);
      Send(call);
      return;
    }
    call->reporter->Failed("States.TaskFailed", "Cannot get an OAuth token for the connection '" +
                                                    call->connection_arn + "': " + why);
  });
}

void HttpTaskIntegration::Send(std::shared_ptr<Call> call) {
  HttpRequest request = call->request;
  client_.Send(std::move(request), [call](Result<HttpResponse> result) {
    if (!result) {
      if (result.error().code == ErrorCode::kResourceExhausted) {
        call->reporter->Failed("States.DataLimitExceeded", result.error().message);
      } else {
        call->reporter->Failed("States.Http.Socket", result.error().message);
      }
      return;
    }
    HttpResponse& response = *result;
    json::Object headers;
    for (const auto& [name, value] : response.headers) {
      json::Value& list = headers[Lowercase(name)];
      if (!list.is_array()) list = json::Array();
      list.as_array().emplace_back(value);
    }
    const std::string media = MediaType(response.Header("Content-Type"));
    json::Value body(response.body);
    if (media == "application/json" || media.ends_with("+json")) {
      if (auto parsed = json::Parse(response.body)) body = std::move(*parsed);
    }
    json::Object out;
    out["Headers"] = std::move(headers);
    out["ResponseBody"] = std::move(body);
    out["StatusCode"] = response.status;
    out["StatusText"] = response.reason;
    if (response.status < 200 || response.status >= 300) {
      call->reporter->Failed(std::string(kStatusErrorPrefix) + std::to_string(response.status),
                             json::Serialize(out));
      return;
    }
    call->reporter->Succeeded(std::move(out));
  });
}

}  // namespace stepway::integrations
