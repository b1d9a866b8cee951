// Step Functions' JSONata mode: evaluating the fields of a state whose QueryLanguage is JSONata.
//
// In JSONata mode a field's value is a template: any string of the form "{% expr %}" (no text
// before "{%" or after "%}") is a JSONata expression, and every other string, number, boolean,
// null, object and array is literal, its members and elements templates in turn (AWS
// "Transforming data with JSONata"). An expression sees:
//   - `$states`: {input, context, result (Output/Assign of Task, Parallel, Map),
//     errorOutput (Output/Assign of a Catcher)};
//   - every variable of the scope chain (`$name`), innermost first;
//   - the functions Step Functions adds: $partition, $range, $hash, $random (with an optional
//     seed), $uuid and $parse. $eval is not available.
//
// Expressions are compiled once, when the definition is parsed (`JsonataExpressions`, owned by
// the Definition), so that a syntax error is a validation diagnostic. Evaluation is pure: time
// and randomness come in the scope. Compiled expressions are immutable and thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include <tl/expected.hpp>

#include "asl/scope.h"
#include "base/random.h"
#include "json/json.h"
#include "jsonata/jsonata.h"

namespace stepway::asl {

// What `$states` holds for one evaluation. Null members are absent from $states.
struct JsonataStates {
  const json::Value* input = nullptr;
  const json::Value* context = nullptr;
  const json::Value* result = nullptr;
  const json::Value* error_output = nullptr;
};

struct JsonataScope {
  JsonataStates states;
  const VariableScope* variables = nullptr;  // may be null: no variables
  Random* random = nullptr;                  // $random() and $uuid(); null: a fixed sequence
  std::int64_t now_millis = 0;               // $now() and $millis()
};

// A failed evaluation. Step Functions reports every one as States.QueryEvaluationError; `cause`
// is AWS's text without the "An error occurred while executing the state ..." prefix the engine
// adds, and `location` the field it concerns ("Output/result", "Items"), empty when none.
struct JsonataFailure {
  std::string location;
  std::string cause;
};

template <typename T>
using JsonataOutcome = tl::expected<T, JsonataFailure>;

// The compiled expressions of a definition, keyed by their text (between "{%" and "%}",
// trimmed). Filled while parsing; read-only afterwards.
class JsonataExpressions {
 public:
  // Compiles `text` (if not yet compiled). On a syntax error: JSONata's error.
  tl::expected<const jsonata::Expression*, jsonata::JsonataError> Add(std::string_view text);
  // The compiled expression for `text`, or nullptr.
  const jsonata::Expression* Find(std::string_view text) const;

 private:
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>()(s); }
  };
  std::unordered_map<std::string, jsonata::Expression, Hash, std::equal_to<>> compiled_;
};

// A syntax error found in a template: where (a location suffix such as "/result" or "[0]",
// relative to the field) and JSONata's error.
struct JsonataSyntaxError {
  std::string location;
  std::string text;  // the expression
  jsonata::JsonataError error;
};

// Compiles every expression of the template `spec` into `expressions`. Returns the first syntax
// error, or nullopt when all compiled.
std::optional<JsonataSyntaxError> CompileJsonataTemplate(const json::Value& spec,
                                                         JsonataExpressions& expressions);

// Evaluates the template `spec` for the field `field` ("Output", "Arguments", "Assign" ...).
// On success: the value, with each expression replaced by its result. On failure (always
// States.QueryEvaluationError), AWS's causes:
// - "The JSONata expression 'X' specified for the field 'F' returned nothing (undefined)."
// - "The JSONata expression 'X' specified for the field 'F' threw an error during evaluation.
//   T1006: Attempted to invoke a non-function"
// - "The JSONata expression 'X' specified for the field 'F' returned an unsupported result
//   type." (a function)
// where F is the field and the member path to the expression ("Output/result").
// Expressions not in `expressions` are compiled on the spot.
JsonataOutcome<json::Value> EvaluateJsonataTemplate(const json::Value& spec,
                                                    std::string_view field,
                                                    const JsonataExpressions& expressions,
                                                    const JsonataScope& scope);

// Evaluates one expression (its text, without "{%" and "%}") for `field`. Same failures as a
// template, except that an undefined result is returned as nullopt.
JsonataOutcome<std::optional<json::Value>> EvaluateJsonataExpression(
    std::string_view text, std::string_view field, const JsonataExpressions& expressions,
    const JsonataScope& scope);

// AWS's cause for an expression that yields nothing: "The JSONata expression 'X' specified for
// the field 'F' returned nothing (undefined)."
std::string JsonataUndefined(std::string_view text, std::string_view field);

// "boolean", "number", "string", "null", "array", "object": a JSON value's JSONata type name.
const char* JsonataTypeName(const json::Value& value);

// AWS's cause for an expression whose result has the wrong type: "The JSONata expression 'X'
// specified for the field 'F' returned an unexpected result type. Expected 'array', but was
// 'boolean' for value: true".
std::string JsonataUnexpectedType(std::string_view text, std::string_view field,
                                  std::string_view expected, const json::Value& value);

}  // namespace stepway::asl
