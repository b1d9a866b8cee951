#include "integrations/aws_services.h"

#include <algorithm>
#include <boost/url/parse.hpp>
#include <cctype>
#include <ctime>

#include "api/sigv4.h"

namespace stepway::integrations {

namespace {

enum class Protocol { kJson10, kJson11, kQuery };

// The services Stepway can call, by the name an aws-sdk: ARN uses.
struct ServiceInfo {
  std::string_view name;           // aws-sdk:NAME
  std::string_view alias;          // the optimized integration's name, or another spelling
  std::string_view target_prefix;  // X-Amz-Target: PREFIX.Operation (JSON protocols)
  Protocol protocol;
  std::string_view signing_name;  // SigV4 credential scope's service
  std::string_view sdk_name;      // aws-sdk errors: SdkName.CodeException
  std::string_view java_name;     // "Service:" in causes, as the Java SDK names the client
  bool camel_case_members;        // the wire uses camelCase members (Step Functions)
};

constexpr ServiceInfo kServices[] = {
    {"dynamodb", "", "DynamoDB_20120810", Protocol::kJson10, "dynamodb", "DynamoDb",
     "AmazonDynamoDBv2", false},
    {"sqs", "", "AmazonSQS", Protocol::kJson10, "sqs", "Sqs", "AmazonSQS", false},
    {"sns", "", "", Protocol::kQuery, "sns", "Sns", "AmazonSNS", false},
    {"eventbridge", "events", "AWSEvents", Protocol::kJson11, "events", "EventBridge",
     "AmazonEventBridge", false},
    {"kinesis", "", "Kinesis_20131202", Protocol::kJson11, "kinesis", "Kinesis", "AmazonKinesis",
     false},
    {"sfn", "states", "AWSStepFunctions", Protocol::kJson10, "states", "Sfn", "AWSStepFunctions",
     true},
    {"secretsmanager", "", "secretsmanager", Protocol::kJson11, "secretsmanager", "SecretsManager",
     "AWSSecretsManager", false},
    {"ssm", "", "AmazonSSM", Protocol::kJson11, "ssm", "Ssm", "AWSSimpleSystemsManagement", false},
    {"cloudwatchlogs", "logs", "Logs_20140328", Protocol::kJson11, "logs", "CloudWatchLogs",
     "AWSLogs", false},
    {"kms", "", "TrentService", Protocol::kJson11, "kms", "Kms", "AWSKMS", false},
    {"ecs", "", "AmazonEC2ContainerServiceV20141113", Protocol::kJson11, "ecs", "Ecs", "AmazonECS",
     false},
};

const ServiceInfo* FindService(std::string_view name) {
  for (const ServiceInfo& s : kServices) {
    if (s.name == name || (!s.alias.empty() && s.alias == name)) return &s;
  }
  return nullptr;
}

// The optimized integrations: resource service -> (error prefix, actions served).
struct Optimized {
  std::string_view service;
  std::string_view error_prefix;
  std::initializer_list<std::string_view> actions;
};
const Optimized kOptimized[] = {
    {"sqs", "SQS", {"sendMessage"}},
    {"sns", "SNS", {"publish"}},
    {"events", "EventBridge", {"putEvents"}},
    {"dynamodb", "DynamoDB", {"getItem", "putItem", "updateItem", "deleteItem"}},
};

const Optimized* FindOptimized(std::string_view service) {
  for (const Optimized& o : kOptimized) {
    if (o.service == service) return &o;
  }
  return nullptr;
}

std::string ExceptionName(std::string_view code) {
  std::string name(code);
  if (!name.ends_with("Exception")) name += "Exception";
  return name;
}

// "com.amazonaws.sqs#QueueDoesNotExist" or "QueueDoesNotExist:http://..." -> the code.
std::string_view ShortCode(std::string_view type) {
  if (auto hash = type.rfind('#'); hash != std::string_view::npos) type.remove_prefix(hash + 1);
  return type.substr(0, type.find(':'));
}

void ConvertKeys(json::Value& v, bool to_upper) {
  if (v.is_array()) {
    for (json::Value& e : v.get_array()) ConvertKeys(e, to_upper);
    return;
  }
  if (!v.is_object()) return;
  json::Object out;
  for (auto& kv : v.get_object()) {
    std::string key(kv.key());
    if (!key.empty()) {
      key[0] = to_upper ? char(std::toupper(static_cast<unsigned char>(key[0])))
                        : char(std::tolower(static_cast<unsigned char>(key[0])));
    }
    json::Value value = kv.value();
    ConvertKeys(value, to_upper);
    out[key] = std::move(value);
  }
  v = std::move(out);
}

// Members AWS's optimized integrations accept as JSON and send as their text.
void StringifyMember(json::Value& params, std::string_view key) {
  if (!params.is_object()) return;
  json::Object& o = params.get_object();
  if (auto it = o.find(key); it != o.end() && !it->value().is_string()) {
    it->value() = json::Serialize(it->value());
  }
}

std::string XmlUnescape(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '&') {
      out += s[i];
      continue;
    }
    const std::size_t semi = s.find(';', i);
    if (semi == std::string_view::npos) {
      out += s.substr(i);
      break;
    }
    const std::string_view entity = s.substr(i + 1, semi - i - 1);
    if (entity == "amp")
      out += '&';
    else if (entity == "lt")
      out += '<';
    else if (entity == "gt")
      out += '>';
    else if (entity == "quot")
      out += '"';
    else if (entity == "apos")
      out += '\'';
    else if (!entity.empty() && entity[0] == '#') {
      const bool hex = entity.size() > 1 && (entity[1] == 'x' || entity[1] == 'X');
      const unsigned long cp =
          std::strtoul(std::string(entity.substr(hex ? 2 : 1)).c_str(), nullptr, hex ? 16 : 10);
      if (cp < 0x80) {
        out += char(cp);
      } else if (cp < 0x800) {
        out += char(0xC0 | (cp >> 6));
        out += char(0x80 | (cp & 0x3F));
      } else if (cp < 0x10000) {
        out += char(0xE0 | (cp >> 12));
        out += char(0x80 | ((cp >> 6) & 0x3F));
        out += char(0x80 | (cp & 0x3F));
      } else {
        out += char(0xF0 | (cp >> 18));
        out += char(0x80 | ((cp >> 12) & 0x3F));
        out += char(0x80 | ((cp >> 6) & 0x3F));
        out += char(0x80 | (cp & 0x3F));
      }
    } else {
      out += s.substr(i, semi - i + 1);
    }
    i = semi;
  }
  return out;
}

