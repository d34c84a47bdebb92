#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "stepflow/asl/diagnostic.h"
#include "stepflow/asl/eval.h"
#include "stepflow/asl/value.h"

namespace stepflow::asl {

// A compiled payload template (Parameters, ResultSelector, ItemSelector, Assign in
// JSONPath states): keys ending in `.$` take a path, context path, variable or
// intrinsic call, parsed once here; every other value is copied literally.
class PayloadTemplate {
 public:
  PayloadTemplate();
  ~PayloadTemplate();
  PayloadTemplate(const PayloadTemplate&);
  PayloadTemplate& operator=(const PayloadTemplate&);
  PayloadTemplate(PayloadTemplate&&) noexcept;
  PayloadTemplate& operator=(PayloadTemplate&&) noexcept;

  // Compiles `source`; every bad `.$` value adds a diagnostic located under
  // `location` (a JSON pointer such as "/States/A/Parameters").
  static PayloadTemplate Compile(const Value& source, const std::string& location, Diagnostics* diagnostics);

  // Builds the payload with `input` as `$`. False with `failure`
  // (States.Runtime, States.IntrinsicFailure) when a path or call fails.
  bool Evaluate(const Value& input, const EvalEnv& env, Value* out, Failure* failure) const;

  // Ahead of Evaluate, start loading what it reads first: its compiled form
  // (Prefetch), and once that is in cache, its top node's members (PrefetchMembers).
  void Prefetch() const;
  void PrefetchMembers() const;

  const Value& source() const;

  struct Node;  // compiled form; defined in payload_template.cc

 private:
  struct Compiled;
  std::shared_ptr<const Compiled> compiled_;  // one pointer: a State holds several templates
};

}  // namespace stepflow::asl
