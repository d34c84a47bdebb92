#pragma once

// Abstract syntax tree of a JSONata expression, the tokenizer/Pratt parser that
// builds it and the post-processing pass (jsonata-js "processAST") that turns
// dotted steps into paths, predicates into stages and resolves parent slots.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "jsonata/jvalue.h"

namespace stepflow::asl::jsonata::internal {

// A JSONata error while parsing or evaluating; thrown inside the engine only and
// turned into an Error value at the API boundary.
struct JError {
  std::string code;
  std::string message;
  int position = -1;
  std::string token;
};

// Native stack budget for the recursive parser and evaluator. A StackScope
// records the current stack position; CheckStack() fails with U1001 once the
// recursion below it uses more than `budget` bytes.
class StackScope {
 public:
  explicit StackScope(size_t budget);
  ~StackScope();

 private:
  uintptr_t saved_base_;
  size_t saved_budget_;
};
void CheckStack();

[[noreturn]] void Fail(const char* code, std::string message, int position = -1,
                       std::string token = std::string());

// A function signature such as `<s-nn?:s>`, compiled to a PCRE2 pattern over
// one type letter per argument.
struct Signature {
  struct Param {
    std::string regex;
    char type = 0;
    std::string type_str;
    bool context = false;
    std::string context_regex;
    std::string subtype;
  };
  std::string definition;
  std::vector<Param> params;
  std::string regex;
  std::shared_ptr<const void> compiled;  // pcre2_code of `regex`
};
std::shared_ptr<Signature> ParseSignature(std::string_view text);
// Compiles sig->regex into sig->compiled (regex.cc).
void CompileSignature(Signature* sig);

struct Slot {
  std::string label;
  int level = 1;
  int index = 0;
};

struct Node;
using NodeP = std::shared_ptr<Node>;

enum class NT {
  kPath, kBinary, kUnary, kName, kString, kNumber, kValue, kWildcard, kDescendant,
  kParent, kCondition, kBlock, kBind, kRegex, kFunction, kVariable, kLambda, kPartial,
  kApply, kTransform, kSort, kOperator, kEnd, kFilter, kIndex
};

struct SortTerm {
  bool descending = false;
  NodeP expression;
};

struct GroupSpec {
  std::vector<std::pair<NodeP, NodeP>> pairs;
  int position = 0;
};

struct Node {
  NT type = NT::kEnd;
  std::string value;  // operator, name, string literal, variable name
  double num = 0;
  Val literal;        // kValue (true/false/null), kString, kNumber
  int position = 0;
  std::string regex_flags;

  NodeP lhs, rhs, expression;
  std::vector<NodeP> steps, expressions, arguments;
  std::vector<std::pair<NodeP, NodeP>> pairs;  // object constructor
  std::shared_ptr<GroupSpec> group;
  std::vector<NodeP> predicate;  // kFilter nodes
  std::vector<NodeP> stages;     // kFilter / kIndex nodes
  bool has_stages = false;
  bool has_predicate = false;
  NodeP condition, then, otherwise, pattern, update, del, body, procedure;
  std::vector<SortTerm> terms;
  bool keep_array = false, cons_array = false, keep_singleton_array = false;
  bool tuple = false, thunk = false;
  std::string focus, index;
  bool has_focus = false, has_index = false;
  std::shared_ptr<Slot> ancestor, slot;
  std::vector<std::shared_ptr<Slot>> seeking_parent;
  bool has_seeking_parent = false;
  std::shared_ptr<Signature> signature;
};

struct ParseLimits {
  int max_depth = 500;
};

// Parses and post-processes `text`. Throws JError.
NodeP ParseExpression(std::string_view text, const ParseLimits& limits);

}  // namespace stepflow::asl::jsonata::internal
