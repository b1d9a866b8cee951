// stepway: the Step Functions and Transfer Family workflow engine, as one binary.
#include <CLI/CLI.hpp>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "app/serve.h"
#include "cli/aws_command.h"
#include "cli/run_command.h"

int main(int argc, char** argv) {
  // `stepway stepfunctions ...` and `stepway transfer ...` parse their options as the AWS CLI
  // does (values after an option, shorthand, --no-flag), which CLI11 is not built for.
  if (argc >= 2 && stepway::cli::IsAwsServiceCommand(argv[1])) {
    return stepway::cli::RunAwsCommand(std::vector<std::string>(argv + 1, argv + argc));
  }
  CLI::App app{"Stepway: a self-hosted workflow engine for AWS Step Functions workflows"};
  app.footer(
      "Client commands, as the AWS CLI's (see `stepway <service> help`):\n"
      "  stepway stepfunctions <command> [options]   Step Functions API calls\n"
      "  stepway transfer <command> [options]        Transfer Family API calls");
  app.name("stepway");
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

  stepway::app::ServeOptions serve;
  std::vector<std::string> credentials;
  CLI::App* serve_cmd = app.add_subcommand("serve", "Serve the Step Functions API over HTTP");
  serve_cmd->add_option("--listen", serve.listen, "HOST:PORT to listen on (port 0: any free)")
      ->capture_default_str();
  serve_cmd->add_option("--data", serve.data, "The data folder (SQLite database, token key)")
      ->capture_default_str();
  serve_cmd->add_option("--store", serve.store, "sqlite (durable, default) or memory")
      ->capture_default_str();
  serve_cmd->add_option("--shards", serve.shards, "Interpreter threads (0: one per core)");
  serve_cmd->add_option("--http-threads", serve.http_threads, "HTTP threads (0: one per core)");
  serve_cmd->add_option("--wait-time-scale", serve.wait_time_scale,
                        "Multiply Wait states and retry delays (e.g. 0.01 for tests)");
  serve_cmd->add_option("--activity-poll-seconds", serve.activity_poll_seconds,
                        "How long GetActivityTask waits for a task (AWS: 60)");
  serve_cmd->add_option("--resident-idle-executions", serve.resident_idle_executions,
                        "Executions waiting only for task tokens kept in memory; the least "
                        "recently idle beyond this wait in the store and are reloaded when "
                        "their callback comes")
      ->capture_default_str();
  serve_cmd->add_option("--region", serve.region, "Region in ARNs")->capture_default_str();
  serve_cmd->add_option("--account", serve.account, "Account id in ARNs")->capture_default_str();
  serve_cmd->add_option("--credentials", credentials,
                        "ACCESS_KEY:SECRET_KEY; when given, requests must be SigV4-signed "
                        "(also from STEPWAY_CREDENTIALS)");
  serve_cmd->add_option("--functions", serve.functions,
                        "Lambda functions: run NAME as the executable DIR/NAME (event JSON on "
                        "stdin, result JSON on stdout)");
  serve_cmd->add_option("--lambda-endpoint", serve.lambda_endpoint,
                        "Lambda functions: forward to this Lambda Invoke API (SAM local, the "
                        "runtime interface emulator), e.g. http://127.0.0.1:3001");
  serve_cmd->add_option("--lambda-concurrency", serve.lambda_concurrency,
                        "Lambda invocations running at once (the rest wait)")
      ->capture_default_str();
  serve_cmd->add_option("--lambda-timeout", serve.lambda_timeout_seconds,
                        "A Lambda function's timeout in seconds (Lambda.Unknown past it)")
      ->capture_default_str();
  serve_cmd->add_option("--connections", serve.connections,
                        "HTTP Task credentials: a JSON file mapping ConnectionArn to "
                        "{\"ApiKey\": {\"Key\", \"Value\"}}, {\"Basic\": {\"Username\", "
                        "\"Password\"}} or {\"OAuth\": {...}}");
  serve_cmd->add_option("--mock-config", serve.mock_config,
                        "Mocked Task responses (Step Functions Local's MockConfigFile.json) for "
                        "executions started with stateMachineArn#TestCase (also SFN_MOCK_CONFIG)");
  std::vector<std::string> endpoints;
  serve_cmd->add_option("--endpoint", endpoints,
                        "SERVICE=URL: where sqs, sns, events, dynamodb and aws-sdk:SERVICE Task "
                        "resources go (repeatable), e.g. sqs=http://127.0.0.1:9324");
  serve_cmd->add_option("--aws-access-key-id", serve.aws_access_key_id,
                        "Signs requests to --endpoint services (also AWS_ACCESS_KEY_ID)");
  serve_cmd->add_option("--aws-secret-access-key", serve.aws_secret_access_key,
                        "Signs requests to --endpoint services (also AWS_SECRET_ACCESS_KEY)");
  std::vector<std::string> sftp_ports;
  serve_cmd->add_option("--sftp-port", sftp_ports,
                        "SERVER_ID=PORT: the SFTP port of a Transfer server (repeatable); other "
                        "servers get a free port, shown in the log and DescribeServer's Port");

  // `stepway help`, as the usage text of the client commands suggests.
  if (argc == 2 && std::string_view(argv[1]) == "help") {
    std::fputs(app.help().c_str(), stdout);
    return 0;
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }
  if (*run_cmd) return stepway::cli::RunCommand(run);
  if (*serve_cmd) {
    if (const char* env = std::getenv("STEPWAY_CREDENTIALS"); env && credentials.empty()) {
      credentials.emplace_back(env);
    }
    for (const std::string& c : credentials) {
      const auto colon = c.find(':');
      if (colon == std::string::npos || colon == 0 || colon + 1 == c.size()) {
        std::fprintf(stderr, "stepway serve: --credentials wants ACCESS_KEY:SECRET_KEY\n");
        return 2;
      }
      serve.credentials[c.substr(0, colon)] = c.substr(colon + 1);
    }
    if (const char* env = std::getenv("SFN_MOCK_CONFIG"); env && serve.mock_config.empty()) {
      serve.mock_config = env;
    }
    for (const std::string& e : endpoints) {
      const auto eq = e.find('=');
      if (eq == std::string::npos || eq == 0 || eq + 1 == e.size()) {
        std::fprintf(stderr, "stepway serve: --endpoint wants SERVICE=URL, got '%s'\n", e.c_str());
        return 2;
      }
      serve.endpoints[e.substr(0, eq)] = e.substr(eq + 1);
    }
    for (const std::string& p : sftp_ports) {
      const auto eq = p.find('=');
      char* end = nullptr;
      const long port = eq == std::string::npos ? -1 : std::strtol(p.c_str() + eq + 1, &end, 10);
      if (eq == std::string::npos || eq == 0 || port <= 0 || port > 65535 || *end != '\0') {
        std::fprintf(stderr, "stepway serve: --sftp-port wants SERVER_ID=PORT, got '%s'\n",
                     p.c_str());
        return 2;
      }
      serve.sftp_ports[p.substr(0, eq)] = std::uint16_t(port);
    }
    if (const char* env = std::getenv("AWS_ACCESS_KEY_ID"); env && serve.aws_access_key_id.empty()) {
      serve.aws_access_key_id = env;
    }
    if (const char* env = std::getenv("AWS_SECRET_ACCESS_KEY");
        env && serve.aws_secret_access_key.empty()) {
      serve.aws_secret_access_key = env;
    }
    return stepway::app::Serve(serve);
  }
  return 2;
}
