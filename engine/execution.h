#pragma once

#include <deque>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "history.h"
#include "stepflow/asl/eval.h"
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
  Flow HandleFailure(const FramePtr& f, const asl::State& s, asl::Failure failure);
  Flow FailFrame(Frame& f, asl::Failure failure);
  Flow EndFrame(Frame& f, asl::Value output);

  bool Assign(Frame& f, const asl::PayloadTemplate& assign, const asl::Value& input, asl::Failure* failure);
  asl::EvalEnv Env(Frame& f);
  asl::Failure StateRuntimeError(const Frame& f, const asl::State& s, const std::string& error,
                                 const std::string& detail) const;
  bool ApplyPathField(const Frame& f, const asl::PathField& field, const asl::Value& input, asl::Value* out,
                      std::string* error);
  bool ResolveNumber(Frame& f, const asl::NumberField& field, const asl::Value& input, const char* name,
                     bool integer, std::optional<double>* out, std::string* error);

  int64_t Emit(Frame* f, EventType type, const char* state_type, const char* details_key, asl::Value details);
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
};

}  // namespace stepflow::engine
