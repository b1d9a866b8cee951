// The pure half of the client commands' argument handling: turning option values into request
// members typed by the service model, as the AWS CLI does.
//
// - Shorthand syntax (`Key=Value,Key2=[a,b],Key3={A=1}`; quoting with '' or ""; `\` escapes),
//   parsed into a generic JSON tree whose scalars are strings, then typed by ConvertToShape.
// - An option's values (after file:// and fileb:// were read by the caller): JSON when they
//   start with `{` or `[` for structures, maps and lists, shorthand otherwise, scalars parsed as
//   the member's type (integers, doubles, booleans, ISO-8601 or epoch timestamps).
// - Client-side validation of a whole request as botocore's parameter validation words it
//   (`Missing required parameter in input: "taskToken"`), run before anything is sent.
//
// Pure and thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "api/model.h"
#include "base/result.h"
#include "json/json.h"

namespace stepway::cli {

// Parses shorthand into an object whose values are strings, arrays and objects.
// kInvalidArgument naming the position of a syntax error.
Result<json::Value> ParseShorthand(std::string_view text);

// Types a generic value (shorthand, a YAML document, command-line strings) as shape
// `shape_index`: strings become numbers, booleans or timestamps where the model says so, a
// lone scalar becomes a one-element list where a list is wanted. Members the shape does not
// name are kept as they are (validation reports them). kInvalidArgument on a value that
// cannot be converted; `where` names it in the message.
Result<json::Value> ConvertToShape(api::Service service, int shape_index, const json::Value& value,
                                   std::string_view where);

// The request member of shape `shape_index` given as `values` on the command line (one value
// for a scalar, structure or map; one or more for a list). `option` ("--tags") is for
// messages. `binary` marks a value read with fileb:// (for blobs: raw bytes, sent base64).
Result<json::Value> ParseOptionValue(api::Service service, int shape_index,
                                     const std::vector<std::string>& values,
                                     std::string_view option, bool binary = false);

// Epoch seconds of an ISO-8601 timestamp ("2026-11-21T10:00:00Z", "2026-11-21", with a
// fraction or an offset) or of a number; kInvalidArgument otherwise.
Result<double> ParseTimestamp(std::string_view text);

// `value` with every timestamp member given as text ("2026-11-21T10:00:00Z", as JSON input
// and skeletons write them) turned into epoch seconds, as the wire carries them.
json::Value TimestampsToEpoch(api::Service service, int shape_index, const json::Value& value);

// botocore-style validation of a request against the input shape: every problem, one a line,
// ("Missing required parameter in input: \"taskToken\"", "Unknown parameter in input: ...",
// "Invalid type for parameter ...", "Invalid length for parameter ..., valid min length: 1",
// "Invalid range for parameter ..., valid min value: 0"); empty when the request is valid.
std::vector<std::string> ValidateParameters(api::Service service, int shape_index,
                                            const json::Value& params);


}  // namespace stepway::cli
