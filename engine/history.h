#pragma once

#include <string>

namespace stepflow::engine {

// AWS's history event types, as GetExecutionHistory names them.
enum class EventType {
  kExecutionStarted,
  kExecutionSucceeded,
  kExecutionFailed,
  kExecutionAborted,
  kExecutionTimedOut,
  kEvaluationFailed,
  kStateEntered,  // "<Type>StateEntered"
  kStateExited,   // "<Type>StateExited"
  kParallelStateStarted,
  kParallelStateFailed,
  kMapStateStarted,
  kMapStateSucceeded,
  kMapStateFailed,
  kMapIterationStarted,
  kMapIterationSucceeded,
  kMapIterationFailed,
  kMapRunStarted,
  kMapRunSucceeded,
  kMapRunFailed,
  kTaskScheduled,
  kTaskStarted,
  kTaskSubmitted,
  kTaskSucceeded,
  kTaskFailed,
  kTaskTimedOut,
  kLambdaFunctionScheduled,
  kLambdaFunctionStarted,
  kLambdaFunctionSucceeded,
  kLambdaFunctionFailed,
  kLambdaFunctionTimedOut,
};

// The event type's name; kStateEntered/kStateExited take the state type name
// ("Pass" -> "PassStateEntered").
std::string EventTypeName(EventType type, const char* state_type = "");

}  // namespace stepflow::engine
