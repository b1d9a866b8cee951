// Problems found in a definition, as ValidateStateMachineDefinition reports them.
#pragma once

#include <string>
#include <vector>

namespace stepway::asl {

struct Diagnostic {
  std::string severity = "ERROR";  // "ERROR" or "WARNING"
  std::string code;                // "SCHEMA_VALIDATION_FAILED", "MISSING_TRANSITION_TARGET" ...
  std::string message;             // "Missing 'Next' target: Foo"
  std::string location;            // "/States/A/Next"
};

// The message CreateStateMachine and UpdateStateMachine give for a rejected definition:
// "Invalid State Machine Definition: 'CODE: message at /location, CODE: ...'". A diagnostic
// without a location prints "at null", as AWS does.
std::string FormatInvalidDefinition(const std::vector<Diagnostic>& diagnostics);

}  // namespace stepway::asl
