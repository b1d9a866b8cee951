// Result<T>: the value of an operation that may fail, with a small generic ErrorCode set.
//
// Operation errors are values (STYLE.md). AWS error names are not known here: the api module maps
// an ErrorCode plus the resource it concerns to AWS's `__type`. Thread-compatible value types.
#pragma once

#include <string>
#include <tl/expected.hpp>
#include <utility>

namespace stepway {

enum class ErrorCode {
  kInvalidArgument,   // the caller's input is malformed or out of range
  kNotFound,          // the named thing does not exist
  kAlreadyExists,     // a different thing of that name exists
  kTimedOut,          // the thing existed but its time ran out
  kFailedPrecondition,
  kResourceExhausted,  // a size or count limit was hit
  kInternal,
  kUnavailable,
};

struct Error {
  ErrorCode code = ErrorCode::kInternal;
  std::string message;
};

template <typename T>
using Result = tl::expected<T, Error>;

using Status = tl::expected<void, Error>;

// Builds the unexpected side of a Result: `return Fail(ErrorCode::kNotFound, "...")`.
inline tl::unexpected<Error> Fail(ErrorCode code, std::string message) {
  return tl::unexpected<Error>(Error{code, std::move(message)});
}

}  // namespace stepway
