#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "stepflow/asl/eval.h"
#include "stepflow/asl/value.h"

namespace stepflow::asl {

// A call of an intrinsic function (`States.Format('{} x', $.a)`), parsed once at
// load into a tree of literals, paths and nested calls.
class IntrinsicCall {
 public:
  IntrinsicCall();
  ~IntrinsicCall();
  IntrinsicCall(const IntrinsicCall&);
  IntrinsicCall& operator=(const IntrinsicCall&);
  IntrinsicCall(IntrinsicCall&&) noexcept;
  IntrinsicCall& operator=(IntrinsicCall&&) noexcept;

  // True when `text` looks like an intrinsic call (starts with "States.").
  static bool LooksLikeCall(std::string_view text);

  // Parses `text`. Returns false and sets `error` on unknown functions, bad
  // syntax, wrong argument counts detectable at load, bad paths.
  static bool Parse(std::string_view text, IntrinsicCall* out, std::string* error);

  const std::string& text() const;

  // Evaluates with `input` as `$`. On failure returns false and fills `failure`
  // (States.IntrinsicFailure or States.Runtime with AWS's cause wording).
  bool Evaluate(const Value& input, const EvalEnv& env, Value* out, Failure* failure) const;

 private:
  struct Impl;
  std::shared_ptr<const Impl> impl_;
};

}  // namespace stepflow::asl
