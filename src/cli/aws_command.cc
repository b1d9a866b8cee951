#include "cli/aws_command.h"

#include <sys/ioctl.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <future>
#include <iostream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "api/model.h"
#include "api/protocol.h"
#include "base/base64.h"
#include "cli/arguments.h"
#include "cli/aws_config.h"
#include "cli/jmespath.h"
#include "cli/output_format.h"
#include "cli/service_tables.h"
#include "cli/skeleton.h"
#include "integrations/aws_services.h"
#include "integrations/http_client.h"
#include "json/json.h"

namespace stepway::cli {
namespace {

using api::Service;
using api::Shape;
using api::ShapeType;

constexpr std::string_view kProgram = "stepway";
// How often `start-execution --wait` asks DescribeExecution.
constexpr auto kWaitPollInterval = std::chrono::milliseconds(500);
// Attempts for a call that failed with a 5xx status or throttling (the AWS CLI's default).
constexpr int kMaxAttempts = 3;

// A failure that ends the command with `code` after printing `message` to stderr.
struct Exit {
  int code;
  std::string message;
};

// The usage text the AWS CLI prints before a usage error.
std::string Usage() {
  const std::string p(kProgram);
  return "usage: " + p + " [options] <command> <subcommand> [<subcommand> ...] [parameters]\n"
         "To see help text, you can run:\n\n  " + p + " help\n  " + p + " <command> help\n  " +
         p + " <command> <subcommand> help\n";
}

// An option-parser complaint: "stepway: error: ..." right after the usage text.
Exit UsageError(std::string_view message) {
  return Exit{kExitUsageError,
              Usage() + std::string(kProgram) + ": error: " + std::string(message) + "\n"};
}

// Words the command does not know: listed after the usage text and a blank line.
Exit UnknownOptions(std::string_view list) {
  return Exit{kExitUsageError, Usage() + "\nUnknown options: " + std::string(list) + "\n"};
}

Exit ParamError(std::string_view message) {
  return Exit{kExitUsageError, "\n" + std::string(message) + "\n"};
}

const Shape& ShapeAt(Service service, int index) {
  return api::Shapes(service)[static_cast<std::size_t>(index)];
}

// --- Global options --------------------------------------------------------------------------

struct Globals {
  SettingsOverrides overrides;
  std::optional<std::string> query;
  bool no_paginate = false;
  bool debug = false;
  bool no_sign_request = false;
  bool no_verify_ssl = false;
  std::string ca_bundle;
  std::optional<std::chrono::seconds> read_timeout;  // 0: none
};

// Global options that take a value, and those that do not. Accepted for the AWS CLI's sake;
// the ones Stepway has no use for are ignored.
bool GlobalTakesValue(std::string_view name) {
  for (std::string_view g : {"--endpoint-url", "--region", "--profile", "--output", "--query",
                             "--cli-read-timeout", "--cli-connect-timeout", "--ca-bundle",
                             "--color", "--cli-binary-format"}) {
    if (name == g) return true;
  }
  return false;
}

bool GlobalFlag(std::string_view name) {
  for (std::string_view g : {"--no-paginate", "--debug", "--no-verify-ssl", "--no-sign-request",
                             "--no-cli-pager", "--cli-auto-prompt", "--no-cli-auto-prompt"}) {
    if (name == g) return true;
  }
  return false;
}

// Takes the global options out of `args`, wherever they are.
std::vector<std::string> ExtractGlobals(const std::vector<std::string>& args, Globals& g) {
  std::vector<std::string> rest;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    std::string name = a;
    std::optional<std::string> inline_value;
    if (a.starts_with("--")) {
      if (const auto eq = a.find('='); eq != std::string::npos) {
        name = a.substr(0, eq);
        inline_value = a.substr(eq + 1);
      }
    }
    if (GlobalFlag(name) && !inline_value) {
      if (name == "--no-paginate") g.no_paginate = true;
      if (name == "--debug") g.debug = true;
      if (name == "--no-sign-request") g.no_sign_request = true;
      if (name == "--no-verify-ssl") g.no_verify_ssl = true;
      continue;
    }
    if (!GlobalTakesValue(name)) {
      rest.push_back(a);
      continue;
    }
    std::string value;
    if (inline_value) {
      value = *inline_value;
    } else if (i + 1 < args.size()) {
      value = args[++i];
    } else {
      throw UsageError("argument " + name + ": expected one argument");
    }
    if (name == "--endpoint-url") g.overrides.endpoint_url = value;
    if (name == "--region") g.overrides.region = value;
    if (name == "--profile") g.overrides.profile = value;
    if (name == "--output") g.overrides.output = value;
    if (name == "--query") g.query = value;
    if (name == "--ca-bundle") g.ca_bundle = value;
    if (name == "--cli-read-timeout") {
      int seconds = 0;
      auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), seconds);
      if (ec != std::errc() || ptr != value.data() + value.size() || seconds < 0) {
        throw UsageError("argument --cli-read-timeout: invalid int value: '" + value + "'");
      }
      g.read_timeout = std::chrono::seconds(seconds);
    }
  }
  return rest;
}

// --- Files ---------------------------------------------------------------------------------------

