#pragma once

// Helpers for the storage tests: temp directories and record builders.

#include <stdlib.h>

#include <filesystem>
#include <string>
#include <vector>

#include "stepflow/storage/store.h"

namespace stepflow::storage::testing {

// A fresh directory under $TMPDIR (or /tmp), removed with its contents.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "stepflow-storage-XXXXXX").string();
    char* made = mkdtemp(pattern.data());
    if (made != nullptr) path_ = made;
  }
  ~TempDir() {
    std::error_code ec;  // best effort: a leftover temp dir is not a test failure
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  std::string File(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

inline std::string MachineArn(const std::string& name) {
  return "arn:aws:states:us-east-1:123456789012:stateMachine:" + name;
}

inline std::string ExecutionArn(const std::string& machine, const std::string& name) {
  return "arn:aws:states:us-east-1:123456789012:execution:" + machine + ":" + name;
}

inline ExecutionRecord MakeExecution(const std::string& machine, const std::string& name, int64_t start_ns = 1000,
                                     std::string input = R"({"x":1})") {
  ExecutionRecord r;
  r.arn = ExecutionArn(machine, name);
  r.name = name;
  r.state_machine_arn = MachineArn(machine);
  r.state_machine_revision = 1;
  r.input = std::move(input);
  r.start_time_ns = start_ns;
  return r;
}

// Events with ids first, first+1, ..., each a "PassStateEntered" with a small details object.
inline std::vector<HistoryEventRecord> MakeEvents(int64_t first, int count, int64_t time_ns = 5000) {
  std::vector<HistoryEventRecord> events;
  for (int i = 0; i < count; ++i) {
    HistoryEventRecord e;
    e.id = first + i;
    e.previous_event_id = e.id - 1;
    e.timestamp_ns = time_ns + e.id;
    e.type = "PassStateEntered";
    e.details_json = R"({"name":"S)" + std::to_string(e.id) + R"(","input":"{}"})";
    events.push_back(std::move(e));
  }
  return events;
}

}  // namespace stepflow::storage::testing
