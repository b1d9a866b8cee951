#include "engine/execution.h"

#include <algorithm>
#include <cmath>
#include <unordered_map>
#include <utility>

#include "asl/validation.h"
#include "base/check.h"
#include "base/limits.h"
#include "engine/payload_size.h"
#include "engine/retry.h"

namespace stepway::engine {

using asl::Failure;
using asl::State;
using asl::StateType;

const char* ExecutionStatusName(ExecutionStatus status) {
  switch (status) {
    case ExecutionStatus::kRunning:
      return "RUNNING";
    case ExecutionStatus::kSucceeded:
      return "SUCCEEDED";
    case ExecutionStatus::kFailed:
      return "FAILED";
    case ExecutionStatus::kTimedOut:
      return "TIMED_OUT";
    case ExecutionStatus::kAborted:
      return "ABORTED";
  }
  return "RUNNING";
}

constexpr std::size_t kUnknownSize = std::size_t(-1);

namespace {

// The cause of States.DataLimitExceeded when an assignment would take the execution's variables,
// all scopes together, past limits::kMaxVariablesPerExecutionBytes.
std::string VariablesLimitCause(const std::string& state) {
  return "The assignment in state '" + state + "' has exceeded the maximum size limit of " +
         std::to_string(limits::kMaxVariablesPerExecutionBytes) +
         " bytes for all variables of the execution.";
}

}  // namespace

std::size_t AddBounds(std::size_t a, std::size_t b) {
  return (a == kUnknownSize || b == kUnknownSize || a + b < a) ? kUnknownSize : a + b;
}

// One thread of control: the top-level machine, a Parallel branch or a Map iteration. It sits
// in one state at a time; Parallel and Map states own child frames.
struct Execution::Frame {
  enum class Phase {
    kEnter,         // about to enter `state`
    kWaitTask,      // a task is open (task_id)
    kWaitTimer,     // a Wait state's timer (timer_id)
    kWaitRetry,     // a retry's back-off timer (timer_id)
    kWaitChildren,  // Parallel/Map children running
    kChildrenDone,  // Parallel/Map children all finished, or one failed
    kDone,          // finished, failed or aborted
  };

  std::int64_t id = 0;
  Frame* parent = nullptr;
  std::size_t child_index = 0;  // branch or item index in the parent
  const asl::Machine* machine = nullptr;
  int state = -1;
  Phase phase = Phase::kEnter;

  Payload input;  // the raw input of the current state
  // An upper bound of the input's JSON size, so that a state's output is measured against the
  // payload limit only when it might exceed it.
  std::size_t input_bound = kUnknownSize;
  bool took_subtree = false;  // TakeSubtree moved the InputPath node out of `input`
  Payload effective;          // after InputPath (Task, Parallel, Map, Wait)
  std::int64_t entered_event_id = 0;
  // This frame's latest event: the previousEventId of its next one. Events chain per thread of
  // control, as in GetExecutionHistory: the first state's entered event points at 0 (not at
  // ExecutionStarted), a branch's or iteration's first event at the Parallel/Map's events.
  std::int64_t last_event_id = 0;
  TimePoint entered_time;
  std::int64_t retry_count = 0;
  std::vector<std::int64_t> retrier_attempts;

  std::int64_t task_id = 0;
  std::int64_t timer_id = 0;
  std::int64_t timeout_timer = 0;
  bool task_started = false;
  std::shared_ptr<const Resource> resource;  // parsed at the first task, shared with its commands

  asl::VariableScope vars;
  // The JSON size of each variable in `vars`, and their sum: this frame's share of the
  // running total `vars_total` points to, which it gives back when the scope ends (a Map
  // iteration or Parallel branch is over).
  std::unordered_map<std::string, std::size_t> var_sizes;
  std::size_t vars_bytes = 0;
  // The execution's total (Execution::variables_bytes_), or for an iteration of a Distributed
  // Map, which AWS runs as a child execution with variables of its own, `own_vars_total`.
  std::size_t* vars_total = nullptr;
  std::size_t own_vars_total = 0;

  Frame() = default;
  Frame(const Frame&) = delete;
  Frame& operator=(const Frame&) = delete;
  ~Frame() {
    children.clear();  // before own_vars_total, which their variables count in
    if (vars_total != nullptr) *vars_total -= vars_bytes;
  }

  // Parallel and Map.
  std::vector<std::unique_ptr<Frame>> children;
  json::Array results;
  json::Array items;
  std::size_t next_item = 0;
  std::size_t running = 0;
  std::size_t completed = 0;
  std::size_t failed = 0;
  std::int64_t max_concurrency = 0;
  // Map: ToleratedFailureCount/Percentage, literal or evaluated when the state started.
  std::optional<double> tolerated_count;
  std::optional<double> tolerated_percentage;
  std::optional<Failure> child_failure;
  bool iteration_started = false;  // a Map iteration frame has emitted MapIterationStarted

