#pragma once

#include <memory>
#include <string>

#include "stepflow/asl/eval.h"
#include "stepflow/asl/jsonata.h"
#include "stepflow/asl/value.h"

namespace stepflow::asl {

// A field of a JSONata state (Arguments, Output, Assign, Items, Condition, ...):
// any JSON whose strings of the form "{% expr %}" are JSONata expressions,
// compiled once.
class JsonataTemplate {
 public:
  JsonataTemplate();
  ~JsonataTemplate();
  JsonataTemplate(const JsonataTemplate&);
  JsonataTemplate& operator=(const JsonataTemplate&);
  JsonataTemplate(JsonataTemplate&&) noexcept;
  JsonataTemplate& operator=(JsonataTemplate&&) noexcept;

  // Compiles `source`. `field` names it in error texts ("Output"). False with
  // `error` (JSONata's code and message) when an expression does not parse.
  static bool Compile(const Value& source, const std::string& field, JsonataTemplate* out, std::string* error);

  // Evaluates with `bindings` ($states, variables). An expression that yields
  // nothing, or fails, is States.QueryEvaluationError with AWS's wording; the
  // cause lacks the "An error occurred while executing the state" prefix.
  bool Evaluate(const jsonata::Bindings& bindings, Value* out, Failure* failure) const;

  // The expression text when the whole field is one "{% %}" expression.
  const std::string* whole_expression() const;

  struct Node;  // compiled form; defined in jsonata_template.cc

 private:
  std::shared_ptr<const Node> root_;
};

}  // namespace stepflow::asl
