#include "cli/output_format.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

namespace stepway::cli {
namespace {

using api::ShapeType;

void JsonString(std::string_view s, std::string& out) {
  out += '"';
  for (const char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned char>(c));
          out += buf;
        } else {
          out += c;
        }
    }
  }
  out += '"';
}

std::string Scalar(const json::Value& v) {
  switch (v.kind()) {
    case json::Kind::string: return std::string(v.as_string());
    case json::Kind::bool_: return v.as_bool() ? "True" : "False";
    case json::Kind::null: return "None";
    case json::Kind::int64: return std::to_string(v.as_int64());
    case json::Kind::uint64: return std::to_string(v.as_uint64());
    case json::Kind::double_: return PythonFloat(v.as_double());
    default: return json::Serialize(v);
  }
}

void WriteJson(const json::Value& v, int indent, std::string& out) {
  const std::string pad(static_cast<std::size_t>(indent + 4), ' ');
  const std::string close_pad(static_cast<std::size_t>(indent), ' ');
  switch (v.kind()) {
    case json::Kind::object: {
      const auto& o = v.as_object();
      if (o.empty()) {
        out += "{}";
        return;
      }
      out += "{\n";
      bool first = true;
      for (const auto& kv : o) {
        if (!first) out += ",\n";
        first = false;
        out += pad;
        JsonString(kv.key(), out);
        out += ": ";
        WriteJson(kv.value(), indent + 4, out);
      }
      out += "\n" + close_pad + "}";
      return;
    }
    case json::Kind::array: {
      const auto& a = v.as_array();
      if (a.empty()) {
        out += "[]";
        return;
      }
      out += "[\n";
      bool first = true;
      for (const auto& e : a) {
        if (!first) out += ",\n";
        first = false;
        out += pad;
        WriteJson(e, indent + 4, out);
      }
      out += "\n" + close_pad + "]";
      return;
    }
    case json::Kind::string: JsonString(v.as_string(), out); return;
    case json::Kind::bool_: out += v.as_bool() ? "true" : "false"; return;
    case json::Kind::null: out += "null"; return;
    case json::Kind::double_: out += PythonFloat(v.as_double()); return;
    default: out += json::Serialize(v); return;
  }
}

void EmitYaml(YAML::Emitter& e, const json::Value& v) {
  switch (v.kind()) {
    case json::Kind::object:
      e << YAML::BeginMap;
      for (const auto& kv : v.as_object()) {
        e << YAML::Key << std::string(kv.key()) << YAML::Value;
        EmitYaml(e, kv.value());
      }
      e << YAML::EndMap;
      return;
    case json::Kind::array:
      e << YAML::BeginSeq;
      for (const auto& x : v.as_array()) EmitYaml(e, x);
      e << YAML::EndSeq;
      return;
    case json::Kind::string: {
      const std::string s(v.as_string());
      if (YamlNeedsQuotes(s)) {
        e << YAML::SingleQuoted << s;
      } else {
        e << s;
      }
      return;
    }
    case json::Kind::bool_: e << (v.as_bool() ? "true" : "false"); return;
    case json::Kind::null: e << YAML::Null; return;
    case json::Kind::double_: e << PythonFloat(v.as_double()); return;
    default: e << json::Serialize(v); return;
  }
}

// --- text ----------------------------------------------------------------------------------------

bool IsContainer(const json::Value& v) { return v.is_object() || v.is_array(); }

std::string Upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

void Text(const json::Value& item, std::string& out, const std::string* identifier,
          const std::vector<std::string>* scalar_keys);

void TextScalarList(const std::vector<const json::Value*>& items, const std::string* identifier,
                    std::string& out) {
  if (identifier != nullptr) {
    for (const json::Value* v : items) out += Upper(*identifier) + "\t" + Scalar(*v) + "\n";
    return;
  }
  bool first = true;
  for (const json::Value* v : items) {
    if (!first) out += '\t';
    first = false;
    out += Scalar(*v);
  }
  out += '\n';
}

