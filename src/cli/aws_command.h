// `stepway stepfunctions <command>` and `stepway transfer <command>`: the AWS CLI's commands for
// both services, generated from the operation tables (api/model.h) and the client tables
// (cli/service_tables.h), so every operation the model has is a command with one option per
// input member, typed as the model types it.
//
// Behaves as the AWS CLI (v2): global options anywhere on the line (--endpoint-url, --region,
// --profile, --output json|yaml|text|table, --query, --no-paginate, ...); option values as JSON,
// shorthand or file:// / fileb://; --cli-input-json / --cli-input-yaml; --generate-cli-skeleton
// [input|yaml-input|output]; SigV4-signed requests when credentials are found; list commands
// follow their next token (--max-items, --page-size, --starting-token); `help` pages; errors as
// "An error occurred (Type) when calling the Op operation: message" with exit code 254, usage
// and parameter errors with 252, other failures (no connection) with 255. Extra:
// `start-execution --wait` follows the execution and prints DescribeExecution's answer.
//
// Writes to stdout and stderr; makes blocking HTTP calls. Not thread-safe (one per process).
#pragma once

#include <string>
#include <vector>

namespace stepway::cli {

// Exit codes of the AWS CLI v2.
inline constexpr int kExitOk = 0;
inline constexpr int kExitGeneralError = 255;
inline constexpr int kExitServiceError = 254;
inline constexpr int kExitUsageError = 252;

// Whether `word` names a service the client commands serve ("stepfunctions", "transfer").
bool IsAwsServiceCommand(const std::string& word);

// Runs one command. `args` are the words after the program name, the service first:
// {"stepfunctions", "list-state-machines", "--max-items", "5"}. Returns the exit code.
int RunAwsCommand(const std::vector<std::string>& args);

}  // namespace stepway::cli
