#include "asl/definition.h"

#include <algorithm>
#include <cmath>
#include <deque>
#include <initializer_list>
#include <span>
#include <unordered_set>
#include <utility>

#include "asl/validation.h"
#include "base/limits.h"
#include "base/time.h"

namespace stepway::asl {

const char* StateTypeName(StateType type) {
  switch (type) {
    case StateType::kTask:
      return "Task";
    case StateType::kPass:
      return "Pass";
    case StateType::kChoice:
      return "Choice";
    case StateType::kWait:
      return "Wait";
    case StateType::kSucceed:
      return "Succeed";
    case StateType::kFail:
      return "Fail";
    case StateType::kParallel:
      return "Parallel";
    case StateType::kMap:
      return "Map";
  }
  return "Pass";
}

namespace {

namespace v = validation;

using FieldList = std::initializer_list<std::string_view>;

// Whether any key or string in `v` mentions the context object: `$$` (JSONPath; in JSONata
// the input root, counted too) or JSONata's `$states` (which holds `$states.context`).
bool MentionsContext(const json::Value& v) {
  auto mentions = [](std::string_view s) {
    return s.find("$$") != std::string_view::npos || s.find("$states") != std::string_view::npos;
  };
  switch (v.kind()) {
    case json::Kind::string: return mentions(v.get_string());
    case json::Kind::array:
      for (const json::Value& e : v.get_array()) {
        if (MentionsContext(e)) return true;
      }
      return false;
    case json::Kind::object:
      for (const auto& kv : v.get_object()) {
        if (mentions(kv.key()) || MentionsContext(kv.value())) return true;
      }
      return false;
    default: return false;
  }
}

bool Contains(FieldList list, std::string_view field) {
  return std::find(list.begin(), list.end(), field) != list.end();
}

std::optional<StateType> ParseStateType(std::string_view name) {
  static constexpr std::pair<std::string_view, StateType> kTypes[] = {
      {"Task", StateType::kTask},       {"Pass", StateType::kPass},
      {"Choice", StateType::kChoice},   {"Wait", StateType::kWait},
      {"Succeed", StateType::kSucceed}, {"Fail", StateType::kFail},
      {"Parallel", StateType::kParallel}, {"Map", StateType::kMap}};
  for (const auto& [type_name, type] : kTypes) {
    if (name == type_name) return type;
  }
  return std::nullopt;
}

// The fields each state type accepts (in either query language), from the States Language
// specification and AWS's additions (Assign, Arguments, Output, Items, Credentials ...).
bool FieldAllowed(StateType type, std::string_view field) {
  if (field == "Type" || field == "Comment" || field == "QueryLanguage") return true;
  switch (type) {
    case StateType::kPass:
      return Contains({"InputPath", "OutputPath", "Parameters", "ResultPath", "Result", "Next",
                       "End", "Assign", "Output"},
                      field);
    case StateType::kTask:
      return Contains({"InputPath", "OutputPath", "Parameters", "ResultSelector", "ResultPath",
                       "Resource", "TimeoutSeconds", "TimeoutSecondsPath", "HeartbeatSeconds",
                       "HeartbeatSecondsPath", "Retry", "Catch", "Credentials", "Next", "End",
                       "Assign", "Output", "Arguments"},
                      field);
    case StateType::kChoice:
      return Contains({"InputPath", "OutputPath", "Choices", "Default", "Assign", "Output"},
                      field);
    case StateType::kWait:
      return Contains({"InputPath", "OutputPath", "Seconds", "SecondsPath", "Timestamp",
                       "TimestampPath", "Next", "End", "Assign", "Output"},
                      field);
    case StateType::kSucceed:
      return Contains({"InputPath", "OutputPath", "Output"}, field);
    case StateType::kFail:
      return Contains({"Error", "ErrorPath", "Cause", "CausePath"}, field);
    case StateType::kParallel:
      return Contains({"InputPath", "OutputPath", "Parameters", "ResultSelector", "ResultPath",
                       "Branches", "Retry", "Catch", "Next", "End", "Assign", "Output",
                       "Arguments"},
                      field);
    case StateType::kMap:
      return Contains({"InputPath", "OutputPath", "ItemsPath", "Items", "ItemSelector",
                       "Parameters", "Iterator", "ItemProcessor", "ItemReader", "ItemBatcher",
                       "ResultWriter", "ResultSelector", "ResultPath", "MaxConcurrency",
                       "MaxConcurrencyPath", "ToleratedFailureCount", "ToleratedFailureCountPath",
                       "ToleratedFailurePercentage", "ToleratedFailurePercentagePath", "Label",
                       "Retry", "Catch", "Next", "End", "Assign", "Output"},
                      field);
  }
  return false;
}

// Fields that exist only in JSONPath mode; AWS refuses them on a JSONata state.
bool IsJsonPathOnly(std::string_view field) {
  return Contains({"InputPath", "OutputPath", "Parameters", "ResultSelector", "ResultPath",
                   "Result", "ItemsPath", "MaxConcurrencyPath", "TimeoutSecondsPath",
                   "HeartbeatSecondsPath", "SecondsPath", "TimestampPath", "ErrorPath",
                   "CausePath", "ToleratedFailureCountPath", "ToleratedFailurePercentagePath"},
                  field);
}

// Fields that exist only in JSONata mode.
bool IsJsonataOnly(std::string_view field) {
  return Contains({"Arguments", "Output", "Items"}, field);
}

bool HasTransition(StateType type) {
  return type != StateType::kChoice && type != StateType::kSucceed && type != StateType::kFail;
}

std::string FormatBound(double bound) {
  if (bound == std::floor(bound) && std::fabs(bound) < 1e15) {
    return std::to_string(static_cast<long long>(bound));
  }
  return json::FormatDouble(bound);
}

enum class MachineKind { kTop, kBranch, kItemProcessor };

// Bounds of a numeric field. `integer` fields refuse fractions.
struct NumberSpec {
  bool integer = true;
  double min = 0;
  std::optional<double> max;
};

// Everything a transition check needs, recorded while parsing and checked afterwards, because
// AWS reports transition problems only for a definition that passed the schema checks.
struct MachineRecord {
  Machine* machine = nullptr;
  std::string location;  // "" for the top level, "/States/P/Branches[0]" ...
  bool top = false;
  std::vector<std::string> state_order;  // names in document order, for the reports
};

// The fields of one state that passed the type and language checks.
struct Fields {
  const json::Value& state;
  const std::unordered_set<std::string_view>& usable;
  const json::Value* operator()(std::string_view name) const {
    return usable.count(name) != 0 ? json::Find(state, name) : nullptr;
  }
};

class Parser {
 public:
  explicit Parser(std::vector<Diagnostic>& diagnostics) : diagnostics_(diagnostics) {}

