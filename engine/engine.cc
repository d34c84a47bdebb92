#include "stepflow/engine/engine.h"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <future>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <thread>
#include <unordered_map>

#include "dispatch/http_client.h"
#include "dispatch/http_task.h"
#include "dispatch/lambda.h"
#include "execution.h"
#include "stepflow/asl/json.h"
#include "stepflow/asl/model.h"

namespace stepflow::engine {
namespace {

using WorkGuard = boost::asio::executor_work_guard<boost::asio::io_context::executor_type>;

// The system clock; timers run on the engine's io_context.
class SystemClock : public Clock {
 public:
  explicit SystemClock(boost::asio::io_context& io) : io_(io) {}
  Instant Now() override {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
  void ScheduleAt(Instant at, std::function<void()> fn) override {
    auto timer = std::make_shared<boost::asio::steady_timer>(io_);
    timer->expires_after(std::chrono::nanoseconds(std::max<Instant>(0, at - Now())));
    timer->async_wait([timer, fn = std::move(fn)](const boost::system::error_code& ec) {
      if (!ec) fn();
    });
  }

 private:
  boost::asio::io_context& io_;
};

// A version 7 UUID (RFC 9562): milliseconds since the epoch, then random
// bits. Names made in time order keep the store's ARN index appending at its
// end instead of dirtying a random page per execution.
std::string NewUuid(std::mt19937_64& rng, Instant now) {
  uint64_t millis = static_cast<uint64_t>(now / 1000000) & 0xffffffffffffULL;
  uint64_t a = (millis << 16) | 0x7000ULL | (rng() & 0x0fffULL);
  uint64_t b = (rng() & 0x3fffffffffffffffULL) | 0x8000000000000000ULL;
  char buf[40];
  std::snprintf(buf, sizeof buf, "%08x-%04x-%04x-%04x-%012llx", static_cast<unsigned>(a >> 32),
                static_cast<unsigned>((a >> 16) & 0xffff), static_cast<unsigned>(a & 0xffff),
                static_cast<unsigned>(b >> 48), static_cast<unsigned long long>(b & 0xffffffffffffULL));
  return buf;
}

Histogram NewHistogram(std::vector<double> bounds) {
  Histogram h;
  h.counts.assign(bounds.size() + 1, 0);
  h.bounds = std::move(bounds);
  return h;
}

void Observe(Histogram& h, double value) {
  size_t i = std::lower_bound(h.bounds.begin(), h.bounds.end(), value) - h.bounds.begin();
  ++h.counts[i];
  h.sum += value;
  ++h.count;
}

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// `output`, the execution's own value when it is at hand, spares parsing the record's text.
ExecutionResult ResultOf(const storage::ExecutionRecord& record, const std::optional<asl::Value>& output = {}) {
  ExecutionResult result;
  result.status = record.status;
  if (output) {
    result.output = output;
  } else if (record.output) {
    asl::Value output;
    asl::JsonError error;
    if (asl::ParseJson(*record.output, &output, &error)) result.output = std::move(output);
  }
  result.error = record.error;
  result.cause = record.cause;
  return result;
}

class EngineImpl : public Engine {
 public:
  explicit EngineImpl(EngineOptions options) : options_(std::move(options)) {
    if (options_.clock == nullptr) {
      system_clock_ = std::make_unique<SystemClock>(io_);
      options_.clock = system_clock_.get();
    } else {
      manual_clock_ = dynamic_cast<ManualClock*>(options_.clock);
    }
    if (options_.store == nullptr) {
      owned_store_ = storage::NewMemStore();
      options_.store = owned_store_.get();
    }
    store_ = options_.store;
    random_.seed(options_.random_seed != 0 ? options_.random_seed : std::random_device()());
    http_ = std::make_unique<HttpClient>(io_, options_.limits.max_payload_bytes);
    lambda_ = std::make_unique<LambdaInvoker>(http_.get(), options_.lambda_endpoint, options_.function_endpoints,
                                              options_.limits.max_payload_bytes);
    http_task_ = std::make_unique<HttpTaskInvoker>(http_.get(), options_.http_connections,
                                                   options_.limits.max_payload_bytes);
    metrics_.task_dispatch_seconds = NewHistogram({0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30});
    metrics_.commit_seconds = NewHistogram({0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 1});
    metrics_.commit_batch_size = NewHistogram({1, 2, 5, 10, 50, 100, 500, 1000});
  }

  Status Init() { return options_.ca_file.empty() ? Status::OK() : http_->TrustCaFile(options_.ca_file); }

