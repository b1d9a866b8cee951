// $formatNumber (XPath F&O 3.1 fn:format-number) and fn.round, ported from jsonata-js's
// functions.js. Pictures are handled per code point so that non-ASCII digit families and
// separators (e.g. the per-mille sign) work.
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "jsonata/evaluator.h"
#include "jsonata/functions.h"
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

double JsMathRound(double x) {
  const double r = std::floor(x);
  return (x - r >= 0.5) ? r + 1 : r;
}

// +(mantissa + 'e' + exponent) on the JavaScript string form of d, shifted by `shift`.
double ShiftDecimal(double d, double shift) {
  const std::string s = NumberToString(d);
  const std::size_t e = s.find('e');
  std::string text;
  if (e == std::string::npos) {
    text = s + "e" + NumberToString(shift);
  } else {
    text = s.substr(0, e) + "e" + NumberToString(std::atof(s.c_str() + e + 1) + shift);
  }
  return std::strtod(text.c_str(), nullptr);
}

// Number.prototype.toFixed(dp) for |value|.
std::string ToFixed(double value, int dp) {
  char buf[512];
  std::snprintf(buf, sizeof(buf), "%.*f", dp, value);
  return buf;
}

}  // namespace

double RoundHalfEven(double arg, double precision) {
  if (precision != 0) arg = ShiftDecimal(arg, precision);
  double result = JsMathRound(arg);
  const double diff = result - arg;
  if (std::fabs(diff) == 0.5 && std::fabs(std::fmod(result, 2)) == 1) result -= 1;
  if (precision != 0) result = ShiftDecimal(result, -precision);
  if (result == 0) result = 0;  // no negative zero
  return result;
}

