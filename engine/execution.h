#pragma once

#include <deque>
#include <unordered_map>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "history.h"
#include "stepflow/asl/eval.h"
#include "stepflow/asl/jsonata_template.h"
#include "stepflow/asl/model.h"
#include "stepflow/engine/engine.h"

namespace stepflow::engine {

// What an execution needs from the engine around it.
struct ExecutionHost {
  Clock* clock;
  storage::Store* store;
  const EngineOptions* options;
  std::mt19937_64* random;
  // Runs `fn` later on the engine thread (never re-entrantly).
  std::function<void(std::function<void()>)> post;
  // Wakes the engine at `at` to run `fn`.
  std::function<void(Instant, std::function<void()>)> schedule;
  // Sends a task to its resource; `done` runs on the engine thread. False when
  // nothing serves the resource.
  std::function<bool(const TaskInvocation&, std::function<void(TaskOutcome)>)> dispatch;
};

struct Frame;
using FramePtr = std::shared_ptr<Frame>;

// A thread of control: the top-level machine, one Parallel branch or one Map
// iteration. Children report back through on_done; nothing here recurses per item.
struct Frame : std::enable_shared_from_this<Frame> {
  const asl::StateMachine* machine = nullptr;
  int state_index = 0;
  asl::Value input;        // the current state's raw input
  std::string input_json;  // `input` as JSON text when already known, else empty
  std::shared_ptr<asl::VariableScope> scope;
  std::function<void(bool ok, const asl::Value& output, const asl::Failure& failure)> on_done;
  bool silent = false;  // a distributed Map's children keep no events in this history
  bool cancelled = false;
  bool done = false;
  int64_t last_event_id = 0;
  int64_t entered_event_id = 0;
  Instant entered_time = 0;
  std::vector<int64_t> retry_attempts;
  int64_t retry_count = 0;
  asl::Value map_item;  // {"Index","Value"} inside a Map iteration
  asl::Value context;   // $$ for the current state
  std::vector<FramePtr> children;
  std::shared_ptr<void> fanout;  // a running Map's bookkeeping, owned here
};

// One execution in memory: interprets the model, appends AWS-shaped history and
// writes it through the store at the end of every engine turn.
class Execution {
 public:
  Execution(ExecutionHost host, std::shared_ptr<const asl::StateMachine> machine, storage::ExecutionRecord record,
            asl::Value input, std::string state_machine_name);

  void Start();
  void Stop(const std::string& error, const std::string& cause);
  // Writes pending events (and the row when it changed) to the store.
  Status Flush();

  bool finished() const { return record_.status != storage::ExecutionStatus::kRunning; }
  const storage::ExecutionRecord& record() const { return record_; }
  const std::optional<asl::Value>& output() const { return output_; }

 private:
  enum class Flow { kContinue, kPause };

  void Step(const FramePtr& f);
  void Post(const FramePtr& f);
  void EnterState(Frame& f, const asl::State& s);
  Flow Execute(const FramePtr& f, const asl::State& s);
  Flow ExecutePass(Frame& f, const asl::State& s);
  Flow ExecuteChoice(Frame& f, const asl::State& s);
  Flow ExecuteWait(const FramePtr& f, const asl::State& s);
  Flow ExecuteSucceed(Frame& f, const asl::State& s);
  Flow ExecuteFail(Frame& f, const asl::State& s);
  Flow ExecuteTask(const FramePtr& f, const asl::State& s);
  Flow ExecuteParallel(const FramePtr& f, const asl::State& s);
  Flow ExecuteMap(const FramePtr& f, const asl::State& s);

  // Result -> ResultSelector -> ResultPath -> OutputPath -> Assign -> exit.
  Flow CompleteWithResult(Frame& f, const asl::State& s, const asl::Value& result, bool apply_selector);
  // Emits the exit event and moves to `next` (or ends the frame).
  Flow ExitState(Frame& f, const asl::State& s, asl::Value output, int next);
  // Retry, then Catch, then the frame fails.
  // `children_failed`: a branch, an iteration or an evaluation failed, which AWS
  // records as ParallelStateFailed / MapStateFailed once no retry follows.
  Flow HandleFailure(const FramePtr& f, const asl::State& s, asl::Failure failure, bool children_failed = false);
  Flow FailFrame(Frame& f, asl::Failure failure);
  Flow EndFrame(Frame& f, asl::Value output);

  bool Assign(Frame& f, const asl::PayloadTemplate& assign, const asl::Value& input, asl::Failure* failure);
  // Builds $$ for the state the frame is in (on entry, retry, or a Map item).
  void BuildContext(Frame& f);
  // Whether anything in `s` can read $$ (computed once per state).
  bool ReadsContext(const asl::State& s);
  asl::EvalEnv Env(Frame& f);
  asl::Failure StateRuntimeError(const Frame& f, const asl::State& s, const std::string& error,
                                 const std::string& detail) const;
  bool ApplyPathField(const Frame& f, const asl::PathField& field, const asl::Value& input, asl::Value* out,
                      std::string* error);
  bool ResolveNumber(Frame& f, const asl::NumberField& field, const asl::Value& input, const char* name,
                     bool integer, std::optional<double>* out, std::string* error);

  // JSONata states: `field` is a raw field of the model ("{% %}" strings inside),
  // compiled on first use and evaluated with $states (input, context, result,
  // errorOutput) and the visible variables bound.
  bool EvalJsonata(Frame& f, const asl::State& s, const asl::Value& field, const char* name, const asl::Value* result,
                   const asl::Value* error_output, asl::Value* out, asl::Failure* failure, bool wrap = true);
  bool AssignJsonata(Frame& f, const asl::State& s, const asl::Value& assign, const asl::Value* result,
                     const asl::Value* error_output, asl::Failure* failure);
  Flow ExecuteJsonata(const FramePtr& f, const asl::State& s);
  Flow CompleteJsonata(Frame& f, const asl::State& s, const asl::Value& result);
  void MergeVariables(Frame& f, const asl::Value& assigned);

  int64_t Emit(Frame* f, EventType type, const char* state_type, const char* details_key, asl::Value details);
  // `details_json` is the whole details member, e.g. {"stateEnteredEventDetails":{...}}.
  int64_t EmitJson(Frame* f, EventType type, const char* state_type, std::string details_json);
  void FinishExecution(storage::ExecutionStatus status, std::optional<asl::Value> output,
                       std::optional<std::string> error, std::optional<std::string> cause, EventType type);
  void CancelFrame(Frame& f);

  ExecutionHost host_;
  std::shared_ptr<const asl::StateMachine> machine_;
  storage::ExecutionRecord record_;
  asl::Value input_;
  asl::Value execution_context_, state_machine_context_;
  std::optional<asl::Value> output_;
  FramePtr root_;
  int64_t next_event_id_ = 1;
  int64_t flushed_event_id_ = 0;
  bool row_dirty_ = false;
  std::vector<storage::HistoryEventRecord> pending_;
  // Compiled JSONata fields, by the address of their value in the (immutable) model.
  std::unordered_map<const asl::Value*, asl::JsonataTemplate> jsonata_cache_;
  std::unordered_map<const asl::State*, bool> reads_context_;
};

}  // namespace stepflow::engine
