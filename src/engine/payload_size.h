// Payload size checks: whether a value's JSON text exceeds a byte limit, without printing it.
#pragma once

#include <cstddef>

#include "json/json.h"

namespace stepway::engine {

// True when json::Serialize(value).size() > limit. Walks the value, stopping as soon as the
// limit is certainly passed; doubles are printed only when the bound is close.
bool ExceedsPayloadLimit(const json::Value& value, std::size_t limit);

// An upper bound of json::Serialize(value).size() (doubles counted at their widest), exact but
// for doubles. Stops early and returns some value over `limit` once the limit is passed.
std::size_t SizeBound(const json::Value& value, std::size_t limit);

}  // namespace stepway::engine
