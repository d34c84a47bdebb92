#include "records.h"

#include <charconv>
#include <functional>
#include <mutex>
#include <unordered_set>

namespace stepflow::storage {

const char* ExecutionStatusName(ExecutionStatus status) {
  switch (status) {
    case ExecutionStatus::kRunning:
      return "RUNNING";
    case ExecutionStatus::kSucceeded:
      return "SUCCEEDED";
    case ExecutionStatus::kFailed:
      return "FAILED";
    case ExecutionStatus::kTimedOut:
      return "TIMED_OUT";
    case ExecutionStatus::kAborted:
      return "ABORTED";
  }
  return "UNKNOWN";
}

std::optional<ExecutionStatus> ParseExecutionStatus(const std::string& name) {
  for (ExecutionStatus s : {ExecutionStatus::kRunning, ExecutionStatus::kSucceeded, ExecutionStatus::kFailed,
                            ExecutionStatus::kTimedOut, ExecutionStatus::kAborted}) {
    if (name == ExecutionStatusName(s)) return s;
  }
  return std::nullopt;
}

const char* TaskTokenStatusName(TaskTokenStatus status) {
  switch (status) {
    case TaskTokenStatus::kPending:
      return "PENDING";
    case TaskTokenStatus::kSucceeded:
      return "SUCCEEDED";
    case TaskTokenStatus::kFailed:
      return "FAILED";
    case TaskTokenStatus::kTimedOut:
      return "TIMED_OUT";
    case TaskTokenStatus::kCanceled:
      return "CANCELED";
  }
  return "UNKNOWN";
}

std::optional<TaskTokenStatus> ParseTaskTokenStatus(const std::string& name) {
  for (TaskTokenStatus s : {TaskTokenStatus::kPending, TaskTokenStatus::kSucceeded, TaskTokenStatus::kFailed,
                            TaskTokenStatus::kTimedOut, TaskTokenStatus::kCanceled}) {
    if (name == TaskTokenStatusName(s)) return s;
  }
  return std::nullopt;
}

std::optional<std::string_view> InternEventType(std::string_view name) {
  constexpr size_t kMaxNames = 4096;
  // Looked up by view: every event read back passes here.
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view text) const { return std::hash<std::string_view>{}(text); }
  };
  static std::mutex mutex;
  static std::unordered_set<std::string, Hash, std::equal_to<>> names;  // nodes do not move: views stay valid
  std::lock_guard lock(mutex);
  auto it = names.find(name);
  if (it != names.end()) return *it;
  if (names.size() >= kMaxNames) return std::nullopt;
  return *names.emplace(name).first;
}

void HistoryEventRecord::AppendDetails(std::string* out) const {
  if (deferred_details != nullptr) {
    deferred_details->AppendTo(out);
  } else {
    *out += details_json;
  }
}

void HistoryEventRecord::ResolveDetails() {
  if (deferred_details == nullptr) return;
  details_json.clear();
  deferred_details->AppendTo(&details_json);
  deferred_details.reset();
}

Status ValidateAppend(const std::string& execution_arn, int64_t expected_last_event_id,
                      const std::vector<HistoryEventRecord>& events, const ExecutionRecord* update,
                      const AppendRequest* extras) {
  for (size_t i = 0; i < events.size(); ++i) {
    int64_t want = expected_last_event_id + 1 + static_cast<int64_t>(i);
    if (events[i].id != want) {
      return Status::InvalidArgument("event ids of " + execution_arn + " must be contiguous: expected id " +
                                     std::to_string(want) + ", got " + std::to_string(events[i].id));
    }
    const std::string& details = events[i].details_json;
    if (events[i].deferred_details != nullptr && !details.empty()) {
      return Status::InvalidArgument("event " + std::to_string(want) + " of " + execution_arn +
                                     " has both details text and deferred details");
    }
    if (!details.empty() && (details.front() != '{' || details.back() != '}')) {
      return Status::InvalidArgument("details of event " + std::to_string(want) + " of " + execution_arn +
                                     " are not a JSON object");
    }
  }
  if (update != nullptr && update->arn != execution_arn) {
    return Status::InvalidArgument("row update for " + update->arn + " appended to " + execution_arn);
  }
  if (extras != nullptr) {
    if (extras->checkpoint && extras->deferred_checkpoint != nullptr) {
      return Status::InvalidArgument("append to " + execution_arn + " has both a checkpoint and a deferred one");
    }
    if (extras->create && extras->create->arn != execution_arn) {
      return Status::InvalidArgument("creation of " + extras->create->arn + " appended to " + execution_arn);
    }
    if (extras->create && expected_last_event_id != 0) {
      return Status::InvalidArgument("a new execution " + execution_arn + " has no event " +
                                     std::to_string(expected_last_event_id) + " to follow");
    }
    for (const TimerRecord& t : extras->put_timers) {
      if (t.execution_arn != execution_arn) {
        return Status::InvalidArgument("timer " + t.timer_id + " of " + t.execution_arn + " appended to " +
                                       execution_arn);
      }
    }
    for (const TaskTokenRecord& t : extras->put_task_tokens) {
      if (t.execution_arn != execution_arn) {
        return Status::InvalidArgument("task token of " + t.execution_arn + " appended to " + execution_arn);
      }
    }
  }
  return Status::OK();
}

Status ConflictAt(const std::string& execution_arn, int64_t last_event_id, int64_t expected_last_event_id) {
  return Status::Conflict("history of " + execution_arn + " is at event " + std::to_string(last_event_id) + ", not " +
                          std::to_string(expected_last_event_id));
}

// Tokens carry a kind prefix so one listing's token is rejected by another.
std::string ExecutionPageToken(int64_t start_time_ns, const std::string& arn) {
  return "e1:" + std::to_string(start_time_ns) + ":" + arn;
}

Status ParseExecutionPageToken(const std::string& token, int64_t* start_time_ns, std::string* arn) {
  Status bad = Status::InvalidArgument("invalid page token for executions: " + token);
  if (token.rfind("e1:", 0) != 0) return bad;
  size_t colon = token.find(':', 3);
  if (colon == std::string::npos || colon == 3) return bad;
  const char* first = token.data() + 3;
  const char* last = token.data() + colon;
  auto [ptr, ec] = std::from_chars(first, last, *start_time_ns);
  if (ec != std::errc() || ptr != last) return bad;
  *arn = token.substr(colon + 1);
  return Status::OK();
}

std::string StateMachinePageToken(const std::string& arn) { return "m1:" + arn; }

Status ParseStateMachinePageToken(const std::string& token, std::string* arn) {
  if (token.rfind("m1:", 0) != 0) return Status::InvalidArgument("invalid page token for state machines: " + token);
  *arn = token.substr(3);
  return Status::OK();
}

}  // namespace stepflow::storage
