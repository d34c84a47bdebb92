#pragma once

// JSONata 2.0 (the version AWS Step Functions pins, jsonata-js 2.0.6): compile an
// expression once, evaluate it many times against JSON input.
//
//   jsonata::Expression expr;
//   jsonata::Error err;
//   if (!jsonata::Expression::Compile("Account.Order.Price", &expr, &err)) ...
//   std::optional<Value> out;                      // nullopt = undefined
//   if (!expr.Evaluate(&input, {}, {}, &out, &err)) ...   // err.code "T2001", ...
//
// Nothing here throws. A compiled Expression is immutable and may be evaluated
// concurrently from several threads.

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "stepflow/asl/value.h"

namespace stepflow::asl::jsonata {

// A parse or evaluation failure with JSONata's code: S0xxx syntax, T0xxx/T1xxx/
// T2xxx type, D1xxx-D3xxx dynamic, U1001 for the depth/time/memory limits;
// X0001 (not a JSONata code) reports an unexpected internal failure.
struct Error {
  std::string code;
  std::string message;
  int position = -1;  // byte offset in the expression, -1 when unknown
};

// Step Functions mode only: the result is a function, which no JSON field can
// hold. Not one of JSONata's own codes.
inline constexpr char kFunctionResultCode[] = "X0002";

// Variables visible as `$name` during evaluation.
using Bindings = std::map<std::string, Value, std::less<>>;

struct Limits {
  // Evaluation time limit in milliseconds; 0 = none. Exceeding it gives U1001.
  int64_t timelimit_ms = 0;
  // Maximum nesting of evaluation steps (jsonata-js counts one per expression
  // node entered); 0 = a default that still protects the native stack.
  int max_depth = 0;
  // Native stack the evaluator may use before failing with U1001.
  size_t max_stack_bytes = 4 * 1024 * 1024;
};

// A host function callable from expressions as `$name(...)`. Arguments that
// are undefined arrive as nullopt; set *result to nullopt for undefined. Return
// false with *error filled to fail the evaluation.
using HostFunction = std::function<bool(const std::vector<std::optional<Value>>& args,
                                        std::optional<Value>* result, Error* error)>;

struct Options {
  // Step Functions mode: adds $partition, $range, $hash, $random(seed), $uuid,
  // $parse and removes $eval, as AWS does. Off: standard JSONata 2.0.6.
  bool step_functions = false;
  // Extra functions, by name without the `$`, with a JSONata signature such as
  // "<s-n?:s>" (may be empty to accept anything).
  struct Function {
    std::string signature;
    HostFunction fn;
  };
  std::map<std::string, Function, std::less<>> functions;
  // Time source for $now() and $millis(), read once per evaluation, in
  // milliseconds since the Unix epoch. Empty: the system clock.
  std::function<int64_t()> clock_ms;
  // Seed for $random, $shuffle and $uuid, drawn once per evaluation. Empty: a
  // seed from the steady clock.
  std::function<uint64_t()> random_seed;
};

class Expression {
 public:
  Expression();
  ~Expression();
  Expression(const Expression&);
  Expression& operator=(const Expression&);
  Expression(Expression&&) noexcept;
  Expression& operator=(Expression&&) noexcept;

  // Parses `text`. On success stores the compiled expression in *out and returns
  // true; otherwise fills *err (S0xxx codes) and returns false.
  static bool Compile(std::string_view text, Expression* out, Error* err,
                      const Options& options = Options());

  // Evaluates against `input` (nullptr = no input, JSONata `undefined`). On
  // success sets *out (nullopt when the result is undefined) and returns true;
  // on failure fills *err and returns false. Functions in the result become "".
  // REQUIRES: the Expression was compiled successfully.
  bool Evaluate(const Value* input, const Bindings& bindings, const Limits& limits,
                std::optional<Value>* out, Error* err) const;

  bool valid() const { return impl_ != nullptr; }

 private:
  struct Impl;
  std::shared_ptr<const Impl> impl_;
};

}  // namespace stepflow::asl::jsonata
