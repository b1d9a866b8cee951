// The JSONata syntax tree, as jsonata-js's parser leaves it after its post-processing pass
// (processAST): paths as step lists, predicates as stages, tuple-stream and parent-slot
// annotations. Nodes live in an Ast arena and point at each other with raw pointers; an Ast
// is immutable once parsed, so evaluations on several threads may share it.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "jsonata/signature.h"

namespace stepway::jsonata {

class Regex;
struct Builtin;

enum class NodeType {
  kPath,
  kBinary,
  kUnary,
  kName,
  kString,
  kNumber,
  kValue,  // true, false, null
  kWildcard,
  kDescendant,
  kParent,
  kCondition,
  kBlock,
  kBind,
  kRegex,
  kFunction,
  kPartial,
  kVariable,
  kLambda,
  kApply,
  kTransform,
  kSort,
  kOperator,  // before processing; after it, only the `?` placeholder of a partial application
  kEnd,
};

enum class LiteralKind { kTrue, kFalse, kNull };

// Operators of binary and unary nodes, resolved once so evaluation never compares strings.
enum class Op : std::uint8_t {
  kNone, kAnd, kOr, kAdd, kSub, kMul, kDiv, kMod, kEq, kNe, kLt, kLe, kGt, kGe, kConcat,
  kRange, kIn, kNeg, kArray, kObject,
};

// A slot through which the parent operator `%` finds the ancestor it names.
struct Slot {
  std::string label;
  int level = 1;
  int index = 0;
};

struct Node;

struct Stage {
  enum class Kind { kFilter, kIndex };
  Kind kind = Kind::kFilter;
  Node* expr = nullptr;   // kFilter
  std::string variable;   // kIndex
  int position = 0;
};

struct Group {
  std::vector<std::pair<Node*, Node*>> pairs;
  int position = 0;
};

struct SortTerm {
  bool descending = false;
  Node* expression = nullptr;
};

struct Node {
  NodeType type = NodeType::kEnd;
  std::string id;     // the parser symbol (operator text, "(name)", "(literal)" ...)
  std::string value;  // operator, name, variable name or string literal
  double number = 0;
  LiteralKind literal = LiteralKind::kNull;
  int position = 0;
  Op op = Op::kNone;
  // A path of plain names (optionally after one plain variable) with no predicates, tuples,
  // groups or array flags: the evaluator may walk it directly, member by member.
  bool simple_path = false;
  // For a variable naming a built-in function: that function, found once at parse time.
  const Builtin* builtin = nullptr;

  Node* lhs = nullptr;
  Node* rhs = nullptr;
  Node* expression = nullptr;                           // unary operand
  std::vector<Node*> expressions;                       // array constructor, block
  std::vector<std::pair<Node*, Node*>> pairs;           // object constructor / group pairs
  std::vector<SortTerm> terms;                          // order-by
  std::vector<Node*> steps;                             // path
  std::vector<Node*> arguments;                         // function call, lambda parameters
  Node* procedure = nullptr;
  Node* body = nullptr;
  std::shared_ptr<const Signature> signature;
  bool thunk = false;
  Node* condition = nullptr;
  Node* then = nullptr;
  Node* otherwise = nullptr;
  Node* pattern = nullptr;
  Node* update = nullptr;
  Node* remove = nullptr;
  std::shared_ptr<const Regex> regex;

  bool has_predicate = false;
  std::vector<Stage> predicate;
  bool has_stages = false;
  std::vector<Stage> stages;
  std::unique_ptr<Group> group;

  bool keep_array = false;
  bool keep_singleton_array = false;
  bool consarray = false;
  bool tuple = false;
  bool has_focus = false;
  std::string focus;
  bool has_index = false;
  std::string index;
  Slot* ancestor = nullptr;
  Slot* slot = nullptr;
  bool has_seeking_parent = false;
  std::vector<Slot*> seeking_parent;
};

// Owns every node and slot of one parsed expression.
struct Ast {
  std::vector<std::unique_ptr<Node>> nodes;
  std::vector<std::unique_ptr<Slot>> slots;
  Node* root = nullptr;

  Node* NewNode() {
    nodes.push_back(std::make_unique<Node>());
    return nodes.back().get();
  }
  Slot* NewSlot() {
    slots.push_back(std::make_unique<Slot>());
    return slots.back().get();
  }
};

}  // namespace stepway::jsonata
