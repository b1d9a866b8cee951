// What an ASL expression can read: the state's input `$`, the context object `$$`, variables
// `$name`, and a source of randomness for States.UUID / States.MathRandom.
//
// Variables live in scopes: a Parallel branch or Map iteration reads its parent's variables but
// assigns only its own (AWS "Variable scope"). A Scope does not own what it points to.
#pragma once

#include <string_view>

#include "base/random.h"
#include "json/json.h"

namespace stepway::asl {

// One level of variables; `parent` is the enclosing scope (nullptr at the top).
struct VariableScope {
  json::Object values;
  const VariableScope* parent = nullptr;

  // The innermost variable named `name`, or nullptr.
  const json::Value* Lookup(std::string_view name) const {
    for (const VariableScope* s = this; s != nullptr; s = s->parent) {
      if (auto it = s->values.find(name); it != s->values.end()) return &it->value();
    }
    return nullptr;
  }
};

struct Scope {
  const json::Value& input;                 // $
  const json::Value& context;               // $$
  const VariableScope* variables = nullptr;  // $name, may be null (no variables)
  Random* random = nullptr;                  // for States.UUID and States.MathRandom
};

}  // namespace stepway::asl
