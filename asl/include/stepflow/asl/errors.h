#pragma once

// The States.* error names, spelled as AWS spells them; nothing else retypes them.
namespace stepflow::asl::errors {

inline constexpr const char kAll[] = "States.ALL";
inline constexpr const char kBranchFailed[] = "States.BranchFailed";
inline constexpr const char kDataLimitExceeded[] = "States.DataLimitExceeded";
inline constexpr const char kExceedToleratedFailureThreshold[] = "States.ExceedToleratedFailureThreshold";
inline constexpr const char kHeartbeatTimeout[] = "States.HeartbeatTimeout";
inline constexpr const char kIntrinsicFailure[] = "States.IntrinsicFailure";
inline constexpr const char kItemReaderFailed[] = "States.ItemReaderFailed";
inline constexpr const char kNoChoiceMatched[] = "States.NoChoiceMatched";
inline constexpr const char kParameterPathFailure[] = "States.ParameterPathFailure";
inline constexpr const char kPermissions[] = "States.Permissions";
inline constexpr const char kQueryEvaluationError[] = "States.QueryEvaluationError";
inline constexpr const char kResultPathMatchFailure[] = "States.ResultPathMatchFailure";
inline constexpr const char kResultWriterFailed[] = "States.ResultWriterFailed";
inline constexpr const char kRuntime[] = "States.Runtime";
inline constexpr const char kTaskFailed[] = "States.TaskFailed";
inline constexpr const char kTimeout[] = "States.Timeout";

}  // namespace stepflow::asl::errors
