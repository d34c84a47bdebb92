#pragma once

#include "utf8.h"

// The JSONata evaluator: environments, function values, the evaluation context
// (limits, clock, randomness) and helpers shared by the built-in library.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

#include "jsonata/ast.h"
#include "jsonata/jvalue.h"

namespace stepflow::asl::jsonata::internal {

struct Frame;
using FramePtr = std::shared_ptr<Frame>;

struct Frame {
  FramePtr parent;
  std::vector<std::pair<std::string, Val>> vars;

  void Bind(const std::string& name, Val v) {
    for (auto& p : vars) {
      if (p.first == name) {
        p.second = std::move(v);
        return;
      }
    }
    vars.emplace_back(name, std::move(v));
  }
  const Val* LookupLocal(const std::string& name) const {
    for (auto& p : vars) {
      if (p.first == name) return &p.second;
    }
    return nullptr;
  }
};

class Evaluator;
struct RegexData;

// Arguments of a call to a built-in: validated against its signature.
struct Call {
  Evaluator* ev;
  std::vector<Val>& args;
  const Val& input;  // the context item ("focus") of the call
  const FramePtr& env;
  const Val& Arg(size_t i) const {
    static const Val kUndef;
    return i < args.size() ? args[i] : kUndef;
  }
};

struct Builtin {
  std::string name;
  std::function<Val(Call&)> fn;
  std::shared_ptr<Signature> sig;
  int arity = 1;
};

struct FuncData : Heap {
  enum class Type { kLambda, kNative, kPartialNative, kRegex, kCompose, kTransform };
  Type type = Type::kLambda;
  const Node* node = nullptr;  // lambda or transform node
  Val input;
  FramePtr env;
  std::vector<std::string> params;
  std::shared_ptr<Signature> sig;
  bool thunk = false;
  const Builtin* builtin = nullptr;
  Val target;               // partial native: the function applied
  std::vector<Val> bound;   // partial native: bound arguments
  std::vector<bool> holes;  // partial native: which arguments are '?'
  std::shared_ptr<RegexData> regex;
  Val f, g;  // compose: g(f(x))
};

inline Val Val::Func(FuncData* f) {
  f->refs.fetch_add(1, std::memory_order_relaxed);
  Val v;
  v.kind_ = Kind::kFunc;
  v.u_.p = f;
  return v;
}

struct EvalOptions {
  int max_depth = 0;         // 0 = default guard
  int64_t timelimit_ms = 0;  // 0 = none
  size_t max_stack_bytes = 4 * 1024 * 1024;
  bool step_functions = false;
  std::optional<double> now_ms;         // default: system clock
  std::optional<uint64_t> random_seed;  // default: steady clock
};

using BuiltinTable = std::unordered_map<std::string, Builtin>;
const BuiltinTable& StandardLibrary();
// The functions AWS Step Functions adds to JSONata.
const BuiltinTable& AwsLibrary();

class Evaluator {
 public:
  Evaluator(const EvalOptions& options, const BuiltinTable* extra);
  ~Evaluator();
  Evaluator(const Evaluator&) = delete;
  Evaluator& operator=(const Evaluator&) = delete;

  Val Run(const Node* ast, const Val& input, const FramePtr& env);

  Val Eval(const Node* expr, const Val& input, const FramePtr& env);
  Val Apply(const Val& proc, std::vector<Val> args, const Val& input, const FramePtr& env);
  // Calls `func` the way $map and friends do: passing only as many of
  // (value, index, array) as the function accepts.
  Val ApplyHof(const Val& func, const Val& v, const Val& i, const Val& arr, const FramePtr& env);
  int Arity(const Val& func) const;

  const Val* Lookup(const FramePtr& env, const std::string& name) const;
  const Builtin* FindBuiltin(const std::string& name) const;

  double now_ms() const { return now_ms_; }
  // Seeded on first use: most expressions never draw a random number.
  std::mt19937_64& rng() {
    if (!rng_) {
      rng_.emplace(options_.random_seed
                       ? *options_.random_seed
                       : static_cast<uint64_t>(
                             std::chrono::steady_clock::now().time_since_epoch().count()));
    }
    return *rng_;
  }
  const EvalOptions& options() const { return options_; }
  // Parses and evaluates `text` ($eval) in a fresh frame of `env`.
  Val EvalText(const std::string& text, const Val& input, const FramePtr& env);

