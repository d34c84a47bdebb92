#include <map>
#include <mutex>

#include "stepflow/storage/store.h"

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

namespace {

class MemStore : public Store {
 public:
  Status CreateExecution(const ExecutionRecord& record) override {
    std::lock_guard<std::mutex> lock(mu_);
    auto [it, inserted] = executions_.try_emplace(record.arn);
    if (!inserted) return Status::AlreadyExists("execution", record.arn);
    it->second.record = record;
    return Status::OK();
  }

  Status AppendEvents(const std::string& execution_arn, int64_t expected_last_event_id,
                      const std::vector<HistoryEventRecord>& events, const ExecutionRecord* update) override {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = executions_.find(execution_arn);
    if (it == executions_.end()) return Status::NotFound("execution", execution_arn);
    Entry& entry = it->second;
    int64_t last = entry.events.empty() ? 0 : entry.events.back().id;
    if (last != expected_last_event_id) {
      return Status::Conflict("history of " + execution_arn + " is at event " + std::to_string(last) +
                              ", not " + std::to_string(expected_last_event_id));
    }
    entry.events.insert(entry.events.end(), events.begin(), events.end());
    if (update != nullptr) entry.record = *update;
    return Status::OK();
  }

  StatusOr<ExecutionRecord> GetExecution(const std::string& execution_arn) override {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = executions_.find(execution_arn);
    if (it == executions_.end()) return Status::NotFound("execution", execution_arn);
    return it->second.record;
  }

  StatusOr<std::vector<HistoryEventRecord>> GetHistory(const std::string& execution_arn, int64_t after_event_id,
                                                       size_t limit) override {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = executions_.find(execution_arn);
    if (it == executions_.end()) return Status::NotFound("execution", execution_arn);
    std::vector<HistoryEventRecord> out;
    for (const HistoryEventRecord& e : it->second.events) {
      if (e.id <= after_event_id) continue;
      if (out.size() >= limit) break;
      out.push_back(e);
    }
    return out;
  }

 private:
  struct Entry {
    ExecutionRecord record;
    std::vector<HistoryEventRecord> events;
  };
  std::mutex mu_;  // guards executions_
  std::map<std::string, Entry> executions_;
};

}  // namespace

std::unique_ptr<Store> NewMemStore() { return std::make_unique<MemStore>(); }

}  // namespace stepflow::storage
