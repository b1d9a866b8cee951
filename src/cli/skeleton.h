// `--generate-cli-skeleton`: requests and responses made up from the model, as the AWS CLI
// (v2) makes them. `input` is every member of the input shape with an empty value of its type
// ("" for strings, the first value for enums, 0, true, one-element lists, maps with a
// "KeyName" key); `yaml-input` is the same as YAML with each member's documentation and
// whether it is required as comments; `output` is a sample response whose strings are their
// member names. A structure nested in itself stops as `{}`.
//
// Pure and thread-safe.
#pragma once

#include <string>

#include "api/model.h"
#include "json/json.h"

namespace stepway::cli {

// The input skeleton of shape `shape_index` ({} when it is -1).
json::Value InputSkeleton(api::Service service, int shape_index);

// The YAML input skeleton, with comments.
std::string YamlInputSkeleton(api::Service service, int shape_index);

// A sample response of shape `shape_index` ({} when it is -1). In both skeletons timestamps
// are "1970-01-01T00:00:00".
json::Value OutputSkeleton(api::Service service, int shape_index);

}  // namespace stepway::cli
