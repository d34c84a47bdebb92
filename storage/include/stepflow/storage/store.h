#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "stepflow/status.h"

namespace stepflow::storage {

// Storage keeps facts, never their meaning: events are typed by name with a JSON
// details text, written by the engine. Timestamps arrive in the records; storage
// never reads a clock.

enum class ExecutionStatus { kRunning, kSucceeded, kFailed, kTimedOut, kAborted };
const char* ExecutionStatusName(ExecutionStatus status);  // "RUNNING", "SUCCEEDED", ...

struct ExecutionRecord {
  std::string arn;
  std::string name;
  std::string state_machine_arn;
  ExecutionStatus status = ExecutionStatus::kRunning;
  std::string input;   // JSON text
  std::optional<std::string> output;  // JSON text, when SUCCEEDED
  std::optional<std::string> error, cause;
  int64_t start_time_ns = 0;
  std::optional<int64_t> stop_time_ns;
};

struct HistoryEventRecord {
  int64_t id = 0;                 // 1-based, contiguous per execution
  int64_t previous_event_id = 0;
  int64_t timestamp_ns = 0;
  std::string type;               // "PassStateEntered"
  std::string details_json;       // the "<type>EventDetails" object, or empty
};

// The durable records of executions and their histories.
// Thread-safety: implementations are safe to call from several threads.
class Store {
 public:
  virtual ~Store() = default;

  // kAlreadyExists when an execution with that ARN exists.
  virtual Status CreateExecution(const ExecutionRecord& record) = 0;

  // Appends `events` to an execution's history, and when `update` is given
  // replaces its row, in one atomic step. kConflict when the history's last id
  // is not `expected_last_event_id` (another writer advanced it).
  virtual Status AppendEvents(const std::string& execution_arn, int64_t expected_last_event_id,
                              const std::vector<HistoryEventRecord>& events,
                              const ExecutionRecord* update) = 0;

  virtual StatusOr<ExecutionRecord> GetExecution(const std::string& execution_arn) = 0;

  // Events with id > after_event_id in id order, at most `limit` of them.
  virtual StatusOr<std::vector<HistoryEventRecord>> GetHistory(const std::string& execution_arn,
                                                               int64_t after_event_id, size_t limit) = 0;
};

// A Store in memory, for tests and `--db :memory:`.
std::unique_ptr<Store> NewMemStore();

}  // namespace stepflow::storage
