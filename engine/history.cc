#include "history.h"

namespace stepflow::engine {

namespace {

std::string NameOf(EventType type) {
  switch (type) {
    case EventType::kExecutionStarted: return "ExecutionStarted";
    case EventType::kExecutionSucceeded: return "ExecutionSucceeded";
    case EventType::kExecutionFailed: return "ExecutionFailed";
    case EventType::kExecutionAborted: return "ExecutionAborted";
    case EventType::kExecutionTimedOut: return "ExecutionTimedOut";
    case EventType::kEvaluationFailed: return "EvaluationFailed";
    case EventType::kStateEntered: return "StateEntered";
    case EventType::kStateExited: return "StateExited";
    case EventType::kParallelStateStarted: return "ParallelStateStarted";
    case EventType::kParallelStateFailed: return "ParallelStateFailed";
    case EventType::kMapStateStarted: return "MapStateStarted";
    case EventType::kMapStateSucceeded: return "MapStateSucceeded";
    case EventType::kMapStateFailed: return "MapStateFailed";
    case EventType::kMapIterationStarted: return "MapIterationStarted";
    case EventType::kMapIterationSucceeded: return "MapIterationSucceeded";
    case EventType::kMapIterationFailed: return "MapIterationFailed";
    case EventType::kMapRunStarted: return "MapRunStarted";
    case EventType::kMapRunSucceeded: return "MapRunSucceeded";
    case EventType::kMapRunFailed: return "MapRunFailed";
    case EventType::kTaskScheduled: return "TaskScheduled";
    case EventType::kTaskStarted: return "TaskStarted";
    case EventType::kTaskSubmitted: return "TaskSubmitted";
    case EventType::kTaskSucceeded: return "TaskSucceeded";
    case EventType::kTaskFailed: return "TaskFailed";
    case EventType::kTaskTimedOut: return "TaskTimedOut";
    case EventType::kLambdaFunctionScheduled: return "LambdaFunctionScheduled";
    case EventType::kLambdaFunctionStarted: return "LambdaFunctionStarted";
    case EventType::kLambdaFunctionSucceeded: return "LambdaFunctionSucceeded";
    case EventType::kLambdaFunctionFailed: return "LambdaFunctionFailed";
    case EventType::kLambdaFunctionTimedOut: return "LambdaFunctionTimedOut";
  }
  return "Unknown";
}

constexpr size_t kEventTypes = static_cast<size_t>(EventType::kLambdaFunctionTimedOut) + 1;
constexpr size_t kStateTypes = static_cast<size_t>(asl::StateType::kMap) + 1;

struct Names {
  std::string plain[kEventTypes];
  std::string entered[kStateTypes];
  std::string exited[kStateTypes];
  Names() {
    for (size_t t = 0; t < kEventTypes; ++t) plain[t] = NameOf(static_cast<EventType>(t));
    for (size_t s = 0; s < kStateTypes; ++s) {
      const char* state = asl::StateTypeName(static_cast<asl::StateType>(s));
      entered[s] = state + NameOf(EventType::kStateEntered);
      exited[s] = state + NameOf(EventType::kStateExited);
    }
  }
};
// Built at start: a function-local static would test its guard at every event.
const Names kNames;

}  // namespace

const std::string& EventTypeName(EventType type, asl::StateType state_type) {
  const auto s = static_cast<size_t>(state_type);
  if (type == EventType::kStateEntered) return kNames.entered[s];
  if (type == EventType::kStateExited) return kNames.exited[s];
  return kNames.plain[static_cast<size_t>(type)];
}

}  // namespace stepflow::engine