std::optional<std::string> ReadWholeFile(const std::string& path) {
  std::string p = path;
  if (p.starts_with("~/")) {
    if (const char* home = std::getenv("HOME")) p = std::string(home) + p.substr(1);
  }
  std::ifstream in(p, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// A value with file:// or fileb:// replaced by the file's contents. Sets `binary` for fileb://.
std::string ResolveParamFile(const std::string& option, const std::string& value, bool* binary) {
  for (std::string_view prefix : {"file://", "fileb://"}) {
    if (!value.starts_with(prefix)) continue;
    const std::string path = value.substr(prefix.size());
    auto text = ReadWholeFile(path);
    if (!text) {
      throw ParamError("Error parsing parameter '" + option + "': Unable to load paramfile " +
                       value + ": [Errno 2] No such file or directory: '" + path + "'");
    }
    if (binary != nullptr) *binary = prefix == "fileb://";
    return *text;
  }
  return value;
}

// --- YAML input ---------------------------------------------------------------------------------

json::Value YamlScalarGuess(const YAML::Node& node) {
  const std::string& s = node.Scalar();
  if (node.Tag() == "!") return json::String(s);  // quoted
  if (s == "null" || s == "~" || s.empty()) return nullptr;
  if (s == "true" || s == "True") return true;
  if (s == "false" || s == "False") return false;
  if (auto parsed = json::Parse(s); parsed && parsed->is_number()) return *parsed;
  return json::String(s);
}

// A YAML document as JSON, typed by shape `shape_index` where the model knows the member.
json::Value YamlToJson(const YAML::Node& node, Service service, int shape_index) {
  const Shape* shape = shape_index >= 0 ? &ShapeAt(service, shape_index) : nullptr;
  switch (node.Type()) {
    case YAML::NodeType::Map: {
      json::Object out;
      for (const auto& kv : node) {
        const std::string key = kv.first.as<std::string>();
        int child = -1;
        if (shape != nullptr && shape->type == ShapeType::kStructure) {
          for (const api::Member& m : shape->members) {
            if (m.name == key) child = m.shape;
          }
        } else if (shape != nullptr && shape->type == ShapeType::kMap) {
          child = shape->value;
        }
        out[key] = YamlToJson(kv.second, service, child);
      }
      return out;
    }
    case YAML::NodeType::Sequence: {
      json::Array out;
      const int child = shape != nullptr && shape->type == ShapeType::kList ? shape->value : -1;
      for (const auto& e : node) out.push_back(YamlToJson(e, service, child));
      return out;
    }
    case YAML::NodeType::Scalar: {
      if (shape == nullptr) return YamlScalarGuess(node);
      if (node.Tag() != "!" && (node.Scalar() == "null" || node.Scalar() == "~")) return nullptr;
      if (shape->type == ShapeType::kString || shape->type == ShapeType::kBlob) {
        return json::String(node.Scalar());
      }
      auto converted = ConvertToShape(service, shape_index, json::String(node.Scalar()),
                                      "--cli-input-yaml");
      if (converted) return *converted;
      return YamlScalarGuess(node);
    }
    default:
      return nullptr;
  }
}


// --- HTTP ---------------------------------------------------------------------------------------

struct Endpoint {
  std::string url;   // as given, for messages
  std::string host;  // host[:port], the Host header
  std::string path;  // "/" or the URL's path
};

Endpoint ParseEndpoint(const std::string& url) {
  Endpoint e;
  e.url = url;
  const auto scheme = url.find("://");
  if (scheme == std::string::npos) {
    throw Exit{kExitGeneralError, "\nBad value for --endpoint-url \"" + url +
                                      "\": scheme is missing.  Must be of the form "
                                      "http://<hostname>/ or https://<hostname>/\n"};
  }
  const std::string rest = url.substr(scheme + 3);
  const auto slash = rest.find('/');
  e.host = rest.substr(0, slash);
  e.path = slash == std::string::npos ? "/" : rest.substr(slash);
  return e;
}

class Client {
 public:
  Client(Service service, Settings settings, const Globals& g)
      : service_(service),
        settings_(std::move(settings)),
        endpoint_(ParseEndpoint(settings_.endpoint_url)),
        client_(integrations::HttpClientOptions{
            .threads = 1, .verify_peer = !g.no_verify_ssl, .ca_file = g.ca_bundle}) {
    // The AWS CLI's read timeout is 60 seconds (0: none); GetActivityTask long-polls for up
    // to 60 seconds, so the default leaves room for it.
    if (g.read_timeout) {
      timeout_ = g.read_timeout->count() == 0 ? std::chrono::hours(24) : *g.read_timeout;
    }
  }

  // Calls `operation` with `params`: the parsed answer, or throws Exit with the AWS CLI's
  // message for an error answer (254) or a failed connection (255).
  json::Value Call(const api::Operation& operation, const json::Value& params) {
    for (int attempt = 1;; ++attempt) {
      auto response = Send(operation, params);
      if (!response) {
        const bool timed_out = response.error().code == ErrorCode::kTimedOut;
        throw Exit{kExitGeneralError,
                   std::string(timed_out ? "\nRead timeout on endpoint URL: \""
                                         : "\nCould not connect to the endpoint URL: \"") +
                       EndpointUrl() + "\"\n"};
      }
      const bool retryable = response->status >= 500 || response->status == 429 ||
                             ErrorType(*response) == "ThrottlingException";
      if (response->status / 100 == 2) {
        if (response->body.empty()) return json::Object();
        auto parsed = json::Parse(response->body);
        if (!parsed) {
          throw Exit{kExitGeneralError, "\nUnable to parse response (" +
                                            parsed.error().message + ")\n"};
        }
        return *parsed;
      }
      if (retryable && attempt < kMaxAttempts) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100 << attempt));
        continue;
      }
      std::string type = ErrorType(*response);
      std::string message = "Unknown";
      if (auto body = json::Parse(response->body); body && body->is_object()) {
        for (const char* key : {"message", "Message"}) {
          if (const json::Value* m = json::Find(*body, key); m && m->is_string()) {
            message = std::string(m->as_string());
          }
        }
      }
      if (type.empty()) type = std::to_string(response->status);
      std::string retries;
      if (attempt > 1) {
        retries = " (reached max retries: " + std::to_string(attempt - 1) + ")";
      }
      throw Exit{kExitServiceError, "\nAn error occurred (" + type + ") when calling the " +
                                        std::string(operation.name) + " operation" + retries +
                                        ": " + message + "\n"};
    }
  }

 private:
  std::string EndpointUrl() const {
    std::string u = endpoint_.url;
    if (u.find('/', u.find("://") + 3) == std::string::npos) u += "/";
    return u;
  }

  static std::string ErrorType(const integrations::HttpResponse& r) {
    std::string type(r.Header("X-Amzn-ErrorType"));
    if (type.empty()) {
      if (auto body = json::Parse(r.body); body && body->is_object()) {
        for (const char* key : {"__type", "code", "Code"}) {
          if (const json::Value* t = json::Find(*body, key); t && t->is_string()) {
            type = std::string(t->as_string());
            break;
          }
        }
      }
    }
    if (const auto hash = type.find('#'); hash != std::string::npos) type = type.substr(hash + 1);
    if (const auto colon = type.find(':'); colon != std::string::npos) type = type.substr(0, colon);
    return type;
  }

  Result<integrations::HttpResponse> Send(const api::Operation& operation,
                                          const json::Value& params) {
    const bool v10 = api::ProtocolVersion(service_) == api::JsonVersion::k1_0;
    api::Request request;
    request.method = "POST";
    request.target = endpoint_.path;
    request.body = json::Serialize(params);
    request.headers = {
        {"Host", endpoint_.host},
        {"Content-Type", v10 ? "application/x-amz-json-1.0" : "application/x-amz-json-1.1"},
        {"X-Amz-Target",
         std::string(api::TargetPrefix(service_)) + "." + std::string(operation.name)},
    };
    if (!settings_.access_key_id.empty()) {
      if (!settings_.session_token.empty()) {
        request.headers.emplace_back("X-Amz-Security-Token", settings_.session_token);
      }
      integrations::SignRequest(request, settings_.access_key_id, settings_.secret_access_key,
                                settings_.region, InfoOf(service_).signing_name,
                                std::chrono::system_clock::now());
    }
    integrations::HttpRequest http;
    http.method = "POST";
    http.url = endpoint_.url;
    if (http.url.find('/', http.url.find("://") + 3) == std::string::npos) http.url += "/";
    http.headers = request.headers;
    http.headers.emplace_back("User-Agent", "stepway-cli");
    http.body = std::move(request.body);
    http.timeout = timeout_;
    std::promise<Result<integrations::HttpResponse>> done;
    auto future = done.get_future();
    client_.Send(std::move(http), [&done](Result<integrations::HttpResponse> r) {
      done.set_value(std::move(r));
    });
    return future.get();
  }

  Service service_;
  Settings settings_;
  Endpoint endpoint_;
  std::chrono::milliseconds timeout_ = std::chrono::seconds(75);
  integrations::HttpClient client_;
};

