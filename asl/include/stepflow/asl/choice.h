#pragma once

#include <string_view>

#include "stepflow/asl/eval.h"
#include "stepflow/asl/model.h"

namespace stepflow::asl {

// Evaluates a JSONPath Choice rule (with its And/Or/Not children) on `input`.
// A comparison between mismatched types is simply false, as on AWS. Returns false
// with `failure` (States.Runtime) only when the Variable path matches nothing
// for an operator other than IsPresent.
// REQUIRES: rule.op != kCondition (JSONata rules are evaluated by the JSONata layer).
bool EvaluateChoiceRule(const ChoiceRule& rule, const Value& input, const EvalEnv& env, bool* matched,
                        Failure* failure);

// StringMatches: `*` matches any run of characters; `\*` and `\\` are literal.
bool StringMatchesPattern(std::string_view text, std::string_view pattern);

}  // namespace stepflow::asl
