#pragma once

#include <string>
#include <vector>

namespace stepflow::asl {

// One validation problem. Codes follow AWS ValidateStateMachineDefinition
// (SCHEMA_VALIDATION_FAILED, MISSING_TRANSITION_TARGET, INVALID_JSON_DESCRIPTION,
// ...); location is a JSON pointer into the definition ("/States/Check/Next").
struct Diagnostic {
  enum class Severity { kError, kWarning };
  Severity severity = Severity::kError;
  std::string code;
  std::string location;
  std::string message;
};

using Diagnostics = std::vector<Diagnostic>;

inline bool HasError(const Diagnostics& diagnostics) {
  for (const Diagnostic& d : diagnostics) {
    if (d.severity == Diagnostic::Severity::kError) return true;
  }
  return false;
}

}  // namespace stepflow::asl
