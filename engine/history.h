#pragma once

#include <string>

#include "stepflow/asl/model.h"

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

// The event type's name; kStateEntered/kStateExited take the state's type
// (kPass -> "PassStateEntered"), which the others ignore. Built once.
const std::string& EventTypeName(EventType type, asl::StateType state_type = asl::StateType::kPass);

}  // namespace stepflow::engine