  std::unique_ptr<Definition> Parse(const json::Value& root) {
    auto definition = std::make_unique<Definition>();
    jsonata_ = &definition->jsonata;
    // The machine's language first: every state inherits it.
    if (const json::Value* ql = json::Find(root, "QueryLanguage"); ql != nullptr) {
      top_language_ = ParseQueryLanguageField(*ql, v::Child("", "QueryLanguage"));
    }
    if (const json::Value* version = json::Find(root, "Version"); version != nullptr) {
      if (!version->is_string()) {
        SchemaError(v::ExpectedType("STRING"), "/Version");
      } else {
        definition->version = std::string(version->get_string());
      }
    }
    if (const json::Value* timeout = json::Find(root, "TimeoutSeconds"); timeout != nullptr) {
      std::int64_t seconds = 0;
      if (!timeout->is_number() || !json::AsInt64(*timeout, seconds)) {
        SchemaError(v::ExpectedType("INTEGER"), "/TimeoutSeconds");
      } else if (seconds < 1) {
        SchemaError(v::MinimumValue("1"), "/TimeoutSeconds");
      } else if (seconds > limits::kMaxTimeoutSeconds) {
        SchemaError(v::MaximumValue(FormatBound(limits::kMaxTimeoutSeconds)), "/TimeoutSeconds");
      } else {
        definition->timeout_seconds = seconds;
      }
    }
    ParseMachineInto(root, "", MachineKind::kTop, definition->machine);
    definition->machine.query_language = top_language_;
    definition->raw = root;
    definition->reads_context = MentionsContext(root);

    if (schema_errors_ == 0) CheckTransitions();
    return definition;
  }

 private:
  // --- diagnostics -------------------------------------------------------------------------

  void SchemaError(std::string message, std::string location) {
    ++schema_errors_;
    v::AddSchemaError(diagnostics_, std::move(message), std::move(location));
  }

  // The variable names an Assign object binds (see validation::CheckAssignNames).
  void CheckAssignNames(const json::Value& assign, bool jsonata, const std::string& location) {
    const std::size_t before = diagnostics_.size();
    v::CheckAssignNames(assign, jsonata, location, diagnostics_);
    schema_errors_ += static_cast<int>(diagnostics_.size() - before);
  }

  // --- machines ----------------------------------------------------------------------------

  // Parses a state machine object (top level, Parallel branch, Map ItemProcessor/Iterator) into
  // `machine`. `location` is where the object sits ("" at the top).
  void ParseMachineInto(const json::Value& value, const std::string& location, MachineKind kind,
                        Machine& machine) {
    machine.query_language = top_language_;
    const std::size_t record_index = records_.size();
    records_.push_back(MachineRecord{&machine, location, kind == MachineKind::kTop, {}});

    const json::Object& object = value.get_object();
    for (const auto& member : object) {
      const std::string_view key = member.key();
      const bool allowed =
          key == "StartAt" || key == "States" || key == "Comment" ||
          (kind == MachineKind::kTop &&
           (key == "Version" || key == "TimeoutSeconds" || key == "QueryLanguage")) ||
          (kind == MachineKind::kItemProcessor && key == "ProcessorConfig");
      if (!allowed) SchemaError(v::NotSupported(key), v::Display(location));
    }

    const json::Value* states = json::Find(value, "States");
    const json::Value* start_at = json::Find(value, "StartAt");
    if (states == nullptr && start_at == nullptr) {
      SchemaError(v::RequiredFields({"States", "StartAt"}), v::Display(location));
    } else if (states == nullptr) {
      SchemaError(v::RequiredFields({"States"}), v::Display(location));
    } else if (start_at == nullptr) {
      SchemaError(v::RequiredFields({"StartAt"}), v::Display(location));
    }
    if (const json::Value* comment = json::Find(value, "Comment");
        comment != nullptr && !comment->is_string()) {
      SchemaError(v::ExpectedType("STRING"), v::Child(location, "Comment"));
    } else if (comment != nullptr) {
      machine.comment = std::string(comment->get_string());
    }
    if (start_at != nullptr) {
      if (!start_at->is_string()) {
        SchemaError(v::ExpectedType("STRING"), v::Child(location, "StartAt"));
      } else {
        machine.start_at = std::string(start_at->get_string());
      }
    }
    if (states == nullptr) return;
    if (!states->is_object()) {
      SchemaError(v::ExpectedType("OBJECT"), v::Child(location, "States"));
      return;
    }
    for (const auto& member : states->get_object()) {
      const std::string name(member.key());
      const std::string state_location = v::Child(v::Child(location, "States"), name);
      records_[record_index].state_order.push_back(name);
      if (json::CodePointCount(name) > limits::kMaxStateNameLength) {
        v::AddError(diagnostics_, v::kInvalidStateName,
                    "State name exceeds the maximum length of " +
                        std::to_string(limits::kMaxStateNameLength) + " characters",
                    state_location);
      }
      if (!all_state_names_.insert(name).second) {
        v::AddError(diagnostics_, v::kDuplicateStateName, "Duplicate State name: " + name,
                    state_location);
      }
      State state;
      state.name = name;
      ParseState(member.value(), state_location, state);
      machine.index.emplace(name, static_cast<int>(machine.states.size()));
      machine.states.push_back(std::move(state));
    }
  }

  std::shared_ptr<const Machine> ParseNestedMachine(const json::Value& value,
                                                    const std::string& location,
                                                    MachineKind kind) {
    auto machine = std::make_shared<Machine>();
    if (!value.is_object()) {
      SchemaError(v::ExpectedType("OBJECT"), location);
      return machine;
    }
    ParseMachineInto(value, location, kind, *machine);
    return machine;
  }

  // --- query language ----------------------------------------------------------------------

  // Reports a QueryLanguage value outside the enum; returns the effective language. AWS resolves
  // anything but the exact string "JSONPath" to JSONata.
  QueryLanguage ParseQueryLanguageField(const json::Value& value, const std::string& location) {
    if (!value.is_string()) {
      SchemaError(v::ExpectedType("STRING"), location);
      return QueryLanguage::kJsonata;
    }
    const std::string_view text = value.get_string();
    if (text == "JSONPath") return QueryLanguage::kJsonPath;
    if (text != "JSONata") SchemaError(v::OneOf({"JSONPath", "JSONata"}), location);
    return QueryLanguage::kJsonata;
  }

  // --- states ------------------------------------------------------------------------------

