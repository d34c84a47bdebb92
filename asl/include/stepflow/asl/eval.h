#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <string_view>

#include "stepflow/asl/value.h"

namespace stepflow::asl {

// A workflow error: data that goes into history and through Retry/Catch.
struct Failure {
  std::string error;  // "States.Runtime", or a task's own error name
  std::string cause;
};

// Variables (Assign) visible to a state: its own scope first, then enclosing ones
// (a Map iteration or Parallel branch reads, never writes, its parent's).
struct VariableScope {
  Value variables;  // an object, or null when empty
  const VariableScope* parent = nullptr;

  const Value* Find(std::string_view name) const {
    for (const VariableScope* s = this; s != nullptr; s = s->parent) {
      if (const Value* v = s->variables.Find(name)) return v;
    }
    return nullptr;
  }
};

// What an expression may read besides the state input. Pointers are borrowed and
// may be null (no context object, no variables, no randomness).
struct EvalEnv {
  const Value* context = nullptr;  // $$
  const VariableScope* variables = nullptr;
  std::mt19937_64* random = nullptr;  // States.MathRandom, States.UUID
};

}  // namespace stepflow::asl
