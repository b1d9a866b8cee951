// JSONata errors inside the evaluator: codes and fields as jsonata-js raises them.
//
// Inside this module an error travels as a thrown JsonataException (the evaluator is a
// deep recursion, and jsonata-js's error flow is exceptions too); the public API catches it
// at its edge (jsonata.cc) and returns a JsonataError value. Nothing here escapes the module.
#pragma once

#include <string>
#include <utility>

#include "jsonata/value.h"

namespace stepway::jsonata {

struct ErrorInfo {
  std::string code;
  int position = -1;
  bool has_token = false;
  std::string token;
  bool has_value = false;
  Value value;
  bool has_value2 = false;
  Value value2;
  int index = 0;
  bool has_index = false;
  bool has_message = false;  // D3137/D3141 and wrapped errors carry their own message
  std::string message;
  std::string function_name;
  std::string type;
  bool has_exp = false;
  Value exp;
};

class JsonataException {
 public:
  explicit JsonataException(std::string code) { info.code = std::move(code); }
  JsonataException& Position(int p) {
    info.position = p;
    return *this;
  }
  JsonataException& Token(std::string t) {
    info.has_token = true;
    info.token = std::move(t);
    return *this;
  }
  JsonataException& With(Value v) {
    info.has_value = true;
    info.value = std::move(v);
    return *this;
  }
  JsonataException& With2(Value v) {
    info.has_value2 = true;
    info.value2 = std::move(v);
    return *this;
  }
  JsonataException& Index(int i) {
    info.has_index = true;
    info.index = i;
    return *this;
  }
  JsonataException& Message(std::string m) {
    info.has_message = true;
    info.message = std::move(m);
    return *this;
  }
  ErrorInfo info;
};

// The message jsonata-js's populateMessage() builds for an error.
std::string FormatMessage(const ErrorInfo& e);

}  // namespace stepway::jsonata