  void ParseState(const json::Value& value, const std::string& location, State& state) {
    if (!value.is_object()) {
      SchemaError(v::ExpectedType("OBJECT"), location);
      return;
    }
    const json::Object& object = value.get_object();

    const json::Value* type_value = json::Find(value, "Type");
    if (type_value == nullptr) {
      SchemaError(v::RequiredFields({"Type"}), location);
      return;
    }
    std::optional<StateType> type;
    if (type_value->is_string()) type = ParseStateType(type_value->get_string());
    if (!type) {
      SchemaError(
          "The field 'Type' should have one of these values: [Task, Wait, Pass, Succeed, Fail, "
          "Choice, Parallel, Map]",
          v::Child(location, "Type"));
      return;
    }
    state.type = *type;

    // The state's language: inherited from the machine, or its own. A JSONata machine cannot be
    // taken back to JSONPath one state at a time; that diagnostic replaces the field checks
    // below (AWS reports nothing else about the other language's fields on that state).
    bool downgraded = false;
    std::optional<std::string> ql_error_location;
    QueryLanguage language = top_language_;
    if (const json::Value* ql = json::Find(value, "QueryLanguage"); ql != nullptr) {
      if (top_language_ == QueryLanguage::kJsonata && ql->is_string() &&
          ql->get_string() == "JSONPath") {
        downgraded = true;
        SchemaError("'QueryLanguage' can not be 'JSONPath' if set to 'JSONata' for whole state "
                    "machine",
                    location);
        language = QueryLanguage::kJsonPath;
      } else {
        // Reported after the field checks, as AWS orders them.
        ql_error_location = v::Child(location, "QueryLanguage");
        language = (ql->is_string() && ql->get_string() == "JSONPath") ? QueryLanguage::kJsonPath
                                                                       : QueryLanguage::kJsonata;
      }
    }
    state.query_language = language;
    const bool jsonata = language == QueryLanguage::kJsonata;

    // Which fields may be read: known to the type and to the state's language.
    std::unordered_set<std::string_view> usable;
    for (const auto& member : object) {
      const std::string_view key = member.key();
      if (!FieldAllowed(state.type, key)) {
        SchemaError(v::NotSupported(key), location);
        continue;
      }
      if (jsonata && IsJsonPathOnly(key)) {
        if (!downgraded) SchemaError(v::JsonPathOnlyField(key), location);
        continue;
      }
      if (!jsonata && IsJsonataOnly(key)) {
        if (!downgraded) SchemaError(v::JsonataOnlyField(key), location);
        continue;
      }
      usable.insert(key);
    }
    if (ql_error_location) {
      ParseQueryLanguageField(*json::Find(value, "QueryLanguage"), *ql_error_location);
    }
    const Fields field{value, usable};

    if (const json::Value* comment = field("Comment"); comment != nullptr) {
      if (!comment->is_string()) {
        SchemaError(v::ExpectedType("STRING"), v::Child(location, "Comment"));
      } else {
        state.comment = std::string(comment->get_string());
      }
    }

    ParseTransition(state, location, field("Next"), json::Find(value, "End"),
                    usable.count("End") != 0);
    ParseDataFlow(state, location, field);

    switch (state.type) {
      case StateType::kTask:
        ParseTask(state, location, field);
        break;
      case StateType::kChoice:
        ParseChoice(state, location, field, value, jsonata);
        break;
      case StateType::kWait:
        ParseWait(state, location, field, jsonata);
        break;
      case StateType::kFail:
        ParseFail(state, location, field, jsonata);
        break;
      case StateType::kParallel:
        ParseParallel(state, location, field);
        break;
      case StateType::kMap:
        ParseMap(state, location, field, jsonata);
        break;
      case StateType::kPass:
      case StateType::kSucceed:
        break;
    }
    if (state.type == StateType::kTask || state.type == StateType::kParallel ||
        state.type == StateType::kMap) {
      ParseRetry(state, location, field("Retry"));
      ParseCatch(state, location, field("Catch"), jsonata);
    }
    if (jsonata) CompileJsonataFields(state, location);
  }

  // --- JSONata -----------------------------------------------------------------------------

  // Compiles the expressions of a JSONata field (`name` at `location`, e.g. "Output"); a
  // syntax error is a diagnostic at the expression's place ("/States/A/Output/result").
  void CompileJsonata(const json::Value& value, std::string_view name,
                      const std::string& location) {
    std::optional<JsonataSyntaxError> error = CompileJsonataTemplate(value, *jsonata_);
    if (!error) return;
    SchemaError("The JSONata expression '" + error->text + "' specified for the field '" +
                    std::string(name) + error->location + "' is not valid: " + error->error.code +
                    ": " + error->error.message,
                v::Child(location, name) + error->location);
  }

  void CompileJsonataNumber(const NumberField& number, std::string_view name,
                            const std::string& location) {
    if (number.expression) {
      CompileJsonata(json::Value(json::String("{%" + *number.expression + "%}")), name,
                     location);
    }
  }

  void CompileJsonataFields(const State& state, const std::string& location) {
    if (state.has_arguments) CompileJsonata(state.arguments, "Arguments", location);
    if (state.has_output) CompileJsonata(state.output, "Output", location);
    if (!state.assign.is_null()) CompileJsonata(state.assign, "Assign", location);
    if (state.has_items) CompileJsonata(state.items, "Items", location);
    if (!state.item_selector_raw.is_null()) {
      CompileJsonata(state.item_selector_raw, "ItemSelector", location);
    }
    CompileJsonataNumber(state.timeout_seconds, "TimeoutSeconds", location);
    CompileJsonataNumber(state.heartbeat_seconds, "HeartbeatSeconds", location);
    CompileJsonataNumber(state.seconds, "Seconds", location);
    CompileJsonataNumber(state.max_concurrency, "MaxConcurrency", location);
    CompileJsonataNumber(state.tolerated_failure_count, "ToleratedFailureCount", location);
    CompileJsonataNumber(state.tolerated_failure_percentage, "ToleratedFailurePercentage",
                         location);
    if (state.timestamp_expression) {
      CompileJsonata(json::Value(json::String("{%" + *state.timestamp_expression + "%}")),
                     "Timestamp", location);
    }
    if (state.error) CompileJsonata(json::Value(json::String(*state.error)), "Error", location);
    if (state.cause) CompileJsonata(json::Value(json::String(*state.cause)), "Cause", location);
    for (std::size_t i = 0; i < state.choices.size(); ++i) {
      const ChoiceRule& rule = state.choices[i];
      const std::string rule_location = v::Element(location, "Choices", i);
      CompileJsonata(rule.condition(), "Condition", rule_location);
      if (rule.has_output()) CompileJsonata(rule.output(), "Output", rule_location);
      if (!rule.assign().is_null()) CompileJsonata(rule.assign(), "Assign", rule_location);
    }
    for (std::size_t i = 0; i < state.catchers.size(); ++i) {
      const Catcher& catcher = state.catchers[i];
      const std::string catcher_location = v::Element(location, "Catch", i);
      if (catcher.has_output) CompileJsonata(catcher.output, "Output", catcher_location);
      if (!catcher.assign.is_null()) CompileJsonata(catcher.assign, "Assign", catcher_location);
    }
  }


  void ParseTransition(State& state, const std::string& location, const json::Value* next,
                       const json::Value* end, bool end_usable) {
    if (!HasTransition(state.type)) return;
    bool end_ok = true;
    if (end != nullptr && end_usable) {
      if (!end->is_bool()) {
        end_ok = false;
        SchemaError(v::ExpectedType("BOOLEAN"), v::Child(location, "End"));
      } else {
        state.end = end->get_bool();
      }
    }
    bool next_ok = true;
    if (next != nullptr) {
      if (!next->is_string()) {
        next_ok = false;
        SchemaError(v::ExpectedType("STRING"), v::Child(location, "Next"));
      } else {
        state.next = std::string(next->get_string());
      }
    }
    if (!end_ok || !next_ok) return;
    if (next != nullptr && state.end) {
      SchemaError(v::OnlyOneOf({"Next", "End"}), location);
    } else if (next == nullptr && !state.end) {
      SchemaError(v::RequiredFields({"Next"}), location);
    }
  }

  // --- data flow ---------------------------------------------------------------------------

