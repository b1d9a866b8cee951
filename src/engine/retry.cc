#include "engine/retry.h"

#include <cmath>

#include "asl/failure.h"
#include "base/limits.h"

namespace stepway::engine {

bool IsTerminalError(std::string_view error) {
  return error == asl::errors::kRuntime || error == asl::errors::kDataLimitExceeded;
}

bool ErrorMatches(const std::vector<std::string>& error_equals, std::string_view error) {
  if (IsTerminalError(error)) return false;
  for (const std::string& name : error_equals) {
    if (name == error) return true;
    if (name == asl::errors::kAll) return true;
    if (name == asl::errors::kTimeout && error == asl::errors::kHeartbeatTimeout) return true;
    if (name == asl::errors::kTaskFailed && error != asl::errors::kTimeout &&
        error != asl::errors::kHeartbeatTimeout) {
      return true;
    }
  }
  return false;
}

std::int64_t RetryDelayMillis(const asl::Retrier& retrier, std::int64_t attempt,
                              double unit_random) {
  double seconds = retrier.interval_seconds * std::pow(retrier.backoff_rate, double(attempt));
  double cap = retrier.max_delay_seconds ? double(*retrier.max_delay_seconds)
                                         : double(limits::kMaxRetryDelaySeconds);
  if (!(seconds <= cap)) seconds = cap;  // also catches overflow to inf
  if (retrier.jitter == asl::JitterStrategy::kFull) seconds *= unit_random;
  return std::int64_t(std::llround(seconds * 1000.0));
}

}  // namespace stepway::engine
