#include "engine/history_event.h"

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

}  // namespace stepway::engine
