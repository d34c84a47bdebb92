#pragma once

// Starting executions from definition text in tests: the machine is stored
// under `machine_name` (a new revision when the text changed), then started.
#include <doctest/doctest.h>

#include <string>

#include "stepflow/asl/json.h"
#include "stepflow/engine/engine.h"

namespace stepflow::testing {

inline StatusOr<std::string> StartText(engine::Engine& engine, const std::string& definition,
                                       const std::string& machine_name, const std::string& name,
                                       const std::string& input) {
  StatusOr<std::string> machine = engine.RegisterStateMachine(machine_name, definition);
  if (!machine.ok()) return machine.status();
  StatusOr<engine::StartResult> started = engine.StartExecution(engine::StartRequest{*machine, name, input});
  if (!started.ok()) return started.status();
  return started->execution_arn;
}

inline StatusOr<std::string> StartText(engine::Engine& engine, const asl::Value& definition,
                                       const std::string& machine_name, const std::string& name,
                                       const asl::Value& input) {
  return StartText(engine, asl::ToJson(definition), machine_name, name, asl::ToJson(input));
}

}  // namespace stepflow::testing
