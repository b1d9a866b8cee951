#include "cli/run_command.h"

#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>

#include "cli/local_runner.h"
#include "engine/history_event.h"

namespace stepway::cli {

namespace {

constexpr int kExitFailed = 1;
constexpr int kExitUsage = 2;

bool ReadFile(const std::string& path, std::string& out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream s;
  s << in.rdbuf();
  out = s.str();
  return true;
}

int Usage(const std::string& message) {
  std::fprintf(stderr, "stepway run: %s\n", message.c_str());
  return kExitUsage;
}

}  // namespace

int RunCommand(const RunCommandOptions& options) {
  std::string text;
  if (!ReadFile(options.definition_path, text)) {
    return Usage("cannot read the definition file '" + options.definition_path + "'");
  }
  asl::ParsedDefinition parsed = asl::ParseDefinition(text);
  if (!parsed.definition) {
    return Usage(asl::FormatInvalidDefinition(parsed.diagnostics));
  }

  std::string input_text = options.input;
  if (!input_text.empty() && input_text[0] == '@') {
    if (!ReadFile(input_text.substr(1), input_text)) {
      return Usage("cannot read the input file '" + options.input.substr(1) + "'");
    }
  }
  auto input = json::Parse(input_text);
  if (!input) return Usage("the input is not valid JSON: " + input.error().message);

  LocalRunOptions run;
  run.fast_waits = options.fast_waits;
  run.keep_history = options.history;
  if (!options.mock_config.empty() || !options.test_case.empty()) {
    if (options.mock_config.empty() || options.test_case.empty()) {
      return Usage("--mock-config and --test-case go together");
    }
    std::string mock_text;
    if (!ReadFile(options.mock_config, mock_text)) {
      return Usage("cannot read the mock config '" + options.mock_config + "'");
    }
    auto config = engine::MockConfig::Parse(mock_text);
    if (!config) return Usage("bad mock config: " + config.error().message);
    std::string machine = options.state_machine;
    if (machine.empty()) {
      auto machines = config->MachinesWithTestCase(options.test_case);
      if (machines.empty()) {
        return Usage("no state machine in the mock config has the test case '" +
                     options.test_case + "'");
      }
      if (machines.size() > 1) {
        return Usage("several state machines have the test case '" + options.test_case +
                     "': choose one with --state-machine");
      }
      machine = machines.front();
    } else if (!config->HasTestCase(machine, options.test_case)) {
      return Usage("the mock config has no test case '" + options.test_case +
                   "' for the state machine '" + machine + "'");
    }
    run.state_machine_name = machine;
    run.tasks = MockTaskHandler(std::make_shared<const engine::MockConfig>(std::move(*config)),
                                machine, options.test_case);
  }

  LocalRunResult result = RunLocally(parsed.definition, std::move(*input), run);

  if (options.history) {
    json::Array events;
    for (const auto& e : result.history) events.push_back(engine::ToJson(e));
    std::cout << json::Serialize(json::Object{{"events", std::move(events)}}) << "\n";
  }
  if (result.status == engine::ExecutionStatus::kSucceeded) {
    std::cout << json::Serialize(*result.output) << std::endl;
    return 0;
  }
  json::Object failure;
  failure["status"] = engine::ExecutionStatusName(result.status);
  failure["error"] = result.error ? json::Value(*result.error) : json::Value(nullptr);
  failure["cause"] = result.cause ? json::Value(*result.cause) : json::Value(nullptr);
  std::cout << json::Serialize(failure) << std::endl;
  return kExitFailed;
}

}  // namespace stepway::cli
