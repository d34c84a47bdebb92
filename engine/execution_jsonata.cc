// The JSONata query language in states: Arguments, Output, Assign, Condition,
// Items, ItemSelector and "{% %}" values, with $states and variables bound.
#include <cmath>
#include <vector>

#include "execution.h"
#include "stepflow/asl/errors.h"
#include "stepflow/asl/json.h"
#include "stepflow/asl/timestamp.h"

namespace stepflow::engine {

using asl::Failure;
using asl::State;
using asl::StateType;
using asl::Value;
namespace errors = asl::errors;

bool Execution::EvalJsonata(Frame& f, const State& s, const Value& field, const char* name, const Value* result,
                            const Value* error_output, Value* out, Failure* failure, bool wrap) {
  auto it = cache_->jsonata.find(&field);
  if (it == cache_->jsonata.end()) {
    asl::JsonataTemplate compiled;
    std::string error;
    if (!asl::JsonataTemplate::Compile(field, name, &compiled, &error)) {
      *failure = wrap ? StateRuntimeError(f, s, errors::kQueryEvaluationError, error)
                      : Failure{errors::kQueryEvaluationError, error};
      return false;
    }
    it = cache_->jsonata.emplace(&field, std::move(compiled)).first;
  }
  asl::jsonata::Bindings bindings;
  // Outer scopes first, so an inner variable of the same name wins.
  std::vector<const asl::VariableScope*> chain;
  for (const asl::VariableScope* scope = f.scope.get(); scope != nullptr; scope = scope->parent) {
    chain.push_back(scope);
  }
  for (auto scope = chain.rbegin(); scope != chain.rend(); ++scope) {
    if (!(*scope)->variables.is_object()) continue;
    for (const auto& [key, value] : (*scope)->variables.AsObject()) bindings[key] = value;
  }
  asl::Object states{{"input", f.input}, {"context", f.context}};
  if (result != nullptr) states.emplace_back("result", *result);
  if (error_output != nullptr) states.emplace_back("errorOutput", *error_output);
  bindings["states"] = Value::MakeObject(std::move(states));
  if (!it->second.Evaluate(bindings, out, failure)) {
    if (wrap) *failure = StateRuntimeError(f, s, failure->error, failure->cause);
    return false;
  }
  return true;
}

void Execution::MergeVariables(Frame& f, const Value& assigned) {
  if (!assigned.is_object()) return;
  asl::Object vars = f.scope->variables.is_object() ? f.scope->variables.AsObject() : asl::Object();
  for (const auto& [name, value] : assigned.AsObject()) {
    bool replaced = false;
    for (auto& member : vars) {
      if (member.first == name) {
        member.second = value;
        replaced = true;
        break;
      }
    }
    if (!replaced) vars.emplace_back(name, value);
  }
  f.scope->variables = Value::MakeObject(std::move(vars));
}

bool Execution::AssignJsonata(Frame& f, const State& s, const Value& assign, const Value* result,
                              const Value* error_output, Failure* failure) {
  Value assigned;
  if (!EvalJsonata(f, s, assign, "Assign", result, error_output, &assigned, failure)) return false;
  MergeVariables(f, assigned);
  return true;
}

Execution::Flow Execution::CompleteJsonata(Frame& f, const State& s, const Value& result) {
  FramePtr self = f.shared_from_this();
  Value output = result;
  Failure failure;
  // Output and Assign both see the variables as they were before this state.
  if (s.output && !EvalJsonata(f, s, *s.output, "Output", &result, nullptr, &output, &failure)) {
    return HandleFailure(self, s, failure);
  }
  if (s.jsonata_assign && !AssignJsonata(f, s, *s.jsonata_assign, &result, nullptr, &failure)) {
    return HandleFailure(self, s, failure);
  }
  return ExitState(f, s, std::move(output), s.next_index);
}

Execution::Flow Execution::ExecuteJsonata(const FramePtr& f, const State& s) {
  Failure failure;
  switch (s.type) {
    case StateType::kPass:
      return CompleteJsonata(*f, s, f->input);
    case StateType::kSucceed: {
      Value output = f->input;
      if (s.output && !EvalJsonata(*f, s, *s.output, "Output", nullptr, nullptr, &output, &failure)) {
        return HandleFailure(f, s, failure);
      }
      return ExitState(*f, s, std::move(output), -1);
    }
    case StateType::kFail: {
      std::string error, cause;
      bool has_error = s.error.has_value() || s.jsonata_error.has_value();
      if (s.error) error = *s.error;
      if (s.cause) cause = *s.cause;
      Value v;
      if (s.jsonata_error) {
        if (!EvalJsonata(*f, s, *s.jsonata_error, "Error", nullptr, nullptr, &v, &failure)) {
          return HandleFailure(f, s, failure);
        }
        error = v.is_string() ? v.AsString() : asl::ToJson(v);
      }
      if (s.jsonata_cause) {
        if (!EvalJsonata(*f, s, *s.jsonata_cause, "Cause", nullptr, nullptr, &v, &failure)) {
          return HandleFailure(f, s, failure);
        }
        cause = v.is_string() ? v.AsString() : asl::ToJson(v);
      }
      return FailFrame(*f, Failure{has_error ? error : std::string(), cause});
    }
    case StateType::kChoice: {
      const asl::ChoiceRule* chosen = nullptr;
      for (const asl::ChoiceRule& rule : s.choices) {
        Value matched;
        if (rule.condition) {
          if (!EvalJsonata(*f, s, *rule.condition, "Condition", nullptr, nullptr, &matched, &failure)) {
            return HandleFailure(f, s, failure);
          }
        }
        if (!matched.is_bool()) {
          return HandleFailure(f, s, StateRuntimeError(*f, s, errors::kQueryEvaluationError,
                                                       "The Condition of a Choice rule must evaluate to a boolean, "
                                                       "but was: " + asl::ToJson(matched)));
        }
        if (matched.AsBool()) {
          chosen = &rule;
          break;
        }
      }
      int next = chosen != nullptr ? chosen->next_index : s.default_index;
      if (next < 0) return FailFrame(*f, Failure{errors::kNoChoiceMatched, "No Matches!"});
      const std::optional<Value>& output_field = chosen != nullptr && chosen->jsonata_output ? chosen->jsonata_output
                                                                                              : s.output;
      Value output = f->input;
      if (output_field && !EvalJsonata(*f, s, *output_field, "Output", nullptr, nullptr, &output, &failure)) {
        return HandleFailure(f, s, failure);
      }
      if (s.jsonata_assign && !AssignJsonata(*f, s, *s.jsonata_assign, nullptr, nullptr, &failure)) {
        return HandleFailure(f, s, failure);
      }
      if (chosen != nullptr && chosen->jsonata_assign &&
          !AssignJsonata(*f, s, *chosen->jsonata_assign, nullptr, nullptr, &failure)) {
        return HandleFailure(f, s, failure);
      }
      return ExitState(*f, s, std::move(output), next);
    }
    case StateType::kWait: {
      Instant now = host_.clock->Now();
      Instant due = now;
      Value v;
      if (s.seconds) {
        due = now + static_cast<Instant>(*s.seconds * kNanosPerSecond);
      } else if (s.timestamp) {
        due = asl::ParseTimestamp(*s.timestamp).value_or(now);
      } else if (s.jsonata_seconds) {
        if (!EvalJsonata(*f, s, *s.jsonata_seconds, "Seconds", nullptr, nullptr, &v, &failure)) {
          return HandleFailure(f, s, failure);
        }
        if (!v.is_int() || v.AsInt() < 0) {
          return HandleFailure(f, s, StateRuntimeError(*f, s, errors::kQueryEvaluationError,
                                                       "The Seconds field must evaluate to a non-negative integer, "
                                                       "but was: " + asl::ToJson(v)));
        }
        due = now + v.AsInt() * kNanosPerSecond;
      } else if (s.jsonata_timestamp) {
        if (!EvalJsonata(*f, s, *s.jsonata_timestamp, "Timestamp", nullptr, nullptr, &v, &failure)) {
          return HandleFailure(f, s, failure);
        }
        std::optional<asl::Instant> at = v.is_string() ? asl::ParseTimestamp(v.AsString()) : std::nullopt;
        if (!at) {
          return HandleFailure(f, s, StateRuntimeError(*f, s, errors::kQueryEvaluationError,
                                                       "The Timestamp field must evaluate to an ISO-8601 extended "
                                                       "offset date-time string, but was: " + asl::ToJson(v)));
        }
        due = *at;
      }
      Value output = f->input;
      if (s.output && !EvalJsonata(*f, s, *s.output, "Output", nullptr, nullptr, &output, &failure)) {
        return HandleFailure(f, s, failure);
      }
      if (s.jsonata_assign && !AssignJsonata(*f, s, *s.jsonata_assign, nullptr, nullptr, &failure)) {
        return HandleFailure(f, s, failure);
      }
      return PauseInWait(f, s, due, std::move(output));
    }
    default:
      return FailFrame(*f, StateRuntimeError(*f, s, errors::kRuntime, "unexpected state type"));
  }
}

}  // namespace stepflow::engine
