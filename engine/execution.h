#pragma once

#include <atomic>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "history.h"
#include "stepflow/asl/eval.h"
#include "stepflow/asl/jsonata_template.h"
#include "stepflow/asl/model.h"
#include "stepflow/engine/engine.h"

namespace stepflow::engine {

class Execution;

// Whether `resource` ends in ".waitForTaskToken" (a callback task).
bool IsWaitForTaskToken(std::string_view resource);
// The resource a callback task sends its request to: without that suffix.
std::string_view TaskResource(std::string_view resource);

// What an execution needs from the engine around it.
struct ExecutionHost {
  Clock* clock;
  // The time to stamp an event with: the clock's, read afresh every few events
  // at most (a reading costs ~25 ns here, and a task emits five events).
  std::function<Instant()> event_time;
  const EngineOptions* options;
  std::mt19937_64* random;
  // Runs `fn` later on the engine thread (never re-entrantly).
  std::function<void(std::function<void()>)> post;
  // Wakes the engine at `at` to run `fn`.
  std::function<void(Instant, std::function<void()>)> schedule;
  // Whether anything serves a task resource.
  std::function<bool(const std::string&)> serves;
  // Sends a task to its resource; `done` runs on the engine thread.
  std::function<void(const TaskInvocation&, std::function<void(TaskOutcome)>)> dispatch;
  // A fresh task token.
  std::function<std::string()> new_token;
  // The execution has something new to commit.
  std::function<void(Execution*)> mark_dirty;
};

// What the executions of one model work out once and share. Safe without a
// lock: the model is immutable and executions run on the engine thread only.
struct ModelCache {
  // Compiled JSONata fields, by the address of their value in the model.
  std::unordered_map<const asl::Value*, asl::JsonataTemplate> jsonata;
  // A Task state's resourceType and resource, as its events give them.
  std::unordered_map<const asl::State*, std::pair<asl::Value, asl::Value>> task_resource;
};

struct Frame;
using FramePtr = std::shared_ptr<Frame>;

// A payload's JSON text as it reads inside a JSON string, written once, when
// first asked for (by a store, on any thread): a state's exited event and the
// next state's entered event share it.
class QuotedPayload {
 public:
  explicit QuotedPayload(asl::Value payload) : payload_(std::move(payload)) {}
  const std::string& Text() const;

