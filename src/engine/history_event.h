// History events: what GetExecutionHistory returns, and what an execution is made of.
//
// The interpreter emits these in AWS's order with AWS's details. The large part of most events,
// the state input or output, is kept as a shared immutable JSON value (`payload`) and printed
// only when someone asks, so that passing a 200 KiB document through fifty states does not
// serialise it a hundred times.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "base/time.h"
#include "json/json.h"

namespace stepway::engine {

// An immutable JSON document shared between states, frames and events.
using Payload = std::shared_ptr<const json::Value>;

// The value is created non-const, so that its only owner may move it out again (TakeValue).
inline Payload MakePayload(json::Value v) {
  return std::make_shared<json::Value>(std::move(v));
}

enum class EventType {
  kActivityFailed,
  kActivityScheduled,
  kActivityScheduleFailed,
  kActivityStarted,
  kActivitySucceeded,
  kActivityTimedOut,
  kChoiceStateEntered,
  kChoiceStateExited,
  kExecutionAborted,
  kExecutionFailed,
  kExecutionStarted,
  kExecutionSucceeded,
  kExecutionTimedOut,
  kFailStateEntered,
  kLambdaFunctionFailed,
  kLambdaFunctionScheduled,
  kLambdaFunctionScheduleFailed,
  kLambdaFunctionStarted,
  kLambdaFunctionStartFailed,
  kLambdaFunctionSucceeded,
  kLambdaFunctionTimedOut,
  kMapIterationAborted,
  kMapIterationFailed,
  kMapIterationStarted,
  kMapIterationSucceeded,
  kMapStateAborted,
  kMapStateEntered,
  kMapStateExited,
  kMapStateFailed,
  kMapStateStarted,
  kMapStateSucceeded,
  kParallelStateAborted,
  kParallelStateEntered,
  kParallelStateExited,
  kParallelStateFailed,
  kParallelStateStarted,
  kParallelStateSucceeded,
  kPassStateEntered,
  kPassStateExited,
  kSucceedStateEntered,
  kSucceedStateExited,
  kTaskFailed,
  kTaskScheduled,
  kTaskStarted,
  kTaskStartFailed,
  kTaskStateAborted,
  kTaskStateEntered,
  kTaskStateExited,
  kTaskSubmitFailed,
  kTaskSubmitted,
  kTaskSucceeded,
  kTaskTimedOut,
  kWaitStateAborted,
  kWaitStateEntered,
  kWaitStateExited,
  kMapRunAborted,
  kMapRunFailed,
  kMapRunStarted,
  kMapRunSucceeded,
  kExecutionRedriven,
  kMapRunRedriven,
  kEvaluationFailed,
};

// "PassStateEntered" ...
const char* EventTypeName(EventType type);
// The HistoryEvent member holding this type's details ("stateEnteredEventDetails"), or nullptr.
const char* EventDetailsMember(EventType type);

struct HistoryEvent {
  std::int64_t id = 0;
  std::int64_t previous_event_id = 0;
  TimePoint timestamp;
  EventType type = EventType::kPassStateEntered;
  // The common detail members, typed so that emitting an event allocates little. Empty or
  // negative means absent.
  std::string name;           // state name (StateEntered/Exited, MapIteration*)
  std::int64_t index = -1;    // MapIteration* index, MapStateStarted length
  std::string error;          // *Failed, *TimedOut, ExecutionAborted
  std::string cause;
  bool has_error = false;     // error/cause present (they may be empty strings)
  bool has_cause = false;
  std::string resource_type;  // Task* events
  std::string resource;       // Task*, Activity*, LambdaFunction* events
  // The input or output the event carries and its member name ("input", "output",
  // "parameters"); a null payload when it carries none.
  Payload payload;
  const char* payload_member = nullptr;
  // Any other detail members (roleArn, workerName, timeoutInSeconds, assignedVariables ...).
  json::Object extra;
};


// The event as GetExecutionHistory shows it: {"timestamp", "type", "id", "previousEventId",
// "<x>EventDetails": {...}}. With include_data false, input/output members are left out as AWS
// does for includeExecutionData=false. Timestamps are seconds since the epoch (a number), the
// AWS JSON protocol's form.
json::Object ToJson(const HistoryEvent& event, bool include_data = true);
// The same text as json::Serialize(ToJson(event, include_data)), written without building the
// object first: how the runtime stores every event it commits.
std::string ToJsonText(const HistoryEvent& event, bool include_data = true);

}  // namespace stepway::engine
