// Event histories against the ones AWS recorded in ../shared/conformance/cases:
// the exact type sequence for sequential machines, the same events (as a
// multiset) where Parallel or Map interleave concurrent work.
#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "stepflow/asl/json.h"
#include "stepflow/asl/model.h"
#include "testing/engine_helpers.h"
#include "stepflow/engine/engine.h"

namespace {

using stepflow::asl::Value;

bool HasFeature(const Value& c, const std::string& name) {
  const Value* features = c.Find("features");
  if (features == nullptr || !features->is_array()) return false;
  for (const Value& f : features->AsArray()) {
    if (f.is_string() && f.AsString() == name) return true;
  }
  return false;
}

std::vector<std::string> RunAndCollectTypes(const Value& c) {
  stepflow::asl::Diagnostics diagnostics;
  auto machine = stepflow::asl::ParseDefinition(*c.Find("definition"), &diagnostics);
  REQUIRE(machine != nullptr);
  stepflow::engine::ManualClock clock;
  stepflow::engine::EngineOptions options;
  options.clock = &clock;
  options.random_seed = 7;
  auto engine = stepflow::engine::Engine::Open(std::move(options));
  REQUIRE(engine.ok());
  auto arn = stepflow::testing::StartText(**engine, *c.Find("definition"), "history", "", *c.Find("input"));
  REQUIRE(arn.ok());
  auto result = (*engine)->AwaitExecution(*arn);
  REQUIRE(result.ok());
  auto events = (*engine)->store().GetHistory(*arn, 0, 1000000);
  REQUIRE(events.ok());
  std::vector<std::string> types;
  for (const auto& e : *events) types.emplace_back(e.type);
  return types;
}

}  // namespace

TEST_CASE("Histories have the event types AWS recorded, in AWS's order where nothing runs concurrently") {
  std::string dir = std::string(STEPFLOW_SHARED_DIR) + "/conformance/cases";
  int sequential = 0, concurrent = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    std::ifstream in(entry.path());
    std::stringstream text;
    text << in.rdbuf();
    Value c;
    stepflow::asl::JsonError error;
    REQUIRE(stepflow::asl::ParseJson(text.str(), &c, &error));
    const Value* recorded = c.Find("events");
    // Task cases need a function server; they run in the conformance suite.
    if (recorded == nullptr || HasFeature(c, "task")) continue;
    std::vector<std::string> expected;
    for (const Value& t : recorded->AsArray()) expected.push_back(t.AsString());
    CAPTURE(entry.path().filename().string());
    std::vector<std::string> actual = RunAndCollectTypes(c);
    if (HasFeature(c, "parallel") || HasFeature(c, "map")) {
      std::sort(expected.begin(), expected.end());
      std::sort(actual.begin(), actual.end());
      CHECK(actual == expected);
      ++concurrent;
    } else {
      CHECK(actual == expected);
      ++sequential;
    }
  }
  MESSAGE("compared " << sequential << " sequential and " << concurrent << " concurrent histories");
  CHECK(sequential > 100);
  CHECK(concurrent > 20);
}