  ~EngineImpl() override {
    if (background_.joinable()) {
      boost::asio::post(io_, [this] { background_guard_.reset(); });
      io_.stop();
      background_.join();
    }
    // Commits still being written call back into this engine: wait for them.
    std::unique_lock<std::mutex> lock(appends_mu_);
    appends_cv_.wait(lock, [this] { return batches_outstanding_ == 0; });
  }

  StatusOr<std::string> RegisterStateMachine(const std::string& name, const std::string& definition) override {
    asl::Diagnostics diagnostics;
    std::shared_ptr<const asl::StateMachine> parsed = asl::ParseDefinition(definition, &diagnostics);
    if (!parsed) {
      std::string message = "invalid definition for state machine " + name + ":";
      for (const asl::Diagnostic& d : diagnostics) {
        if (d.severity != asl::Diagnostic::Severity::kError) continue;
        message += "\n" + d.code + " at " + (d.location.empty() ? "/" : d.location) + ": " + d.message;
      }
      return Status::InvalidArgument(message);
    }
    std::string arn = ArnPrefix() + "stateMachine:" + name;
    // The first start of this revision then finds it parsed.
    auto version_arn = [this, &arn, &parsed](int64_t created, int64_t revision) {
      RememberMachine(MachineKey(arn, created, revision), parsed);
      return arn + ":" + std::to_string(revision);
    };
    for (int attempt = 0; attempt < 2; ++attempt) {
      StatusOr<storage::StateMachineRecord> existing = store_->GetStateMachine(arn);
      if (existing.ok()) {
        if (existing->definition == definition) return version_arn(existing->creation_time_ns, existing->revision);
        storage::StateMachineRecord update = *existing;
        update.definition = definition;
        update.revision_time_ns = options_.clock->Now();
        StatusOr<int64_t> revision = store_->UpdateStateMachine(update);
        if (!revision.ok()) return revision.status();
        return version_arn(existing->creation_time_ns, *revision);
      }
      if (!existing.status().IsNotFound()) return existing.status();
      storage::StateMachineRecord record;
      record.arn = arn;
      record.name = name;
      record.definition = definition;
      record.role_arn = "arn:aws:iam::" + options_.account_id + ":role/stepflow";
      record.creation_time_ns = options_.clock->Now();
      Status created = store_->CreateStateMachine(record);
      if (created.ok()) return version_arn(record.creation_time_ns, 1);
      if (!created.IsAlreadyExists()) return created;  // else another process created it: update it
    }
    return Status::Conflict("state machine " + arn + " keeps changing under this engine");
  }

  StatusOr<StartResult> StartExecution(const StartRequest& request) override {
    // On the engine thread inside its own work (a listener, a handler): the
    // start commits with the turn it is in.
    // The background engine thread must never wait for its own commit.
    if (!InBackground() && (handling_ > 0 || background_.joinable())) return DoStart(request, nullptr);
    if (!InBackground()) {
      std::optional<Status> durable;
      StatusOr<StartResult> result = DoStart(request, [&durable](Status s) { durable = s; });
      if (!result.ok() || !started_new_) return result;
      while (!durable) {
        io_.restart();
        if (io_.run_one() == 0) return Status::Internal("the start of " + result->execution_arn + " never committed");
      }
      if (!durable->ok()) return *durable;
      return result;
    }
    // From another thread: answer once the start is durable.
    auto promise = std::make_shared<std::promise<StatusOr<StartResult>>>();
    std::future<StatusOr<StartResult>> future = promise->get_future();
    boost::asio::post(io_, [this, &request, promise] {
      auto result = std::make_shared<StatusOr<StartResult>>(Status::Internal("unset"));
      *result = DoStart(request, [promise, result](Status committed) {
        promise->set_value(committed.ok() ? *result : StatusOr<StartResult>(committed));
      });
      if (!result->ok() || !started_new_) promise->set_value(*result);
    });
    return future.get();
  }

  StatusOr<ExecutionResult> AwaitExecution(const std::string& execution_arn) override {
    if (InBackground()) {
      auto promise = std::make_shared<std::promise<StatusOr<ExecutionResult>>>();
      std::future<StatusOr<ExecutionResult>> future = promise->get_future();
      boost::asio::post(io_, [this, execution_arn, promise] {
        Status s = WhenFinished(execution_arn, [promise](StatusOr<ExecutionResult> r) { promise->set_value(r); });
        if (!s.ok()) promise->set_value(s);
      });
      return future.get();
    }
    std::optional<StatusOr<ExecutionResult>> result;
    Status s = WhenFinished(execution_arn, [&result](StatusOr<ExecutionResult> r) { result = std::move(r); });
    if (!s.ok()) return s;
    while (!result) {
      if (!fatal_.ok()) return fatal_;
      io_.restart();
      if (io_.poll_one() > 0) continue;
      if (manual_clock_ != nullptr && in_flight_ == 0 && appends_in_flight_ == 0) {
        if (!manual_clock_->AdvanceToNextTimer()) {
          return Status::Internal("execution " + execution_arn + " is waiting with nothing scheduled");
        }
        continue;
      }
      io_.restart();
      if (io_.run_one() == 0) {
        return Status::Internal("execution " + execution_arn + " is waiting with nothing scheduled");
      }
    }
    return *result;
  }

