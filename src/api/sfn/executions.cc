// StartExecution, StartSyncExecution, DescribeExecution, ListExecutions, StopExecution,
// GetExecutionHistory.
#include <memory>
#include <tuple>
#include <utility>

#include "api/sfn/common.h"
#include "api/sfn/operations.h"

namespace stepway::api::sfn {

namespace {

Result<store::ExecutionRecord> FindExecution(Context& c, const std::string& arn) {
  auto e = c.store.GetExecution(arn);
  if (!e) e = c.express_store.GetExecution(arn);
  return e;
}

Response ExecutionDoesNotExist(const std::string& arn) {
  return Error("ExecutionDoesNotExist", "Execution Does Not Exist: '" + arn + "'");
}

json::Object Describe(const store::ExecutionRecord& e) {
  json::Object out{{"executionArn", e.arn},
                   {"stateMachineArn", e.state_machine_arn},
                   {"name", e.name},
                   {"status", e.status},
                   {"startDate", Timestamp(e.start_millis)},
                   {"input", e.input},
                   {"inputDetails", json::Object{{"included", true}}}};
  if (e.stop_millis) out["stopDate"] = Timestamp(*e.stop_millis);
  if (e.output) {
    out["output"] = *e.output;
    out["outputDetails"] = json::Object{{"included", true}};
  }
  if (e.error) out["error"] = *e.error;
  if (e.cause) out["cause"] = *e.cause;
  out["redriveCount"] = e.redrive_count;
  if (e.type == "EXPRESS") {
    out["redriveStatus"] = "NOT_REDRIVABLE";
    out["redriveStatusReason"] = "Execution is of type EXPRESS and cannot be redriven";
  } else if (e.status == "RUNNING" || e.status == "SUCCEEDED") {
    out["redriveStatus"] = "NOT_REDRIVABLE";
    out["redriveStatusReason"] = "Execution is " + e.status + " and cannot be redriven";
  } else {
    out["redriveStatus"] = "REDRIVABLE";
  }
  return out;
}

Response StartError(const stepway::Error& e) {
  switch (e.code) {
    case ErrorCode::kNotFound:
      return Error("StateMachineDoesNotExist", e.message);
    case ErrorCode::kAlreadyExists:
      return Error("ExecutionAlreadyExists", e.message);
    case ErrorCode::kInvalidArgument:
      return Error("InvalidExecutionInput", e.message);
    case ErrorCode::kFailedPrecondition:
      return Error("StateMachineTypeNotSupported", e.message);
    default:
      return Error("ServiceUnavailable", e.message);
  }
}

// Splits Step Functions Local's "stateMachineArn#TestCase" into the two.
std::pair<std::string, std::string> SplitTestCase(const std::string& arn) {
  const auto hash = arn.find('#');
  if (hash == std::string::npos) return {arn, ""};
  return {arn.substr(0, hash), arn.substr(hash + 1)};
}

std::optional<Response> CheckStart(Context& c, const json::Object& request) {
  const auto [arn, test_case] = SplitTestCase(StringOf(request, "stateMachineArn"));
  if (auto e = CheckArn(arn, "stateMachine")) return e;
  if (!test_case.empty()) {
    // arn:partition:states:region:account:stateMachine:NAME
    std::string name = arn;
    for (int i = 0; i < 6 && name.find(':') != std::string::npos; ++i) {
      name = name.substr(name.find(':') + 1);
    }
    name = name.substr(0, name.find(':'));
    if (!c.has_test_case || !c.has_test_case(name, test_case)) {
      return Error("InvalidName", "Invalid Name: 'Test case " + test_case +
                                      " not found for state machine " + name +
                                      " in the mock config'");
    }
  }
  if (request.contains("name")) {
    const std::string name = StringOf(request, "name");
    if (!ValidName(name)) return Error("InvalidName", "Invalid Name: '" + name + "'");
  }
  return std::nullopt;
}

runtime::StartExecutionRequest StartRequestOf(const json::Object& request) {
  runtime::StartExecutionRequest r;
  std::tie(r.state_machine_arn, r.test_case) = SplitTestCase(StringOf(request, "stateMachineArn"));
  r.name = StringOf(request, "name");
  r.input = StringOf(request, "input", "{}");
  r.trace_header = StringOf(request, "traceHeader");
  return r;
}

}  // namespace

void StartExecution(Context& c, const json::Object& request, Respond respond) {
  if (auto e = CheckStart(c, request)) return respond(std::move(*e));
  c.runtime.StartExecution(StartRequestOf(request),
                           [respond = std::move(respond)](Result<runtime::StartExecutionResult> r) {
                             if (!r) return respond(StartError(r.error()));
                             respond(Ok(json::Object{{"executionArn", r->execution_arn},
                                                     {"startDate", Timestamp(r->start_millis)}}));
                           });
}

void StartSyncExecution(Context& c, const json::Object& request, Respond respond) {
  if (auto e = CheckStart(c, request)) return respond(std::move(*e));
  c.runtime.StartSyncExecution(
      StartRequestOf(request),
      [respond = std::move(respond)](Result<runtime::SyncExecutionResult> r) {
        if (!r) return respond(StartError(r.error()));
        const store::ExecutionRecord& e = r->record;
        json::Object out{
            {"executionArn", e.arn},
            {"stateMachineArn", e.state_machine_arn},
            {"name", e.name},
            {"startDate", Timestamp(e.start_millis)},
            {"stopDate", Timestamp(e.stop_millis.value_or(e.start_millis))},
            {"status", e.status},
            {"input", e.input},
            {"inputDetails", json::Object{{"included", true}}},
            {"billingDetails", json::Object{{"billedMemoryUsedInMB", 64},
                                            {"billedDurationInMilliseconds",
                                             std::max<std::int64_t>(100, r->billed_millis)}}}};
        if (e.output) {
          out["output"] = *e.output;
          out["outputDetails"] = json::Object{{"included", true}};
        }
        if (e.error) out["error"] = *e.error;
        if (e.cause) out["cause"] = *e.cause;
        respond(Ok(out));
      });
}

void DescribeExecution(Context& c, const json::Object& request, Respond respond) {
  const std::string arn = StringOf(request, "executionArn");
  if (auto e = CheckArn(arn, "execution")) return respond(std::move(*e));
  auto e = FindExecution(c, arn);
  if (!e) return respond(ExecutionDoesNotExist(arn));
  respond(Ok(Describe(*e)));
}

void ListExecutions(Context& c, const json::Object& request, Respond respond) {
  const std::string arn = StringOf(request, "stateMachineArn");
  if (arn.empty()) {
    return respond(Error("ValidationException", "Must provide a StateMachine ARN or MapRun ARN"));
  }
  if (auto e = CheckArn(arn, "stateMachine")) return respond(std::move(*e));
  auto machine = c.store.GetStateMachine(arn);
  if (!machine) {
    return respond(
        Error("StateMachineDoesNotExist", "State Machine Does Not Exist: '" + arn + "'"));
  }
  store::ExecutionFilter filter;
  filter.state_machine_arn = arn;
  if (request.contains("statusFilter")) filter.status = StringOf(request, "statusFilter");
  std::int64_t max = IntOf(request, "maxResults", 0);
  filter.limit = max <= 0 ? 100 : std::size_t(max);
  if (std::string token = StringOf(request, "nextToken"); !token.empty()) {
    auto position = DecodePageToken(token);
    if (!position) return respond(Error("InvalidToken", "Invalid Token: 'Invalid token'"));
    filter.after = *position;
  }
  store::Store& source = machine->type == "EXPRESS" ? c.express_store : c.store;
  store::ExecutionPage page = source.ListExecutions(filter);
  json::Array items;
  for (const store::ExecutionRecord& e : page.executions) {
    json::Object o{{"executionArn", e.arn},
                   {"stateMachineArn", e.state_machine_arn},
                   {"name", e.name},
                   {"status", e.status},
                   {"startDate", Timestamp(e.start_millis)}};
    if (e.stop_millis) {
      o["stopDate"] = Timestamp(*e.stop_millis);
      o["redriveCount"] = e.redrive_count;
    }
    items.push_back(std::move(o));
  }
  json::Object out{{"executions", std::move(items)}};
  if (!page.next.empty()) out["nextToken"] = EncodePageToken(page.next);
  respond(Ok(out));
}

void StopExecution(Context& c, const json::Object& request, Respond respond) {
  const std::string arn = StringOf(request, "executionArn");
  if (auto e = CheckArn(arn, "execution")) return respond(std::move(*e));
  c.runtime.StopExecution(arn, StringOf(request, "error"), StringOf(request, "cause"),
                          [arn, respond = std::move(respond)](Result<std::int64_t> r) {
                            if (!r) {
                              if (r.error().code == ErrorCode::kNotFound) {
                                return respond(ExecutionDoesNotExist(arn));
                              }
                              return respond(Error("ServiceUnavailable", r.error().message));
                            }
                            respond(Ok(json::Object{{"stopDate", Timestamp(*r)}}));
                          });
}

void GetExecutionHistory(Context& c, const json::Object& request, Respond respond) {
  const std::string arn = StringOf(request, "executionArn");
  if (auto e = CheckArn(arn, "execution")) return respond(std::move(*e));
  auto execution = FindExecution(c, arn);
  if (!execution) return respond(ExecutionDoesNotExist(arn));
  store::Store& source = execution->type == "EXPRESS" ? c.express_store : c.store;
  const bool reverse = BoolOf(request, "reverseOrder", false);
  const bool include_data = BoolOf(request, "includeExecutionData", true);
  std::int64_t max = IntOf(request, "maxResults", 0);
  if (max <= 0) max = 100;
  std::int64_t first = reverse ? source.CountHistory(arn) : 1;
  if (std::string token = StringOf(request, "nextToken"); !token.empty()) {
    auto position = DecodePageToken(token);
    if (!position) return respond(Error("InvalidToken", "Invalid Token: 'Invalid token'"));
    first = std::strtoll(position->c_str(), nullptr, 10);
  }
  auto records = source.GetHistory(arn, first, std::size_t(max) + 1, reverse);
  json::Array events;
  for (std::size_t i = 0; i < records.size() && i < std::size_t(max); ++i) {
    auto event = json::Parse(records[i].json);
    if (!event || !event->is_object()) continue;
    if (!include_data) {
      for (auto& kv : event->get_object()) {
        if (!kv.value().is_object() || kv.key().find("EventDetails") == std::string::npos) continue;
        json::Object& details = kv.value().get_object();
        for (const char* member : {"input", "output", "parameters"}) {
          if (details.erase(member)) {
            std::string d = std::string(member) + "Details";
            if (details.contains(d)) details[d] = json::Object{{"truncated", false}};
          }
        }
      }
    }
    events.push_back(std::move(*event));
  }
  json::Object out{{"events", std::move(events)}};
  if (records.size() > std::size_t(max)) {
    out["nextToken"] = EncodePageToken(std::to_string(records[std::size_t(max)].id));
  }
  respond(Ok(out));
}

}  // namespace stepway::api::sfn
