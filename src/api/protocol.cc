#include "api/protocol.h"

#include <strings.h>

#include "json/json.h"

namespace stepway::api {

std::string_view Request::Header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (k.size() == name.size() && strncasecmp(k.data(), name.data(), k.size()) == 0) return v;
  }
  return {};
}

Response ErrorResponse(const ApiError& error, JsonVersion version,
                       std::string_view extra_members) {
  Response r;
  r.status = error.status;
  json::Object body;
  body["__type"] = error.type;
  body[version == JsonVersion::k1_0 ? "message" : "Message"] = error.message;
  if (!extra_members.empty()) {
    if (auto extra = json::Parse(extra_members); extra && extra->is_object()) {
      for (const auto& kv : extra->get_object()) body[kv.key()] = kv.value();
    }
  }
  r.content_type = version == JsonVersion::k1_0 ? "application/x-amz-json-1.0"
                                                : "application/x-amz-json-1.1";
  r.headers.emplace_back("X-Amzn-ErrorType", error.type);
  r.body = json::Serialize(body);
  return r;
}

}  // namespace stepway::api
