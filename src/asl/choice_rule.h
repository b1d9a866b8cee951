// Choice rules: the Choices of a Choice state, and the rules nested in And, Or and Not.
//
// JSONPath mode: `Variable` plus one comparison operator (StringEquals, NumericLessThanPath,
// IsPresent, StringMatches ...), or a boolean combination. JSONata mode: `Condition`, an
// expression string evaluated by the engine. Immutable and thread-safe once parsed.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "asl/diagnostic.h"
#include "asl/failure.h"
#include "asl/scope.h"
#include "json/json.h"

namespace stepway::asl {

class ChoiceRule {
 public:
  // Parses `rule`. A top-level rule (directly in Choices) must have Next and may have Assign
  // (and Output in JSONata mode); a nested rule must have neither. Problems are appended to
  // `diagnostics` with locations under `location` (e.g. "/States/Check/Choices/0"); returns
  // nullopt when there was any.
  static std::optional<ChoiceRule> Parse(const json::Value& rule, bool top_level, bool jsonata,
                                         std::string_view location,
                                         std::vector<Diagnostic>& diagnostics);

  // Whether the rule matches, in JSONPath mode. A Variable (or a ...Path operand) that names
  // nothing fails with States.Runtime as AWS does, except under IsPresent, which is then false.
  Outcome<bool> Evaluate(const Scope& scope) const;

  // Top-level rules only.
  const std::string& next() const { return next_; }
  // Assign of the rule (raw JSON), or null when absent.
  const json::Value& assign() const { return assign_; }
  // JSONata mode: the Condition (a "{% ... %}" string, or a boolean) and the rule's Output.
  const json::Value& condition() const { return condition_; }
  const json::Value& output() const { return output_; }
  bool has_output() const { return has_output_; }

  struct Impl;

 private:
  std::string next_;
  json::Value assign_;
  json::Value condition_;
  json::Value output_;
  bool has_output_ = false;
  std::shared_ptr<const Impl> impl_;  // the JSONPath-mode rule tree
};

}  // namespace stepway::asl