 private:
  void Enter(const Node* expr);
  void CheckDeadline(const Node* expr);
  Val EvalPath(const Node* expr, const Val& input, const FramePtr& env);
  Val EvalStep(const Node* expr, const Val& input, const FramePtr& env, bool last);
  Val EvalTupleStep(const Node* expr, const Val& input, Val tuples, const FramePtr& env);
  Val EvalStages(const std::vector<NodeP>& stages, Val input, const FramePtr& env);
  Val EvalFilter(const Node* pred, const Val& input, const FramePtr& env);
  Val EvalBinary(const Node* expr, const Val& input, const FramePtr& env);
  Val EvalUnary(const Node* expr, const Val& input, const FramePtr& env);
  Val EvalGroup(const GroupSpec& group, const Val& input, const FramePtr& env);
  Val EvalSort(const Node* expr, const Val& input, const FramePtr& env);
  Val EvalFunction(const Node* expr, const Val& input, const FramePtr& env, const Val* applyto);
  Val EvalPartial(const Node* expr, const Val& input, const FramePtr& env);
  Val EvalApplyExpr(const Node* expr, const Val& input, const FramePtr& env);
  Val EvalTransform(const Node* expr, const Val& input, const FramePtr& env);
  Val ApplyInner(const Val& proc, std::vector<Val> args, const Val& input, const FramePtr& env);
  Val RunTransform(const FuncData* f, const Val& obj);

  EvalOptions options_;
  const BuiltinTable* extra_;
  int depth_ = 0;
  int max_depth_ = 0;
  uint64_t ticks_ = 0;
  std::chrono::steady_clock::time_point deadline_;
  bool has_deadline_ = false;
  double now_ms_ = 0;
  std::optional<std::mt19937_64> rng_;
  std::vector<std::shared_ptr<Node>> eval_asts_;
  std::vector<Val>
      closures_;  // lambdas created by this evaluation  // keeps $eval'd expressions alive
};

// ---- helpers shared with the library
bool IsSeq(const Val& v);
Val SeqOf(const Val& v);  // createSequence(v)
Val Append(const Val& a, const Val& b);
std::optional<bool> Boolean(const Val& v);  // nullopt = undefined
bool DeepEqual(const Val& a, const Val& b);
std::string NumberToJs(double d);                         // JavaScript Number#toString
std::string StringOf(const Val& v, bool pretty = false);  // $string
std::string TypeLetter(const Val& v);
bool IsArrayOfNumbers(const Val& v);
bool IsArrayOfStrings(const Val& v);
Val Flatten(const Val& v);
Val LookupField(const Val& input, const std::string& key);  // fn.lookup
Val ValueOfItems(std::vector<Val> items, bool sequence = true);
const char* TypeOfName(const Val& v);  // "number", "object", ...

// ---- regex support (regex.cc)
struct RegexMatch {
  std::string match;
  size_t start = 0;  // code point index
  size_t end = 0;
  size_t byte_start = 0, byte_end = 0;
  std::vector<std::optional<std::string>> groups;
};
std::shared_ptr<RegexData> CompileRegex(const std::string& pattern, const std::string& flags,
                                        int position);
// Matches from byte offset `from`; false when no match. Throws D1004-like errors on limits.
bool RegexFind(const RegexData& re, const std::string& subject, size_t from, RegexMatch* out);

// Validates and fixes up arguments against a signature (jsonata-js signature.js).
std::vector<Val> ValidateArgs(const Signature& sig, const std::vector<Val>& args,
                              const Val& context);

// ---- formatting (format.cc)
std::string FormatNumberPicture(double value, const std::string& picture, const Val& options);
std::string FormatInteger(double value, const std::string& picture);
std::optional<double> ParseInteger(const std::string& value, const std::string& picture);
std::string FormatDateTime(double millis, const std::optional<std::string>& picture,
                           const std::optional<std::string>& timezone);
std::optional<double> ParseDateTime(const std::string& timestamp, const std::string& picture,
                                    double now_ms);
std::optional<double> ParseIso8601(const std::string& timestamp);
std::string FormatBase(double value, int radix);

// UTF-8 helpers
std::vector<uint32_t> ToCodePoints(const std::string& s);
std::string FromCodePoints(const std::vector<uint32_t>& cps, size_t from, size_t to);
inline void AppendUtf8(std::string* out, uint32_t cp) { stepflow::asl::AppendUtf8(cp, out); }

}  // namespace stepflow::asl::jsonata::internal