// --- Help -----------------------------------------------------------------------------------------

std::string Wrap(std::string_view text, std::size_t indent, std::size_t width = 79) {
  std::string out;
  std::string line(indent, ' ');
  std::size_t pos = 0;
  bool empty_line = true;
  while (pos < text.size()) {
    const auto sp = text.find(' ', pos);
    const std::string_view word =
        text.substr(pos, sp == std::string_view::npos ? std::string_view::npos : sp - pos);
    pos = sp == std::string_view::npos ? text.size() : sp + 1;
    if (word.empty()) continue;
    if (!empty_line && line.size() + 1 + word.size() > width) {
      out += line + "\n";
      line = std::string(indent, ' ');
      empty_line = true;
    }
    if (!empty_line) line += ' ';
    line += word;
    empty_line = false;
  }
  if (!empty_line) out += line + "\n";
  return out;
}

std::string TypeName(ShapeType t) {
  switch (t) {
    case ShapeType::kString: return "string";
    case ShapeType::kInteger: return "integer";
    case ShapeType::kLong: return "long";
    case ShapeType::kFloat: return "float";
    case ShapeType::kDouble: return "double";
    case ShapeType::kBoolean: return "boolean";
    case ShapeType::kTimestamp: return "timestamp";
    case ShapeType::kBlob: return "blob";
    case ShapeType::kList: return "list";
    case ShapeType::kMap: return "map";
    case ShapeType::kStructure: return "structure";
  }
  return "string";
}

