// The parts of the JSONata function library that live outside functions.cc: number and
// date/time formatting (format_number.cc, datetime.cc). Each follows jsonata-js's
// functions.js / datetime.js, including its error codes.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "jsonata/value.h"

namespace stepway::jsonata {

// $formatNumber(value, picture, options) — XPath fn:format-number. Throws D308x/D309x.
std::string FormatNumber(double value, std::string_view picture, const Value& options);
// $formatInteger(value, picture) — XPath fn:format-integer.
std::string FormatInteger(double value, std::string_view picture);
// $parseInteger(value, picture); undefined when the string does not fit the picture.
Value ParseInteger(std::string_view value, std::string_view picture);
// $fromMillis(millis, picture?, timezone?).
std::string FromMillis(double millis, const Value& picture, const Value& timezone);
// $toMillis(timestamp, picture?); undefined when a picture does not match.
Value ToMillis(std::string_view timestamp, const Value& picture, double now_millis);
// fn.round: half-to-even at `precision` decimal places.
double RoundHalfEven(double arg, double precision);

}  // namespace stepway::jsonata
