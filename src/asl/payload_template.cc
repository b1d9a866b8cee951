#include "asl/payload_template.h"

#include <array>
#include <cstring>
#include <new>
#include <optional>
#include <utility>
#include <vector>

#include "asl/path.h"

namespace stepway::asl {
namespace {

// One node of a compiled template. Subtrees with nothing to evaluate stay literal JSON.
struct Node {
  enum class Kind { kLiteral, kObject, kArray, kPath, kCall };
  Kind kind = Kind::kLiteral;
  json::Value literal;
  std::vector<std::pair<std::string, Node>> members;  // kObject, output names
  std::vector<Node> elements;                         // kArray
  std::optional<Path> path;
  std::optional<IntrinsicCall> call;
  std::string field;  // the member as written ("x.$"), for messages
  // kObject: no two members have the same output name ("x" and "x.$" both given), so each can
  // be added without looking for an earlier one.
  bool unique_names = true;
};

constexpr std::string_view kDynamicSuffix = ".$";

bool IsDynamicKey(std::string_view key) {
  return key.size() > kDynamicSuffix.size() &&
         key.substr(key.size() - kDynamicSuffix.size()) == kDynamicSuffix;
}

Result<Node> CompileNode(const json::Value& spec) {
  Node node;
  if (spec.is_object()) {
    bool dynamic = false;
    for (const auto& member : spec.get_object()) {
      const std::string_view key = member.key();
      if (!IsDynamicKey(key)) {
        auto child = CompileNode(member.value());
        if (!child) return child;
        dynamic = dynamic || child->kind != Node::Kind::kLiteral;
        node.members.emplace_back(std::string(key), std::move(*child));
        continue;
      }
      dynamic = true;
      const std::string invalid = "The value for the field '" + std::string(key) +
                                  "' must be a valid JSONPath or a valid intrinsic function call";
      if (!member.value().is_string()) return Fail(ErrorCode::kInvalidArgument, invalid);
      const std::string_view text = member.value().get_string();
      Node child;
      child.field = std::string(key);
      if (IntrinsicCall::LooksLikeCall(text)) {
        auto call = IntrinsicCall::Parse(text);
        if (!call) return Fail(ErrorCode::kInvalidArgument, invalid);
        child.kind = Node::Kind::kCall;
        child.call = std::move(*call);
      } else {
        auto path = Path::Parse(text);
        if (!path) return Fail(ErrorCode::kInvalidArgument, invalid);
        child.kind = Node::Kind::kPath;
        child.path = std::move(*path);
      }
      node.members.emplace_back(std::string(key.substr(0, key.size() - kDynamicSuffix.size())),
                                std::move(child));
    }
    if (!dynamic) {
      node.members.clear();
      node.literal = spec;
      return node;
    }
    node.kind = Node::Kind::kObject;
    for (std::size_t i = 0; i < node.members.size() && node.unique_names; ++i) {
      for (std::size_t j = 0; j < i; ++j) {
        if (node.members[i].first == node.members[j].first) node.unique_names = false;
      }
    }
    return node;
  }
  if (spec.is_array()) {
    bool dynamic = false;
    for (const json::Value& e : spec.get_array()) {
      auto child = CompileNode(e);
      if (!child) return child;
      dynamic = dynamic || child->kind != Node::Kind::kLiteral;
      node.elements.push_back(std::move(*child));
    }
    if (!dynamic) {
      node.elements.clear();
      node.literal = spec;
      return node;
    }
    node.kind = Node::Kind::kArray;
    return node;
  }
  node.literal = spec;
  return node;
}

Outcome<json::Value> EvaluateNode(const Node& node, const Scope& scope) {
  switch (node.kind) {
    case Node::Kind::kLiteral: return node.literal;
    case Node::Kind::kObject: {
      json::Object out;
      out.reserve(node.members.size());
      for (const auto& [name, child] : node.members) {
        // The commonest member, a simple path, is copied from where it is.
        if (child.kind == Node::Kind::kPath && node.unique_names) {
          if (const json::Value* found = child.path->Find(scope)) {
            out.emplace(name, *found);
            continue;
          }
        }
        auto v = EvaluateNode(child, scope);
        if (!v) return v;
        if (node.unique_names) {
          out.emplace(name, std::move(*v));
        } else {
          out[name] = std::move(*v);  // a later member of the same name replaces the value
        }
      }
      return json::Value(std::move(out));
    }
    case Node::Kind::kArray: {
      json::Array out;
      out.reserve(node.elements.size());
      for (const Node& child : node.elements) {
        auto v = EvaluateNode(child, scope);
        if (!v) return v;
        out.push_back(std::move(*v));
      }
      return json::Value(std::move(out));
    }
    case Node::Kind::kPath: {
      auto v = node.path->Evaluate(scope);
      if (!v) {
        // AWS quotes the state input here, even for a `$$` or variable path.
        return Failed(errors::kRuntime, "The JSONPath '" + node.path->text() +
                                            "' specified for the field '" + node.field +
                                            "' could not be found in the input '" +
                                            json::Serialize(scope.input) + "'");
      }
      return std::move(*v);
    }
    case Node::Kind::kCall: return node.call->Evaluate(scope, node.field);
  }
  return json::Value();
}

// The values EvaluateInto computes before it assigns them: up to kInline are constructed one
// by one in a buffer on the stack (a std::array of optional values would be zeroed whole on
// every call), more in a vector reserved for all of them.
class EvaluatedValues {
 public:
  explicit EvaluatedValues(std::size_t n) {
    if (n > kInline) more_.reserve(n);
  }
  ~EvaluatedValues() {
    for (std::size_t k = 0; k < inline_size_; ++k) Inline()[k].~value();
  }
  EvaluatedValues(const EvaluatedValues&) = delete;
  EvaluatedValues& operator=(const EvaluatedValues&) = delete;