// The text of the first <tag>...</tag> in `xml`, unescaped; nullopt when absent.
std::optional<std::string> XmlText(std::string_view xml, std::string_view tag) {
  const std::string open = "<" + std::string(tag) + ">";
  const std::string close = "</" + std::string(tag) + ">";
  const std::size_t start = xml.find(open);
  if (start == std::string_view::npos) return std::nullopt;
  const std::size_t end = xml.find(close, start + open.size());
  if (end == std::string_view::npos) return std::nullopt;
  return XmlUnescape(xml.substr(start + open.size(), end - start - open.size()));
}

std::string ScalarText(const json::Value& v) {
  if (v.is_string()) return std::string(v.get_string());
  return json::Serialize(v);
}

// SNS Publish's request in the query protocol.
std::string PublishForm(const json::Value& params) {
  std::string form = "Action=Publish&Version=2010-03-31";
  if (!params.is_object()) return form;
  for (const auto& kv : params.get_object()) {
    if (kv.key() == "MessageAttributes" && kv.value().is_object()) {
      int n = 0;
      for (const auto& attr : kv.value().get_object()) {
        const std::string entry = "MessageAttributes.entry." + std::to_string(++n);
        form += "&" + UrlEncode(entry + ".Name") + "=" + UrlEncode(attr.key());
        if (!attr.value().is_object()) continue;
        for (const auto& field : attr.value().get_object()) {
          form += "&" + UrlEncode(entry + ".Value." + std::string(field.key())) + "=" +
                  UrlEncode(ScalarText(field.value()));
        }
      }
      continue;
    }
    form += "&" + UrlEncode(kv.key()) + "=" + UrlEncode(ScalarText(kv.value()));
  }
  return form;
}

