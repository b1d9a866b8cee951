// Retry/Catch error matching and retry delays, as the error-handling guide states them.
#include "engine/retry.h"

#include <gtest/gtest.h>

namespace stepway::engine {
namespace {

TEST(ErrorMatchesTest, ExactNamesAndTheAllWildcard) {
  EXPECT_TRUE(ErrorMatches({"MyError"}, "MyError"));
  EXPECT_FALSE(ErrorMatches({"MyError"}, "myerror"));  // case-sensitive
  EXPECT_FALSE(ErrorMatches({"MyError"}, "MyError2"));
  EXPECT_FALSE(ErrorMatches({}, "MyError"));
  EXPECT_TRUE(ErrorMatches({"A", "B"}, "B"));
  EXPECT_TRUE(ErrorMatches({"States.ALL"}, "Lambda.ServiceException"));
  EXPECT_TRUE(ErrorMatches({"States.ALL"}, "States.Timeout"));
  EXPECT_TRUE(ErrorMatches({"States.ALL"}, "States.TaskFailed"));
  EXPECT_TRUE(ErrorMatches({"States.ALL"}, "States.HeartbeatTimeout"));
  EXPECT_TRUE(ErrorMatches({"States.ALL"}, ""));
}

TEST(ErrorMatchesTest, RuntimeAndDataLimitExceededAreNeverMatchedByStatesAll) {
  // "A retry or catch on States.ALL won't catch States.Runtime errors."
  // "States.DataLimitExceeded ... a terminal error that can't be caught by States.ALL."
  EXPECT_FALSE(ErrorMatches({"States.ALL"}, "States.Runtime"));
  EXPECT_FALSE(ErrorMatches({"States.ALL"}, "States.DataLimitExceeded"));
  EXPECT_FALSE(ErrorMatches({"States.TaskFailed"}, "States.Runtime"));
  EXPECT_FALSE(ErrorMatches({"States.TaskFailed"}, "States.DataLimitExceeded"));
  EXPECT_TRUE(IsTerminalError("States.Runtime"));
  EXPECT_TRUE(IsTerminalError("States.DataLimitExceeded"));
  EXPECT_FALSE(IsTerminalError("States.Timeout"));
  EXPECT_FALSE(IsTerminalError("States.ALL"));
}

TEST(ErrorMatchesTest, TaskFailedMatchesEverythingButTimeouts) {
  // "States.TaskFailed acts as a wildcard that matches any known error name except for
  // States.Timeout."
  EXPECT_TRUE(ErrorMatches({"States.TaskFailed"}, "States.TaskFailed"));
  EXPECT_TRUE(ErrorMatches({"States.TaskFailed"}, "Lambda.Unknown"));
  EXPECT_TRUE(ErrorMatches({"States.TaskFailed"}, "States.Permissions"));
  EXPECT_FALSE(ErrorMatches({"States.TaskFailed"}, "States.Timeout"));
  EXPECT_TRUE(ErrorMatches({"States.TaskFailed", "States.Timeout"}, "States.Timeout"));
  EXPECT_TRUE(ErrorMatches({"States.Timeout"}, "States.Timeout"));
  EXPECT_FALSE(ErrorMatches({"States.Timeout"}, "States.TaskFailed"));
  EXPECT_TRUE(ErrorMatches({"States.HeartbeatTimeout"}, "States.HeartbeatTimeout"));
}

asl::Retrier Retrier(double interval, double rate, std::optional<std::int64_t> max_delay = {},
                     asl::JitterStrategy jitter = asl::JitterStrategy::kNone) {
  asl::Retrier r;
  r.error_equals = {"States.ALL"};
  r.interval_seconds = interval;
  r.backoff_rate = rate;
  r.max_delay_seconds = max_delay;
  r.jitter = jitter;
  return r;
}

TEST(RetryDelayTest, IntervalTimesBackoffRateToTheAttempt) {
  const asl::Retrier defaults;  // IntervalSeconds 1, BackoffRate 2.0, MaxAttempts 3
  EXPECT_EQ(defaults.max_attempts, 3);
  EXPECT_EQ(RetryDelayMillis(defaults, 0, 0.5), 1000);
  EXPECT_EQ(RetryDelayMillis(defaults, 1, 0.5), 2000);
  EXPECT_EQ(RetryDelayMillis(defaults, 2, 0.5), 4000);
  EXPECT_EQ(RetryDelayMillis(Retrier(3, 1.5), 2, 0), 6750);
  EXPECT_EQ(RetryDelayMillis(Retrier(5, 1.0), 7, 0), 5000);
  EXPECT_EQ(RetryDelayMillis(Retrier(0.5, 2), 0, 0), 500);
}

TEST(RetryDelayTest, MaxDelaySecondsCapsTheBackoff) {
  const asl::Retrier r = Retrier(10, 3, 50);
  EXPECT_EQ(RetryDelayMillis(r, 0, 0), 10000);
  EXPECT_EQ(RetryDelayMillis(r, 1, 0), 30000);
  EXPECT_EQ(RetryDelayMillis(r, 2, 0), 50000);
  EXPECT_EQ(RetryDelayMillis(r, 40, 0), 50000);
  // Without MaxDelaySeconds, a huge backoff still stays finite (capped at a year, AWS's max).
  const std::int64_t huge = RetryDelayMillis(Retrier(1, 1000), 500, 0);
  EXPECT_GT(huge, 0);
  EXPECT_LE(huge, std::int64_t(31622400) * 1000);
}

TEST(RetryDelayTest, FullJitterIsUniformBetweenZeroAndTheCappedBackoff) {
  const asl::Retrier r = Retrier(10, 2, 30, asl::JitterStrategy::kFull);
  EXPECT_EQ(RetryDelayMillis(r, 0, 0.0), 0);
  EXPECT_EQ(RetryDelayMillis(r, 0, 0.5), 5000);
  EXPECT_EQ(RetryDelayMillis(r, 1, 0.25), 5000);
  EXPECT_EQ(RetryDelayMillis(r, 5, 0.5), 15000);  // half of the 30 s cap
  for (double u = 0; u < 1; u += 0.01) {
    const std::int64_t d = RetryDelayMillis(r, 3, u);
    EXPECT_GE(d, 0);
    EXPECT_LE(d, 30000);
  }
  // NONE ignores the random value.
  EXPECT_EQ(RetryDelayMillis(Retrier(10, 2), 0, 0.1), 10000);
}

}  // namespace
}  // namespace stepway::engine
