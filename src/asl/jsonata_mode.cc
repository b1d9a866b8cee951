#include "asl/jsonata_mode.h"

#include <cmath>
#include <vector>

#include <openssl/evp.h>

#include "asl/validation.h"

namespace stepway::asl {
namespace {

namespace v = validation;

using Args = std::vector<std::optional<json::Value>>;
using NativeResult = tl::expected<std::optional<json::Value>, jsonata::JsonataError>;

jsonata::JsonataError FunctionError(std::string code, std::string message) {
  jsonata::JsonataError e;
  e.code = std::move(code);
  e.message = std::move(message);
  return e;
}

// $partition(array, size): the array cut into chunks of `size` items (the last may be shorter).
NativeResult Partition(const Args& args) {
  if (!args[0] || !args[1]) return std::nullopt;
  const json::Array& array = args[0]->get_array();
  const double size = json::AsDouble(*args[1]);
  if (!(size >= 1) || size != std::floor(size)) {
    return tl::unexpected(
        FunctionError("D3040", "The chunk size of $partition must be a positive integer"));
  }
  const std::size_t chunk = std::size_t(size);
  json::Array out;
  for (std::size_t i = 0; i < array.size(); i += chunk) {
    json::Array part;
    for (std::size_t k = i; k < array.size() && k < i + chunk; ++k) part.push_back(array[k]);
    out.push_back(std::move(part));
  }
  return json::Value(std::move(out));
}

// $range(start, end, step): start, start+step ... up to end (included). As in AWS, whose $range
// is a JSONata sequence, a single value is returned as itself, not as an array of one.
NativeResult Range(const Args& args) {
  if (!args[0] || !args[1] || !args[2]) return std::nullopt;
  const double first = json::AsDouble(*args[0]);
  const double last = json::AsDouble(*args[1]);
  const double step = json::AsDouble(*args[2]);
  if (step == 0 || !std::isfinite(step)) {
    return tl::unexpected(FunctionError("D3041", "The step of $range must not be zero"));
  }
  constexpr double kMaxItems = 1e7;  // jsonata-js's range operator bound
  const double count = std::floor((last - first) / step) + 1;
  if (count > kMaxItems) {
    return tl::unexpected(
        FunctionError("D2014", "The size of the sequence allocated by the range operator "
                               "(..) must not exceed 1e7."));
  }
  json::Array out;
  for (double i = 0; i < count; ++i) {
    const double x = first + i * step;
    if (std::floor(x) == x && std::fabs(x) <= 9007199254740992.0) {
      out.emplace_back(std::int64_t(x));
    } else {
      out.emplace_back(x);
    }
  }
  if (out.size() == 1) return json::Value(std::move(out[0]));
  return json::Value(std::move(out));
}

std::optional<std::string> HashHex(std::string_view data, std::string_view algorithm) {
  const EVP_MD* md = algorithm == "MD5"       ? EVP_md5()
                     : algorithm == "SHA-1"   ? EVP_sha1()
                     : algorithm == "SHA-256" ? EVP_sha256()
                     : algorithm == "SHA-384" ? EVP_sha384()
                     : algorithm == "SHA-512" ? EVP_sha512()
                                              : nullptr;
  if (md == nullptr) return std::nullopt;
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  if (EVP_Digest(data.data(), data.size(), digest, &size, md, nullptr) != 1) return std::nullopt;
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned int k = 0; k < size; ++k) {
    out += kHex[digest[k] >> 4];
    out += kHex[digest[k] & 15];
  }
  return out;
}

// $hash(value, algorithm): the hex digest of a string; algorithm MD5, SHA-1, SHA-256 (the
// default), SHA-384 or SHA-512, as States.Hash.
NativeResult HashFunction(const Args& args) {
  if (!args[0]) return std::nullopt;
  const std::string algorithm = args[1] ? std::string(args[1]->get_string()) : "SHA-256";
  auto digest = HashHex(args[0]->get_string(), algorithm);
  if (!digest) {
    return tl::unexpected(FunctionError(
        "D3042", "The hash algorithm must be one of MD5, SHA-1, SHA-256, SHA-384, SHA-512"));
  }
  return json::Value(json::String(*digest));
}

// $parse(text): the JSON value `text` holds.
NativeResult Parse(const Args& args) {
  if (!args[0]) return std::nullopt;
  auto parsed = json::Parse(args[0]->get_string());
  if (!parsed) {
    return tl::unexpected(FunctionError("D3043", "The argument of $parse is not valid JSON"));
  }
  return std::move(*parsed);
}

// Fills `bindings` for evaluating `text`: $states, the variables and the Step Functions
// functions the text mentions (a name not in the text cannot be referred to, since $eval and
// $lookup on the environment do not exist).
void Bind(std::string_view text, const JsonataScope& scope, jsonata::Bindings& bindings) {
  auto mentions = [&](std::string_view name) {
    for (std::size_t at = text.find(name); at != std::string_view::npos;
         at = text.find(name, at + 1)) {
      if (at > 0 && text[at - 1] == '$') return true;
    }
    return false;
  };
  // $states and the variables are bound by reference: the scope outlives the evaluation, and
  // copying the state's input (up to 256 KiB) for every expression would cost more than most
  // expressions do.
  if (mentions("states")) {
    bindings.BindObjectOfReferences("states", {{"input", scope.states.input},
                                               {"context", scope.states.context},
                                               {"result", scope.states.result},
                                               {"errorOutput", scope.states.error_output}});
  }
  std::vector<std::string_view> bound;
  for (const VariableScope* s = scope.variables; s != nullptr; s = s->parent) {
    for (const auto& kv : s->values) {
      const std::string_view name = kv.key();
      if (!mentions(name)) continue;
      bool shadowed = false;
      for (std::string_view b : bound) shadowed = shadowed || b == name;
      if (shadowed) continue;
      bound.push_back(name);
      bindings.BindReference(std::string(name), &kv.value());
    }
  }
  bindings.Unbind("eval");
  if (mentions("partition")) (void)bindings.BindFunction("partition", "<an:a>", Partition);
  if (mentions("range")) (void)bindings.BindFunction("range", "<nnn:a>", Range);
  if (mentions("hash")) (void)bindings.BindFunction("hash", "<ss?:s>", HashFunction);
  if (mentions("parse")) (void)bindings.BindFunction("parse", "<s:j>", Parse);
  Random* random = scope.random;
  if (mentions("random")) {
    (void)bindings.BindFunction("random", "<n?:n>", [random](const Args& args) -> NativeResult {
      if (args[0]) {
        SeededRandom seeded(std::uint64_t(std::llround(json::AsDouble(*args[0]))));
        return json::Value(seeded.NextDouble());
      }
      if (random != nullptr) return json::Value(random->NextDouble());
      return json::Value(0.5);
    });
  }
  if (mentions("uuid")) {
    (void)bindings.BindFunction("uuid", "<:s>", [random](const Args&) -> NativeResult {
      SeededRandom fixed(1);
      return json::Value(json::String(NewUuid(random != nullptr ? *random : fixed)));
    });
  }
}

std::string Quote(std::string_view text, std::string_view field) {
  return "The JSONata expression '" + std::string(text) + "' specified for the field '" +
         std::string(field) + "'";
}

JsonataOutcome<json::Value> EvaluateValue(const json::Value& spec, std::string& field,
                                          const JsonataExpressions& expressions,
                                          const JsonataScope& scope) {
  if (v::IsJsonataExpression(spec)) {
    const std::string text = v::JsonataExpressionText(spec.get_string());
    auto r = EvaluateJsonataExpression(text, field, expressions, scope);
    if (!r) return tl::unexpected(std::move(r.error()));
    if (!*r) {
      return tl::unexpected(
          JsonataFailure{field, Quote(text, field) + " returned nothing (undefined)."});
    }
    return std::move(**r);
  }
  if (spec.is_object()) {
    json::Object out;
    out.reserve(spec.get_object().size());
    const std::size_t length = field.size();
    for (const auto& kv : spec.get_object()) {
      field += '/';
      field += kv.key();
      auto r = EvaluateValue(kv.value(), field, expressions, scope);
      if (!r) return r;
      field.resize(length);
      out.emplace(kv.key(), std::move(*r));
    }
    return json::Value(std::move(out));
  }
  if (spec.is_array()) {
    json::Array out;
    out.reserve(spec.get_array().size());
    const std::size_t length = field.size();
    for (std::size_t i = 0; i < spec.get_array().size(); ++i) {
      field += '[' + std::to_string(i) + ']';
      auto r = EvaluateValue(spec.get_array()[i], field, expressions, scope);
      if (!r) return r;
      field.resize(length);
      out.push_back(std::move(*r));
    }
    return json::Value(std::move(out));
  }
  return spec;
}

bool HasExpression(const json::Value& spec) {
  if (v::IsJsonataExpression(spec)) return true;
  if (spec.is_object()) {
    for (const auto& kv : spec.get_object()) {
      if (HasExpression(kv.value())) return true;
    }
  } else if (spec.is_array()) {
    for (const auto& e : spec.get_array()) {
      if (HasExpression(e)) return true;
    }
  }
  return false;
}

void CompileInto(const json::Value& spec, std::string& location, JsonataExpressions& expressions,
                 std::optional<JsonataSyntaxError>& first) {
  if (first) return;
  if (v::IsJsonataExpression(spec)) {
    std::string text = v::JsonataExpressionText(spec.get_string());
    auto r = expressions.Add(text);
    if (!r) first = JsonataSyntaxError{location, std::move(text), std::move(r.error())};
    return;
  }
  const std::size_t length = location.size();
  if (spec.is_object()) {
    for (const auto& kv : spec.get_object()) {
      location += '/';
      location += kv.key();
      CompileInto(kv.value(), location, expressions, first);
      location.resize(length);
    }
  } else if (spec.is_array()) {
    for (std::size_t i = 0; i < spec.get_array().size(); ++i) {
      location += '[' + std::to_string(i) + ']';
      CompileInto(spec.get_array()[i], location, expressions, first);
      location.resize(length);
    }
  }
}

}  // namespace

