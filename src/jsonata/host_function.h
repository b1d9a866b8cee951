// A native function registered through Bindings::BindFunction, in the form the evaluator
// calls it. Internal to the jsonata module.
#pragma once

#include <memory>
#include <string>

#include "jsonata/evaluator.h"
#include "jsonata/jsonata.h"

namespace stepway::jsonata {

struct HostFunction {
  std::string name;
  std::shared_ptr<const Signature> signature;
  NativeFunction impl;
  FunctionData function_data;  // kind kHost, pointing back here; never freed by counting
};

}  // namespace stepway::jsonata
