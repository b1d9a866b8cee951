// Helpers shared by the definition and Choice rule parsers: the diagnostic codes and message
// shapes ValidateStateMachineDefinition uses, locations, and small JSON type checks.
//
// AWS validates a definition with a schema validator whose messages have a few fixed shapes
// ("These fields are required: [StartAt]", "Field 'Catch' is not supported", "Expected value of
// type [STRING]" ...). Keeping every shape here means a wording fix is one edit. Internal to
// asl/; pure functions, thread-safe.
#pragma once

#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "asl/diagnostic.h"
#include "json/json.h"

namespace stepway::asl::validation {

// Diagnostic codes (API_ValidateStateMachineDefinitionDiagnostic).
inline constexpr const char* kSchemaValidationFailed = "SCHEMA_VALIDATION_FAILED";
inline constexpr const char* kInvalidJsonDescription = "INVALID_JSON_DESCRIPTION";
inline constexpr const char* kMissingTransitionTarget = "MISSING_TRANSITION_TARGET";
inline constexpr const char* kMissingEndState = "MISSING_END_STATE";
inline constexpr const char* kDuplicateStateName = "DUPLICATE_STATE_NAME";
inline constexpr const char* kInvalidStateName = "INVALID_STATE_NAME";
inline constexpr const char* kDuplicateLabelName = "DUPLICATE_LABEL_NAME";
inline constexpr const char* kInvalidLabelName = "INVALID_LABEL_NAME";

// Appends an ERROR diagnostic.
void AddError(std::vector<Diagnostic>& diagnostics, std::string code, std::string message,
              std::string location);
// Appends a SCHEMA_VALIDATION_FAILED error.
void AddSchemaError(std::vector<Diagnostic>& diagnostics, std::string message,
                    std::string location);

// Locations: "/States/A" + "Next" -> "/States/A/Next"; the root is "" and prints as "/".
std::string Child(std::string_view location, std::string_view field);
// "/States/C" + "Choices" + 0 -> "/States/C/Choices[0]" (AWS writes array indexes this way).
std::string Element(std::string_view location, std::string_view field, std::size_t index);
// The location as reported: "" becomes "/".
std::string Display(std::string_view location);

// Message shapes.
std::string RequiredFields(std::initializer_list<std::string_view> fields);
std::string NotSupported(std::string_view field);
// kind: "STRING", "INTEGER", "NUMBER", "BOOLEAN", "OBJECT", "ARRAY".
std::string ExpectedType(std::string_view kind);
std::string OneOf(std::initializer_list<std::string_view> values);
std::string MinimumValue(std::string_view value);
std::string MaximumValue(std::string_view value);
std::string OnlyOneOf(std::initializer_list<std::string_view> fields);
std::string JsonPathOnlyField(std::string_view field);  // on a JSONata state
std::string JsonataOnlyField(std::string_view field);   // on a JSONPath state
std::string InvalidJsonPath(std::string_view field);
std::string InvalidReferencePath(std::string_view field);
inline constexpr const char* kNotRfc3339 = "String does not match RFC3339 timestamp";
inline constexpr const char* kMinimumItems = "Minimum items is 1";

// Variable names (AWS "Passing data between states with variables", variable name syntax):
// Unicode identifiers (UAX #31: an ID_Start character, then ID_Continue characters) of at most
// kMaxVariableNameLength characters, `states` being reserved for JSONata's $states. ASCII is
// checked exactly (a letter, then letters, digits and `_`); every non-ASCII character is
// accepted, an approximation of the Unicode tables.
inline constexpr std::size_t kMaxVariableNameLength = 80;
inline constexpr const char* kReservedVariableName = "states";
bool IsValidVariableName(std::string_view name);
// Checks the names an Assign object (at `location`, e.g. "/States/A/Assign") binds: its keys,
// less the ".$" suffix of a JSONPath expression key. Appends a SCHEMA_VALIDATION_FAILED
// diagnostic per bad name, at "<location>/<key>".
void CheckAssignNames(const json::Value& assign, bool jsonata, std::string_view location,
                      std::vector<Diagnostic>& diagnostics);

// A JSONata expression string: "{% ... %}" (surrounding text not allowed).
bool IsJsonataExpression(const json::Value& value);
// The expression between "{%" and "%}", trimmed.
std::string JsonataExpressionText(std::string_view text);

// The diagnostic ValidateStateMachineDefinition gives for text that is not JSON: Jackson's
// message ("Unrecognized token 'not': was expecting ...\n at [Source: ...; line: 1, column: 4]")
// and the "[Source: ...]" part as its location.
Diagnostic InvalidJson(std::string_view text);

}  // namespace stepway::asl::validation