  void OnExecutionFinished(std::function<void(const std::string&, const ExecutionResult&)> fn) override {
    OnEngine<int>([&] {
      listeners_.push_back(std::move(fn));
      return 0;
    });
  }

  Status StopExecution(const std::string& execution_arn, const std::string& error,
                       const std::string& cause) override {
    return OnEngine<Status>([&]() -> Status {
      StatusOr<Execution*> execution = Load(execution_arn);
      if (!execution.ok()) return execution.status();
      (*execution)->Stop(error, cause);
      return Status::OK();
    });
  }

  Status SendTaskSuccess(const std::string& task_token, const std::string& output) override {
    asl::Value value;
    asl::JsonError error;
    if (!asl::ParseJson(output, &value, &error)) {
      return Status::InvalidArgument("the task output is not valid JSON (line " + std::to_string(error.line) +
                                     ", column " + std::to_string(error.column) + "): " + error.message);
    }
    return OnToken(task_token, [&](Execution& e) { return e.CompleteTask(task_token, TaskOutcome{true, value, {}}); });
  }

  Status SendTaskFailure(const std::string& task_token, const std::string& error,
                         const std::string& cause) override {
    return OnToken(task_token, [&](Execution& e) {
      return e.CompleteTask(task_token, TaskOutcome{false, asl::Value(), asl::Failure{error, cause}});
    });
  }

  Status SendTaskHeartbeat(const std::string& task_token) override {
    return OnToken(task_token, [&](Execution& e) { return e.Heartbeat(task_token); });
  }

  Status Resume(const std::string& execution_arn) override {
    return OnEngine<Status>([&]() -> Status {
      StatusOr<Execution*> execution = Load(execution_arn);
      return execution.ok() ? Status::OK() : execution.status();
    });
  }

  StatusOr<size_t> ResumeAll() override {
    return OnEngine<StatusOr<size_t>>([&]() -> StatusOr<size_t> {
      StatusOr<std::vector<storage::ExecutionRecord>> running = store_->ListRunningExecutions();
      if (!running.ok()) return running.status();
      for (const storage::ExecutionRecord& record : *running) {
        StatusOr<Execution*> execution = Load(record.arn);
        if (!execution.ok()) return execution.status();
      }
      return running->size();
    });
  }

  Status RunInBackground() override {
    if (background_.joinable()) return Status::OK();
    background_guard_.emplace(io_.get_executor());
    std::promise<void> started;
    background_ = std::thread([this, &started] {
      engine_thread_ = std::this_thread::get_id();
      started.set_value();
      io_.restart();
      io_.run();
    });
    started.get_future().wait();
    return Status::OK();
  }

  // As a turn of its own: what `fn` starts commits with that turn.
  void Post(std::function<void()> fn) override {
    boost::asio::post(io_, [this, fn = std::move(fn)]() mutable { Enqueue(std::move(fn)); });
  }

  EngineMetrics metrics() const override {
    std::lock_guard<std::mutex> lock(metrics_mu_);
    return metrics_;
  }

  size_t loaded_executions() const override { return loaded_count_.load(); }

  storage::Store& store() override { return *store_; }

 private:
  std::string ArnPrefix() const { return "arn:aws:states:" + options_.region + ":" + options_.account_id + ":"; }

  bool InBackground() const { return background_.joinable() && std::this_thread::get_id() != engine_thread_; }

  // Runs `fn` on the engine thread and returns its result.
  template <typename R, typename F>
  R OnEngine(F&& fn) {
    if (!InBackground()) return fn();
    std::packaged_task<R()> task(std::forward<F>(fn));
    std::future<R> future = task.get_future();
    boost::asio::post(io_, [&task] { task(); });
    return future.get();
  }

  // A parsed model with the cache its executions share.
  struct Model {
    std::shared_ptr<const asl::StateMachine> machine;
    std::shared_ptr<ModelCache> cache;
  };