// The shorthand form of a structure whose members are all scalars, or "".
std::string ShorthandSyntax(Service service, const Shape& shape) {
  const Shape* s = &shape;
  bool list = false;
  if (s->type == ShapeType::kList) {
    s = &ShapeAt(service, s->value);
    list = true;
  }
  if (s->type == ShapeType::kMap) {
    return "KeyName1=" + TypeName(ShapeAt(service, s->value).type) + ",KeyName2=" +
           TypeName(ShapeAt(service, s->value).type);
  }
  if (s->type != ShapeType::kStructure) return "";
  std::string out;
  for (const api::Member& m : s->members) {
    const Shape& ms = ShapeAt(service, m.shape);
    std::string type = TypeName(ms.type);
    if (ms.type == ShapeType::kList) type = "[" + TypeName(ShapeAt(service, ms.value).type) + ",...]";
    if (ms.type == ShapeType::kStructure || ms.type == ShapeType::kMap) type = "{...}";
    out += (out.empty() ? "" : ",") + std::string(m.name) + "=" + type;
  }
  if (list) out += " ...";
  return out;
}

struct OptionInfo {
  std::string name;  // without "--"
  const api::Member* member = nullptr;
};

std::vector<OptionInfo> MemberOptions(Service service, const api::Operation& op) {
  std::vector<OptionInfo> out;
  if (op.input < 0) return out;
  const Shape& input = ShapeAt(service, op.input);
  for (const api::Member& m : input.members) {
    out.push_back(OptionInfo{CliNameOf(service, input.name, m.name), &m});
  }
  return out;
}

std::string OperationHelp(Service service, const api::Operation& op) {
  const OperationDoc& doc = DocOf(service, op);
  const Paginator* pager = FindPaginator(service, op.name);
  std::string out;
  out += "NAME\n       " + std::string(doc.cli_name) + " -\n\n";
  out += "DESCRIPTION\n" + Wrap(doc.doc, 7) + "\n";
  if (pager != nullptr) {
    out += Wrap(std::string(doc.cli_name) + " is a paginated operation. Multiple API calls may "
                "be issued in order to retrieve the entire data set of results. You can disable "
                "pagination by providing the --no-paginate argument. When using --output text "
                "and the --query argument on a paginated response, the --query argument must "
                "extract data from the results of the following query expressions: " +
                std::string(pager->result_key), 7) + "\n";
  }
  out += "SYNOPSIS\n            " + std::string(doc.cli_name) + "\n";
  const auto options = MemberOptions(service, op);
  for (const OptionInfo& o : options) {
    const Shape& s = ShapeAt(service, o.member->shape);
    std::string syntax = s.type == ShapeType::kBoolean ? "--" + o.name + " | --no-" + o.name
                                                        : "--" + o.name + " <value>";
    if (pager != nullptr && (o.member->name == pager->input_token ||
                             o.member->name == pager->limit_key)) {
      continue;  // hidden behind the paging options, as in the AWS CLI
    }
    out += "          " + (o.member->required ? syntax : "[" + syntax + "]") + "\n";
  }
  if (op.name == "StartExecution") out += "          [--wait]\n";
  out += "          [--cli-input-json | --cli-input-yaml]\n";
  if (pager != nullptr) {
    out += "          [--starting-token <value>]\n          [--page-size <value>]\n"
           "          [--max-items <value>]\n";
  }
  out += "          [--generate-cli-skeleton <value>]\n          [--debug]\n"
         "          [--endpoint-url <value>]\n          [--no-paginate]\n"
         "          [--output <value>]\n          [--query <value>]\n"
         "          [--profile <value>]\n          [--region <value>]\n\n";
  out += "OPTIONS\n";
  for (const OptionInfo& o : options) {
    const Shape& s = ShapeAt(service, o.member->shape);
    const std::string head = s.type == ShapeType::kBoolean ? "--" + o.name + " | --no-" + o.name
                                                            : "--" + o.name;
    out += "       " + head + " (" + TypeName(s.type) + ")\n";
    if (const MemberDoc* d = FindMemberDoc(service, ShapeAt(service, op.input).name,
                                           o.member->name)) {
      out += Wrap(d->doc, 10);
    }
    if (!s.enum_values.empty()) {
      out += "\n          Possible values:\n\n";
      for (auto v : s.enum_values) out += "          o " + std::string(v) + "\n";
    }
    const std::string shorthand = ShorthandSyntax(service, s);
    if (!shorthand.empty()) out += "\n       Shorthand Syntax:\n\n          " + shorthand + "\n";
    if (s.type == ShapeType::kStructure || s.type == ShapeType::kList ||
        s.type == ShapeType::kMap) {
      out += "\n       JSON Syntax:\n\n";
      std::istringstream lines(FormatJson(InputSkeleton(service, o.member->shape)));
      for (std::string line; std::getline(lines, line);) out += "          " + line + "\n";
    }
    out += "\n";
  }
  if (op.name == "StartExecution") {
    out += "       --wait (boolean)\n" +
           Wrap("Follow the execution until it ends and print its description (the answer "
                "of describe-execution) instead of start-execution's answer.", 10) + "\n";
  }
  out += "       --cli-input-json | --cli-input-yaml (string)\n" +
         Wrap("Reads arguments from the JSON string provided. The JSON string follows the "
              "format provided by --generate-cli-skeleton. If other arguments are provided on "
              "the command line, those values will override the JSON-provided values. It is "
              "not possible to pass arbitrary binary values using a JSON-provided value as the "
              "string will be taken literally. This may not be specified along with "
              "--cli-input-yaml.", 10) + "\n";
  if (pager != nullptr) {
    out += "       --starting-token (string)\n" +
           Wrap("A token to specify where to start paginating. This is the NextToken from a "
                "previously truncated response.", 10) + "\n" +
           "       --page-size (integer)\n" +
           Wrap("The size of each page to get in the AWS service call. This does not affect "
                "the number of items returned in the command's output.", 10) + "\n" +
           "       --max-items (integer)\n" +
           Wrap("The total number of items to return in the command's output. If the total "
                "number of items available is more than the value specified, a NextToken is "
                "provided in the command's output. To resume pagination, provide the NextToken "
                "value in the starting-token argument of a subsequent command.", 10) + "\n";
  }
  out += "       --generate-cli-skeleton (string)\n" +
         Wrap("Prints a JSON skeleton to standard output without sending an API request. If "
              "provided with no value or the value input, prints a sample input JSON that can "
              "be used as an argument for --cli-input-json. Similarly, if provided yaml-input "
              "it will print a sample input YAML that can be used with --cli-input-yaml. If "
              "provided with the value output, it validates the command inputs and returns a "
              "sample output JSON for that command.", 10) + "\n";
  out += "OUTPUT\n";
  if (op.output >= 0) {
    const Shape& output = ShapeAt(service, op.output);
    for (const api::Member& m : output.members) {
      out += "       " + std::string(m.name) + " -> (" +
             TypeName(ShapeAt(service, m.shape).type) + ")\n";
      if (const MemberDoc* d = FindMemberDoc(service, output.name, m.name)) {
        out += Wrap(d->doc, 10);
      }
      out += "\n";
    }
  } else {
    out += "       None\n";
  }
  return out;
}

