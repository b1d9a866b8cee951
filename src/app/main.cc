// stepway: the Step Functions and Transfer Family workflow engine, as one binary.
#include <CLI/CLI.hpp>

#include "cli/run_command.h"

int main(int argc, char** argv) {
  CLI::App app{"Stepway: a self-hosted workflow engine for AWS Step Functions workflows"};
  app.require_subcommand(1);

  stepway::cli::RunCommandOptions run;
  CLI::App* run_cmd = app.add_subcommand("run", "Run a state machine definition in this process");
  run_cmd->add_option("definition", run.definition_path, "The definition file (ASL JSON)")
      ->required();
  run_cmd->add_option("--input", run.input, "Execution input: JSON text, or @FILE");
  run_cmd->add_flag("--history", run.history, "Also print the execution history");
  run_cmd->add_option("--mock-config", run.mock_config,
                      "Mocked task responses (Step Functions Local's MockConfigFile.json format)");
  run_cmd->add_option("--test-case", run.test_case, "The mock config's test case to use");
  run_cmd->add_option("--state-machine", run.state_machine,
                      "The mock config's state machine, when several have the test case");
  run_cmd->add_flag("--fast-waits", run.fast_waits,
                    "Do not sleep in Wait states and retry back-offs");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }
  if (*run_cmd) return stepway::cli::RunCommand(run);
  return 2;
}
