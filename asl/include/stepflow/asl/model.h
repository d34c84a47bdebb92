#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "stepflow/asl/diagnostic.h"
#include "stepflow/asl/intrinsics.h"
#include "stepflow/asl/path.h"
#include "stepflow/asl/payload_template.h"
#include "stepflow/asl/value.h"

namespace stepflow::asl {

// The immutable model of a definition, built once by ParseDefinition. Every path,
// template and intrinsic call in it is already parsed.

enum class QueryLanguage { kJsonPath, kJsonata };
enum class StateType { kPass, kTask, kChoice, kWait, kSucceed, kFail, kParallel, kMap };

const char* StateTypeName(StateType type);  // "Pass", "Task", ...

// InputPath / OutputPath / ResultPath: absent means `$`; JSON null means "none"
// (InputPath/OutputPath give {}, ResultPath discards the result).
struct PathField {
  enum class Kind { kDefault, kNull, kPath };
  Kind kind = Kind::kDefault;
  Path path;
};

// A number field given literally or through a reference path
// (TimeoutSeconds/TimeoutSecondsPath, MaxConcurrency/MaxConcurrencyPath, ...).
struct NumberField {
  std::optional<double> value;
  std::optional<Path> path;
  std::optional<Value> jsonata;  // "{% ... %}" in JSONata states
  bool present() const { return value || path || jsonata; }
};

struct Retrier {
  std::vector<std::string> error_equals;
  double interval_seconds = 1;
  int64_t max_attempts = 3;
  double backoff_rate = 2.0;
  std::optional<double> max_delay_seconds;
  enum class Jitter { kNone, kFull };
  Jitter jitter = Jitter::kNone;
};

struct Catcher {
  std::vector<std::string> error_equals;
  std::string next;
  int next_index = -1;
  PathField result_path;           // JSONPath states
  std::optional<PayloadTemplate> assign;  // JSONPath states
  std::optional<Value> jsonata_assign;    // JSONata states
  std::optional<Value> jsonata_output;    // JSONata states
};

struct ChoiceRule {
  enum class Op {
    kAnd, kOr, kNot,
    kStringEquals, kStringLessThan, kStringGreaterThan, kStringLessThanEquals,
    kStringGreaterThanEquals, kStringMatches,
    kNumericEquals, kNumericLessThan, kNumericGreaterThan, kNumericLessThanEquals,
    kNumericGreaterThanEquals,
    kBooleanEquals,
    kTimestampEquals, kTimestampLessThan, kTimestampGreaterThan, kTimestampLessThanEquals,
    kTimestampGreaterThanEquals,
    kIsNull, kIsPresent, kIsNumeric, kIsString, kIsBoolean, kIsTimestamp,
    kCondition,  // JSONata
  };
  Op op = Op::kAnd;
  std::optional<Path> variable;
  Value operand;                    // the literal to compare with
  std::optional<Path> operand_path; // the ...Path variant's path
  std::vector<ChoiceRule> children; // And/Or (any count), Not (one)
  std::optional<Value> condition;   // JSONata "{% ... %}"
  // Top-level rules only:
  std::string next;
  int next_index = -1;
  std::optional<PayloadTemplate> assign;
  std::optional<Value> jsonata_assign;
  std::optional<Value> jsonata_output;
};

struct StateMachine;

struct State {
  // First what every transition reads, together: a long machine's states are
  // seldom in cache, and each line read costs a miss. The engine prefetches the
  // first 320 bytes (kStateHotBytes, engine/execution.cc), through `catchers`.
  std::string name;
  StateType type = StateType::kPass;
  QueryLanguage query_language = QueryLanguage::kJsonPath;
  bool end = false;
  // Whether anything in the state can read the context object ($$), so that
  // executions build it only for the states that need it.
  bool reads_context = false;
  int next_index = -1;  // index into the owning StateMachine::states; -1 when End

  // JSONPath data flow.
  PathField input_path, output_path, result_path;
  std::optional<PayloadTemplate> parameters;       // Parameters; Map's ItemSelector
  std::optional<PayloadTemplate> result_selector;
  std::optional<PayloadTemplate> assign;
  std::optional<Value> result;                     // Pass: literal Result
  std::vector<Retrier> retry;
  std::vector<Catcher> catchers;

  std::string comment;
  std::string next;

  // JSONata data flow: the raw field values ("{% %}" strings inside).
  std::optional<Value> arguments, output, jsonata_assign;

  // Task.
  std::string resource;
  NumberField timeout_seconds, heartbeat_seconds;
  std::optional<Value> credentials;

  // Choice.
  std::vector<ChoiceRule> choices;
  std::string default_next;
  int default_index = -1;

  // Wait: exactly one of these.
  std::optional<double> seconds;
  std::optional<std::string> timestamp;
  std::optional<Path> seconds_path, timestamp_path;
  std::optional<Value> jsonata_seconds, jsonata_timestamp;

  // Fail.
  std::optional<std::string> error, cause;
  std::optional<Path> error_path, cause_path;
  // ErrorPath / CausePath given as an intrinsic call ("States.Format(...)").
  std::optional<IntrinsicCall> error_call, cause_call;
  std::optional<Value> jsonata_error, jsonata_cause;

  // Parallel.
  std::vector<std::shared_ptr<const StateMachine>> branches;

  // Map.
  std::shared_ptr<const StateMachine> item_processor;  // ItemProcessor or Iterator
  bool distributed = false;                             // ProcessorConfig.Mode DISTRIBUTED
  PathField items_path;
  std::optional<Value> jsonata_items;
  std::optional<Value> jsonata_item_selector;
  NumberField max_concurrency, tolerated_failure_count, tolerated_failure_percentage;
  std::optional<Value> item_reader, item_batcher, result_writer, label;
};

// A top-level machine, a Parallel branch or a Map item processor.
struct StateMachine {
  std::string start_at;
  int start_index = -1;
  std::vector<State> states;  // in definition order
  std::unordered_map<std::string, int> index_by_name;
  QueryLanguage query_language = QueryLanguage::kJsonPath;
  std::string comment, version;
  std::optional<int64_t> timeout_seconds;  // top level only

  const State* Find(std::string_view name) const {
    auto it = index_by_name.find(std::string(name));
    return it == index_by_name.end() ? nullptr : &states[it->second];
  }
};

struct ParseOptions {
  size_t max_definition_bytes = 1024 * 1024;  // AWS's definition size limit
};

// Parses and validates a definition. Returns the model when there is no error
// (warnings may be present); otherwise null. Every problem found is appended to
// `diagnostics`, all at once.
std::shared_ptr<const StateMachine> ParseDefinition(std::string_view text, Diagnostics* diagnostics,
                                                    const ParseOptions& options = ParseOptions());
std::shared_ptr<const StateMachine> ParseDefinition(const Value& definition, Diagnostics* diagnostics);

}  // namespace stepflow::asl