tl::expected<const jsonata::Expression*, jsonata::JsonataError> JsonataExpressions::Add(
    std::string_view text) {
  if (auto it = compiled_.find(text); it != compiled_.end()) return &it->second;
  auto compiled = jsonata::Expression::Compile(text);
  if (!compiled) return tl::unexpected(std::move(compiled.error()));
  auto [it, inserted] = compiled_.emplace(std::string(text), std::move(*compiled));
  return &it->second;
}

const jsonata::Expression* JsonataExpressions::Find(std::string_view text) const {
  auto it = compiled_.find(text);
  return it == compiled_.end() ? nullptr : &it->second;
}

std::optional<JsonataSyntaxError> CompileJsonataTemplate(const json::Value& spec,
                                                         JsonataExpressions& expressions) {
  std::optional<JsonataSyntaxError> first;
  std::string location;
  CompileInto(spec, location, expressions, first);
  return first;
}

JsonataOutcome<json::Value> EvaluateJsonataTemplate(const json::Value& spec,
                                                    std::string_view field,
                                                    const JsonataExpressions& expressions,
                                                    const JsonataScope& scope) {
  if (!HasExpression(spec)) return spec;
  std::string location(field);
  return EvaluateValue(spec, location, expressions, scope);
}

JsonataOutcome<std::optional<json::Value>> EvaluateJsonataExpression(
    std::string_view text, std::string_view field, const JsonataExpressions& expressions,
    const JsonataScope& scope) {
  const jsonata::Expression* expression = expressions.Find(text);
  std::optional<jsonata::Expression> local;
  if (expression == nullptr) {
    auto compiled = jsonata::Expression::Compile(text);
    if (!compiled) {
      return tl::unexpected(JsonataFailure{
          std::string(field), Quote(text, field) + " threw an error during evaluation. " +
                                  compiled.error().code + ": " + compiled.error().message});
    }
    local = std::move(*compiled);
    expression = &*local;
  }
  jsonata::Bindings bindings;
  Bind(text, scope, bindings);
  jsonata::EvalOptions options;
  options.now_millis = scope.now_millis;
  if (scope.random != nullptr) {
    Random* random = scope.random;
    options.random = [random] { return random->NextDouble(); };
  }
  auto r = expression->Evaluate(nullptr, bindings, options);
  if (!r) {
    const jsonata::JsonataError& e = r.error();
    std::string detail = e.code.empty() ? e.message : e.code + ": " + e.message;
    return tl::unexpected(JsonataFailure{
        std::string(field), Quote(text, field) + " threw an error during evaluation. " + detail});
  }
  // jsonata gives a function as "": tell one from the other by asking for the type.
  if (*r && r->value().is_string() && r->value().get_string().empty()) {
    auto typed = jsonata::Expression::Compile("$type((" + std::string(text) + "))");
    if (typed) {
      auto type = typed->Evaluate(nullptr, bindings, options);
      if (type && *type && type->value().is_string() && type->value().get_string() == "function") {
        return tl::unexpected(JsonataFailure{
            std::string(field), Quote(text, field) + " returned an unsupported result type."});
      }
    }
  }
  return std::move(*r);
}

std::string JsonataUndefined(std::string_view text, std::string_view field) {
  return Quote(text, field) + " returned nothing (undefined).";
}

const char* JsonataTypeName(const json::Value& value) {
  if (value.is_bool()) return "boolean";
  if (value.is_number()) return "number";
  if (value.is_string()) return "string";
  if (value.is_array()) return "array";
  if (value.is_object()) return "object";
  return "null";
}

std::string JsonataUnexpectedType(std::string_view text, std::string_view field,
                                  std::string_view expected, const json::Value& value) {
  return Quote(text, field) + " returned an unexpected result type. Expected '" +
         std::string(expected) + "', but was '" + JsonataTypeName(value) +
         "' for value: " + json::Serialize(value);
}

}  // namespace stepway::asl
