// The Task integration that runs a Transfer workflow's steps (the states CompileWorkflow makes):
// COPY, TAG, DELETE and DECRYPT on the files in the data folder, and CUSTOM, which invokes its
// Lambda target through the integrations the server has (as a Lambda Task would be) with the
// event Transfer sends, then waits for SendWorkflowStepState.
//
// File work runs on the integration's own threads, never on a shard. A step's error is reported
// as its ExecutionErrorType (NOT_FOUND, ALREADY_EXISTS, BAD_REQUEST, PERMISSION_DENIED,
// CUSTOM_STEP_FAILED, INTERNAL_SERVER_ERROR) with a message as the cause.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "json/json.h"
#include "runtime/integration.h"
#include "runtime/task_token.h"
#include "store/store.h"

namespace stepway::transfer {

// A log event of an execution, AWS's JSON shape ({"type": "StepStarted", "details": {...},
// "workflowId", "executionId", "transferDetails"}), for the server's log.
using LogSink = std::function<void(const std::string& server_id, json::Object event)>;

struct StepsOptions {
  std::string files_root;    // DATA/files
  std::string pgp_keys_dir;  // DATA/pgp: SERVER_ID/USER.json, SERVER_ID/@pgp-default.json
  store::Store* store = nullptr;  // S3 object tags are kept as documents here
  const runtime::TaskTokenCodec* tokens = nullptr;
  // Who runs a CUSTOM step's Lambda target.
  runtime::IntegrationResolver lambda;
  LogSink log;
  int threads = 2;
};

// The document kind of S3 object tags (id "BUCKET/KEY", body {"Key": "Value", ...}).
inline constexpr std::string_view kObjectTagsKind = "transfer-object-tags";

// Whether `invocation` is a Transfer step (resource arn:aws:states:::transfer:...).
bool IsTransferStep(const runtime::TaskInvocation& invocation);

std::unique_ptr<runtime::Integration> NewStepIntegration(StepsOptions options);

// The fields every log event of an execution carries.
json::Object LogEvent(std::string_view type, const json::Object& state, std::string_view execution_id);

}  // namespace stepway::transfer