void TextList(const json::Array& list, std::string& out, const std::string* identifier) {
  if (list.empty()) return;
  const bool any_dict = std::any_of(list.begin(), list.end(), [](auto& e) { return e.is_object(); });
  const bool any_list = std::any_of(list.begin(), list.end(), [](auto& e) { return e.is_array(); });
  if (any_dict) {
    std::vector<std::string> keys;
    for (const auto& e : list) {
      if (!e.is_object()) continue;
      for (const auto& kv : e.as_object()) {
        if (!IsContainer(kv.value())) keys.emplace_back(kv.key());
      }
    }
    std::sort(keys.begin(), keys.end());
    keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
    for (const auto& e : list) Text(e, out, identifier, &keys);
    return;
  }
  std::vector<const json::Value*> scalars;
  for (const auto& e : list) {
    if (!IsContainer(e)) scalars.push_back(&e);
  }
  if (any_list) {
    if (!scalars.empty()) TextScalarList(scalars, identifier, out);
    for (const auto& e : list) {
      if (IsContainer(e)) Text(e, out, identifier, nullptr);
    }
    return;
  }
  TextScalarList(scalars, identifier, out);
}

void TextDict(const json::Object& o, std::string& out, const std::string* identifier,
              const std::vector<std::string>* scalar_keys) {
  std::vector<std::string> scalars;
  std::vector<std::pair<std::string, const json::Value*>> rest;
  if (scalar_keys == nullptr) {
    std::vector<std::string> keys;
    for (const auto& kv : o) keys.emplace_back(kv.key());
    std::sort(keys.begin(), keys.end());
    for (const auto& k : keys) {
      const json::Value& v = o.at(k);
      if (IsContainer(v)) {
        rest.emplace_back(k, &v);
      } else {
        scalars.push_back(Scalar(v));
      }
    }
  } else {
    for (const auto& k : *scalar_keys) {
      const json::Value* v = o.if_contains(k);
      scalars.push_back(v ? Scalar(*v) : "");
    }
    std::vector<std::string> keys;
    for (const auto& kv : o) {
      if (std::find(scalar_keys->begin(), scalar_keys->end(), kv.key()) == scalar_keys->end()) {
        keys.emplace_back(kv.key());
      }
    }
    std::sort(keys.begin(), keys.end());
    for (const auto& k : keys) rest.emplace_back(k, &o.at(k));
  }
  if (!scalars.empty()) {
    if (identifier != nullptr) scalars.insert(scalars.begin(), Upper(*identifier));
    for (std::size_t i = 0; i < scalars.size(); ++i) {
      if (i) out += '\t';
      out += scalars[i];
    }
    out += '\n';
  }
  for (const auto& [k, v] : rest) Text(*v, out, &k, nullptr);
}

void Text(const json::Value& item, std::string& out, const std::string* identifier,
          const std::vector<std::string>* scalar_keys) {
  if (item.is_object()) return TextDict(item.as_object(), out, identifier, scalar_keys);
  if (item.is_array()) return TextList(item.as_array(), out, identifier);
  out += Scalar(item) + "\n";
}

// --- table ---------------------------------------------------------------------------------------

// A section of the table: a title, a header row, rows, indented by `indent` levels of `|`.
struct Section {
  std::string title;
  int indent = 0;
  std::vector<std::string> headers;
  std::vector<std::vector<std::string>> rows;
  std::vector<std::size_t> max_widths;  // per column, over the header and the rows