  // A parsed revision (0: the latest); sets *revision_out to its number and
  // *deleting to whether the machine is being deleted. A start reads only the
  // machine's row; a revision is read and parsed once.
  StatusOr<Model> Machine(const std::string& arn, int64_t revision, int64_t* revision_out,
                          bool* deleting = nullptr) {
    StatusOr<storage::StateMachineHead> head = store_->GetStateMachineHead(arn);
    if (!head.ok()) return head.status();
    if (revision <= 0) revision = head->latest_revision;
    if (revision_out != nullptr) *revision_out = revision;
    if (deleting != nullptr) *deleting = head->deleting;
    std::string key = MachineKey(arn, head->creation_time_ns, revision);
    {
      std::lock_guard<std::mutex> lock(machines_mu_);
      auto it = machines_.find(key);
      if (it != machines_.end()) return it->second;
    }
    StatusOr<storage::StateMachineRecord> record = store_->GetStateMachineRevision(arn, revision);
    if (!record.ok()) return record.status();
    asl::Diagnostics diagnostics;
    std::shared_ptr<const asl::StateMachine> machine = asl::ParseDefinition(record->definition, &diagnostics);
    if (!machine) return Status::Corruption("the stored definition of " + key + " no longer validates");
    return RememberMachine(key, std::move(machine));
  }

  // A machine deleted and created again restarts at revision 1: its creation
  // time tells the two apart.
  static std::string MachineKey(const std::string& arn, int64_t creation_time_ns, int64_t revision) {
    return arn + "#" + std::to_string(creation_time_ns) + "#" + std::to_string(revision);
  }

  Model RememberMachine(const std::string& key, std::shared_ptr<const asl::StateMachine> machine) {
    std::lock_guard<std::mutex> lock(machines_mu_);
    return machines_.try_emplace(key, Model{std::move(machine), std::make_shared<ModelCache>()}).first->second;
  }

  ExecutionHost Host() {
    ExecutionHost host;
    host.clock = options_.clock;
    host.event_time = [this] { return EventTime(); };
    host.options = &options_;
    host.random = &random_;
    host.post = [this](std::function<void()> fn) { Enqueue(std::move(fn)); };
    host.schedule = [this](Instant at, std::function<void()> fn) { Schedule(at, std::move(fn)); };
    host.serves = [this](const std::string& resource) { return Serves(resource); };
    host.dispatch = [this](const TaskInvocation& invocation, std::function<void(TaskOutcome)> done) {
      Dispatch(invocation, std::move(done));
    };
    host.new_token = [this] {
      std::string token;
      static const char kHex[] = "0123456789abcdef";
      for (int i = 0; i < 4; ++i) {
        uint64_t r = random_();
        for (int j = 0; j < 16; ++j, r >>= 4) token += kHex[r & 15];
      }
      return token;
    };
    host.mark_dirty = [this](Execution* e) {
      dirty_.push_back(e);
      ScheduleDrain();
    };
    return host;
  }

  // Starts an execution; its creation commits with its first steps, then
  // `durable` (when given) is called with the outcome. Sets started_new_.
  StatusOr<StartResult> DoStart(const StartRequest& request, std::function<void(Status)> durable) {
    started_new_ = false;
    // "...:stateMachine:NAME:REVISION" names one revision, as AWS's version ARNs do.
    std::string machine_arn = request.state_machine_arn;
    int64_t revision = 0;
    size_t colon = machine_arn.rfind(':');
    if (size_t kind = machine_arn.find(":stateMachine:");
        kind != std::string::npos && colon > kind + 14 && colon + 1 < machine_arn.size() &&
        machine_arn.find_first_not_of("0123456789", colon + 1) == std::string::npos) {
      revision = std::stoll(machine_arn.substr(colon + 1));
      machine_arn.resize(colon);
    }
    bool deleting = false;
    StatusOr<Model> machine = Machine(machine_arn, revision, &revision, &deleting);
    if (!machine.ok()) return machine.status();
    // As AWS: a deleted machine's running executions go on, but none starts.
    if (deleting) return Status::Conflict("state machine " + machine_arn + " is being deleted");
    asl::Value input;
    asl::JsonError json_error;
    if (!asl::ParseJson(request.input, &input, &json_error)) {
      return Status::InvalidArgument("the execution input is not valid JSON (line " + std::to_string(json_error.line) +
                                     ", column " + std::to_string(json_error.column) + "): " + json_error.message);
    }
    if (request.input.size() > options_.limits.max_payload_bytes) {
      return Status::InvalidArgument("the execution input is " + std::to_string(request.input.size()) +
                                     " bytes, more than the limit of " +
                                     std::to_string(options_.limits.max_payload_bytes));
    }
    std::string machine_name = machine_arn.substr(machine_arn.rfind(':') + 1);
    const Instant now = options_.clock->Now();
    std::string name = request.name.empty() ? NewUuid(random_, now) : request.name;
    storage::ExecutionRecord record;
    record.state_machine_arn = machine_arn;
    record.state_machine_revision = revision;
    record.arn = ArnPrefix() + "execution:" + machine_name + ":" + name;
    record.name = name;
    record.input = request.input;
    record.start_time_ns = now;
    // As AWS: the same name and input while it runs is the same execution. A
    // name made here is new (a UUIDv7), so only a given one is looked up.
    std::optional<storage::ExecutionRecord> existing;
    if (!request.name.empty()) {
      if (auto loaded = executions_.find(record.arn); loaded != executions_.end()) {
        existing = loaded->second->record();
      } else if (StatusOr<storage::ExecutionRecord> stored = store_->GetExecution(record.arn); stored.ok()) {
        existing = *stored;
      } else if (!stored.status().IsNotFound()) {
        return stored.status();
      }
    }
    if (existing) {
      if (existing->status == storage::ExecutionStatus::kRunning && existing->input == record.input) {
        return StartResult{existing->arn, existing->start_time_ns, false};
      }
      return Status::AlreadyExists("execution", record.arn);
    }
    auto execution = std::make_unique<Execution>(Host(), machine->machine, machine->cache, std::move(record),
                                                 std::move(input), std::move(machine_name));
    Execution* raw = execution.get();
    raw->create_pending = true;
    if (durable) created_callbacks_.emplace(raw->record().arn, std::move(durable));
    Adopt(std::move(execution));
    raw->Start();
    started_new_ = true;
    {
      std::lock_guard<std::mutex> lock(metrics_mu_);
      ++metrics_.executions_started;
    }
    return StartResult{raw->record().arn, raw->record().start_time_ns};
  }

