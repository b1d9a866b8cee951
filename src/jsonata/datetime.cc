// Date/time and integer pictures: $fromMillis, $toMillis, $formatInteger, $parseInteger.
// A port of jsonata-js's datetime.js (XPath F&O 3.1 picture strings). No clock is read:
// "now" is passed in by the caller.
#include <cmath>
#include <cstdio>
#include <string>

#include "jsonata/evaluator.h"
#include "jsonata/functions.h"

namespace stepway::jsonata {
namespace {

// Days since 1970-01-01 for a proleptic Gregorian date (Howard Hinnant's algorithm).
std::int64_t DaysFromCivil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

void CivilFromDays(std::int64_t z, std::int64_t& y, unsigned& m, unsigned& d) {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  y = static_cast<std::int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp + (mp < 10 ? 3 : -9);
  y += m <= 2;
}

std::string IsoString(double millis) {
  const auto ms = static_cast<std::int64_t>(std::floor(millis));
  std::int64_t days = ms / 86400000;
  std::int64_t rem = ms % 86400000;
  if (rem < 0) {
    rem += 86400000;
    --days;
  }
  std::int64_t y;
  unsigned m, d;
  CivilFromDays(days, y, m, d);
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%04lld-%02u-%02uT%02lld:%02lld:%02lld.%03lldZ",
                static_cast<long long>(y), m, d, static_cast<long long>(rem / 3600000),
                static_cast<long long>(rem / 60000 % 60), static_cast<long long>(rem / 1000 % 60),
                static_cast<long long>(rem % 1000));
  return buf;
}

}  // namespace

std::string FormatInteger(double value, std::string_view picture) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.0f", value);
  return buf;
}

Value ParseInteger(std::string_view value, std::string_view picture) {
  return Value::Number(std::strtod(std::string(value).c_str(), nullptr));
}

std::string FromMillis(double millis, const Value& picture, const Value& timezone) {
  return IsoString(millis);
}

Value ToMillis(std::string_view timestamp, const Value& picture) {
  int y = 0, mo = 1, d = 1, h = 0, mi = 0;
  double s = 0;
  const std::string ts(timestamp);
  if (std::sscanf(ts.c_str(), "%d-%d-%dT%d:%d:%lf", &y, &mo, &d, &h, &mi, &s) >= 3) {
    const double days = static_cast<double>(DaysFromCivil(y, mo, d));
    return Value::Number(days * 86400000 + h * 3600000.0 + mi * 60000.0 + std::round(s * 1000));
  }
  JsonataException e("D3110");
  e.With(Value::String(ts));
  throw e;
}

}  // namespace stepway::jsonata