  // InputPath/OutputPath: a path, or null ("{}" flows on). Absent means "$".
  void ParseInputOutputPath(const json::Value* value, std::string_view name,
                            const std::string& location, std::optional<Path>& out) {
    if (value == nullptr) {
      if (Result<Path> root = Path::Parse("$")) out = std::move(*root);
      return;
    }
    if (value->is_null()) {
      out.reset();
      return;
    }
    if (!value->is_string()) {
      SchemaError(v::ExpectedType("STRING"), v::Child(location, name));
      return;
    }
    Result<Path> path = Path::Parse(value->get_string());
    if (!path) {
      SchemaError(v::InvalidJsonPath(name), v::Child(location, name));
      return;
    }
    out = std::move(*path);
  }

  // ResultPath: a reference path, or null (discard the result). Absent means "$".
  void ParseResultPath(const json::Value* value, const std::string& location,
                       std::optional<ReferencePath>& out) {
    if (value == nullptr) {
      if (Result<ReferencePath> root = ReferencePath::Parse("$")) out = std::move(*root);
      return;
    }
    if (value->is_null()) {
      out.reset();
      return;
    }
    if (!value->is_string()) {
      SchemaError(v::ExpectedType("STRING"), v::Child(location, "ResultPath"));
      return;
    }
    Result<ReferencePath> path = ReferencePath::Parse(value->get_string());
    if (!path) {
      SchemaError(v::InvalidReferencePath("ResultPath"), v::Child(location, "ResultPath"));
      return;
    }
    out = std::move(*path);
  }

  // A payload template (Parameters, ResultSelector, ItemSelector, JSONPath Assign).
  std::optional<PayloadTemplate> CompileTemplate(const json::Value& value, std::string_view name,
                                                 const std::string& location, bool object_only) {
    if (object_only && !value.is_object()) {
      SchemaError(v::ExpectedType("OBJECT"), v::Child(location, name));
      return std::nullopt;
    }
    Result<PayloadTemplate> compiled = PayloadTemplate::Compile(value);
    if (!compiled) {
      SchemaError(compiled.error().message, v::Child(location, name));
      return std::nullopt;
    }
    return std::move(*compiled);
  }

  void ParseDataFlow(State& state, const std::string& location, const Fields& field) {
    const bool jsonata = state.query_language == QueryLanguage::kJsonata;
    if (state.type != StateType::kFail && !jsonata) {
      ParseInputOutputPath(field("InputPath"), "InputPath", location, state.input_path);
      ParseInputOutputPath(field("OutputPath"), "OutputPath", location, state.output_path);
    }
    const bool has_result_path = state.type == StateType::kPass ||
                                 state.type == StateType::kTask ||
                                 state.type == StateType::kParallel ||
                                 state.type == StateType::kMap;
    if (has_result_path && !jsonata) {
      ParseResultPath(field("ResultPath"), location, state.result_path);
    }
    // Map's Parameters is the legacy ItemSelector, handled with the Map.
    if (const json::Value* parameters = field("Parameters");
        parameters != nullptr && state.type != StateType::kMap) {
      state.parameters = CompileTemplate(*parameters, "Parameters", location, true);
    }
    if (const json::Value* selector = field("ResultSelector"); selector != nullptr) {
      state.result_selector = CompileTemplate(*selector, "ResultSelector", location, true);
    }
    if (const json::Value* result = field("Result"); result != nullptr) {
      state.result = *result;
      state.has_result = true;
    }
    if (const json::Value* arguments = field("Arguments"); arguments != nullptr) {
      if (!arguments->is_object() && !v::IsJsonataExpression(*arguments)) {
        SchemaError(v::ExpectedType("OBJECT"), v::Child(location, "Arguments"));
      } else {
        state.arguments = *arguments;
        state.has_arguments = true;
      }
    }
    if (const json::Value* output = field("Output"); output != nullptr) {
      state.output = *output;
      state.has_output = true;
    }
    if (const json::Value* assign = field("Assign"); assign != nullptr) {
      if (!assign->is_object()) {
        SchemaError(v::ExpectedType("OBJECT"), v::Child(location, "Assign"));
      } else {
        state.assign = *assign;
        CheckAssignNames(*assign, jsonata, v::Child(location, "Assign"));
        if (!jsonata) state.assign_template = CompileTemplate(*assign, "Assign", location, true);
      }
    }
  }

  // --- numbers -----------------------------------------------------------------------------

  // A literal number field, or in JSONata mode a "{% %}" expression. Returns false when the
  // field was given but refused.
  bool ParseNumberLiteral(const json::Value& value, std::string_view name,
                          const std::string& location, bool jsonata, const NumberSpec& spec,
                          NumberField& out) {
    const std::string field_location = v::Child(location, name);
    if (jsonata && v::IsJsonataExpression(value)) {
      out.expression = v::JsonataExpressionText(value.get_string());
      return true;
    }
    if (!value.is_number()) {
      SchemaError(v::ExpectedType(spec.integer ? "INTEGER" : "NUMBER"), field_location);
      return false;
    }
    const double number = json::AsDouble(value);
    if (spec.integer && number != std::floor(number)) {
      SchemaError(v::ExpectedType("INTEGER"), field_location);
      return false;
    }
    if (number < spec.min) {
      SchemaError(v::MinimumValue(FormatBound(spec.min)), field_location);
      return false;
    }
    if (spec.max && number > *spec.max) {
      SchemaError(v::MaximumValue(FormatBound(*spec.max)), field_location);
      return false;
    }
    out.value = number;
    return true;
  }

  // A path that must name one value (TimeoutSecondsPath, MaxConcurrencyPath ...).
  std::optional<Path> ParseSinglePath(const json::Value& value, std::string_view name,
                                      const std::string& location) {
    const std::string field_location = v::Child(location, name);
    if (!value.is_string()) {
      SchemaError(v::ExpectedType("STRING"), field_location);
      return std::nullopt;
    }
    Result<Path> path = Path::Parse(value.get_string());
    if (!path || !path->is_definite()) {
      SchemaError(v::InvalidReferencePath(name), field_location);
      return std::nullopt;
    }
    return std::move(*path);
  }

  // `name` and `name`Path: at most one, each checked.
  void ParseNumberPair(const Fields& field, std::string_view name, const std::string& location,
                       bool jsonata, const NumberSpec& spec, NumberField& out) {
    const std::string path_name = std::string(name) + "Path";
    const json::Value* literal = field(name);
    const json::Value* path = field(path_name);
    if (literal != nullptr && path != nullptr) {
      SchemaError(v::OnlyOneOf({name, path_name}), v::Child(location, name));
      return;
    }
    if (literal != nullptr) ParseNumberLiteral(*literal, name, location, jsonata, spec, out);
    if (path != nullptr) out.path = ParseSinglePath(*path, path_name, location);
  }

  // --- Task --------------------------------------------------------------------------------