  void Adopt(std::unique_ptr<Execution> execution) {
    std::string arn = execution->record().arn;
    executions_[arn] = std::move(execution);
    loaded_count_ = executions_.size();
  }

  // The execution in memory, loading a running one from its checkpoint.
  StatusOr<Execution*> Load(const std::string& arn) {
    auto it = executions_.find(arn);
    if (it != executions_.end()) return it->second.get();
    StatusOr<storage::ExecutionRecord> record = store_->GetExecution(arn);
    if (!record.ok()) return record.status();
    if (record->status != storage::ExecutionStatus::kRunning) {
      return Status::Conflict("execution " + arn + " is " + storage::ExecutionStatusName(record->status));
    }
    StatusOr<Model> machine = Machine(record->state_machine_arn, record->state_machine_revision, nullptr);
    if (!machine.ok()) return machine.status();
    StatusOr<std::string> checkpoint = store_->GetCheckpoint(arn);
    if (!checkpoint.ok()) return checkpoint.status();
    asl::Value input;
    asl::JsonError json_error;
    if (!asl::ParseJson(record->input, &input, &json_error)) {
      return Status::Corruption("the stored input of " + arn + " is not JSON");
    }
    std::string machine_name = record->state_machine_arn.substr(record->state_machine_arn.rfind(':') + 1);
    auto execution = std::make_unique<Execution>(Host(), machine->machine, machine->cache, *record, input, machine_name);
    Execution* raw = execution.get();
    if (auto p = parked_.find(arn); p != parked_.end()) {
      wakeups_.erase({p->second, &p->first});
      parked_.erase(p);
    }
    Adopt(std::move(execution));
    Status resumed = raw->Resume(*checkpoint);
    if (!resumed.ok()) {
      executions_.erase(arn);
      loaded_count_ = executions_.size();
      return resumed;
    }
    return raw;
  }

  Status OnToken(const std::string& token, const std::function<Status(Execution&)>& fn) {
    return OnEngine<Status>([&]() -> Status {
      StatusOr<storage::TaskTokenRecord> record = store_->GetTaskToken(token);
      if (!record.ok()) return record.status();
      if (record->status != storage::TaskTokenStatus::kPending) {
        return Status::Conflict(std::string("the task of this token is ") +
                                storage::TaskTokenStatusName(record->status));
      }
      StatusOr<Execution*> execution = Load(record->execution_arn);
      if (!execution.ok()) return execution.status();
      return fn(**execution);
    });
  }

  // Calls `done` once the execution has finished (at once when it already has).
  using Waiter = std::function<void(StatusOr<ExecutionResult>)>;
  Status WhenFinished(const std::string& arn, Waiter done) {
    auto it = executions_.find(arn);
    if (it == executions_.end() && parked_.count(arn) == 0) {
      StatusOr<storage::ExecutionRecord> record = store_->GetExecution(arn);
      if (!record.ok()) return record.status();
      if (record->status == storage::ExecutionStatus::kRunning) {
        return Status::Conflict("execution " + arn + " is running but not in this engine; resume it first");
      }
      done(ResultOf(*record));
      return Status::OK();
    }
    waiters_.emplace(arn, std::move(done));
    return Status::OK();
  }