  void Fit(const std::vector<std::string>& row) {
    if (max_widths.size() < row.size()) max_widths.resize(row.size(), 0);
    for (std::size_t i = 0; i < row.size(); ++i) {
      max_widths[i] = std::max(max_widths[i], json::CodePointCount(row[i]));
    }
  }
  void AddHeader(std::vector<std::string> h) {
    Fit(h);
    headers = std::move(h);
  }
  void AddRow(std::vector<std::string> r) {
    Fit(r);
    rows.push_back(std::move(r));
  }
  // The width this section needs with 4 columns of padding, its border and its indentation.
  std::size_t TotalWidth() const {
    std::size_t total = 0;
    for (std::size_t w : max_widths) total += w + 4;
    total += 2 + 2 * static_cast<std::size_t>(indent);
    return std::max(json::CodePointCount(title) + 2 + 2 * static_cast<std::size_t>(indent), total);
  }
  // Column widths (padding 4) scaled to fill `max_width` exactly.
  std::vector<std::size_t> ColumnWidths(std::size_t max_width) const {
    std::vector<long> scaled;
    double sum = 0;
    for (std::size_t w : max_widths) sum += static_cast<double>(w + 4);
    if (max_widths.empty()) return {};
    const double factor = static_cast<double>(max_width) / sum;
    for (std::size_t w : max_widths) {
      scaled.push_back(static_cast<long>(std::nearbyint(factor * static_cast<double>(w + 4))));
    }
    long off_by = -static_cast<long>(max_width);
    for (long w : scaled) off_by += w;
    while (off_by != 0) {
      const long n = static_cast<long>(scaled.size());
      for (long k = 0; k < n && off_by != 0; ++k) {
        const long i = off_by < 0 ? n - 1 - k : k;
        if (off_by > 0) {
          --scaled[static_cast<std::size_t>(i)];
          --off_by;
        } else {
          ++scaled[static_cast<std::size_t>(i)];
          ++off_by;
        }
      }
    }
    return std::vector<std::size_t>(scaled.begin(), scaled.end());
  }
};

// Builds the sections from a response the way the AWS CLI lays a table out: scalar members of
// an object form one row under a header of their names (sorted), lists of objects one row
// each, and nested objects and lists their own indented, titled sections.
class TableBuilder {
 public:
  bool Build(const std::string* title, const json::Value& current, int indent) {
    if (!Truthy(current)) return false;
    if (title != nullptr) NewSection(*title, indent);
    if (current.is_array()) {
      const auto& list = current.as_array();
      if (list[0].is_object()) {
        FromList(list, indent, title);
      } else {
        for (const auto& item : list) {
          if (!IsContainer(item)) {
            Current().AddRow({Scalar(item)});
          } else if (item.is_array() &&
                     std::none_of(item.as_array().begin(), item.as_array().end(),
                                  [](auto& e) { return IsContainer(e); })) {
            std::vector<std::string> row;
            for (const auto& e : item.as_array()) row.push_back(Scalar(e));
            Current().AddRow(row);
          } else {
            Build(nullptr, item, indent);
          }
        }
      }
    }
    if (current.is_object()) FromDict(current.as_object(), indent);
    return true;
  }

  std::vector<Section>& sections() { return sections_; }

 private:
  static bool Truthy(const json::Value& v) {
    switch (v.kind()) {
      case json::Kind::object: return !v.as_object().empty();
      case json::Kind::array: return !v.as_array().empty();
      case json::Kind::string: return !v.as_string().empty();
      case json::Kind::null: return false;
      case json::Kind::bool_: return v.as_bool();
      default: return json::AsDouble(v) != 0;
    }
  }
  void NewSection(const std::string& title, int indent) {
    Section s;
    s.title = title;
    s.indent = indent;
    sections_.push_back(std::move(s));
  }
  Section& Current() {
    if (sections_.empty()) sections_.emplace_back();
    return sections_.back();
  }

  void FromDict(const json::Object& o, int indent) {
    std::vector<std::string> headers, more;
    for (const auto& kv : o) (IsContainer(kv.value()) ? more : headers).emplace_back(kv.key());
    std::sort(headers.begin(), headers.end());
    std::sort(more.begin(), more.end());
    if (headers.size() == 1) {
      Current().AddRow({headers[0], Scalar(o.at(headers[0]))});
    } else if (!headers.empty()) {
      Current().AddHeader(headers);
      std::vector<std::string> row;
      for (const auto& h : headers) row.push_back(Scalar(o.at(h)));
      Current().AddRow(row);
    }
    for (const auto& k : more) Build(&k, o.at(k), indent + 1);
  }