std::string AmzDate(std::chrono::system_clock::time_point now) {
  const std::time_t t = std::chrono::system_clock::to_time_t(now);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &tm);
  return buf;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = char(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

struct AwsServiceIntegration::Call {
  const ServiceInfo* service = nullptr;
  std::string service_name;  // as the resource names it
  std::string error_prefix;  // "SQS", "DynamoDb" ...
  bool optimized = false;
  bool wait_for_token = false;
  bool put_events = false;
  std::string url;
  api::Request request;  // signed
};

bool IsAwsService(const runtime::TaskInvocation& invocation) {
  const engine::Resource& r = *invocation.command.resource;
  if (r.kind != engine::ResourceKind::kService) return false;
  if (r.service.starts_with("aws-sdk:")) return r.service != "aws-sdk:lambda";
  return FindOptimized(r.service) != nullptr;
}

void SignRequest(api::Request& request, std::string_view access_key_id,
                 std::string_view secret_access_key, std::string_view region,
                 std::string_view service, std::chrono::system_clock::time_point now) {
  const std::string amz_date = AmzDate(now);
  const std::string date = amz_date.substr(0, 8);
  request.headers.emplace_back("X-Amz-Date", amz_date);
  std::vector<std::string> names;
  for (const auto& [name, value] : request.headers) names.push_back(Lower(name));
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  std::string signed_headers;
  for (const std::string& n : names) {
    if (!signed_headers.empty()) signed_headers += ';';
    signed_headers += n;
  }
  const std::string canonical =
      api::CanonicalRequest(request, signed_headers, api::Sha256Hex(request.body));
  const std::string scope =
      date + "/" + std::string(region) + "/" + std::string(service) + "/aws4_request";
  const std::string string_to_sign =
      "AWS4-HMAC-SHA256\n" + amz_date + "\n" + scope + "\n" + api::Sha256Hex(canonical);
  request.headers.emplace_back(
      "Authorization",
      "AWS4-HMAC-SHA256 Credential=" + std::string(access_key_id) + "/" + scope +
          ", SignedHeaders=" + signed_headers + ", Signature=" +
          api::SignatureHex(secret_access_key, date, region, service, string_to_sign));
}

std::string AwsServiceIntegration::EndpointOf(const engine::Resource& resource) const {
  std::string_view name = resource.service;
  if (name.starts_with("aws-sdk:")) name.remove_prefix(8);
  const ServiceInfo* service = FindService(name);
  // Under the resource's name for the service, or its other spelling.
  for (std::string_view key : {name, service ? service->name : std::string_view(),
                               service ? service->alias : std::string_view()}) {
    if (key.empty()) continue;
    if (auto it = options_.endpoints.find(std::string(key)); it != options_.endpoints.end()) {
      return it->second;
    }
  }
  return "";
}

bool AwsServiceIntegration::Matches(const runtime::TaskInvocation& invocation) const {
  if (!IsAwsService(invocation)) return false;
  const engine::Resource& r = *invocation.command.resource;
  return r.pattern != engine::TaskPattern::kWaitForTaskToken || !EndpointOf(r).empty();
}

AwsServiceIntegration::AwsServiceIntegration(AwsServicesOptions options)
    : options_(std::move(options)) {}

AwsServiceIntegration::~AwsServiceIntegration() { client_.Stop(); }

void AwsServiceIntegration::Invoke(runtime::TaskInvocation invocation,
                                   std::shared_ptr<runtime::TaskReporter> reporter) {
  const engine::Resource& r = *invocation.command.resource;
  auto call = std::make_shared<Call>();
  call->wait_for_token = r.pattern == engine::TaskPattern::kWaitForTaskToken;
  std::string operation;
  if (r.service.starts_with("aws-sdk:")) {
    call->service_name = r.service.substr(8);
    call->service = FindService(call->service_name);
    if (call->service == nullptr) {
      reporter->Failed("States.TaskFailed",
                       "Stepway does not call the service '" + call->service_name +
                           "' (aws-sdk: integrations reach JSON-protocol services: dynamodb, sqs, "
                           "eventbridge, kinesis, sfn, secretsmanager, ssm, cloudwatchlogs, kms, "
                           "ecs; and sns:publish)");
      return;
    }
    call->error_prefix = std::string(call->service->sdk_name);
    if (call->service->protocol == Protocol::kQuery && r.action != "publish") {
      reporter->Failed("States.TaskFailed",
                       "Stepway calls only publish of aws-sdk:sns, not '" + r.action + "'");
      return;
    }
  } else {
    const Optimized* o = FindOptimized(r.service);
    if (o == nullptr ||
        std::find(o->actions.begin(), o->actions.end(), r.action) == o->actions.end()) {
      reporter->Failed("States.TaskFailed", "Stepway does not serve the resource '" + r.arn + "'");
      return;
    }
    call->service_name = r.service;
    call->service = FindService(r.service);
    call->error_prefix = std::string(o->error_prefix);
    call->optimized = true;
    call->put_events = r.service == "events";
  }
  if (r.action.empty()) {
    reporter->Failed("States.TaskFailed", "The resource '" + r.arn + "' names no action");
    return;
  }
  operation = r.action;
  operation[0] = char(std::toupper(static_cast<unsigned char>(operation[0])));

  const ServiceInfo& service = *call->service;
  const std::string endpoint = EndpointOf(r);
  if (endpoint.empty()) {
    reporter->Failed("States.TaskFailed", "No endpoint is configured for the service '" +
                                              call->service_name + "' (resource '" + r.arn +
                                              "'): start stepway serve with --endpoint " +
                                              call->service_name + "=URL");
    return;
  }
  auto url = boost::urls::parse_uri(endpoint);
  if (!url || url->encoded_host().empty()) {
    reporter->Failed("States.TaskFailed", "The endpoint '" + endpoint + "' of the service '" +
                                              call->service_name + "' is not a URL");
    return;
  }
  std::string target = url->encoded_path().empty() ? "/" : std::string(url->encoded_path());
  if (url->has_query()) target += "?" + std::string(url->encoded_query());
  std::string host = std::string(url->encoded_host());
  if (url->has_port()) host += ":" + std::string(url->port());
  call->url = std::string(url->scheme()) + "://" + host + target;

  // The request body.
  json::Value params =
      invocation.command.input.is_object() ? invocation.command.input : json::Value(json::Object());
  if (call->optimized) {
    if (r.service == "sqs") StringifyMember(params, "MessageBody");
    if (r.service == "sns") StringifyMember(params, "Message");
    if (r.service == "events") {
      if (json::Value* entries = params.get_object().if_contains("Entries");
          entries && entries->is_array()) {
        for (json::Value& e : entries->get_array()) StringifyMember(e, "Detail");
      }
    }
  }
  if (service.camel_case_members) ConvertKeys(params, /*to_upper=*/false);
  api::Request& request = call->request;
  request.method = "POST";
  request.target = target;
  request.headers.emplace_back("Host", host);
  switch (service.protocol) {
    case Protocol::kJson10:
    case Protocol::kJson11:
      request.headers.emplace_back("Content-Type", service.protocol == Protocol::kJson10
                                                       ? "application/x-amz-json-1.0"
                                                       : "application/x-amz-json-1.1");
      request.headers.emplace_back("X-Amz-Target",
                                   std::string(service.target_prefix) + "." + operation);
      request.body = json::Serialize(params);
      break;
    case Protocol::kQuery:
      request.headers.emplace_back("Content-Type",
                                   "application/x-www-form-urlencoded; charset=utf-8");
      request.body = PublishForm(params);
      break;
  }
  if (!options_.access_key_id.empty()) {
    SignRequest(request, options_.access_key_id, options_.secret_access_key,
                invocation.region.empty() ? options_.region : invocation.region,
                service.signing_name, std::chrono::system_clock::now());
  }
  Send(std::move(call), std::move(reporter));
}

void AwsServiceIntegration::Send(std::shared_ptr<Call> call,
                                 std::shared_ptr<runtime::TaskReporter> reporter) {
  HttpRequest http;
  http.method = call->request.method;
  http.url = call->url;
  http.headers = call->request.headers;
  http.body = call->request.body;
  http.timeout = options_.timeout;
  client_.Send(std::move(http), [call, reporter](Result<HttpResponse> response) {
    const ServiceInfo& service = *call->service;
    if (!response) {
      reporter->Failed(call->error_prefix + ".SdkClientException",
                       "Unable to execute HTTP request: " + response.error().message);
      return;
    }
    std::string request_id(response->Header("x-amzn-RequestId"));
    if (request_id.empty()) request_id = std::string(response->Header("x-amz-request-id"));
    const bool query = service.protocol == Protocol::kQuery;
    if (response->status < 200 || response->status >= 300) {
      std::string code;
      std::string message;
      if (query) {
        code = XmlText(response->body, "Code").value_or("");
        message = XmlText(response->body, "Message").value_or("");
        if (request_id.empty()) request_id = XmlText(response->body, "RequestId").value_or("");
      } else {
        auto body = json::Parse(response->body);
        if (body && body->is_object()) {
          if (const json::Value* t = json::Find(*body, "__type"); t && t->is_string()) {
            code = std::string(ShortCode(t->get_string()));
          }
          for (const char* key : {"message", "Message"}) {
            if (const json::Value* m = json::Find(*body, key); m && m->is_string()) {
              message = std::string(m->get_string());
            }
          }
        }
        if (code.empty()) code = std::string(ShortCode(response->Header("x-amzn-ErrorType")));
      }
      if (code.empty()) code = response->status >= 500 ? "InternalServerError" : "Unknown";
      reporter->Failed(call->error_prefix + "." + ExceptionName(code),
                       message + " (Service: " + std::string(service.java_name) +
                           "; Status Code: " + std::to_string(response->status) + "; Error Code: " +
                           code + "; Request ID: " + request_id + "; Proxy: null)");
      return;
    }
    json::Value result;
    if (query) {
      json::Object o;
      if (auto id = XmlText(response->body, "MessageId")) o["MessageId"] = *id;
      if (auto seq = XmlText(response->body, "SequenceNumber")) o["SequenceNumber"] = *seq;
      result = std::move(o);
    } else if (response->body.empty()) {
      result = json::Object();
    } else {
      auto body = json::Parse(response->body);
      if (!body) {
        reporter->Failed(call->error_prefix + ".SdkClientException",
                         "Unable to unmarshall response: " + body.error().message);
        return;
      }
      result = std::move(*body);
    }
    if (service.camel_case_members) ConvertKeys(result, /*to_upper=*/true);
    if (call->put_events && result.is_object()) {
      std::int64_t failed = 0;
      if (const json::Value* n = json::Find(result, "FailedEntryCount")) json::AsInt64(*n, failed);
      if (failed > 0) {
        reporter->Failed("EventBridge.FailedEntry", json::Serialize(result));
        return;
      }
    }
    if (call->optimized && !call->put_events && result.is_object()) {
      // The Java SDK's response metadata, which AWS's optimized integrations pass on.
      json::Object all_headers;
      json::Object headers;
      for (const auto& [name, value] : response->headers) {
        headers[name] = value;
        json::Value& list = all_headers[name];
        if (!list.is_array()) list = json::Array();
        list.get_array().push_back(json::Value(value));
      }
      result.get_object()["SdkHttpMetadata"] =
          json::Object{{"AllHttpHeaders", std::move(all_headers)},
                       {"HttpHeaders", std::move(headers)},
                       {"HttpStatusCode", response->status}};
      result.get_object()["SdkResponseMetadata"] = json::Object{{"RequestId", request_id}};
    }
    if (call->wait_for_token) {
      reporter->Submitted(std::move(result));
    } else {
      reporter->Succeeded(std::move(result));
    }
  });
}

}  // namespace stepway::integrations
