// How the client commands print a response, as the AWS CLI (v2) prints it: `json` (indent 4,
// non-ASCII kept), `yaml`, `text` (tab-separated, the AWS CLI's rules for nested lists and
// maps), `table` (boxed sections titled by operation and member names). Timestamps, which the
// server sends as epoch seconds, print as ISO-8601 in UTC ("2026-11-21T10:00:00.123000+00:00").
//
// Pure and thread-safe.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "api/model.h"
#include "base/result.h"
#include "json/json.h"

namespace stepway::cli {

inline constexpr std::size_t kDefaultTerminalWidth = 80;

enum class OutputFormat { kJson, kYaml, kText, kTable };

// "json", "yaml", "yaml-stream", "text", "table"; kInvalidArgument for anything else.
Result<OutputFormat> ParseOutputFormat(std::string_view name);

// `value` read as the model's shape `shape_index` reads it: every member typed as a timestamp
// turned from epoch seconds into ISO-8601 text, and structure members the model does not name
// left out (as the AWS CLI's parser leaves them out). Other values are unchanged.
json::Value TimestampsToIso(api::Service service, int shape_index, const json::Value& value);

// Epoch seconds as Python's datetime.isoformat() prints them in UTC: microseconds only when
// non-zero, "+00:00" for the zone.
std::string IsoTimestamp(double epoch_seconds);

// A double as Python's repr prints it ("1.0", "1.5e-05", "1e+16").
std::string PythonFloat(double d);

// Whether a YAML reader (YAML 1.1, as PyYAML) would take `s` for something other than a string
// when written plain: "", "OFF", "TRUE", "yes", "null", "12", "2026-11-21..." and the like.
bool YamlNeedsQuotes(std::string_view s);

// The whole printed output, ending with a newline; "" for an empty object (the AWS CLI prints
// nothing for operations that answer `{}`). `title` is the operation name (table's heading).
std::string FormatJson(const json::Value& value);
std::string FormatYaml(const json::Value& value);
std::string FormatText(const json::Value& value);
// A table no wider than `terminal_width` where it can be (the AWS CLI assumes 80 columns when
// the output is not a terminal): single-row sections turn into name/value rows when too wide.
std::string FormatTable(const json::Value& value, std::string_view title,
                        std::size_t terminal_width = kDefaultTerminalWidth);
std::string FormatOutput(OutputFormat format, const json::Value& value, std::string_view title,
                         std::size_t terminal_width = kDefaultTerminalWidth);

}  // namespace stepway::cli
