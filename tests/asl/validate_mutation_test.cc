// Mutations of the conformance definitions: every one must be answered with a model
// or with diagnostics, never a crash, and a model must have resolved transitions.

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "stepflow/asl/json.h"
#include "stepflow/asl/model.h"

using namespace stepflow::asl;

namespace {

std::vector<Value> LoadDefinitions() {
  std::vector<Value> out;
  for (const auto& entry : std::filesystem::directory_iterator(STEPFLOW_SHARED_DIR "/conformance/cases")) {
    if (entry.path().extension() != ".json") continue;
    std::ifstream in(entry.path(), std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    Value doc;
    JsonError error;
    if (ParseJson(text.str(), &doc, &error) && doc.Find("definition") != nullptr) {
      out.push_back(*doc.Find("definition"));
    }
  }
  return out;
}

Value WithMember(const Value& object, const std::string& key, const Value& value) {
  Object members = object.AsObject();
  for (auto& member : members) {
    if (member.first == key) member.second = value;
  }
  return Value::MakeObject(std::move(members));
}

// A valid model never has a dangling transition.
void CheckResolved(const StateMachine& m) {
  REQUIRE(m.start_index >= 0);
  REQUIRE(m.start_index < static_cast<int>(m.states.size()));
  for (const State& s : m.states) {
    if (!s.next.empty()) CHECK(s.next_index >= 0);
    if (s.type == StateType::kPass || s.type == StateType::kTask || s.type == StateType::kWait ||
        s.type == StateType::kParallel || s.type == StateType::kMap) {
      CHECK((s.end || s.next_index >= 0));
    }
    for (const Catcher& c : s.catchers) CHECK(c.next_index >= 0);
    for (const ChoiceRule& r : s.choices) CHECK(r.next_index >= 0);
    for (const auto& branch : s.branches) CheckResolved(*branch);
    if (s.item_processor) CheckResolved(*s.item_processor);
  }
}

void Parse(const Value& definition) {
  Diagnostics diagnostics;
  auto m = ParseDefinition(definition, &diagnostics);
  CHECK((m != nullptr) == !HasError(diagnostics));
  if (m) CheckResolved(*m);
}

}  // namespace

TEST_CASE("Every field of every conformance state replaced by a value of each JSON type never crashes") {
  const Value replacements[] = {Value(), Value::Bool(true), Value::Int(-1), Value::Double(1.5), Value::String(""),
                                Value::String("$.x["), Value::MakeArray({}), Value::MakeObject({})};
  size_t parsed = 0;
  for (const Value& definition : LoadDefinitions()) {
    const Value* states = definition.Find("States");
    REQUIRE(states != nullptr);
    for (const auto& [name, state] : states->AsObject()) {
      if (!state.is_object()) continue;
      for (const auto& [field, value] : state.AsObject()) {
        for (const Value& replacement : replacements) {
          Value mutated_state = WithMember(state, field, replacement);
          Parse(WithMember(definition, "States", WithMember(*states, name, mutated_state)));
          ++parsed;
        }
      }
    }
  }
  MESSAGE(parsed << " mutated definitions parsed");
  CHECK(parsed > 1000);
}

TEST_CASE("Every prefix-truncation of a conformance definition is rejected as invalid JSON") {
  size_t parsed = 0;
  for (const Value& definition : LoadDefinitions()) {
    std::string text = ToJson(definition);
    for (size_t cut = 0; cut < text.size(); cut += 1 + text.size() / 16) {
      Diagnostics diagnostics;
      CHECK(ParseDefinition(std::string_view(text).substr(0, cut), &diagnostics) == nullptr);
      CHECK(HasError(diagnostics));
      ++parsed;
    }
  }
  CHECK(parsed > 1000);
}
