// The JSONata evaluator: a port of jsonata-js's jsonata.js evaluate() family, plus the
// function objects and environment frames it works with. One Evaluator serves one
// evaluation on one thread; it owns the limits (depth, step budget, deadline callback), the
// injected clock and random source, and the ASTs that $eval parses while it runs.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "jsonata/ast.h"
#include "jsonata/error.h"
#include "jsonata/regex.h"
#include "jsonata/signature.h"
#include "jsonata/value.h"

namespace stepway::jsonata {

class Evaluator;

// Links the frames of one evaluation into a list owned by its Evaluator (see
// Evaluator::~Evaluator). The Evaluator's own FrameLink is the list's sentinel.
struct FrameLink {
  FrameLink* prev = nullptr;  // null once unlinked
  FrameLink* next = nullptr;
};

// An environment frame: variable bindings with a link to the enclosing frame. Created only by
// Evaluator::NewFrame, which links it into the Evaluator's list of live frames.
struct Frame : HeapObject, FrameLink {
  Frame* parent = nullptr;  // counted reference
  std::vector<std::pair<std::string, Value>> vars;

  Frame(Frame* p, FrameLink& live) : parent(p) {
    if (parent != nullptr) ++parent->refs;
    prev = &live;
    next = live.next;
    live.next->prev = this;
    live.next = this;
  }
  ~Frame() override {
    if (prev != nullptr) {
      prev->next = next;
      next->prev = prev;
    }
    if (parent != nullptr && --parent->refs == 0) delete parent;
  }
  void Bind(std::string_view name, Value v) {
    for (auto& kv : vars) {
      if (kv.first == name) {
        kv.second = std::move(v);
        return;
      }
    }
    vars.emplace_back(std::string(name), std::move(v));
  }
};

// A counted reference to a Frame.
class FrameRef {
 public:
  FrameRef() = default;
  explicit FrameRef(Frame* f) : f_(f) {
    if (f_ != nullptr) ++f_->refs;
  }
  FrameRef(const FrameRef& o) : FrameRef(o.f_) {}
  FrameRef& operator=(const FrameRef& o) {
    FrameRef tmp(o);
    std::swap(f_, tmp.f_);
    return *this;
  }
  ~FrameRef() {
    if (f_ != nullptr && --f_->refs == 0) delete f_;
  }
  Frame* get() const { return f_; }
  Frame* operator->() const { return f_; }

 private:
  Frame* f_ = nullptr;
};

struct FunctionData;
using BuiltinImpl = Value (*)(Evaluator& ev, std::vector<Value>& args, const Value& input,
                              Frame* env);

struct Builtin {
  const char* name;
  const char* signature_text;
  int arity;  // JavaScript's Function.length of the reference implementation
  BuiltinImpl impl;
  std::shared_ptr<const Signature> signature;
  const FunctionData* data = nullptr;  // the function value, built once with the table
};

// A function registered by the embedding program (see jsonata.h).
struct HostFunction;

enum class FunctionKind {
  kLambda,
  kBuiltin,
  kHost,
  kRegex,      // a regex literal: matcher(str, fromIndex)
  kRegexNext,  // the `next` member of a match object
  kTransform,
  kPartialNative,
  kChain,
};

struct FunctionData : HeapObject {
  FunctionKind kind = FunctionKind::kLambda;
  // kLambda: the lambda node (body, signature, thunk), its closure and its parameters.
  const Node* node = nullptr;
  Value input;
  FrameRef env;
  std::vector<std::string_view> params;
  bool thunk = false;
  const Signature* signature = nullptr;
  // kBuiltin
  const Builtin* builtin = nullptr;
  // kHost
  const HostFunction* host = nullptr;
  // kRegex / kRegexNext
  std::shared_ptr<const Regex> regex;
  std::string subject;  // kRegexNext
  std::size_t last_index = 0;
  // kPartialNative: target function, fixed arguments, which of them are `?`.
  Value target;
  std::vector<Value> bound;
  std::vector<bool> placeholder;
  // kChain: g(f(x))
  Value f;
  Value g;
};

struct EvalLimits {
  int max_depth = 0;
  std::uint64_t max_steps = 0;
  std::function<bool()> deadline_exceeded;
};

class Evaluator {
 public:
  Evaluator() { live_frames_.prev = live_frames_.next = &live_frames_; }
  // Frees the frames that closures keep alive in reference cycles: a frame that binds a
  // lambda (or an object holding one) whose closure is that frame or a frame below it, as
  // in `($f := function($n){ $f($n - 1) }; ...)`. Counting alone never frees those, and a
  // weak closure reference would be wrong (a returned lambda must keep its closure), so the
  // evaluation owns its frames like an arena: when it ends, every frame still alive has
  // its bindings cleared, which drops the lambdas and with them the frames. Values of the
  // evaluation must not be used after the Evaluator is destroyed.
  ~Evaluator();
  Evaluator(const Evaluator&) = delete;
  Evaluator& operator=(const Evaluator&) = delete;

  // A new frame below parent (null for the root), owned by the returned reference.
  FrameRef NewFrame(Frame* parent) { return FrameRef(new Frame(parent, live_frames_)); }