std::string ServiceHelp(const ServiceInfo& info) {
  std::string out;
  out += "NAME\n       " + std::string(info.cli_name) + " -\n\n";
  out += "DESCRIPTION\n" + Wrap(info.doc, 7) + "\n";
  out += "AVAILABLE COMMANDS\n";
  for (const OperationDoc& d : OperationDocs(info.service)) {
    out += "       o " + std::string(d.cli_name) + "\n\n";
  }
  out += "       o help\n";
  return out;
}

std::string InvalidChoice(const ServiceInfo& info, std::string_view got) {
  std::string out = "argument operation: Invalid choice, valid choices are:\n\n";
  std::vector<std::string> names;
  for (const OperationDoc& d : OperationDocs(info.service)) names.emplace_back(d.cli_name);
  names.emplace_back("help");
  for (std::size_t i = 0; i < names.size(); ++i) {
    std::string name = names[i];
    if (i % 2 == 0 && i + 1 < names.size()) {
      name.resize(std::max<std::size_t>(name.size(), 40), ' ');
      out += name + "| ";
    } else {
      out += name + "\n";
    }
  }
  (void)got;
  return out.substr(0, out.size() - 1);
}

// --- One operation ----------------------------------------------------------------------------

enum class Skeleton { kNone, kInput, kYamlInput, kOutput };

struct Invocation {
  json::Object params;  // from the command line, wire names
  std::vector<std::string> cli_keys;  // members set on the command line
  std::optional<std::string> cli_input_json;
  std::optional<std::string> cli_input_yaml;
  Skeleton skeleton = Skeleton::kNone;
  std::optional<std::string> starting_token;
  std::optional<std::int64_t> page_size;
  std::optional<std::int64_t> max_items;
  bool wait = false;
  bool help = false;
};

std::int64_t ParseIntOption(const std::string& option, const std::string& value) {
  std::int64_t out = 0;
  auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), out);
  if (ec != std::errc() || ptr != value.data() + value.size()) {
    throw ParamError("Error parsing parameter '" + option +
                     "': invalid literal for int() with base 10: '" + value + "'");
  }
  return out;
}

