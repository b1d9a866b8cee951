#include "cli/skeleton.h"

#include <algorithm>
#include <string_view>
#include <vector>

#include "cli/output_format.h"
#include "cli/service_tables.h"

namespace stepway::cli {
namespace {

using api::Shape;
using api::ShapeType;

class Generator {
 public:
  Generator(api::Service service, bool member_names) : service_(service), names_(member_names) {}

  json::Value Generate(int index, std::string_view name) {
    const Shape& shape = ShapeAt(index);
    stack_.push_back(index);
    json::Value out = GenerateShape(index, shape, name);
    stack_.pop_back();
    return out;
  }

 private:
  const Shape& ShapeAt(int index) const {
    return api::Shapes(service_)[static_cast<std::size_t>(index)];
  }

  json::Value GenerateShape(int index, const Shape& shape, std::string_view name) {
    switch (shape.type) {
      case ShapeType::kStructure: {
        if (std::count(stack_.begin(), stack_.end(), index) > 1) return json::Object();
        json::Object out;
        for (const api::Member& m : shape.members) out[m.name] = Generate(m.shape, m.name);
        return out;
      }
      case ShapeType::kList: {
        json::Array out;
        out.push_back(Generate(shape.value, names_ ? ShapeAt(shape.value).name : ""));
        return out;
      }
      case ShapeType::kMap: {
        json::Object out;
        out["KeyName"] = Generate(shape.value, "");
        return out;
      }
      case ShapeType::kString:
        if (names_) return json::String(name);
        if (!shape.enum_values.empty()) return json::String(shape.enum_values.front());
        return json::String("");
      case ShapeType::kInteger:
      case ShapeType::kLong: return 0;
      case ShapeType::kFloat:
      case ShapeType::kDouble: return 0.0;
      case ShapeType::kBoolean: return true;
      case ShapeType::kTimestamp: return json::String("1970-01-01T00:00:00");
      case ShapeType::kBlob: return nullptr;
    }
    return nullptr;
  }

  api::Service service_;
  bool names_;
  std::vector<int> stack_;
};

// YAML text for a scalar skeleton value.
std::string YamlScalar(const Shape& shape) {
  switch (shape.type) {
    case ShapeType::kString:
      if (shape.enum_values.empty()) return "''";
      if (YamlNeedsQuotes(shape.enum_values.front())) {
        std::string quoted = "'";
        quoted += shape.enum_values.front();
        quoted += '\'';
        return quoted;
      }
      return std::string(shape.enum_values.front());
    case ShapeType::kInteger:
    case ShapeType::kLong: return "0";
    case ShapeType::kFloat:
    case ShapeType::kDouble: return "0.0";
    case ShapeType::kBoolean: return "true";
    case ShapeType::kTimestamp: return "1970-01-01 00:00:00";
    case ShapeType::kBlob: return "null";
    default: return "";
  }
}

bool IsScalar(const Shape& shape) {
  return shape.type != ShapeType::kList && shape.type != ShapeType::kMap &&
         shape.type != ShapeType::kStructure;
}

class YamlGenerator {
 public:
  explicit YamlGenerator(api::Service service) : service_(service) {}

  // Members of a structure, each on its own line(s), at `indent`. `first_prefix` replaces the
  // indentation of the first line (for "- " list items).
  void Structure(int index, std::size_t indent, std::string first_prefix) {
    const Shape& shape = ShapeAt(index);
    if (std::count(stack_.begin(), stack_.end(), index) > 0 || shape.members.empty()) {
      out_ += first_prefix + "{}\n";
      return;
    }
    stack_.push_back(index);
    bool first = true;
    for (const api::Member& m : shape.members) {
      const std::string lead = first ? first_prefix : std::string(indent, ' ');
      first = false;
      const Shape& ms = ShapeAt(m.shape);
      const std::string comment = Comment(shape, m, ms);
      if (IsScalar(ms)) {
        out_ += lead + std::string(m.name) + ": " + YamlScalar(ms) + comment + "\n";
      } else {
        out_ += lead + std::string(m.name) + ":" + comment + "\n";
        Value(m.shape, indent + 2);
      }
    }
    stack_.pop_back();
  }

  std::string Take() { return std::move(out_); }

 private:
  const Shape& ShapeAt(int index) const {
    return api::Shapes(service_)[static_cast<std::size_t>(index)];
  }

  // A non-scalar value on the lines after its key.
  void Value(int index, std::size_t indent) {
    const Shape& shape = ShapeAt(index);
    const std::string pad(indent, ' ');
    if (shape.type == ShapeType::kStructure) {
      Structure(index, indent, pad);
      return;
    }
    if (shape.type == ShapeType::kList) {
      const Shape& item = ShapeAt(shape.value);
      if (IsScalar(item)) {
        out_ += pad + "- " + YamlScalar(item) + "\n";
      } else if (item.type == ShapeType::kStructure) {
        Structure(shape.value, indent + 2, pad + "- ");
      } else {
        out_ += pad + "-\n";
        Value(shape.value, indent + 2);
      }
      return;
    }
    // A map.
    const Shape& value = ShapeAt(shape.value);
    if (IsScalar(value)) {
      out_ += pad + "KeyName: " + YamlScalar(value) + "\n";
    } else {
      out_ += pad + "KeyName:\n";
      Value(shape.value, indent + 2);
    }
  }

  std::string Comment(const Shape& parent, const api::Member& m, const Shape& ms) const {
    std::string text;
    if (m.required) text = "[REQUIRED] ";
    if (const MemberDoc* d = FindMemberDoc(service_, parent.name, m.name)) {
      text += std::string(FirstSentence(d->doc));
    }
    if (!ms.enum_values.empty()) {
      if (!text.empty() && text.back() != ' ') text += "  ";
      text += "Valid values are: ";
      for (std::size_t i = 0; i < ms.enum_values.size(); ++i) {
        text += (i ? ", " : "") + std::string(ms.enum_values[i]);
      }
      text += ".";
    }
    while (!text.empty() && text.back() == ' ') text.pop_back();
    return text.empty() ? "" : "  # " + text;
  }

  api::Service service_;
  std::vector<int> stack_;
  std::string out_;
};

}  // namespace

json::Value InputSkeleton(api::Service service, int shape_index) {
  if (shape_index < 0) return json::Object();
  return Generator(service, false).Generate(shape_index, "");
}

std::string YamlInputSkeleton(api::Service service, int shape_index) {
  if (shape_index < 0) return "{}\n";
  YamlGenerator g(service);
  g.Structure(shape_index, 0, "");
  return g.Take();
}

json::Value OutputSkeleton(api::Service service, int shape_index) {
  if (shape_index < 0) return json::Object();
  return Generator(service, true).Generate(shape_index, "");
}

}  // namespace stepway::cli
