#include "api/sfn/common.h"

#include <chrono>
#include <cstdlib>
#include <vector>

namespace stepway::api::sfn {

Response Ok(const json::Object& body) {
  Response r;
  r.body = json::Serialize(body);
  return r;
}

Response Error(std::string type, std::string message) {
  return ErrorResponse(ApiError{std::move(type), std::move(message), 400}, JsonVersion::k1_0);
}

json::Value Timestamp(std::int64_t millis) { return double(millis) / 1000.0; }

std::optional<Response> CheckArn(std::string_view arn, std::string_view resource_type) {
  if (arn.rfind("arn:", 0) != 0) {
    return Error("InvalidArn", "Invalid Arn: 'Invalid ARN prefix: " + std::string(arn) + "'");
  }
  // arn:partition:states:region:account:type:name[:...]
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  while (parts.size() < 6) {
    std::size_t pos = arn.find(':', start);
    if (pos == std::string_view::npos) {
      parts.push_back(arn.substr(start));
      break;
    }
    parts.push_back(arn.substr(start, pos - start));
    start = pos + 1;
  }
  if (parts.size() < 6 || parts[2] != "states") {
    return Error("InvalidArn", "Invalid Arn: 'Resource type not valid in this context: " +
                                   std::string(parts.size() > 5 ? parts[5] : "") + "'");
  }
  const std::string_view type = parts[5];
  const bool ok = type == resource_type || (resource_type == "execution" && type == "express");
  if (!ok) {
    return Error("InvalidArn", "Invalid Arn: 'Resource type not valid in this context: " +
                                   std::string(type) + "'");
  }
  if (start >= arn.size()) {
    return Error("InvalidArn", "Invalid Arn: 'Invalid ARN: " + std::string(arn) + "'");
  }
  return std::nullopt;
}

bool ValidName(std::string_view name) {
  if (name.empty() || json::CodePointCount(name) > 80) return false;
  static constexpr std::string_view kForbidden = " <>{}[]?*\"#%\\^|~`$&,;:/";
  for (unsigned char c : name) {
    if (c < 0x20 || c == 0x7F || std::isspace(c)) return false;
    if (kForbidden.find(char(c)) != std::string_view::npos) return false;
  }
  // Unicode control characters U+0080..U+009F.
  for (std::size_t i = 0; i + 1 < name.size(); ++i) {
    if (static_cast<unsigned char>(name[i]) == 0xC2 &&
        static_cast<unsigned char>(name[i + 1]) >= 0x80 &&
        static_cast<unsigned char>(name[i + 1]) <= 0x9F) {
      return false;
    }
  }
  return true;
}

std::int64_t NowMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::optional<OffsetPage> PageOf(const json::Object& request, std::size_t total) {
  std::int64_t max = IntOf(request, "maxResults", 0);
  if (max <= 0) max = 100;
  OffsetPage page;
  if (std::string token = StringOf(request, "nextToken"); !token.empty()) {
    auto position = DecodePageToken(token);
    if (!position) return std::nullopt;
    page.begin = std::min<std::size_t>(std::strtoull(position->c_str(), nullptr, 10), total);
  }
  page.end = std::min(total, page.begin + std::size_t(max));
  if (page.end < total) page.next_token = EncodePageToken(std::to_string(page.end));
  return page;
}

namespace {
constexpr char kHex[] = "0123456789abcdef";
}

std::string EncodePageToken(std::string_view position) {
  std::string out = "sw1";
  for (unsigned char c : position) {
    out += kHex[c >> 4];
    out += kHex[c & 15];
  }
  return out;
}

std::optional<std::string> DecodePageToken(std::string_view token) {
  if (token.rfind("sw1", 0) != 0 || (token.size() - 3) % 2 != 0) return std::nullopt;
  std::string out;
  for (std::size_t i = 3; i < token.size(); i += 2) {
    auto nib = [](char c) -> int {
      if (c >= '0' && c <= '9') return c - '0';
      if (c >= 'a' && c <= 'f') return c - 'a' + 10;
      return -1;
    };
    int hi = nib(token[i]), lo = nib(token[i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out += char(hi * 16 + lo);
  }
  return out;
}

store::Tags TagsOf(const json::Object& request) {
  store::Tags tags;
  const json::Value* list = request.if_contains("tags");
  if (list == nullptr || !list->is_array()) return tags;
  for (const json::Value& t : list->get_array()) {
    if (!t.is_object()) continue;
    tags[StringOf(t.get_object(), "key")] = StringOf(t.get_object(), "value");
  }
  return tags;
}

std::string StringOf(const json::Object& o, std::string_view key, std::string_view fallback) {
  const json::Value* v = o.if_contains(key);
  if (v == nullptr || !v->is_string()) return std::string(fallback);
  return std::string(v->get_string());
}

std::int64_t IntOf(const json::Object& o, std::string_view key, std::int64_t fallback) {
  const json::Value* v = o.if_contains(key);
  std::int64_t n;
  if (v == nullptr || !json::AsInt64(*v, n)) return fallback;
  return n;
}

bool BoolOf(const json::Object& o, std::string_view key, bool fallback) {
  const json::Value* v = o.if_contains(key);
  if (v == nullptr || !v->is_bool()) return fallback;
  return v->get_bool();
}

}  // namespace stepway::api::sfn