Invocation ParseInvocation(Service service, const api::Operation& op,
                           const std::vector<std::string>& words) {
  Invocation inv;
  if (words.size() == 1 && words[0] == "help") {
    inv.help = true;
    return inv;
  }
  const auto options = MemberOptions(service, op);
  const Paginator* pager = FindPaginator(service, op.name);
  std::vector<std::string> unknown;
  const bool relax_required = std::any_of(words.begin(), words.end(), [](const std::string& w) {
    return w.starts_with("--cli-input-json") || w.starts_with("--cli-input-yaml") ||
           w.starts_with("--generate-cli-skeleton");
  });
  for (std::size_t i = 0; i < words.size(); ++i) {
    const std::string& w = words[i];
    if (!w.starts_with("--")) {
      unknown.push_back(w);
      continue;
    }
    std::string name = w.substr(2);
    std::optional<std::string> inline_value;
    if (const auto eq = name.find('='); eq != std::string::npos) {
      inline_value = name.substr(eq + 1);
      name = name.substr(0, eq);
    }
    // The values that follow, up to the next option.
    auto take_values = [&](bool many) {
      std::vector<std::string> values;
      if (inline_value) {
        values.push_back(*inline_value);
        if (!many) return values;
      }
      while (i + 1 < words.size() && !words[i + 1].starts_with("--")) {
        values.push_back(words[++i]);
        if (!many) break;
      }
      if (values.empty()) {
        throw UsageError("argument --" + name + ": expected " +
                         (many ? std::string("at least one argument") : "one argument"));
      }
      return values;
    };
    if (name == "generate-cli-skeleton") {
      std::string v = "input";
      if (inline_value) {
        v = *inline_value;
      } else if (i + 1 < words.size() && !words[i + 1].starts_with("--")) {
        v = words[++i];
      }
      if (v == "input") inv.skeleton = Skeleton::kInput;
      else if (v == "yaml-input") inv.skeleton = Skeleton::kYamlInput;
      else if (v == "output") inv.skeleton = Skeleton::kOutput;
      else {
        throw UsageError("argument --generate-cli-skeleton: invalid choice: '" + v +
                         "' (choose from 'input', 'output', 'yaml-input')");
      }
      continue;
    }
    if (name == "cli-input-json") {
      inv.cli_input_json = take_values(false)[0];
      continue;
    }
    if (name == "cli-input-yaml") {
      inv.cli_input_yaml = take_values(false)[0];
      continue;
    }
    if (pager != nullptr && name == "starting-token") {
      inv.starting_token = take_values(false)[0];
      continue;
    }
    if (pager != nullptr && name == "page-size") {
      inv.page_size = ParseIntOption("--page-size", take_values(false)[0]);
      continue;
    }
    if (pager != nullptr && name == "max-items") {
      inv.max_items = ParseIntOption("--max-items", take_values(false)[0]);
      continue;
    }
    if (op.name == "StartExecution" && name == "wait") {
      inv.wait = true;
      continue;
    }
    const OptionInfo* found = nullptr;
    bool negated = false;
    for (const OptionInfo& o : options) {
      if (o.name == name) found = &o;
      if (name.starts_with("no-") && o.name == name.substr(3) &&
          ShapeAt(service, o.member->shape).type == ShapeType::kBoolean) {
        found = &o;
        negated = true;
      }
    }
    if (found == nullptr) {
      unknown.push_back(w);
      continue;
    }
    const Shape& shape = ShapeAt(service, found->member->shape);
    const std::string key(found->member->name);
    if (shape.type == ShapeType::kBoolean) {
      if (inline_value) {
        throw UsageError("argument --" + name + ": ignored explicit argument '" + *inline_value +
                         "'");
      }
      inv.params[key] = !negated;
      inv.cli_keys.push_back(key);
      continue;
    }
    std::vector<std::string> values = take_values(shape.type == ShapeType::kList);
    bool binary = false;
    for (std::string& v : values) v = ResolveParamFile("--" + name, v, &binary);
    auto parsed = ParseOptionValue(service, found->member->shape, values, "--" + name, binary);
    if (!parsed) throw ParamError(parsed.error().message);
    inv.params[key] = std::move(*parsed);
    inv.cli_keys.push_back(key);
  }
  if (!unknown.empty()) {
    std::string list;
    for (const std::string& u : unknown) list += (list.empty() ? "" : ", ") + u;
    throw UnknownOptions(list);
  }
  if (inv.cli_input_json && inv.cli_input_yaml) {
    throw UsageError("Only one --cli-input-json or --cli-input-yaml may be specified");
  }
  if (!relax_required) {
    std::string missing;
    for (const OptionInfo& o : options) {
      if (o.member->required && !inv.params.contains(o.member->name)) {
        missing += (missing.empty() ? "" : ", ") + std::string("--") + o.name;
      }
    }
    if (!missing.empty()) throw UsageError("the following arguments are required: " + missing);
  }
  return inv;
}

// The request: --cli-input-json/yaml, then the command line's members over it.
json::Object BuildRequest(Service service, const api::Operation& op, const Invocation& inv) {
  json::Object request;
  if (inv.cli_input_json) {
    const std::string text = ResolveParamFile("--cli-input-json", *inv.cli_input_json, nullptr);
    auto parsed = json::Parse(text);
    if (!parsed) {
      throw ParamError("Error parsing parameter '--cli-input-json': Invalid JSON received.");
    }
    if (!parsed->is_object()) {
      throw ParamError("Error parsing parameter '--cli-input-json': Invalid JSON received.");
    }
    request = parsed->as_object();
  } else if (inv.cli_input_yaml) {
    const std::string text = ResolveParamFile("--cli-input-yaml", *inv.cli_input_yaml, nullptr);
    YAML::Node node;
    try {
      node = YAML::Load(text);
    } catch (const YAML::Exception& e) {
      throw ParamError("Error parsing parameter '--cli-input-yaml': Invalid YAML received: " +
                       std::string(e.what()));
    }
    if (!node.IsMap()) {
      if (node.IsNull()) return request;
      throw ParamError("Error parsing parameter '--cli-input-yaml': Invalid YAML received.");
    }
    request = YamlToJson(node, service, op.input).as_object();
  }
  for (const auto& kv : inv.params) request[kv.key()] = kv.value();
  return request;
}

struct Token {
  json::Value next;  // the server's token (or null)
  std::int64_t truncate = 0;
};

