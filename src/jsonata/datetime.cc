// Date/time and integer pictures: $fromMillis, $toMillis, $formatInteger, $parseInteger.
// A port of jsonata-js's datetime.js (XPath F&O 3.1 picture strings), including its
// JavaScript Date arithmetic (Date.UTC normalisation, UTC getters). No clock is read:
// "now" is passed in by the caller.
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "jsonata/evaluator.h"
#include "jsonata/functions.h"
#include "jsonata/regex.h"
#include "jsonata/utf8.h"

namespace stepway::jsonata {
namespace {

using U32 = std::u32string;

U32 Decode(std::string_view s) {
  U32 out;
  for (std::size_t i = 0; i < s.size();) out += DecodeUtf8(s, i);
  return out;
}

std::string Encode(const U32& s) {
  std::string out;
  for (const char32_t c : s) AppendUtf8(out, c);
  return out;
}

// ---- JavaScript Date arithmetic (UTC only) ----

constexpr double kDay = 86400000.0;

double DaysFromCivil(double y, double m, double d) {  // m 1..12
  y -= m <= 2 ? 1 : 0;
  const double era = std::floor(y / 400);
  const double yoe = y - era * 400;
  const double doy = std::floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const double doe = yoe * 365 + std::floor(yoe / 4) - std::floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

// Date.UTC(y, m, d, h, mi, s, ms) with JavaScript's normalisation of out-of-range fields.
double DateUtc(double y, double m = 0, double d = 1, double h = 0, double mi = 0, double s = 0,
               double ms = 0) {
  y = std::trunc(y);
  if (y >= 0 && y <= 99) y += 1900;
  m = std::trunc(m);
  const double ym = y + std::floor(m / 12);
  const double mn = m - std::floor(m / 12) * 12;
  const double days = DaysFromCivil(ym, mn + 1, 1) + std::trunc(d) - 1;
  return days * kDay + std::trunc(h) * 3600000 + std::trunc(mi) * 60000 + std::trunc(s) * 1000 +
         std::trunc(ms);
}

struct Fields {
  double year, month, day, hours, minutes, seconds, millis, weekday;  // month 0..11, Sunday 0
};

Fields FieldsOf(double t) {
  Fields f;
  double days = std::floor(t / kDay);
  double rem = t - days * kDay;
  f.weekday = std::fmod(std::fmod(days + 4, 7) + 7, 7);
  f.hours = std::floor(rem / 3600000);
  f.minutes = std::floor(std::fmod(rem, 3600000) / 60000);
  f.seconds = std::floor(std::fmod(rem, 60000) / 1000);
  f.millis = std::fmod(rem, 1000);
  days += 719468;
  const double era = std::floor(days / 146097);
  const double doe = days - era * 146097;
  const double yoe = std::floor((doe - std::floor(doe / 1460) + std::floor(doe / 36524) -
                                 std::floor(doe / 146096)) / 365);
  const double doy = doe - (365 * yoe + std::floor(yoe / 4) - std::floor(yoe / 100));
  const double mp = std::floor((5 * doy + 2) / 153);
  f.day = doy - std::floor((153 * mp + 2) / 5) + 1;
  const double m = mp < 10 ? mp + 3 : mp - 9;
  f.year = yoe + era * 400 + (m <= 2 ? 1 : 0);
  f.month = m - 1;
  return f;
}

// ---- integer pictures ----

const char* kFew[] = {"Zero", "One", "Two", "Three", "Four", "Five", "Six", "Seven", "Eight",
                      "Nine", "Ten", "Eleven", "Twelve", "Thirteen", "Fourteen", "Fifteen",
                      "Sixteen", "Seventeen", "Eighteen", "Nineteen"};
const char* kOrdinals[] = {"Zeroth", "First", "Second", "Third", "Fourth", "Fifth", "Sixth",
                           "Seventh", "Eighth", "Ninth", "Tenth", "Eleventh", "Twelfth",
                           "Thirteenth", "Fourteenth", "Fifteenth", "Sixteenth", "Seventeenth",
                           "Eighteenth", "Nineteenth"};
const char* kDecades[] = {"Twenty", "Thirty", "Forty", "Fifty", "Sixty", "Seventy", "Eighty",
                          "Ninety", "Hundred"};
const char* kMagnitudes[] = {"Thousand", "Million", "Billion", "Trillion"};
const char* kDays[] = {"", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday",
                       "Sunday"};
const char* kMonths[] = {"January", "February", "March", "April", "May", "June", "July",
                         "August", "September", "October", "November", "December"};

std::string NumberToWords(double value, bool ordinal) {
  std::function<std::string(double, bool, bool)> lookup = [&](double num, bool prev, bool ord) {
    std::string words;
    if (num <= 19) {
      words = std::string(prev ? " and " : "") + (ord ? kOrdinals[static_cast<int>(num)]
                                                      : kFew[static_cast<int>(num)]);
    } else if (num < 100) {
      const int tens = static_cast<int>(std::floor(num / 10));
      const double remainder = std::fmod(num, 10);
      words = std::string(prev ? " and " : "") + kDecades[tens - 2];
      if (remainder > 0) {
        words += "-" + lookup(remainder, false, ord);
      } else if (ord) {
        words = words.substr(0, words.size() - 1) + "ieth";
      }
    } else if (num < 1000) {
      const int hundreds = static_cast<int>(std::floor(num / 100));
      const double remainder = std::fmod(num, 100);
      words = std::string(prev ? ", " : "") + kFew[hundreds] + " Hundred";
      if (remainder > 0) {
        words += lookup(remainder, true, ord);
      } else if (ord) {
        words += "th";
      }
    } else {
      int mag = static_cast<int>(std::floor(std::log10(num) / 3));
      if (mag > 4) mag = 4;
      const double factor = std::pow(10, mag * 3);
      const double mant = std::floor(num / factor);
      const double remainder = num - mant * factor;
      words = std::string(prev ? ", " : "") + lookup(mant, false, false) + " " + kMagnitudes[mag - 1];
      if (remainder > 0) {
        words += lookup(remainder, true, ord);
      } else if (ord) {
        words += "th";
      }
    }
    return words;
  };
  return lookup(value, false, ordinal);
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}
std::string Upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

// wordValues, in jsonata-js's insertion order.
const std::vector<std::pair<std::string, double>>& WordValues() {
  static const std::vector<std::pair<std::string, double>> kValues = [] {
    std::vector<std::pair<std::string, double>> v;
    auto add = [&](const std::string& k, double val) {
      for (auto& kv : v) {
        if (kv.first == k) {
          kv.second = val;
          return;
        }
      }
      v.emplace_back(k, val);
    };
    for (int i = 0; i < 20; ++i) add(Lower(kFew[i]), i);
    for (int i = 0; i < 20; ++i) add(Lower(kOrdinals[i]), i);
    for (int i = 0; i < 9; ++i) {
      const std::string w = Lower(kDecades[i]);
      add(w, (i + 2) * 10);
      add(w.substr(0, w.size() - 1) + "ieth", (i + 2) * 10);
    }
    add("hundredth", 100);
    for (int i = 0; i < 4; ++i) {
      const std::string w = Lower(kMagnitudes[i]);
      add(w, std::pow(10, (i + 1) * 3));
      add(w + "th", std::pow(10, (i + 1) * 3));
    }
    return v;
  }();
  return kValues;
}

double WordsToNumber(const std::string& text) {
  // split(/,\s|\sand\s|[\s\\-]/)
  std::vector<std::string> parts;
  std::string cur;
  auto ws = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
  for (std::size_t i = 0; i < text.size();) {
    if (text[i] == ',' && i + 1 < text.size() && ws(text[i + 1])) {
      parts.push_back(cur);
      cur.clear();
      i += 2;
    } else if (ws(text[i]) && text.compare(i + 1, 3, "and") == 0 && i + 4 < text.size() &&
               ws(text[i + 4])) {
      parts.push_back(cur);
      cur.clear();
      i += 5;
    } else if (ws(text[i]) || text[i] == '\\' || text[i] == '-') {
      parts.push_back(cur);
      cur.clear();
      ++i;
    } else {
      cur += text[i++];
    }
  }
  parts.push_back(cur);
  std::vector<double> segs{0};
  for (const std::string& part : parts) {
    double value = NAN;
    for (const auto& kv : WordValues()) {
      if (kv.first == part) value = kv.second;
    }
    if (value < 100) {
      double top = segs.back();
      segs.pop_back();
      if (top >= 1000) {
        segs.push_back(top);
        top = 0;
      }
      segs.push_back(top + value);
    } else {
      const double top = segs.back();
      segs.pop_back();
      segs.push_back(top * value);
    }
  }
  double sum = 0;
  for (const double s : segs) sum += s;
  return sum;
}

std::string DecimalToRoman(double value) {
  static const std::pair<int, const char*> kRoman[] = {
      {1000, "m"}, {900, "cm"}, {500, "d"}, {400, "cd"}, {100, "c"}, {90, "xc"}, {50, "l"},
      {40, "xl"},  {10, "x"},   {9, "ix"},  {5, "v"},    {4, "iv"},  {1, "i"}};
  std::string out;
  for (;;) {
    bool found = false;
    for (const auto& [n, s] : kRoman) {
      if (value >= n) {
        out += s;
        value -= n;
        found = true;
        break;
      }
    }
    if (!found) return out;
  }
}

double RomanToDecimal(const std::string& roman) {
  auto val = [](char c) -> double {
    switch (c) {
      case 'M': return 1000;
      case 'D': return 500;
      case 'C': return 100;
      case 'L': return 50;
      case 'X': return 10;
      case 'V': return 5;
      case 'I': return 1;
      default: return NAN;
    }
  };
  double decimal = 0;
  double max = 1;
  for (std::size_t i = roman.size(); i-- > 0;) {
    const double v = val(roman[i]);
    if (v < max) {
      decimal -= v;
    } else {
      max = v;
      decimal += v;
    }
  }
  return decimal;
}

std::string DecimalToLetters(double value, char a) {
  std::string letters;
  while (value > 0) {
    letters.insert(letters.begin(), static_cast<char>(std::fmod(value - 1, 26) + a));
    value = std::floor((value - 1) / 26);
  }
  return letters;
}

double LettersToDecimal(const std::string& letters, char a) {
  double decimal = 0;
  for (std::size_t i = 0; i < letters.size(); ++i) {
    decimal += (letters[letters.size() - i - 1] - a + 1) * std::pow(26, static_cast<double>(i));
  }
  return decimal;
}

enum class Primary { kDecimal, kLetters, kRoman, kWords, kSequence };
enum class Case { kUpper, kLower, kTitle };

struct Separator {
  int position = 0;
  char32_t character = 0;
};

struct IntegerFormat {
  Primary primary = Primary::kDecimal;
  Case tcase = Case::kLower;
  bool ordinal = false;
  char32_t zero_code = 0x30;
  int mandatory_digits = 0;
  int optional_digits = 0;
  bool regular = false;
  Separator regular_separator;
  std::vector<Separator> separators;
  std::string token;
  int parse_width = 0;
};

const char32_t kDecimalGroups[] = {
    0x30,   0x0660, 0x06F0, 0x07C0, 0x0966, 0x09E6, 0x0A66, 0x0AE6, 0x0B66, 0x0BE6,
    0x0C66, 0x0CE6, 0x0D66, 0x0DE6, 0x0E50, 0x0ED0, 0x0F20, 0x1040, 0x1090, 0x17E0,
    0x1810, 0x1946, 0x19D0, 0x1A80, 0x1A90, 0x1B50, 0x1BB0, 0x1C40, 0x1C50, 0xA620,
    0xA8D0, 0xA900, 0xA9D0, 0xA9F0, 0xAA50, 0xABF0, 0xFF10};

IntegerFormat AnalyseIntegerPicture(std::string_view picture) {
  IntegerFormat format;
  std::string primary;
  const std::size_t semicolon = picture.rfind(';');
  if (semicolon == std::string_view::npos) {
    primary = std::string(picture);
  } else {
    primary = std::string(picture.substr(0, semicolon));
    const std::string_view modifier = picture.substr(semicolon + 1);
    if (!modifier.empty() && modifier[0] == 'o') format.ordinal = true;
  }
  if (primary == "A" || primary == "a") {
    if (primary == "A") format.tcase = Case::kUpper;
    format.primary = Primary::kLetters;
  } else if (primary == "I" || primary == "i") {
    if (primary == "I") format.tcase = Case::kUpper;
    format.primary = Primary::kRoman;
  } else if (primary == "W") {
    format.tcase = Case::kUpper;
    format.primary = Primary::kWords;
  } else if (primary == "Ww") {
    format.tcase = Case::kTitle;
    format.primary = Primary::kWords;
  } else if (primary == "w") {
    format.primary = Primary::kWords;
  } else {
    bool have_zero = false;
    char32_t zero = 0;
    int mandatory = 0;
    int optional = 0;
    int position = 0;
    std::vector<Separator> separators;
    U32 cps = Decode(primary);
    for (std::size_t k = cps.size(); k-- > 0;) {
      const char32_t cp = cps[k];
      bool digit = false;
      for (const char32_t group : kDecimalGroups) {
        if (cp >= group && cp <= group + 9) {
          digit = true;
          ++mandatory;
          ++position;
          if (!have_zero) {
            zero = group;
            have_zero = true;
          } else if (group != zero) {
            throw JsonataException("D3131");
          }
          break;
        }
      }
      if (!digit) {
        if (cp == '#') {
          ++position;
          ++optional;
        } else {
          separators.push_back({position, cp});
        }
      }
    }
    if (mandatory > 0) {
      format.primary = Primary::kDecimal;
      format.zero_code = zero;
      format.mandatory_digits = mandatory;
      format.optional_digits = optional;
      int regular = 0;
      if (!separators.empty()) {
        bool same = true;
        for (const Separator& s : separators) same = same && s.character == separators[0].character;
        if (same) {
          auto gcd = [](int a, int b) {
            while (b != 0) {
              const int t = a % b;
              a = b;
              b = t;
            }
            return a;
          };
          int factor = separators[0].position;
          for (std::size_t i = 1; i < separators.size(); ++i) {
            factor = gcd(factor, separators[i].position);
          }
          regular = factor;
          for (std::size_t idx = 1; idx <= separators.size(); ++idx) {
            bool found = false;
            for (const Separator& s : separators) {
              found = found || s.position == static_cast<int>(idx) * factor;
            }
            if (!found) {
              regular = 0;
              break;
            }
          }
        }
      }
      if (regular > 0) {
        format.regular = true;
        format.regular_separator = {regular, separators[0].character};
      } else {
        format.regular = false;
        format.separators = separators;
      }
    } else {
      format.primary = Primary::kSequence;
      format.token = primary;
    }
  }
  return format;
}

std::string FormatIntegerWith(double value, const IntegerFormat& format) {
  std::string out;
  const bool negative = value < 0;
  value = std::fabs(value);
  switch (format.primary) {
    case Primary::kLetters:
      out = DecimalToLetters(value, format.tcase == Case::kUpper ? 'A' : 'a');
      break;
    case Primary::kRoman:
      out = DecimalToRoman(value);
      if (format.tcase == Case::kUpper) out = Upper(out);
      break;
    case Primary::kWords:
      out = NumberToWords(value, format.ordinal);
      if (format.tcase == Case::kUpper) {
        out = Upper(out);
      } else if (format.tcase == Case::kLower) {
        out = Lower(out);
      }
      break;
    case Primary::kDecimal: {
      U32 s = Decode(NumberToString(value));
      const int pad = format.mandatory_digits - static_cast<int>(s.size());
      if (pad > 0) s = U32(pad, U'0') + s;
      if (format.zero_code != 0x30) {
        for (char32_t& c : s) c = c + format.zero_code - 0x30;
      }
      if (format.regular) {
        const int pos_step = format.regular_separator.position;
        const int n = (static_cast<int>(s.size()) - 1) / pos_step;
        for (int ii = n; ii > 0; --ii) {
          const int pos = static_cast<int>(s.size()) - ii * pos_step;
          s.insert(s.begin() + pos, format.regular_separator.character);
        }
      } else {
        for (auto it = format.separators.rbegin(); it != format.separators.rend(); ++it) {
          const int pos = static_cast<int>(s.size()) - it->position;
          if (pos >= 0 && pos <= static_cast<int>(s.size())) s.insert(s.begin() + pos, it->character);
        }
      }
      if (format.ordinal) {
        const char32_t last = s.empty() ? 0 : s.back();
        const char* suffix = last == '1' ? "st" : last == '2' ? "nd" : last == '3' ? "rd" : nullptr;
        if (suffix == nullptr || (s.size() > 1 && s[s.size() - 2] == '1')) suffix = "th";
        s += Decode(suffix);
      }
      out = Encode(s);
      break;
    }
    case Primary::kSequence: {
      JsonataException e("D3130");
      e.With(Value::String(format.token));
      throw e;
    }
  }
  if (negative) out = "-" + out;
  return out;
}

// ---- date/time pictures ----

struct Width {
  std::optional<int> min;
  std::optional<int> max;
};

struct PicturePart {
  bool literal = false;
  std::string value;  // literal text
  char component = 0;
  std::optional<Width> width;
  std::string presentation1;
  bool has_presentation2 = false;
  char presentation2 = 0;
  bool ordinal = false;
  bool has_names = false;
  Case names = Case::kLower;
  bool has_integer_format = false;
  IntegerFormat integer_format;
  int n = 0;
};

const char* DefaultPresentation(char c) {
  switch (c) {
    case 'Y': case 'M': case 'D': case 'd': case 'W': case 'w': case 'X': case 'x': case 'H':
    case 'h': case 'f':
      return "1";
    case 'F': case 'P': case 'C': case 'E':
      return "n";
    case 'm': case 's':
      return "01";
    case 'Z': case 'z':
      return "01:01";
    default:
      return nullptr;
  }
}

std::vector<PicturePart> AnalyseDateTimePicture(const std::string& picture) {
  std::vector<PicturePart> spec;
  auto add_literal = [&](std::size_t start, std::size_t end) {
    if (end > start) {
      std::string lit = picture.substr(start, end - start);
      std::string unescaped;
      for (std::size_t i = 0; i < lit.size(); ++i) {
        unescaped += lit[i];
        if (lit[i] == ']' && i + 1 < lit.size() && lit[i + 1] == ']') ++i;
      }
      PicturePart p;
      p.literal = true;
      p.value = unescaped;
      spec.push_back(p);
    }
  };
  std::size_t start = 0;
  std::size_t pos = 0;
  while (pos < picture.size()) {
    if (picture[pos] == '[') {
      if (pos + 1 < picture.size() && picture[pos + 1] == '[') {
        add_literal(start, pos);
        PicturePart p;
        p.literal = true;
        p.value = "[";
        spec.push_back(p);
        pos += 2;
        start = pos;
        continue;
      }
      add_literal(start, pos);
      start = pos;
      pos = picture.find(']', start);
      if (pos == std::string::npos) throw JsonataException("D3135");
      std::string marker;
      for (char c : picture.substr(start + 1, pos - start - 1)) {
        if (!(c == ' ' || c == '\t' || c == '\n' || c == '\r')) marker += c;
      }
      PicturePart def;
      def.component = marker.empty() ? 0 : marker[0];
      const std::size_t comma = marker.rfind(',');
      std::string pres;
      if (comma != std::string::npos) {
        const std::string width_mod = marker.substr(comma + 1);
        const std::size_t dash = width_mod.find('-');
        auto parse_width = [](const std::optional<std::string>& wm) -> std::optional<int> {
          if (!wm.has_value() || *wm == "*") return std::nullopt;
          return std::atoi(wm->c_str());
        };
        std::optional<std::string> mn;
        std::optional<std::string> mx;
        if (dash == std::string::npos) {
          mn = width_mod;
        } else {
          mn = width_mod.substr(0, dash);
          mx = width_mod.substr(dash + 1);
        }
        def.width = Width{parse_width(mn), parse_width(mx)};
        pres = marker.substr(1, comma - 1);
      } else {
        pres = marker.size() > 1 ? marker.substr(1) : "";
      }
      if (pres.size() == 1) {
        def.presentation1 = pres;
      } else if (pres.size() > 1) {
        const char last = pres.back();
        if (std::string("atco").find(last) != std::string::npos) {
          def.has_presentation2 = true;
          def.presentation2 = last;
          if (last == 'o') def.ordinal = true;
          def.presentation1 = pres.substr(0, pres.size() - 1);
        } else {
          def.presentation1 = pres;
        }
      } else {
        const char* d = DefaultPresentation(def.component);
        if (d == nullptr) {
          JsonataException e("D3132");
          e.With(Value::String(std::string(1, def.component)));
          throw e;
        }
        def.presentation1 = d;
      }
      if (def.presentation1[0] == 'n') {
        def.has_names = true;
        def.names = Case::kLower;
      } else if (def.presentation1[0] == 'N') {
        def.has_names = true;
        def.names = def.presentation1.size() > 1 && def.presentation1[1] == 'n' ? Case::kTitle
                                                                                : Case::kUpper;
      } else if (std::string("YMDdFWwXxHhmsf").find(def.component) != std::string::npos) {
        std::string pattern = def.presentation1;
        if (def.has_presentation2) pattern += std::string(";") + def.presentation2;
        def.integer_format = AnalyseIntegerPicture(pattern);
        def.has_integer_format = true;
        if (def.width && def.width->min && def.integer_format.mandatory_digits < *def.width->min) {
          def.integer_format.mandatory_digits = *def.width->min;
        }
        if (def.component == 'Y') {
          def.n = -1;
          if (def.width && def.width->max) {
            def.n = *def.width->max;
            def.integer_format.mandatory_digits = def.n;
          } else {
            const int w = def.integer_format.mandatory_digits + def.integer_format.optional_digits;
            if (w >= 2) def.n = w;
          }
        }
        if (!spec.empty() && spec.back().has_integer_format) {
          spec.back().integer_format.parse_width = spec.back().integer_format.mandatory_digits;
        }
      }
      if (def.component == 'Z' || def.component == 'z') {
        def.integer_format = AnalyseIntegerPicture(def.presentation1);
        def.has_integer_format = true;
      }
      spec.push_back(def);
      start = pos + 1;
    }
    ++pos;
  }
  add_literal(start, pos);
  return spec;
}

double StartOfFirstWeek(double year, double month) {
  const double jan1 = DateUtc(year, month);
  double day = FieldsOf(jan1).weekday;
  if (day == 0) day = 7;
  return day > 4 ? jan1 + (8 - day) * kDay : jan1 - (day - 1) * kDay;
}

double DeltaWeeks(double start, double end) { return (end - start) / (kDay * 7) + 1; }

// getDateTimeFragment for numeric components; `text` receives P/C/E.
std::optional<double> Fragment(double t, char component, std::string* text) {
  const Fields f = FieldsOf(t);
  switch (component) {
    case 'Y': return f.year;
    case 'M': return f.month + 1;
    case 'D': return f.day;
    case 'd': return (DateUtc(f.year, f.month, f.day) - DateUtc(f.year, 0)) / kDay + 1;
    case 'F': return f.weekday == 0 ? 7 : f.weekday;
    case 'W': {
      const double start1 = StartOfFirstWeek(f.year, 0);
      const double today = DateUtc(f.year, f.month, f.day);
      double week = DeltaWeeks(start1, today);
      if (week > 52) {
        if (today >= StartOfFirstWeek(f.year + 1, 0)) week = 1;
      } else if (week < 1) {
        week = DeltaWeeks(StartOfFirstWeek(f.year - 1, 0), today);
      }
      return std::floor(week);
    }
    case 'w': {
      const double start1 = StartOfFirstWeek(f.year, f.month);
      const double today = DateUtc(f.year, f.month, f.day);
      double week = DeltaWeeks(start1, today);
      if (week > 4) {
        const double ny = f.month == 11 ? f.year + 1 : f.year;
        const double nm = f.month == 11 ? 0 : f.month + 1;
        if (today >= StartOfFirstWeek(ny, nm)) week = 1;
      } else if (week < 1) {
        const double py = f.month == 0 ? f.year - 1 : f.year;
        const double pm = f.month == 0 ? 11 : f.month - 1;
        week = DeltaWeeks(StartOfFirstWeek(py, pm), today);
      }
      return std::floor(week);
    }
    case 'X': {
      const double start = StartOfFirstWeek(f.year, 0);
      const double end = StartOfFirstWeek(f.year + 1, 0);
      if (t < start) return f.year - 1;
      if (t >= end) return f.year + 1;
      return f.year;
    }
    case 'x': {
      const double start = StartOfFirstWeek(f.year, f.month);
      const double ny = f.month == 11 ? f.year + 1 : f.year;
      const double nm = f.month == 11 ? 0 : f.month + 1;
      const double end = StartOfFirstWeek(ny, nm);
      if (t < start) return (f.month == 0 ? 11 : f.month - 1) + 1;
      if (t >= end) return nm + 1;
      return f.month + 1;
    }
    case 'H': return f.hours;
    case 'h': {
      const double h = std::fmod(f.hours, 12);
      return h == 0 ? 12 : h;
    }
    case 'P':
      if (text != nullptr) *text = f.hours >= 12 ? "pm" : "am";
      return std::nullopt;
    case 'm': return f.minutes;
    case 's': return f.seconds;
    case 'f': return f.millis;
    case 'C':
    case 'E':
      if (text != nullptr) *text = "ISO";
      return std::nullopt;
    default:
      return std::nullopt;
  }
}

std::string FormatDateTime(double millis, const std::optional<std::string>& picture,
                           const Value& timezone) {
  double offset_hours = 0;
  double offset_minutes = 0;
  if (timezone.IsString()) {
    const double offset = std::strtol(std::string(timezone.AsString()).c_str(), nullptr, 10);
    offset_hours = std::floor(offset / 100);
    offset_minutes = std::fmod(offset, 100);
  }
  static const std::vector<PicturePart> kIso =
      AnalyseDateTimePicture("[Y0001]-[M01]-[D01]T[H01]:[m01]:[s01].[f001][Z01:01t]");
  const std::vector<PicturePart> parsed =
      picture.has_value() ? AnalyseDateTimePicture(*picture) : std::vector<PicturePart>();
  const std::vector<PicturePart>& spec = picture.has_value() ? parsed : kIso;
  const double t = millis + (60 * offset_hours + offset_minutes) * 60 * 1000;
  std::string result;
  for (const PicturePart& part : spec) {
    if (part.literal) {
      result += part.value;
      continue;
    }
    std::string text;
    std::optional<double> value = Fragment(t, part.component, &text);
    const char c = part.component;
    if (std::string("YMDdFWwXxHhms").find(c) != std::string::npos && c != 0) {
      double v = value.value_or(0);
      if (c == 'Y' && part.n != -1) v = std::fmod(v, std::pow(10, part.n));
      if (part.has_names) {
        std::string name;
        if (c == 'M' || c == 'x') {
          name = kMonths[static_cast<int>(v) - 1];
        } else if (c == 'F') {
          name = kDays[static_cast<int>(v)];
        } else {
          JsonataException e("D3133");
          e.With(Value::String(std::string(1, c)));
          throw e;
        }
        if (part.names == Case::kUpper) {
          name = Upper(name);
        } else if (part.names == Case::kLower) {
          name = Lower(name);
        }
        if (part.width && part.width->max && static_cast<int>(name.size()) > *part.width->max) {
          name = name.substr(0, *part.width->max);
        }
        result += name;
      } else {
        result += FormatIntegerWith(v, part.integer_format);
      }
    } else if (c == 'f') {
      result += FormatIntegerWith(value.value_or(0), part.integer_format);
    } else if (c == 'Z' || c == 'z') {
      const double offset = offset_hours * 100 + offset_minutes;
      std::string s;
      if (part.integer_format.regular) {
        s = FormatIntegerWith(offset, part.integer_format);
      } else {
        const int digits = part.integer_format.mandatory_digits;
        if (digits == 1 || digits == 2) {
          s = FormatIntegerWith(offset_hours, part.integer_format);
          if (offset_minutes != 0) {
            s += ":" + FormatIntegerWith(offset_minutes, AnalyseIntegerPicture("00"));
          }
        } else if (digits == 3 || digits == 4) {
          s = FormatIntegerWith(offset, part.integer_format);
        } else {
          JsonataException e("D3134");
          e.With(Value::Number(digits));
          throw e;
        }
      }
      if (offset >= 0) s = "+" + s;
      if (c == 'z') s = "GMT" + s;
      if (offset == 0 && part.has_presentation2 && part.presentation2 == 't') s = "Z";
      result += s;
    } else if (c == 'P') {
      result += part.has_names && part.names == Case::kUpper ? Upper(text) : text;
    } else if (!text.empty()) {
      result += text;
    } else if (value.has_value()) {
      result += NumberToString(*value);
    } else {
      result += "undefined";
    }
  }
  return result;
}

std::string EscapeRegex(const std::string& s) {
  std::string out;
  for (const char c : s) {
    if (std::string(".*+?^${}()|[]\\").find(c) != std::string::npos) out += '\\';
    out += c;
  }
  return out;
}

// The regex and parser for an integer format (generateRegex, integer branch).
struct IntegerMatcher {
  std::string regex;
  std::function<double(const std::string&)> parse;
};

IntegerMatcher IntegerRegex(const IntegerFormat& format) {
  IntegerMatcher m;
  const bool upper = format.tcase == Case::kUpper;
  switch (format.primary) {
    case Primary::kLetters:
      m.regex = upper ? "[A-Z]+" : "[a-z]+";
      m.parse = [upper](const std::string& v) { return LettersToDecimal(v, upper ? 'A' : 'a'); };
      break;
    case Primary::kRoman:
      m.regex = upper ? "[MDCLXVI]+" : "[mdclxvi]+";
      m.parse = [](const std::string& v) { return RomanToDecimal(Upper(v)); };
      break;
    case Primary::kWords: {
      m.regex = "(?:";
      for (const auto& kv : WordValues()) m.regex += kv.first + "|";
      m.regex += "and|[\\-, ])+";
      m.parse = [](const std::string& v) { return WordsToNumber(Lower(v)); };
      break;
    }
    case Primary::kDecimal: {
      m.regex = "[0-9]";
      m.regex += format.parse_width > 0 ? "{" + std::to_string(format.parse_width) + "}" : "+";
      if (format.ordinal) m.regex += "(?:th|st|nd|rd)";
      m.parse = [format](const std::string& v) {
        U32 digits = Decode(v);
        if (format.ordinal && digits.size() >= 2) digits = digits.substr(0, digits.size() - 2);
        U32 clean;
        for (const char32_t c : digits) {
          bool sep = false;
          if (format.regular) {
            sep = c == U',';
          } else {
            for (const Separator& s : format.separators) sep = sep || s.character == c;
          }
          if (!sep) clean += c;
        }
        std::string ascii;
        for (const char32_t c : clean) {
          ascii += static_cast<char>(format.zero_code != 0x30 ? c - format.zero_code + 0x30 : c);
        }
        // parseInt: leading integer, NaN when none.
        const char* p = ascii.c_str();
        char* end = nullptr;
        const double r = std::strtod(p, &end);
        if (end == p) return static_cast<double>(NAN);
        return std::trunc(r);
      };
      break;
    }
    case Primary::kSequence: {
      JsonataException e("D3130");
      e.With(Value::String(format.token));
      throw e;
    }
  }
  return m;
}

struct PartMatcher {
  std::string regex;
  std::function<double(const std::string&)> parse;  // null for literals
  char component = 0;
};

Value ParseDateTime(std::string_view timestamp, const std::string& picture, double now) {
  const std::vector<PicturePart> spec = AnalyseDateTimePicture(picture);
  std::vector<PartMatcher> parts;
  for (const PicturePart& part : spec) {
    PartMatcher pm;
    if (part.literal) {
      pm.regex = EscapeRegex(part.value);
    } else if (part.component == 'Z' || part.component == 'z') {
      std::optional<char32_t> separator;
      if (part.integer_format.regular) separator = part.integer_format.regular_separator.character;
      pm.regex = part.component == 'z' ? "GMT" : "";
      pm.regex += "[-+][0-9]+";
      if (separator) pm.regex += Encode(U32(1, *separator)) + "[0-9]+";
      const char comp = part.component;
      pm.parse = [separator, comp](const std::string& value) {
        std::string v = comp == 'z' ? value.substr(3) : value;
        double hours = 0;
        double minutes = 0;
        if (separator) {
          const std::string sep = Encode(U32(1, *separator));
          const std::size_t at = v.find(sep);
          hours = std::strtol(v.substr(0, at).c_str(), nullptr, 10);
          minutes = std::strtol(v.substr(at + sep.size()).c_str(), nullptr, 10);
        } else {
          const std::size_t numdigits = v.size() - 1;
          if (numdigits <= 2) {
            hours = std::strtol(v.c_str(), nullptr, 10);
          } else {
            hours = std::strtol(v.substr(0, 3).c_str(), nullptr, 10);
            minutes = std::strtol(v.substr(3).c_str(), nullptr, 10);
          }
        }
        return hours * 60 + minutes;
      };
    } else if (part.component == 'f') {
      pm.regex = "[0-9]+";
      pm.parse = [](const std::string& v) {
        return std::strtod(("0." + v.substr(0, 3)).c_str(), nullptr) * 1000;
      };
    } else if (part.has_integer_format) {
      IntegerMatcher im = IntegerRegex(part.integer_format);
      pm.regex = im.regex;
      pm.parse = im.parse;
    } else {
      pm.regex = "[a-zA-Z]+";
      std::vector<std::pair<std::string, double>> lookup;
      const int max = part.width && part.width->max ? *part.width->max : 0;
      if (part.component == 'M' || part.component == 'x') {
        for (int i = 0; i < 12; ++i) {
          const std::string name = kMonths[i];
          lookup.emplace_back(max > 0 ? name.substr(0, max) : name, i + 1);
        }
      } else if (part.component == 'F') {
        for (int i = 1; i < 8; ++i) {
          const std::string name = kDays[i];
          lookup.emplace_back(max > 0 ? name.substr(0, max) : name, i);
        }
      } else if (part.component == 'P') {
        lookup = {{"am", 0}, {"AM", 0}, {"pm", 1}, {"PM", 1}};
      } else {
        JsonataException e("D3133");
        e.With(Value::String(std::string(1, part.component)));
        throw e;
      }
      pm.parse = [lookup](const std::string& v) {
        for (const auto& kv : lookup) {
          if (kv.first == v) return kv.second;
        }
        return static_cast<double>(NAN);
      };
    }
    pm.component = part.component;
    parts.push_back(std::move(pm));
  }
  std::string full = "^";
  for (const PartMatcher& p : parts) full += "(" + p.regex + ")";
  full += "$";
  auto re = Regex::Compile(full, "i");
  if (!re) return Value();
  Regex::Match m;
  const std::string ts(timestamp);
  if (!(*re)->Exec(ts, 0, m)) return Value();
  std::map<char, double> components;
  for (std::size_t i = 0; i < parts.size() && i < m.groups.size(); ++i) {
    if (!parts[i].parse) continue;
    const auto [gs, ge] = m.groups[i];
    const std::string text = gs == std::string::npos ? "" : ts.substr(gs, ge - gs);
    components[parts[i].component] = parts[i].parse(text);
  }
  if (components.empty()) return Value();
  auto present = [&](char c) {
    auto it = components.find(c);
    // JavaScript's `bit ? 1 : 0` on the parsed value: 0 and NaN count as absent.
    return it != components.end() && it->second != 0 && !std::isnan(it->second);
  };
  int mask = 0;
  auto shift = [&](bool bit) { mask = (mask << 1) + (bit ? 1 : 0); };
  auto is_type = [&](int type) { return !(~type & mask) && !!(type & mask); };
  for (const char c : std::string("YXMxWwdD")) shift(present(c));
  const bool date_a = is_type(161);
  const bool date_b = !date_a && is_type(130);
  const bool date_c = is_type(84);
  const bool date_d = !date_c && is_type(72);
  mask = 0;
  for (const char c : std::string("PHhmsf")) shift(present(c));
  const bool time_a = is_type(23);
  const bool time_b = !time_a && is_type(47);
  const std::string date_comps = date_b ? "YD" : date_c ? "XxwF" : date_d ? "XWF" : "YMD";
  const std::string time_comps = time_b ? "Phmsf" : "Hmsf";
  bool start_specified = false;
  bool end_specified = false;
  for (const char part : date_comps + time_comps) {
    if (components.find(part) == components.end()) {
      if (start_specified) {
        components[part] = std::string("MDd").find(part) != std::string::npos ? 1 : 0;
        end_specified = true;
      } else {
        std::string text;
        std::optional<double> v = Fragment(now, part, &text);
        components[part] = v.has_value() ? *v : (text == "pm" ? 1 : 0);
      }
    } else {
      start_specified = true;
      if (end_specified) throw JsonataException("D3136");
    }
  }
  if (components['M'] > 0) {
    components['M'] -= 1;
  } else {
    components['M'] = 0;
  }
  if (date_b) {
    const double first_jan = DateUtc(components['Y'], 0);
    const Fields f = FieldsOf(first_jan + (components['d'] - 1) * kDay);
    components['M'] = f.month;
    components['D'] = f.day;
  }
  if (date_c || date_d) throw JsonataException("D3136");
  if (time_b) {
    components['H'] = components['h'] == 12 ? 0 : components['h'];
    if (components['P'] == 1) components['H'] += 12;
  }
  double millis = DateUtc(components['Y'], components['M'], components['D'], components['H'],
                          components['m'], components['s'], components['f']);
  const double z = present('Z') ? components['Z'] : present('z') ? components['z'] : 0;
  if (z != 0) millis -= z * 60 * 1000;
  if (std::isnan(millis)) return Value::Number(NAN);
  return Value::Number(millis);
}

// Date.parse for the ISO 8601 forms jsonata accepts.
Value ParseIso(std::string_view ts) {
  auto digits = [&](std::size_t at, std::size_t n, int& out) {
    if (at + n > ts.size()) return false;
    out = 0;
    for (std::size_t i = at; i < at + n; ++i) {
      if (!std::isdigit(static_cast<unsigned char>(ts[i]))) return false;
      out = out * 10 + (ts[i] - '0');
    }
    return true;
  };
  int y = 0, mo = 1, d = 1, h = 0, mi = 0, s = 0;
  double ms = 0;
  std::size_t p = 0;
  bool ok = digits(0, 4, y);
  p = 4;
  if (ok && p < ts.size() && ts[p] == '-') {
    ok = digits(p + 1, 2, mo) && mo >= 1 && mo <= 12;
    p += 3;
    if (ok && p < ts.size() && ts[p] == '-') {
      ok = digits(p + 1, 2, d);
      p += 3;
    }
  }
  if (ok && p < ts.size() && ts[p] == 'T') {
    ok = digits(p + 1, 2, h) && p + 3 < ts.size() && ts[p + 3] == ':' && digits(p + 4, 2, mi) &&
         p + 6 < ts.size() && ts[p + 6] == ':' && digits(p + 7, 2, s);
    p += 9;
  }
  if (ok && p < ts.size() && ts[p] == '.') {
    std::size_t q = p + 1;
    std::string frac;
    while (q < ts.size() && std::isdigit(static_cast<unsigned char>(ts[q]))) frac += ts[q++];
    ok = !frac.empty();
    ms = std::trunc(std::strtod(("0." + frac).c_str(), nullptr) * 1000 + 1e-9);
    p = q;
  }
  double offset = 0;
  if (ok && p < ts.size()) {
    if (ts[p] == 'Z') {
      ++p;
    } else if (ts[p] == '+' || ts[p] == '-') {
      const int sign = ts[p] == '-' ? -1 : 1;
      int oh = 0, om = 0;
      ok = digits(p + 1, 2, oh);
      std::size_t q = p + 3;
      if (q < ts.size() && ts[q] == ':') ++q;
      ok = ok && digits(q, 2, om);
      p = q + 2;
      offset = sign * (oh * 60 + om);
    } else {
      ok = false;
    }
  }
  if (!ok || p != ts.size() || d < 1 || d > 31 || h > 24 || mi > 59 || s > 59) {
    JsonataException e("D3110");
    e.With(Value::String(std::string(ts)));
    throw e;
  }
  return Value::Number(DateUtc(y, mo - 1, d, h, mi, s, ms) - offset * 60000);
}

}  // namespace

std::string FormatInteger(double value, std::string_view picture) {
  return FormatIntegerWith(std::floor(value), AnalyseIntegerPicture(picture));
}

Value ParseInteger(std::string_view value, std::string_view picture) {
  const IntegerFormat format = AnalyseIntegerPicture(picture);
  const IntegerMatcher m = IntegerRegex(format);
  const double r = m.parse(std::string(value));
  return Value::Number(r);
}

std::string FromMillis(double millis, const Value& picture, const Value& timezone) {
  std::optional<std::string> pic;
  if (picture.IsString()) pic = std::string(picture.AsString());
  return FormatDateTime(millis, pic, timezone);
}

Value ToMillis(std::string_view timestamp, const Value& picture, double now) {
  if (picture.IsUndefined()) return ParseIso(timestamp);
  return ParseDateTime(timestamp, std::string(picture.AsString()), now);
}

}  // namespace stepway::jsonata
