#pragma once

// The compiled form of a Path, shared by path.cc (parsing, definite evaluation,
// Assign) and path_eval.cc (indefinite evaluation and filters). A path is parsed
// once into flat vectors; evaluation walks them with explicit stacks, so neither
// a long path nor a deep document makes it recurse without bound.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "stepflow/asl/path.h"
#include "stepflow/asl/value.h"

namespace stepflow::asl::path_internal {

// Filters may nest (`[?(@.a[?(@.b)])]`) this deep; parentheses and `!` this deep.
inline constexpr int kMaxFilterDepth = 32;
inline constexpr int kMaxExpressionDepth = 64;

enum class StepKind : uint8_t {
  kName,      // .name  ['name']
  kNames,     // ['a','b']
  kIndex,     // [3]  [-1]
  kIndexes,   // [0,2]
  kSlice,     // [1:3]  [-2:]  [:2]
  kWildcard,  // .*  [*]
  kFilter,    // [?(...)]
  kScan,      // ..  (always followed by the step it scans for)
};

// Jayway's three slice forms (ArraySliceOperation): no step, and each its own
// quirks for negative bounds.
enum class SliceKind : uint8_t { kFrom, kTo, kBetween };

struct Step {
  StepKind kind = StepKind::kName;
  SliceKind slice = SliceKind::kFrom;
  int32_t index = 0;               // kIndex; kSlice: from
  int32_t to = 0;                  // kSlice
  uint32_t filter = 0;             // kFilter: index into Program::exprs
  std::string name;                // kName
  std::vector<std::string> names;  // kNames
  std::vector<int32_t> indexes;    // kIndexes
};

// A sequence of steps from a root: the path itself, or an operand path inside a
// filter (`@.price` relative to the item, `$.limit` from the document root).
struct StepList {
  bool relative = false;  // starts at `@`
  std::vector<Step> steps;
  // Jayway "definite": names and single indexes only, or a final multi-name step
  // (which yields one merged object). Such a list yields at most one value.
  bool jayway_definite = true;
  // How many leading steps are single names or indexes: step k has a definite
  // upstream (Jayway's isUpstreamDefinite) when k <= definite_prefix.
  uint32_t definite_prefix = 0;
};

enum class RelOp : uint8_t {
  kEq,
  kNe,
  kStrictEq,
  kStrictNe,
  kLt,
  kLe,
  kGt,
  kGe,
  kRegex,
  kIn,
  kNin,
  kSubsetOf,
  kAnyOf,
  kNoneOf,
  kSize,
  kEmpty,
  kContains,
};

struct Operand {
  enum class Kind : uint8_t { kLiteral, kPath, kPattern };
  Kind kind = Kind::kLiteral;
  Value literal;       // kLiteral: string, number, bool, null, array or object
  uint32_t index = 0;  // kPath: into Program::paths; kPattern: into Program::regexes
};

enum class ExprKind : uint8_t { kOr, kAnd, kNot, kCompare, kExists };

struct Expr {
  ExprKind kind = ExprKind::kCompare;
  RelOp op = RelOp::kEq;
  bool should_exist = true;        // kExists: `@.a` (true) or `!@.a` (false)
  std::vector<uint32_t> children;  // kOr, kAnd, kNot: into Program::exprs
  Operand left, right;             // kCompare; kExists uses left (a path)
};

// A compiled `/pattern/flags` (PCRE2); matching is bounded by a match limit.
class Regex {
 public:
  // Returns nullptr and sets `error` when `pattern` does not compile.
  static std::shared_ptr<const Regex> Compile(const std::string& pattern, const std::string& flags,
                                              std::string* error);
  ~Regex();
  // Java Matcher.matches(): the whole input must match.
  bool FullMatch(std::string_view input) const;

 private:
  Regex() = default;
  void* code_ = nullptr;  // pcre2_code_8*
};

struct Program {
  std::vector<StepList> paths;  // operand paths of filters
  std::vector<Expr> exprs;
  std::vector<std::shared_ptr<const Regex>> regexes;
};

// Appends every match of `list` evaluated from `start` (with `root` as `$` inside
// filters) to `out`, in Jayway's order. Never fails: missing members, wrong
// types and out-of-range indexes yield nothing.
void CollectMatches(const Program& program, const StepList& list, const Value& start,
                    const Value& root, Array* out);

// Bracket notation of one step, as Jayway prints it: ['a'] [0] ['a','b'] [*] ..
void AppendStepFragment(const Step& step, std::string* out);

// Jayway's index lookup: a negative index counts from the end. False when the
// position is outside `array`. REQUIRES: array.is_array().
inline bool ResolveIndex(const Value& array, int64_t index, size_t* out) {
  const int64_t size = static_cast<int64_t>(array.AsArray().size());
  const int64_t i = index < 0 ? size + index : index;
  if (i < 0 || i >= size) return false;
  *out = static_cast<size_t>(i);
  return true;
}

// "java.lang.String" etc.: the class Jayway's json-smart provider would report.
const char* JavaClassName(const Value& value);

}  // namespace stepflow::asl::path_internal
