// JSONata: the expression language of Step Functions' JSONata mode (JSONata 2.0 semantics).
#pragma once

namespace stepway::jsonata {

// The JSONata version whose behaviour this module follows.
inline constexpr const char* kVersion = "2.0";

}  // namespace stepway::jsonata