  // Whether an `arn:aws:states:::SERVICE:ACTION[.pattern]` resource names an action that AWS's
  // optimized integration of SERVICE offers. Only services listed here are checked (others,
  // `aws-sdk:*` among them, are left to the integrations); the lists are AWS's documented ones.
  static bool IsKnownOptimizedAction(std::string_view resource) {
    constexpr std::string_view kPrefix = "arn:aws:states:::";
    if (resource.substr(0, kPrefix.size()) != kPrefix) return true;
    std::string_view rest = resource.substr(kPrefix.size());
    const std::size_t colon = rest.find(':');
    if (colon == std::string_view::npos) return true;
    const std::string_view service = rest.substr(0, colon);
    std::string_view action = rest.substr(colon + 1);
    action = action.substr(0, action.find('.'));
    static constexpr std::string_view kDynamoDb[] = {"getItem", "putItem", "updateItem",
                                                     "deleteItem"};
    static constexpr std::string_view kAthena[] = {"startQueryExecution", "stopQueryExecution",
                                                   "getQueryExecution", "getQueryResults"};
    static constexpr std::string_view kSqs[] = {"sendMessage"};
    static constexpr std::string_view kSns[] = {"publish"};
    static constexpr std::string_view kInvoke[] = {"invoke"};
    static constexpr std::string_view kStates[] = {"startExecution"};
    static constexpr std::string_view kEvents[] = {"putEvents"};
    static constexpr std::string_view kBatch[] = {"submitJob"};
    static constexpr std::string_view kEcs[] = {"runTask"};
    static constexpr std::string_view kStartJobRun[] = {"startJobRun"};
    static constexpr std::pair<std::string_view, std::span<const std::string_view>> kServices[] = {
        {"dynamodb", kDynamoDb}, {"athena", kAthena},     {"sqs", kSqs},
        {"sns", kSns},           {"lambda", kInvoke},     {"apigateway", kInvoke},
        {"http", kInvoke},       {"states", kStates},     {"events", kEvents},
        {"batch", kBatch},       {"ecs", kEcs},           {"glue", kStartJobRun},
        {"databrew", kStartJobRun},
    };
    for (const auto& [name, actions] : kServices) {
      if (name == service) {
        return std::find(actions.begin(), actions.end(), action) != actions.end();
      }
    }
    return true;
  }

  void ParseTask(State& state, const std::string& location, const Fields& field) {
    const bool jsonata = state.query_language == QueryLanguage::kJsonata;
    const json::Value* resource = field("Resource");
    if (resource == nullptr) {
      SchemaError(v::RequiredFields({"Resource"}), location);
    } else if (!resource->is_string()) {
      SchemaError(v::ExpectedType("STRING"), v::Child(location, "Resource"));
    } else {
      state.resource = std::string(resource->get_string());
      if (state.resource.rfind("arn:", 0) != 0 || !IsKnownOptimizedAction(state.resource)) {
        SchemaError("The resource provided " + state.resource +
                        " is not recognized. The value is not a valid resource ARN, or the "
                        "resource is not available in this region.",
                    v::Child(location, "Resource"));
      }
    }
    const NumberSpec seconds{true, 1, static_cast<double>(limits::kMaxTimeoutSeconds)};
    ParseNumberPair(field, "TimeoutSeconds", location, jsonata, seconds, state.timeout_seconds);
    ParseNumberPair(field, "HeartbeatSeconds", location, jsonata, seconds,
                    state.heartbeat_seconds);
    if (const json::Value* credentials = field("Credentials"); credentials != nullptr) {
      if (!credentials->is_object()) {
        SchemaError(v::ExpectedType("OBJECT"), v::Child(location, "Credentials"));
      } else {
        state.credentials = *credentials;
      }
    }
  }

  // --- Retry and Catch ---------------------------------------------------------------------

  // ErrorEquals: a non-empty array of strings where States.ALL stands alone. Returns whether it
  // holds States.ALL.
  bool ParseErrorEquals(const json::Value* value, const std::string& location,
                        std::vector<std::string>& out) {
    const std::string field_location = v::Child(location, "ErrorEquals");
    if (value == nullptr) {
      SchemaError(v::RequiredFields({"ErrorEquals"}), location);
      return false;
    }
    if (!value->is_array()) {
      SchemaError(v::ExpectedType("ARRAY"), field_location);
      return false;
    }
    const json::Array& names = value->get_array();
    if (names.empty()) {
      SchemaError(v::kMinimumItems, field_location);
      return false;
    }
    bool has_all = false;
    for (std::size_t i = 0; i < names.size(); ++i) {
      if (!names[i].is_string()) {
        SchemaError(v::ExpectedType("STRING"), v::Child(location, "ErrorEquals[" +
                                                                       std::to_string(i) + "]"));
        continue;
      }
      out.emplace_back(names[i].get_string());
      if (out.back() == errors::kAll) has_all = true;
    }
    if (has_all && names.size() > 1) {
      SchemaError("States.ALL must appear alone in ErrorEquals", field_location);
    }
    return has_all;
  }

  void ParseRetry(State& state, const std::string& location, const json::Value* retry) {
    if (retry == nullptr) return;
    if (!retry->is_array()) {
      SchemaError(v::ExpectedType("ARRAY"), v::Child(location, "Retry"));
      return;
    }
    const json::Array& retriers = retry->get_array();
    for (std::size_t i = 0; i < retriers.size(); ++i) {
      const std::string retrier_location = v::Element(location, "Retry", i);
      const json::Value& value = retriers[i];
      if (!value.is_object()) {
        SchemaError(v::ExpectedType("OBJECT"), retrier_location);
        continue;
      }
      for (const auto& member : value.get_object()) {
        if (!Contains({"ErrorEquals", "IntervalSeconds", "MaxAttempts", "BackoffRate",
                       "MaxDelaySeconds", "JitterStrategy", "Comment"},
                      member.key())) {
          SchemaError(v::NotSupported(member.key()), retrier_location);
        }
      }
      Retrier retrier;
      const bool has_all =
          ParseErrorEquals(json::Find(value, "ErrorEquals"), retrier_location, retrier.error_equals);
      if (has_all && i + 1 != retriers.size()) {
        SchemaError("A Retrier with States.ALL must be the last Retrier", retrier_location);
      }
      NumberField number;
      if (const json::Value* interval = json::Find(value, "IntervalSeconds"); interval != nullptr &&
          ParseNumberLiteral(*interval, "IntervalSeconds", retrier_location, false,
                             NumberSpec{true, 1, static_cast<double>(limits::kMaxTimeoutSeconds)},
                             number)) {
        retrier.interval_seconds = *number.value;
      }
      number = NumberField{};
      if (const json::Value* attempts = json::Find(value, "MaxAttempts"); attempts != nullptr &&
          ParseNumberLiteral(*attempts, "MaxAttempts", retrier_location, false,
                             NumberSpec{true, 0, static_cast<double>(limits::kMaxTimeoutSeconds)},
                             number)) {
        retrier.max_attempts = static_cast<std::int64_t>(*number.value);
      }
      number = NumberField{};
      if (const json::Value* rate = json::Find(value, "BackoffRate"); rate != nullptr &&
          ParseNumberLiteral(*rate, "BackoffRate", retrier_location, false,
                             NumberSpec{false, 1, std::nullopt}, number)) {
        retrier.backoff_rate = *number.value;
      }
      number = NumberField{};
      if (const json::Value* max_delay = json::Find(value, "MaxDelaySeconds");
          max_delay != nullptr &&
          ParseNumberLiteral(*max_delay, "MaxDelaySeconds", retrier_location, false,
                             NumberSpec{true, 1, static_cast<double>(limits::kMaxRetryDelaySeconds)},
                             number)) {
        retrier.max_delay_seconds = static_cast<std::int64_t>(*number.value);
      }
      if (const json::Value* jitter = json::Find(value, "JitterStrategy"); jitter != nullptr) {
        const std::string jitter_location = v::Child(retrier_location, "JitterStrategy");
        if (!jitter->is_string()) {
          SchemaError(v::ExpectedType("STRING"), jitter_location);
        } else if (jitter->get_string() == "FULL") {
          retrier.jitter = JitterStrategy::kFull;
        } else if (jitter->get_string() != "NONE") {
          SchemaError(v::OneOf({"FULL", "NONE"}), jitter_location);
        }
      }
      if (const json::Value* comment = json::Find(value, "Comment");
          comment != nullptr && !comment->is_string()) {
        SchemaError(v::ExpectedType("STRING"), v::Child(retrier_location, "Comment"));
      }
      state.retry.push_back(std::move(retrier));
    }
  }

