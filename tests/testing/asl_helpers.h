#pragma once

// Test helpers: JSON values and parsed machines from text, failing the test
// (with the parser's messages) when the text is not valid.
#include <doctest/doctest.h>

#include <memory>
#include <string>

#include "stepflow/asl/json.h"
#include "stepflow/asl/model.h"

namespace stepflow::testing {

inline asl::Value Json(const std::string& text) {
  asl::Value v;
  asl::JsonError e;
  REQUIRE_MESSAGE(asl::ParseJson(text, &v, &e), e.message);
  return v;
}

inline std::shared_ptr<const asl::StateMachine> Machine(const std::string& text) {
  asl::Diagnostics d;
  auto m = asl::ParseDefinition(text, &d);
  for (const auto& x : d) MESSAGE(x.location << " " << x.code << " " << x.message);
  REQUIRE(m != nullptr);
  return m;
}

}  // namespace stepflow::testing
