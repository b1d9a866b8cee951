// Shared pieces of the Step Functions operations: what they reach (the store and the runtime),
// and AWS's answer shapes (timestamps as epoch seconds, ARNs, names, page tokens).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "api/protocol.h"
#include "json/json.h"
#include "runtime/runtime.h"
#include "store/store.h"

namespace stepway::api::sfn {

struct Context {
  store::Store& store;
  store::Store& express_store;
  runtime::Runtime& runtime;
  std::string region = "us-east-1";
  std::string account = "123456789012";
  // Whether the mock config has `test_case` for the state machine named `state_machine_name`
  // (StartExecution's "stateMachineArn#TestCase"); unset when the server has no mock config.
  std::function<bool(std::string_view state_machine_name, std::string_view test_case)>
      has_test_case;
};

// An operation: reads the validated request, answers through `respond` exactly once.
using Operation = void (*)(Context& context, const json::Object& request, Respond respond);

// The operation called `name` ("StartExecution"), or nullptr when Stepway does not serve it.
Operation FindOperation(std::string_view name);

Response Ok(const json::Object& body);
Response Error(std::string type, std::string message);

// Epoch seconds with milliseconds, the AWS JSON protocol's timestamp.
json::Value Timestamp(std::int64_t millis);

// nullopt when `arn` is an ARN of `resource_type` ("stateMachine", "execution", "activity");
// otherwise AWS's InvalidArn error.
std::optional<Response> CheckArn(std::string_view arn, std::string_view resource_type);
// Names of state machines, executions and activities: 1-80 characters, none of AWS's
// forbidden ones (whitespace, brackets, wildcards, most punctuation, control characters).
bool ValidName(std::string_view name);

// The wall clock in epoch milliseconds, for creation and update dates.
std::int64_t NowMillis();

// Offset paging for List operations over a whole, small list (state machines, activities): the
// items [begin, end) that maxResults and nextToken select, and the token of the next page ("" on
// the last). nullopt for a nextToken that is not one of ours.
struct OffsetPage {
  std::size_t begin = 0;
  std::size_t end = 0;
  std::string next_token;
};
std::optional<OffsetPage> PageOf(const json::Object& request, std::size_t total);

// Opaque page tokens holding an offset or a store cursor.
std::string EncodePageToken(std::string_view position);
std::optional<std::string> DecodePageToken(std::string_view token);

// The request's `tags` list ([{key, value}]) as a map; empty when absent.
store::Tags TagsOf(const json::Object& request);

// A string member, or "" / `fallback` when absent.
std::string StringOf(const json::Object& o, std::string_view key, std::string_view fallback = "");
std::int64_t IntOf(const json::Object& o, std::string_view key, std::int64_t fallback);
bool BoolOf(const json::Object& o, std::string_view key, bool fallback);

}  // namespace stepway::api::sfn