  void Enqueue(std::function<void()> fn) {
    ready_.push_back(std::move(fn));
    ScheduleDrain();
  }

  void ScheduleDrain() {
    if (!drain_posted_) {
      drain_posted_ = true;
      boost::asio::post(io_, [this] { Drain(); });
    }
  }

  // Within one turn of the engine's own work, kEventsPerClockRead events share
  // a reading of the system clock; a test's clock is read every time.
  Instant EventTime() {
    if (handling_ == 0 || options_.clock != system_clock_.get()) return options_.clock->Now();
    if (turn_time_uses_ == 0) {
      turn_time_ = options_.clock->Now();
      turn_time_uses_ = kEventsPerClockRead;
    }
    --turn_time_uses_;
    return turn_time_;
  }

  // A turn of the engine's own work begins: its events read the clock afresh.
  void BeginTurn() {
    ++handling_;
    turn_time_uses_ = 0;
  }

  // Runs a slice of the queued work, then commits what it changed. Slices keep
  // the writer busy while the engine runs the next one, instead of the two
  // taking turns on one large batch.
  void Drain() {
    BeginTurn();
    drain_posted_ = false;
    for (size_t n = 0; n < kTurnSlice && !ready_.empty(); ++n) {
      std::function<void()> fn = std::move(ready_.front());
      ready_.pop_front();
      fn();
    }
    CommitDirty();
    if (!ready_.empty()) ScheduleDrain();
    --handling_;
  }

  struct Batch {
    // Each stays loaded while its commit is in flight: only Committed unloads one.
    std::vector<Execution*> executions;
    std::vector<std::function<void()>> effects;
    std::vector<std::function<void(Status)>> created;  // StartExecution callers waiting
    std::chrono::steady_clock::time_point start;
    std::vector<Status> statuses;  // by request, as executions
  };

  // Two batches in flight at most (one being written, the next queued): what
  // turns change meanwhile waits and goes as one batch when one is done, so
  // commits grow with the load instead of paying a transaction per small turn.
  void CommitDirty() {
    if (dirty_.empty() || !fatal_.ok() || appends_in_flight_ >= kBatchesInFlight) return;
    auto batch = std::make_shared<Batch>();
    std::vector<storage::AppendRequest> requests;
    uint64_t transitions = 0;
    std::vector<Execution*> later;
    for (Execution* e : dirty_) {
      if (e->starting()) {
        later.push_back(e);
        continue;
      }
      std::optional<Execution::Commit> commit = e->TakeCommit();
      if (!commit) continue;
      std::function<void(Status)> created;
      if (commit->request.create) {
        auto callback = created_callbacks_.find(e->record().arn);
        if (callback != created_callbacks_.end()) {
          created = std::move(callback->second);
          created_callbacks_.erase(callback);
        }
      }
      batch->created.push_back(std::move(created));
      ++e->commits_in_flight;
      batch->executions.push_back(e);
      for (auto& effect : commit->effects) batch->effects.push_back(std::move(effect));
      requests.push_back(std::move(commit->request));
      transitions += e->transitions() - e->reported_transitions;
      e->reported_transitions = e->transitions();
    }
    dirty_.swap(later);
    {
      std::lock_guard<std::mutex> lock(metrics_mu_);
      metrics_.state_transitions += transitions;
    }
    if (requests.empty()) return;
    batch->start = std::chrono::steady_clock::now();
    ++appends_in_flight_;
    if (!commit_guard_) commit_guard_.emplace(io_.get_executor());
    {
      std::lock_guard<std::mutex> lock(appends_mu_);
      ++batches_outstanding_;
    }
    // One call and one answer for the batch, not a lock and a callback per execution.
    store_->AppendBatchAsync(std::move(requests), [this, batch](std::vector<Status> statuses) {
      batch->statuses = std::move(statuses);
      boost::asio::post(io_, [this, batch] { Committed(*batch); });
      std::lock_guard<std::mutex> lock(appends_mu_);
      if (--batches_outstanding_ == 0) appends_cv_.notify_all();
    });
  }

