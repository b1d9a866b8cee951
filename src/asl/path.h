// JSONPath as Step Functions uses it (the Jayway JsonPath dialect AWS runs on).
//
// A Path names values in `$` (the state input), `$$` (the context object) or `$name` (a variable,
// JSONPath mode with Assign). Full paths allow wildcards `*`, slices `[1:3]`, unions `['a','b']`
// and `[0,1]`, filters `[?(@.price < 10)]`, recursive descent `..`, bracket and dot notation.
// A ReferencePath (ResultPath) names exactly one node: only `.name`, `['name']` and `[n]` steps.
//
// Jayway details that AWS users see: `['a','b']` as the last step merges those members into one
// object (a definite path); `[?(@.x)]` tests that x exists, whatever its value; a bracketed
// member name is taken as written, backslashes included; a missing member in an indefinite path
// is skipped; filters support ==, !=, <, <=, >, >=, =~ /re/i, in, nin, subsetof, anyof, noneof,
// size, empty, contains, &&, ||, ! and `$` (the document root); path functions length(), size(),
// keys(), first(), last(), min(), max(), avg(), sum(), stddev() end a path.
// Parsed once when a definition is loaded; immutable and thread-safe afterwards.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "asl/failure.h"
#include "asl/scope.h"
#include "base/result.h"
#include "json/json.h"

namespace stepway::asl {

class Path {
 public:
  enum class Root { kInput, kContext, kVariable };

  // Parses `text`. On failure: kInvalidArgument with a message saying what is wrong.
  static Result<Path> Parse(std::string_view text);

  // The value(s) this path names in `scope`. A definite path (no wildcard, slice, union, filter
  // or `..`) gives the one value it names; an indefinite path gives an array of every match
  // (possibly empty). Gives nullopt when a definite path names nothing (a missing key, an index
  // out of range, a step into a non-container) or the variable does not exist.
  std::optional<json::Value> Evaluate(const Scope& scope) const;

  // The node a simple path (a definite chain of member names and indexes) names in `scope`,
  // without copying it; valid while the scope's values are unchanged. nullptr when the path is
  // not simple or names nothing: Evaluate() then gives the value, or says why there is none.
  const json::Value* Find(const Scope& scope) const;

  // Evaluate() with Jayway's reason when nothing is found, for the messages AWS builds from it
  // (InputPath: "Invalid path '$.x' : No results for path: $['x']"). On failure: kNotFound with
  // "No results for path: $['x']", "Missing property in path $['a']", "The path $['a'] is null",
  // "Expected to find an object with property ['b'] in path $['a'] but found ..." or, for an
  // undefined variable, "The variable 'x' is not defined".
  Result<json::Value> Read(const Scope& scope) const;
  // Read() with the root (`$`, `$$` or the variable) bound to `document`.
  Result<json::Value> ReadFrom(const json::Value& document) const;

  // The text as written in the definition ("$.a.b").
  const std::string& text() const { return text_; }
  Root root() const;
  // The variable's name for Root::kVariable ("x" for "$x.a.b"), empty otherwise.
  const std::string& variable() const;
  bool is_definite() const;
  // Jayway's canonical form of the path, used in AWS's error messages: "$['a']['b'][0]".
  std::string Canonical() const;

  Path(const Path&);
  Path& operator=(const Path&);
  Path(Path&&) noexcept;
  Path& operator=(Path&&) noexcept;
  ~Path();

  struct Impl;

 private:
  explicit Path(std::string text, std::shared_ptr<const Impl> impl)
      : text_(std::move(text)), impl_(std::move(impl)) {}
  std::string text_;
  std::shared_ptr<const Impl> impl_;
};

class ReferencePath {
 public:
  // Parses a reference path: "$", "$.a.b", "$['a'][0]". Wildcards, filters, `..`, `$$` and
  // variables are rejected (kInvalidArgument).
  static Result<ReferencePath> Parse(std::string_view text);

  // ResultPath semantics: returns `target` with `value` placed at this path. "$" replaces the
  // whole target. Missing objects along the way are created. Fails with States.Runtime when a
  // step crosses a value that is not an object (or an array index out of range), with AWS's
  // message: "Unable to apply ReferencePath $.a.b to input <target as JSON>".
  Outcome<json::Value> Apply(json::Value target, json::Value value) const;

  const std::string& text() const { return text_; }

  struct Step {
    std::string key;   // member name, when index < 0
    long index = -1;   // array index
    json::MemberHint hint;  // where `key` was last found, for lookups that run again and again
  };
  // The path's steps from the root ("$.a[0]" is {a}, {0}); empty for "$".
  const std::vector<Step>& steps() const { return steps_; }

 private:
  ReferencePath(std::string text, std::vector<Step> steps)
      : text_(std::move(text)), steps_(std::move(steps)) {}
  std::string text_;
  std::vector<Step> steps_;
};

}  // namespace stepway::asl
