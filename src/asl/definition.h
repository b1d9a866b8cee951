// A state machine definition in the Amazon States Language, parsed and validated.
//
// `ParseDefinition` turns the definition text into an immutable `Definition`: every state with
// its fields parsed (paths compiled, templates compiled, transitions resolved to indexes), or the
// list of problems ValidateStateMachineDefinition reports. A Parallel branch or a Map's
// ItemProcessor is a nested `Machine`. Shared read-only by every execution of the machine.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "asl/choice_rule.h"
#include "asl/diagnostic.h"
#include "asl/jsonata_mode.h"
#include "asl/path.h"
#include "asl/payload_template.h"
#include "json/json.h"

namespace stepway::asl {

enum class StateType { kTask, kPass, kChoice, kWait, kSucceed, kFail, kParallel, kMap };
const char* StateTypeName(StateType type);  // "Task", "Pass" ...

enum class QueryLanguage { kJsonPath, kJsonata };

enum class JitterStrategy { kNone, kFull };

// A number that a definition gives literally, through a path (TimeoutSecondsPath ...), or as a
// JSONata expression ("{% $x * 2 %}"). At most one is set.
struct NumberField {
  std::optional<double> value;
  std::optional<Path> path;
  std::optional<std::string> expression;  // JSONata, the text between {% and %}
  bool is_set() const { return value || path || expression; }
};

struct Retrier {
  std::vector<std::string> error_equals;
  double interval_seconds = 1;
  std::int64_t max_attempts = 3;
  double backoff_rate = 2.0;
  std::optional<std::int64_t> max_delay_seconds;
  JitterStrategy jitter = JitterStrategy::kNone;
};

struct Catcher {
  std::vector<std::string> error_equals;
  std::string next;
  int next_index = -1;
  // JSONPath: where the error output goes in the state input. nullopt when "ResultPath": null
  // (the output is the state input unchanged).
  std::optional<ReferencePath> result_path;
  json::Value assign;  // raw Assign, null when absent
  json::Value output;  // JSONata Output, null when absent
  bool has_output = false;
};

struct Machine;

// The Map state's ItemProcessor (or legacy Iterator).
struct ItemProcessor {
  enum class Mode { kInline, kDistributed };
  Mode mode = Mode::kInline;
  std::string execution_type;  // "STANDARD" or "EXPRESS", for DISTRIBUTED
  std::shared_ptr<const Machine> machine;
};

struct State {
  std::string name;
  StateType type = StateType::kPass;
  QueryLanguage query_language = QueryLanguage::kJsonPath;
  std::string comment;

  // Transition: Next (resolved to next_index) or End.
  std::string next;
  int next_index = -1;
  bool end = false;

  // JSONPath data flow. nullopt for InputPath/OutputPath means the field was null ({} results);
  // for ResultPath, that the result is discarded. Absent fields default to "$".
  std::optional<Path> input_path;
  std::optional<PayloadTemplate> parameters;
  std::optional<PayloadTemplate> result_selector;
  std::optional<ReferencePath> result_path;
  std::optional<Path> output_path;
  json::Value result;  // Pass: Result
  bool has_result = false;

  // JSONata data flow (raw values with "{% %}" strings); null when absent.
  json::Value arguments;
  json::Value output;
  bool has_arguments = false;
  bool has_output = false;

  json::Value assign;  // raw Assign (both modes), null when absent
  std::optional<PayloadTemplate> assign_template;  // JSONPath mode: Assign compiled

  // Task
  std::string resource;
  NumberField timeout_seconds;
  NumberField heartbeat_seconds;
  json::Value credentials;
  std::vector<Retrier> retry;    // Task, Parallel, Map
  std::vector<Catcher> catchers;  // Task, Parallel, Map

  // Choice
  std::vector<ChoiceRule> choices;
  std::string default_next;
  int default_index = -1;

  // Wait
  NumberField seconds;
  std::optional<std::string> timestamp;           // literal Timestamp
  std::optional<Path> timestamp_path;
  std::optional<std::string> timestamp_expression;  // JSONata

  // Fail: Error/Cause literals (or JSONata "{% %}" strings), or their Path forms.
  std::optional<std::string> error;
  std::optional<std::string> cause;
  std::optional<Path> error_path;
  std::optional<Path> cause_path;
  // ErrorPath/CausePath given as an intrinsic function call ("States.Format('{}', $.x)").
  std::optional<IntrinsicCall> error_call;
  std::optional<IntrinsicCall> cause_call;

  // Parallel
  std::vector<std::shared_ptr<const Machine>> branches;

  // Map
  std::optional<Path> items_path;  // default "$"
  json::Value items;               // JSONata Items (array or "{% %}"), null when absent
  bool has_items = false;
  std::optional<PayloadTemplate> item_selector;  // ItemSelector, or legacy Map Parameters
  json::Value item_selector_raw;                 // JSONata ItemSelector
  ItemProcessor item_processor;
  NumberField max_concurrency;
  NumberField tolerated_failure_count;
  NumberField tolerated_failure_percentage;
  std::string label;
  json::Value item_reader;    // raw, distributed Map
  json::Value item_batcher;   // raw
  json::Value result_writer;  // raw
};

// A set of states with a start: the top-level machine, a Parallel branch, an ItemProcessor.
struct Machine {
  std::string start_at;
  int start_index = -1;
  std::vector<State> states;
  std::unordered_map<std::string, int> index;  // state name -> position in `states`
  QueryLanguage query_language = QueryLanguage::kJsonPath;
  std::string comment;
};

struct Definition {
  Machine machine;
  std::string version;                          // "1.0" when given
  std::optional<std::int64_t> timeout_seconds;  // top-level TimeoutSeconds
  json::Value raw;                              // the definition as parsed
  // Whether anything in the definition may read the context object: some string in it (a
  // path, a template, an intrinsic's argument, a JSONata expression) mentions `$$` or
  // `$states`. When false the interpreter need not keep $$ up to date. Conservative: true
  // unless ParseDefinition found no such string.
  bool reads_context = true;
  // Every JSONata expression of the JSONata-mode states, compiled when parsed.
  JsonataExpressions jsonata;
};

struct ParsedDefinition {
  std::shared_ptr<const Definition> definition;  // null when there are ERROR diagnostics
  std::vector<Diagnostic> diagnostics;           // errors and warnings, in document order
};

// Parses and validates definition text (JSON). Never throws; every problem becomes a
// Diagnostic: invalid JSON (INVALID_JSON_DESCRIPTION), unknown or misplaced fields and wrong
// types (SCHEMA_VALIDATION_FAILED), missing or dangling Next (MISSING_TRANSITION_TARGET),
// unreachable states, bad paths, Retry with States.ALL not last, ...
ParsedDefinition ParseDefinition(std::string_view text);

}  // namespace stepway::asl
