#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "stepflow/status.h"

namespace stepflow::storage {

// Storage keeps facts, never their meaning: events are typed by name with a JSON
// details text, written by the engine. Timestamps arrive in the records; storage
// never reads a clock.

enum class ExecutionStatus { kRunning, kSucceeded, kFailed, kTimedOut, kAborted };
const char* ExecutionStatusName(ExecutionStatus status);  // "RUNNING", "SUCCEEDED", ...
// The status named `name` ("RUNNING", ...); nullopt for any other text.
std::optional<ExecutionStatus> ParseExecutionStatus(const std::string& name);

struct ExecutionRecord {
  std::string arn;
  std::string name;
  std::string state_machine_arn;
  ExecutionStatus status = ExecutionStatus::kRunning;
  std::string input;                  // JSON text
  std::optional<std::string> output;  // JSON text, when SUCCEEDED
  std::optional<std::string> error, cause;
  int64_t start_time_ns = 0;
  std::optional<int64_t> stop_time_ns;
  int64_t state_machine_revision = 0;  // the revision it runs; 0 when not recorded
};

// Writes JSON text (event details, a checkpoint) when a store needs it, on
// whichever thread it commits or reads: the engine hands over its immutable
// values rather than serialising them on its own thread, and what an in-memory
// store never gives back is never written. Must be callable from any thread.
class DeferredJson {
 public:
  virtual ~DeferredJson() = default;
  // Appends the text: one JSON object.
  virtual void AppendTo(std::string* out) const = 0;
};

// `name` as a view that lives as long as the process; one copy per distinct
// name. Nothing when a history (a hostile file) names more than 4,096 types.
std::optional<std::string_view> InternEventType(std::string_view name);

struct HistoryEventRecord {
  int64_t id = 0;  // 1-based, contiguous per execution
  int64_t previous_event_id = 0;
  int64_t timestamp_ns = 0;
  // "PassStateEntered": a view of text that lives as long as the process (a
  // literal, or InternEventType's copy), as every event has one of a few names.
  std::string_view type;
  std::string details_json;  // the "<type>EventDetails" object, or empty
  // When set, details_json is empty and this writes the details.
  std::shared_ptr<const DeferredJson> deferred_details;

