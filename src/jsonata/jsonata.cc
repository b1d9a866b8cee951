#include "jsonata/jsonata.h"

#include <cmath>

#include "jsonata/error.h"
#include "jsonata/evaluator.h"
#include "jsonata/host_function.h"
#include "jsonata/parser.h"

namespace stepway::jsonata {
namespace {

JsonataError ToPublic(const ErrorInfo& info) {
  JsonataError e;
  e.code = info.code;
  e.position = info.position;
  e.token = info.token;
  if (info.has_value && info.value.IsDefined()) e.value = info.value.ToJson();
  e.message = FormatMessage(info);
  return e;
}

// A deterministic stand-in when the caller injects no random source.
double DefaultRandom(std::uint64_t& state) {
  state = state * 6364136223846793005ULL + 1442695040888963407ULL;
  return static_cast<double>(state >> 11) / 9007199254740992.0;
}

}  // namespace

Error JsonataError::ToError() const {
  const bool limit = code == "D1011" || code == "D1012";
  return Error{limit ? ErrorCode::kTimedOut : ErrorCode::kInvalidArgument,
               code + ": " + message};
}

Bindings::Bindings() = default;
Bindings::~Bindings() = default;
Bindings::Bindings(Bindings&&) noexcept = default;
Bindings& Bindings::operator=(Bindings&&) noexcept = default;

void Bindings::Forget(std::string_view name) {
  auto named = [&](const auto& kv) { return kv.first == name; };
  std::erase_if(values_, named);
  std::erase_if(references_, named);
  std::erase_if(object_references_, named);
}

void Bindings::Bind(std::string name, json::Value value) {
  Forget(name);
  values_.emplace_back(std::move(name), std::move(value));
}

void Bindings::BindReference(std::string name, const json::Value* value) {
  Forget(name);
  references_.emplace_back(std::move(name), value);
}

void Bindings::BindObjectOfReferences(
    std::string name, std::vector<std::pair<std::string, const json::Value*>> members) {
  Forget(name);
  object_references_.emplace_back(std::move(name), std::move(members));
}

Status Bindings::BindFunction(std::string name, std::string_view signature, NativeFunction fn) {
  auto host = std::make_unique<HostFunction>();
  try {
    host->signature = Signature::Parse(signature);
  } catch (const JsonataException& e) {
    return Fail(ErrorCode::kInvalidArgument, e.info.code + ": " + FormatMessage(e.info));
  }
  host->name = name;
  host->impl = std::move(fn);
  host->function_data.kind = FunctionKind::kHost;
  host->function_data.host = host.get();
  host->function_data.signature = host->signature.get();
  host->function_data.refs = 1;
  removed_.erase(name);
  functions_[name] = host.get();
  owned_.push_back(std::move(host));
  return {};
}

void Bindings::Unbind(std::string name) {
  functions_.erase(name);
  removed_.insert(std::move(name));
}

struct Expression::Impl {
  std::string source;
  std::unique_ptr<Ast> ast;
};

tl::expected<Expression, JsonataError> Expression::Compile(std::string_view text) {
  auto impl = std::make_shared<Impl>();
  impl->source = std::string(text);
  try {
    impl->ast = ParseExpression(impl->source);
  } catch (const JsonataException& e) {
    return tl::unexpected(ToPublic(e.info));
  } catch (const std::exception& e) {
    JsonataError err;
    err.code = "S0500";
    err.message = e.what();
    return tl::unexpected(err);
  }
  return Expression(std::move(impl));
}

const std::string& Expression::source() const { return impl_->source; }

tl::expected<std::optional<json::Value>, JsonataError> Expression::Evaluate(
    const json::Value* input, const Bindings& bindings, const EvalOptions& options) const {
  Evaluator ev;
  ev.limits.max_depth = options.max_depth > 0 ? options.max_depth : 1000;
  ev.limits.max_steps = options.max_steps;
  ev.limits.deadline_exceeded = options.deadline_exceeded;
  ev.now_millis = static_cast<double>(options.now_millis);
  std::uint64_t state = 0x853c49e6748fea9bULL;
  if (options.random) {
    ev.random = options.random;
  } else {
    ev.random = [&state] { return DefaultRandom(state); };
  }
  ev.host_functions = &bindings.functions_;
  ev.removed = &bindings.removed_;
  try {
    FrameRef root = ev.NewFrame(nullptr);
    // Every binding is borrowed (Value::FromJson views the document), never converted.
    for (const auto& [name, value] : bindings.values_) root->Bind(name, Value::FromJson(value));
    for (const auto& [name, value] : bindings.references_) {
      root->Bind(name, value != nullptr ? Value::FromJson(*value) : Value());
    }
    for (const auto& [name, members] : bindings.object_references_) {
      Value object = Value::NewObject();
      ObjectData* o = object.MutableObject();
      o->members.reserve(members.size());
      for (const auto& [key, value] : members) {
        if (value != nullptr) o->Set(key, Value::FromJson(*value));
      }
      root->Bind(name, std::move(object));
    }
    Value in;
    if (input != nullptr) {
      in = Value::FromJson(*input);
      if (in.IsArray()) {
        // An array input is wrapped so that `$` still sees it whole (outerWrapper).
        Value wrapped = Value::NewSequence();
        Push(wrapped, in);
        wrapped.MutableArray()->outer_wrapper = true;
        in = wrapped;
      }
    }
    root->Bind("$", in);
    Value result = ev.Evaluate(impl_->ast->root, in, root.get());
    if (result.IsUndefined()) return std::optional<json::Value>();
    if (result.IsNumber() && !std::isfinite(result.AsNumber())) {
      JsonataException e("D1001");
      e.With(result);
      throw e;
    }
    return std::optional<json::Value>(result.ToJson());
  } catch (const JsonataException& e) {
    return tl::unexpected(ToPublic(e.info));
  } catch (const std::exception& e) {
    JsonataError err;
    err.code = "D1000";
    err.message = e.what();
    return tl::unexpected(err);
  }
}

}  // namespace stepway::jsonata