  void FromList(const json::Array& list, int indent, const std::string* title) {
    std::vector<std::string> headers, more;
    for (const auto& e : list) {
      if (!e.is_object()) continue;
      for (const auto& kv : e.as_object()) {
        auto& into = IsContainer(kv.value()) ? more : headers;
        if (std::find(into.begin(), into.end(), kv.key()) == into.end()) into.emplace_back(kv.key());
      }
    }
    std::sort(headers.begin(), headers.end());
    std::sort(more.begin(), more.end());
    Current().AddHeader(headers);
    bool first = true;
    for (const auto& e : list) {
      if (!e.is_object()) continue;
      if (!first && !more.empty()) {
        NewSection(title ? *title : "", indent);
        Current().AddHeader(headers);
      }
      first = false;
      std::vector<std::string> row;
      for (const auto& h : headers) {
        const json::Value* v = e.as_object().if_contains(h);
        row.push_back(v ? Scalar(*v) : "");
      }
      Current().AddRow(row);
      for (const auto& k : more) {
        if (const json::Value* v = e.as_object().if_contains(k)) Build(&k, *v, indent + 1);
      }
    }
  }

  std::vector<Section> sections_;
};

std::string Spaces(long n) { return n > 0 ? std::string(static_cast<std::size_t>(n), ' ') : ""; }

std::string CenterText(std::string_view text, std::size_t length, std::string_view left,
                       std::string_view right) {
  const long tl = static_cast<long>(json::CodePointCount(text));
  const long start = static_cast<long>(length) / 2 - tl / 2 - 1;
  std::string out = std::string(left) + Spaces(start) + std::string(text);
  const long so_far = static_cast<long>(left.size()) + std::max(0L, start) + tl;
  out += Spaces(static_cast<long>(length) - static_cast<long>(right.size()) - so_far);
  return out + std::string(right);
}

std::string AlignLeft(std::string_view text, std::size_t length, std::string_view left,
                      std::string_view right) {
  const long tl = static_cast<long>(json::CodePointCount(text));
  const long computed = tl + 2 + static_cast<long>(left.size() + right.size());
  const long padding = static_cast<long>(length) - computed >= 0 ? 2 : 0;
  std::string out = std::string(left) + Spaces(padding) + std::string(text);
  const long so_far = static_cast<long>(left.size()) + padding + tl;
  out += Spaces(static_cast<long>(length) - so_far - static_cast<long>(right.size()));
  return out + std::string(right);
}

std::string LineBreak(const std::vector<std::size_t>& widths) {
  std::string out;
  for (std::size_t i = 0; i < widths.size(); ++i) {
    if (i == 0) {
      out += "+" + std::string(widths[i] >= 2 ? widths[i] - 2 : 0, '-') + "+";
    } else {
      out += std::string(widths[i] >= 1 ? widths[i] - 1 : 0, '-') + "+";
    }
  }
  return out;
}

}  // namespace

bool YamlNeedsQuotes(std::string_view s) {
  static constexpr std::string_view kWords[] = {
      "y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO", "true", "True", "TRUE",
      "false", "False", "FALSE", "on", "On", "ON", "off", "Off", "OFF", "null", "Null", "NULL",
      "~"};
  if (s.empty()) return true;
  for (std::string_view w : kWords) {
    if (s == w) return true;
  }
  if (json::Parse(s).has_value()) return true;  // numbers, and JSON-looking text
  // Dates and times, which YAML 1.1 reads as timestamps.
  return s.size() >= 10 && std::isdigit(static_cast<unsigned char>(s[0])) && s[4] == '-';
}