  void Committed(Batch& batch) {
    BeginTurn();
    struct Leave {
      int& depth;
      ~Leave() { --depth; }
    } leave{handling_};
    if (--appends_in_flight_ == 0) commit_guard_.reset();
    {
      std::lock_guard<std::mutex> lock(metrics_mu_);
      Observe(metrics_.commit_seconds, SecondsSince(batch.start));
      Observe(metrics_.commit_batch_size, static_cast<double>(batch.executions.size()));
    }
    for (size_t i = 0; i < batch.executions.size(); ++i) {
      if (batch.created[i]) batch.created[i](batch.statuses[i]);
      const Status& s = batch.statuses[i];
      if (s.ok()) continue;
      if (s.IsAlreadyExists() || s.IsConflict()) {
        // Another engine started or moved this execution: it is not ours to run.
        batch.executions[i]->Abandon();
        continue;
      }
      // The store failed: nothing further is made visible. Executions stay
      // where their last commit left them, to resume from there.
      if (fatal_.ok()) fatal_ = s;
    }
    if (!fatal_.ok()) {
      std::multimap<std::string, Waiter> waiting;
      waiting.swap(waiters_);
      for (auto& [arn, waiter] : waiting) waiter(fatal_);
      return;
    }
    // The batch's tasks go out now: one reading of the clock times them all.
    effects_sent_at_ = std::chrono::steady_clock::now();
    for (auto& effect : batch.effects) effect();
    effects_sent_at_.reset();
    for (Execution* loaded : batch.executions) {
      Execution& e = *loaded;
      if (e.abandoned()) {
        if (--e.commits_in_flight == 0 && !e.dirty) {
          const std::string arn = e.record().arn;
          executions_.erase(arn);
          loaded_count_ = executions_.size();
          for (auto& w : TakeWaiters(arn)) w(Status::Conflict("execution " + arn + " is run by another engine"));
        }
        continue;
      }
      if (--e.commits_in_flight > 0 || e.dirty) continue;
      if (e.finished()) {
        const std::string arn = e.record().arn;  // a copy: erasing destroys the execution holding it
        Finish(arn, ResultOf(e.record(), e.output()));
        executions_.erase(arn);
      } else if (e.parked()) {
        Park(executions_.find(e.record().arn));
      } else {
        continue;
      }
      loaded_count_ = executions_.size();
    }
    CommitDirty();  // what waited for this batch
  }

  void Finish(const std::string& arn, const ExecutionResult& result) {
    for (const auto& listener : listeners_) listener(arn, result);
    for (auto& w : TakeWaiters(arn)) w(result);
  }

  // Removed before they are called: a waiter may start or await again.
  std::vector<Waiter> TakeWaiters(const std::string& arn) {
    auto [begin, end] = waiters_.equal_range(arn);
    std::vector<Waiter> waiting;
    for (auto it = begin; it != end; ++it) waiting.push_back(std::move(it->second));
    waiters_.erase(begin, end);
    return waiting;
  }

  // Unloads an execution that waits only for a timer or a task token; the
  // timer (or SendTask*) loads it again from its checkpoint.
  void Park(std::unordered_map<std::string, std::unique_ptr<Execution>>::iterator it) {
    Instant due = it->second->next_due();
    auto parked = parked_.emplace(it->first, due).first;
    executions_.erase(it);
    if (due == 0) return;
    wakeups_.emplace(due, &parked->first);
    ArmWakeup();
  }

  // One clock timer, for the earliest parked execution: a parked execution
  // costs its two index entries, not a timer of its own.
  void ArmWakeup() {
    if (wakeups_.empty()) return;
    Instant next = wakeups_.begin()->first;
    if (armed_ != 0 && armed_ <= next) return;
    armed_ = next;
    Schedule(next, [this, next] {
      if (armed_ == next) armed_ = 0;
      Instant now = options_.clock->Now();
      while (!wakeups_.empty() && wakeups_.begin()->first <= now) {
        std::string arn = *wakeups_.begin()->second;
        StatusOr<Execution*> loaded = Load(arn);  // drops both entries
        if (!loaded.ok() && fatal_.ok()) fatal_ = loaded.status();
        if (!loaded.ok()) break;
      }
      ArmWakeup();
    });
  }

  // Runs `fn` on the engine's queue once the clock reaches `at`. A clock may
  // outlive the engine (a test's ManualClock), so a late timer finds it gone.
  void Schedule(Instant at, std::function<void()> fn) {
    options_.clock->ScheduleAt(at, [this, alive = std::weak_ptr<char>(alive_), fn = std::move(fn)]() mutable {
      if (!alive.expired()) Enqueue(std::move(fn));
    });
  }

  // The in-process handler registered for `resource` or its `target` (without .waitForTaskToken), if any.
  const TaskHandler* HandlerFor(std::string_view resource, std::string_view target) const {
    for (const auto& [name, handler] : options_.task_handlers) {
      if (name == resource || name == target) return &handler;
    }
    return nullptr;
  }

  bool Serves(const std::string& resource) const {
    std::string_view target = TaskResource(resource);
    return HandlerFor(resource, target) != nullptr || target == kHttpInvokeResource ||
           ClassifyLambdaResource(target) != LambdaStyle::kNone;
  }

