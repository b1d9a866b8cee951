#include "asl/diagnostic.h"

namespace stepway::asl {

// AWS joins the ERROR diagnostics as "CODE: message at location" with ", " between them. A
// diagnostic without a location (MISSING_END_STATE, "Definition must be a valid JSON object")
// prints Java's rendering of the missing value: "at null".
std::string FormatInvalidDefinition(const std::vector<Diagnostic>& diagnostics) {
  std::string text = "Invalid State Machine Definition: '";
  bool first = true;
  for (const Diagnostic& d : diagnostics) {
    if (d.severity != "ERROR") continue;
    if (!first) text += ", ";
    first = false;
    text += d.code + ": " + d.message + " at " + (d.location.empty() ? "null" : d.location);
  }
  text += "'";
  return text;
}

}  // namespace stepway::asl