  void ParseCatch(State& state, const std::string& location, const json::Value* catch_value,
                  bool jsonata) {
    if (catch_value == nullptr) return;
    if (!catch_value->is_array()) {
      SchemaError(v::ExpectedType("ARRAY"), v::Child(location, "Catch"));
      return;
    }
    const json::Array& catchers = catch_value->get_array();
    for (std::size_t i = 0; i < catchers.size(); ++i) {
      const std::string catcher_location = v::Element(location, "Catch", i);
      const json::Value& value = catchers[i];
      if (!value.is_object()) {
        SchemaError(v::ExpectedType("OBJECT"), catcher_location);
        continue;
      }
      Catcher catcher;
      std::unordered_set<std::string_view> usable;
      for (const auto& member : value.get_object()) {
        const std::string_view key = member.key();
        if (!Contains({"ErrorEquals", "Next", "ResultPath", "Assign", "Output", "Comment"}, key)) {
          SchemaError(v::NotSupported(key), catcher_location);
        } else if (jsonata && key == "ResultPath") {
          SchemaError(v::JsonPathOnlyField(key), catcher_location);
        } else if (!jsonata && key == "Output") {
          SchemaError(v::JsonataOnlyField(key), catcher_location);
        } else {
          usable.insert(key);
        }
      }
      const Fields field{value, usable};
      const bool has_all =
          ParseErrorEquals(field("ErrorEquals"), catcher_location, catcher.error_equals);
      if (has_all && i + 1 != catchers.size()) {
        SchemaError("A Catcher with States.ALL must be the last Catcher", catcher_location);
      }
      if (const json::Value* next = field("Next"); next == nullptr) {
        SchemaError(v::RequiredFields({"Next"}), catcher_location);
      } else if (!next->is_string()) {
        SchemaError(v::ExpectedType("STRING"), v::Child(catcher_location, "Next"));
      } else {
        catcher.next = std::string(next->get_string());
      }
      if (!jsonata) ParseResultPath(field("ResultPath"), catcher_location, catcher.result_path);
      if (const json::Value* assign = field("Assign"); assign != nullptr) {
        if (!assign->is_object()) {
          SchemaError(v::ExpectedType("OBJECT"), v::Child(catcher_location, "Assign"));
        } else {
          CheckAssignNames(*assign, jsonata, v::Child(catcher_location, "Assign"));
          if (!jsonata) CompileTemplate(*assign, "Assign", catcher_location, true);
          catcher.assign = *assign;
        }
      }
      if (const json::Value* output = field("Output"); output != nullptr) {
        catcher.output = *output;
        catcher.has_output = true;
      }
      if (const json::Value* comment = field("Comment");
          comment != nullptr && !comment->is_string()) {
        SchemaError(v::ExpectedType("STRING"), v::Child(catcher_location, "Comment"));
      }
      state.catchers.push_back(std::move(catcher));
    }
  }

  // --- Choice ------------------------------------------------------------------------------

  void ParseChoice(State& state, const std::string& location, const Fields& field,
                   const json::Value& value, bool jsonata) {
    (void)value;
    const json::Value* choices = field("Choices");
    if (choices == nullptr) {
      SchemaError(v::RequiredFields({"Choices"}), location);
    } else if (!choices->is_array()) {
      SchemaError(v::ExpectedType("ARRAY"), v::Child(location, "Choices"));
    } else if (choices->get_array().empty()) {
      SchemaError(v::kMinimumItems, v::Child(location, "Choices"));
    } else {
      const json::Array& rules = choices->get_array();
      for (std::size_t i = 0; i < rules.size(); ++i) {
        const std::size_t before = diagnostics_.size();
        std::optional<ChoiceRule> rule = ChoiceRule::Parse(
            rules[i], /*top_level=*/true, jsonata, v::Element(location, "Choices", i),
            diagnostics_);
        schema_errors_ += static_cast<int>(diagnostics_.size() - before);
        if (rule) state.choices.push_back(std::move(*rule));
      }
    }
    if (const json::Value* default_next = field("Default"); default_next != nullptr) {
      if (!default_next->is_string()) {
        SchemaError(v::ExpectedType("STRING"), v::Child(location, "Default"));
      } else {
        state.default_next = std::string(default_next->get_string());
      }
    }
  }

  // --- Wait --------------------------------------------------------------------------------

  void ParseWait(State& state, const std::string& location, const Fields& field, bool jsonata) {
    const json::Value* seconds = field("Seconds");
    const json::Value* seconds_path = field("SecondsPath");
    const json::Value* timestamp = field("Timestamp");
    const json::Value* timestamp_path = field("TimestampPath");
    const int given = (seconds != nullptr) + (seconds_path != nullptr) + (timestamp != nullptr) +
                      (timestamp_path != nullptr);
    if (given == 0) {
      SchemaError(jsonata ? v::RequiredFields({"Seconds"})
                          : "Exactly one of these fields is required: [Seconds, SecondsPath, "
                            "Timestamp, TimestampPath]",
                  location);
      return;
    }
    if (given > 1) {
      SchemaError(jsonata ? v::OnlyOneOf({"Seconds", "Timestamp"})
                          : v::OnlyOneOf({"Seconds", "SecondsPath", "Timestamp", "TimestampPath"}),
                  location);
      return;
    }
    if (seconds != nullptr) {
      ParseNumberLiteral(*seconds, "Seconds", location, jsonata,
                         NumberSpec{true, 0, static_cast<double>(limits::kMaxTimeoutSeconds)},
                         state.seconds);
    }
    if (seconds_path != nullptr) {
      state.seconds.path = ParseSinglePath(*seconds_path, "SecondsPath", location);
    }
    if (timestamp != nullptr) {
      const std::string field_location = v::Child(location, "Timestamp");
      if (jsonata && v::IsJsonataExpression(*timestamp)) {
        state.timestamp_expression = v::JsonataExpressionText(timestamp->get_string());
      } else if (!timestamp->is_string()) {
        SchemaError(v::ExpectedType("STRING"), field_location);
      } else if (!ParseIso8601(timestamp->get_string())) {
        SchemaError(v::kNotRfc3339, field_location);
      } else {
        state.timestamp = std::string(timestamp->get_string());
      }
    }
    if (timestamp_path != nullptr) {
      state.timestamp_path = ParseSinglePath(*timestamp_path, "TimestampPath", location);
    }
  }

