// Internals of the JSONPath engine behind asl::Path, shared by path.cc and its tests only.
//
// The grammar and the evaluation rules follow Jayway JsonPath (the Java library AWS Step
// Functions runs on), because AWS users depend on its quirks: `['a','b']` at the end of a path
// merges the named members into one object (and is definite), `[?(@.x)]` tests that x exists
// (whatever its value), a missing member in an indefinite path is skipped silently, and a definite
// path that finds nothing is an error whose text names the path in bracket form.
// Immutable after parsing; thread-safe.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "json/json.h"

namespace stepway::asl::jsonpath {

struct FilterExpr;

struct Step {
  enum class Kind {
    kProperty,  // .name, ['name'], ['a','b']
    kWildcard,  // .*, [*]
    kIndex,     // [0], [-1], [0,2]
    kSlice,     // [1:3], [:2], [-1:]
    kFilter,    // [?(...)]
    kFunction,  // .length(), .min() ... (last step only)
  };
  Kind kind = Kind::kProperty;
  bool scan = false;  // preceded by `..` (recursive descent)
  std::vector<std::string> names;
  json::MemberHint hint;  // where names.front() was last found (Path::Find's walks)
  std::vector<long> indexes;
  std::optional<long> slice_from, slice_to;
  std::shared_ptr<const FilterExpr> filter;
  std::string function;

  // Jayway's notion: a step that names at most one node. Several member names are definite
  // only as the last step (`leaf`), where they merge into one object.
  bool IsDefinite(bool leaf) const;
  // Jayway's canonical text of this step: "['a']", "[0]", "[*]", "[?]", "..['a']".
  std::string Canonical() const;
};

// A parsed chain of steps after its root (`$`, `$$`, `$name` or `@`).
struct Chain {
  std::vector<Step> steps;
  // True when every step is definite, or the chain ends in a function (which gives one value).
  bool IsDefinite() const;
  std::string Canonical(std::string_view root) const;
};

// Parses the steps that follow the root in `text` (which starts right after the root).
// Returns an error message on failure.
std::optional<std::string> ParseChain(std::string_view text, Chain& out);

// The outcome of evaluating a chain against a document.
struct Matches {
  std::vector<json::Value> values;
  std::optional<std::string> error;  // Jayway's PathNotFoundException text, definite paths only
};

// Evaluates `chain` against `node`; `root` is what `$` means inside filters.
Matches Evaluate(const Chain& chain, const json::Value& node, const json::Value& root);

}  // namespace stepway::asl::jsonpath
