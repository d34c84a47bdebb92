#include "serve_metrics.h"

#include <cstdio>

#include "stepflow/engine/engine.h"
#include "stepflow/storage/sqlite_store.h"

namespace stepflow::server {
namespace {

// Label values escape backslash, quote and newline (exposition format 0.0.4).
std::string Label(const std::string& value) {
  std::string out;
  for (char c : value) {
    if (c == '\\' || c == '"') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string Number(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

void Header(std::string* out, const char* name, const char* type, const char* help) {
  *out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n";
}

void RenderHistogram(std::string* out, const char* name, const char* help, const engine::Histogram& h) {
  Header(out, name, "histogram", help);
  uint64_t cumulative = 0;
  for (size_t i = 0; i < h.bounds.size() && i < h.counts.size(); ++i) {
    cumulative += h.counts[i];
    *out += std::string(name) + "_bucket{le=\"" + Number(h.bounds[i]) + "\"} " + std::to_string(cumulative) + "\n";
  }
  *out += std::string(name) + "_bucket{le=\"+Inf\"} " + std::to_string(h.count) + "\n";
  *out += std::string(name) + "_sum " + Number(h.sum) + "\n";
  *out += std::string(name) + "_count " + std::to_string(h.count) + "\n";
}

}  // namespace

void ServeMetrics::ExecutionStarted(const std::string& state_machine) {
  std::lock_guard<std::mutex> lock(mu_);
  ++started_[state_machine];
}

void ServeMetrics::ExecutionFinished(const std::string& state_machine, const std::string& status) {
  std::lock_guard<std::mutex> lock(mu_);
  ++finished_[{state_machine, status}];
}

void ServeMetrics::Request(const std::string& action, const std::string& outcome) {
  std::lock_guard<std::mutex> lock(mu_);
  ++requests_[{action, outcome}];
}

std::string ServeMetrics::Render(const engine::EngineMetrics& engine, size_t loaded_executions,
                                 const storage::SqliteStats* sqlite) const {
  std::string out;
  {
    std::lock_guard<std::mutex> lock(mu_);
    Header(&out, "stepflow_executions_started_total", "counter",
           "Executions started through the API, by state machine.");
    for (const auto& [machine, n] : started_) {
      out += "stepflow_executions_started_total{state_machine=\"" + Label(machine) + "\"} " + std::to_string(n) + "\n";
    }
    Header(&out, "stepflow_executions_finished_total", "counter",
           "Executions that ended, by state machine and status (SUCCEEDED, FAILED, TIMED_OUT, ABORTED).");
    for (const auto& [key, n] : finished_) {
      out += "stepflow_executions_finished_total{state_machine=\"" + Label(key.first) + "\",status=\"" +
             Label(key.second) + "\"} " + std::to_string(n) + "\n";
    }
    Header(&out, "stepflow_api_requests_total", "counter", "API requests answered, by action and outcome.");
    for (const auto& [key, n] : requests_) {
      out += "stepflow_api_requests_total{action=\"" + Label(key.first) + "\",outcome=\"" + Label(key.second) +
             "\"} " + std::to_string(n) + "\n";
    }
  }
  Header(&out, "stepflow_engine_executions_started_total", "counter",
         "Executions the engine started (API, resumed and embedded).");
  out += "stepflow_engine_executions_started_total " + std::to_string(engine.executions_started) + "\n";
  Header(&out, "stepflow_state_transitions_total", "counter", "States entered.");
  out += "stepflow_state_transitions_total " + std::to_string(engine.state_transitions) + "\n";
  Header(&out, "stepflow_loaded_executions", "gauge", "Executions loaded in memory.");
  out += "stepflow_loaded_executions " + std::to_string(loaded_executions) + "\n";
  RenderHistogram(&out, "stepflow_task_dispatch_seconds", "Task attempt latency, request sent to outcome.",
                  engine.task_dispatch_seconds);
  RenderHistogram(&out, "stepflow_storage_commit_seconds", "Latency of one store commit of a batch of steps.",
                  engine.commit_seconds);
  RenderHistogram(&out, "stepflow_storage_commit_batch_size", "Executions' steps per store commit.",
                  engine.commit_batch_size);
  if (sqlite != nullptr) {
    Header(&out, "stepflow_sqlite_transactions_total", "counter", "Group commits of the SQLite store.");
    out += "stepflow_sqlite_transactions_total " + std::to_string(sqlite->transactions_committed) + "\n";
    // Checkpoints by the writer mean the background thread could not keep the WAL small.
    Header(&out, "stepflow_sqlite_wal_checkpoints_total", "counter", "WAL checkpoints, by the thread that ran them.");
    out += "stepflow_sqlite_wal_checkpoints_total{by=\"background\"} " +
           std::to_string(sqlite->background_checkpoints) + "\n";
    out += "stepflow_sqlite_wal_checkpoints_total{by=\"writer\"} " + std::to_string(sqlite->writer_checkpoints) +
           "\n";
  }
  return out;
}

}  // namespace stepflow::server