  // --- Fail --------------------------------------------------------------------------------

  // ErrorPath/CausePath: a reference path, or (JSONPath mode) an intrinsic function call.
  void ParseFailPath(const json::Value& value, std::string_view name, const std::string& location,
                     std::optional<Path>& path, std::optional<IntrinsicCall>& call) {
    const std::string field_location = v::Child(location, name);
    if (!value.is_string()) {
      SchemaError(v::ExpectedType("STRING"), field_location);
      return;
    }
    const std::string_view text = value.get_string();
    if (IntrinsicCall::LooksLikeCall(text)) {
      Result<IntrinsicCall> parsed = IntrinsicCall::Parse(text);
      if (!parsed) {
        SchemaError("The value for the field '" + std::string(name) +
                        "' must be a valid JSONPath or a valid intrinsic function call",
                    field_location);
        return;
      }
      call = std::move(*parsed);
      return;
    }
    Result<Path> parsed = Path::Parse(text);
    if (!parsed || !parsed->is_definite()) {
      SchemaError("The value for the field '" + std::string(name) +
                      "' must be a valid JSONPath or a valid intrinsic function call",
                  field_location);
      return;
    }
    path = std::move(*parsed);
  }

  void ParseFail(State& state, const std::string& location, const Fields& field, bool jsonata) {
    (void)jsonata;
    const json::Value* error = field("Error");
    const json::Value* error_path = field("ErrorPath");
    const json::Value* cause = field("Cause");
    const json::Value* cause_path = field("CausePath");
    if (error != nullptr && error_path != nullptr) {
      SchemaError(v::OnlyOneOf({"Error", "ErrorPath"}), v::Child(location, "Error"));
    } else if (error != nullptr) {
      if (!error->is_string()) {
        SchemaError(v::ExpectedType("STRING"), v::Child(location, "Error"));
      } else {
        state.error = std::string(error->get_string());
      }
    } else if (error_path != nullptr) {
      ParseFailPath(*error_path, "ErrorPath", location, state.error_path, state.error_call);
    }
    if (cause != nullptr && cause_path != nullptr) {
      SchemaError(v::OnlyOneOf({"Cause", "CausePath"}), v::Child(location, "Cause"));
    } else if (cause != nullptr) {
      if (!cause->is_string()) {
        SchemaError(v::ExpectedType("STRING"), v::Child(location, "Cause"));
      } else {
        state.cause = std::string(cause->get_string());
      }
    } else if (cause_path != nullptr) {
      ParseFailPath(*cause_path, "CausePath", location, state.cause_path, state.cause_call);
    }
  }

  // --- Parallel ----------------------------------------------------------------------------

  void ParseParallel(State& state, const std::string& location, const Fields& field) {
    const json::Value* branches = field("Branches");
    if (branches == nullptr) {
      SchemaError(v::RequiredFields({"Branches"}), location);
      return;
    }
    if (!branches->is_array()) {
      SchemaError(v::ExpectedType("ARRAY"), v::Child(location, "Branches"));
      return;
    }
    if (branches->get_array().empty()) {
      SchemaError(v::kMinimumItems, v::Child(location, "Branches"));
      return;
    }
    const json::Array& items = branches->get_array();
    for (std::size_t i = 0; i < items.size(); ++i) {
      state.branches.push_back(
          ParseNestedMachine(items[i], v::Element(location, "Branches", i), MachineKind::kBranch));
    }
  }

  // --- Map ---------------------------------------------------------------------------------

  void ParseProcessorConfig(const json::Value& value, const std::string& location,
                            ItemProcessor& processor) {
    if (!value.is_object()) {
      SchemaError(v::ExpectedType("OBJECT"), location);
      return;
    }
    for (const auto& member : value.get_object()) {
      if (member.key() != "Mode" && member.key() != "ExecutionType") {
        SchemaError(v::NotSupported(member.key()), location);
      }
    }
    if (const json::Value* mode = json::Find(value, "Mode"); mode != nullptr) {
      if (!mode->is_string()) {
        SchemaError(v::ExpectedType("STRING"), v::Child(location, "Mode"));
      } else if (mode->get_string() == "DISTRIBUTED") {
        processor.mode = ItemProcessor::Mode::kDistributed;
      } else if (mode->get_string() != "INLINE") {
        SchemaError(v::OneOf({"INLINE", "DISTRIBUTED"}), v::Child(location, "Mode"));
      }
    }
    if (const json::Value* type = json::Find(value, "ExecutionType"); type != nullptr) {
      if (!type->is_string()) {
        SchemaError(v::ExpectedType("STRING"), v::Child(location, "ExecutionType"));
      } else if (type->get_string() != "STANDARD" && type->get_string() != "EXPRESS") {
        SchemaError(v::OneOf({"STANDARD", "EXPRESS"}), v::Child(location, "ExecutionType"));
      } else {
        processor.execution_type = std::string(type->get_string());
      }
    }
  }

  void ParseMap(State& state, const std::string& location, const Fields& field, bool jsonata) {
    const json::Value* processor = field("ItemProcessor");
    const json::Value* iterator = field("Iterator");
    if (processor != nullptr && iterator != nullptr) {
      SchemaError(v::OnlyOneOf({"ItemProcessor", "Iterator"}), location);
    } else if (processor == nullptr && iterator == nullptr) {
      SchemaError(v::RequiredFields({"ItemProcessor"}), location);
    } else {
      const std::string_view name = processor != nullptr ? "ItemProcessor" : "Iterator";
      const json::Value& value = processor != nullptr ? *processor : *iterator;
      const std::string processor_location = v::Child(location, name);
      if (value.is_object()) {
        if (const json::Value* config = json::Find(value, "ProcessorConfig"); config != nullptr) {
          ParseProcessorConfig(*config, v::Child(processor_location, "ProcessorConfig"),
                               state.item_processor);
        }
      }
      state.item_processor.machine =
          ParseNestedMachine(value, processor_location, MachineKind::kItemProcessor);
    }

    if (const json::Value* items_path = field("ItemsPath"); items_path != nullptr) {
      state.items_path = ParseSinglePath(*items_path, "ItemsPath", location);
    } else if (!jsonata) {
      if (Result<Path> root = Path::Parse("$")) state.items_path = std::move(*root);
    }
    if (const json::Value* items = field("Items"); items != nullptr) {
      if (!items->is_array() && !v::IsJsonataExpression(*items)) {
        SchemaError(v::ExpectedType("ARRAY"), v::Child(location, "Items"));
      } else {
        state.items = *items;
        state.has_items = true;
      }
    }

    const json::Value* selector = field("ItemSelector");
    const json::Value* parameters = field("Parameters");
    if (selector != nullptr && parameters != nullptr) {
      SchemaError(v::OnlyOneOf({"ItemSelector", "Parameters"}), location);
    } else if (selector != nullptr && jsonata) {
      state.item_selector_raw = *selector;
    } else if (selector != nullptr || parameters != nullptr) {
      const std::string_view name = selector != nullptr ? "ItemSelector" : "Parameters";
      state.item_selector =
          CompileTemplate(selector != nullptr ? *selector : *parameters, name, location, true);
      state.item_selector_raw = selector != nullptr ? *selector : *parameters;
    }

    ParseNumberPair(field, "MaxConcurrency", location, jsonata, NumberSpec{true, 0, std::nullopt},
                    state.max_concurrency);
    ParseNumberPair(field, "ToleratedFailureCount", location, jsonata,
                    NumberSpec{true, 0, std::nullopt}, state.tolerated_failure_count);
    ParseNumberPair(field, "ToleratedFailurePercentage", location, jsonata,
                    NumberSpec{false, 0, 100.0}, state.tolerated_failure_percentage);

    if (const json::Value* label = field("Label"); label != nullptr) {
      ParseLabel(*label, location, state);
    }
    for (const char* name : {"ItemReader", "ItemBatcher", "ResultWriter"}) {
      const json::Value* raw = field(name);
      if (raw == nullptr) continue;
      if (!raw->is_object()) {
        SchemaError(v::ExpectedType("OBJECT"), v::Child(location, name));
        continue;
      }
      json::Value& target = std::string_view(name) == "ItemReader"    ? state.item_reader
                            : std::string_view(name) == "ItemBatcher" ? state.item_batcher
                                                                      : state.result_writer;
      target = *raw;
    }
  }