std::string FormatNumber(double value, std::string_view picture_utf8, const Value& options) {
  struct Props {
    char32_t decimal = '.', grouping = ',', exponent = 'e', minus = '-', percent = '%',
             permille = 0x2030, zero = '0', digit = '#', pattern = ';';
    U32 infinity = U"Infinity", nan = U"NaN";
  } p;
  if (options.IsObject()) {
    options.ForEachMember([&](std::string_view k, const Value& v) {
      if (!v.IsString()) return;
      const U32 s = Decode(v.AsString());
      const char32_t c = s.empty() ? 0 : s[0];
      if (k == "decimal-separator") p.decimal = c;
      else if (k == "grouping-separator") p.grouping = c;
      else if (k == "exponent-separator") p.exponent = c;
      else if (k == "minus-sign") p.minus = c;
      else if (k == "percent") p.percent = c;
      else if (k == "per-mille") p.permille = c;
      else if (k == "zero-digit") p.zero = c;
      else if (k == "digit") p.digit = c;
      else if (k == "pattern-separator") p.pattern = c;
      else if (k == "infinity") p.infinity = s;
      else if (k == "NaN") p.nan = s;
    });
  }
  U32 family;
  for (char32_t c = p.zero; c < p.zero + 10; ++c) family += c;
  auto is_digit = [&](char32_t c) { return family.find(c) != U32::npos; };
  U32 active = family;
  active += p.decimal;
  active += p.exponent;
  active += p.grouping;
  active += p.digit;
  active += p.pattern;
  auto is_active = [&](char32_t c) { return active.find(c) != U32::npos; };

  const U32 picture = Decode(picture_utf8);
  std::vector<U32> subs;
  {
    U32 cur;
    for (const char32_t c : picture) {
      if (c == p.pattern) {
        subs.push_back(cur);
        cur.clear();
      } else {
        cur += c;
      }
    }
    subs.push_back(cur);
  }
  if (subs.size() > 2) throw JsonataException("D3080");

  struct Parts {
    U32 prefix, suffix, active, mantissa, integer, fractional, sub;
    bool has_exponent = false;
    U32 exponent;
  };
  auto split_parts = [&](const U32& sub) {
    Parts r;
    r.sub = sub;
    for (std::size_t i = 0; i < sub.size(); ++i) {
      if (is_active(sub[i]) && sub[i] != p.exponent) {
        r.prefix = sub.substr(0, i);
        break;
      }
    }
    for (std::size_t i = sub.size(); i-- > 0;) {
      if (is_active(sub[i]) && sub[i] != p.exponent) {
        r.suffix = sub.substr(i + 1);
        break;
      }
    }
    r.active = sub.substr(r.prefix.size(), sub.size() - r.prefix.size() - r.suffix.size());
    const std::size_t exp_pos = sub.find(p.exponent, r.prefix.size());
    if (exp_pos == U32::npos || exp_pos > sub.size() - r.suffix.size()) {
      r.mantissa = r.active;
    } else {
      r.mantissa = r.active.substr(0, exp_pos);
      r.has_exponent = true;
      r.exponent = exp_pos + 1 <= r.active.size() ? r.active.substr(exp_pos + 1) : U32();
    }
    const std::size_t dec = r.mantissa.find(p.decimal);
    if (dec == U32::npos) {
      r.integer = r.mantissa;
      r.fractional = r.suffix;
    } else {
      r.integer = r.mantissa.substr(0, dec);
      r.fractional = r.mantissa.substr(dec + 1);
    }
    return r;
  };
  auto validate = [&](const Parts& parts) {
    const char* error = nullptr;
    const U32& sub = parts.sub;
    auto count = [&](char32_t c) {
      std::size_t n = 0;
      for (const char32_t x : sub) n += x == c ? 1 : 0;
      return n;
    };
    const std::size_t dec_pos = sub.find(p.decimal);
    if (count(p.decimal) > 1) error = "D3081";
    if (count(p.percent) > 1) error = "D3082";
    if (count(p.permille) > 1) error = "D3083";
    if (count(p.percent) > 0 && count(p.permille) > 0) error = "D3084";
    bool valid = false;
    for (const char32_t c : parts.mantissa) {
      if (is_digit(c) || c == p.digit) {
        valid = true;
        break;
      }
    }
    if (!valid) error = "D3085";
    for (const char32_t c : parts.active) {
      if (!is_active(c)) error = "D3086";
    }
    if (dec_pos != U32::npos) {
      if ((dec_pos > 0 && sub[dec_pos - 1] == p.grouping) ||
          (dec_pos + 1 < sub.size() && sub[dec_pos + 1] == p.grouping)) {
        error = "D3087";
      }
    } else if (!parts.integer.empty() && parts.integer.back() == p.grouping) {
      error = "D3088";
    }
    U32 gg;
    gg += p.grouping;
    gg += p.grouping;
    if (sub.find(gg) != U32::npos) error = "D3089";
    const std::size_t opt = parts.integer.find(p.digit);
    if (opt != U32::npos) {
      for (std::size_t i = 0; i < opt; ++i) {
        if (is_digit(parts.integer[i])) error = "D3090";
      }
    }
    const std::size_t last_opt = parts.fractional.rfind(p.digit);
    if (last_opt != U32::npos) {
      for (std::size_t i = last_opt; i < parts.fractional.size(); ++i) {
        if (is_digit(parts.fractional[i])) error = "D3091";
      }
    }
    if (parts.has_exponent && !parts.exponent.empty() &&
        (count(p.percent) > 0 || count(p.permille) > 0)) {
      error = "D3092";
    }
    if (parts.has_exponent) {
      bool bad = parts.exponent.empty();
      for (const char32_t c : parts.exponent) {
        if (!is_digit(c)) bad = true;
      }
      if (bad) error = "D3093";
    }
    if (error != nullptr) throw JsonataException(error);
  };

  struct Vars {
    std::vector<int> integer_grouping;
    int regular = 0;
    int min_int = 0;
    int scaling = 0;
    U32 prefix, suffix, picture;
    std::vector<int> fractional_grouping;
    int min_frac = 0;
    int max_frac = 0;
    int min_exp = 0;
  };
  auto analyse = [&](const Parts& parts) {
    Vars v;
    auto grouping_positions = [&](const U32& part, bool to_left) {
      std::vector<int> positions;
      std::size_t gp = part.find(p.grouping);
      while (gp != U32::npos) {
        int n = 0;
        const U32 side = to_left ? part.substr(0, gp) : part.substr(gp);
        for (const char32_t c : side) n += (is_digit(c) || c == p.digit) ? 1 : 0;
        positions.push_back(n);
        gp = parts.integer.find(p.grouping, gp + 1);
      }
      return positions;
    };
    v.integer_grouping = grouping_positions(parts.integer, false);
    auto regular = [](const std::vector<int>& idx) {
      if (idx.empty()) return 0;
      auto gcd = [](int a, int b) {
        while (b != 0) {
          const int t = a % b;
          a = b;
          b = t;
        }
        return a;
      };
      int factor = idx[0];
      for (std::size_t i = 1; i < idx.size(); ++i) factor = gcd(factor, idx[i]);
      for (std::size_t k = 1; k <= idx.size(); ++k) {
        bool found = false;
        for (const int x : idx) found = found || x == static_cast<int>(k) * factor;
        if (!found) return 0;
      }
      return factor;
    };
    v.regular = regular(v.integer_grouping);
    v.fractional_grouping = grouping_positions(parts.fractional, true);
    for (const char32_t c : parts.integer) v.min_int += is_digit(c) ? 1 : 0;
    v.scaling = v.min_int;
    for (const char32_t c : parts.fractional) {
      v.min_frac += is_digit(c) ? 1 : 0;
      v.max_frac += (is_digit(c) || c == p.digit) ? 1 : 0;
    }
    const bool exp_present = parts.has_exponent;
    if (v.min_int == 0 && v.max_frac == 0) {
      if (exp_present) {
        v.min_frac = 1;
        v.max_frac = 1;
      } else {
        v.min_int = 1;
      }
    }
    if (exp_present && v.min_int == 0 && parts.integer.find(p.digit) != U32::npos) v.min_int = 1;
    if (v.min_int == 0 && v.min_frac == 0) v.min_frac = 1;
    if (exp_present) {
      for (const char32_t c : parts.exponent) v.min_exp += is_digit(c) ? 1 : 0;
    }
    v.prefix = parts.prefix;
    v.suffix = parts.suffix;
    v.picture = parts.sub;
    return v;
  };

  std::vector<Parts> parts;
  for (const U32& s : subs) parts.push_back(split_parts(s));
  for (const Parts& pp : parts) validate(pp);
  std::vector<Vars> vars;
  for (const Parts& pp : parts) vars.push_back(analyse(pp));
  if (vars.size() == 1) {
    vars.push_back(vars[0]);
    vars[1].prefix = U32(1, p.minus) + vars[1].prefix;
  }
  const Vars& pic = value >= 0 ? vars[0] : vars[1];
  double adjusted = value;
  if (pic.picture.find(p.percent) != U32::npos) {
    adjusted = value * 100;
  } else if (pic.picture.find(p.permille) != U32::npos) {
    adjusted = value * 1000;
  }
  double mantissa = adjusted;
  bool has_exponent = false;
  double exponent = 0;
  if (pic.min_exp != 0) {
    has_exponent = true;
    const double max_m = std::pow(10, pic.scaling);
    const double min_m = std::pow(10, pic.scaling - 1);
    if (mantissa != 0) {
      while (std::fabs(mantissa) < min_m) {
        mantissa *= 10;
        exponent -= 1;
      }
      while (std::fabs(mantissa) > max_m) {
        mantissa /= 10;
        exponent += 1;
      }
    }
  }
  const double rounded = RoundHalfEven(mantissa, pic.max_frac);
  auto make_string = [&](double v, int dp) {
    const std::string s = ToFixed(std::fabs(v), dp);
    U32 out;
    for (const char c : s) {
      if (c >= '0' && c <= '9') {
        out += static_cast<char32_t>(family[c - '0']);
      } else {
        out += static_cast<char32_t>(c);
      }
    }
    return out;
  };
  U32 sv = make_string(rounded, pic.max_frac);
  std::size_t dp = sv.find(U'.');
  if (dp == U32::npos) {
    sv += p.decimal;
  } else {
    sv[dp] = p.decimal;
  }
  while (!sv.empty() && sv.front() == p.zero) sv.erase(0, 1);
  while (!sv.empty() && sv.back() == p.zero) sv.pop_back();
  std::size_t decimal_pos = sv.find(p.decimal);
  const int pad_left = pic.min_int - static_cast<int>(decimal_pos);
  const int pad_right = pic.min_frac - static_cast<int>(sv.size() - decimal_pos - 1);
  if (pad_left > 0) sv = U32(pad_left, p.zero) + sv;
  if (pad_right > 0) sv += U32(pad_right, p.zero);
  decimal_pos = sv.find(p.decimal);
  if (pic.regular > 0) {
    const int group_count = (static_cast<int>(decimal_pos) - 1) / pic.regular;
    for (int group = 1; group <= group_count; ++group) {
      sv.insert(decimal_pos - group * pic.regular, 1, p.grouping);
    }
  } else {
    for (const int pos : pic.integer_grouping) {
      sv.insert(decimal_pos - pos, 1, p.grouping);
      ++decimal_pos;
    }
  }
  decimal_pos = sv.find(p.decimal);
  for (const int pos : pic.fractional_grouping) {
    sv.insert(pos + decimal_pos + 1, 1, p.grouping);
  }
  decimal_pos = sv.find(p.decimal);
  if (pic.picture.find(p.decimal) == U32::npos || decimal_pos == sv.size() - 1) sv.pop_back();
  if (has_exponent) {
    U32 se = make_string(exponent, 0);
    const int pl = pic.min_exp - static_cast<int>(se.size());
    if (pl > 0) se = U32(pl, p.zero) + se;
    sv += p.exponent;
    if (exponent < 0) sv += p.minus;
    sv += se;
  }
  return Encode(pic.prefix + sv + pic.suffix);
}

}  // namespace stepway::jsonata
