// `stepway run DEFINITION [--input JSON|@FILE] [--history] [--mock-config FILE --test-case NAME]
// [--fast-waits]`: runs a state machine definition in this process, without a server.
//
// Exit codes: 0 succeeded (the output JSON on stdout); 1 the execution failed, timed out or was
// aborted ({"status", "error", "cause"} on stdout); 2 bad usage, definition, input or mock file
// (a message on stderr).
#pragma once

#include <string>

namespace stepway::cli {

struct RunCommandOptions {
  std::string definition_path;
  std::string input = "{}";  // JSON text, or @FILE
  bool history = false;
  std::string mock_config;  // path, may be empty
  std::string test_case;
  std::string state_machine;  // which of the mock file's state machines, when several
  bool fast_waits = false;
};

int RunCommand(const RunCommandOptions& options);

}  // namespace stepway::cli
