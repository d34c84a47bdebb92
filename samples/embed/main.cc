// Runs a state machine in-process: two C++ task handlers, Retry and Catch.
#include <cstdio>
#include <utility>

#include "stepflow/asl/json.h"
#include "stepflow/engine/engine.h"

namespace asl = stepflow::asl;
namespace engine = stepflow::engine;
namespace storage = stepflow::storage;

constexpr char kDefinition[] = R"({
  "StartAt": "Quote",
  "States": {
    "Quote": {
      "Type": "Task", "Resource": "arn:stepflow:::handler:quote",
      "Retry": [{"ErrorEquals": ["Quote.Busy"], "IntervalSeconds": 1, "MaxAttempts": 3, "BackoffRate": 1}],
      "ResultPath": "$.quote", "Next": "Charge"
    },
    "Charge": {
      "Type": "Task", "Resource": "arn:stepflow:::handler:charge",
      "Catch": [{"ErrorEquals": ["Card.Declined"], "ResultPath": "$.declined", "Next": "Invoice"}],
      "ResultPath": "$.payment", "End": true
    },
    "Invoice": {"Type": "Pass", "Result": "invoice", "ResultPath": "$.payment", "End": true}
  }
})";

int Fail(const stepflow::Status& status) {
  std::fprintf(stderr, "embed: %s\n", status.ToString().c_str());
  return 1;
}

int main() {
  engine::EngineOptions options;
  // Busy twice, then a price: Retry calls it three times.
  options.task_handlers.emplace_back("arn:stepflow:::handler:quote", [](const engine::TaskInvocation& task, auto done) {
    if (task.attempt < 2) return done({false, {}, {"Quote.Busy", "try later"}});
    asl::Object quote{{"price", asl::Value::Double(12.5)}, {"attempts", asl::Value::Int(task.attempt + 1)}};
    done({true, asl::Value::MakeObject(std::move(quote)), {}});
  });
  // A handler may throw: TaskError names the ASL error, which Catch matches.
  options.task_handlers.emplace_back("arn:stepflow:::handler:charge", [](const engine::TaskInvocation&, auto) {
    throw engine::TaskError("Card.Declined", "card ending 4242 declined");
  });
  auto engine = engine::Engine::Open(std::move(options));
  if (!engine.ok()) return Fail(engine.status());

  auto machine = (*engine)->RegisterStateMachine("checkout", kDefinition);
  if (!machine.ok()) return Fail(machine.status());
  auto started = (*engine)->StartExecution({*machine, "order-1", R"({"item": "book"})"});
  if (!started.ok()) return Fail(started.status());
  auto result = (*engine)->AwaitExecution(started->execution_arn);
  if (!result.ok()) return Fail(result.status());

  std::printf("%s %s\n", storage::ExecutionStatusName(result->status),
              result->output ? asl::ToJson(*result->output).c_str() : result->error.value_or("").c_str());
  return result->status == storage::ExecutionStatus::kSucceeded ? 0 : 1;
}