Result<OutputFormat> ParseOutputFormat(std::string_view name) {
  if (name == "json") return OutputFormat::kJson;
  if (name == "yaml" || name == "yaml-stream") return OutputFormat::kYaml;
  if (name == "text") return OutputFormat::kText;
  if (name == "table") return OutputFormat::kTable;
  return Fail(ErrorCode::kInvalidArgument,
              "argument --output: Invalid choice, valid choices are:\n\njson                 "
              "                    | text                                    \ntable          "
              "                         | yaml                                    \nyaml-stream");
}

std::string PythonFloat(double d) {
  if (std::isnan(d)) return "NaN";
  if (std::isinf(d)) return d > 0 ? "Infinity" : "-Infinity";
  if (d == 0) return std::signbit(d) ? "-0.0" : "0.0";
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof buf, d, std::chars_format::scientific);
  std::string sci(buf, res.ptr);
  // sci is "-d.ddde±XX": split into sign, digits and exponent.
  std::string sign;
  if (sci[0] == '-') {
    sign = "-";
    sci.erase(0, 1);
  }
  const auto e = sci.find('e');
  const int exp = std::stoi(sci.substr(e + 1));
  std::string digits = sci.substr(0, e);
  digits.erase(std::remove(digits.begin(), digits.end(), '.'), digits.end());
  if (exp >= -4 && exp < 16) {
    std::string out;
    if (exp < 0) {
      out = "0." + std::string(static_cast<std::size_t>(-exp - 1), '0') + digits;
    } else if (static_cast<std::size_t>(exp) + 1 >= digits.size()) {
      out = digits + std::string(static_cast<std::size_t>(exp) + 1 - digits.size(), '0') + ".0";
    } else {
      out = digits.substr(0, static_cast<std::size_t>(exp) + 1) + "." +
            digits.substr(static_cast<std::size_t>(exp) + 1);
    }
    return sign + out;
  }
  std::string mantissa = digits.substr(0, 1);
  if (digits.size() > 1) mantissa += "." + digits.substr(1);
  char ebuf[16];
  std::snprintf(ebuf, sizeof ebuf, "e%c%02d", exp < 0 ? '-' : '+', std::abs(exp));
  return sign + mantissa + ebuf;
}

std::string IsoTimestamp(double epoch_seconds) {
  using namespace std::chrono;
  const double whole = std::floor(epoch_seconds);
  long long micros = std::llround((epoch_seconds - whole) * 1e6);
  auto secs = static_cast<long long>(whole);
  if (micros >= 1000000) {
    micros -= 1000000;
    ++secs;
  }
  const sys_seconds tp{seconds(secs)};
  const auto day = floor<days>(tp);
  const year_month_day ymd{day};
  const hh_mm_ss hms{tp - day};
  char buf[64];
  int n = std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02ld:%02ld:%02lld", int(ymd.year()),
                        unsigned(ymd.month()), unsigned(ymd.day()),
                        static_cast<long>(hms.hours().count()),
                        static_cast<long>(hms.minutes().count()),
                        static_cast<long long>(hms.seconds().count()));
  std::string out(buf, static_cast<std::size_t>(n));
  if (micros != 0) {
    std::snprintf(buf, sizeof buf, ".%06lld", micros);
    out += buf;
  }
  return out + "+00:00";
}

json::Value TimestampsToIso(api::Service service, int shape_index, const json::Value& value) {
  if (shape_index < 0) return value;
  const api::Shape& shape = api::Shapes(service)[static_cast<std::size_t>(shape_index)];
  switch (shape.type) {
    case ShapeType::kTimestamp:
      if (value.is_number()) return json::String(IsoTimestamp(json::AsDouble(value)));
      return value;
    case ShapeType::kStructure: {
      if (!value.is_object()) return value;
      json::Object out;
      for (const auto& kv : value.as_object()) {
        int member_shape = -1;
        for (const api::Member& m : shape.members) {
          if (m.name == kv.key()) member_shape = m.shape;
        }
        // A member the model lacks is dropped, as the AWS CLI's parser drops it.
        if (member_shape < 0) continue;
        out[kv.key()] = TimestampsToIso(service, member_shape, kv.value());
      }
      return out;
    }
    case ShapeType::kList: {
      if (!value.is_array()) return value;
      json::Array out;
      for (const auto& e : value.as_array()) out.push_back(TimestampsToIso(service, shape.value, e));
      return out;
    }
    case ShapeType::kMap: {
      if (!value.is_object()) return value;
      json::Object out;
      for (const auto& kv : value.as_object()) {
        out[kv.key()] = TimestampsToIso(service, shape.value, kv.value());
      }
      return out;
    }
    default:
      return value;
  }
}

