#include "history.h"

namespace stepflow::engine {

std::string EventTypeName(EventType type, const char* state_type) {
  switch (type) {
    case EventType::kExecutionStarted: return "ExecutionStarted";
    case EventType::kExecutionSucceeded: return "ExecutionSucceeded";
    case EventType::kExecutionFailed: return "ExecutionFailed";
    case EventType::kExecutionAborted: return "ExecutionAborted";
    case EventType::kExecutionTimedOut: return "ExecutionTimedOut";
    case EventType::kEvaluationFailed: return "EvaluationFailed";
    case EventType::kStateEntered: return std::string(state_type) + "StateEntered";
    case EventType::kStateExited: return std::string(state_type) + "StateExited";
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

}  // namespace stepflow::engine
