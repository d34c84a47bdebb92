#pragma once

// Rules shared by every Store implementation, so MemStore and SqliteStore
// accept, reject and page exactly alike.

#include <cstdint>
#include <string>
#include <vector>

#include "stepflow/storage/store.h"

namespace stepflow::storage {

std::optional<TaskTokenStatus> ParseTaskTokenStatus(const std::string& name);

// kInvalidArgument unless `events` continue a history ending at
// `expected_last_event_id` with contiguous ids, `update` (if any) is the row of
// `execution_arn`, and each timer and task token belongs to `execution_arn`.
Status ValidateAppend(const std::string& execution_arn, int64_t expected_last_event_id,
                      const std::vector<HistoryEventRecord>& events, const ExecutionRecord* update,
                      const AppendRequest* extras);

Status ConflictAt(const std::string& execution_arn, int64_t last_event_id, int64_t expected_last_event_id);

// Page tokens. An execution listing resumes after (start_time_ns, arn) in
// newest-first order; a state machine listing after an ARN.
std::string ExecutionPageToken(int64_t start_time_ns, const std::string& arn);
Status ParseExecutionPageToken(const std::string& token, int64_t* start_time_ns, std::string* arn);
std::string StateMachinePageToken(const std::string& arn);
Status ParseStateMachinePageToken(const std::string& token, std::string* arn);

}  // namespace stepflow::storage
