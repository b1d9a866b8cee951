// Payload size checks: whether a value's JSON text exceeds a byte limit, without printing it.
#pragma once

#include <cstddef>

#include "json/json.h"

namespace stepway::engine {

// True when json::Serialize(value).size() > limit. Walks the value, stopping as soon as the
// limit is certainly passed; doubles are printed only when the bound is close.
bool ExceedsPayloadLimit(const json::Value& value, std::size_t limit);

}  // namespace stepway::engine