  // Adds a copy of `v`, or `v` itself, constructed where it goes.
  void Add(const json::Value& v) {
    if (more_.capacity() > 0) {
      more_.push_back(v);
      return;
    }
    ::new (static_cast<void*>(Inline() + inline_size_)) json::Value(v);
    ++inline_size_;
  }
  void Add(json::Value&& v) {
    if (more_.capacity() > 0) {
      more_.push_back(std::move(v));
      return;
    }
    ::new (static_cast<void*>(Inline() + inline_size_)) json::Value(std::move(v));
    ++inline_size_;
  }
  json::Value& operator[](std::size_t k) { return more_.capacity() > 0 ? more_[k] : Inline()[k]; }

 private:
  static constexpr std::size_t kInline = 8;
  json::Value* Inline() { return std::launder(reinterpret_cast<json::Value*>(bytes_)); }

  alignas(json::Value) unsigned char bytes_[kInline * sizeof(json::Value)];
  std::size_t inline_size_ = 0;
  std::vector<json::Value> more_;
};

}  // namespace

struct PayloadTemplate::Impl {
  json::Value spec;
  Node root;
};

Result<PayloadTemplate> PayloadTemplate::Compile(const json::Value& spec) {
  auto root = CompileNode(spec);
  if (!root) return tl::unexpected(root.error());
  auto impl = std::make_shared<Impl>();
  impl->spec = spec;
  impl->root = std::move(*root);
  return PayloadTemplate(std::move(impl));
}

Outcome<json::Value> PayloadTemplate::Evaluate(const Scope& scope) const {
  return EvaluateNode(impl_->root, scope);
}

Outcome<bool> PayloadTemplate::EvaluateInto(const Scope& scope, json::Value& target) const {
  const Node& root = impl_->root;
  if (root.kind != Node::Kind::kObject || !root.unique_names || !target.is_object()) return false;
  json::Object& object = target.get_object();
  const std::size_t n = root.members.size();
  if (object.size() != n) return false;
  for (std::size_t k = 0; k < n; ++k) {
    const std::string_view have = object.begin()[k].key();
    const std::string& want = root.members[k].first;
    if (have.size() != want.size() || std::memcmp(have.data(), want.data(), have.size()) != 0) {
      return false;
    }
  }
  // The values, all read before any is written: a member may read what another replaces.
  EvaluatedValues values(n);
  for (std::size_t k = 0; k < n; ++k) {
    const Node& child = root.members[k].second;
    if (child.kind == Node::Kind::kPath) {
      if (const json::Value* found = child.path->Find(scope)) {
        values.Add(*found);
        continue;
      }
    }
    auto v = EvaluateNode(child, scope);
    if (!v) return tl::unexpected(std::move(v.error()));
    values.Add(std::move(*v));
  }
  // Swapped in (the storage is the same), so each old value goes when its slot here does.
  for (std::size_t k = 0; k < n; ++k) object.begin()[k].value().swap(values[k]);
  return true;
}

const json::Value& PayloadTemplate::spec() const { return impl_->spec; }

}  // namespace stepway::asl
