// AWS quotas and limits that Stepway enforces, each with where AWS states it.
#pragma once

#include <cstddef>
#include <cstdint>

namespace stepway::limits {

// Step Functions quotas: "Maximum input or output size for a task, state, or execution".
inline constexpr std::size_t kMaxPayloadBytes = 262144;
// "Maximum size of a variable" and of one Assign field (Step Functions variables).
inline constexpr std::size_t kMaxVariableBytes = 262144;
// "Maximum combined size of all variables in one execution".
inline constexpr std::size_t kMaxVariablesPerExecutionBytes = 10 * 1024 * 1024;
// "Maximum request size" of the Step Functions API (1 MiB per request).
inline constexpr std::size_t kMaxRequestBytes = 1024 * 1024;
// Intrinsic functions: "you can nest up to 10 intrinsic functions".
inline constexpr int kMaxIntrinsicNesting = 10;
// Execution history: 25,000 events per Standard execution.
inline constexpr std::int64_t kMaxHistoryEvents = 25000;
// Names of state machines, executions, activities: 1 to 80 characters.
inline constexpr std::size_t kMaxNameLength = 80;
// State names in a definition: up to 80 characters.
inline constexpr std::size_t kMaxStateNameLength = 80;
// Task tokens: 1 to 2048 characters (SendTaskSuccess.taskToken).
inline constexpr std::size_t kMaxTaskTokenLength = 2048;
// SendTaskFailure: error up to 256 and cause up to 32768 characters.
inline constexpr std::size_t kMaxErrorLength = 256;
inline constexpr std::size_t kMaxCauseLength = 32768;
// Map state: States.ArrayRange may produce at most 1000 elements.
inline constexpr std::int64_t kMaxArrayRangeElements = 1000;
// Definition size: 1 MiB.
inline constexpr std::size_t kMaxDefinitionBytes = 1024 * 1024;
// Retry: "MaxDelaySeconds ... must be less than 31622401".
inline constexpr std::int64_t kMaxRetryDelaySeconds = 31622400;
// TimeoutSeconds and HeartbeatSeconds: up to 99999999 seconds.
inline constexpr std::int64_t kMaxTimeoutSeconds = 99999999;

}  // namespace stepway::limits
