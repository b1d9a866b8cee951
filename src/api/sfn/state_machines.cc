// CreateStateMachine, DescribeStateMachine, ListStateMachines, UpdateStateMachine,
// DeleteStateMachine, DescribeStateMachineForExecution, ValidateStateMachineDefinition.
#include <chrono>
#include <vector>

#include "api/sfn/common.h"
#include "api/sfn/operations.h"
#include "asl/definition.h"
#include "base/random.h"

namespace stepway::api::sfn {

namespace {

std::string NewRevision() {
  SystemRandom r;
  return NewUuid(r);
}

json::Object LoggingOf(const store::StateMachineRecord& r) {
  if (!r.logging_configuration.empty()) {
    if (auto v = json::Parse(r.logging_configuration); v && v->is_object()) return v->get_object();
  }
  return json::Object{{"level", "OFF"}, {"includeExecutionData", false}};
}

json::Object TracingOf(const store::StateMachineRecord& r) {
  if (!r.tracing_configuration.empty()) {
    if (auto v = json::Parse(r.tracing_configuration); v && v->is_object()) return v->get_object();
  }
  return json::Object{{"enabled", false}};
}

// What an EXPRESS machine may not use: activities and the .sync and .waitForTaskToken
// patterns, which wait longer than an Express execution lives.
void ExpressDiagnostics(const asl::Machine& machine, const std::string& prefix,
                        std::vector<asl::Diagnostic>& out) {
  for (const asl::State& s : machine.states) {
    const std::string location = prefix + "/States/" + s.name;
    if (s.type == asl::StateType::kTask) {
      const std::string& r = s.resource;
      std::string message;
      if (r.find(":activity:") != std::string::npos) {
        message = "Express state machine does not support Activity ARN";
      } else if (r.size() > 17 && r.compare(r.size() - 17, 17, ".waitForTaskToken") == 0) {
        message = "Express state machine does not support '.waitForTaskToken' service integration ";
      } else if (r.find(".sync") != std::string::npos) {
        message = "Express state machine does not support '.sync' service integration";
      }
      if (!message.empty()) {
        out.push_back({"ERROR", "SCHEMA_VALIDATION_FAILED", message, location + "/Resource"});
      }
    }
    for (std::size_t i = 0; i < s.branches.size(); ++i) {
      ExpressDiagnostics(*s.branches[i], location + "/Branches/" + std::to_string(i), out);
    }
    if (s.item_processor.machine) {
      ExpressDiagnostics(*s.item_processor.machine, location + "/ItemProcessor", out);
    }
  }
}

asl::ParsedDefinition ParseForType(const std::string& text, const std::string& type) {
  asl::ParsedDefinition parsed = asl::ParseDefinition(text);
  if (parsed.definition && type == "EXPRESS") {
    std::vector<asl::Diagnostic> express;
    ExpressDiagnostics(parsed.definition->machine, "", express);
    if (!express.empty()) {
      parsed.definition.reset();
      parsed.diagnostics.insert(parsed.diagnostics.end(), express.begin(), express.end());
    }
  }
  return parsed;
}

// The definition's problems as CreateStateMachine/UpdateStateMachine report them.
std::optional<Response> CheckDefinition(const std::string& text, const std::string& type) {
  asl::ParsedDefinition parsed = ParseForType(text, type);
  if (parsed.definition) return std::nullopt;
  return Error("InvalidDefinition", asl::FormatInvalidDefinition(parsed.diagnostics));
}

std::optional<Response> CheckLogging(const json::Object& request) {
  const json::Value* logging = request.if_contains("loggingConfiguration");
  if (logging == nullptr || !logging->is_object()) return std::nullopt;
  const json::Object& l = logging->get_object();
  const std::string level = StringOf(l, "level", "OFF");
  const json::Value* destinations = l.if_contains("destinations");
  const std::size_t n =
      destinations && destinations->is_array() ? destinations->get_array().size() : 0;
  if (level != "OFF" && n != 1) {
    return Error("InvalidLoggingConfiguration",
                 "Invalid Logging Configuration: Must specify exactly one Log Destination.");
  }
  return std::nullopt;
}

}  // namespace

void CreateStateMachine(Context& c, const json::Object& request, Respond respond) {
  const std::string name = StringOf(request, "name");
  if (!ValidName(name)) return respond(Error("InvalidName", "Invalid Name: '" + name + "'"));
  const std::string role = StringOf(request, "roleArn");
  if (role.rfind("arn:", 0) != 0) {
    return respond(Error("InvalidArn", "Invalid Arn: 'Invalid ARN prefix: " + role + "'"));
  }
  const std::string definition = StringOf(request, "definition");
  if (auto e = CheckDefinition(definition, StringOf(request, "type", "STANDARD"))) {
    return respond(std::move(*e));
  }
  if (auto e = CheckLogging(request)) return respond(std::move(*e));
  store::StateMachineRecord r;
  r.name = name;
  r.arn = "arn:aws:states:" + c.region + ":" + c.account + ":stateMachine:" + name;
  r.definition = definition;
  r.role_arn = role;
  r.type = StringOf(request, "type", "STANDARD");
  r.description = StringOf(request, "versionDescription");
  if (const json::Value* l = request.if_contains("loggingConfiguration"); l && l->is_object()) {
    r.logging_configuration = json::Serialize(*l);
  }
  if (const json::Value* t = request.if_contains("tracingConfiguration"); t && t->is_object()) {
    r.tracing_configuration = json::Serialize(*t);
  }
  if (auto existing = c.store.GetStateMachine(r.arn)) {
    // The same request again is answered with the existing machine.
    if (existing->definition == r.definition && existing->role_arn == r.role_arn &&
        existing->type == r.type && existing->logging_configuration == r.logging_configuration &&
        existing->tracing_configuration == r.tracing_configuration) {
      return respond(Ok(json::Object{{"stateMachineArn", existing->arn},
                                     {"creationDate", Timestamp(existing->creation_millis)}}));
    }
    return respond(
        Error("StateMachineAlreadyExists", "State Machine Already Exists: '" + r.arn + "'"));
  }
  r.creation_millis = NowMillis();
  r.update_millis = r.creation_millis;
  if (auto s = c.store.PutStateMachine(r); !s) {
    return respond(Error("ServiceUnavailable", s.error().message));
  }
  if (store::Tags tags = TagsOf(request); !tags.empty()) (void)c.store.TagResource(r.arn, tags);
  respond(
      Ok(json::Object{{"stateMachineArn", r.arn}, {"creationDate", Timestamp(r.creation_millis)}}));
}

void DescribeStateMachine(Context& c, const json::Object& request, Respond respond) {
  const std::string arn = StringOf(request, "stateMachineArn");
  if (auto e = CheckArn(arn, "stateMachine")) return respond(std::move(*e));
  auto r = c.store.GetStateMachine(arn);
  if (!r) {
    return respond(
        Error("StateMachineDoesNotExist", "State Machine Does Not Exist: '" + arn + "'"));
  }
  json::Object out{{"stateMachineArn", r->arn},
                   {"name", r->name},
                   {"status", "ACTIVE"},
                   {"definition", r->definition},
                   {"roleArn", r->role_arn},
                   {"type", r->type},
                   {"creationDate", Timestamp(r->creation_millis)},
                   {"loggingConfiguration", LoggingOf(*r)},
                   {"tracingConfiguration", TracingOf(*r)},
                   {"encryptionConfiguration", json::Object{{"type", "AWS_OWNED_KEY"}}}};
  if (!r->revision_id.empty()) out["revisionId"] = r->revision_id;
  if (!r->description.empty()) out["description"] = r->description;
  respond(Ok(out));
}

void ListStateMachines(Context& c, const json::Object& request, Respond respond) {
  auto all = c.store.ListStateMachines();
  // Names no client can give ("~transfer~w-..."): the state machines of Transfer workflows.
  std::erase_if(all, [](const store::StateMachineRecord& m) { return m.name.starts_with('~'); });
  auto page = PageOf(request, all.size());
  if (!page) return respond(Error("InvalidToken", "Invalid Token: 'Invalid token'"));
  json::Array items;
  for (std::size_t i = page->begin; i < page->end; ++i) {
    items.push_back(json::Object{{"stateMachineArn", all[i].arn},
                                 {"name", all[i].name},
                                 {"type", all[i].type},
                                 {"creationDate", Timestamp(all[i].creation_millis)}});
  }
  json::Object out{{"stateMachines", std::move(items)}};
  if (!page->next_token.empty()) out["nextToken"] = page->next_token;
  respond(Ok(out));
}

void UpdateStateMachine(Context& c, const json::Object& request, Respond respond) {
  const std::string arn = StringOf(request, "stateMachineArn");
  if (auto e = CheckArn(arn, "stateMachine")) return respond(std::move(*e));
  const bool has_definition = request.contains("definition");
  const bool has_role = request.contains("roleArn");
  const bool has_logging = request.contains("loggingConfiguration");
  const bool has_tracing = request.contains("tracingConfiguration");
  if (!has_definition && !has_role && !has_logging && !has_tracing) {
    return respond(Error("MissingRequiredParameter",
                         "Either the definition, the role ARN, the LoggingConfiguration, or the "
                         "TracingConfiguration must be specified"));
  }
  auto r = c.store.GetStateMachine(arn);
  if (!r) {
    return respond(
        Error("StateMachineDoesNotExist", "State Machine Does Not Exist: '" + arn + "'"));
  }
  if (has_definition) {
    const std::string definition = StringOf(request, "definition");
    if (auto e = CheckDefinition(definition, r->type)) return respond(std::move(*e));
    r->definition = definition;
  }
  if (has_role) {
    const std::string role = StringOf(request, "roleArn");
    if (role.rfind("arn:", 0) != 0) {
      return respond(Error("InvalidArn", "Invalid Arn: 'Invalid ARN prefix: " + role + "'"));
    }
    r->role_arn = role;
  }
  if (has_logging) {
    if (auto e = CheckLogging(request)) return respond(std::move(*e));
    r->logging_configuration = json::Serialize(request.at("loggingConfiguration"));
  }
  if (has_tracing) r->tracing_configuration = json::Serialize(request.at("tracingConfiguration"));
  r->update_millis = NowMillis();
  r->revision_id = NewRevision();
  if (auto s = c.store.PutStateMachine(*r); !s) {
    return respond(Error("ServiceUnavailable", s.error().message));
  }
  c.runtime.InvalidateStateMachine(arn);
  respond(Ok(
      json::Object{{"updateDate", Timestamp(r->update_millis)}, {"revisionId", r->revision_id}}));
}

void DeleteStateMachine(Context& c, const json::Object& request, Respond respond) {
  const std::string arn = StringOf(request, "stateMachineArn");
  if (auto e = CheckArn(arn, "stateMachine")) return respond(std::move(*e));
  (void)c.store.DeleteStateMachine(arn);
  c.runtime.InvalidateStateMachine(arn);
  respond(Ok(json::Object()));
}

void DescribeStateMachineForExecution(Context& c, const json::Object& request, Respond respond) {
  const std::string arn = StringOf(request, "executionArn");
  if (auto e = CheckArn(arn, "execution")) return respond(std::move(*e));
  auto e = c.store.GetExecution(arn);
  if (!e) e = c.express_store.GetExecution(arn);
  if (!e) return respond(Error("ExecutionDoesNotExist", "Execution Does Not Exist: '" + arn + "'"));
  json::Object out{{"stateMachineArn", e->state_machine_arn},
                   {"name", e->state_machine_arn.substr(e->state_machine_arn.rfind(':') + 1)},
                   {"definition", e->definition},
                   {"roleArn", e->role_arn},
                   {"updateDate", Timestamp(e->start_millis)}};
  if (auto m = c.store.GetStateMachine(e->state_machine_arn)) {
    out["loggingConfiguration"] = LoggingOf(*m);
    out["tracingConfiguration"] = TracingOf(*m);
    if (!m->revision_id.empty()) out["revisionId"] = m->revision_id;
  }
  respond(Ok(out));
}

void ValidateStateMachineDefinition(Context& c, const json::Object& request, Respond respond) {
  asl::ParsedDefinition parsed =
      ParseForType(StringOf(request, "definition"), StringOf(request, "type", "STANDARD"));
  json::Array diagnostics;
  std::int64_t max = IntOf(request, "maxResults", 100);
  if (max <= 0) max = 100;
  bool errors = false;
  for (const asl::Diagnostic& d : parsed.diagnostics) {
    if (d.severity == "ERROR") errors = true;
    if (diagnostics.size() >= std::size_t(max)) continue;
    json::Object o{{"severity", d.severity}, {"code", d.code}, {"message", d.message}};
    if (!d.location.empty()) o["location"] = d.location;
    diagnostics.push_back(std::move(o));
  }
  respond(Ok(json::Object{{"result", errors ? "FAIL" : "OK"},
                          {"diagnostics", std::move(diagnostics)},
                          {"truncated", parsed.diagnostics.size() > std::size_t(max)}}));
}

}  // namespace stepway::api::sfn
