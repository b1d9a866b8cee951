#include "transfer/steps.h"

#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <system_error>

#include "engine/resource.h"
#include "transfer/callback_token.h"
#include "transfer/file_location.h"
#include "transfer/json_fields.h"
#include "transfer/pgp.h"
#include "transfer/workflow.h"

namespace stepway::transfer {

namespace fs = std::filesystem;

namespace {

struct StepError {
  std::string type;  // ExecutionErrorType
  std::string message;
};

template <typename T>
using StepResult = tl::expected<T, StepError>;

tl::unexpected<StepError> Error(std::string type, std::string message) {
  return tl::unexpected(StepError{std::move(type), std::move(message)});
}



// The file a step works on: SourceFileLocation "${original.file}" or "${previous.file}" (the
// default).
StepResult<FileLocation> SourceOf(const StepTask& task) {
  const std::string source = Str(task.details, "SourceFileLocation");
  std::string_view which;
  if (source.empty() || source == "${previous.file}") {
    which = "previous";
  } else if (source == "${original.file}") {
    which = "original";
  } else {
    return Error("BAD_REQUEST", "Unsupported SourceFileLocation " + source +
                                    ": use ${original.file} or ${previous.file}");
  }
  const json::Value* file = task.state.if_contains(which);
  auto location = file != nullptr ? FileLocation::FromJson(*file) : std::nullopt;
  if (!location) return Error("INTERNAL_SERVER_ERROR", "The workflow has no " + std::string(which) + " file");
  return *location;
}

std::string Substitute(std::string text, const json::Object& state) {
  const json::Object* details = Obj(state, "transferDetails");
  const std::pair<std::string_view, std::string> vars[] = {
      {"${transfer:UserName}", details != nullptr ? Str(*details, "userName") : ""},
      {"${transfer:UploadDate}", Str(state, "uploadDate")},
  };
  for (const auto& [name, value] : vars) {
    for (auto at = text.find(name); at != std::string::npos; at = text.find(name, at + value.size())) {
      text.replace(at, name.size(), value);
    }
  }
  return text;
}

std::string BaseName(const std::string& path) {
  const auto slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

// DestinationFileLocation: S3FileLocation {Bucket, Key} or EfsFileLocation {FileSystemId,
// Path}; a key or path that is empty or ends in "/" is a folder, the source's name is added.
StepResult<FileLocation> DestinationOf(const StepTask& task, const FileLocation& source,
                                       std::string_view strip_extension_of = "") {
  const json::Object* destination = Obj(task.details, "DestinationFileLocation");
  if (destination == nullptr) return Error("BAD_REQUEST", "The step has no DestinationFileLocation");
  FileLocation location;
  std::string path;
  if (const json::Object* s3 = Obj(*destination, "S3FileLocation")) {
    location.domain = Domain::kS3;
    location.root = Str(*s3, "Bucket");
    path = Substitute(Str(*s3, "Key"), task.state);
  } else if (const json::Object* efs = Obj(*destination, "EfsFileLocation")) {
    location.domain = Domain::kEfs;
    location.root = Str(*efs, "FileSystemId");
    path = Substitute(Str(*efs, "Path"), task.state);
  } else {
    return Error("BAD_REQUEST", "DestinationFileLocation names neither S3 nor EFS");
  }
  while (!path.empty() && path.front() == '/') path.erase(0, 1);
  if (path.empty() || path.back() == '/') {
    std::string name = BaseName(source.path);
    if (!strip_extension_of.empty()) {
      for (std::string_view ext : {".gpg", ".pgp", ".asc"}) {
        if (name.size() > ext.size() && name.ends_with(ext)) {
          name.resize(name.size() - ext.size());
          break;
        }
      }
    }
    path += name;
  }
  if (location.root.empty()) return Error("BAD_REQUEST", "The destination has no bucket or file system");
  // A "." or ".." segment would leave the bucket or file system on disk.
  for (std::size_t start = 0; start <= path.size();) {
    const std::size_t end = std::min(path.find('/', start), path.size());
    const std::string_view segment = std::string_view(path).substr(start, end - start);
    if (segment == "." || segment == "..") {
      return Error("BAD_REQUEST", "The destination path may not contain '.' or '..' segments");
    }
    start = end + 1;
  }
  location.path = path;
  return location;
}

bool Overwrite(const StepTask& task) { return Str(task.details, "OverwriteExisting") == "TRUE"; }

struct Context {
  StepsOptions options;
  std::string Local(const FileLocation& l) const { return l.LocalPath(options.files_root); }
};

StepResult<void> CheckSource(const Context& c, const FileLocation& source) {
  std::error_code ec;
  if (!fs::is_regular_file(c.Local(source), ec)) {
    return Error("NOT_FOUND", "The file " + source.DomainPath() + " does not exist");
  }
  return {};
}

// Whether two files hold the same bytes (false when either cannot be read).
bool SameContent(const std::string& a, const std::string& b) {
  std::error_code ec;
  const auto size = fs::file_size(a, ec);
  if (ec || fs::file_size(b, ec) != size || ec) return false;
  std::ifstream fa(a, std::ios::binary), fb(b, std::ios::binary);
  char ba[65536], bb[65536];
  while (fa && fb) {
    fa.read(ba, sizeof ba);
    fb.read(bb, sizeof bb);
    if (fa.gcount() != fb.gcount() || std::memcmp(ba, bb, std::size_t(fa.gcount())) != 0) {
      return false;
    }
  }
  return fa.eof() && fb.eof();
}

StepResult<void> PrepareDestination(const Context& c, const FileLocation& destination,
                                    bool overwrite) {
  std::error_code ec;
  const fs::path target = c.Local(destination);
  if (fs::exists(target, ec)) {
    if (!overwrite) {
      return Error("ALREADY_EXISTS",
                   "The file " + destination.DomainPath() + " already exists and OverwriteExisting is FALSE");
    }
    if (fs::is_directory(target, ec)) {
      return Error("BAD_REQUEST", destination.DomainPath() + " is a folder");
    }
  }
  fs::create_directories(target.parent_path(), ec);
  if (ec) return Error("INTERNAL_SERVER_ERROR", "Cannot create " + destination.DomainPath() + ": " + ec.message());
  return {};
}

json::Object NextState(const StepTask& task, const FileLocation* previous, json::Object outputs) {
  json::Object state = task.state;
  state.erase("failure");
  if (previous != nullptr) state["previous"] = previous->ToJson();
  state["outputs"] = std::move(outputs);
  return state;
}

StepResult<json::Object> Copy(const Context& c, const StepTask& task) {
  auto source = SourceOf(task);
  if (!source) return tl::unexpected(source.error());
  if (auto ok = CheckSource(c, *source); !ok) return tl::unexpected(ok.error());
  auto destination = DestinationOf(task, *source);
  if (!destination) return tl::unexpected(destination.error());
  if (*destination == *source) return NextState(task, &*destination, json::Object());
  json::Object outputs;
  outputs["fileLocation"] = destination->ToJson();
  // Run again after a restart, the copy this step made before is not "already existing".
  if (task.resumed && SameContent(c.Local(*source), c.Local(*destination))) {
    return NextState(task, &*destination, std::move(outputs));
  }
  if (auto ok = PrepareDestination(c, *destination, Overwrite(task)); !ok) return tl::unexpected(ok.error());
  std::error_code ec;
  const std::string target = c.Local(*destination);
  const std::string temporary = target + ".stepway-copy";
  fs::copy_file(c.Local(*source), temporary, fs::copy_options::overwrite_existing, ec);
  if (!ec) fs::rename(temporary, target, ec);
  if (ec) {
    fs::remove(temporary, ec);
    return Error("INTERNAL_SERVER_ERROR", "Copying to " + destination->DomainPath() + " failed");
  }
  return NextState(task, &*destination, std::move(outputs));
}

StepResult<json::Object> Tag(const Context& c, const StepTask& task) {
  auto source = SourceOf(task);
  if (!source) return tl::unexpected(source.error());
  if (source->domain != Domain::kS3) {
    return Error("BAD_REQUEST", "TAG steps apply to S3 objects, not to EFS files");
  }
  if (auto ok = CheckSource(c, *source); !ok) return tl::unexpected(ok.error());
  const std::string id = source->root + "/" + source->path;
  json::Object tags;
  if (auto existing = c.options.store->GetDocument(kObjectTagsKind, id)) {
    if (auto parsed = json::Parse(existing->body); parsed && parsed->is_object()) {
      tags = parsed->get_object();
    }
  }
  const json::Value* list = task.details.if_contains("Tags");
  if (list != nullptr && list->is_array()) {
    for (const json::Value& tag : list->get_array()) {
      if (!tag.is_object()) continue;
      tags[Str(tag.get_object(), "Key")] = Str(tag.get_object(), "Value");
    }
  }
  if (tags.size() > 10) {
    return Error("BAD_REQUEST", "An S3 object can have at most 10 tags; " +
                                    source->DomainPath() + " would have " +
                                    std::to_string(tags.size()));
  }
  if (auto ok = c.options.store->PutDocument({std::string(kObjectTagsKind), id, json::Serialize(tags)}); !ok) {
    return Error("INTERNAL_SERVER_ERROR", "Tagging failed: " + ok.error().message);
  }
  json::Object outputs;
  outputs["tags"] = tags;
  return NextState(task, nullptr, std::move(outputs));
}

StepResult<json::Object> Delete(const Context& c, const StepTask& task) {
  auto source = SourceOf(task);
  if (!source) return tl::unexpected(source.error());
  if (auto ok = CheckSource(c, *source); !ok) {
    // Run again after a restart, the file this step deleted before is not "not found".
    if (task.resumed && ok.error().type == "NOT_FOUND") return NextState(task, nullptr, json::Object());
    return tl::unexpected(ok.error());
  }
  std::error_code ec;
  fs::remove(c.Local(*source), ec);
  if (ec) return Error("INTERNAL_SERVER_ERROR", "Deleting " + source->DomainPath() + " failed: " + ec.message());
  if (source->domain == Domain::kS3) {
    (void)c.options.store->DeleteDocument(kObjectTagsKind, source->root + "/" + source->path);
  }
  return NextState(task, nullptr, json::Object());
}

StepResult<json::Object> Decrypt(const Context& c, const StepTask& task) {
  auto source = SourceOf(task);
  if (!source) return tl::unexpected(source.error());
  if (auto ok = CheckSource(c, *source); !ok) return tl::unexpected(ok.error());
  auto destination = DestinationOf(task, *source, /*strip_extension_of=*/"pgp");
  if (!destination) return tl::unexpected(destination.error());
  if (*destination == *source) {
    return Error("BAD_REQUEST", "A DECRYPT step cannot write over the file it decrypts");
  }
  if (auto ok = PrepareDestination(c, *destination, Overwrite(task)); !ok) return tl::unexpected(ok.error());
  const json::Object* details = Obj(task.state, "transferDetails");
  const std::string server = details != nullptr ? Str(*details, "serverId") : "";
  const std::string user = details != nullptr ? Str(*details, "userName") : "";
  auto keys = LoadPgpKeys(c.options.pgp_keys_dir, server, user);
  if (!keys) return Error("BAD_REQUEST", keys.error().message);
  if (keys->empty()) {
    return Error("PERMISSION_DENIED", "No PGP private key is configured for server " + server +
                                          " (user " + user + " or @pgp-default)");
  }
  const std::string target = c.Local(*destination);
  const std::string temporary = target + ".stepway-decrypt";
  if (auto ok = DecryptFile(c.Local(*source), temporary, *keys); !ok) {
    std::error_code ec;
    fs::remove(temporary, ec);
    return Error(ok.error().code == ErrorCode::kFailedPrecondition ? "BAD_REQUEST"
                                                                   : "INTERNAL_SERVER_ERROR",
                 ok.error().message);
  }
  std::error_code ec;
  fs::rename(temporary, target, ec);
  if (ec) return Error("INTERNAL_SERVER_ERROR", "Writing " + destination->DomainPath() + " failed");
  json::Object outputs;
  outputs["fileLocation"] = destination->ToJson();
  return NextState(task, &*destination, std::move(outputs));
}

// Reports a CUSTOM step's Lambda invocation to the step's own reporter: once the target has
// been invoked the step waits for SendWorkflowStepState.
class CustomReporter final : public runtime::TaskReporter {
 public:
  explicit CustomReporter(std::shared_ptr<runtime::TaskReporter> step) : step_(std::move(step)) {}
  void Submitted(json::Value response) override { step_->Submitted(std::move(response)); }
  void Succeeded(json::Value output) override {
    json::Object response;
    response["Payload"] = std::move(output);
    step_->Submitted(std::move(response));
  }
  void Failed(std::string error, std::string cause) override {
    step_->Failed("CUSTOM_STEP_FAILED", "Invoking the target failed: " + error +
                                            (cause.empty() ? "" : ": " + cause));
  }

 private:
  std::shared_ptr<runtime::TaskReporter> step_;
};

class StepIntegration final : public runtime::Integration {
 public:
  explicit StepIntegration(StepsOptions options)
      : context_{std::move(options)}, pool_(std::max(1, context_.options.threads)) {}
  ~StepIntegration() override { pool_.join(); }

  void Invoke(runtime::TaskInvocation invocation,
              std::shared_ptr<runtime::TaskReporter> reporter) override {
    auto task = ParseStepTask(invocation.command.input);
    if (!task) {
      reporter->Failed("INTERNAL_SERVER_ERROR", "Not a Transfer workflow step");
      return;
    }
    task->resumed = invocation.resumed;
    Log("StepStarted", *task, invocation.execution_name, [&](json::Object& d) {
      json::Object input;
      if (auto source = SourceOf(*task)) input["fileLocation"] = source->ToJson();
      d["input"] = std::move(input);
    });
    if (task->type == "CUSTOM") {
      InvokeCustom(std::move(invocation), std::move(*task), std::move(reporter));
      return;
    }
    boost::asio::post(pool_, [this, invocation = std::move(invocation), task = std::move(*task),
                              reporter = std::move(reporter)] {
      StepResult<json::Object> result =
          task.type == "COPY"     ? Copy(context_, task)
          : task.type == "TAG"    ? Tag(context_, task)
          : task.type == "DELETE" ? Delete(context_, task)
                                  : Decrypt(context_, task);
      if (result) {
        Log("StepCompleted", task, invocation.execution_name, [&](json::Object& d) {
          d["output"] = (*result)["outputs"];
        });
        reporter->Succeeded(std::move(*result));
      } else {
        Log("StepErrored", task, invocation.execution_name, [&](json::Object& d) {
          d["errorType"] = result.error().type;
          d["errorMessage"] = result.error().message;
        });
        reporter->Failed(result.error().type, result.error().message);
      }
    });
  }

 private:
  void InvokeCustom(runtime::TaskInvocation invocation, StepTask task,
                    std::shared_ptr<runtime::TaskReporter> reporter) {
    const std::string target = Str(task.details, "Target");
    auto source = SourceOf(task);
    const std::string token = ShortToken(*context_.options.tokens, invocation.command.token);
    json::Object event;
    event["token"] = token;
    json::Object metadata;
    json::Object execution;
    execution["workflowId"] = Str(task.state, "workflowId");
    execution["executionId"] = invocation.execution_name;
    metadata["executionDetails"] = std::move(execution);
    if (const json::Object* details = Obj(task.state, "transferDetails")) {
      metadata["transferDetails"] = *details;
    }
    event["serviceMetadata"] = std::move(metadata);
    if (source) event["fileLocation"] = source->ToJson();
    runtime::TaskInvocation call = invocation;
    call.command.resource = std::make_shared<const engine::Resource>(engine::ParseResource(target));
    call.command.input = std::move(event);
    call.command.timeout_seconds.reset();
    call.command.heartbeat_seconds.reset();
    runtime::Integration* lambda =
        context_.options.lambda ? context_.options.lambda(call) : nullptr;
    if (token.empty() || lambda == nullptr ||
        call.command.resource->kind != engine::ResourceKind::kLambdaFunction) {
      reporter->Failed("CUSTOM_STEP_FAILED",
                       "No Lambda function serves the target " + target +
                           " (start stepway serve with --functions or --lambda-endpoint)");
      return;
    }
    lambda->Invoke(std::move(call), std::make_shared<CustomReporter>(std::move(reporter)));
  }

  template <typename Fill>
  void Log(std::string_view type, const StepTask& task, const std::string& execution_id,
           Fill fill) {
    if (!context_.options.log) return;
    json::Object event = LogEvent(type, task.state, execution_id);
    json::Object details;
    details["stepType"] = task.type;
    details["stepName"] = task.name;
    fill(details);
    event["details"] = std::move(details);
    const json::Object* transfer = Obj(task.state, "transferDetails");
    context_.options.log(transfer != nullptr ? Str(*transfer, "serverId") : "", std::move(event));
  }

  Context context_;
  boost::asio::thread_pool pool_;
};

}  // namespace

bool IsTransferStep(const runtime::TaskInvocation& invocation) {
  const engine::Resource& r = *invocation.command.resource;
  return r.kind == engine::ResourceKind::kService && r.service == "transfer";
}

std::unique_ptr<runtime::Integration> NewStepIntegration(StepsOptions options) {
  return std::make_unique<StepIntegration>(std::move(options));
}

json::Object LogEvent(std::string_view type, const json::Object& state,
                      std::string_view execution_id) {
  json::Object event;
  event["type"] = type;
  event["details"] = json::Object();
  event["workflowId"] = Str(state, "workflowId");
  event["executionId"] = execution_id;
  if (const json::Object* transfer = Obj(state, "transferDetails")) {
    json::Object details;
    details["serverId"] = Str(*transfer, "serverId");
    details["username"] = Str(*transfer, "userName");
    details["sessionId"] = Str(*transfer, "sessionId");
    event["transferDetails"] = std::move(details);
  }
  return event;
}

}  // namespace stepway::transfer
