#pragma once

#include <string>

#include "stepflow/asl/diagnostic.h"
#include "stepflow/asl/model.h"
#include "stepflow/asl/value.h"

namespace stepflow::asl {

// Parses one Choice rule at `location` ("/States/C/Choices/0"). Top-level rules
// carry Next (and Assign/Output); nested rules (inside And/Or/Not) must not.
// Problems are appended to `diagnostics`; the rule returned is then incomplete.
ChoiceRule ParseChoiceRule(const Value& source, const std::string& location, QueryLanguage language,
                           bool top_level, Diagnostics* diagnostics);

// Compiles every "{% ... %}" string of a JSONata state (outside its nested
// machines and comments) and reports each syntax error at its location.
void CheckJsonataExpressions(const Value& state, const std::string& location, Diagnostics* diagnostics);

}  // namespace stepflow::asl