  bool has_details() const { return deferred_details != nullptr || !details_json.empty(); }
  // Appends the details' text, written now if deferred.
  void AppendDetails(std::string* out) const;
  // Writes deferred details into details_json, as a reader expects them.
  void ResolveDetails();
};

// One revision of a state machine. CreateStateMachine makes revision 1,
// each UpdateStateMachine the next one; older revisions stay readable so an
// execution keeps running the revision it started with.
struct StateMachineRecord {
  std::string arn;  // arn:aws:states:REGION:ACCOUNT:stateMachine:NAME
  std::string name;
  std::string type = "STANDARD";  // "STANDARD" or "EXPRESS"
  std::string definition;         // ASL JSON text of this revision
  std::string role_arn;           // of this revision
  int64_t revision = 0;           // 1-based; assigned by the store
  int64_t creation_time_ns = 0;   // when revision 1 was created
  int64_t revision_time_ns = 0;   // when this revision was created (AWS updateDate)
  bool deleting = false;          // deleted while executions of it still run (AWS status DELETING)
};

// What a cache of parsed revisions checks before it trusts itself: a machine
// deleted and created again restarts at revision 1 with a new creation time.
struct StateMachineHead {
  int64_t latest_revision = 0;
  int64_t creation_time_ns = 0;
  bool deleting = false;
};

// A pending timer of an execution (a Wait, a retry backoff, a task timeout):
// the engine arms it again from `due_time_ns` after a restart.
struct TimerRecord {
  std::string execution_arn;
  std::string timer_id;  // unique within its execution, chosen by the engine
  int64_t due_time_ns = 0;
  std::string payload;  // the engine's text, opaque to storage
};

enum class TaskTokenStatus { kPending, kSucceeded, kFailed, kTimedOut, kCanceled };
const char* TaskTokenStatusName(TaskTokenStatus status);  // "PENDING", "SUCCEEDED", ...

// A `.waitForTaskToken` token handed out by an execution.
struct TaskTokenRecord {
  std::string token;
  std::string execution_arn;
  std::string state_name;
  int64_t scheduled_event_id = 0;  // the event that handed the token out
  TaskTokenStatus status = TaskTokenStatus::kPending;
  int64_t updated_time_ns = 0;
};

// One step of an execution, written atomically: its new events, its new row,
// and the timers and task tokens they create or settle (the transactional
// outbox: commit first, then arm timers and send tasks).
struct AppendRequest {
  // When given, the execution is created first, in the same transaction
  // (kAlreadyExists when its ARN exists): a start and its first steps commit together.
  std::optional<ExecutionRecord> create;
  std::string execution_arn;
  int64_t expected_last_event_id = 0;
  std::vector<HistoryEventRecord> events;        // ids expected_last_event_id+1, +2, ...
  std::optional<ExecutionRecord> update;         // replaces the row when given; same arn
  std::vector<TimerRecord> put_timers;           // inserted or replaced by (execution, timer_id)
  std::vector<std::string> delete_timer_ids;     // timers of this execution to drop; absent ones are ignored
  std::vector<TaskTokenRecord> put_task_tokens;  // inserted or replaced by token
  // The engine's state of the execution after this step (what a restarted
  // engine resumes from), opaque to storage; replaces the previous one when given.
  std::optional<std::string> checkpoint;
  // The same, written when the store needs it; at most one of the two is given.
  std::shared_ptr<const DeferredJson> deferred_checkpoint;
};

// One page of a listing. `next_page_token` is empty on the last page; pass it
// back unchanged to get the next one.
template <typename T>
struct Page {
  std::vector<T> items;
  std::string next_page_token;
};

struct ListExecutionsQuery {
  std::string state_machine_arn;          // empty: executions of every machine
  std::optional<ExecutionStatus> status;  // only executions with this status
  std::string page_token;                 // empty: the first page
  size_t limit = 100;                     // REQUIRES: > 0
};

// The durable records of state machines, executions and their histories,
// timers and task tokens.
// Thread-safety: implementations are safe to call from several threads.
// Errors common to every method: kIOError (disk, read-only, full), kBusy
// (another process holds the database beyond the busy timeout; retryable),
// kCorruption (the file is damaged). Such a failure leaves committed data intact.
class Store {
 public:
  virtual ~Store() = default;

  // ---- executions and history

  // kAlreadyExists when an execution with that ARN exists.
  virtual Status CreateExecution(const ExecutionRecord& record) = 0;

  // Appends `events` to an execution's history, and when `update` is given
  // replaces its row, in one atomic step. kConflict when the history's last id
  // is not `expected_last_event_id` (another writer advanced it).
  // kNotFound for an unknown execution; kInvalidArgument when the event ids do
  // not continue the history contiguously or `update` names another execution.
  virtual Status AppendEvents(const std::string& execution_arn, int64_t expected_last_event_id,
                              const std::vector<HistoryEventRecord>& events, const ExecutionRecord* update) = 0;

  // AppendEvents with the timers and task tokens of the step, all in one atomic
  // step; on any error nothing of `request` is written. Blocks until durable
  // (as the store's options define it). Same errors as AppendEvents.
  virtual Status Append(const AppendRequest& request) = 0;

  // Append without blocking: `done` runs exactly once with the outcome, after
  // the request has committed (or failed). It runs on a store thread (the
  // SqliteStore's writer thread; MemStore: the calling thread, before
  // AppendAsync returns), or on the calling thread for a request refused
  // before it is queued (kInvalidArgument). It must be quick and must not call
  // a blocking write of this store (SqliteStore answers kInternal rather than
  // deadlock); reads are fine. Requests of one caller commit in call order.
  virtual void AppendAsync(AppendRequest request, std::function<void(Status)> done) = 0;

