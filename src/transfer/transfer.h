// Transfer Family: the TransferService operations (servers, users, SSH keys, workflows, their
// executions, SendWorkflowStepState, tags), the SFTP endpoints of started servers, and
// workflows started by uploads.
//
// Servers, users and workflows are store documents. A workflow is also a state machine (named
// "~transfer~<WorkflowId>", a name no client can create) compiled by CompileWorkflow; an upload
// starts an execution of it whose name is the Transfer ExecutionId, so executions are as
// durable as any: they survive restarts, and so do CUSTOM steps waiting for their callback.
// DescribeExecution reads the execution's history (ViewExecution).
//
// Thread-safe. Handle answers through `respond` exactly once, from any thread.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "api/protocol.h"
#include "base/result.h"
#include "json/json.h"
#include "runtime/integration.h"
#include "runtime/runtime.h"
#include "runtime/task_token.h"
#include "store/store.h"

namespace stepway::transfer {

struct TransferOptions {
  std::string region = "us-east-1";
  std::string account = "123456789012";
  std::string data_dir;                // DATA: files/, sftp/, pgp/, logs/ live here
  std::string sftp_host = "127.0.0.1";  // where the servers' SFTP endpoints listen
  // Fixed SFTP ports by ServerId; other servers get a free port (kept across restarts when it is
  // still free).
  std::map<std::string, std::uint16_t> sftp_ports;
};

class Transfer {
 public:
  Transfer(store::Store& store, runtime::Runtime& runtime, const runtime::TaskTokenCodec& tokens,
           TransferOptions options);
  ~Transfer();
  Transfer(const Transfer&) = delete;
  Transfer& operator=(const Transfer&) = delete;

  // The Task integration running workflow steps; `lambda` resolves a CUSTOM step's target.
  // Register it (IsTransferStep) before the runtime recovers.
  std::unique_ptr<runtime::Integration> NewStepIntegration(runtime::IntegrationResolver lambda);

  // Starts the SFTP endpoints of ONLINE servers and follows executions still running (for their
  // log). Call after the runtime recovered.
  Status Start();
  // Stops every SFTP endpoint (their servers stay ONLINE for the next start). Idempotent.
  void Stop();

  // A TransferService operation whose request passed the model's validation.
  void Handle(std::string_view operation, const json::Object& request, api::Respond respond);

  // The SFTP port of a started server, 0 when it is not started. For tests and logs.
  std::uint16_t SftpPort(const std::string& server_id);

  class Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace stepway::transfer
