// Mocked task responses in the format of Step Functions Local's MockConfigFile.json:
//
//   {"StateMachines": {"<machine>": {"TestCases": {"<case>": {"<state>": "<response>"}}}},
//    "MockedResponses": {"<response>": {"0": {"Return": {...}},
//                                       "1-2": {"Throw": {"Error": "...", "Cause": "..."}}}}}
//
// Keys of a mocked response are invocation numbers (0-based, counting retries) or inclusive
// ranges "a-b". Parsed once; immutable and thread-safe afterwards.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "json/json.h"

namespace stepway::engine {

struct MockedResponse {
  std::int64_t first = 0;  // invocation range, inclusive
  std::int64_t last = 0;
  bool is_throw = false;
  json::Value value;  // Return's value
  std::string error;  // Throw's Error and Cause
  std::string cause;
  // Step Functions Local extension: wait for the task token instead of answering at once.
  bool wait_for_callback = false;
};

class MockConfig {
 public:
  // Parses the file's text. kInvalidArgument naming the offending member on any problem:
  // missing sections, a test case naming an unknown response, bad range keys, a response with
  // neither Return nor Throw.
  static Result<MockConfig> Parse(std::string_view text);

  // True when the state machine has the test case.
  bool HasTestCase(std::string_view state_machine, std::string_view test_case) const;
  // The state machines that define `test_case`.
  std::vector<std::string> MachinesWithTestCase(std::string_view test_case) const;

  // The response for the `invocation`-th call (0-based) of `state` in the test case, or nullopt
  // when the state is not mocked there. Past the last range, the last response repeats.
  std::optional<MockedResponse> Lookup(std::string_view state_machine, std::string_view test_case,
                                       std::string_view state, std::int64_t invocation) const;

 private:
  // machine -> case -> state -> response name
  std::map<std::string,
           std::map<std::string, std::map<std::string, std::string, std::less<>>, std::less<>>,
           std::less<>>
      cases_;
  std::map<std::string, std::vector<MockedResponse>, std::less<>> responses_;
};

}  // namespace stepway::engine
