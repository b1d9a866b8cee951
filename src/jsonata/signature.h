// Function signatures (`<s-nn?:s>`): parsing and argument validation as jsonata-js's
// signature.js does it, including its quirks (context arguments `-`, array coercion of a
// single value where an array is expected, T0410/T0411/T0412 with the 1-based index).
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <boost/container/small_vector.hpp>

#include "jsonata/value.h"

namespace stepway::jsonata {

class Signature {
 public:
  // Throws JsonataException S0401/S0402 (with the offset in `position`) on a bad signature.
  static std::shared_ptr<const Signature> Parse(std::string_view text);

  // Checks args against the signature and returns them with context and array coercions
  // applied. Throws T0410, T0411 or T0412.
  std::vector<Value> Validate(const std::vector<Value>& args, const Value& context) const;

  // Whether Validate would return args unchanged, but for undefined arguments it would append
  // for trailing optional parameters (only when `missing_ok`: for a callee that reads a
  // missing argument as undefined): one argument per parameter, each of an accepted type,
  // none needing a coercion or the context. The common case, answered without allocating;
  // when false, call Validate.
  bool AcceptsAsIs(const std::vector<Value>& args, bool missing_ok) const;

  std::size_t ParamCount() const { return params_.size(); }
  const std::string& definition() const { return definition_; }

 private:
  struct Param {
    char type = 'x';
    std::string chars;     // symbols accepted (always includes 'm' except for f)
    bool optional = false; // `?` or `-`
    bool plus = false;     // `+`
    bool context = false;  // `-`
    std::string context_chars;
    std::string subtype;
  };
  // (start, length) of what each parameter matched; inline for the usual few parameters, as
  // Validate runs on every function call.
  using Spans = boost::container::small_vector<std::pair<std::size_t, std::size_t>, 8>;
  bool MatchFrom(std::string_view sig, std::size_t param, std::size_t pos, std::size_t nparams,
                 bool anchored, Spans& spans) const;

  std::string definition_;
  std::vector<Param> params_;
};

// The signature symbol of a value: s n b l a o f, or m for undefined.
char SymbolOf(const Value& v);

}  // namespace stepway::jsonata