  void Dispatch(const TaskInvocation& invocation, std::function<void(TaskOutcome)> done) {
    std::string_view target = TaskResource(invocation.resource);
    const TaskHandler* handler = HandlerFor(invocation.resource, target);
    // Only requests sent out count as in flight.
    const bool outbound = handler == nullptr;
    if (outbound) ++in_flight_;
    auto timed = [this, outbound, start = effects_sent_at_ ? *effects_sent_at_ : std::chrono::steady_clock::now(),
                  done = std::move(done)](TaskOutcome outcome) {
      if (outbound) --in_flight_;
      {
        std::lock_guard<std::mutex> lock(metrics_mu_);
        Observe(metrics_.task_dispatch_seconds, SecondsSince(start));
      }
      done(std::move(outcome));
    };
    if (handler != nullptr) {
      try {
        (*handler)(invocation, timed);
      } catch (const TaskError& e) {
        timed(TaskOutcome{false, asl::Value(), e.failure});
      } catch (const std::exception& e) {
        // A handler that throws fails the task, as a Lambda function error would.
        timed(TaskOutcome{false, asl::Value(), asl::Failure{"Exception", e.what()}});
      }
      return;
    }
    if (target == kHttpInvokeResource) {
      http_task_->Invoke(invocation.parameters, invocation.idempotency_key, invocation.timeout_ms, std::move(timed));
      return;
    }
    lambda_->Invoke(ClassifyLambdaResource(target), target, invocation.parameters, invocation.idempotency_key,
                    std::move(timed), invocation.timeout_ms);
  }

  EngineOptions options_;
  std::shared_ptr<char> alive_ = std::make_shared<char>();
  // Only the thread running the engine starts I/O and timers on it (others
  // post), so the reactor need not lock each socket's operations.
  boost::asio::io_context io_{BOOST_ASIO_CONCURRENCY_HINT_UNSAFE_IO};
  std::unique_ptr<SystemClock> system_clock_;
  ManualClock* manual_clock_ = nullptr;
  std::unique_ptr<storage::Store> owned_store_;
  storage::Store* store_ = nullptr;
  std::mt19937_64 random_;
  std::deque<std::function<void()>> ready_;
  bool drain_posted_ = false;
  std::unique_ptr<HttpClient> http_;
  std::unique_ptr<LambdaInvoker> lambda_;
  std::unique_ptr<HttpTaskInvoker> http_task_;
  size_t in_flight_ = 0;  // outbound requests not yet answered
  static constexpr size_t kBatchesInFlight = 2;
  static constexpr size_t kTurnSlice = 256;  // queued functions a turn runs before it commits
  size_t appends_in_flight_ = 0;  // batches being committed
  std::optional<WorkGuard> commit_guard_;
  std::mutex appends_mu_;
  std::condition_variable appends_cv_;
  size_t batches_outstanding_ = 0;  // batches the store has not answered
  Status fatal_;
  std::mutex machines_mu_;  // guards machines_: RegisterStateMachine runs on the caller's thread
  std::unordered_map<std::string, Model> machines_;  // by MachineKey
  std::unordered_map<std::string, std::unique_ptr<Execution>> executions_;
  std::atomic<size_t> loaded_count_{0};
  std::unordered_map<std::string, Instant> parked_;  // unloaded, with the time to load it again
  std::set<std::pair<Instant, const std::string*>> wakeups_;  // parked_ by time (keys of parked_)
  Instant armed_ = 0;  // the time the wake-up timer is set for; 0: none
  std::unordered_map<std::string, std::function<void(Status)>> created_callbacks_;
  bool started_new_ = false;
  int handling_ = 0;  // > 0 while the engine runs its own work on this thread
  static constexpr int kEventsPerClockRead = 8;
  std::optional<std::chrono::steady_clock::time_point> effects_sent_at_;  // while Committed sends a batch's tasks
  Instant turn_time_ = 0;
  int turn_time_uses_ = 0;
  std::vector<Execution*> dirty_;
  std::multimap<std::string, Waiter> waiters_;
  std::vector<std::function<void(const std::string&, const ExecutionResult&)>> listeners_;
  mutable std::mutex metrics_mu_;
  EngineMetrics metrics_;
  std::thread background_;
  std::thread::id engine_thread_;
  std::optional<WorkGuard> background_guard_;
};

}  // namespace

StatusOr<std::unique_ptr<Engine>> Engine::Open(EngineOptions options) {
  auto engine = std::make_unique<EngineImpl>(std::move(options));
  Status ready = engine->Init();
  if (!ready.ok()) return ready;
  return std::unique_ptr<Engine>(std::move(engine));
}

}  // namespace stepflow::engine
