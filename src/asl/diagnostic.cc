#include "asl/diagnostic.h"

namespace stepway::asl {

std::string FormatInvalidDefinition(const std::vector<Diagnostic>& diagnostics) {
  std::string text = "Invalid State Machine Definition: '";
  bool first = true;
  for (const Diagnostic& d : diagnostics) {
    if (d.severity != "ERROR") continue;
    if (!first) text += ", ";
    first = false;
    text += d.code + ": " + d.message;
    if (!d.location.empty()) text += " at " + d.location;
  }
  text += "'";
  return text;
}

}  // namespace stepway::asl
