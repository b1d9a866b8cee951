// JMESPath (https://jmespath.org/specification.html) over Boost.JSON values: the `--query`
// language of the client commands.
//
// Covers the whole grammar: identifiers (bare and quoted), sub-expressions, index and slice,
// list and object projections (`[*]`, `.*`), flatten (`[]`), filters (`[?a == \`1\`]`) with
// comparisons, `&&`, `||`, `!` and parentheses, pipes, multi-select lists and hashes, literals
// (backtick JSON and 'raw strings'), the current node `@`, expression references `&key`, and the
// built-in functions (abs avg ceil contains ends_with floor join keys length map max max_by
// merge min min_by not_null reverse sort sort_by starts_with sum to_array to_number to_string
// type values).
//
// Pure; a compiled expression is immutable and may be evaluated from several threads.
#pragma once

#include <memory>
#include <string_view>

#include "base/result.h"
#include "json/json.h"

namespace stepway::cli {

class JmesPath {
 public:
  struct Node;

  // Parses `expression`. kInvalidArgument with a message naming the problem and its position
  // on a syntax error.
  static Result<JmesPath> Compile(std::string_view expression);

  // Evaluates against `data`. kInvalidArgument when a function is called with the wrong number
  // or types of arguments (the spec's invalid-type and invalid-arity errors) or is unknown.
  Result<json::Value> Evaluate(const json::Value& data) const;

 private:
  explicit JmesPath(std::shared_ptr<const Node> root) : root_(std::move(root)) {}
  std::shared_ptr<const Node> root_;
};

// Compiles and evaluates in one step.
Result<json::Value> SearchJmesPath(std::string_view expression, const json::Value& data);

}  // namespace stepway::cli