Token DecodeStartingToken(std::string_view text, const Paginator& p) {
  Token t;
  if (auto raw = Base64Decode(text)) {
    if (auto parsed = json::Parse(*raw); parsed && parsed->is_object()) {
      if (const json::Value* n = json::Find(*parsed, p.input_token)) t.next = *n;
      if (const json::Value* n = json::Find(*parsed, "boto_truncate_amount");
          n && n->is_int64()) {
        t.truncate = n->as_int64();
      }
      return t;
    }
  }
  // Not one of ours: the server's own token.
  t.next = json::String(text);
  return t;
}

// The token a truncated listing prints: base64 of JSON as Python's json.dumps writes it, so
// that the AWS CLI and Stepway accept each other's tokens.
std::string EncodeToken(const json::Value& next, std::int64_t truncate, const Paginator& p) {
  std::string text = "{\"" + std::string(p.input_token) + "\": " + json::Serialize(next);
  if (truncate > 0) text += ", \"boto_truncate_amount\": " + std::to_string(truncate);
  return Base64Encode(text + "}");
}

// A paginated call's answer: the pages merged, and each page's share (text output prints
// page by page, as the AWS CLI does).
struct Paged {
  json::Value merged;
  std::vector<json::Value> pages;
  std::optional<std::string> next_token;
};

// Calls a paginated operation to the end (or --max-items), merging the pages' result lists.
Paged Paginate(Client& client, const api::Operation& op, const Paginator& p,
               json::Object request, const Invocation& inv) {
  Paged paged;
  if (inv.page_size && !p.limit_key.empty()) request[p.limit_key] = *inv.page_size;
  std::int64_t truncate = 0;
  if (inv.starting_token) {
    const Token t = DecodeStartingToken(*inv.starting_token, p);
    if (!t.next.is_null()) request[p.input_token] = t.next;
    truncate = t.truncate;
  }
  json::Object merged;
  json::Array items;
  std::optional<std::string> next_token_out;
  bool first = true;
  while (true) {
    const json::Value sent_token =
        request.contains(p.input_token) ? request.at(p.input_token) : json::Value(nullptr);
    json::Value page = client.Call(op, request);
    if (!page.is_object()) break;
    json::Object& obj = page.as_object();
    json::Array page_items;
    if (const json::Value* r = obj.if_contains(p.result_key); r && r->is_array()) {
      page_items = r->as_array();
    }
    std::int64_t skipped = 0;
    if (first && truncate > 0) {
      skipped = std::min<std::int64_t>(truncate, static_cast<std::int64_t>(page_items.size()));
      page_items.erase(page_items.begin(), page_items.begin() + skipped);
    }
    if (first) {
      for (const auto& kv : obj) {
        if (kv.key() != p.output_token && kv.key() != p.result_key) merged[kv.key()] = kv.value();
      }
    }
    first = false;
    const json::Value* next = obj.if_contains(p.output_token);
    const bool has_next = next != nullptr && next->is_string() && !next->as_string().empty();
    json::Array shown;
    for (std::size_t i = 0; i < page_items.size(); ++i) {
      if (inv.max_items && static_cast<std::int64_t>(items.size()) >= *inv.max_items) {
        // Stopped inside this page: resume from its token, skipping what was shown.
        next_token_out = EncodeToken(sent_token, skipped + static_cast<std::int64_t>(i), p);
        break;
      }
      items.push_back(page_items[i]);
      shown.push_back(page_items[i]);
    }
    json::Object page_part;
    if (paged.pages.empty()) page_part = merged;
    page_part[p.result_key] = std::move(shown);
    paged.pages.emplace_back(std::move(page_part));
    if (next_token_out) break;
    if (!has_next) break;
    if (inv.max_items && static_cast<std::int64_t>(items.size()) >= *inv.max_items) {
      next_token_out = EncodeToken(*next, 0, p);
      break;
    }
    request[p.input_token] = *next;
  }
  json::Object out;
  out[p.result_key] = std::move(items);
  for (const auto& kv : merged) out[kv.key()] = kv.value();
  if (next_token_out) out["NextToken"] = json::String(*next_token_out);
  paged.merged = std::move(out);
  paged.next_token = next_token_out;
  return paged;
}

// The width of the terminal standard output goes to, or 80 when it is not one.
std::size_t TerminalWidth() {
  winsize size{};
  if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &size) == 0 && size.ws_col > 0) return size.ws_col;
  return kDefaultTerminalWidth;
}

// Checks --query before anything is sent, as the AWS CLI does.
void CheckQuery(const Globals& g) {
  if (!g.query) return;
  if (auto compiled = JmesPath::Compile(*g.query); !compiled) {
    throw ParamError("Bad value for --query " + *g.query + ": " + compiled.error().message);
  }
}

json::Value ApplyQuery(const Globals& g, const json::Value& value) {
  if (!g.query) return value;
  auto result = SearchJmesPath(*g.query, value);
  if (!result) throw Exit{kExitGeneralError, "\n" + result.error().message + "\n"};
  return std::move(*result);
}

int Print(const Settings& settings, const Globals& g, const api::Operation& op,
          const json::Value& value);

