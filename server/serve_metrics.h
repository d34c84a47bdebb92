#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <utility>

namespace stepflow::engine {
struct EngineMetrics;
}
namespace stepflow::storage {
struct SqliteStats;
}

namespace stepflow::server {

// The server's own counters, rendered with the engine's figures in the
// Prometheus text format. Thread-safe.
class ServeMetrics {
 public:
  void ExecutionStarted(const std::string& state_machine);
  // `status` as AWS names it: SUCCEEDED, FAILED, TIMED_OUT, ABORTED.
  void ExecutionFinished(const std::string& state_machine, const std::string& status);
  // One answered API request; `outcome` is "ok" or the error's __type.
  void Request(const std::string& action, const std::string& outcome);

  // The exposition text (version 0.0.4) of these counters, `engine` and,
  // when the store is SQLite, `sqlite`.
  std::string Render(const engine::EngineMetrics& engine, size_t loaded_executions,
                     const storage::SqliteStats* sqlite) const;

 private:
  mutable std::mutex mu_;
  std::map<std::string, uint64_t> started_;                              // guarded by mu_; by machine
  std::map<std::pair<std::string, std::string>, uint64_t> finished_;     // guarded by mu_; (machine, status)
  std::map<std::pair<std::string, std::string>, uint64_t> requests_;     // guarded by mu_; (action, outcome)
};

}  // namespace stepflow::server
