// JSONata: the expression language of Step Functions' JSONata mode, following the reference
// implementation (jsonata-js 2.x) exactly: same results, same error codes and messages.
//
// Compile once, evaluate many times:
//
//   auto expr = jsonata::Expression::Compile("$sum(Order.Product.(Price * Quantity))");
//   if (!expr) return expr.error();          // S0xxx: code, position, token, message
//   jsonata::Bindings b;
//   b.Bind("states", states_json);           // $states (a copy; BindReference: none)
//   b.Unbind("eval");                         // Step Functions has no $eval
//   auto r = expr->Evaluate(&input, b, {});   // std::nullopt means "undefined" (no value)
//
// An Expression is immutable and thread-safe: several threads may evaluate it at once.
// Evaluation is pure: no I/O, no clock, no threads; $now()/$millis() read
// EvalOptions::now_millis and $random() calls EvalOptions::random. Numbers are doubles
// internally; results convert integral doubles within ±2^53 to int64 (`1+1` is `2`).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include <tl/expected.hpp>

#include "base/result.h"
#include "json/json.h"

namespace stepway::jsonata {

// The JSONata version whose behaviour this module follows.
inline constexpr const char* kVersion = "2.0";

// An error as jsonata-js reports it: `code` (S0xxx syntax, T0xxx/T1xxx/T2xxx type,
// D1xxx/D2xxx/D3xxx dynamic), the character `position` in the expression (-1 if unknown),
// the `token` it concerns (empty if none), the offending `value` and the `message` text
// exactly as jsonata-js formats it.
struct JsonataError {
  std::string code;
  int position = -1;
  std::string token;
  std::optional<json::Value> value;
  std::string message;

  // As a generic Error: kInvalidArgument for syntax and type errors, kTimedOut for limits.
  Error ToError() const;
};

// A function supplied by the embedding program. Arguments arrive after signature
// validation; std::nullopt stands for an undefined argument, and a returned std::nullopt
// for an undefined result. Return a JsonataError to fail the evaluation with it.
using NativeFunction = std::function<tl::expected<std::optional<json::Value>, JsonataError>(
    const std::vector<std::optional<json::Value>>& args)>;

struct HostFunction;

// Variables and functions visible to an expression beyond the built-in library.
// Bindings are read during Evaluate; keep them alive (and unchanged) while it runs.
class Bindings {
 public:
  Bindings();
  ~Bindings();
  Bindings(Bindings&&) noexcept;
  Bindings& operator=(Bindings&&) noexcept;

  // Binds $name to a copy of value.
  void Bind(std::string name, json::Value value);
  // Binds $name to *value without copying it: evaluations read the caller's document in place.
  // The caller keeps *value alive and unchanged until the last Evaluate with these Bindings
  // has returned.
  void BindReference(std::string name, const json::Value* value);
  // Binds $name to an object whose members are the given documents, in order, each by
  // reference as BindReference does (a null pointer leaves its member out). For an object
  // whose parts live in different places, such as Step Functions' $states (input, context,
  // result), without assembling a copy of them.
  void BindObjectOfReferences(std::string name,
                              std::vector<std::pair<std::string, const json::Value*>> members);
  // Registers $name as a native function with a JSONata signature such as "<n-n?:n>".
  // Fails with kInvalidArgument when the signature does not parse.
  Status BindFunction(std::string name, std::string_view signature, NativeFunction fn);
  // Hides a built-in function (e.g. "eval"); calling it then fails with T1006.
  void Unbind(std::string name);

 private:
  friend class Expression;
  // Drops any binding of `name` (a later Bind* replaces an earlier one of the same name).
  void Forget(std::string_view name);

  std::vector<std::pair<std::string, json::Value>> values_;
  std::vector<std::pair<std::string, const json::Value*>> references_;
  std::vector<std::pair<std::string, std::vector<std::pair<std::string, const json::Value*>>>>
      object_references_;
  std::unordered_map<std::string, const HostFunction*> functions_;
  std::vector<std::unique_ptr<HostFunction>> owned_;
  std::unordered_set<std::string> removed_;
};

struct EvalOptions {
  // Maximum nesting of evaluation (jsonata-js's stack guard): deeper fails with D1011. It
  // also bounds native stack use, so it is never unlimited.
  int max_depth = 1000;
  // Maximum number of evaluation steps; more fails with D1012. 0 means no limit.
  std::uint64_t max_steps = 0;
  // Called every 1,024 steps; returning true fails the evaluation with D1012.
  std::function<bool()> deadline_exceeded;
  // The evaluation's "now", in milliseconds since the epoch, for $now() and $millis().
  std::int64_t now_millis = 0;
  // Source of $random() and $shuffle(): uniform in [0, 1). Unset: a fixed sequence.
  std::function<double()> random;
};

class Expression {
 public:
  // Parses text. On failure: the syntax error (S01xx, S02xx, S03xx, S04xx).
  static tl::expected<Expression, JsonataError> Compile(std::string_view text);

  // Evaluates against input (nullptr: no input, JSONata's undefined). Returns the result,
  // std::nullopt when the expression yields nothing, or the error raised.
  tl::expected<std::optional<json::Value>, JsonataError> Evaluate(
      const json::Value* input, const Bindings& bindings = Bindings(),
      const EvalOptions& options = EvalOptions()) const;

  const std::string& source() const;

 private:
  struct Impl;
  explicit Expression(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}
  std::shared_ptr<const Impl> impl_;
};

}  // namespace stepway::jsonata
