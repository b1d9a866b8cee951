// Workflow failures as data: an error name and a cause, as Step Functions reports them.
//
// Failures are what ASL evaluation produces when a state cannot complete (a path that matches
// nothing, an intrinsic given bad arguments ...). They are matched by Retry and Catch and end up
// in history events; they are never C++ exceptions.
#pragma once

#include <string>
#include <tl/expected.hpp>
#include <utility>

namespace stepway::asl {

struct Failure {
  std::string error;  // "States.Runtime", "States.IntrinsicFailure", a Fail state's Error ...
  std::string cause;  // free text
  // A Fail state may leave out Error or Cause: then the execution's error or cause is absent,
  // which differs from an empty string.
  bool has_error = true;
  bool has_cause = true;
};

template <typename T>
using Outcome = tl::expected<T, Failure>;

inline tl::unexpected<Failure> Failed(std::string error, std::string cause) {
  return tl::unexpected<Failure>(Failure{std::move(error), std::move(cause)});
}

// Error names Step Functions defines ("States.*").
namespace errors {
inline constexpr const char* kAll = "States.ALL";
inline constexpr const char* kTaskFailed = "States.TaskFailed";
inline constexpr const char* kTimeout = "States.Timeout";
inline constexpr const char* kHeartbeatTimeout = "States.HeartbeatTimeout";
inline constexpr const char* kRuntime = "States.Runtime";
inline constexpr const char* kDataLimitExceeded = "States.DataLimitExceeded";
inline constexpr const char* kIntrinsicFailure = "States.IntrinsicFailure";
inline constexpr const char* kBranchFailed = "States.BranchFailed";
inline constexpr const char* kPermissions = "States.Permissions";
inline constexpr const char* kResultPathMatchFailure = "States.ResultPathMatchFailure";
inline constexpr const char* kParameterPathFailure = "States.ParameterPathFailure";
inline constexpr const char* kQueryEvaluationError = "States.QueryEvaluationError";
inline constexpr const char* kExceedToleratedFailureThreshold =
    "States.ExceedToleratedFailureThreshold";
inline constexpr const char* kItemReaderFailed = "States.ItemReaderFailed";
inline constexpr const char* kResultWriterFailed = "States.ResultWriterFailed";
}  // namespace errors

}  // namespace stepway::asl