 private:
  // Not std::call_once: glibc's ends every first call with a futex wake-up
  // system call, two per task on the SQLite writer's thread.
  enum State : uint8_t { kUnwritten, kWriting, kWritten };
  mutable asl::Value payload_;  // released once written
  mutable std::atomic<uint8_t> state_{kUnwritten};
  mutable std::string text_;
};

// Where a frame stands: what a checkpoint records so that a restarted engine
// can pick it up.
enum class Phase : uint8_t {
  kReady,     // about to enter state_index
  kWait,      // in a Wait until `due`
  kRetry,     // waiting to retry its state at `due`
  kTask,      // a task attempt is out
  kParallel,  // its branches run
  kMap,       // its iterations run
};

// A task attempt in flight.
struct TaskWait {
  asl::Value parameters;
  // `parameters` as its scheduled event shows them, written once for that
  // event and the checkpoints; null for a task loaded from a checkpoint.
  std::shared_ptr<const QuotedPayload> parameters_text;
  bool lambda = false;
  Instant timeout_due = 0;  // 0: none
  int64_t heartbeat_seconds = 0;
  Instant heartbeat_due = 0;
  std::string token;       // `.waitForTaskToken`: the token it waits for
  bool delivered = false;  // the request carrying the token was answered
  bool settled = false;    // result, failure, timeout or cancellation came
};

struct Join;
struct Fanout;
class StateVisit;

// A thread of control: the top-level machine, one Parallel branch or one Map
// iteration. Children report back through on_done; nothing here recurses per item.
struct Frame : std::enable_shared_from_this<Frame> {
  const asl::StateMachine* machine = nullptr;
  int state_index = 0;
  asl::Value input;        // the current state's raw input
  std::shared_ptr<const QuotedPayload> input_text;  // `input` for its entered event, when known
  std::shared_ptr<StateVisit> visit;                // the current state's entered and exited events
  std::shared_ptr<asl::VariableScope> scope;
  std::function<void(bool ok, const asl::Value& output, const asl::Failure& failure)> on_done;
  bool silent = false;  // a distributed Map's children keep no events in this history
  bool cancelled = false;
  bool done = false;
  int64_t last_event_id = 0;
  int64_t entered_event_id = 0;
  Instant entered_time = 0;
  // The clock's reading at the exit just made, which the next state's entered
  // event takes when it follows at once (a reading costs ~35 ns here); 0 when none.
  Instant exited_at = 0;
  std::vector<int64_t> retry_attempts;
  int64_t retry_count = 0;
  asl::Value map_item;  // {"Index","Value"} inside a Map iteration
  asl::Value context;   // $$ for the current state
  size_t child_index = 0;  // the branch or item index under its parent
  Phase phase = Phase::kReady;
  Instant due = 0;          // kWait, kRetry
  asl::Value wait_output;   // kWait
  std::shared_ptr<TaskWait> task;  // kTask
  std::vector<FramePtr> children;
  std::shared_ptr<Join> join;      // kParallel
  std::shared_ptr<Fanout> fanout;  // kMap
};

struct Join {
  std::vector<asl::Value> results;
  std::vector<bool> finished;
  size_t remaining = 0;
  bool failed = false;
};

struct Fanout {
  asl::Value items, effective;
  std::vector<asl::Value> results;
  size_t next = 0, running = 0, finished = 0, failed = 0;
  size_t limit = 0;  // 0 = unbounded
  std::optional<double> tolerated_count, tolerated_percentage;
  bool over = false;
  std::function<void()> launch;
  std::function<void(const asl::Failure*)> finish;
};

// One execution in memory: interprets the model and appends AWS-shaped history;
// TakeCommit hands the engine what to write at the end of each engine turn,
// with the effects (task dispatches) to release once that is durable.
class Execution {
 public:
  // `cache` belongs to `machine` and is shared by all its executions.
  Execution(ExecutionHost host, std::shared_ptr<const asl::StateMachine> machine, std::shared_ptr<ModelCache> cache,
            storage::ExecutionRecord record, asl::Value input, std::string state_machine_name);
  ~Execution();

  void Start();
  // Picks up from a checkpoint written by TakeCommit (empty: not started yet).
  Status Resume(const std::string& checkpoint);
  void Stop(const std::string& error, const std::string& cause);

  // Settles the `.waitForTaskToken` task waiting for `token`. kConflict when it
  // is no longer waiting.
  Status CompleteTask(const std::string& token, TaskOutcome outcome);
  Status Heartbeat(const std::string& token);

  struct Commit {
    storage::AppendRequest request;
    std::vector<std::function<void()>> effects;  // run once `request` is durable
  };
  // What changed since the last call; nullopt when nothing did.
  std::optional<Commit> TakeCommit();

  bool finished() const { return record_.status != storage::ExecutionStatus::kRunning || abandoned_; }
  // Stops running it without a trace: its commit was refused (another engine
  // owns it). Effects not yet released are dropped.
  void Abandon() {
    abandoned_ = true;
    effects_.clear();
  }
  bool abandoned() const { return abandoned_; }
  // Waiting on timers or a task token only: nothing would be lost by unloading it.
  bool parked() const { return active_ == 0 && !finished(); }
  // Created by a start whose first steps are still queued: its first commit waits
  // for them, so a start costs one write, not two.
  bool starting() const { return create_pending && queued_ > 0; }
  // The earliest timer it waits for (0: none), to wake it once unloaded.
  Instant next_due() const;
  const storage::ExecutionRecord& record() const { return record_; }
  const std::optional<asl::Value>& output() const { return output_; }
  uint64_t transitions() const { return transitions_; }
  bool dirty = false;            // queued for the engine's next commit
  bool create_pending = false;   // its first commit creates it in the store
  int commits_in_flight = 0;     // taken commits the store has not confirmed
  uint64_t reported_transitions = 0;

 private:
  enum class Flow { kContinue, kPause };

