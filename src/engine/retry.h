// Retry and Catch matching, and retry delays, as the States Language defines them.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "asl/definition.h"

namespace stepway::engine {

// Whether `error` is matched by a Retrier's or Catcher's ErrorEquals. States.ALL matches every
// error but States.Runtime and States.DataLimitExceeded (which nothing can catch or retry);
// States.TaskFailed matches every error but the timeouts; States.Timeout also matches
// States.HeartbeatTimeout.
bool ErrorMatches(const std::vector<std::string>& error_equals, std::string_view error);

// True for the errors that no Retry or Catch may handle.
bool IsTerminalError(std::string_view error);

// The delay before retry number `attempt` (0 for the first retry) in milliseconds:
// IntervalSeconds * BackoffRate^attempt, capped at MaxDelaySeconds, and with FULL jitter a
// uniformly random part of that drawn from `unit_random` in [0, 1).
std::int64_t RetryDelayMillis(const asl::Retrier& retrier, std::int64_t attempt,
                              double unit_random);

}  // namespace stepway::engine
