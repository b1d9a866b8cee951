#include "engine/history_event.h"

#include <charconv>
#include <string_view>

namespace stepway::engine {

namespace {

struct TypeInfo {
  const char* name;
  const char* details;
};

constexpr TypeInfo kTypes[] = {
    {"ActivityFailed", "activityFailedEventDetails"},
    {"ActivityScheduled", "activityScheduledEventDetails"},
    {"ActivityScheduleFailed", "activityScheduleFailedEventDetails"},
    {"ActivityStarted", "activityStartedEventDetails"},
    {"ActivitySucceeded", "activitySucceededEventDetails"},
    {"ActivityTimedOut", "activityTimedOutEventDetails"},
    {"ChoiceStateEntered", "stateEnteredEventDetails"},
    {"ChoiceStateExited", "stateExitedEventDetails"},
    {"ExecutionAborted", "executionAbortedEventDetails"},
    {"ExecutionFailed", "executionFailedEventDetails"},
    {"ExecutionStarted", "executionStartedEventDetails"},
    {"ExecutionSucceeded", "executionSucceededEventDetails"},
    {"ExecutionTimedOut", "executionTimedOutEventDetails"},
    {"FailStateEntered", "stateEnteredEventDetails"},
    {"LambdaFunctionFailed", "lambdaFunctionFailedEventDetails"},
    {"LambdaFunctionScheduled", "lambdaFunctionScheduledEventDetails"},
    {"LambdaFunctionScheduleFailed", "lambdaFunctionScheduleFailedEventDetails"},
    {"LambdaFunctionStarted", nullptr},
    {"LambdaFunctionStartFailed", "lambdaFunctionStartFailedEventDetails"},
    {"LambdaFunctionSucceeded", "lambdaFunctionSucceededEventDetails"},
    {"LambdaFunctionTimedOut", "lambdaFunctionTimedOutEventDetails"},
    {"MapIterationAborted", "mapIterationAbortedEventDetails"},
    {"MapIterationFailed", "mapIterationFailedEventDetails"},
    {"MapIterationStarted", "mapIterationStartedEventDetails"},
    {"MapIterationSucceeded", "mapIterationSucceededEventDetails"},
    {"MapStateAborted", nullptr},
    {"MapStateEntered", "stateEnteredEventDetails"},
    {"MapStateExited", "stateExitedEventDetails"},
    {"MapStateFailed", nullptr},
    {"MapStateStarted", "mapStateStartedEventDetails"},
    {"MapStateSucceeded", nullptr},
    {"ParallelStateAborted", nullptr},
    {"ParallelStateEntered", "stateEnteredEventDetails"},
    {"ParallelStateExited", "stateExitedEventDetails"},
    {"ParallelStateFailed", nullptr},
    {"ParallelStateStarted", nullptr},
    {"ParallelStateSucceeded", nullptr},
    {"PassStateEntered", "stateEnteredEventDetails"},
    {"PassStateExited", "stateExitedEventDetails"},
    {"SucceedStateEntered", "stateEnteredEventDetails"},
    {"SucceedStateExited", "stateExitedEventDetails"},
    {"TaskFailed", "taskFailedEventDetails"},
    {"TaskScheduled", "taskScheduledEventDetails"},
    {"TaskStarted", "taskStartedEventDetails"},
    {"TaskStartFailed", "taskStartFailedEventDetails"},
    {"TaskStateAborted", nullptr},
    {"TaskStateEntered", "stateEnteredEventDetails"},
    {"TaskStateExited", "stateExitedEventDetails"},
    {"TaskSubmitFailed", "taskSubmitFailedEventDetails"},
    {"TaskSubmitted", "taskSubmittedEventDetails"},
    {"TaskSucceeded", "taskSucceededEventDetails"},
    {"TaskTimedOut", "taskTimedOutEventDetails"},
    {"WaitStateAborted", nullptr},
    {"WaitStateEntered", "stateEnteredEventDetails"},
    {"WaitStateExited", "stateExitedEventDetails"},
    {"MapRunAborted", nullptr},
    {"MapRunFailed", "mapRunFailedEventDetails"},
    {"MapRunStarted", "mapRunStartedEventDetails"},
    {"MapRunSucceeded", nullptr},
    {"ExecutionRedriven", "executionRedrivenEventDetails"},
    {"MapRunRedriven", "mapRunRedrivenEventDetails"},
    {"EvaluationFailed", "evaluationFailedEventDetails"},
};

static_assert(sizeof kTypes / sizeof kTypes[0] == size_t(EventType::kEvaluationFailed) + 1);

}  // namespace

const char* EventTypeName(EventType type) { return kTypes[size_t(type)].name; }
const char* EventDetailsMember(EventType type) { return kTypes[size_t(type)].details; }

json::Object ToJson(const HistoryEvent& event, bool include_data) {
  json::Object out;
  out["timestamp"] = double(event.timestamp.time_since_epoch().count()) / 1000.0;
  out["type"] = EventTypeName(event.type);
  out["id"] = event.id;
  out["previousEventId"] = event.previous_event_id;
  const char* member = EventDetailsMember(event.type);
  if (member == nullptr) return out;
  json::Object details;
  if (!event.resource_type.empty()) details["resourceType"] = event.resource_type;
  if (!event.resource.empty()) details["resource"] = event.resource;
  if (!event.name.empty()) details["name"] = event.name;
  if (event.index >= 0) {
    details[event.type == EventType::kMapStateStarted ? "length" : "index"] = event.index;
  }
  if (event.has_error) details["error"] = event.error;
  if (event.has_cause) details["cause"] = event.cause;
  if (event.payload && event.payload_member) {
    std::string_view payload_member = event.payload_member;
    if (include_data) details[payload_member] = json::Serialize(*event.payload);
    if (payload_member != "parameters") {
      details[std::string(payload_member) + "Details"] = json::Object{{"truncated", false}};
    }
  }
  for (const auto& kv : event.extra) details[kv.key()] = kv.value();
  out[member] = std::move(details);
  return out;
}

namespace {

// Whether ToJson might write `key` into the details object before the extra members (an extra
// member of that name would then replace it in place rather than come last).
bool IsStandardDetail(std::string_view key) {
  for (std::string_view standard :
       {"resourceType", "resource", "name", "index", "length", "error", "cause", "input",
        "output", "parameters", "inputDetails", "outputDetails"}) {
    if (key == standard) return true;
  }
  return false;
}

void AppendInt(std::int64_t value, std::string& out) {
  char buf[24];
  const auto r = std::to_chars(buf, buf + sizeof buf, value);
  out.append(buf, r.ptr);
}

}  // namespace

std::string ToJsonText(const HistoryEvent& event, bool include_data) {
  const char* member = EventDetailsMember(event.type);
  if (member != nullptr) {
    for (const auto& kv : event.extra) {
      if (IsStandardDetail(kv.key())) return json::Serialize(ToJson(event, include_data));
    }
  }
  std::string out;
  out.reserve(256);
  out += "{\"timestamp\":";
  {
    // The events of one step share their millisecond: print it once.
    thread_local std::int64_t printed_millis = -1;
    thread_local std::string printed;
    const std::int64_t millis = event.timestamp.time_since_epoch().count();
    if (millis != printed_millis) {
      printed = json::FormatDouble(double(millis) / 1000.0);
      printed_millis = millis;
    }
    out += printed;
  }
  out += ",\"type\":";
  json::SerializeStringTo(EventTypeName(event.type), out);
  out += ",\"id\":";
  AppendInt(event.id, out);
  out += ",\"previousEventId\":";
  AppendInt(event.previous_event_id, out);
  if (member == nullptr) {
    out += '}';
    return out;
  }
  out += ',';
  json::SerializeStringTo(member, out);
  out += ":{";
  bool first = true;
  const auto key = [&out, &first](std::string_view name) {
    if (!first) out += ',';
    first = false;
    json::SerializeStringTo(name, out);
    out += ':';
  };
  if (!event.resource_type.empty()) {
    key("resourceType");
    json::SerializeStringTo(event.resource_type, out);
  }
  if (!event.resource.empty()) {
    key("resource");
    json::SerializeStringTo(event.resource, out);
  }
  if (!event.name.empty()) {
    key("name");
    json::SerializeStringTo(event.name, out);
  }
  if (event.index >= 0) {
    key(event.type == EventType::kMapStateStarted ? "length" : "index");
    AppendInt(event.index, out);
  }
  if (event.has_error) {
    key("error");
    json::SerializeStringTo(event.error, out);
  }
  if (event.has_cause) {
    key("cause");
    json::SerializeStringTo(event.cause, out);
  }
  if (event.payload && event.payload_member) {
    const std::string_view payload_member = event.payload_member;
    if (include_data) {
      key(payload_member);
      // The document travels as a string holding its JSON text.
      json::SerializeAsStringTo(*event.payload, out);
    }
    if (payload_member != "parameters") {
      if (!first) out += ',';
      first = false;
      json::SerializeStringTo(payload_member, out);
      out.insert(out.size() - 1, "Details");  // inside the closing quote
      out += ":{\"truncated\":false}";
    }
  }
  for (const auto& kv : event.extra) {
    key(kv.key());
    json::SerializeTo(kv.value(), out);
  }
  out += "}}";
  return out;
}

}  // namespace stepway::engine
