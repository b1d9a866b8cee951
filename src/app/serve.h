// `stepway serve`: the Step Functions and Transfer Family services on HTTP (and the Transfer
// servers' SFTP endpoints), durable in a data folder.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>

namespace stepway::app {

struct ServeOptions {
  std::string listen = "127.0.0.1:8083";
  std::string data = "./stepway-data";
  std::string store = "sqlite";  // "sqlite" (in the data folder) or "memory"
  int shards = 0;
  int http_threads = 0;
  double wait_time_scale = 1.0;
  int activity_poll_seconds = 60;
  std::size_t resident_idle_executions = 20000;
  std::string region = "us-east-1";
  std::string account = "123456789012";
  std::map<std::string, std::string> credentials;  // access key -> secret (SigV4 checked)
  // Lambda Task resources: NAME runs as the executable `functions`/NAME, or is forwarded to
  // the Lambda Invoke API at `lambda_endpoint`; "" for neither.
  std::string functions;
  std::string lambda_endpoint;
  int lambda_concurrency = 10;          // invocations running at once
  double lambda_timeout_seconds = 60;   // a function's timeout
  // HTTP Tasks' Authentication.ConnectionArn -> credentials (a JSON file); "" for none.
  std::string connections;
  // Mocked Task responses (Step Functions Local's MockConfigFile.json), for executions started
  // with "stateMachineArn#TestCase"; "" for none.
  std::string mock_config;
  // AWS services' endpoints by service name ("sqs" -> "http://127.0.0.1:9324"), for sqs:, sns:,
  // events:, dynamodb: and aws-sdk: Task resources; requests to them are SigV4-signed with:
  std::map<std::string, std::string> endpoints;
  std::string aws_access_key_id;
  std::string aws_secret_access_key;
  // Transfer servers' SFTP ports by ServerId; servers not named get a free port.
  std::map<std::string, std::uint16_t> sftp_ports;
};

// Serves until SIGINT or SIGTERM. Exit code: 0 after a clean stop, 2 for bad options, 1 when
// the data folder, the store or the listening address cannot be used.
int Serve(const ServeOptions& options);

}  // namespace stepway::app
