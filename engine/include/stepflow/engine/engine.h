#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "stepflow/asl/model.h"
#include "stepflow/asl/value.h"
#include "stepflow/engine/clock.h"
#include "stepflow/status.h"
#include "stepflow/storage/store.h"

namespace stepflow::engine {

// Limits as AWS sets them; breaching one fails the execution cleanly.
struct Limits {
  size_t max_payload_bytes = 256 * 1024;  // States.DataLimitExceeded
  int64_t max_history_events = 25000;
};

// What a Task state asks of its resource.
struct TaskInvocation {
  std::string resource;
  asl::Value parameters;  // the effective input
  std::string execution_arn;
  std::string state_name;
  int64_t attempt = 0;
  // Stable across a crash and a re-dispatch of the same attempt.
  std::string idempotency_key;
};
struct TaskOutcome {
  bool ok = false;
  asl::Value result;
  asl::Failure failure;
};
// An in-process handler. It calls `done` exactly once, on the engine's thread,
// at once or later (from a timer or other engine work).
using TaskHandler = std::function<void(const TaskInvocation&, std::function<void(TaskOutcome)> done)>;

struct EngineOptions {
  Clock* clock = nullptr;           // not owned; null = the system clock
  storage::Store* store = nullptr;  // not owned; null = an in-memory store owned by the engine
  std::string region = "us-east-1";
  std::string account_id = "000000000000";
  Limits limits;
  uint64_t random_seed = 0;  // 0 = seeded from the system
  // Handlers by exact resource ARN; looked up before any other dispatch.
  std::vector<std::pair<std::string, TaskHandler>> task_handlers;
  // Lambda Invoke API base URL ("http://127.0.0.1:3001") for every function, and
  // per-function overrides by function name.
  std::string lambda_endpoint;
  std::vector<std::pair<std::string, std::string>> function_endpoints;
};

struct ExecutionResult {
  storage::ExecutionStatus status = storage::ExecutionStatus::kRunning;
  std::optional<asl::Value> output;
  std::optional<std::string> error, cause;
};

// Runs executions of parsed state machines. Single-threaded: every method is
// called from the thread that drives the engine (Run*/Await*).
class Engine {
 public:
  static StatusOr<std::unique_ptr<Engine>> Open(EngineOptions options);
  virtual ~Engine() = default;

  // Starts an execution of `machine` named `name` (a UUID when empty).
  // Returns its ARN. kAlreadyExists when that name was used.
  virtual StatusOr<std::string> StartExecution(std::shared_ptr<const asl::StateMachine> machine,
                                               const std::string& state_machine_name, const std::string& name,
                                               const asl::Value& input) = 0;

  // Drives the engine until the execution ends; with a ManualClock, jumps time to
  // each next timer when nothing else is left to do.
  virtual StatusOr<ExecutionResult> AwaitExecution(const std::string& execution_arn) = 0;

  // Stops a running execution: ExecutionAborted with the given error and cause.
  virtual Status StopExecution(const std::string& execution_arn, const std::string& error,
                               const std::string& cause) = 0;

  virtual storage::Store& store() = 0;
};

}  // namespace stepflow::engine