// Prints a paginated answer. Text prints each page on its own (the query applies to each) and
// then the resume token as "NEXTTOKEN\t..."; the other formats print the merged answer.
int PrintPaged(const Settings& settings, const Globals& g, Service service,
               const api::Operation& op, const Paged& paged) {
  auto format = ParseOutputFormat(settings.output);
  if (!format) throw UsageError(format.error().message);
  if (*format != OutputFormat::kText) {
    json::Value merged = TimestampsToIso(service, op.output, paged.merged);
    // The resume token the paginator adds ("NextToken") is the CLI's, not the model's.
    const json::Object* raw = paged.merged.if_object();
    if (const json::Value* token = raw ? raw->if_contains("NextToken") : nullptr;
        token != nullptr && merged.is_object()) {
      merged.as_object()["NextToken"] = *token;
    }
    return Print(settings, g, op, merged);
  }
  for (const json::Value& page : paged.pages) {
    std::cout << FormatText(ApplyQuery(g, TimestampsToIso(service, op.output, page)));
  }
  if (paged.next_token) std::cout << "NEXTTOKEN\t" << *paged.next_token << "\n";
  std::cout.flush();
  return kExitOk;
}

int Print(const Settings& settings, const Globals& g, const api::Operation& op,
          const json::Value& value) {
  auto format = ParseOutputFormat(settings.output);
  if (!format) throw UsageError(format.error().message);
  const json::Value shown = ApplyQuery(g, value);
  std::cout << FormatOutput(*format, shown, op.name, TerminalWidth());
  std::cout.flush();
  return kExitOk;
}

int RunOperation(const ServiceInfo& info, const api::Operation& op, const Globals& g,
                 const std::vector<std::string>& words) {
  const Service service = info.service;
  Invocation inv = ParseInvocation(service, op, words);
  if (inv.help) {
    std::cout << OperationHelp(service, op);
    return kExitOk;
  }
  if (inv.skeleton == Skeleton::kInput) {
    std::cout << FormatJson(InputSkeleton(service, op.input));
    return kExitOk;
  }
  if (inv.skeleton == Skeleton::kYamlInput) {
    std::cout << YamlInputSkeleton(service, op.input);
    return kExitOk;
  }
  CheckQuery(g);
  json::Object request = BuildRequest(service, op, inv);
  if (const auto errors = ValidateParameters(service, op.input, request); !errors.empty()) {
    std::string message = "Parameter validation failed:";
    for (const std::string& e : errors) message += "\n" + e;
    throw ParamError(message);
  }
  Settings settings = LoadSettings(
      g.overrides, service == Service::kStepFunctions ? std::string_view("SFN") : "TRANSFER");
  if (g.no_sign_request) settings.access_key_id.clear();
  if (auto format = ParseOutputFormat(settings.output); !format) {
    throw UsageError(format.error().message);
  }
  if (inv.skeleton == Skeleton::kOutput) {
    return Print(settings, g, op, OutputSkeleton(service, op.output));
  }
  Client client(service, settings, g);
  request = TimestampsToEpoch(service, op.input, request).as_object();
  const Paginator* pager = FindPaginator(service, op.name);
  const bool paging_by_hand =
      pager != nullptr && (request.contains(pager->input_token) ||
                           (!pager->limit_key.empty() && request.contains(pager->limit_key)));
  if (pager != nullptr && !g.no_paginate && !paging_by_hand) {
    return PrintPaged(settings, g, service, op, Paginate(client, op, *pager, std::move(request), inv));
  }
  const json::Value response = client.Call(op, request);
  if (inv.wait) {
    const api::Operation* describe = api::FindOperation(service, "DescribeExecution");
    const json::Value* arn = json::Find(response, "executionArn");
    if (describe != nullptr && arn != nullptr) {
      json::Object describe_request;
      describe_request["executionArn"] = *arn;
      while (true) {
        json::Value d = client.Call(*describe, describe_request);
        const json::Value* status = json::Find(d, "status");
        if (status == nullptr || !status->is_string() || status->as_string() != "RUNNING") {
          return Print(settings, g, *describe, TimestampsToIso(service, describe->output, d));
        }
        std::this_thread::sleep_for(kWaitPollInterval);
      }
    }
  }
  return Print(settings, g, op, TimestampsToIso(service, op.output, response));
}

int Run(const std::vector<std::string>& args) {
  Globals g;
  const std::vector<std::string> words = ExtractGlobals(args, g);
  if (words.empty()) throw UsageError("the following arguments are required: command");
  const ServiceInfo* info = FindService(words[0]);
  if (info == nullptr) throw UsageError("argument command: Invalid choice: '" + words[0] + "'");
  if (words.size() == 1) throw UsageError("the following arguments are required: operation");
  if (words[1] == "help") {
    std::cout << ServiceHelp(*info);
    return kExitOk;
  }
  const api::Operation* op = FindOperationByCliName(info->service, words[1]);
  if (op == nullptr) throw UsageError(InvalidChoice(*info, words[1]));
  return RunOperation(*info, *op, g, std::vector<std::string>(words.begin() + 2, words.end()));
}

}  // namespace

bool IsAwsServiceCommand(const std::string& word) { return FindService(word) != nullptr; }

int RunAwsCommand(const std::vector<std::string>& args) {
  try {
    return Run(args);
  } catch (const Exit& e) {
    std::cout.flush();
    std::cerr << e.message;
    std::cerr.flush();
    return e.code;
  }
}

}  // namespace stepway::cli
