// What the client commands know about a service beyond api/model.h's operation tables: the
// command and option names, a line of documentation per operation and member, and how the list
// operations page. Generated with the model tables by tools/gen_model_tables.py
// (src/cli/cli_tables_sfn.inc, cli_tables_transfer.inc), from the same service models, so a
// command, its options, its help and the server's validation all come from one description.
//
// Immutable after static initialisation; thread-safe.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "api/model.h"

namespace stepway::cli {

struct OperationDoc {
  std::string_view name;      // "SendTaskSuccess"
  std::string_view cli_name;  // "send-task-success"
  std::string_view doc;       // first paragraph, plain text
};

struct MemberDoc {
  std::string_view shape;     // the structure's shape name
  std::string_view member;    // "taskToken"
  std::string_view cli_name;  // "task-token" (input members may be renamed: "task-output")
  std::string_view doc;
};

// How a list operation pages (botocore's paginators-1.json).
struct Paginator {
  std::string_view operation;
  std::string_view input_token;   // "nextToken"
  std::string_view output_token;  // "nextToken"
  std::string_view limit_key;     // "maxResults", or ""
  std::string_view result_key;    // "executions"
};

struct ServiceInfo {
  api::Service service;
  std::string_view cli_name;      // "stepfunctions" / "transfer"
  std::string_view signing_name;  // "states" / "transfer"
  std::string_view doc;
};

// The service a command line names ("stepfunctions", "transfer"), or nullptr.
const ServiceInfo* FindService(std::string_view cli_name);
const ServiceInfo& InfoOf(api::Service service);

// The operations' documentation, in api::Operations(service) order.
std::span<const OperationDoc> OperationDocs(api::Service service);
// The operation whose command name is `cli_name` ("start-execution"), or nullptr.
const api::Operation* FindOperationByCliName(api::Service service, std::string_view cli_name);
const OperationDoc& DocOf(api::Service service, const api::Operation& operation);

// A structure member's documentation and option name; nullptr when the tables lack it.
const MemberDoc* FindMemberDoc(api::Service service, std::string_view shape,
                               std::string_view member);
// The option name of a member without its "--" ("task-token").
std::string CliNameOf(api::Service service, std::string_view shape, std::string_view member);

// The operation's paginator, or nullptr when it does not page.
const Paginator* FindPaginator(api::Service service, std::string_view operation);

// The first sentence of a documentation string.
std::string_view FirstSentence(std::string_view doc);

}  // namespace stepway::cli
