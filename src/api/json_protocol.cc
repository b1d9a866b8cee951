#include "api/json_protocol.h"

#include <strings.h>

#include <string>

#include "base/limits.h"

namespace stepway::api {
namespace {

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && strncasecmp(a.data(), b.data(), a.size()) == 0;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Lenient: the media type without parameters, any case; absent is fine (curl, some SDKs).
bool JsonContentType(std::string_view content_type) {
  std::string_view media = Trim(content_type.substr(0, content_type.find(';')));
  return media.empty() || EqualsIgnoreCase(media, "application/x-amz-json-1.0") ||
         EqualsIgnoreCase(media, "application/x-amz-json-1.1") ||
         EqualsIgnoreCase(media, "application/json");
}

bool AllWhitespace(std::string_view s) {
  return s.find_first_not_of(" \t\r\n") == std::string_view::npos;
}

// The operation X-Amz-Target names for `service`, or nullptr.
const Operation* TargetOperation(Service service, std::string_view target) {
  target = Trim(target);
  std::string_view prefix = TargetPrefix(service);
  if (target.size() <= prefix.size() + 1 || target.substr(0, prefix.size()) != prefix ||
      target[prefix.size()] != '.') {
    return nullptr;
  }
  return FindOperation(service, target.substr(prefix.size() + 1));
}

ApiError Error(std::string type, int status = 400) { return ApiError{std::move(type), "", status}; }

tl::expected<JsonRequest, ApiError> Parse(std::optional<Service> service, const Request& request) {
  if (request.body.size() > limits::kMaxRequestBytes) {
    return tl::unexpected(Error("RequestEntityTooLargeException", 413));
  }
  if (request.method != "POST" || !JsonContentType(request.Header("Content-Type"))) {
    return tl::unexpected(Error("UnknownOperationException", 404));
  }
  const Operation* op =
      service ? TargetOperation(*service, request.Header("X-Amz-Target")) : nullptr;
  if (AllWhitespace(request.body)) {
    return tl::unexpected(Error(op ? "SerializationException" : "UnknownOperationException"));
  }
  auto parsed = json::Parse(request.body);
  if (!parsed || !(parsed->is_object() || parsed->is_array())) {
    return tl::unexpected(Error("SerializationException"));
  }
  if (op == nullptr) return tl::unexpected(Error("UnknownOperationException"));
  return JsonRequest{*service, op, std::move(*parsed)};
}

}  // namespace

std::optional<Service> ServiceOfTarget(std::string_view x_amz_target) {
  x_amz_target = Trim(x_amz_target);
  for (Service s : {Service::kStepFunctions, Service::kTransfer}) {
    std::string_view prefix = TargetPrefix(s);
    if (x_amz_target.size() > prefix.size() && x_amz_target.substr(0, prefix.size()) == prefix &&
        x_amz_target[prefix.size()] == '.') {
      return s;
    }
  }
  return std::nullopt;
}

tl::expected<JsonRequest, ApiError> ParseJsonRequest(Service service, const Request& request) {
  return Parse(service, request);
}

tl::expected<JsonRequest, ApiError> ParseJsonRequest(const Request& request) {
  return Parse(ServiceOfTarget(request.Header("X-Amz-Target")), request);
}

}  // namespace stepway::api
