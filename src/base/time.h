// Points in time as Step Functions shows them, and the clock interface.
//
// Pure modules never read a clock: they take a TimePoint argument. The runtime owns a Clock.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace stepway {

// Milliseconds since the Unix epoch, UTC. Step Functions timestamps have millisecond precision.
using TimePoint = std::chrono::sys_time<std::chrono::milliseconds>;

// "2024-01-31T12:34:56.789Z" (always milliseconds, always Z), as $$.Execution.StartTime shows.
std::string FormatIso8601(TimePoint t);

// Parses an RFC 3339 timestamp with an uppercase T and a zone (Z or +hh:mm), as Step Functions
// requires for Wait.Timestamp and the IsTimestamp/Timestamp* comparisons. Returns nullopt for
// anything else, including impossible dates such as 2016-02-30.
std::optional<TimePoint> ParseIso8601(std::string_view text);

class Clock {
 public:
  virtual ~Clock() = default;
  virtual TimePoint Now() const = 0;
};

// The wall clock. Thread-safe.
class SystemClock final : public Clock {
 public:
  TimePoint Now() const override;
};

}  // namespace stepway