std::string FormatJson(const json::Value& value) {
  std::string out;
  WriteJson(value, 0, out);
  return out + "\n";
}

std::string FormatYaml(const json::Value& value) {
  YAML::Emitter e;
  e.SetIndent(2);
  EmitYaml(e, value);
  return std::string(e.c_str()) + "\n";
}

std::string FormatText(const json::Value& value) {
  std::string out;
  Text(value, out, nullptr, nullptr);
  return out;
}

std::string FormatTable(const json::Value& value, std::string_view title,
                        std::size_t terminal_width) {
  TableBuilder builder;
  const std::string t(title);
  if (!builder.Build(&t, value, 0)) return "";
  std::vector<Section>& sections = builder.sections();
  auto max_width = [&] {
    std::size_t w = 0;
    for (const Section& s : sections) w = std::max(w, s.TotalWidth());
    return w;
  };
  std::size_t width = max_width();
  if (width > terminal_width) {
    // Too wide: sections of a single row turn into name/value rows.
    for (Section& s : sections) {
      if (s.rows.size() != 1 || s.headers.empty()) continue;
      Section vertical;
      vertical.title = s.title;
      vertical.indent = s.indent;
      for (std::size_t i = 0; i < s.headers.size() && i < s.rows[0].size(); ++i) {
        vertical.AddRow({s.headers[i], s.rows[0][i]});
      }
      s = std::move(vertical);
    }
    width = max_width();
  }
  std::string out = std::string(width, '-') + "\n";
  for (const Section& s : sections) {
    const std::string bars(static_cast<std::size_t>(s.indent), '|');
    auto line = [&](const std::string& text) { out += bars + text + bars + "\n"; };
    const std::size_t inner = width - 2 * static_cast<std::size_t>(s.indent);
    if (!s.title.empty()) {
      line(CenterText(s.title, inner, "|", "|"));
      if (s.headers.empty() && s.rows.empty()) line("+" + std::string(inner - 2, '-') + "+");
    }
    const std::vector<std::size_t> widths = s.ColumnWidths(inner);
    if (!s.headers.empty()) {
      line(LineBreak(widths));
      std::string row;
      for (std::size_t i = 0; i < widths.size() && i < s.headers.size(); ++i) {
        row += CenterText(s.headers[i], widths[i], i == 0 ? "|" : "", "|");
      }
      line(row);
    }
    if (!s.rows.empty() && !widths.empty()) {
      line(LineBreak(widths));
      for (const auto& r : s.rows) {
        std::string row;
        for (std::size_t i = 0; i < widths.size() && i < r.size(); ++i) {
          row += AlignLeft(r[i], widths[i], i == 0 ? "|" : "", "|");
        }
        line(row);
      }
      line(LineBreak(widths));
    }
  }
  return out;
}

std::string FormatOutput(OutputFormat format, const json::Value& value, std::string_view title,
                         std::size_t terminal_width) {
  if (value.is_object() && value.as_object().empty()) return "";
  switch (format) {
    case OutputFormat::kJson: return FormatJson(value);
    case OutputFormat::kYaml: return FormatYaml(value);
    case OutputFormat::kText: return value.is_null() ? "None\n" : FormatText(value);
    case OutputFormat::kTable: return FormatTable(value, title, terminal_width);
  }
  return FormatJson(value);
}

}  // namespace stepway::cli