  void Step(const FramePtr& f);
  void Post(const FramePtr& f);
  // host_.post / host_.schedule for this execution: nothing runs once it is gone.
  void Later(std::function<void()> fn);
  void At(Instant due, std::function<void()> fn);
  void MarkDirty();
  void EnterState(Frame& f, const asl::State& s);
  Flow Execute(const FramePtr& f, const asl::State& s);
  Flow ExecutePass(Frame& f, const asl::State& s);
  Flow ExecuteChoice(Frame& f, const asl::State& s);
  Flow ExecuteWait(const FramePtr& f, const asl::State& s);
  Flow PauseInWait(const FramePtr& f, const asl::State& s, Instant due, asl::Value output);
  void ArmWait(const FramePtr& f);
  Flow ExecuteSucceed(Frame& f, const asl::State& s);
  Flow ExecuteFail(Frame& f, const asl::State& s);
  Flow ExecuteTask(const FramePtr& f, const asl::State& s);
  void SendTask(const FramePtr& f);
  void ArmTaskTimers(const FramePtr& f);
  void SettleTask(const FramePtr& f, TaskOutcome outcome);
  void OnTaskResponse(const FramePtr& f, const std::shared_ptr<TaskWait>& attempt, TaskOutcome outcome);
  Flow ExecuteParallel(const FramePtr& f, const asl::State& s);
  void WatchBranch(const FramePtr& f, const FramePtr& child);
  Flow ExecuteMap(const FramePtr& f, const asl::State& s);
  void WireFanout(const FramePtr& f);
  void WatchIteration(const FramePtr& f, const FramePtr& child);
  void ScheduleRetry(const FramePtr& f);

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
  // The role an execution runs as, as AWS names it in its context and history.
  std::string RoleArn() const;
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

  int64_t Emit(Frame* f, EventType type, const char* details_key, asl::Value details);
  int64_t Emit(Frame* f, EventType type, std::shared_ptr<const storage::DeferredJson> details);
  // `details` writes the whole details member, e.g. {"stateEnteredEventDetails":{...}};
  // `at` is the event's time.
  int64_t EmitEvent(Frame* f, EventType type, asl::StateType state_type,
                    std::shared_ptr<const storage::DeferredJson> details, Instant at);
  void FinishExecution(storage::ExecutionStatus status, std::optional<asl::Value> output,
                       std::optional<std::string> error, std::optional<std::string> cause, EventType type);
  void CancelFrame(Frame& f);
  void ArmExecutionTimeout();
  void WatchRoot();

  // Checkpoints (checkpoint.cc).
  // What Resume reads back: written as JSON when the store asks.
  std::shared_ptr<const storage::DeferredJson> Checkpoint() const;
  StatusOr<FramePtr> LoadFrame(const asl::Value& v, const asl::StateMachine* machine, Frame* parent);
  // Re-arms what a loaded frame was waiting for.
  void ResumeFrame(const FramePtr& f);
  Frame* FindTokenFrame(const Frame& f, const std::string& token);

  ExecutionHost host_;
  std::shared_ptr<const asl::StateMachine> machine_;
  std::shared_ptr<ModelCache> cache_;
  storage::ExecutionRecord record_;
  asl::Value input_;
  std::string state_machine_name_;
  asl::Value execution_context_, state_machine_context_;  // null until a state reads $$
  std::optional<asl::Value> output_;
  FramePtr root_;
  Instant timeout_due_ = 0;
  int64_t next_event_id_ = 1;
  int64_t flushed_event_id_ = 0;
  bool row_dirty_ = false;
  bool state_dirty_ = false;  // the checkpoint changed
  bool abandoned_ = false;
  size_t active_ = 0;         // posted steps and tasks in flight
  size_t queued_ = 0;         // posted steps not yet run
  uint64_t transitions_ = 0;
  std::shared_ptr<char> alive_ = std::make_shared<char>();
  std::vector<storage::HistoryEventRecord> pending_;
  size_t events_per_commit_ = 0;  // in the last commit, to size the next one's vector
  std::vector<storage::TaskTokenRecord> pending_tokens_;
  std::vector<std::function<void()>> effects_;
  std::unordered_map<uint64_t, std::function<void()>> timers_;  // armed, by key
  uint64_t next_timer_id_ = 0;
};

}  // namespace stepflow::engine