  // Map Label: up to 40 characters, unique in the machine, no whitespace or special characters
  // (AWS uses it in Map Run ARNs).
  void ParseLabel(const json::Value& value, const std::string& location, State& state) {
    const std::string field_location = v::Child(location, "Label");
    if (!value.is_string()) {
      SchemaError(v::ExpectedType("STRING"), field_location);
      return;
    }
    const std::string label(value.get_string());
    constexpr std::size_t kMaxLabelLength = 40;
    bool valid = !label.empty() && json::CodePointCount(label) <= kMaxLabelLength;
    for (const char c : label) {
      const unsigned char u = static_cast<unsigned char>(c);
      if (u <= 0x20 || u == 0x7F ||
          std::string_view("<>{}[]?*\"#%\\^|~`$&,;:/").find(c) != std::string_view::npos) {
        valid = false;
      }
    }
    if (!valid) {
      v::AddError(diagnostics_, v::kInvalidLabelName, "Invalid label name: " + label,
                  field_location);
      return;
    }
    if (!labels_.insert(label).second) {
      v::AddError(diagnostics_, v::kDuplicateLabelName, "Duplicate label name: " + label,
                  field_location);
      return;
    }
    state.label = label;
  }

  // --- transitions -------------------------------------------------------------------------

  // Resolves a transition target, or reports it as AWS does ("Missing 'Next' target: X").
  void Resolve(const Machine& machine, const std::string& target, const std::string& location,
               int& index, bool& ok) {
    auto it = machine.index.find(target);
    if (it == machine.index.end()) {
      v::AddError(diagnostics_, v::kMissingTransitionTarget, "Missing 'Next' target: " + target,
                  location);
      ok = false;
      return;
    }
    index = it->second;
  }

  void CheckTransitions() {
    for (MachineRecord& record : records_) {
      Machine& machine = *record.machine;
      const std::string states_location = v::Child(record.location, "States");
      bool start_ok = true;
      Resolve(machine, machine.start_at, v::Child(record.location, "StartAt"),
              machine.start_index, start_ok);
      for (State& state : machine.states) {
        const std::string location = v::Child(states_location, state.name);
        bool ok = true;
        if (!state.next.empty() || (HasTransition(state.type) && !state.end)) {
          Resolve(machine, state.next, v::Child(location, "Next"), state.next_index, ok);
        }
        if (state.type == StateType::kChoice) {
          for (std::size_t i = 0; i < state.choices.size(); ++i) {
            int ignored = -1;
            Resolve(machine, state.choices[i].next(),
                    v::Child(v::Element(location, "Choices", i), "Next"), ignored, ok);
          }
          if (!state.default_next.empty()) {
            Resolve(machine, state.default_next, v::Child(location, "Default"),
                    state.default_index, ok);
          }
        }
        for (std::size_t i = 0; i < state.catchers.size(); ++i) {
          Resolve(machine, state.catchers[i].next,
                  v::Child(v::Element(location, "Catch", i), "Next"), state.catchers[i].next_index,
                  ok);
        }
      }

      // A top-level machine with no terminal state at all is one diagnostic, which AWS gives
      // instead of listing unreachable states.
      if (record.top) {
        const bool has_terminal =
            std::any_of(machine.states.begin(), machine.states.end(), [](const State& s) {
              return s.end || s.type == StateType::kSucceed || s.type == StateType::kFail;
            });
        if (!has_terminal) {
          v::AddError(diagnostics_, v::kMissingEndState, "Workflow has no terminal state", "");
          continue;
        }
      }

      std::vector<bool> reached(machine.states.size(), false);
      std::vector<int> pending;
      auto visit = [&](int index) {
        if (index >= 0 && !reached[index]) {
          reached[index] = true;
          pending.push_back(index);
        }
      };
      visit(machine.start_index);
      while (!pending.empty()) {
        const State& state = machine.states[pending.back()];
        pending.pop_back();
        visit(state.next_index);
        visit(state.default_index);
        for (const ChoiceRule& rule : state.choices) {
          if (auto it = machine.index.find(rule.next()); it != machine.index.end()) {
            visit(it->second);
          }
        }
        for (const Catcher& catcher : state.catchers) visit(catcher.next_index);
      }
      for (std::size_t i = 0; i < machine.states.size(); ++i) {
        if (reached[i]) continue;
        v::AddError(diagnostics_, v::kMissingTransitionTarget,
                    "State \"" + machine.states[i].name + "\" is not reachable.",
                    v::Child(states_location, machine.states[i].name));
      }
    }
  }

  std::vector<Diagnostic>& diagnostics_;
  JsonataExpressions* jsonata_ = nullptr;  // the definition's compiled expressions
  QueryLanguage top_language_ = QueryLanguage::kJsonPath;
  int schema_errors_ = 0;
  // Every machine in pre-order (parent before its branches). A deque keeps references stable.
  std::deque<MachineRecord> records_;
  std::unordered_set<std::string> all_state_names_;
  std::unordered_set<std::string> labels_;
};

bool IsBlank(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [](char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
  });
}

}  // namespace

ParsedDefinition ParseDefinition(std::string_view text) {
  ParsedDefinition parsed;
  if (IsBlank(text)) {
    v::AddSchemaError(parsed.diagnostics, "Definition must be a valid JSON object", "");
    return parsed;
  }
  Result<json::Value> root = json::Parse(text);
  if (!root) {
    parsed.diagnostics.push_back(v::InvalidJson(text));
    return parsed;
  }
  if (!root->is_object()) {
    v::AddSchemaError(parsed.diagnostics, "Definition must be a valid JSON object", "");
    return parsed;
  }
  Parser parser(parsed.diagnostics);
  std::unique_ptr<Definition> definition = parser.Parse(*root);
  const bool failed =
      std::any_of(parsed.diagnostics.begin(), parsed.diagnostics.end(),
                  [](const Diagnostic& d) { return d.severity == "ERROR"; });
  if (!failed) parsed.definition = std::move(definition);
  return parsed;
}

}  // namespace stepway::asl
