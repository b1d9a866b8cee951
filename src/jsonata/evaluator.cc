#include "jsonata/evaluator.h"

#include <cmath>

#include <boost/container/small_vector.hpp>

#include "jsonata/host_function.h"
#include "jsonata/parser.h"
#include "jsonata/utf8.h"

namespace stepway::jsonata {
namespace {

// Wraps a single value in a new sequence (createSequence(x)), even undefined.
Value Singleton(const Value& v) {
  Value s = Value::NewSequence();
  Push(s, v);
  return s;
}

bool IsStringOrNumber(const Value& v) { return v.IsString() || v.IsNumber(); }

// A transform pattern that is a path of plain names (`customer`, `a.b.c`): its matches are the
// objects reached by following those names, through arrays, from the transform's input.
bool IsNamePath(const Node* pattern) {
  if (pattern == nullptr || pattern->type != NodeType::kPath || !pattern->simple_path) {
    return false;
  }
  for (const Node* step : pattern->steps) {
    if (step->type != NodeType::kName) return false;
  }
  return true;
}

// The transform's copy of `v` for a name-path pattern, copying only what the pattern can reach:
// every object along the path is copied one level deep (its members shared with `v`), every
// array along it element by element, and everything else is shared. The matches are then
// objects of the copy, so updating and deleting their members (all a transform does) leaves
// `v` as it was, exactly as with a deep copy: values are never mutated outside a transform's
// own copy, so sharing the rest cannot be observed.
Value CopyAlong(const Value& v, const std::vector<Node*>& steps, std::size_t i) {
  if (v.IsArray()) {
    Value out = Value::NewArray();
    const std::size_t n = v.ArraySize();
    ArrayData* a = out.MutableArray();
    a->items.reserve(n);
    for (std::size_t k = 0; k < n; ++k) a->items.push_back(CopyAlong(v.At(k), steps, i));
    return out;
  }
  if (!v.IsObject()) return v;
  Value out = Value::NewObject();
  ObjectData* o = out.MutableObject();
  const std::size_t n = v.ObjectSize();
  o->members.reserve(n);
  const std::string_view next = i < steps.size() ? std::string_view(steps[i]->value) : "";
  v.ForEachMember([&](std::string_view k, const Value& m) {
    if (i < steps.size() && k == next) {
      o->members.emplace_back(std::string(k), CopyAlong(m, steps, i + 1));
    } else {
      o->members.emplace_back(std::string(k), m);
    }
  });
  if (n > ObjectData::kIndexFrom) o->Reindex();
  return out;
}

}  // namespace

Evaluator::~Evaluator() {
  if (live_frames_.next == &live_frames_) return;
  // Hold every live frame first, so that clearing one frame's bindings cannot free another
  // frame while this walks them; dropping the references at the end frees them all.
  std::vector<FrameRef> alive;
  for (FrameLink* l = live_frames_.next; l != &live_frames_; l = l->next) {
    alive.emplace_back(static_cast<Frame*>(l));
  }
  for (FrameRef& f : alive) {
    std::vector<std::pair<std::string, Value>> vars;
    vars.swap(f->vars);
  }
  alive.clear();
  // Frames still alive now are held by values outside any frame (a cycle through a
  // transformed object): detach them so that freeing them later never touches this list.
  while (live_frames_.next != &live_frames_) {
    FrameLink* l = live_frames_.next;
    live_frames_.next = l->next;
    l->prev = l->next = nullptr;
  }
}

void Evaluator::CheckLimits() {
  if (limits.max_depth > 0 && depth_ > limits.max_depth) {
    JsonataException e("D1011");
    e.With(Value::Number(limits.max_depth));
    throw e;
  }
  ++steps_;
  if (limits.max_steps > 0 && steps_ > limits.max_steps) {
    JsonataException e("D1012");
    e.With(Value::Number(static_cast<double>(limits.max_steps)));
    throw e;
  }
  if (limits.deadline_exceeded && (steps_ & 1023) == 0 && limits.deadline_exceeded()) {
    JsonataException e("D1012");
    e.With(Value::Number(0));
    throw e;
  }
}

Value Evaluator::Lookup(Frame* env, std::string_view name) const {
  return Lookup(env, name, FindBuiltin(name));
}

Value Evaluator::Lookup(Frame* env, std::string_view name, const Builtin* builtin) const {
  for (Frame* f = env; f != nullptr; f = f->parent) {
    for (const auto& kv : f->vars) {
      if (kv.first == name) return kv.second;
    }
  }
  if (removed != nullptr && !removed->empty() && removed->count(std::string(name)) > 0) {
    return Value();
  }
  if (host_functions != nullptr && !host_functions->empty()) {
    auto it = host_functions->find(std::string(name));
    if (it != host_functions->end()) return Value::StaticFunction(&it->second->function_data);
  }
  if (builtin != nullptr) return Value::StaticFunction(builtin->data);
  return Value();
}

Value Evaluator::Evaluate(const Node* expr, const Value& input, Frame* env) {
  ++depth_;
  CheckLimits();
  Value result;
  switch (expr->type) {
    case NodeType::kPath:
      result = EvaluatePath(expr, input, env);
      break;
    case NodeType::kBinary:
      result = EvaluateBinary(expr, input, env);
      break;
    case NodeType::kUnary:
      result = EvaluateUnary(expr, input, env);
      break;
    case NodeType::kName:
      result = LookupField(input, expr->value);
      break;
    case NodeType::kString:
      result = Value::StringView(expr->value);
      break;
    case NodeType::kNumber:
      result = Value::Number(expr->number);
      break;
    case NodeType::kValue:
      result = expr->literal == LiteralKind::kTrue    ? Value::Bool(true)
               : expr->literal == LiteralKind::kFalse ? Value::Bool(false)
                                                      : Value::Null();
      break;
    case NodeType::kWildcard:
      result = EvaluateWildcard(expr, input);
      break;
    case NodeType::kDescendant:
      result = EvaluateDescendants(input);
      break;
    case NodeType::kParent:
      result = Lookup(env, expr->slot->label);
      break;
    case NodeType::kCondition:
      result = EvaluateCondition(expr, input, env);
      break;
    case NodeType::kBlock:
      result = EvaluateBlock(expr, input, env);
      break;
    case NodeType::kBind: {
      result = Evaluate(expr->rhs, input, env);
      env->Bind(expr->lhs->value, result);
      break;
    }
    case NodeType::kRegex: {
      auto* fn = new FunctionData;
      fn->kind = FunctionKind::kRegex;
      fn->regex = expr->regex;
      fn->node = expr;
      result = Value::Function(fn);
      break;
    }
    case NodeType::kFunction:
      result = EvaluateFunction(expr, input, env, nullptr);
      break;
    case NodeType::kVariable:
      if (expr->value.empty()) {
        result = input.IsOuterWrapper() ? input.At(0) : input;
      } else {
        result = Lookup(env, expr->value, expr->builtin);
      }
      break;
    case NodeType::kLambda: {
      auto* fn = new FunctionData;
      fn->kind = FunctionKind::kLambda;
      fn->node = expr;
      fn->input = input;
      fn->env = FrameRef(env);
      for (const Node* a : expr->arguments) fn->params.push_back(a->value);
      fn->thunk = expr->thunk;
      fn->signature = expr->signature.get();
      result = Value::Function(fn);
      break;
    }
    case NodeType::kPartial:
      result = EvaluatePartial(expr, input, env);
      break;
    case NodeType::kApply:
      result = EvaluateApply(expr, input, env);
      break;
    case NodeType::kTransform: {
      auto* fn = new FunctionData;
      fn->kind = FunctionKind::kTransform;
      fn->node = expr;
      fn->env = FrameRef(env);
      static const std::shared_ptr<const Signature> kSig = Signature::Parse("<(oa):o>");
      fn->signature = kSig.get();
      result = Value::Function(fn);
      break;
    }
    default:
      break;
  }
  if (expr->has_predicate) {
    for (const Stage& s : expr->predicate) result = EvaluateFilter(s.expr, result, env);
  }
  if (expr->type != NodeType::kPath && expr->group != nullptr) {
    result = EvaluateGroup(expr, expr->group->pairs, expr->group->position, result, env);
  }
  if (result.IsSequence() && !result.IsTupleStream()) {
    ArrayData* a = result.MutableArray();
    if (expr->keep_array) a->keep_singleton = true;
    if (a->items.empty()) {
      result = Value();
    } else if (a->items.size() == 1 && !a->keep_singleton) {
      Value first = a->items[0];
      result = std::move(first);
    }
  }
  --depth_;
  return result;
}

Value Evaluator::EvaluatePath(const Node* expr, const Value& input, Frame* env) {
  if (expr->simple_path && !input.IsArray()) {
    // Member by member while every intermediate value is a single object: the same result
    // as the general algorithm below, without building sequences.
    const std::size_t n = expr->steps.size();
    std::size_t i = 0;
    Value cur;
    if (expr->steps[0]->type == NodeType::kVariable) {
      cur = Evaluate(expr->steps[0], input, env);
      i = 1;
    } else {
      cur = input;
    }
    bool ok = true;
    for (; i < n; ++i) {
      if (!cur.IsObject()) {
        if (cur.IsArray()) {
          ok = false;
          break;
        }
        return Value();
      }
      cur = cur.Get(expr->steps[i]->value);
    }
    if (ok && !cur.IsSequence()) {
      if (!cur.IsArray() || expr->steps[n - 1]->type == NodeType::kName) return cur;
    }
  }
  Value input_sequence;
  if (input.IsArray() && expr->steps[0]->type != NodeType::kVariable) {
    input_sequence = input;
  } else {
    input_sequence = Singleton(input);
  }
  Value result_sequence;
  bool is_tuple_stream = false;
  Value tuple_bindings;
  const std::size_t n = expr->steps.size();
  for (std::size_t ii = 0; ii < n; ++ii) {
    const Node* step = expr->steps[ii];
    if (step->tuple) is_tuple_stream = true;
    if (ii == 0 && step->consarray) {
      result_sequence = Evaluate(step, input_sequence, env);
    } else if (is_tuple_stream) {
      tuple_bindings = EvaluateTupleStep(step, input_sequence, tuple_bindings, env);
    } else {
      result_sequence = EvaluateStep(step, input_sequence, env, ii == n - 1);
    }
    if (!is_tuple_stream &&
        (result_sequence.IsUndefined() ||
         (result_sequence.IsArray() && result_sequence.ArraySize() == 0))) {
      break;
    }
    if (!step->has_focus) input_sequence = result_sequence;
  }
  if (is_tuple_stream) {
    if (expr->tuple) {
      result_sequence = tuple_bindings;
    } else {
      result_sequence = Value::NewSequence();
      if (tuple_bindings.IsArray()) {
        for (std::size_t i = 0; i < tuple_bindings.ArraySize(); ++i) {
          Push(result_sequence, tuple_bindings.At(i).Get("@"));
        }
      }
    }
  }
  if (expr->keep_singleton_array) {
    if (result_sequence.IsArray() && !result_sequence.IsJsonArray() && result_sequence.IsCons() &&
        !result_sequence.IsSequence()) {
      result_sequence = Singleton(result_sequence);
    }
    if (result_sequence.IsArray() && result_sequence.IsJsonArray()) {
      result_sequence = SequenceOf(Items(result_sequence));
      result_sequence.MutableArray()->sequence = false;
    }
    if (result_sequence.IsArray()) result_sequence.MutableArray()->keep_singleton = true;
  }
  if (expr->group != nullptr) {
    result_sequence = EvaluateGroup(expr, expr->group->pairs, expr->group->position,
                                    is_tuple_stream ? tuple_bindings : result_sequence, env);
  }
  return result_sequence;
}

FrameRef Evaluator::FrameFromTuple(Frame* env, const Value& tuple) {
  FrameRef frame = NewFrame(env);
  if (tuple.IsObject()) {
    tuple.ForEachMember([&](std::string_view k, const Value& v) { frame->Bind(k, v); });
  }
  return frame;
}

Value Evaluator::EvaluateStep(const Node* expr, const Value& input, Frame* env, bool last_step) {
  if (expr->type == NodeType::kSort) {
    Value result = EvaluateSort(expr, input, env);
    if (expr->has_stages) result = EvaluateStages(expr->stages, result, env);
    return result;
  }
  Value out = Value::NewSequence();
  ArrayData* oa = out.MutableArray();
  const std::size_t n = input.ArraySize();
  // The first result is held back: when it is the only one, it may be returned as it is
  // instead of being flattened into a new sequence.
  Value first;
  std::size_t defined = 0;
  auto flatten = [oa](Value res) {
    if (!res.IsArray() || (!res.IsJsonArray() && res.IsCons())) {
      oa->items.push_back(std::move(res));
    } else if (res.IsJsonArray()) {
      const std::size_t m = res.ArraySize();
      for (std::size_t k = 0; k < m; ++k) oa->items.push_back(res.At(k));
    } else {
      for (const Value& v : res.MutableArray()->items) oa->items.push_back(v);
    }
  };
  auto add = [&](Value res) {
    if (++defined == 1) {
      first = std::move(res);
      return;
    }
    if (defined == 2) flatten(first);
    flatten(std::move(res));
  };
  const bool plain_name = expr->type == NodeType::kName && expr->op == Op::kNone &&
                          !expr->has_predicate && !expr->has_stages && expr->group == nullptr &&
                          !expr->keep_array;
  if (plain_name && n > 1) oa->ReserveLarge(n);
  if (plain_name && input.IsJsonArray()) {
    // Member lookup straight over the caller's JSON array: the common `items.price` shape.
    for (const json::Value& el : *input.JsonArray()) {
      if (el.is_object()) {
        const json::Value* m = FindMember(el.get_object(), expr->value);
        if (m != nullptr) add(Value::FromJson(*m));
      } else if (el.is_array()) {
        Value res = LookupField(Value::FromJson(el), expr->value);
        if (res.IsSequence()) {
          ArrayData* a = res.MutableArray();
          if (a->items.empty()) continue;
          if (a->items.size() == 1 && !a->keep_singleton) {
            Value one = a->items[0];
            res = std::move(one);
          }
        }
        add(std::move(res));
      }
    }
  } else {
    for (std::size_t ii = 0; ii < n; ++ii) {
      // A plain name needs none of Evaluate's bookkeeping: look the member up directly.
      Value res = plain_name ? LookupField(input.At(ii), expr->value)
                             : Evaluate(expr, input.At(ii), env);
      if (plain_name && res.IsSequence()) {
        ArrayData* a = res.MutableArray();
        if (a->items.empty()) {
          res = Value();
        } else if (a->items.size() == 1 && !a->keep_singleton) {
          Value one = a->items[0];
          res = std::move(one);
        }
      }
      if (expr->has_stages) {
        for (const Stage& s : expr->stages) res = EvaluateFilter(s.expr, res, env);
      }
      if (res.IsDefined()) add(std::move(res));
    }
  }
  if (defined == 1) {
    if (last_step && first.IsArray() && !first.IsSequence()) return first;
    // Before the last step only iteration matters: one array stands for its own flattening.
    if (!last_step && first.IsArray() && first.ArraySize() > 0 &&
        (first.IsJsonArray() || !first.IsCons())) {
      return first;
    }
    flatten(std::move(first));
  }
  return out;
}

Value Evaluator::EvaluateStages(const std::vector<Stage>& stages, Value input, Frame* env) {
  Value result = std::move(input);
  for (const Stage& stage : stages) {
    if (stage.kind == Stage::Kind::kFilter) {
      result = EvaluateFilter(stage.expr, result, env);
    } else if (result.IsArray()) {
      for (std::size_t ee = 0; ee < result.ArraySize(); ++ee) {
        Value tuple = result.At(ee);
        if (tuple.IsObject() && tuple.MutableObject() != nullptr) {
          tuple.MutableObject()->Set(stage.variable, Value::Number(static_cast<double>(ee)));
        }
      }
    }
  }
  return result;
}

Value Evaluator::EvaluateTupleStep(const Node* expr, const Value& input, Value tuple_bindings,
                                   Frame* env) {
  if (expr->type == NodeType::kSort) {
    Value result;
    if (tuple_bindings.IsDefined()) {
      result = EvaluateSort(expr, tuple_bindings, env);
    } else {
      Value sorted = EvaluateSort(expr, input, env);
      result = Value::NewSequence();
      result.MutableArray()->tuple_stream = true;
      if (sorted.IsArray()) {
        for (std::size_t ss = 0; ss < sorted.ArraySize(); ++ss) {
          Value tuple = Value::NewObject();
          tuple.MutableObject()->Set("@", sorted.At(ss));
          if (expr->has_index) {
            tuple.MutableObject()->Set(expr->index, Value::Number(static_cast<double>(ss)));
          }
          Push(result, tuple);
        }
      }
    }
    if (expr->has_stages) result = EvaluateStages(expr->stages, result, env);
    return result;
  }
  Value result = Value::NewSequence();
  result.MutableArray()->tuple_stream = true;
  if (tuple_bindings.IsUndefined()) {
    tuple_bindings = Value::NewSequence();
    for (std::size_t i = 0; i < input.ArraySize(); ++i) {
      Value t = Value::NewObject();
      t.MutableObject()->Set("@", input.At(i));
      Push(tuple_bindings, t);
    }
  }
  for (std::size_t ee = 0; ee < tuple_bindings.ArraySize(); ++ee) {
    const Value binding = tuple_bindings.At(ee);
    FrameRef step_env = FrameFromTuple(env, binding);
    Value res = Evaluate(expr, binding.Get("@"), step_env.get());
    if (res.IsUndefined()) continue;
    if (!res.IsArray()) res = Singleton(res);
    const bool res_tuple = res.IsTupleStream();
    for (std::size_t bb = 0; bb < res.ArraySize(); ++bb) {
      Value tuple = Value::NewObject();
      ObjectData* t = tuple.MutableObject();
      binding.ForEachMember([&](std::string_view k, const Value& v) { t->Set(k, v); });
      if (res_tuple) {
        res.At(bb).ForEachMember([&](std::string_view k, const Value& v) { t->Set(k, v); });
      } else {
        if (expr->has_focus) {
          t->Set(expr->focus, res.At(bb));
          t->Set("@", binding.Get("@"));
        } else {
          t->Set("@", res.At(bb));
        }
        if (expr->has_index) t->Set(expr->index, Value::Number(static_cast<double>(bb)));
        if (expr->ancestor != nullptr) t->Set(expr->ancestor->label, binding.Get("@"));
      }
      Push(result, tuple);
    }
  }
  if (expr->has_stages) result = EvaluateStages(expr->stages, result, env);
  return result;
}

Value Evaluator::EvaluateFilter(const Node* predicate, Value input, Frame* env) {
  Value results = Value::NewSequence();
  const bool tuple_stream = input.IsTupleStream();
  if (tuple_stream) results.MutableArray()->tuple_stream = true;
  if (!input.IsArray()) input = Singleton(input);
  const std::size_t n = input.ArraySize();
  if (predicate->type == NodeType::kNumber) {
    double index = std::floor(predicate->number);
    if (index < 0) index = static_cast<double>(n) + index;
    if (index >= 0 && index < static_cast<double>(n)) {
      Value item = input.At(static_cast<std::size_t>(index));
      if (item.IsDefined()) {
        if (item.IsArray()) {
          results = item;
        } else {
          Push(results, item);
        }
      }
    }
    return results;
  }
  for (std::size_t index = 0; index < n; ++index) {
    Value item = input.At(index);
    Value context = item;
    FrameRef tuple_env;
    Frame* e = env;
    if (tuple_stream) {
      context = item.Get("@");
      tuple_env = FrameFromTuple(env, item);
      e = tuple_env.get();
    }
    Value res = Evaluate(predicate, context, e);
    if (IsNumeric(res)) res = Singleton(res);
    bool all_numbers = res.IsArray();
    if (all_numbers) {
      for (std::size_t k = 0; k < res.ArraySize(); ++k) {
        if (!IsNumeric(res.At(k))) {
          all_numbers = false;
          break;
        }
      }
    }
    if (all_numbers) {
      for (std::size_t k = 0; k < res.ArraySize(); ++k) {
        double ii = std::floor(res.At(k).AsNumber());
        if (ii < 0) ii = static_cast<double>(n) + ii;
        if (ii == static_cast<double>(index)) Push(results, item);
      }
    } else if (Truthy(res)) {
      Push(results, item);
    }
  }
  return results;
}

void Evaluator::AppendConcat(const Node* expr, const Value& input, Frame* env, std::string& out) {
  // A chain `a & b & c` parses as ((a & b) & c): the inner operations append to the same
  // buffer, in the order (and with the errors) evaluating them one by one would give, without
  // building each intermediate string.
  Value lhs;
  const bool chained = expr->lhs->type == NodeType::kBinary && expr->lhs->op == Op::kConcat;
  if (chained) {
    AppendConcat(expr->lhs, input, env, out);
  } else {
    lhs = Evaluate(expr->lhs, input, env);
  }
  const Value rhs = Evaluate(expr->rhs, input, env);
  try {
    if (lhs.IsDefined()) out += StringOf(lhs).AsString();
    if (rhs.IsDefined()) out += StringOf(rhs).AsString();
  } catch (JsonataException& e) {
    e.info.position = expr->position;
    e.Token(expr->value);
    throw;
  }
}

Value Evaluator::EvaluateBinary(const Node* expr, const Value& input, Frame* env) {
  const Op code = expr->op;
  if (code == Op::kNone) return Value();
  if (code == Op::kConcat) {
    std::string s;
    AppendConcat(expr, input, env, s);
    return Value::String(std::move(s));
  }
  const Value lhs = Evaluate(expr->lhs, input, env);
  const std::string& op = expr->value;
  if (code == Op::kAnd || code == Op::kOr) {
    try {
      const bool l = Truthy(lhs);
      if (code == Op::kAnd) {
        if (!l) return Value::Bool(false);
        return Value::Bool(Truthy(Evaluate(expr->rhs, input, env)));
      }
      if (l) return Value::Bool(true);
      return Value::Bool(Truthy(Evaluate(expr->rhs, input, env)));
    } catch (JsonataException& e) {
      e.info.position = expr->position;
      e.Token(op);
      throw;
    }
  }
  const Value rhs = Evaluate(expr->rhs, input, env);
  try {
    if (code == Op::kAdd || code == Op::kSub || code == Op::kMul || code == Op::kDiv ||
        code == Op::kMod) {
      if (lhs.IsDefined() && !IsNumeric(lhs)) {
        JsonataException e("T2001");
        e.With(lhs);
        throw e;
      }
      if (rhs.IsDefined() && !IsNumeric(rhs)) {
        JsonataException e("T2002");
        e.With(rhs);
        throw e;
      }
      if (lhs.IsUndefined() || rhs.IsUndefined()) return Value();
      const double a = lhs.AsNumber();
      const double b = rhs.AsNumber();
      switch (code) {
        case Op::kAdd: return Value::Number(a + b);
        case Op::kSub: return Value::Number(a - b);
        case Op::kMul: return Value::Number(a * b);
        case Op::kDiv: return Value::Number(a / b);
        default: return Value::Number(std::fmod(a, b));
      }
    }
    if (code == Op::kEq || code == Op::kNe) {
      if (lhs.IsUndefined() || rhs.IsUndefined()) return Value::Bool(false);
      const bool eq = DeepEqual(lhs, rhs);
      return Value::Bool(code == Op::kEq ? eq : !eq);
    }
    if (code == Op::kLt || code == Op::kLe || code == Op::kGt || code == Op::kGe) {
      const bool lc = lhs.IsUndefined() || IsStringOrNumber(lhs);
      const bool rc = rhs.IsUndefined() || IsStringOrNumber(rhs);
      if (!lc || !rc) {
        JsonataException e("T2010");
        e.With(!IsStringOrNumber(lhs) ? lhs : rhs);
        throw e;
      }
      if (lhs.IsUndefined() || rhs.IsUndefined()) return Value();
      if (lhs.type() != rhs.type()) {
        JsonataException e("T2009");
        e.With(lhs).With2(rhs);
        throw e;
      }
      int cmp;
      if (lhs.IsNumber()) {
        const double a = lhs.AsNumber();
        const double b = rhs.AsNumber();
        if (code == Op::kLt) return Value::Bool(a < b);
        if (code == Op::kLe) return Value::Bool(a <= b);
        if (code == Op::kGt) return Value::Bool(a > b);
        return Value::Bool(a >= b);
      }
      cmp = lhs.AsString().compare(rhs.AsString());
      if (code == Op::kLt) return Value::Bool(cmp < 0);
      if (code == Op::kLe) return Value::Bool(cmp <= 0);
      if (code == Op::kGt) return Value::Bool(cmp > 0);
      return Value::Bool(cmp >= 0);
    }
    if (code == Op::kRange) return EvaluateRange(lhs, rhs);
    if (code == Op::kIn) {
      if (lhs.IsUndefined() || rhs.IsUndefined()) return Value::Bool(false);
      if (!rhs.IsArray()) return Value::Bool(StrictEqual(rhs, lhs));
      for (std::size_t i = 0; i < rhs.ArraySize(); ++i) {
        if (StrictEqual(rhs.At(i), lhs)) return Value::Bool(true);
      }
      return Value::Bool(false);
    }
  } catch (JsonataException& e) {
    e.info.position = expr->position;
    e.Token(op);
    throw;
  }
  return Value();
}

Value Evaluator::EvaluateRange(const Value& lhs, const Value& rhs) {
  auto is_integer = [](const Value& v) {
    return v.IsNumber() && std::isfinite(v.AsNumber()) && std::floor(v.AsNumber()) == v.AsNumber();
  };
  if (lhs.IsDefined() && !is_integer(lhs)) {
    JsonataException e("T2003");
    e.With(lhs);
    throw e;
  }
  if (rhs.IsDefined() && !is_integer(rhs)) {
    JsonataException e("T2004");
    e.With(rhs);
    throw e;
  }
  if (lhs.IsUndefined() || rhs.IsUndefined()) return Value();
  const double a = lhs.AsNumber();
  const double b = rhs.AsNumber();
  if (a > b) return Value();
  const double size = b - a + 1;
  if (size > 1e7) {
    JsonataException e("D2014");
    e.With(Value::Number(size));
    throw e;
  }
  Value result = Value::NewSequence();
  auto& items = result.MutableArray()->items;
  items.reserve(static_cast<std::size_t>(size));
  for (double x = a; x <= b; x += 1) items.push_back(Value::Number(x));
  return result;
}

Value Evaluator::EvaluateUnary(const Node* expr, const Value& input, Frame* env) {
  const std::string& op = expr->value;
  if (expr->op == Op::kNeg) {
    Value r = Evaluate(expr->expression, input, env);
    if (r.IsUndefined()) return r;
    if (IsNumeric(r)) return Value::Number(-r.AsNumber());
    JsonataException e("D1002");
    e.Position(expr->position).Token(op).With(r);
    throw e;
  }
  if (expr->op == Op::kArray) {
    Value result = Value::NewArray();
    for (const Node* item : expr->expressions) {
      Value v = Evaluate(item, input, env);
      if (v.IsUndefined()) continue;
      if (item->type == NodeType::kUnary && item->value == "[") {
        Push(result, v);
      } else {
        result = AppendValues(result, v);
      }
    }
    if (expr->consarray) {
      if (result.IsJsonArray()) result = SequenceOf(Items(result));
      ArrayData* a = result.MutableArray();
      a->cons = true;
    }
    return result;
  }
  if (expr->op == Op::kObject) return EvaluateGroup(expr, expr->pairs, expr->position, input, env);
  return Value();
}

Value Evaluator::EvaluateWildcard(const Node* expr, const Value& in) {
  Value results = Value::NewSequence();
  Value input = in;
  if (input.IsOuterWrapper() && input.ArraySize() > 0) input = input.At(0);
  // In JavaScript an array is an object whose keys are its indexes.
  if (input.IsArray()) {
    for (std::size_t i = 0; i < input.ArraySize(); ++i) {
      const Value value = input.At(i);
      if (value.IsArray()) {
        results = AppendValues(results, SequenceOf(Items(value)));
      } else {
        Push(results, value);
      }
    }
    (void)expr;
    return results;
  }
  if (input.IsObject()) {
    input.ForEachMember([&](std::string_view, const Value& value) {
      if (value.IsArray()) {
        std::vector<Value> flat;
        std::function<void(const Value&)> flatten = [&](const Value& v) {
          if (v.IsArray()) {
            for (std::size_t i = 0; i < v.ArraySize(); ++i) flatten(v.At(i));
          } else {
            flat.push_back(v);
          }
        };
        flatten(value);
        results = AppendValues(results, SequenceOf(std::move(flat)));
      } else {
        Push(results, value);
      }
    });
  }
  return results;
}

Value Evaluator::EvaluateDescendants(const Value& input) {
  if (input.IsUndefined()) return Value();
  Value seq = Value::NewSequence();
  ArrayData* out = seq.MutableArray();
  std::function<void(const Value&)> recurse = [&](const Value& v) {
    if (!v.IsArray()) out->items.push_back(v);
    if (v.IsArray()) {
      for (std::size_t i = 0; i < v.ArraySize(); ++i) recurse(v.At(i));
    } else if (v.IsObject()) {
      v.ForEachMember([&](std::string_view, const Value& m) { recurse(m); });
    }
  };
  recurse(input);
  if (out->items.size() == 1) return out->items[0];
  return seq;
}

namespace {

// Reduces a group's tuples into one tuple whose members are the appended values.
Value ReduceTupleStream(const Value& stream) {
  if (!stream.IsArray()) return stream;
  Value result = Value::NewObject();
  ObjectData* r = result.MutableObject();
  stream.At(0).ForEachMember([&](std::string_view k, const Value& v) { r->Set(k, v); });
  for (std::size_t ii = 1; ii < stream.ArraySize(); ++ii) {
    stream.At(ii).ForEachMember([&](std::string_view k, const Value& v) {
      const Value* existing = r->Find(k);
      r->Set(k, AppendValues(existing != nullptr ? *existing : Value(), v));
    });
  }
  return result;
}

}  // namespace

Value Evaluator::EvaluateSingleGroup(const std::vector<std::pair<Node*, Node*>>& pairs,
                                     int position, const Value& item, Frame* env) {
  // As EvaluateGroup on a sequence of this one item: every key first, in order (a key twice is
  // D1009, since one item gives each pair one key), then each value, with the item as context.
  struct Key {
    Value key;  // keeps the string the view below points into
    std::size_t pair_index;
  };
  boost::container::small_vector<Key, 8> keys;
  for (std::size_t pair_index = 0; pair_index < pairs.size(); ++pair_index) {
    Value key = Evaluate(pairs[pair_index].first, item, env);
    if (key.IsUndefined()) continue;
    if (!key.IsString()) {
      JsonataException ex("T1003");
      ex.Position(position).With(key);
      throw ex;
    }
    for (const Key& k : keys) {
      if (k.key.AsString() == key.AsString()) {
        JsonataException ex("D1009");
        ex.Position(position).With(key);
        throw ex;
      }
    }
    keys.push_back(Key{std::move(key), pair_index});
  }
  Value result = Value::NewObject();
  ObjectData* r = result.MutableObject();
  r->members.reserve(keys.size());
  for (const Key& k : keys) {
    Value value = Evaluate(pairs[k.pair_index].second, item, env);
    // The keys are distinct, so each value is a new member.
    if (value.IsDefined()) r->members.emplace_back(std::string(k.key.AsString()), std::move(value));
  }
  if (r->members.size() > ObjectData::kIndexFrom) r->Reindex();
  return result;
}

Value Evaluator::EvaluateGroup(const Node* at, const std::vector<std::pair<Node*, Node*>>& pairs,
                               int position, Value input, Frame* env) {
  const bool reduce = input.IsTupleStream();
  if (!input.IsArray()) return EvaluateSingleGroup(pairs, position, input, env);
  if (input.ArraySize() == 0 && !reduce) {
    input = Value::NewSequence();
    Push(input, Value());
  }
  struct Entry {
    Value data;
    std::size_t expr_index;
  };
  std::vector<std::pair<std::string, Entry>> groups;
  std::unordered_map<std::string, std::size_t> group_index;
  for (std::size_t item_index = 0; item_index < input.ArraySize(); ++item_index) {
    const Value item = input.At(item_index);
    FrameRef tuple_env;
    Frame* e = env;
    if (reduce) {
      tuple_env = FrameFromTuple(env, item);
      e = tuple_env.get();
    }
    for (std::size_t pair_index = 0; pair_index < pairs.size(); ++pair_index) {
      const Value key = Evaluate(pairs[pair_index].first, reduce ? item.Get("@") : item, e);
      if (key.IsUndefined()) continue;
      if (!key.IsString()) {
        JsonataException ex("T1003");
        ex.Position(position).With(key);
        throw ex;
      }
      const std::string_view k = key.AsString();
      std::size_t found = groups.size();
      if (groups.size() <= 16) {
        for (std::size_t g = 0; g < groups.size(); ++g) {
          if (groups[g].first == k) {
            found = g;
            break;
          }
        }
      } else {
        if (group_index.empty()) {
          for (std::size_t g = 0; g < groups.size(); ++g) group_index.emplace(groups[g].first, g);
        }
        auto it = group_index.find(std::string(k));
        if (it != group_index.end()) found = it->second;
      }
      if (found != groups.size()) {
        Entry& entry = groups[found].second;
        if (entry.expr_index != pair_index) {
          JsonataException ex("D1009");
          ex.Position(position).With(key);
          throw ex;
        }
        entry.data = AppendValues(entry.data, item);
      } else {
        if (!group_index.empty()) group_index.emplace(std::string(k), groups.size());
        groups.push_back({std::string(k), Entry{item, pair_index}});
      }
    }
  }
  Value result = Value::NewObject();
  ObjectData* r = result.MutableObject();
  for (auto& [key, entry] : groups) {
    Value context = entry.data;
    FrameRef tuple_env;
    Frame* e = env;
    if (reduce) {
      Value tuple = ReduceTupleStream(entry.data);
      context = tuple.Get("@");
      tuple.MutableObject()->Erase("@");
      tuple_env = FrameFromTuple(env, tuple);
      e = tuple_env.get();
    }
    Value value = Evaluate(pairs[entry.expr_index].second, context, e);
    if (value.IsDefined()) r->Set(key, std::move(value));
  }
  (void)at;
  return result;
}

Value Evaluator::EvaluateCondition(const Node* expr, const Value& input, Frame* env) {
  const Value condition = Evaluate(expr->condition, input, env);
  if (Truthy(condition)) return Evaluate(expr->then, input, env);
  if (expr->otherwise != nullptr) return Evaluate(expr->otherwise, input, env);
  return Value();
}

Value Evaluator::EvaluateBlock(const Node* expr, const Value& input, Frame* env) {
  FrameRef frame = NewFrame(env);
  Value result;
  for (const Node* e : expr->expressions) result = Evaluate(e, input, frame.get());
  return result;
}

Value Evaluator::EvaluateSort(const Node* expr, const Value& input, Frame* env) {
  const bool tuple_sort = input.IsTupleStream();
  auto key_of = [&](const Value& item, const Node* term) {
    if (tuple_sort) {
      FrameRef f = FrameFromTuple(env, item);
      return Evaluate(term, item.Get("@"), f.get());
    }
    return Evaluate(term, item, env);
  };
  // comparator(a, b): true when a sorts after b (fn.sort's contract).
  auto after = [&](const Value& a, const Value& b) {
    int comp = 0;
    for (std::size_t index = 0; comp == 0 && index < expr->terms.size(); ++index) {
      const SortTerm& term = expr->terms[index];
      const Value aa = key_of(a, term.expression);
      const Value bb = key_of(b, term.expression);
      if (aa.IsUndefined()) {
        comp = bb.IsUndefined() ? 0 : 1;
        continue;
      }
      if (bb.IsUndefined()) {
        comp = -1;
        continue;
      }
      if (!IsStringOrNumber(aa) || !IsStringOrNumber(bb)) {
        JsonataException e("T2008");
        e.Position(expr->position).With(!IsStringOrNumber(aa) ? aa : bb);
        throw e;
      }
      if (aa.type() != bb.type()) {
        JsonataException e("T2007");
        e.Position(expr->position).With(aa).With2(bb);
        throw e;
      }
      if (aa.IsNumber()) {
        if (aa.AsNumber() == bb.AsNumber()) continue;
        comp = aa.AsNumber() < bb.AsNumber() ? -1 : 1;
      } else {
        const int c = aa.AsString().compare(bb.AsString());
        if (c == 0) continue;
        comp = c < 0 ? -1 : 1;
      }
      if (term.descending) comp = -comp;
    }
    return comp == 1;
  };
  if (!input.IsArray()) return input;
  std::vector<Value> items = Items(input);
  if (items.size() <= 1) {
    return input;
  }
  // Merge sort, as fn.sort: stable, and the comparator is called as jsonata-js calls it.
  std::vector<Value> tmp(items.size());
  std::function<void(std::size_t, std::size_t)> msort = [&](std::size_t lo, std::size_t hi) {
    if (hi - lo <= 1) return;
    const std::size_t mid = lo + (hi - lo) / 2;
    msort(lo, mid);
    msort(mid, hi);
    std::size_t i = lo;
    std::size_t j = mid;
    std::size_t k = lo;
    while (i < mid && j < hi) {
      if (after(items[i], items[j])) {
        tmp[k++] = items[j++];
      } else {
        tmp[k++] = items[i++];
      }
    }
    while (i < mid) tmp[k++] = items[i++];
    while (j < hi) tmp[k++] = items[j++];
    for (std::size_t m = lo; m < hi; ++m) items[m] = tmp[m];
  };
  msort(0, items.size());
  Value result = SequenceOf(std::move(items));
  if (tuple_sort) result.MutableArray()->tuple_stream = true;
  return result;
}

Value Evaluator::EvaluateFunction(const Node* expr, const Value& input, Frame* env,
                                  const Value* apply_to) {
  const Value proc = Evaluate(expr->procedure, input, env);
  if (proc.IsUndefined() && expr->procedure->type == NodeType::kPath &&
      Lookup(env, expr->procedure->steps[0]->value).IsDefined()) {
    JsonataException e("T1005");
    e.Position(expr->position).Token(expr->procedure->steps[0]->value);
    throw e;
  }
  std::vector<Value> args;
  args.reserve(expr->arguments.size() + 1);
  if (apply_to != nullptr) args.push_back(*apply_to);
  for (const Node* a : expr->arguments) args.push_back(Evaluate(a, input, env));
  const std::string& proc_name = expr->procedure->type == NodeType::kPath
                                     ? expr->procedure->steps[0]->value
                                     : expr->procedure->value;
  try {
    return ApplyTo(proc, args, input, env);
  } catch (JsonataException& e) {
    e.info.position = expr->position;
    if (!e.info.has_token) e.Token(proc_name);
    throw;
  }
}

Value Evaluator::Apply(const Value& proc, std::vector<Value> args, const Value& input,
                       Frame* env) {
  return ApplyTo(proc, args, input, env);
}

Value Evaluator::ApplyTo(const Value& proc, std::vector<Value>& args, const Value& input,
                         Frame* env) {
  Value result = ApplyInner(proc, args, input, env);
  while (result.IsFunction() && result.AsFunction()->kind == FunctionKind::kLambda &&
         result.AsFunction()->thunk) {
    FunctionData* thunk = result.AsFunction();
    const Node* call = thunk->node->body;
    Value keep = result;  // keeps the thunk's closure alive while we use it
    Frame* tenv = thunk->env.get();
    const Value next = Evaluate(call->procedure, thunk->input, tenv);
    std::vector<Value> next_args;
    next_args.reserve(call->arguments.size());
    for (const Node* a : call->arguments) next_args.push_back(Evaluate(a, thunk->input, tenv));
    try {
      result = ApplyInner(next, next_args, input, env);
    } catch (JsonataException& e) {
      if (!e.info.has_token && call->procedure->type == NodeType::kVariable) {
        e.Token(call->procedure->value);
      }
      e.info.position = call->procedure->position;
      throw;
    }
  }
  return result;
}

Value Evaluator::ApplyInner(const Value& proc, std::vector<Value>& args, const Value& input,
                            Frame* env) {
  if (!proc.IsFunction()) {
    JsonataException e("T1006");
    throw e;
  }
  FunctionData& fn = *proc.AsFunction();
  std::vector<Value> validated;
  std::vector<Value>* use = &args;
  // Built-ins read a missing argument as undefined (host functions expect every one).
  if (fn.signature != nullptr &&
      !fn.signature->AcceptsAsIs(args, fn.kind == FunctionKind::kBuiltin)) {
    validated = fn.signature->Validate(args, input);
    use = &validated;
  }
  std::vector<Value>& a = *use;
  switch (fn.kind) {
    case FunctionKind::kLambda: {
      if (fn.node == nullptr) return Value();
      FrameRef frame = NewFrame(fn.env.get());
      for (std::size_t i = 0; i < fn.params.size(); ++i) {
        frame->Bind(fn.params[i], i < a.size() ? a[i] : Value());
      }
      return Evaluate(fn.node->body, fn.input, frame.get());
    }
    case FunctionKind::kBuiltin:
      return fn.builtin->impl(*this, a, input, env);
    case FunctionKind::kHost:
      return ApplyHost(fn, a);
    case FunctionKind::kRegex: {
      if (a.empty() || !a[0].IsString()) return Value();
      double from = a.size() > 1 && a[1].IsNumber() ? a[1].AsNumber() : 0;
      const std::string_view s = a[0].AsString();
      return ApplyRegex(fn, s, ByteOffsetOfUtf16(s, static_cast<std::size_t>(from)));
    }
    case FunctionKind::kRegexNext: {
      if (fn.last_index >= fn.subject.size()) return Value();
      Value next = ApplyRegex(fn, fn.subject, fn.last_index);
      if (next.IsObject() && next.Get("match").IsString() && next.Get("match").AsString().empty()) {
        JsonataException e("D1004");
        e.Position(fn.node != nullptr ? fn.node->position : 0)
            .With(Value::StringView(fn.regex->source()));
        throw e;
      }
      return next;
    }
    case FunctionKind::kTransform:
      return ApplyTransform(fn, a.empty() ? Value() : a[0], env);
    case FunctionKind::kPartialNative: {
      std::vector<Value> full;
      std::size_t k = 0;
      for (std::size_t i = 0; i < fn.bound.size(); ++i) {
        if (fn.placeholder[i]) {
          full.push_back(k < a.size() ? a[k] : Value());
          ++k;
        } else {
          full.push_back(fn.bound[i]);
        }
      }
      return Apply(fn.target, std::move(full), Value(), env);
    }
    case FunctionKind::kChain: {
      Value x = a.empty() ? Value() : a[0];
      Value fx = Apply(fn.f, {x}, Value(), env);
      return Apply(fn.g, {fx}, Value(), env);
    }
  }
  return Value();
}

Value Evaluator::ApplyRegex(const FunctionData& fn, std::string_view str, std::size_t from) {
  Regex::Match m;
  if (from > str.size() || !fn.regex->Exec(str, from, m)) return Value();
  Value result = Value::NewObject();
  ObjectData* r = result.MutableObject();
  const bool ascii = IsAscii(str);
  auto u16 = [&](std::size_t b) {
    return static_cast<double>(ascii ? b : Utf16Offset(str, b));
  };
  r->Set("match", Value::String(std::string(str.substr(m.start, m.end - m.start))));
  r->Set("start", Value::Number(u16(m.start)));
  r->Set("end", Value::Number(u16(m.end)));
  Value groups = Value::NewArray();
  for (const auto& [gs, ge] : m.groups) {
    if (gs == std::string::npos) {
      Push(groups, Value::StringView(""));
    } else {
      Push(groups, Value::String(std::string(str.substr(gs, ge - gs))));
    }
  }
  r->Set("groups", groups);
  auto* next = new FunctionData;
  next->kind = FunctionKind::kRegexNext;
  next->regex = fn.regex;
  next->node = fn.node;
  next->subject = std::string(str);
  next->last_index = m.end;
  r->Set("next", Value::Function(next));
  return result;
}

Value Evaluator::ApplyTransform(const FunctionData& fn, const Value& obj, Frame* env) {
  if (obj.IsUndefined()) return Value();
  const Node* expr = fn.node;
  static const Builtin* const kClone = FindBuiltin("clone");
  const Value clone_fn = Lookup(fn.env.get(), "clone", kClone);
  if (!clone_fn.IsFunction()) {
    JsonataException e("T2013");
    e.Position(expr->position);
    throw e;
  }
  Value result;
  if (clone_fn.AsFunction() == kClone->data && (obj.IsObject() || obj.IsArray()) &&
      IsNamePath(expr->pattern)) {
    result = CopyAlong(obj, expr->pattern->steps, 0);  // what $clone would give, copied lazily
  } else {
    result = Apply(clone_fn, {obj}, Value(), fn.env.get());
  }
  Value matches = Evaluate(expr->pattern, result, fn.env.get());
  if (matches.IsUndefined()) return result;
  if (!matches.IsArray()) matches = Singleton(matches);
  for (std::size_t ii = 0; ii < matches.ArraySize(); ++ii) {
    Value match = matches.At(ii);
    Value update = Evaluate(expr->update, match, fn.env.get());
    if (update.IsDefined()) {
      if (!update.IsObject()) {
        JsonataException e("T2011");
        e.Position(expr->update->position).With(update);
        throw e;
      }
      if (match.IsObject() && match.MutableObject() != nullptr) {
        ObjectData* m = match.MutableObject();
        update.ForEachMember([&](std::string_view k, const Value& v) { m->Set(k, v); });
      }
    }
    if (expr->remove != nullptr) {
      Value deletions = Evaluate(expr->remove, match, fn.env.get());
      if (deletions.IsDefined()) {
        const Value val = deletions;
        if (!deletions.IsArray()) deletions = Singleton(deletions);
        for (std::size_t k = 0; k < deletions.ArraySize(); ++k) {
          if (!deletions.At(k).IsString()) {
            JsonataException e("T2012");
            e.Position(expr->remove->position).With(val);
            throw e;
          }
        }
        if (match.IsObject() && match.MutableObject() != nullptr) {
          for (std::size_t k = 0; k < deletions.ArraySize(); ++k) {
            match.MutableObject()->Erase(deletions.At(k).AsString());
          }
        }
      }
    }
  }
  return result;
}

Value Evaluator::EvaluatePartial(const Node* expr, const Value& input, Frame* env) {
  std::vector<Value> args;
  std::vector<bool> holes;
  for (const Node* arg : expr->arguments) {
    if (arg->type == NodeType::kOperator && arg->value == "?") {
      args.emplace_back();
      holes.push_back(true);
    } else {
      args.push_back(Evaluate(arg, input, env));
      holes.push_back(false);
    }
  }
  const Value proc = Evaluate(expr->procedure, input, env);
  if (proc.IsUndefined() && expr->procedure->type == NodeType::kPath &&
      Lookup(env, expr->procedure->steps[0]->value).IsDefined()) {
    JsonataException e("T1007");
    e.Position(expr->position).Token(expr->procedure->steps[0]->value);
    throw e;
  }
  if (!proc.IsFunction()) {
    JsonataException e("T1008");
    e.Position(expr->position)
        .Token(expr->procedure->type == NodeType::kPath ? expr->procedure->steps[0]->value
                                                        : expr->procedure->value);
    throw e;
  }
  FunctionData& fn = *proc.AsFunction();
  if (fn.kind == FunctionKind::kLambda) {
    auto* out = new FunctionData;
    out->kind = FunctionKind::kLambda;
    out->node = fn.node;
    out->input = fn.input;
    FrameRef frame = NewFrame(fn.env.get() != nullptr ? fn.env.get() : env);
    for (std::size_t i = 0; i < fn.params.size(); ++i) {
      if (i < holes.size() && holes[i]) {
        out->params.push_back(fn.params[i]);
      } else {
        frame->Bind(fn.params[i], i < args.size() ? args[i] : Value());
      }
    }
    out->env = frame;
    return Value::Function(out);
  }
  auto* out = new FunctionData;
  out->kind = FunctionKind::kPartialNative;
  out->target = proc;
  // A native's parameters are its JavaScript ones: pad to its arity with undefined.
  const int arity = Arity(proc);
  while (static_cast<int>(args.size()) < arity) {
    args.emplace_back();
    holes.push_back(false);
  }
  out->bound = std::move(args);
  out->placeholder = std::move(holes);
  return Value::Function(out);
}

Value Evaluator::EvaluateApply(const Node* expr, const Value& input, Frame* env) {
  const Value lhs = Evaluate(expr->lhs, input, env);
  if (expr->rhs->type == NodeType::kFunction) {
    return EvaluateFunction(expr->rhs, input, env, &lhs);
  }
  const Value func = Evaluate(expr->rhs, input, env);
  if (!func.IsFunction()) {
    JsonataException e("T2006");
    e.Position(expr->position).With(func);
    throw e;
  }
  if (lhs.IsFunction()) {
    auto* chain = new FunctionData;
    chain->kind = FunctionKind::kChain;
    chain->f = lhs;
    chain->g = func;
    return Value::Function(chain);
  }
  return Apply(func, {lhs}, Value(), env);
}

int Evaluator::Arity(const Value& v) const {
  if (!v.IsFunction()) return 0;
  const FunctionData& fn = *v.AsFunction();
  switch (fn.kind) {
    case FunctionKind::kLambda:
      return static_cast<int>(fn.params.size());
    case FunctionKind::kBuiltin:
      return fn.builtin->arity;
    case FunctionKind::kHost:
      return fn.signature != nullptr ? static_cast<int>(fn.signature->ParamCount()) : 1;
    case FunctionKind::kRegex:
      return 2;
    case FunctionKind::kRegexNext:
      return 0;
    case FunctionKind::kTransform:
      return 1;
    case FunctionKind::kPartialNative: {
      int n = 0;
      for (bool b : fn.placeholder) n += b ? 1 : 0;
      return n;
    }
    case FunctionKind::kChain:
      return 1;
  }
  return 0;
}

Value Evaluator::CallHof(const Value& fn, const Value& a1, const Value& a2, const Value& a3,
                         Frame* env) {
  const int arity = Arity(fn);
  std::vector<Value> args;
  args.push_back(a1);
  if (arity >= 2) args.push_back(a2);
  if (arity >= 3) args.push_back(a3);
  return Apply(fn, std::move(args), Value(), env);
}

Value Evaluator::FunctionEval(const Value& expr, const Value& focus, const Value& input,
                              Frame* env) {
  if (expr.IsUndefined()) return Value();
  Value in = input;
  if (focus.IsDefined()) {
    in = focus;
    if (in.IsArray() && !in.IsSequence()) {
      in = Singleton(in);
      in.MutableArray()->outer_wrapper = true;
    }
  }
  std::unique_ptr<Ast> ast;
  try {
    ast = ParseExpression(expr.AsString());
  } catch (JsonataException& err) {
    JsonataException e("D3120");
    e.With(Value::String(FormatMessage(err.info)));
    throw e;
  }
  const Node* root = ast->root;
  eval_asts.push_back(std::move(ast));
  try {
    return Evaluate(root, in, env);
  } catch (JsonataException& err) {
    JsonataException e("D3121");
    e.With(Value::String(FormatMessage(err.info)));
    throw e;
  }
}

Value Evaluator::ApplyHost(const FunctionData& fn, std::vector<Value>& args) {
  std::vector<std::optional<json::Value>> in;
  in.reserve(args.size());
  for (const Value& a : args) {
    if (a.IsUndefined()) {
      in.emplace_back(std::nullopt);
    } else {
      in.emplace_back(a.ToJson());
    }
  }
  auto r = fn.host->impl(in);
  if (!r) {
    JsonataException e(r.error().code);
    if (!r.error().token.empty()) e.Token(r.error().token);
    e.Message(r.error().message);
    throw e;
  }
  if (!r->has_value()) return Value();
  kept.push_back(std::make_unique<json::Value>(std::move(**r)));
  return Value::FromJson(*kept.back());
}

}  // namespace stepway::jsonata
