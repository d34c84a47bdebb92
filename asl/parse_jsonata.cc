// Syntax check of the JSONata expressions ("{% ... %}") of JSONata states, so
// `validate` reports a bad expression at load instead of at run time.

#include <utility>
#include <vector>

#include "field_reader.h"
#include "parse_internal.h"
#include "stepflow/asl/jsonata.h"

namespace stepflow::asl {

void CheckJsonataExpressions(const Value& state, const std::string& location, Diagnostics* diagnostics) {
  if (!state.is_object()) return;
  jsonata::Options options;
  options.step_functions = true;
  // Walk with an explicit stack: values may be as deep as the JSON limit allows.
  std::vector<std::pair<const Value*, std::string>> stack;
  for (const auto& [key, value] : state.AsObject()) {
    // Nested machines are checked as their own states; comments are prose.
    if (key == "Branches" || key == "ItemProcessor" || key == "Iterator" || key == "Comment") continue;
    stack.emplace_back(&value, PointerAppend(location, key));
  }
  while (!stack.empty()) {
    auto [value, where] = std::move(stack.back());
    stack.pop_back();
    if (value->is_string()) {
      if (!IsJsonataExpression(*value)) continue;
      const std::string& text = value->AsString();
      jsonata::Expression expression;
      jsonata::Error error;
      if (!jsonata::Expression::Compile(std::string_view(text).substr(2, text.size() - 4), &expression, &error,
                                        options)) {
        std::string at = error.position >= 0 ? " at offset " + std::to_string(error.position) : "";
        diagnostics->push_back({Diagnostic::Severity::kError, codes::kSchema, where,
                                "Invalid JSONata expression " + text + ": " + error.code + at + ": " +
                                    error.message});
      }
    } else if (value->is_object()) {
      for (const auto& [key, member] : value->AsObject()) {
        if (key == "Comment") continue;
        stack.emplace_back(&member, PointerAppend(where, key));
      }
    } else if (value->is_array()) {
      const Array& items = value->AsArray();
      for (size_t i = 0; i < items.size(); ++i) stack.emplace_back(&items[i], PointerAppend(where, std::to_string(i)));
    }
  }
}

}  // namespace stepflow::asl