  const State& current() const { return machine->states[std::size_t(state)]; }
};

namespace {

EventType EnteredType(StateType t) {
  switch (t) {
    case StateType::kTask:
      return EventType::kTaskStateEntered;
    case StateType::kPass:
      return EventType::kPassStateEntered;
    case StateType::kChoice:
      return EventType::kChoiceStateEntered;
    case StateType::kWait:
      return EventType::kWaitStateEntered;
    case StateType::kSucceed:
      return EventType::kSucceedStateEntered;
    case StateType::kFail:
      return EventType::kFailStateEntered;
    case StateType::kParallel:
      return EventType::kParallelStateEntered;
    case StateType::kMap:
      return EventType::kMapStateEntered;
  }
  return EventType::kPassStateEntered;
}

EventType ExitedType(StateType t) {
  switch (t) {
    case StateType::kTask:
      return EventType::kTaskStateExited;
    case StateType::kChoice:
      return EventType::kChoiceStateExited;
    case StateType::kWait:
      return EventType::kWaitStateExited;
    case StateType::kSucceed:
      return EventType::kSucceedStateExited;
    case StateType::kParallel:
      return EventType::kParallelStateExited;
    case StateType::kMap:
      return EventType::kMapStateExited;
    default:
      return EventType::kPassStateExited;
  }
}

struct TaskEvents {
  EventType scheduled, started, succeeded, failed, timed_out;
};

TaskEvents TaskEventsFor(ResourceKind kind) {
  switch (kind) {
    case ResourceKind::kActivity:
      return {EventType::kActivityScheduled, EventType::kActivityStarted,
              EventType::kActivitySucceeded, EventType::kActivityFailed,
              EventType::kActivityTimedOut};
    case ResourceKind::kLambdaFunction:
      return {EventType::kLambdaFunctionScheduled, EventType::kLambdaFunctionStarted,
              EventType::kLambdaFunctionSucceeded, EventType::kLambdaFunctionFailed,
              EventType::kLambdaFunctionTimedOut};
    default:
      return {EventType::kTaskScheduled, EventType::kTaskStarted, EventType::kTaskSucceeded,
              EventType::kTaskFailed, EventType::kTaskTimedOut};
  }
}

// "$": compared by hand, this runs several times per state (a std::string compared with a
// C string measures the C string and calls memcmp).
bool IsRootText(const std::string& text) { return text.size() == 1 && text[0] == '$'; }
bool IsRootPath(const asl::Path& p) { return IsRootText(p.text()); }
bool IsRootPath(const asl::ReferencePath& p) { return IsRootText(p.text()); }

json::Value ErrorOutput(const Failure& f) {
  json::Object o;
  o["Error"] = f.error;
  o["Cause"] = f.cause;
  return o;
}

// Reads an integer field given literally or by a path: TimeoutSeconds(Path), Seconds(Path),
// MaxConcurrency(Path), ToleratedFailure*(Path). A path's value may be a number or a string
// holding one (AWS accepts "1").
std::optional<std::int64_t> IntegerOf(const json::Value& v) {
  std::int64_t n;
  if (json::AsInt64(v, n)) return n;
  if (v.is_string()) {
    const json::String& s = v.get_string();
    if (s.empty()) return std::nullopt;
    std::int64_t value = 0;
    std::size_t i = 0;
    bool negative = s[0] == '-';
    if (negative) i = 1;
    if (i == s.size()) return std::nullopt;
    for (; i < s.size(); ++i) {
      if (s[i] < '0' || s[i] > '9' || value > 1'000'000'000'000'000) return std::nullopt;
      value = value * 10 + (s[i] - '0');
    }
    return negative ? -value : value;
  }
  return std::nullopt;
}

// The value of a payload, moved out when nothing else shares it and copied otherwise.
json::Value TakeValue(Payload&& p) {
  if (p.use_count() == 1) {
    json::Value v = std::move(const_cast<json::Value&>(*p));
    p.reset();
    return v;
  }
  return *p;
}

// ResultPath on a shared input: builds the output copying only what lies beside the path, not
// the part the result replaces. nullopt when the path cannot be applied (the caller then asks
// ReferencePath::Apply for AWS's message).
std::optional<json::Value> Rebuild(const json::Value& target,
                                   const std::vector<asl::ReferencePath::Step>& steps,
                                   std::size_t at, json::Value& value) {
  if (at == steps.size()) return std::move(value);
  const asl::ReferencePath::Step& step = steps[at];
  if (step.index >= 0) {
    if (!target.is_array() || std::size_t(step.index) >= target.get_array().size()) {
      return std::nullopt;
    }
    const json::Array& in = target.get_array();
    json::Array out;
    out.reserve(in.size());
    for (std::size_t i = 0; i < in.size(); ++i) {
      if (i != std::size_t(step.index)) {
        out.push_back(in[i]);
        continue;
      }
      auto inner = Rebuild(in[i], steps, at + 1, value);
      if (!inner) return std::nullopt;
      out.push_back(std::move(*inner));
    }
    return json::Value(std::move(out));
  }
  static const json::Value kNull;
  if (!target.is_object() && !target.is_null()) return std::nullopt;
  json::Object out;
  bool placed = false;
  if (target.is_object()) {
    const json::Object& in = target.get_object();
    out.reserve(in.size() + 1);
    for (const auto& kv : in) {
      if (kv.key() != step.key) {
        out.emplace(kv.key(), kv.value());
        continue;
      }
      auto inner = Rebuild(kv.value(), steps, at + 1, value);
      if (!inner) return std::nullopt;
      out.emplace(kv.key(), std::move(*inner));
      placed = true;
    }
  }
  if (!placed) {
    auto inner = Rebuild(kNull, steps, at + 1, value);
    if (!inner) return std::nullopt;
    out.emplace(step.key, std::move(*inner));
  }
  return json::Value(std::move(out));
}

// Whether `steps` can be applied to `target`: objects along the way may be missing (they are
// created), but a step may not cross a value of the wrong kind or an index out of range.
bool Applicable(const json::Value& target, const std::vector<asl::ReferencePath::Step>& steps) {
  const json::Value* node = &target;
  for (const asl::ReferencePath::Step& step : steps) {
    if (node == nullptr || node->is_null()) {
      if (step.index >= 0) return false;
      node = nullptr;
      continue;
    }
    if (step.index >= 0) {
      if (!node->is_array() || std::size_t(step.index) >= node->get_array().size()) return false;
      node = &node->get_array()[std::size_t(step.index)];
    } else {
      if (!node->is_object()) return false;
      node = json::FindMember(node->get_object(), step.key);
    }
  }
  return true;
}

// The node `steps` name in `target` when each of them exists (a member of an object or an
// element of an array), nullptr otherwise.
json::Value* ExistingNode(json::Value& target, const std::vector<asl::ReferencePath::Step>& steps) {
  json::Value* node = &target;
  for (const asl::ReferencePath::Step& step : steps) {
    if (step.index >= 0) {
      json::Array* array = node->if_array();
      if (array == nullptr || std::size_t(step.index) >= array->size()) return nullptr;
      node = &(*array)[std::size_t(step.index)];
    } else {
      json::Object* object = node->if_object();
      if (object == nullptr) return nullptr;
      node = json::FindMember(*object, step.key, step.hint);
      if (node == nullptr) return nullptr;
    }
  }
  return node;
}

// ResultPath (or a Catcher's ResultPath): `input` with `result` placed at `path`. When nothing
// else holds the input (history events keep no payloads) it is changed in place and moved out
// of `input`; otherwise only the objects along the path are copied.
asl::Outcome<Payload> PlaceResult(const asl::ReferencePath& path, Payload& input,
                                  json::Value result) {
  if (input.use_count() == 1) {
    // The common case first: every node along the path is there already (the state wrote
    // this member before, or the input has it), so one walk finds where the result goes.
    if (json::Value* node = ExistingNode(const_cast<json::Value&>(*input), path.steps())) {
      *node = std::move(result);
      return std::move(input);
    }
  }
  if (!Applicable(*input, path.steps())) {
    return tl::unexpected(path.Apply(json::Value(*input), std::move(result)).error());
  }
  if (input.use_count() == 1) {
    // Changed where it is, and handed on as the same Payload (MakePayload made it non-const).
    json::Value* node = &const_cast<json::Value&>(*input);
    for (const asl::ReferencePath::Step& step : path.steps()) {
      if (step.index >= 0) {
        node = &node->get_array()[std::size_t(step.index)];
      } else {
        if (!node->is_object()) *node = json::Object();
        node = &node->get_object()[step.key];
      }
    }
    *node = std::move(result);
    return std::move(input);
  }
  auto v = Rebuild(*input, path.steps(), 0, result);
  CHECK(v.has_value());
  return MakePayload(std::move(*v));
}

}  // namespace

Execution::Execution(std::shared_ptr<const asl::Definition> definition, ExecutionInfo info,
                     ExecutionOptions options)
    : definition_(std::move(definition)), info_(std::move(info)), options_(options) {}

Execution::~Execution() = default;

// ---------------------------------------------------------------------------------------------
// Events and context

namespace {

// Sets `slot` to the string `text`, reusing the slot's buffer when it holds a string already.
void AssignString(json::Value& slot, std::string_view text) {
  if (slot.is_string()) {
    slot.get_string().assign(text);
  } else {
    slot = text;
  }
}

// Links `e` into the chain of events of frame `f`.
HistoryEvent& Chain(Execution::Frame& f, HistoryEvent& e) {
  e.previous_event_id = f.last_event_id;
  f.last_event_id = e.id;
  return e;
}

}  // namespace

HistoryEvent& Execution::Emit(EventType type, const Environment& env, StepOutput& out) {
  HistoryEvent* event = &scratch_event_;
  if (options_.record_events) {
    event = &out.events.emplace_back();
  } else {
    // Nobody reads the scratch event; what the previous one held is let go, so that a payload
    // it pointed to is owned only by the frames again (they change it in place when alone).
    scratch_event_.payload.reset();
    if (!scratch_event_.extra.empty()) scratch_event_.extra.clear();
  }
  HistoryEvent& e = *event;
  e.id = ++last_event_id_;
  e.previous_event_id = e.id - 1;
  e.timestamp = env.now;
  e.type = type;
  return e;
}

void Execution::SetStateContext(const Frame& f, const State& s) {
  if (!definition_->reads_context) return;  // $$ was not built: nothing reads it
  // Updated in place, and the time printed once per instant: this runs for every state.
  // The strings are assigned into the ones already there, which keeps their buffers.
  json::Object& state = context_.get_object()["State"].as_object();
  AssignString(state["Name"], s.name);
  if (f.entered_time != formatted_time_ || formatted_time_text_.empty()) {
    formatted_time_ = f.entered_time;
    formatted_time_text_ = FormatIso8601(f.entered_time);
  }
  AssignString(state["EnteredTime"], formatted_time_text_);
  // AWS shows RetryCount only for the states that can retry.
  if (s.type == StateType::kTask || s.type == StateType::kParallel || s.type == StateType::kMap) {
    state["RetryCount"] = f.retry_count;
  } else {
    state.erase("RetryCount");
  }
}

asl::Scope Execution::MakeScope(const Frame& f, const json::Value& input,
                                const Environment& env) const {
  return asl::Scope{input, context_, &f.vars, &env.random};
}

std::string Execution::RuntimePrefix(const Frame& f) const {
  return "An error occurred while executing the state '" + f.current().name +
         "' (entered at the event id #" + std::to_string(f.entered_event_id) + "). ";
}

// ---------------------------------------------------------------------------------------------
// Driving

void Execution::BuildContext(const json::Value& input) {
  // Printed through the cache SetStateContext uses: the first state usually enters at this time.
  formatted_time_ = info_.start_time;
  formatted_time_text_ = FormatIso8601(info_.start_time);
  json::Object execution;
  execution["Id"] = info_.execution_arn;
  execution["Input"] = input;
  execution["StartTime"] = formatted_time_text_;
  execution["Name"] = info_.execution_name;
  execution["RoleArn"] = info_.role_arn;
  execution["RedriveCount"] = info_.redrive_count;
  json::Object machine;
  machine["Id"] = info_.state_machine_arn;
  machine["Name"] = info_.state_machine_name;
  json::Object context;
  context["Execution"] = std::move(execution);
  context["State"] = json::Object();
  context["StateMachine"] = std::move(machine);
  context_ = std::move(context);
}

void Execution::Start(json::Value input, const Environment& env, StepOutput& out) {
  CHECK(root_ == nullptr);
  Payload payload = MakePayload(std::move(input));
  // $$ is built (and kept up to date per state) only when the definition may read it; it
  // stays {} otherwise, so Map and Task states can still add and remove their members.
  context_ = json::Object();
  if (definition_->reads_context) BuildContext(*payload);

  HistoryEvent& started = Emit(EventType::kExecutionStarted, env, out);
  started.previous_event_id = 0;
  started.payload = payload;
  started.payload_member = "input";
  if (options_.record_events) started.extra["roleArn"] = info_.role_arn;

  if (definition_->timeout_seconds) {
    execution_timer_ = NextId();
    out.timers.push_back(
        {execution_timer_, env.now + std::chrono::seconds(*definition_->timeout_seconds), false});
  }

  root_ = std::make_unique<Frame>();
  root_->vars_total = &variables_bytes_;
  root_->id = next_frame_id_++;
  root_->machine = &definition_->machine;
  root_->state = definition_->machine.start_index;
  root_->input_bound = SizeBound(*payload, limits::kMaxPayloadBytes);
  root_->input = std::move(payload);
  runnable_.push_front(root_.get());
  RunLoop(env, out);
}

void Execution::RunLoop(const Environment& env, StepOutput& out) {
  while (!runnable_.empty() && status_ == ExecutionStatus::kRunning) {
    Frame* f = runnable_.front();
    runnable_.pop_front();
    RunFrame(*f, env, out);
  }
}

void Execution::RunFrame(Frame& f, const Environment& env, StepOutput& out) {
  if (f.parent != nullptr && !f.iteration_started && f.parent->current().type == StateType::kMap) {
    f.iteration_started = true;
    HistoryEvent& e = Chain(f, Emit(EventType::kMapIterationStarted, env, out));
    e.name = f.parent->current().name;
    e.index = std::int64_t(f.child_index);
  }
  while (status_ == ExecutionStatus::kRunning) {
    switch (f.phase) {
      case Frame::Phase::kEnter:
        EnterState(f, env, out);
        continue;
      case Frame::Phase::kChildrenDone:
        FinishChildren(f, env, out);
        continue;
      default:
        return;  // waiting, or done
    }
  }
}

void Execution::EnterState(Frame& f, const Environment& env, StepOutput& out) {
  const State& s = f.current();
  ++transitions_;
  f.entered_time = env.now;
  f.retry_count = 0;
  f.retrier_attempts.assign(s.retry.size(), 0);
  HistoryEvent& e = Chain(f, Emit(EnteredType(s.type), env, out));
  if (options_.record_events) e.name = s.name;  // (nobody reads the scratch event's name)
  if (options_.record_payloads) {
    e.payload = f.input;
    e.payload_member = "input";
  }
  f.entered_event_id = e.id;
  SetStateContext(f, s);

  if (s.query_language == asl::QueryLanguage::kJsonata) {
    // No InputPath: $states.input is the state's raw input.
    f.took_subtree = false;
    f.effective = f.input;
    switch (s.type) {
      case StateType::kPass:
        ExitJsonata(f, nullptr, env, out);
        return;
      case StateType::kChoice:
        ExecuteJsonataChoice(f, s, env, out);
        return;
      case StateType::kWait:
        ExecuteJsonataWait(f, s, env, out);
        return;
      case StateType::kFail:
        ExecuteJsonataFail(f, s, env, out);
        return;
      default:
        break;  // the same in both query languages, below
    }
  } else {
    // InputPath (not for Fail states, which take none).
    f.took_subtree = false;
    if (s.type == StateType::kPass && !s.has_result && !s.parameters && TakeSubtree(f, s)) {
      f.took_subtree = true;
      // The Pass state's ResultPath writes back where InputPath reads: moved, not copied.
    } else if (s.type != StateType::kFail) {
      if (!SelectPath(f, s.input_path, f.input, f.effective, env, out)) return;
    }
    switch (s.type) {
      case StateType::kPass:
        ExecutePass(f, s, env, out);
        return;
      case StateType::kChoice:
        ExecuteChoice(f, s, env, out);
        return;
      case StateType::kWait:
        ExecuteWait(f, s, env, out);
        return;
      case StateType::kFail:
        ExecuteFail(f, s, env, out);
        return;
      default:
        break;
    }
  }

  switch (s.type) {
    case StateType::kSucceed:
      ExecuteSucceed(f, s, env, out);
      return;
    case StateType::kTask:
      ScheduleTask(f, env, out);
      return;
    case StateType::kParallel:
      StartParallel(f, env, out);
      return;
    case StateType::kMap:
      StartMap(f, env, out);
      return;
    default:
      return;  // handled above
  }
}

bool Execution::TakeSubtree(Frame& f, const State& s) {
  if (!s.input_path || !s.result_path || IsRootPath(*s.input_path) ||
      s.input_path->text() != s.result_path->text() || f.input.use_count() != 1) {
    return false;
  }
  json::Value* node = &const_cast<json::Value&>(*f.input);
  for (const auto& step : s.result_path->steps()) {
    if (step.index >= 0) {
      if (!node->is_array() || std::size_t(step.index) >= node->get_array().size()) return false;
      node = &node->get_array()[std::size_t(step.index)];
    } else {
      if (!node->is_object()) return false;
      node = json::FindMember(node->get_object(), step.key);
      if (node == nullptr) return false;
    }
  }
  f.effective = MakePayload(std::move(*node));
  *node = nullptr;  // ResultPath puts the state's result here
  return true;
}

// ---------------------------------------------------------------------------------------------
// Pure states

void Execution::ExecutePass(Frame& f, const State& s, const Environment& env, StepOutput& out) {
  json::Value result;
  std::size_t result_bound = kUnknownSize;
  if (s.has_result) {
    result = s.result;
  } else if (s.parameters) {
    if (json::Value* target = ResultTarget(f, s)) {
      auto placed = s.parameters->EvaluateInto(MakeScope(f, *f.effective, env), *target);
      if (!placed) {
        FailState(f, std::move(placed.error()), env, out);
        return;
      }
      if (*placed) {
        f.effective.reset();
        ExitPlaced(f, SizeBound(*target, limits::kMaxPayloadBytes), env, out);
        return;
      }
    }
    auto v = s.parameters->Evaluate(MakeScope(f, *f.effective, env));
    if (!v) {
      FailState(f, std::move(v.error()), env, out);
      return;
    }
    result = std::move(*v);
  } else {
    // The result is (part of) the input: no larger than the input's bound.
    result = TakeValue(std::move(f.effective));
    result_bound = f.input_bound;
  }
  f.effective.reset();
  ExitWithResult(f, std::move(result), env, out, result_bound);
}

void Execution::ExecuteChoice(Frame& f, const State& s, const Environment& env, StepOutput& out) {
  const asl::Scope scope = MakeScope(f, *f.effective, env);
  const asl::ChoiceRule* matched = nullptr;
  for (const asl::ChoiceRule& rule : s.choices) {
    auto m = rule.Evaluate(scope);
    if (!m) {
      FailState(f, std::move(m.error()), env, out);
      return;
    }
    if (*m) {
      matched = &rule;
      break;
    }
  }
  int next = -1;
  json::Object assigned;
  if (matched != nullptr) {
    next = f.machine->index.at(matched->next());
    if (!matched->assign().is_null()) {
      auto tmpl = asl::PayloadTemplate::Compile(matched->assign());
      if (!tmpl) {
        FailRuntime(f, tmpl.error().message, env, out);
        return;
      }
      if (!ApplyAssign(f, s, nullptr, &*tmpl, *f.effective, assigned, env, out)) return;
    }
  } else if (s.default_index >= 0) {
    next = s.default_index;
  } else {
    FailState(f, Failure{"States.NoChoiceMatched", "No Matches!"}, env, out);
    return;
  }
  if (matched == nullptr && s.assign_template &&
      !ApplyAssign(f, s, nullptr, &*s.assign_template, *f.effective, assigned, env, out)) {
    return;
  }
  Payload output;
  if (!SelectPath(f, s.output_path, f.effective, output, env, out)) return;
  HistoryEvent& e = Chain(f, Emit(EventType::kChoiceStateExited, env, out));
  e.name = s.name;
  if (options_.record_payloads) {
    e.payload = output;
    e.payload_member = "output";
  }
  if (!assigned.empty()) {
    e.extra["assignedVariables"] = std::move(assigned);
    e.extra["assignedVariablesDetails"] = json::Object{{"truncated", false}};
  }
  f.state = next;
  f.input = std::move(output);
  f.phase = Frame::Phase::kEnter;
}

void Execution::ExecuteWait(Frame& f, const State& s, const Environment& env, StepOutput& out) {
  TimePoint fire_at = env.now;
  const asl::Scope scope = MakeScope(f, *f.effective, env);
  if (s.seconds.value) {
    fire_at += std::chrono::milliseconds(std::llround(*s.seconds.value * 1000));
  } else if (s.seconds.path) {
    auto v = s.seconds.path->Evaluate(scope);
    std::int64_t n = 0;
    if (!v || !json::AsInt64(*v, n) || n < 0) {
      FailRuntime(f,
                  "The SecondsPath parameter does not reference a valid integer value: " +
                      s.seconds.path->text(),
                  env, out);
      return;
    }
    fire_at += std::chrono::seconds(n);
  } else if (s.timestamp || s.timestamp_path) {
    std::optional<TimePoint> t;
    if (s.timestamp) {
      t = ParseIso8601(*s.timestamp);
    } else {
      auto v = s.timestamp_path->Evaluate(scope);
      if (v && v->is_string()) t = ParseIso8601(v->get_string());
      if (!t) {
        FailRuntime(f,
                    "The TimestampPath parameter does not reference a valid ISO-8601 extended "
                    "offset date-time format string: " +
                        s.timestamp_path->text(),
                    env, out);
        return;
      }
    }
    if (t) fire_at = std::max(fire_at, *t);
  }
  json::Object assigned;
  if (s.assign_template &&
      !ApplyAssign(f, s, nullptr, &*s.assign_template, *f.effective, assigned, env, out)) {
    return;
  }
  if (!assigned.empty()) f.results = json::Array{json::Value(std::move(assigned))};
  f.timer_id = NextId();
  f.phase = Frame::Phase::kWaitTimer;
  out.timers.push_back({f.timer_id, fire_at});
}

void Execution::ExecuteSucceed(Frame& f, const State& s, const Environment& env, StepOutput& out) {
  Payload output = f.effective;
  if (s.query_language == asl::QueryLanguage::kJsonata) {
    if (s.has_output) {
      auto v =
          EvaluateJsonata(f, s.output, "Output", JsonataScopeFor(f, f.input.get(), env), env, out);
      if (!v) return;
      output = MakePayload(std::move(*v));
    }
  } else if (!SelectPath(f, s.output_path, f.effective, output, env, out)) {
    return;
  }
  HistoryEvent& e = Chain(f, Emit(EventType::kSucceedStateExited, env, out));
  e.name = s.name;
  e.payload = output;
  e.payload_member = "output";
  CompleteFrame(f, std::move(output), env, out);
}

void Execution::ExecuteFail(Frame& f, const State& s, const Environment& env, StepOutput& out) {
  Failure failure;
  const asl::Scope scope = MakeScope(f, *f.input, env);
  auto read = [&](const std::optional<std::string>& literal, const std::optional<asl::Path>& path,
                  const std::optional<asl::IntrinsicCall>& call, const char* field,
                  std::string& into) -> bool {
    if (literal) {
      into = *literal;
      return true;
    }
    if (call) {
      auto v = call->Evaluate(scope, field);
      if (!v) {
        FailState(f, std::move(v.error()), env, out);
        return false;
      }
      into = v->is_string() ? std::string(v->get_string()) : json::Serialize(*v);
      return true;
    }
    if (!path) return true;
    auto v = path->Evaluate(scope);
    if (!v) {
      FailRuntime(f,
                  "The JSONPath '" + path->text() + "' specified for the field '" + field +
                      "' could not be found in the input '" + json::Serialize(*f.input) + "'",
                  env, out);
      return false;
    }
    into = v->is_string() ? std::string(v->get_string()) : json::Serialize(*v);
    return true;
  };
  if (!read(s.error, s.error_path, s.error_call, "ErrorPath", failure.error)) return;
  if (!read(s.cause, s.cause_path, s.cause_call, "CausePath", failure.cause)) return;
  failure.has_error = s.error || s.error_path || s.error_call;
  failure.has_cause = s.cause || s.cause_path || s.cause_call;
  FailFrame(f, std::move(failure), env, out);
}

// ---------------------------------------------------------------------------------------------
// Leaving a state

void Execution::ExitWithResult(Frame& f, json::Value result, const Environment& env,
                               StepOutput& out, std::size_t result_bound) {
  const State& s = f.current();
  if (s.query_language == asl::QueryLanguage::kJsonata) {
    ExitJsonata(f, &result, env, out);
    return;
  }
  if (s.result_selector && s.type != StateType::kPass) {
    auto v = s.result_selector->Evaluate(MakeScope(f, result, env));
    if (!v) {
      FailState(f, std::move(v.error()), env, out);
      return;
    }
    result = std::move(*v);
    result_bound = kUnknownSize;
  }
  json::Object assigned;
  if (s.assign_template &&
      !ApplyAssign(f, s, nullptr, &*s.assign_template, result, assigned, env, out)) {
    return;
  }
  if (result_bound == kUnknownSize) result_bound = SizeBound(result, limits::kMaxPayloadBytes);
  const bool put_back = f.took_subtree && result_bound == f.input_bound;
  // From here the input may be changed in place (or replaced) when nothing else holds it: the
  // failures left below (OutputPath matching nothing, the payload limit) are States.Runtime
  // and States.DataLimitExceeded, which no Retry or Catch handles, so nothing reads it again.
  // ResultPath
  Payload output;
  std::size_t bound = kUnknownSize;
  if (!s.result_path) {
    output = f.input;
    bound = f.input_bound;
  } else if (IsRootPath(*s.result_path)) {
    bound = result_bound;
    if (f.input.use_count() == 1) {
      // The result replaces an input nothing else holds: it takes the input's place, and
      // the Payload (MakePayload made it non-const) is handed on without a new allocation.
      const_cast<json::Value&>(*f.input) = std::move(result);
      output = std::move(f.input);
    } else {
      output = MakePayload(std::move(result));
    }
  } else if (put_back) {
    // TakeSubtree moved this node out of the input and it goes back unchanged in size.
    bound = f.input_bound;
  } else {
    std::size_t path_bytes = 0;
    for (const auto& step : s.result_path->steps()) path_bytes += step.key.size() + 8;
    bound = AddBounds(f.input_bound, AddBounds(result_bound, path_bytes));
  }
  if (s.result_path && !IsRootPath(*s.result_path)) {
    auto v = PlaceResult(*s.result_path, f.input, std::move(result));
    if (!v) {
      FailState(f, std::move(v.error()), env, out);
      return;
    }
    output = std::move(*v);
  }
  // OutputPath: a part of the output is no larger than the whole.
  if (!s.output_path) bound = 2;
  // OutputPath `$` keeps the output as it is (no copy of the Payload to select it from).
  if ((!s.output_path || !IsRootPath(*s.output_path)) &&
      !SelectPath(f, s.output_path, Payload(output), output, env, out)) {
    return;
  }
  ExitState(f, std::move(output), std::move(assigned), env, out, bound);
}

json::Value* Execution::ResultTarget(Frame& f, const State& s) {
  if (!s.result_path || s.assign_template || s.result_selector) return nullptr;
  // Nothing but the frame may hold the input (and the effective input, when InputPath is `$`
  // and it is the same value): then nobody else sees it change.
  const long holders = f.input.use_count() - (f.effective == f.input ? 1 : 0);
  if (holders != 1) return nullptr;
  return ExistingNode(const_cast<json::Value&>(*f.input), s.result_path->steps());
}

void Execution::ExitPlaced(Frame& f, std::size_t result_bound, const Environment& env,
                           StepOutput& out) {
  const State& s = f.current();
  // The bound ExitWithResult computes for a result placed at this ResultPath.
  std::size_t bound = result_bound;
  if (!IsRootPath(*s.result_path)) {
    std::size_t path_bytes = 0;
    for (const auto& step : s.result_path->steps()) path_bytes += step.key.size() + 8;
    bound = AddBounds(f.input_bound, AddBounds(result_bound, path_bytes));
  }
  Payload output = std::move(f.input);
  if (!s.output_path) bound = 2;
  // OutputPath `$` keeps the output as it is (no copy of the Payload to select it from).
  if ((!s.output_path || !IsRootPath(*s.output_path)) &&
      !SelectPath(f, s.output_path, Payload(output), output, env, out)) {
    return;
  }
  ExitState(f, std::move(output), json::Object(), env, out, bound);
}

void Execution::ExitState(Frame& f, Payload output, json::Object assigned, const Environment& env,
                          StepOutput& out, std::size_t bound) {
  const State& s = f.current();
  if (bound > limits::kMaxPayloadBytes) bound = SizeBound(*output, limits::kMaxPayloadBytes);
  if (bound > limits::kMaxPayloadBytes && ExceedsPayloadLimit(*output, limits::kMaxPayloadBytes)) {
    FailState(f,
              Failure{asl::errors::kDataLimitExceeded,
                      "The state/task '" + s.name +
                          "' returned a result with a size exceeding the maximum number of "
                          "bytes service limit."},
              env, out);
    return;
  }
  HistoryEvent& e = Chain(f, Emit(ExitedType(s.type), env, out));
  if (options_.record_events) e.name = s.name;
  if (options_.record_payloads) {
    e.payload = output;
    e.payload_member = "output";
  }
  if (!assigned.empty()) {
    e.extra["assignedVariables"] = std::move(assigned);
    e.extra["assignedVariablesDetails"] = json::Object{{"truncated", false}};
  }
  if (s.end) {
    CompleteFrame(f, std::move(output), env, out);
    return;
  }
  f.state = s.next_index;
  f.input = std::move(output);
  f.input_bound = bound;
  f.phase = Frame::Phase::kEnter;
}

bool Execution::ApplyAssign(Frame& f, const State& s, const json::Value* assign_raw,
                            const asl::PayloadTemplate* assign, const json::Value& input,
                            json::Object& assigned, const Environment& env, StepOutput& out) {
  if (assign == nullptr) return true;
  // All assignments read the values from before the state: evaluate, then bind.
  auto v = assign->Evaluate(MakeScope(f, input, env));
  if (!v) {
    FailState(f, std::move(v.error()), env, out);
    return false;
  }
  if (!v->is_object()) return true;
  return BindVariables(f, s, std::move(v->get_object()), assigned, env, out);
}

bool Execution::BindVariables(Frame& f, const State& s, json::Object values, json::Object& assigned,
                              const Environment& env, StepOutput& out) {
  std::size_t total = 0;
  // The execution's total after this assignment: each variable replaces the frame's own
  // variable of that name (if any); a variable of an enclosing scope is shadowed, not replaced.
  CHECK(f.vars_total != nullptr);
  std::size_t execution_total = *f.vars_total;
  for (auto& kv : values) {
    std::string text = json::Serialize(kv.value());
    if (text.size() > limits::kMaxVariableBytes) {
      FailState(f,
                Failure{asl::errors::kDataLimitExceeded,
                        "The variable '" + std::string(kv.key()) +
                            "' has exceeded the maximum size limit of 262144 bytes."},
                env, out);
      return false;
    }
    total += text.size();
    if (auto it = f.var_sizes.find(std::string(kv.key())); it != f.var_sizes.end()) {
      execution_total -= it->second;
    }
    execution_total += text.size();
    assigned[kv.key()] = std::move(text);
  }
  if (total > limits::kMaxVariableBytes) {
    FailState(f,
              Failure{asl::errors::kDataLimitExceeded,
                      "The assignment in state '" + s.name +
                          "' has exceeded the maximum size limit of 262144 bytes."},
              env, out);
    return false;
  }
  if (execution_total > limits::kMaxVariablesPerExecutionBytes) {
    FailState(f, Failure{asl::errors::kDataLimitExceeded, VariablesLimitCause(s.name)}, env, out);
    return false;
  }
  for (auto& kv : values) {
    const std::size_t size = assigned.at(kv.key()).get_string().size();
    auto [it, inserted] = f.var_sizes.try_emplace(std::string(kv.key()), size);
    if (!inserted) {
      f.vars_bytes -= it->second;
      it->second = size;
    }
    f.vars_bytes += size;
    f.vars.values[kv.key()] = std::move(kv.value());
  }
  *f.vars_total = execution_total;
  return true;
}

// ---------------------------------------------------------------------------------------------
// Failures: Retry, Catch, or the frame fails

bool Execution::SelectPath(Frame& f, const std::optional<asl::Path>& path, const Payload& from,
                           Payload& into, const Environment& env, StepOutput& out) {
  if (!path) {
    into = MakePayload(json::Object());
    return true;
  }
  if (IsRootPath(*path)) {
    into = from;
    return true;
  }
  auto v = path->Evaluate(MakeScope(f, *from, env));
  if (!v) {
    FailRuntime(f,
                "Invalid path '" + path->text() + "' : No results for path: " + path->Canonical(),
                env, out);
    return false;
  }
  into = MakePayload(std::move(*v));
  return true;
}

void Execution::FailRuntime(Frame& f, const std::string& cause, const Environment& env,
                            StepOutput& out) {
  FailState(f, Failure{asl::errors::kRuntime, RuntimePrefix(f) + cause}, env, out);
}

void Execution::FailState(Frame& f, Failure failure, const Environment& env, StepOutput& out) {
  const State& s = f.current();
  if (failure.error == asl::errors::kRuntime || failure.error == asl::errors::kIntrinsicFailure ||
      failure.error == asl::errors::kQueryEvaluationError) {
    if (failure.cause.rfind("An error occurred while executing the state", 0) != 0) {
      failure.cause = RuntimePrefix(f) + failure.cause;
    }
  }
  // Retry: the first retrier whose ErrorEquals matches decides.
  for (std::size_t i = 0; i < s.retry.size(); ++i) {
    const asl::Retrier& r = s.retry[i];
    if (!ErrorMatches(r.error_equals, failure.error)) continue;
    if (f.retrier_attempts[i] >= r.max_attempts) break;
    std::int64_t delay = RetryDelayMillis(r, f.retrier_attempts[i], env.random.NextDouble());
    ++f.retrier_attempts[i];
    ++f.retry_count;
    f.timer_id = NextId();
    f.phase = Frame::Phase::kWaitRetry;
    out.timers.push_back({f.timer_id, env.now + std::chrono::milliseconds(delay)});
    return;
  }
  // Catch: the first catcher whose ErrorEquals matches.
  for (const asl::Catcher& c : s.catchers) {
    if (!ErrorMatches(c.error_equals, failure.error)) continue;
    json::Value error_output = ErrorOutput(failure);
    json::Object assigned;
    if (s.query_language == asl::QueryLanguage::kJsonata) {
      std::optional<Payload> caught = JsonataCatchOutput(f, c, error_output, assigned, env, out);
      if (!caught) return;
      HistoryEvent& e = Chain(f, Emit(ExitedType(s.type), env, out));
      e.name = s.name;
      e.payload = *caught;
      e.payload_member = "output";
      if (!assigned.empty()) {
        e.extra["assignedVariables"] = std::move(assigned);
        e.extra["assignedVariablesDetails"] = json::Object{{"truncated", false}};
      }
      f.state = c.next_index;
      f.input = std::move(*caught);
      f.input_bound = kUnknownSize;
      f.phase = Frame::Phase::kEnter;
      return;
    }
    if (!c.assign.is_null()) {
      auto tmpl = asl::PayloadTemplate::Compile(c.assign);
      if (tmpl && !ApplyAssign(f, s, nullptr, &*tmpl, error_output, assigned, env, out)) return;
    }
    Payload output;
    if (!c.result_path) {
      output = f.input;
    } else if (IsRootPath(*c.result_path)) {
      output = MakePayload(std::move(error_output));
    } else {
      auto v = PlaceResult(*c.result_path, f.input, std::move(error_output));
      if (!v) {
        FailRuntime(f, v.error().cause, env, out);
        return;
      }
      output = std::move(*v);
    }
    HistoryEvent& e = Chain(f, Emit(ExitedType(s.type), env, out));
    e.name = s.name;
    e.payload = output;
    e.payload_member = "output";
    if (!assigned.empty()) {
      e.extra["assignedVariables"] = std::move(assigned);
      e.extra["assignedVariablesDetails"] = json::Object{{"truncated", false}};
    }
    f.state = c.next_index;
    f.input = std::move(output);
    f.input_bound = kUnknownSize;
    f.phase = Frame::Phase::kEnter;
    return;
  }
  FailFrame(f, std::move(failure), env, out);
}

// ---------------------------------------------------------------------------------------------
// Frames finishing

void Execution::CompleteFrame(Frame& f, Payload output, const Environment& env, StepOutput& out) {
  f.phase = Frame::Phase::kDone;
  Frame* parent = f.parent;
  if (parent == nullptr) {
    output_ = std::move(output);
    HistoryEvent& e = Chain(f, Emit(EventType::kExecutionSucceeded, env, out));
    e.payload = output_;
    e.payload_member = "output";
    EndExecution(ExecutionStatus::kSucceeded, EventType::kExecutionSucceeded, env, out);
    return;
  }
  if (parent->phase != Frame::Phase::kWaitChildren) return;  // parent already failing
  const State& ps = parent->current();
  parent->results[f.child_index] = TakeValue(std::move(output));  // moved when not shared
  ++parent->completed;
  --parent->running;
  if (ps.type == StateType::kMap) {
    HistoryEvent& e = Chain(f, Emit(EventType::kMapIterationSucceeded, env, out));
    e.name = ps.name;
    e.index = std::int64_t(f.child_index);
    LaunchIterations(*parent, env, out);
  }
  if (parent->completed == parent->children.size() && parent->next_item >= parent->items.size()) {
    parent->phase = Frame::Phase::kChildrenDone;
    runnable_.push_front(parent);
  }
}

void Execution::FailFrame(Frame& f, Failure failure, const Environment& env, StepOutput& out) {
  f.phase = Frame::Phase::kDone;
  Frame* parent = f.parent;
  if (parent == nullptr) {
    has_error_ = failure.has_error;
    has_cause_ = failure.has_cause;
    error_ = std::move(failure.error);
    cause_ = std::move(failure.cause);
    HistoryEvent& e = Chain(f, Emit(EventType::kExecutionFailed, env, out));
    if (has_error_) {
      e.has_error = true;
      e.error = error_;
    }
    if (has_cause_) {
      e.has_cause = true;
      e.cause = cause_;
    }
    EndExecution(ExecutionStatus::kFailed, EventType::kExecutionFailed, env, out);
    return;
  }
  if (parent->phase != Frame::Phase::kWaitChildren) return;
  const State& ps = parent->current();
  --parent->running;
  ++parent->failed;
  if (ps.type == StateType::kMap) {
    HistoryEvent& e = Chain(f, Emit(EventType::kMapIterationFailed, env, out));
    e.name = ps.name;
    e.index = std::int64_t(f.child_index);
    // Tolerated failures: the iteration's error output takes its place in the results.
    const std::size_t total = parent->items.size();
    bool tolerated = false;
    if (parent->tolerated_count && double(parent->failed) <= *parent->tolerated_count) {
      tolerated = true;
    }
    if (parent->tolerated_percentage && total > 0 &&
        100.0 * double(parent->failed) / double(total) <= *parent->tolerated_percentage) {
      tolerated = true;
    }
    if (tolerated) {
      parent->results[f.child_index] = ErrorOutput(failure);
      ++parent->completed;
      LaunchIterations(*parent, env, out);
      if (parent->completed == parent->children.size() &&
          parent->next_item >= parent->items.size()) {
        parent->phase = Frame::Phase::kChildrenDone;
        runnable_.push_front(parent);
      }
      return;
    }
    if (ps.tolerated_failure_count.is_set() || ps.tolerated_failure_percentage.is_set()) {
      failure = Failure{asl::errors::kExceedToleratedFailureThreshold,
                        "The specified tolerated failure threshold was exceeded"};
    }
  }
  parent->child_failure = std::move(failure);
  parent->phase = Frame::Phase::kChildrenDone;
  runnable_.push_front(parent);
}

void Execution::AbortFrame(Frame& f, const Environment& env, StepOutput& out, bool emit_events) {
  if (f.phase == Frame::Phase::kDone) return;
  const Frame::Phase phase = f.phase;
  f.phase = Frame::Phase::kDone;
  if (f.state < 0) return;
  const State& s = f.current();
  switch (phase) {
    case Frame::Phase::kWaitTask:
      out.cancelled_tasks.push_back(f.task_id);
      if (f.timeout_timer) out.cancelled_timers.push_back(f.timeout_timer);
      if (emit_events) Chain(f, Emit(EventType::kTaskStateAborted, env, out)).name = s.name;
      break;
    case Frame::Phase::kWaitTimer:
      out.cancelled_timers.push_back(f.timer_id);
      if (emit_events) Chain(f, Emit(EventType::kWaitStateAborted, env, out)).name = s.name;
      break;
    case Frame::Phase::kWaitRetry:
      out.cancelled_timers.push_back(f.timer_id);
      break;
    case Frame::Phase::kWaitChildren:
    case Frame::Phase::kChildrenDone:
      for (auto& child : f.children) {
        if (child) AbortFrame(*child, env, out, emit_events);
      }
      if (emit_events) {
        Chain(f, Emit(s.type == StateType::kMap ? EventType::kMapStateAborted
                                                : EventType::kParallelStateAborted,
                      env, out));
      }
      break;
    default:
      break;
  }
  if (emit_events && f.parent != nullptr && f.iteration_started &&
      f.parent->current().type == StateType::kMap) {
    HistoryEvent& e = Chain(f, Emit(EventType::kMapIterationAborted, env, out));
    e.name = f.parent->current().name;
    e.index = std::int64_t(f.child_index);
  }
}

void Execution::EndExecution(ExecutionStatus status, EventType type, const Environment& env,
                             StepOutput& out) {
  status_ = status;
  if (execution_timer_) out.cancelled_timers.push_back(execution_timer_);
  if (root_) AbortFrame(*root_, env, out, /*emit_events=*/false);
  runnable_.clear();
}

// ---------------------------------------------------------------------------------------------
// Parallel and Map

void Execution::StartParallel(Frame& f, const Environment& env, StepOutput& out) {
  const State& s = f.current();
  Payload branch_input = f.effective;
  if (s.query_language == asl::QueryLanguage::kJsonata && s.has_arguments) {
    auto v = EvaluateJsonata(f, s.arguments, "Arguments", JsonataScopeFor(f, f.input.get(), env),
                             env, out, /*state_failed=*/true);
    if (!v) return;
    branch_input = MakePayload(std::move(*v));
  } else if (s.parameters) {
    auto v = s.parameters->Evaluate(MakeScope(f, *f.effective, env));
    if (!v) {
      FailState(f, std::move(v.error()), env, out);
      return;
    }
    branch_input = MakePayload(std::move(*v));
  }
  Chain(f, Emit(EventType::kParallelStateStarted, env, out));
  f.children.clear();
  f.results = json::Array(s.branches.size());
  f.items.clear();
  f.next_item = 0;
  f.completed = f.failed = 0;
  f.running = s.branches.size();
  f.child_failure.reset();
  f.phase = Frame::Phase::kWaitChildren;
  for (std::size_t i = 0; i < s.branches.size(); ++i) {
    auto child = std::make_unique<Frame>();
    child->id = next_frame_id_++;
    child->last_event_id = f.last_event_id;
    child->parent = &f;
    child->child_index = i;
    child->machine = s.branches[i].get();
    child->state = child->machine->start_index;
    child->input = branch_input;
    child->vars.parent = &f.vars;
    child->vars_total = f.vars_total;
    f.children.push_back(std::move(child));
  }
  if (s.branches.empty()) {
    f.phase = Frame::Phase::kChildrenDone;
    runnable_.push_front(&f);
    return;
  }
  for (std::size_t i = f.children.size(); i-- > 0;) runnable_.push_front(f.children[i].get());
}

void Execution::StartMap(Frame& f, const Environment& env, StepOutput& out) {
  const State& s = f.current();
  const asl::Scope scope = MakeScope(f, *f.effective, env);
  json::Value items_value;
  std::int64_t max_concurrency = 0;
  f.tolerated_count = s.tolerated_failure_count.value;
  f.tolerated_percentage = s.tolerated_failure_percentage.value;
  if (s.query_language == asl::QueryLanguage::kJsonata) {
    if (!StartJsonataMap(f, s, items_value, max_concurrency, env, out)) return;
  } else if (s.items_path && !IsRootPath(*s.items_path)) {
    auto v = s.items_path->Evaluate(scope);
    if (!v) {
      FailRuntime(f,
                  "Invalid path '" + s.items_path->text() +
                      "' : No results for path: " + s.items_path->Canonical(),
                  env, out);
      return;
    }
    items_value = std::move(*v);
  } else {
    items_value = *f.effective;
  }
  if (s.query_language == asl::QueryLanguage::kJsonata) {
    // Items, MaxConcurrency and ToleratedFailure* were evaluated above.
  } else if (!items_value.is_array()) {
    FailRuntime(
        f,
        "Invalid path '" + (s.items_path ? s.items_path->text() : std::string("$")) +
            "' : The ItemsPath value must be an array, but was: " + json::Serialize(items_value),
        env, out);
    return;
  } else if (s.max_concurrency.value) {
    max_concurrency = std::int64_t(*s.max_concurrency.value);
  } else if (s.max_concurrency.path) {
    auto v = s.max_concurrency.path->Evaluate(scope);
    std::optional<std::int64_t> n;
    if (v) n = IntegerOf(*v);
    if (!n || *n < 0) {
      std::string shown = v ? json::Serialize(*v) : std::string("null");
      if (v && v->is_string()) shown = std::string(v->get_string());
      shown = "\"" + shown + "\"";
      FailRuntime(f,
                  "The MaxConcurrencyPath field refers to value " + shown +
                      " which is not a valid integer: " + s.max_concurrency.path->text(),
                  env, out);
      return;
    }
    max_concurrency = *n;
  }
  f.items = std::move(items_value.get_array());
  f.max_concurrency = max_concurrency;
  f.children.clear();
  f.children.resize(f.items.size());
  f.results = json::Array(f.items.size());
  f.next_item = 0;
  f.completed = f.failed = f.running = 0;
  f.child_failure.reset();
  f.phase = Frame::Phase::kWaitChildren;
  HistoryEvent& started = Chain(f, Emit(EventType::kMapStateStarted, env, out));
  started.index = std::int64_t(f.items.size());
  if (f.items.empty()) {
    f.phase = Frame::Phase::kChildrenDone;
    runnable_.push_front(&f);
    return;
  }
  LaunchIterations(f, env, out);
}

void Execution::LaunchIterations(Frame& f, const Environment& env, StepOutput& out) {
  const State& s = f.current();
  std::vector<Frame*> launched;
  while (f.next_item < f.items.size() &&
         (f.max_concurrency == 0 || std::int64_t(f.running) < f.max_concurrency)) {
    const std::size_t i = f.next_item++;
    json::Value input;
    if (s.query_language == asl::QueryLanguage::kJsonata && !s.item_selector_raw.is_null()) {
      json::Object map_context;
      map_context["Item"] = json::Object{{"Index", std::int64_t(i)}, {"Value", f.items[i]}};
      context_.get_object()["Map"] = std::move(map_context);
      auto v =
          asl::EvaluateJsonataTemplate(s.item_selector_raw, "ItemSelector", definition_->jsonata,
                                       JsonataScopeFor(f, f.effective.get(), env));
      context_.get_object().erase("Map");
      if (!v) {
        const std::string cause = RuntimePrefix(f) + v.error().cause;
        HistoryEvent& e = Chain(f, Emit(EventType::kEvaluationFailed, env, out));
        e.has_error = e.has_cause = true;
        e.error = asl::errors::kQueryEvaluationError;
        e.cause = cause;
        if (!v.error().location.empty()) e.extra["location"] = v.error().location;
        e.extra["state"] = s.name;
        f.child_failure = Failure{asl::errors::kQueryEvaluationError, cause};
        f.phase = Frame::Phase::kChildrenDone;
        runnable_.push_front(&f);
        return;
      }
      input = std::move(*v);
    } else if (s.item_selector) {
      json::Object map_context;
      map_context["Item"] = json::Object{{"Index", std::int64_t(i)}, {"Value", f.items[i]}};
      context_.get_object()["Map"] = std::move(map_context);
      auto v = s.item_selector->Evaluate(MakeScope(f, *f.effective, env));
      context_.get_object().erase("Map");
      if (!v) {
        f.child_failure = std::move(v.error());
        if (f.child_failure->error == asl::errors::kRuntime) {
          f.child_failure->cause = RuntimePrefix(f) + f.child_failure->cause;
        }
        f.phase = Frame::Phase::kChildrenDone;
        runnable_.push_front(&f);
        return;
      }
      input = std::move(*v);
    } else {
      input = std::move(f.items[i]);  // read by nothing else once its iteration starts
    }
    auto child = std::make_unique<Frame>();
    child->id = next_frame_id_++;
    child->last_event_id = f.last_event_id;
    child->parent = &f;
    child->child_index = i;
    child->machine = s.item_processor.machine.get();
    child->state = child->machine->start_index;
    child->input = MakePayload(std::move(input));
    if (s.item_processor.mode == asl::ItemProcessor::Mode::kInline) {
      child->vars.parent = &f.vars;
      child->vars_total = f.vars_total;
    } else {
      child->vars_total = &child->own_vars_total;
    }
    launched.push_back(child.get());
    f.children[i] = std::move(child);
    ++f.running;
  }
  for (std::size_t k = launched.size(); k-- > 0;) runnable_.push_front(launched[k]);
}

void Execution::FinishChildren(Frame& f, const Environment& env, StepOutput& out) {
  const State& s = f.current();
  const bool is_map = s.type == StateType::kMap;
  if (f.child_failure) {
    for (auto& child : f.children) {
      if (child) AbortFrame(*child, env, out, /*emit_events=*/true);
    }
    f.children.clear();
    Chain(f, Emit(is_map ? EventType::kMapStateFailed : EventType::kParallelStateFailed, env, out));
    Failure failure = std::move(*f.child_failure);
    f.child_failure.reset();
    f.phase = Frame::Phase::kEnter;              // FailState sets the next phase
    FailState(f, std::move(failure), env, out);  // retried, caught, or the frame fails
    return;
  }
  f.children.clear();
  if (is_map) Chain(f, Emit(EventType::kMapStateSucceeded, env, out));
  json::Value results = std::move(f.results);
  f.results = json::Array();
  f.items = json::Array();
  // Without retriers nothing starts this state again from its effective input; letting it go
  // leaves the input to ResultPath alone, to change in place rather than copy.
  if (s.retry.empty()) f.effective.reset();
  ExitWithResult(f, std::move(results), env, out);
}

// ---------------------------------------------------------------------------------------------
// Tasks

bool Execution::TaskTakesInput(const Frame& f, const State& s) {
  // The input goes to the task (moved, not copied) when nothing reads it again: it is the
  // effective input unchanged and held by this frame alone, no retrier starts the task again
  // from it, and every way out (ResultPath, each Catch) replaces it whole.
  if (f.effective.get() != f.input.get() || f.input.use_count() != 2 || !s.retry.empty() ||
      s.assign_template || !s.result_path || !IsRootPath(*s.result_path)) {
    return false;
  }
  for (const auto& c : s.catchers) {
    if (!c.result_path || !IsRootPath(*c.result_path) || !c.assign.is_null()) return false;
  }
  return true;
}

void Execution::ScheduleTask(Frame& f, const Environment& env, StepOutput& out) {
  const State& s = f.current();
  if (!f.resource || f.resource->arn != s.resource) {
    f.resource = std::make_shared<const Resource>(ParseResource(s.resource));
  }
  TaskCommand task;
  task.task_id = NextId();
  task.state_name = s.name;
  task.resource = f.resource;
  task.retry_count = f.retry_count;
  task.token = env.tokens.Mint(task.task_id);
  task.credentials = s.credentials;
  const asl::Scope scope = MakeScope(f, *f.effective, env);
  if (s.query_language == asl::QueryLanguage::kJsonata) {
    json::Object task_context;
    task_context["Token"] = task.token;
    context_.get_object()["Task"] = std::move(task_context);
    const asl::JsonataScope jsonata_scope = JsonataScopeFor(f, f.input.get(), env);
    std::optional<json::Value> arguments =
        s.has_arguments ? EvaluateJsonata(f, s.arguments, "Arguments", jsonata_scope, env, out)
                        : std::optional<json::Value>(*f.input);
    std::optional<json::Value> credentials;
    if (arguments && !s.credentials.is_null()) {
      credentials = EvaluateJsonata(f, s.credentials, "Credentials", jsonata_scope, env, out);
    }
    bool failed = !arguments || (!s.credentials.is_null() && !credentials);
    std::optional<double> timeout, heartbeat;
    if (!failed) {
      timeout = JsonataNumber(f, s.timeout_seconds, "TimeoutSeconds", true, 1, jsonata_scope, env,
                              out, failed);
    }
    if (!failed) {
      heartbeat = JsonataNumber(f, s.heartbeat_seconds, "HeartbeatSeconds", true, 1, jsonata_scope,
                                env, out, failed);
    }
    context_.get_object().erase("Task");
    if (failed) return;
    task.input = std::move(*arguments);
    if (credentials) task.credentials = std::move(*credentials);
    if (timeout) task.timeout_seconds = std::int64_t(*timeout);
    if (heartbeat) task.heartbeat_seconds = std::int64_t(*heartbeat);
  } else if (s.parameters) {
    json::Object task_context;
    task_context["Token"] = task.token;
    context_.get_object()["Task"] = std::move(task_context);
    auto v = s.parameters->Evaluate(scope);
    context_.get_object().erase("Task");
    if (!v) {
      FailState(f, std::move(v.error()), env, out);
      return;
    }
    task.input = std::move(*v);
  }
  auto seconds_of = [&](const asl::NumberField& field, const char* name,
                        std::optional<std::int64_t>& into) -> bool {
    if (field.value) {
      into = std::int64_t(*field.value);
    } else if (field.path) {
      auto v = field.path->Evaluate(scope);
      std::int64_t n = 0;
      if (!v || !json::AsInt64(*v, n) || n <= 0) {
        FailRuntime(
            f,
            std::string("The ") + name +
                " parameter does not reference a valid integer value: " + field.path->text(),
            env, out);
        return false;
      }
      into = n;
    }
    return true;
  };
  if (s.query_language != asl::QueryLanguage::kJsonata &&
      (!seconds_of(s.timeout_seconds, "TimeoutSecondsPath", task.timeout_seconds) ||
       !seconds_of(s.heartbeat_seconds, "HeartbeatSecondsPath", task.heartbeat_seconds))) {
    return;
  }
  if (s.query_language != asl::QueryLanguage::kJsonata && !s.parameters) {
    if (TaskTakesInput(f, s)) {
      task.input = std::move(const_cast<json::Value&>(*f.input));
    } else {
      task.input = *f.effective;
    }
  }
  if (!task.timeout_seconds && f.resource->kind == ResourceKind::kActivity) {
    task.timeout_seconds = limits::kMaxTimeoutSeconds;
  }

  const TaskEvents types = TaskEventsFor(f.resource->kind);
  HistoryEvent& e = Chain(f, Emit(types.scheduled, env, out));
  Payload parameters = options_.record_payloads ? MakePayload(task.input) : nullptr;
  // The event's details are built only when someone keeps the event.
  if (options_.record_events) {
    switch (f.resource->kind) {
      case ResourceKind::kActivity:
      case ResourceKind::kLambdaFunction:
        e.resource = f.resource->arn;
        e.payload = std::move(parameters);
        e.payload_member = "input";
        break;
      default:
        e.resource_type = f.resource->EventResourceType();
        e.resource = f.resource->EventResource();
        e.extra["region"] = f.resource->region.empty() ? "us-east-1" : f.resource->region;
        e.payload = std::move(parameters);
        e.payload_member = "parameters";
        break;
    }
    if (task.timeout_seconds) e.extra["timeoutInSeconds"] = *task.timeout_seconds;
    if (task.heartbeat_seconds) e.extra["heartbeatInSeconds"] = *task.heartbeat_seconds;
  }

  f.task_id = task.task_id;
  f.task_started = false;
  f.timeout_timer = 0;
  if (task.timeout_seconds && f.resource->kind != ResourceKind::kActivity) {
    f.timeout_timer = NextId();
    out.timers.push_back(
        {f.timeout_timer, env.now + std::chrono::seconds(*task.timeout_seconds), false});
  } else if (task.timeout_seconds && s.timeout_seconds.is_set()) {
    f.timeout_timer = NextId();
    out.timers.push_back(
        {f.timeout_timer, env.now + std::chrono::seconds(*task.timeout_seconds), false});
  }
  f.phase = Frame::Phase::kWaitTask;
  out.tasks.push_back(std::move(task));
}

Execution::Frame* Execution::FindTaskFrame(std::int64_t task_id) const {
  if (!root_ || status_ != ExecutionStatus::kRunning) return nullptr;
  // Most tasks belong to the top-level machine: no search needed.
  if (root_->phase == Frame::Phase::kWaitTask) {
    return root_->task_id == task_id ? root_.get() : nullptr;
  }
  std::vector<Frame*> stack{root_.get()};
  while (!stack.empty()) {
    Frame* f = stack.back();
    stack.pop_back();
    if (f->phase == Frame::Phase::kWaitTask && f->task_id == task_id) return f;
    if (f->phase == Frame::Phase::kWaitChildren) {
      for (auto& c : f->children) {
        if (c) stack.push_back(c.get());
      }
    }
  }
  return nullptr;
}

Execution::Frame* Execution::FindTimerFrame(std::int64_t timer_id) const {
  if (!root_ || status_ != ExecutionStatus::kRunning) return nullptr;
  std::vector<Frame*> stack{root_.get()};
  while (!stack.empty()) {
    Frame* f = stack.back();
    stack.pop_back();
    if ((f->phase == Frame::Phase::kWaitTimer || f->phase == Frame::Phase::kWaitRetry) &&
        f->timer_id == timer_id) {
      return f;
    }
    if (f->phase == Frame::Phase::kWaitTask && f->timeout_timer == timer_id) return f;
    if (f->phase == Frame::Phase::kWaitChildren) {
      for (auto& c : f->children) {
        if (c) stack.push_back(c.get());
      }
    }
  }
  return nullptr;
}

bool Execution::IsTaskOpen(std::int64_t task_id) const { return FindTaskFrame(task_id) != nullptr; }

void Execution::TaskStarted(std::int64_t task_id, std::string_view worker_name,
                            const Environment& env, StepOutput& out) {
  Frame* f = FindTaskFrame(task_id);
  if (f == nullptr || f->task_started) return;
  f->task_started = true;
  const TaskEvents types = TaskEventsFor(f->resource->kind);
  HistoryEvent& e = Chain(*f, Emit(types.started, env, out));
  if (f->resource->kind == ResourceKind::kActivity) {
    if (!worker_name.empty()) e.extra["workerName"] = worker_name;
  } else if (f->resource->kind == ResourceKind::kService) {
    e.resource_type = f->resource->EventResourceType();
    e.resource = f->resource->EventResource();
  }
}

bool Execution::TaskSubmitted(std::int64_t task_id, json::Value response, const Environment& env,
                              StepOutput& out) {
  Frame* f = FindTaskFrame(task_id);
  if (f == nullptr) return false;
  if (!f->task_started) TaskStarted(task_id, "", env, out);
  HistoryEvent& e = Chain(*f, Emit(EventType::kTaskSubmitted, env, out));
  e.resource_type = f->resource->EventResourceType();
  e.resource = f->resource->EventResource();
  e.payload = MakePayload(std::move(response));
  e.payload_member = "output";
  return true;
}

bool Execution::TaskSucceeded(std::int64_t task_id, json::Value output, const Environment& env,
                              StepOutput& out) {
  Frame* f = FindTaskFrame(task_id);
  if (f == nullptr) return false;
  if (!f->task_started) TaskStarted(task_id, "", env, out);
  if (f->timeout_timer) out.cancelled_timers.push_back(f->timeout_timer);
  f->timeout_timer = 0;
  const TaskEvents types = TaskEventsFor(f->resource->kind);
  HistoryEvent& e = Chain(*f, Emit(types.succeeded, env, out));
  if (options_.record_events && f->resource->kind == ResourceKind::kService) {
    e.resource_type = f->resource->EventResourceType();
    e.resource = f->resource->EventResource();
  }
  f->phase = Frame::Phase::kEnter;  // ExitWithResult moves it on
  if (options_.record_payloads) {
    Payload result = MakePayload(std::move(output));
    e.payload = result;
    e.payload_member = "output";
    FinishTask(*f, json::Value(*result), env, out);
  } else {
    FinishTask(*f, std::move(output), env, out);
  }
  runnable_.push_front(f);
  RunLoop(env, out);
  return true;
}

void Execution::FinishTask(Frame& f, json::Value result, const Environment& env, StepOutput& out) {
  // Measured once: the bound also serves ExitWithResult, which would measure it again.
  const std::size_t bound = SizeBound(result, limits::kMaxPayloadBytes);
  if (bound > limits::kMaxPayloadBytes && ExceedsPayloadLimit(result, limits::kMaxPayloadBytes)) {
    FailState(f,
              Failure{asl::errors::kDataLimitExceeded,
                      "The state/task '" + f.current().name +
                          "' returned a result with a size exceeding the maximum number of "
                          "bytes service limit."},
              env, out);
    return;
  }
  if (f.current().retry.empty()) f.effective.reset();  // as in FinishChildren
  ExitWithResult(f, std::move(result), env, out,
                 bound <= limits::kMaxPayloadBytes ? bound : kUnknownSize);
}

bool Execution::TaskFailed(std::int64_t task_id, std::string error, std::string cause,
                           const Environment& env, StepOutput& out) {
  Frame* f = FindTaskFrame(task_id);
  if (f == nullptr) return false;
  if (!f->task_started) TaskStarted(task_id, "", env, out);
  if (f->timeout_timer) out.cancelled_timers.push_back(f->timeout_timer);
  f->timeout_timer = 0;
  const TaskEvents types = TaskEventsFor(f->resource->kind);
  HistoryEvent& e = Chain(*f, Emit(types.failed, env, out));
  if (f->resource->kind == ResourceKind::kService) {
    e.resource_type = f->resource->EventResourceType();
    e.resource = f->resource->EventResource();
  }
  e.has_error = e.has_cause = true;
  e.error = error;
  e.cause = cause;
  f->phase = Frame::Phase::kEnter;
  FailState(*f, Failure{std::move(error), std::move(cause)}, env, out);
  runnable_.push_front(f);
  RunLoop(env, out);
  return true;
}

bool Execution::TaskTimedOut(std::int64_t task_id, std::string error, std::string cause,
                             const Environment& env, StepOutput& out) {
  Frame* f = FindTaskFrame(task_id);
  if (f == nullptr) return false;
  if (f->timeout_timer) out.cancelled_timers.push_back(f->timeout_timer);
  f->timeout_timer = 0;
  out.cancelled_tasks.push_back(task_id);
  const TaskEvents types = TaskEventsFor(f->resource->kind);
  HistoryEvent& e = Chain(*f, Emit(types.timed_out, env, out));
  if (f->resource->kind == ResourceKind::kService) {
    e.resource_type = f->resource->EventResourceType();
    e.resource = f->resource->EventResource();
  }
  e.has_error = true;
  e.error = error;
  if (!cause.empty()) {
    e.has_cause = true;
    e.cause = cause;
  }
  f->phase = Frame::Phase::kEnter;
  FailState(*f, Failure{std::move(error), std::move(cause)}, env, out);
  runnable_.push_front(f);
  RunLoop(env, out);
  return true;
}

void Execution::TimerFired(std::int64_t timer_id, const Environment& env, StepOutput& out) {
  if (status_ != ExecutionStatus::kRunning) return;
  if (timer_id == execution_timer_) {
    execution_timer_ = 0;
    error_ = "States.Timeout";
    has_error_ = true;
    HistoryEvent& e = Emit(EventType::kExecutionTimedOut, env, out);
    e.has_error = true;
    e.error = error_;
    EndExecution(ExecutionStatus::kTimedOut, EventType::kExecutionTimedOut, env, out);
    return;
  }
  Frame* f = FindTimerFrame(timer_id);
  if (f == nullptr) return;
  const State& s = f->current();
  switch (f->phase) {
    case Frame::Phase::kWaitTask:  // TimeoutSeconds ran out
      f->timeout_timer = 0;
      TaskTimedOut(f->task_id, asl::errors::kTimeout, "", env, out);
      return;
    case Frame::Phase::kWaitTimer: {
      if (s.query_language == asl::QueryLanguage::kJsonata) {
        f->phase = Frame::Phase::kEnter;
        ExitJsonata(*f, nullptr, env, out);
        break;
      }
      Payload output;
      f->phase = Frame::Phase::kEnter;  // SelectPath may fail the state, which moves it on
      if (!SelectPath(*f, s.output_path, f->effective, output, env, out)) {
        runnable_.push_front(f);
        RunLoop(env, out);
        return;
      }
      json::Object assigned;
      if (!f->results.empty() && f->results[0].is_object()) {
        assigned = std::move(f->results[0].get_object());
        f->results.clear();
      }
      ExitState(*f, std::move(output), std::move(assigned), env, out);
      break;
    }
    case Frame::Phase::kWaitRetry:
      f->phase = Frame::Phase::kEnter;
      SetStateContext(*f, s);
      if (s.type == StateType::kTask) {
        ScheduleTask(*f, env, out);
      } else if (s.type == StateType::kParallel) {
        StartParallel(*f, env, out);
      } else if (s.type == StateType::kMap) {
        StartMap(*f, env, out);
      }
      break;
    default:
      return;
  }
  if (f->phase == Frame::Phase::kEnter || f->phase == Frame::Phase::kChildrenDone) {
    runnable_.push_front(f);
  }
  RunLoop(env, out);
}

void Execution::Stop(std::string error, std::string cause, const Environment& env,
                     StepOutput& out) {
  if (status_ != ExecutionStatus::kRunning) return;
  error_ = std::move(error);
  cause_ = std::move(cause);
  has_error_ = !error_.empty();
  has_cause_ = !cause_.empty();
  HistoryEvent& e = Emit(EventType::kExecutionAborted, env, out);
  if (has_error_) {
    e.has_error = true;
    e.error = error_;
  }
  if (has_cause_) {
    e.has_cause = true;
    e.cause = cause_;
  }
  EndExecution(ExecutionStatus::kAborted, EventType::kExecutionAborted, env, out);
}

// ---------------------------------------------------------------------------------------------
// JSONata mode
//
// A JSONata state has no InputPath, Parameters, ResultSelector, ResultPath or OutputPath: its
// Arguments (Task, Parallel) and Output are templates evaluated against $states.input (the raw
// state input) and, for Output and Assign, $states.result. Assign and Output read the
// variables as they were before the state; the assigned values are visible to later states.

asl::JsonataScope Execution::JsonataScopeFor(const Frame& f, const json::Value* input,
                                             const Environment& env) const {
  asl::JsonataScope scope;
  scope.states.input = input;
  scope.states.context = &context_;
  scope.variables = &f.vars;
  scope.random = &env.random;
  scope.now_millis = env.now.time_since_epoch().count();
  return scope;
}

void Execution::FailJsonata(Frame& f, asl::JsonataFailure failure, const Environment& env,
                            StepOutput& out, bool state_failed) {
  const State& s = f.current();
  std::string cause = RuntimePrefix(f) + failure.cause;
  HistoryEvent& e = Chain(f, Emit(EventType::kEvaluationFailed, env, out));
  e.has_error = e.has_cause = true;
  e.error = asl::errors::kQueryEvaluationError;
  e.cause = cause;
  if (!failure.location.empty()) e.extra["location"] = std::move(failure.location);
  e.extra["state"] = s.name;
  if (state_failed && (s.type == StateType::kMap || s.type == StateType::kParallel)) {
    Chain(f, Emit(s.type == StateType::kMap ? EventType::kMapStateFailed
                                            : EventType::kParallelStateFailed,
                  env, out));
  }
  FailState(f, Failure{asl::errors::kQueryEvaluationError, std::move(cause)}, env, out);
}

std::optional<json::Value> Execution::EvaluateJsonata(Frame& f, const json::Value& spec,
                                                      std::string_view field,
                                                      const asl::JsonataScope& scope,
                                                      const Environment& env, StepOutput& out,
                                                      bool state_failed) {
  auto v = asl::EvaluateJsonataTemplate(spec, field, definition_->jsonata, scope);
  if (!v) {
    FailJsonata(f, std::move(v.error()), env, out, state_failed);
    return std::nullopt;
  }
  return std::move(*v);
}

std::optional<double> Execution::JsonataNumber(Frame& f, const asl::NumberField& field,
                                               std::string_view name, bool integer, double min,
                                               const asl::JsonataScope& scope,
                                               const Environment& env, StepOutput& out,
                                               bool& failed) {
  failed = false;
  if (field.value) return field.value;
  if (!field.expression) return std::nullopt;
  const State& s = f.current();
  const bool state_failed = s.type == StateType::kMap || s.type == StateType::kParallel;
  auto v = asl::EvaluateJsonataExpression(*field.expression, name, definition_->jsonata, scope);
  asl::JsonataFailure failure;
  if (!v) {
    failure = std::move(v.error());
  } else if (!*v) {
    failure = {std::string(name), asl::JsonataUndefined(*field.expression, name)};
  } else {
    const json::Value& n = **v;
    const double d = n.is_number() ? json::AsDouble(n) : 0;
    if (!n.is_number() || (integer && d != std::floor(d))) {
      failure = {std::string(name), asl::JsonataUnexpectedType(*field.expression, name,
                                                               integer ? "integer" : "number", n)};
    } else if (name == "ToleratedFailurePercentage" && (d < 0 || d > 100)) {
      failure = {std::string(name), "ToleratedFailurePercentage must be between 0 and 100."};
    } else if (name == "ToleratedFailureCount" && d < 0) {
      failure = {std::string(name), "ToleratedFailureCount cannot be negative."};
    } else if (d < min) {
      failure = {std::string(name),
                 "The JSONata expression '" + *field.expression + "' specified for the field '" +
                     std::string(name) + "' returned a value below the minimum of " +
                     std::to_string(std::int64_t(min)) + ": " + json::Serialize(n)};
    } else {
      return d;
    }
  }
  failed = true;
  FailJsonata(f, std::move(failure), env, out, state_failed);
  return std::nullopt;
}

void Execution::ExitJsonata(Frame& f, json::Value* result, const Environment& env,
                            StepOutput& out) {
  const State& s = f.current();
  SetStateContext(f, s);  // other frames may have entered states since this one was entered
  asl::JsonataScope scope = JsonataScopeFor(f, f.input.get(), env);
  scope.states.result = result;
  std::optional<json::Value> values;
  if (!s.assign.is_null()) {
    values = EvaluateJsonata(f, s.assign, "Assign", scope, env, out);
    if (!values) return;
  }
  Payload output;
  if (s.has_output) {
    auto v = EvaluateJsonata(f, s.output, "Output", scope, env, out);
    if (!v) return;
    output = MakePayload(std::move(*v));
  } else if (result != nullptr) {
    output = MakePayload(std::move(*result));
  } else {
    output = f.input;
  }
  json::Object assigned;
  if (values && values->is_object() &&
      !BindVariables(f, s, std::move(values->get_object()), assigned, env, out)) {
    return;
  }
  ExitState(f, std::move(output), std::move(assigned), env, out,
            s.has_output || result != nullptr ? kUnknownSize : f.input_bound);
}

void Execution::ExecuteJsonataChoice(Frame& f, const State& s, const Environment& env,
                                     StepOutput& out) {
  const asl::JsonataScope scope = JsonataScopeFor(f, f.input.get(), env);
  const asl::ChoiceRule* matched = nullptr;
  for (const asl::ChoiceRule& rule : s.choices) {
    const json::Value& condition = rule.condition();
    bool holds = condition.is_bool() && condition.get_bool();
    if (condition.is_string()) {
      const std::string text = asl::validation::JsonataExpressionText(condition.get_string());
      auto v = asl::EvaluateJsonataExpression(text, "Condition", definition_->jsonata, scope);
      if (!v) {
        FailJsonata(f, std::move(v.error()), env, out);
        return;
      }
      if (!*v) {
        FailJsonata(f, {"Condition", asl::JsonataUndefined(text, "Condition")}, env, out);
        return;
      }
      if (!(*v)->is_bool()) {
        FailJsonata(f, {"Condition", asl::JsonataUnexpectedType(text, "Condition", "boolean", **v)},
                    env, out);
        return;
      }
      holds = (*v)->get_bool();
    }
    if (holds) {
      matched = &rule;
      break;
    }
  }
  int next = -1;
  const json::Value* assign = &s.assign;
  const json::Value* output_spec = s.has_output ? &s.output : nullptr;
  if (matched != nullptr) {
    next = f.machine->index.at(matched->next());
    assign = &matched->assign();
    output_spec = matched->has_output() ? &matched->output() : nullptr;
  } else if (s.default_index >= 0) {
    next = s.default_index;
  } else {
    FailState(f, Failure{"States.NoChoiceMatched", "No Matches!"}, env, out);
    return;
  }
  std::optional<json::Value> values;
  if (!assign->is_null()) {
    values = EvaluateJsonata(f, *assign, "Assign", scope, env, out);
    if (!values) return;
  }
  Payload output = f.input;
  if (output_spec != nullptr) {
    auto v = EvaluateJsonata(f, *output_spec, "Output", scope, env, out);
    if (!v) return;
    output = MakePayload(std::move(*v));
  }
  json::Object assigned;
  if (values && values->is_object() &&
      !BindVariables(f, s, std::move(values->get_object()), assigned, env, out)) {
    return;
  }
  HistoryEvent& e = Chain(f, Emit(EventType::kChoiceStateExited, env, out));
  e.name = s.name;
  if (options_.record_payloads) {
    e.payload = output;
    e.payload_member = "output";
  }
  if (!assigned.empty()) {
    e.extra["assignedVariables"] = std::move(assigned);
    e.extra["assignedVariablesDetails"] = json::Object{{"truncated", false}};
  }
  f.state = next;
  f.input = std::move(output);
  f.input_bound = kUnknownSize;
  f.phase = Frame::Phase::kEnter;
}

void Execution::ExecuteJsonataWait(Frame& f, const State& s, const Environment& env,
                                   StepOutput& out) {
  const asl::JsonataScope scope = JsonataScopeFor(f, f.input.get(), env);
  TimePoint fire_at = env.now;
  if (s.seconds.is_set()) {
    bool failed = false;
    std::optional<double> seconds =
        JsonataNumber(f, s.seconds, "Seconds", true, 0, scope, env, out, failed);
    if (failed) return;
    if (seconds) fire_at += std::chrono::milliseconds(std::llround(*seconds * 1000));
  } else if (s.timestamp) {
    if (auto t = ParseIso8601(*s.timestamp)) fire_at = std::max(fire_at, *t);
  } else if (s.timestamp_expression) {
    auto v = asl::EvaluateJsonataExpression(*s.timestamp_expression, "Timestamp",
                                            definition_->jsonata, scope);
    if (!v) {
      FailJsonata(f, std::move(v.error()), env, out);
      return;
    }
    if (!*v) {
      FailJsonata(f, {"Timestamp", asl::JsonataUndefined(*s.timestamp_expression, "Timestamp")},
                  env, out);
      return;
    }
    std::optional<TimePoint> t;
    if ((*v)->is_string()) t = ParseIso8601((*v)->get_string());
    if (!t) {
      const std::string shown =
          (*v)->is_string() ? std::string((*v)->get_string()) : json::Serialize(**v);
      FailJsonata(f,
                  {"Timestamp",
                   "The Timestamp field cannot be parsed as an ISO-8601 extended offset "
                   "date-time format string: " +
                       shown},
                  env, out);
      return;
    }
    fire_at = std::max(fire_at, *t);
  }
  // Assign and Output are evaluated when the wait ends (TimerFired).
  f.timer_id = NextId();
  f.phase = Frame::Phase::kWaitTimer;
  out.timers.push_back({f.timer_id, fire_at});
}

void Execution::ExecuteJsonataFail(Frame& f, const State& s, const Environment& env,
                                   StepOutput& out) {
  const asl::JsonataScope scope = JsonataScopeFor(f, f.input.get(), env);
  Failure failure;
  auto read = [&](const std::optional<std::string>& field, const char* name,
                  std::string& into) -> bool {
    if (!field) return true;
    const json::Value spec = json::String(*field);
    if (!asl::validation::IsJsonataExpression(spec)) {
      into = *field;
      return true;
    }
    auto v = EvaluateJsonata(f, spec, name, scope, env, out);
    if (!v) return false;
    into = v->is_string() ? std::string(v->get_string()) : json::Serialize(*v);
    return true;
  };
  if (!read(s.error, "Error", failure.error)) return;
  if (!read(s.cause, "Cause", failure.cause)) return;
  failure.has_error = s.error.has_value();
  failure.has_cause = s.cause.has_value();
  FailFrame(f, std::move(failure), env, out);
}

bool Execution::StartJsonataMap(Frame& f, const State& s, json::Value& items,
                                std::int64_t& max_concurrency, const Environment& env,
                                StepOutput& out) {
  const asl::JsonataScope scope = JsonataScopeFor(f, f.input.get(), env);
  if (!s.has_items) {
    items = *f.input;
    if (!items.is_array()) {
      FailJsonata(f, {"", "Map state input must be an array but was: " + json::Serialize(items)},
                  env, out, /*state_failed=*/true);
      return false;
    }
  } else if (asl::validation::IsJsonataExpression(s.items)) {
    const std::string text = asl::validation::JsonataExpressionText(s.items.get_string());
    auto v = asl::EvaluateJsonataExpression(text, "Items", definition_->jsonata, scope);
    asl::JsonataFailure failure;
    if (!v) {
      failure = std::move(v.error());
    } else if (!*v) {
      failure = {"Items", asl::JsonataUndefined(text, "Items")};
    } else if (!(*v)->is_array()) {
      failure = {"Items", asl::JsonataUnexpectedType(text, "Items", "array", **v)};
    } else {
      items = std::move(**v);
    }
    if (!failure.cause.empty()) {
      FailJsonata(f, std::move(failure), env, out, /*state_failed=*/true);
      return false;
    }
  } else {
    auto v = EvaluateJsonata(f, s.items, "Items", scope, env, out, /*state_failed=*/true);
    if (!v) return false;
    items = std::move(*v);
  }
  bool failed = false;
  std::optional<double> n =
      JsonataNumber(f, s.max_concurrency, "MaxConcurrency", true, 0, scope, env, out, failed);
  if (failed) return false;
  max_concurrency = n ? std::int64_t(*n) : 0;
  f.tolerated_count = JsonataNumber(f, s.tolerated_failure_count, "ToleratedFailureCount", true, 0,
                                    scope, env, out, failed);
  if (failed) return false;
  f.tolerated_percentage =
      JsonataNumber(f, s.tolerated_failure_percentage, "ToleratedFailurePercentage", false, 0,
                    scope, env, out, failed);
  return !failed;
}

std::optional<Payload> Execution::JsonataCatchOutput(Frame& f, const asl::Catcher& c,
                                                     const json::Value& error_output,
                                                     json::Object& assigned, const Environment& env,
                                                     StepOutput& out) {
  const State& s = f.current();
  asl::JsonataScope scope = JsonataScopeFor(f, f.input.get(), env);
  scope.states.error_output = &error_output;
  // A failure here is not caught again: the state fails with it.
  auto fail = [&](asl::JsonataFailure failure) {
    std::string cause = RuntimePrefix(f) + failure.cause;
    HistoryEvent& e = Chain(f, Emit(EventType::kEvaluationFailed, env, out));
    e.has_error = e.has_cause = true;
    e.error = asl::errors::kQueryEvaluationError;
    e.cause = cause;
    if (!failure.location.empty()) e.extra["location"] = std::move(failure.location);
    e.extra["state"] = s.name;
    FailFrame(f, Failure{asl::errors::kQueryEvaluationError, std::move(cause)}, env, out);
  };
  std::optional<json::Value> values;
  if (!c.assign.is_null()) {
    auto v = asl::EvaluateJsonataTemplate(c.assign, "Assign", definition_->jsonata, scope);
    if (!v) {
      fail(std::move(v.error()));
      return std::nullopt;
    }
    values = std::move(*v);
  }
  Payload output;
  if (c.has_output) {
    auto v = asl::EvaluateJsonataTemplate(c.output, "Output", definition_->jsonata, scope);
    if (!v) {
      fail(std::move(v.error()));
      return std::nullopt;
    }
    output = MakePayload(std::move(*v));
  } else {
    output = MakePayload(error_output);
  }
  if (values && values->is_object() &&
      !BindVariables(f, s, std::move(values->get_object()), assigned, env, out)) {
    return std::nullopt;
  }
  return output;
}

}  // namespace stepway::engine
