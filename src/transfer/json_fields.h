// Reading members of the JSON objects Transfer keeps (requests, documents, workflow state):
// a missing member or one of another type reads as empty.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "json/json.h"

namespace stepway::transfer {

inline std::string Str(const json::Object& o, std::string_view key) {
  const json::Value* v = o.if_contains(key);
  return v != nullptr && v->is_string() ? std::string(v->get_string()) : std::string();
}

inline const json::Object* Obj(const json::Object& o, std::string_view key) {
  const json::Value* v = o.if_contains(key);
  return v != nullptr ? v->if_object() : nullptr;
}

inline const json::Array* Arr(const json::Object& o, std::string_view key) {
  const json::Value* v = o.if_contains(key);
  return v != nullptr ? v->if_array() : nullptr;
}

// `text` as a JSON object; nullopt when it is not one.
inline std::optional<json::Object> ParseObject(std::string_view text) {
  auto parsed = json::Parse(text);
  if (!parsed || !parsed->is_object()) return std::nullopt;
  return std::move(parsed->get_object());
}

}  // namespace stepway::transfer
