#include "app/serve.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "api/service.h"
#include "http/server.h"
#include "integrations/aws_services.h"
#include "integrations/mock.h"
#include "integrations/nested_execution.h"
#include "integrations/registry.h"
#include "integrations/lambda.h"
#include "integrations/http_task.h"
#include "runtime/runtime.h"
#include "store/store.h"
#include "transfer/steps.h"
#include "transfer/transfer.h"

namespace stepway::app {

namespace {

bool SplitHostPort(const std::string& listen, std::string& host, std::uint16_t& port) {
  const auto colon = listen.rfind(':');
  if (colon == std::string::npos) return false;
  host = listen.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  char* end = nullptr;
  long p = std::strtol(listen.c_str() + colon + 1, &end, 10);
  if (end == listen.c_str() + colon + 1 || *end != '\0' || p < 0 || p > 65535) return false;
  port = std::uint16_t(p);
  return !host.empty();
}

}  // namespace

int Serve(const ServeOptions& options) {
  // Block the stop signals before any thread starts, so that every thread inherits the mask
  // and only this one, in sigwait below, receives them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  std::string host;
  std::uint16_t port = 0;
  if (!SplitHostPort(options.listen, host, port)) {
    std::fprintf(stderr, "stepway serve: --listen wants HOST:PORT, got '%s'\n",
                 options.listen.c_str());
    return 2;
  }
  std::error_code ec;
  std::filesystem::create_directories(options.data, ec);
  if (ec) {
    std::fprintf(stderr, "stepway serve: cannot create the data folder %s: %s\n",
                 options.data.c_str(), ec.message().c_str());
    return 1;
  }
  // One server per data folder: a second one would replay the same executions and hand out
  // the same tasks, and its SQLite, closing, would remove the first one's WAL file. The lock
  // is the kernel's (flock), so it goes with the process however that ends.
  const std::string lock_path = options.data + "/serve.lock";
  const int lock_fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (lock_fd < 0 || ::flock(lock_fd, LOCK_EX | LOCK_NB) != 0) {
    std::fprintf(stderr, "stepway serve: the data folder %s is in use by another stepway serve\n",
                 options.data.c_str());
    return 1;
  }
  std::unique_ptr<store::Store> durable;
  if (options.store == "memory") {
    durable = store::NewMemoryStore();
  } else if (options.store == "sqlite") {
    auto opened = store::OpenSqliteStore(options.data + "/stepway.db");
    if (!opened) {
      std::fprintf(stderr, "stepway serve: %s\n", opened.error().message.c_str());
      return 1;
    }
    durable = std::move(*opened);
  } else {
    std::fprintf(stderr, "stepway serve: --store is sqlite or memory, got '%s'\n",
                 options.store.c_str());
    return 2;
  }
  // EXPRESS executions live in memory, as in AWS; the 10,000 most recently finished stay
  // describable, older ones are forgotten so that memory stays bounded.
  std::unique_ptr<store::Store> express = store::NewMemoryStore(10'000);
  auto key = runtime::TaskTokenCodec::LoadOrCreateKey(options.data + "/token.key");
  if (!key) {
    std::fprintf(stderr, "stepway serve: %s\n", key.error().message.c_str());
    return 1;
  }
  runtime::TaskTokenCodec tokens(*key);
  SystemClock clock;
  runtime::RuntimeOptions runtime_options;
  runtime_options.region = options.region;
  runtime_options.account = options.account;
  runtime_options.shards = options.shards;
  runtime_options.wait_time_scale = options.wait_time_scale;
  runtime_options.activity_poll_seconds = options.activity_poll_seconds;
  runtime_options.resident_idle_executions = options.resident_idle_executions;
  // The Task integrations this server runs (each added below from its options).
  integrations::Registry registry;
  // Mocks first: a test case overrides every real integration of the states it names.
  std::shared_ptr<const engine::MockConfig> mock_config;
  integrations::MockIntegration* mocks = nullptr;
  if (!options.mock_config.empty()) {
    auto loaded = integrations::LoadMockConfig(options.mock_config);
    if (!loaded) {
      std::fprintf(stderr, "stepway serve: --mock-config: %s\n", loaded.error().message.c_str());
      return 2;
    }
    mock_config = *loaded;
    auto owned = std::make_unique<integrations::MockIntegration>(mock_config);
    mocks = owned.get();
    registry.Add([mocks](const runtime::TaskInvocation& i) { return mocks->Matches(i); },
                 std::move(owned));
  }
  runtime_options.integrations = registry.Resolver();
  auto runtime = runtime::NewRuntime(*durable, *express, tokens, clock, runtime_options);
  // Integrations that need the runtime; added before Recover() re-invokes open tasks.
  if (mocks != nullptr) mocks->AttachRuntime(runtime.get());
  registry.Add(integrations::IsNestedExecution,
               std::make_unique<integrations::NestedExecutionIntegration>(*runtime));
  integrations::AwsServicesOptions aws;
  aws.endpoints = options.endpoints;
  aws.access_key_id = options.aws_access_key_id;
  aws.secret_access_key = options.aws_secret_access_key;
  aws.region = options.region;
  auto aws_services = std::make_unique<integrations::AwsServiceIntegration>(std::move(aws));
  const integrations::AwsServiceIntegration* aws_matcher = aws_services.get();
  registry.Add([aws_matcher](const runtime::TaskInvocation& i) { return aws_matcher->Matches(i); },
               std::move(aws_services));
  // real integrations
  integrations::LambdaIntegration* lambda = nullptr;
  if (!options.functions.empty() || !options.lambda_endpoint.empty()) {
    if (options.lambda_concurrency < 1 || !(options.lambda_timeout_seconds > 0)) {
      std::fprintf(stderr, "stepway serve: --lambda-concurrency and --lambda-timeout must be > 0\n");
      return 2;
    }
    integrations::LambdaOptions lambda_options;
    lambda_options.functions_dir = options.functions;
    lambda_options.endpoint = options.lambda_endpoint;
    lambda_options.concurrency = options.lambda_concurrency;
    lambda_options.timeout =
        std::chrono::milliseconds(std::int64_t(options.lambda_timeout_seconds * 1000));
    auto owned = std::make_unique<integrations::LambdaIntegration>(std::move(lambda_options));
    lambda = owned.get();
    registry.Add(integrations::IsLambda, std::move(owned));
  }
  integrations::HttpTaskOptions http_task_options;
  if (!options.connections.empty()) {
    auto loaded = integrations::LoadConnections(options.connections);
    if (!loaded) {
      std::fprintf(stderr, "stepway serve: --connections: %s\n", loaded.error().message.c_str());
      return 2;
    }
    http_task_options.connections = std::move(*loaded);
  }
  http_task_options.region = options.region;
  registry.Add(integrations::IsHttpTask,
               std::make_unique<integrations::HttpTaskIntegration>(std::move(http_task_options)));
  // Transfer Family: its workflows' steps are Tasks of the runtime, so they are registered
  // before recovery resumes them; a CUSTOM step's Lambda target resolves like any Task.
  transfer::TransferOptions transfer_options;
  transfer_options.region = options.region;
  transfer_options.account = options.account;
  transfer_options.data_dir = options.data;
  transfer_options.sftp_host = host;
  transfer_options.sftp_ports = options.sftp_ports;
  transfer::Transfer transfer_service(*durable, *runtime, tokens, std::move(transfer_options));
  registry.Add(transfer::IsTransferStep,
               transfer_service.NewStepIntegration(registry.Resolver()));
  const auto recovery_start = std::chrono::steady_clock::now();
  const auto resumed = runtime->Recover();
  if (!resumed) {
    std::fprintf(stderr, "stepway serve: recovery failed: %s\n",
                 resumed.error().message.c_str());
    return 1;
  }
  if (*resumed > 0) {
    const std::chrono::duration<double> took = std::chrono::steady_clock::now() - recovery_start;
    std::fprintf(stderr, "stepway serve: resumed %zu running executions in %.2f s\n", *resumed,
                 took.count());
  }
  api::sfn::Context context{*durable, *express, *runtime, options.region, options.account};
  if (mock_config) {
    context.has_test_case = [mock_config](std::string_view machine, std::string_view test_case) {
      return mock_config->HasTestCase(machine, test_case);
    };
  }
  if (auto s = transfer_service.Start(); !s) {
    std::fprintf(stderr, "stepway serve: Transfer servers: %s\n", s.error().message.c_str());
  }
  api::ServiceOptions service_options;
  service_options.credentials = options.credentials;
  service_options.transfer = [&transfer_service](std::string_view op, const json::Object& request,
                                                 api::Respond respond) {
    transfer_service.Handle(op, request, std::move(respond));
  };


  http::ServerOptions server_options;
  server_options.host = host;
  server_options.port = port;
  server_options.threads = options.http_threads;
  auto server = http::StartServer(server_options,
                                  api::NewServiceHandler(context, std::move(service_options)));
  if (!server) {
    std::fprintf(stderr, "stepway serve: %s\n", server.error().message.c_str());
    transfer_service.Stop();
    runtime->Shutdown();
    return 1;
  }
  std::fprintf(stderr, "stepway: serving Step Functions on http://%s:%u and Transfer Family there too "
               "(data: %s, store: %s)\n",
               host.c_str(), unsigned((*server)->port()), options.data.c_str(),
               options.store.c_str());
  std::fflush(stderr);

  if (lambda != nullptr) {
    const std::string reachable = host == "0.0.0.0" ? "127.0.0.1" : host == "::" ? "[::1]" : host;
    lambda->SetServiceEndpoint("http://" + reachable + ":" + std::to_string((*server)->port()));
  }

  int received = 0;
  sigwait(&signals, &received);
  std::fprintf(stderr, "stepway: stopping (%s)\n", strsignal(received));
  (*server)->Stop();
  transfer_service.Stop();
  runtime->Shutdown();
  return 0;
}

}  // namespace stepway::app
