// Payload templates: the JSON of Parameters, ResultSelector, ItemSelector and JSONPath-mode
// Assign, where a member whose name ends in ".$" takes its value from a path (`$.x`, `$$.x`,
// `$var`) or an intrinsic function call (`States.Format('{}', $.x)`). Nested objects and arrays
// are templates too (arrays are copied, their objects evaluated).
// Compiled once when the definition is loaded; immutable and thread-safe afterwards.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "asl/failure.h"
#include "asl/scope.h"
#include "base/result.h"
#include "json/json.h"

namespace stepway::asl {

class PayloadTemplate {
 public:
  // Compiles `spec` (any JSON value; objects are where `.$` members are looked for).
  // On failure: kInvalidArgument, message naming the member, e.g.
  // "The value for the field 'x.$' must be a valid JSONPath or a valid intrinsic function call".
  static Result<PayloadTemplate> Compile(const json::Value& spec);

  // Builds the payload. Failures, as AWS reports them (the engine prefixes the state context):
  // - a path that names nothing: States.Runtime, "The JSONPath '$.x' specified for the field
  //   'x.$' could not be found in the input '<input as JSON>'"
  // - an intrinsic's error: States.IntrinsicFailure (or States.Runtime where AWS says so).
  Outcome<json::Value> Evaluate(const Scope& scope) const;

  // Evaluate() written into `target`, which keeps its member table and keys: done when the
  // template is an object of distinct member names and `target` an object with exactly these
  // names in this order (as a state that rewrites the same ResultPath finds what it wrote the
  // time before). Every value is computed before the first is assigned, so `target` may lie
  // inside `scope.input`. Gives true when done; false, with nothing evaluated and `target`
  // unchanged, when the shapes differ; on failure (as Evaluate), `target` is unchanged.
  Outcome<bool> EvaluateInto(const Scope& scope, json::Value& target) const;

  const json::Value& spec() const;

  struct Impl;

 private:
  explicit PayloadTemplate(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}
  std::shared_ptr<const Impl> impl_;
};

// Intrinsic function calls: "States.Format('x {}', $.a)", nested up to 10 deep.
class IntrinsicCall {
 public:
  // True when `text` starts like an intrinsic call ("States.Name(").
  static bool LooksLikeCall(std::string_view text);
  // Parses a call; kInvalidArgument on bad syntax, unknown function or wrong argument count
  // where that is known statically.
  static Result<IntrinsicCall> Parse(std::string_view text);
  // Evaluates with arguments read from `scope`. `field` is the template member ("x.$") for
  // messages. Failures: a path argument that names nothing is States.Runtime with the same
  // message as a template path; an argument of the wrong type or value is
  // States.IntrinsicFailure, "Invalid arguments in States.Name: <what is wrong>".
  Outcome<json::Value> Evaluate(const Scope& scope, std::string_view field) const;

  // The function's name as written ("States.Format").
  const std::string& name() const;

  struct Impl;

 private:
  explicit IntrinsicCall(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}
  std::shared_ptr<const Impl> impl_;
};

}  // namespace stepway::asl