  // AppendAsync of each request, in order, queued at once (a store that groups
  // commits takes them as one group where its batch limit allows): `done` runs
  // once, with each request's own outcome at its index, after the last has
  // committed, on the thread AppendAsync's `done` would run on.
  virtual void AppendBatchAsync(std::vector<AppendRequest> requests, std::function<void(std::vector<Status>)> done) = 0;

  virtual StatusOr<ExecutionRecord> GetExecution(const std::string& execution_arn) = 0;

  // Events with id > after_event_id in id order, at most `limit` of them.
  virtual StatusOr<std::vector<HistoryEventRecord>> GetHistory(const std::string& execution_arn, int64_t after_event_id,
                                                               size_t limit) = 0;

  // Executions newest first (start time descending, then ARN descending).
  // kInvalidArgument for a page token this store did not hand out.
  virtual StatusOr<Page<ExecutionRecord>> ListExecutions(const ListExecutionsQuery& query) = 0;

  // Every execution whose status is RUNNING, oldest start first: what a
  // restarted engine resumes.
  virtual StatusOr<std::vector<ExecutionRecord>> ListRunningExecutions() = 0;

  // ---- timers and task tokens (written through Append)

  // Timers of every execution due at or before `now_ns`, earliest first (ties
  // by execution ARN, then timer id), at most `limit`.
  virtual StatusOr<std::vector<TimerRecord>> DueTimers(int64_t now_ns, size_t limit) = 0;

  // The pending timers of one execution, earliest first; empty for an unknown one.
  virtual StatusOr<std::vector<TimerRecord>> ListTimers(const std::string& execution_arn) = 0;

  // The latest checkpoint written by Append; empty when none was. kNotFound
  // for an unknown execution.
  virtual StatusOr<std::string> GetCheckpoint(const std::string& execution_arn) = 0;

  // kNotFound for an unknown token.
  virtual StatusOr<TaskTokenRecord> GetTaskToken(const std::string& token) = 0;

  // ---- state machines

  // Stores `record` as revision 1 (its `revision` is ignored and its
  // `revision_time_ns` set to `creation_time_ns`). kAlreadyExists for a known ARN.
  virtual Status CreateStateMachine(const StateMachineRecord& record) = 0;

  // Makes a new revision from `record.definition`, `record.role_arn` and
  // `record.revision_time_ns` (other fields are kept from the machine) and
  // returns its number. kNotFound for an unknown ARN.
  virtual StatusOr<int64_t> UpdateStateMachine(const StateMachineRecord& record) = 0;

  // The latest revision. kNotFound for an unknown ARN.
  virtual StatusOr<StateMachineRecord> GetStateMachine(const std::string& arn) = 0;

  // The machine's row without a definition. kNotFound for an unknown ARN.
  virtual StatusOr<StateMachineHead> GetStateMachineHead(const std::string& arn) = 0;

  // A given revision. kNotFound for an unknown ARN or revision.
  virtual StatusOr<StateMachineRecord> GetStateMachineRevision(const std::string& arn, int64_t revision) = 0;

  // Latest revisions, ordered by ARN. REQUIRES: limit > 0.
  // kInvalidArgument for a page token this store did not hand out.
  virtual StatusOr<Page<StateMachineRecord>> ListStateMachines(const std::string& page_token, size_t limit) = 0;

  // Removes the machine and all its revisions; its executions stay. While some
  // of them still run, it is only marked `deleting` (AWS's DELETING): its
  // revisions stay readable for them, ListStateMachines skips it, its ARN
  // stays taken, and the append that ends its last running execution removes
  // it. kNotFound for an unknown ARN.
  virtual Status DeleteStateMachine(const std::string& arn) = 0;
};

// A Store in memory, for tests and `--db :memory:`.
std::unique_ptr<Store> NewMemStore();

}  // namespace stepflow::storage