  Value Evaluate(const Node* expr, const Value& input, Frame* env);
  // Applies a function value to arguments (with signature validation and tail calls).
  Value Apply(const Value& proc, std::vector<Value> args, const Value& input, Frame* env);
  // The same on arguments the caller owns (and may reuse once this returns).
  Value ApplyTo(const Value& proc, std::vector<Value>& args, const Value& input, Frame* env);
  Value Lookup(Frame* env, std::string_view name) const;
  // Lookup with the built-in the name resolves to when nothing shadows it (from the AST).
  Value Lookup(Frame* env, std::string_view name, const Builtin* builtin) const;

  // Configuration, set before Evaluate.
  EvalLimits limits;
  double now_millis = 0;
  std::function<double()> random;
  bool eval_enabled = true;
  const std::unordered_map<std::string, const HostFunction*>* host_functions = nullptr;
  const std::unordered_set<std::string>* removed = nullptr;
  std::vector<std::unique_ptr<Ast>> eval_asts;  // kept alive for closures they create
  std::vector<std::unique_ptr<json::Value>> kept;  // host function results, borrowed from

  // Helpers for the function library.
  int Arity(const Value& fn) const;
  // Calls fn with (a1[, a2[, a3]]) as many as its arity takes (hofFuncArgs).
  Value CallHof(const Value& fn, const Value& a1, const Value& a2, const Value& a3, Frame* env);
  Value FunctionEval(const Value& expr, const Value& focus, const Value& input, Frame* env);

 private:
  Value EvaluatePath(const Node* expr, const Value& input, Frame* env);
  Value EvaluateStep(const Node* expr, const Value& input, Frame* env, bool last_step);
  Value EvaluateStages(const std::vector<Stage>& stages, Value input, Frame* env);
  Value EvaluateTupleStep(const Node* expr, const Value& input, Value tuple_bindings, Frame* env);
  Value EvaluateFilter(const Node* predicate, Value input, Frame* env);
  Value EvaluateBinary(const Node* expr, const Value& input, Frame* env);
  // Appends the string `expr` (an `&` operation) gives to out.
  void AppendConcat(const Node* expr, const Value& input, Frame* env, std::string& out);
  Value EvaluateUnary(const Node* expr, const Value& input, Frame* env);
  Value EvaluateWildcard(const Node* expr, const Value& input);
  Value EvaluateDescendants(const Value& input);
  Value EvaluateGroup(const Node* at, const std::vector<std::pair<Node*, Node*>>& pairs,
                      int position, Value input, Frame* env);
  // EvaluateGroup for an input that is not an array (an object constructor on one value).
  Value EvaluateSingleGroup(const std::vector<std::pair<Node*, Node*>>& pairs, int position,
                            const Value& item, Frame* env);
  Value EvaluateRange(const Value& lhs, const Value& rhs);
  Value EvaluateCondition(const Node* expr, const Value& input, Frame* env);
  Value EvaluateBlock(const Node* expr, const Value& input, Frame* env);
  Value EvaluateSort(const Node* expr, const Value& input, Frame* env);
  Value EvaluateFunction(const Node* expr, const Value& input, Frame* env,
                         const Value* apply_to);
  Value EvaluatePartial(const Node* expr, const Value& input, Frame* env);
  Value EvaluateApply(const Node* expr, const Value& input, Frame* env);
  Value ApplyInner(const Value& proc, std::vector<Value>& args, const Value& input, Frame* env);
  Value ApplyTransform(const FunctionData& fn, const Value& obj, Frame* env);
  Value ApplyRegex(const FunctionData& fn, std::string_view str, std::size_t from);
  Value ApplyHost(const FunctionData& fn, std::vector<Value>& args);
  FrameRef FrameFromTuple(Frame* env, const Value& tuple);
  void CheckLimits();

  int depth_ = 0;
  std::uint64_t steps_ = 0;
  FrameLink live_frames_;  // sentinel of the list of this evaluation's live frames
};

// ---- value helpers shared with the function library ----

// JSONata's $boolean() casting; undefined for undefined.
Value BooleanOf(const Value& v);
bool Truthy(const Value& v);  // BooleanOf, with undefined as false
// True for a number that is not NaN; throws D1001 for infinities (utils.isNumeric).
bool IsNumeric(const Value& v);
bool DeepEqual(const Value& a, const Value& b);
// JavaScript's `===` on our values (identity for arrays, objects and functions).
bool StrictEqual(const Value& a, const Value& b);
// Number.prototype.toString().
std::string NumberToString(double d);
// JSON.stringify, with jsonata's replacer (15 significant digits, functions as "") when
// `jsonata` is set. Undefined yields an empty string.
std::string Stringify(const Value& v, bool jsonata, int indent = 0);
// $string().
Value StringOf(const Value& v, bool prettify = false);
// Deep copy into owned arrays and objects.
Value DeepCopy(const Value& v);
// Converts a borrowed or owned value into a fresh sequence-or-array copy of its items.
std::vector<Value> Items(const Value& arr);
Value SequenceOf(std::vector<Value> items);
Value AppendValues(const Value& a, const Value& b);  // fn.append
Value LookupField(const Value& input, std::string_view key);  // fn.lookup

// The built-in function table, name -> Builtin.
const Builtin* FindBuiltin(std::string_view name);

}  // namespace stepway::jsonata

namespace stepway::jsonata {

inline Value Value::Function(FunctionData* f) {
  Value v;
  v.type_ = Type::kFunction;
  v.u_.fn = f;
  v.owner_ = f;
  ++f->refs;
  return v;
}

}  // namespace stepway::jsonata
