#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "stepflow/asl/eval.h"
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
  // `.waitForTaskToken` resources: the token the task must be completed with
  // (Engine::SendTaskSuccess/Failure); the handler's own outcome is ignored
  // unless it is a failure.
  std::string task_token;
  // The state's TimeoutSeconds, 0 when none: a request may be abandoned after it.
  int64_t timeout_ms = 0;
};
struct TaskOutcome {
  bool ok = false;
  asl::Value result;
  asl::Failure failure;
};
// An in-process handler. It calls `done` exactly once, on the engine's thread,
// at once or later (from a timer or other engine work); Engine::Post brings
// work from other threads onto it. A handler that throws fails the task with
// the exception's message as cause and "Exception" as error (or the error a
// TaskError carries).
using TaskHandler = std::function<void(const TaskInvocation&, std::function<void(TaskOutcome)> done)>;

// Thrown by a handler to fail its task with a chosen ASL error name.
struct TaskError : std::exception {
  TaskError(std::string error, std::string cause) : failure{std::move(error), std::move(cause)} {}
  const char* what() const noexcept override { return failure.cause.c_str(); }
  asl::Failure failure;
};

// Credentials an HTTP Task uses, by the ConnectionArn its definition names;
// they never appear in a definition or in history.
struct HttpConnection {
  std::string arn;                                           // the ConnectionArn
  std::vector<std::pair<std::string, std::string>> headers;  // added to each request ("Authorization", ...)
  std::vector<std::pair<std::string, std::string>> query;    // added query parameters (API keys)
};

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
  std::vector<HttpConnection> http_connections;
  // PEM file of extra certificate authorities trusted for https (self-signed
  // endpoints); the system's are trusted as well.
  std::string ca_file;
};

struct ExecutionResult {
  storage::ExecutionStatus status = storage::ExecutionStatus::kRunning;
  std::optional<asl::Value> output;
  std::optional<std::string> error, cause;
};

// Cumulative figures for monitoring (Prometheus-style histograms: counts[i]
// observations <= bounds[i], the last count for the rest).
struct Histogram {
  std::vector<double> bounds;
  std::vector<uint64_t> counts;  // bounds.size() + 1
  double sum = 0;
  uint64_t count = 0;
};
struct EngineMetrics {
  uint64_t executions_started = 0;
  uint64_t state_transitions = 0;  // states entered
  Histogram task_dispatch_seconds;  // request sent -> outcome, per task attempt
  Histogram commit_seconds;         // one store commit of a batch of steps
  Histogram commit_batch_size;      // executions' steps per commit
};

struct StartRequest {
  // A stored machine (its latest revision runs), or one revision of it
  // ("...:stateMachine:NAME:REVISION").
  std::string state_machine_arn;
  std::string name;               // empty: a UUID
  std::string input = "{}";       // JSON text
};
struct StartResult {
  std::string execution_arn;
  int64_t start_time_ns = 0;
  bool created = true;  // false: the running execution of that name and input
};

// Runs executions of stored state machines durably: each step is committed to
// the store before its effects are visible, and an execution whose process
// died resumes from its last commit (Resume / ResumeAll).
//
// Threading: until RunInBackground() is called, the engine runs on the thread
// that calls it (AwaitExecution drives it; with a ManualClock it jumps time to
// each next timer when nothing else is left to do), and every method is called
// from that one thread. After RunInBackground() every method may be called
// from any thread.
class Engine {
 public:
  static StatusOr<std::unique_ptr<Engine>> Open(EngineOptions options);
  virtual ~Engine() = default;

  // Validates `definition` and stores it as the machine `name`: a new machine,
  // or a new revision when the text differs from the latest one. Returns the
  // ARN of that revision ("...:stateMachine:NAME:REVISION", AWS's version ARN
  // form). kInvalidArgument (every problem, one per line) for a bad definition.
  virtual StatusOr<std::string> RegisterStateMachine(const std::string& name, const std::string& definition) = 0;

  // Starts an execution. Idempotent by name as on AWS: a name already used with
  // the same input returns that execution; with another input, kAlreadyExists.
  // kNotFound for an unknown machine, kConflict for one being deleted (its
  // running executions go on), kInvalidArgument for input that is not JSON.
  virtual StatusOr<StartResult> StartExecution(const StartRequest& request) = 0;

  // Waits for the execution to end (driving the engine when not in background).
  virtual StatusOr<ExecutionResult> AwaitExecution(const std::string& execution_arn) = 0;

  // Calls `fn` on the engine thread with the ARN and result of every execution
  // that ends from now on.
  virtual void OnExecutionFinished(std::function<void(const std::string&, const ExecutionResult&)> fn) = 0;

  // Stops a running execution: ExecutionAborted with the given error and cause.
  virtual Status StopExecution(const std::string& execution_arn, const std::string& error,
                               const std::string& cause) = 0;

  // Completes a `.waitForTaskToken` task. kNotFound for an unknown token,
  // kConflict when its task is no longer waiting (timed out, done, stopped),
  // kInvalidArgument for output that is not JSON.
  virtual Status SendTaskSuccess(const std::string& task_token, const std::string& output) = 0;
  virtual Status SendTaskFailure(const std::string& task_token, const std::string& error,
                                 const std::string& cause) = 0;
  virtual Status SendTaskHeartbeat(const std::string& task_token) = 0;

  // Resumes one RUNNING execution of the store that no engine is running (its
  // process died): timers keep their due times, tasks in flight are sent again.
  virtual Status Resume(const std::string& execution_arn) = 0;
  // Resumes every RUNNING execution of the store. Returns how many.
  virtual StatusOr<size_t> ResumeAll() = 0;

  // Runs the engine on a thread of its own until the engine is destroyed.
  virtual Status RunInBackground() = 0;
  // Runs `fn` on the engine thread (from any thread), as one engine turn:
  // executions it starts there commit together when it returns.
  virtual void Post(std::function<void()> fn) = 0;

  // A snapshot of the engine's figures (from any thread).
  virtual EngineMetrics metrics() const = 0;

  // The executions loaded in memory (running and not parked on a timer alone).
  virtual size_t loaded_executions() const = 0;

  virtual storage::Store& store() = 0;
};

}  // namespace stepflow::engine
