#include "execution.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdlib>

#include "json_writer.h"
#include "stepflow/asl/choice.h"
#include "stepflow/asl/errors.h"
#include "stepflow/asl/json.h"
#include "stepflow/asl/timestamp.h"

namespace stepflow::engine {

namespace {

constexpr std::string_view kWaitForTaskToken = ".waitForTaskToken";

}  // namespace

bool IsWaitForTaskToken(std::string_view resource) {
  return resource.size() > kWaitForTaskToken.size() && resource.ends_with(kWaitForTaskToken);
}

std::string_view TaskResource(std::string_view resource) {
  return IsWaitForTaskToken(resource) ? resource.substr(0, resource.size() - kWaitForTaskToken.size()) : resource;
}

using asl::Failure;
using asl::State;
using asl::StateType;
using asl::Value;
namespace errors = asl::errors;

namespace {

Value Str(std::string s) { return Value::String(std::move(s)); }

Value Obj(std::initializer_list<asl::Member> members) { return Value::MakeObject(asl::Object(members)); }

// {"<key>": DETAILS}, written when the store needs it.
class KeyedDetails final : public storage::DeferredJson {
 public:
  KeyedDetails(const char* key, Value details) : key_(key), details_(std::move(details)) {}
  void AppendTo(std::string* out) const override {
    out->push_back('{');
    asl::AppendJsonString(key_, out);
    out->push_back(':');
    asl::AppendJson(details_, out);
    out->push_back('}');
  }

 private:
  const char* key_;  // a literal
  Value details_;
};

// An event's details, {"<key>":{fields...}}, written when the store needs them.
// A payload field holds a value's JSON text in a string, as AWS gives payloads,
// followed by its "<name>Details":{"truncated":false}.
class EventDetails final : public storage::DeferredJson {
 public:
  enum class Kind { kValue, kText, kPayload };
  struct Field {
    const char* name;  // a literal
    Value value;
    Kind kind = Kind::kValue;
    std::shared_ptr<const QuotedPayload> text = nullptr;  // for kText: the value's text, shared
  };
  EventDetails(const char* key, std::vector<Field> fields) : key_(key), fields_(std::move(fields)) {}
  void AppendTo(std::string* out) const override {
    ObjectWriter top(out);
    ObjectWriter details(top.Key(key_));
    for (const Field& field : fields_) {
      if (field.kind == Kind::kValue) {
        details.Json(field.name, field.value);
      } else if (field.text) {
        *details.Key(field.name) += field.text->Text();
      } else {
        asl::AppendJsonAsString(field.value, details.Key(field.name));
      }
      if (field.kind == Kind::kPayload) {
        ObjectWriter(details.Key(std::string(field.name) + "Details")).Bool("truncated", false);
      }
    }
  }

 private:
  const char* key_;
  std::vector<Field> fields_;
};
using Field = EventDetails::Field;
constexpr EventDetails::Kind kText = EventDetails::Kind::kText;
constexpr EventDetails::Kind kPayload = EventDetails::Kind::kPayload;

std::shared_ptr<const storage::DeferredJson> Details(const char* key, std::vector<Field> fields) {
  return std::make_shared<EventDetails>(key, std::move(fields));
}

bool ErrorMatches(const std::vector<std::string>& names, const std::string& error, bool is_task) {
  for (const std::string& name : names) {
    if (name == error) return true;
    if (name == errors::kAll) return true;
    // On a Task, States.TaskFailed matches every error but States.Timeout.
    if (is_task && name == errors::kTaskFailed && error != errors::kTimeout) return true;
  }
  return false;
}

// AWS neither retries nor catches States.Runtime.
bool IsTerminalError(const std::string& error) { return error == errors::kRuntime; }

}  // namespace

// A state's entered and exited events: its name and its input or output, as
// JSON text inside a string, as AWS writes them. The hot path of every
// transition: one allocation holds both events' details and the output's text
// (which the next state's entered event shows too), and nothing is written
// until a store asks.
class StateVisit {
 public:
  StateVisit(std::string name, std::shared_ptr<const QuotedPayload> input)
      : name_(std::move(name)), input_(std::move(input)), entered_(this, true), exited_(this, false) {}
  StateVisit(const StateVisit&) = delete;
  StateVisit& operator=(const StateVisit&) = delete;

  static std::shared_ptr<const storage::DeferredJson> Entered(const std::shared_ptr<StateVisit>& visit) {
    return {visit, &visit->entered_};
  }
  static std::shared_ptr<const storage::DeferredJson> Exited(const std::shared_ptr<StateVisit>& visit) {
    return {visit, &visit->exited_};
  }
  // Once, before its exited event is emitted (a store may be writing the
  // entered one meanwhile: that reads only the name and input).
  static std::shared_ptr<const QuotedPayload> SetOutput(const std::shared_ptr<StateVisit>& visit, Value output) {
    visit->output_.emplace(std::move(output));
    return {visit, &*visit->output_};
  }

 private:
  class Details final : public storage::DeferredJson {
   public:
    Details(const StateVisit* visit, bool entered) : visit_(visit), entered_(entered) {}
    void AppendTo(std::string* out) const override {
      *out += entered_ ? R"({"stateEnteredEventDetails":{"name":)" : R"({"stateExitedEventDetails":{"name":)";
      asl::AppendJsonString(visit_->name_, out);
      *out += entered_ ? R"(,"input":)" : R"(,"output":)";
      *out += entered_ ? visit_->input_->Text() : visit_->output_->Text();
      *out += entered_ ? R"(,"inputDetails":{"truncated":false}}})" : R"(,"outputDetails":{"truncated":false}}})";
    }

   private:
    const StateVisit* visit_;
    bool entered_;
  };

  std::string name_;
  std::shared_ptr<const QuotedPayload> input_;  // null for a state resumed after its entered event
  std::optional<QuotedPayload> output_;
  Details entered_, exited_;
};

const std::string& QuotedPayload::Text() const {
  uint8_t state = state_.load(std::memory_order_acquire);
  if (state == kWritten) return text_;
  if (state == kUnwritten && state_.compare_exchange_strong(state, kWriting, std::memory_order_acquire)) {
    asl::AppendJsonAsString(payload_, &text_);
    payload_ = Value();  // the text is all anyone reads from now on
    state_.store(kWritten, std::memory_order_release);
    state_.notify_all();
    return text_;
  }
  while ((state = state_.load(std::memory_order_acquire)) != kWritten) state_.wait(state, std::memory_order_acquire);
  return text_;
}

Execution::Execution(ExecutionHost host, std::shared_ptr<const asl::StateMachine> machine,
                     std::shared_ptr<ModelCache> cache, storage::ExecutionRecord record, Value input,
                     std::string state_machine_name)
    : host_(std::move(host)),
      machine_(std::move(machine)),
      cache_(std::move(cache)),
      record_(std::move(record)),
      input_(std::move(input)),
      state_machine_name_(std::move(state_machine_name)) {}

std::string Execution::RoleArn() const { return "arn:aws:iam::" + host_.options->account_id + ":role/stepflow"; }

void Execution::Start() {
  Emit(nullptr, EventType::kExecutionStarted,
       Details("executionStartedEventDetails", {{"input", input_, kPayload}, {"roleArn", Str(RoleArn())}}));
  root_ = std::make_shared<Frame>();
  root_->machine = machine_.get();
  root_->state_index = machine_->start_index;
  root_->input = input_;
  root_->scope = std::make_shared<asl::VariableScope>();
  root_->last_event_id = 1;
  WatchRoot();
  if (machine_->timeout_seconds) timeout_due_ = host_.clock->Now() + *machine_->timeout_seconds * kNanosPerSecond;
  ArmExecutionTimeout();
  Post(root_);
}

Execution::~Execution() = default;

void Execution::WatchRoot() {
  root_->on_done = [this](bool ok, const Value& output, const Failure& failure) {
    if (ok) {
      FinishExecution(storage::ExecutionStatus::kSucceeded, output, std::nullopt, std::nullopt,
                      EventType::kExecutionSucceeded);
    } else {
      FinishExecution(storage::ExecutionStatus::kFailed, std::nullopt, failure.error, failure.cause,
                      EventType::kExecutionFailed);
    }
  };
}

void Execution::ArmExecutionTimeout() {
  if (timeout_due_ == 0) return;
  At(timeout_due_, [this] {
    if (finished()) return;
    CancelFrame(*root_);
    FinishExecution(storage::ExecutionStatus::kTimedOut, std::nullopt, std::string(errors::kTimeout),
                    std::string("The execution timed out."), EventType::kExecutionTimedOut);
  });
}

void Execution::Stop(const std::string& error, const std::string& cause) {
  if (finished()) return;
  if (root_) CancelFrame(*root_);
  FinishExecution(storage::ExecutionStatus::kAborted, std::nullopt, error, cause, EventType::kExecutionAborted);
}

void Execution::CancelFrame(Frame& f) {
  f.cancelled = true;
  for (const FramePtr& child : f.children) CancelFrame(*child);
}

std::optional<Execution::Commit> Execution::TakeCommit() {
  dirty = false;
  if (pending_.empty() && !row_dirty_ && !state_dirty_ && pending_tokens_.empty() && effects_.empty()) {
    return std::nullopt;
  }
  Commit commit;
  storage::AppendRequest& r = commit.request;
  r.execution_arn = record_.arn;
  r.expected_last_event_id = flushed_event_id_;
  if (create_pending) {
    r.create = record_;
    create_pending = false;
    row_dirty_ = false;
  }
  events_per_commit_ = pending_.size();
  r.events = std::move(pending_);
  pending_.clear();
  if (row_dirty_) r.update = record_;
  r.put_task_tokens = std::move(pending_tokens_);
  pending_tokens_.clear();
  if (!r.events.empty() || state_dirty_) {
    if (finished()) {
      r.checkpoint = std::string();  // nothing to resume
    } else {
      r.deferred_checkpoint = Checkpoint();
    }
  }
  commit.effects = std::move(effects_);
  effects_.clear();
  flushed_event_id_ = next_event_id_ - 1;
  row_dirty_ = false;
  state_dirty_ = false;
  return commit;
}

void Execution::MarkDirty() {
  state_dirty_ = true;
  if (!dirty) {
    dirty = true;
    host_.mark_dirty(this);
  }
}

void Execution::Later(std::function<void()> fn) {
  ++active_;
  ++queued_;
  host_.post([this, alive = std::weak_ptr<char>(alive_), fn = std::move(fn)] {
    if (alive.expired()) return;
    --active_;
    --queued_;
    fn();
  });
}

void Execution::At(Instant due, std::function<void()> fn) {
  // The clock holds only a key: an unloaded execution's pending timers must
  // not keep its frames in memory until they fall due.
  uint64_t id = next_timer_id_++;
  timers_.emplace(id, std::move(fn));
  host_.schedule(due, [this, alive = std::weak_ptr<char>(alive_), id] {
    if (alive.expired()) return;
    auto it = timers_.find(id);
    if (it == timers_.end()) return;
    std::function<void()> fire = std::move(it->second);
    timers_.erase(it);
    fire();
  });
}

int64_t Execution::Emit(Frame* f, EventType type, const char* details_key, Value details) {
  std::shared_ptr<const storage::DeferredJson> deferred;
  if (details_key != nullptr && !details.is_null()) {
    deferred = std::make_shared<KeyedDetails>(details_key, std::move(details));
  }
  return EmitEvent(f, type, asl::StateType::kPass, std::move(deferred), host_.event_time());
}

int64_t Execution::Emit(Frame* f, EventType type, std::shared_ptr<const storage::DeferredJson> details) {
  return EmitEvent(f, type, asl::StateType::kPass, std::move(details), host_.event_time());
}

int64_t Execution::EmitEvent(Frame* f, EventType type, asl::StateType state_type,
                             std::shared_ptr<const storage::DeferredJson> details, Instant at) {
  if (f != nullptr && f->silent) return f->last_event_id;
  // Each commit takes the vector away, and a memory store keeps it: room for
  // as many events as the last commit had, which a loop of like steps repeats.
  if (pending_.capacity() == 0) pending_.reserve(std::max<size_t>(events_per_commit_, 4));
  storage::HistoryEventRecord& event = pending_.emplace_back();
  event.id = next_event_id_++;
  event.previous_event_id = f != nullptr ? f->last_event_id : event.id - 1;
  event.timestamp_ns = at;
  event.type = EventTypeName(type, state_type);
  event.deferred_details = std::move(details);
  const int64_t id = event.id;
  MarkDirty();
  if (f != nullptr) f->last_event_id = id;
  return id;
}

void Execution::FinishExecution(storage::ExecutionStatus status, std::optional<Value> output,
                                std::optional<std::string> error, std::optional<std::string> cause, EventType type) {
  if (finished()) return;
  std::vector<Field> fields;
  if (output) fields.push_back({"output", *output, kPayload});
  if (!output && error) fields.push_back({"error", Str(*error)});
  if (!output && cause) fields.push_back({"cause", Str(*cause)});
  static const char* kKeys[] = {"executionSucceededEventDetails", "executionFailedEventDetails",
                                "executionAbortedEventDetails", "executionTimedOutEventDetails"};
  const char* key = type == EventType::kExecutionSucceeded ? kKeys[0]
                    : type == EventType::kExecutionFailed  ? kKeys[1]
                    : type == EventType::kExecutionAborted ? kKeys[2]
                                                           : kKeys[3];
  Emit(nullptr, type, Details(key, std::move(fields)));
  record_.status = status;
  if (output) record_.output = asl::ToJson(*output);
  record_.error = error;
  record_.cause = cause;
  record_.stop_time_ns = host_.clock->Now();
  output_ = std::move(output);
  row_dirty_ = true;
}

void Execution::Post(const FramePtr& f) {
  f->exited_at = 0;  // entered later, at its own time
  Later([this, f] { Step(f); });
}

void Execution::Step(const FramePtr& f) {
  // A long synchronous run yields now and then so timers and other work interleave.
  for (int steps = 0; steps < 1000; ++steps) {
    if (finished() || f->cancelled || f->done) return;
    const State& s = f->machine->states[f->state_index];
    EnterState(*f, s);
    if (Execute(f, s) == Flow::kPause) return;
  }
  Post(f);
}

namespace {
// What a transition reads of a State: the fields model.h puts first.
constexpr size_t kStateHotBytes = 320;

// A long machine's states are seldom in cache. Entering a state starts loading
// the one after next, and the next one's template (the next State itself was
// loaded when its predecessor was entered).
void PrefetchAhead(const std::vector<State>& states, const State& s) {
  if (s.next_index < 0) return;
  const State& next = states[s.next_index];
  if (next.parameters) next.parameters->Prefetch();
  if (next.next_index < 0) return;
  const auto* after = reinterpret_cast<const char*>(&states[next.next_index]);
  for (size_t line = 0; line < kStateHotBytes; line += 64) __builtin_prefetch(after + line);
}
}  // namespace

void Execution::EnterState(Frame& f, const State& s) {
  PrefetchAhead(f.machine->states, s);
  // $$.State.EnteredTime is the entered event's time.
  f.entered_time = f.exited_at != 0 ? f.exited_at : host_.event_time();
  f.exited_at = 0;
  if (!f.input_text) f.input_text = std::make_shared<QuotedPayload>(f.input);
  f.visit = std::make_shared<StateVisit>(s.name, f.input_text);
  f.entered_event_id = EmitEvent(&f, EventType::kStateEntered, s.type, StateVisit::Entered(f.visit), f.entered_time);
  ++transitions_;
  f.retry_attempts.assign(s.retry.size(), 0);
  f.retry_count = 0;
  if (s.reads_context) {
    BuildContext(f);
  } else {
    f.context = Value();
  }
}

void Execution::BuildContext(Frame& f) {
  // Built the first time a state reads $$: most executions never do.
  if (execution_context_.is_null()) {
    execution_context_ = Obj({{"Id", Str(record_.arn)},
                              {"Input", input_},
                              {"Name", Str(record_.name)},
                              {"RoleArn", Str(RoleArn())},
                              {"StartTime", Str(asl::FormatTimestamp(record_.start_time_ns))},
                              {"RedriveCount", Value::Int(0)}});
    state_machine_context_ = Obj({{"Id", Str(record_.state_machine_arn)}, {"Name", Str(state_machine_name_)}});
  }
  const State& s = f.machine->states[f.state_index];
  asl::Object state{{"Name", Str(s.name)},
                    {"EnteredTime", Str(asl::FormatTimestamp(f.entered_time))},
                    {"RetryCount", Value::Int(f.retry_count)}};
  asl::Object context{{"Execution", execution_context_},
                      {"State", Value::MakeObject(std::move(state))},
                      {"StateMachine", state_machine_context_}};
  if (!f.map_item.is_null()) context.emplace_back("Map", Obj({{"Item", f.map_item}}));
  if (f.task && !f.task->token.empty()) context.emplace_back("Task", Obj({{"Token", Str(f.task->token)}}));
  f.context = Value::MakeObject(std::move(context));
}

asl::EvalEnv Execution::Env(Frame& f) {
  asl::EvalEnv env;
  env.context = &f.context;
  env.variables = f.scope.get();
  env.random = host_.random;
  return env;
}

Failure Execution::StateRuntimeError(const Frame& f, const State& s, const std::string& error,
                                     const std::string& detail) const {
  return Failure{error, "An error occurred while executing the state '" + s.name + "' (entered at the event id #" +
                            std::to_string(f.entered_event_id) + "). " + detail};
}

bool Execution::ApplyPathField(const Frame& f, const asl::PathField& field, const Value& input, Value* out,
                               std::string* error) {
  switch (field.kind) {
    case asl::PathField::Kind::kDefault:
      *out = input;
      return true;
    case asl::PathField::Kind::kNull:
      *out = Value::MakeObject({});
      return true;
    case asl::PathField::Kind::kPath: {
      asl::EvalEnv env;
      env.context = &f.context;
      env.variables = f.scope.get();
      std::string detail;
      if (!asl::ResolvePath(field.path, input, env, out, &detail)) {
        *error = "Invalid path '" + field.path.text() + "' : " + detail;
        return false;
      }
      return true;
    }
  }
  return false;
}

bool Execution::ResolveNumber(Frame& f, const asl::NumberField& field, const Value& input, const char* name,
                              bool integer, std::optional<double>* out, std::string* error) {
  if (field.value) {
    *out = field.value;
    return true;
  }
  if (field.jsonata) {
    const State& s = f.machine->states[f.state_index];
    Value v;
    Failure failure;
    if (!EvalJsonata(f, s, *field.jsonata, name, nullptr, nullptr, &v, &failure, /*wrap=*/false)) {
      *error = failure.cause;
      return false;
    }
    if (!v.is_number() || (integer && !v.is_int())) {
      *error = std::string("The ") + name + " field must evaluate to " + (integer ? "an integer" : "a number") +
               ", but was: " + asl::ToJson(v);
      return false;
    }
    *out = v.AsDouble();
    return true;
  }
  if (!field.path) {
    *out = std::nullopt;
    return true;
  }
  asl::PathField pf;
  pf.kind = asl::PathField::Kind::kPath;
  pf.path = *field.path;
  Value v;
  std::string detail;
  if (!ApplyPathField(f, pf, input, &v, &detail)) {
    *error = detail;
    return false;
  }
  // AWS also takes a number written as a string ("1"), as Java's parseInt would.
  if (v.is_string()) {
    const std::string& text = v.AsString();
    char* end = nullptr;
    errno = 0;
    double parsed = integer ? static_cast<double>(std::strtoll(text.c_str(), &end, 10)) : std::strtod(text.c_str(), &end);
    if (!text.empty() && errno == 0 && end == text.c_str() + text.size() && !std::isspace(text[0])) {
      v = Value::Number(parsed);
    }
  }
  if (!v.is_number() || (integer && !v.is_int())) {
    *error = std::string("The ") + name + "Path field refers to value \"" +
             (v.is_string() ? v.AsString() : asl::ToJson(v)) + "\" which is not a valid " +
             (integer ? "integer" : "float") + ": " + field.path->text();
    return false;
  }
  *out = v.AsDouble();
  return true;
}

bool Execution::Assign(Frame& f, const asl::PayloadTemplate& assign, const Value& input, Failure* failure) {
  Value assigned;
  if (!assign.Evaluate(input, Env(f), &assigned, failure)) return false;
  if (!assigned.is_object()) return true;
  asl::Object vars = f.scope->variables.is_object() ? f.scope->variables.AsObject() : asl::Object();
  for (const auto& [name, value] : assigned.AsObject()) {
    auto it = std::find_if(vars.begin(), vars.end(), [&](const asl::Member& m) { return m.first == name; });
    if (it != vars.end()) {
      it->second = value;
    } else {
      vars.emplace_back(name, value);
    }
  }
  f.scope->variables = Value::MakeObject(std::move(vars));
  return true;
}

Execution::Flow Execution::Execute(const FramePtr& f, const State& s) {
  bool jsonata_flow = s.type != StateType::kTask && s.type != StateType::kParallel && s.type != StateType::kMap;
  if (s.query_language == asl::QueryLanguage::kJsonata && jsonata_flow) return ExecuteJsonata(f, s);
  switch (s.type) {
    case StateType::kPass:
      return ExecutePass(*f, s);
    case StateType::kChoice:
      return ExecuteChoice(*f, s);
    case StateType::kWait:
      return ExecuteWait(f, s);
    case StateType::kSucceed:
      return ExecuteSucceed(*f, s);
    case StateType::kFail:
      return ExecuteFail(*f, s);
    case StateType::kTask:
      return ExecuteTask(f, s);
    case StateType::kParallel:
      return ExecuteParallel(f, s);
    case StateType::kMap:
      return ExecuteMap(f, s);
  }
  return Flow::kPause;
}

Execution::Flow Execution::ExecutePass(Frame& f, const State& s) {
  asl::EvalEnv env = Env(f);
  Value effective;
  std::string error;
  if (!ApplyPathField(f, s.input_path, f.input, &effective, &error)) {
    return HandleFailure(f.shared_from_this(), s,
                         StateRuntimeError(f, s, errors::kRuntime, error));
  }
  Value result = effective;
  Failure failure;
  if (s.parameters && !s.parameters->Evaluate(effective, env, &result, &failure)) {
    return HandleFailure(f.shared_from_this(), s,
                         StateRuntimeError(f, s, failure.error, failure.cause));
  }
  if (s.result) result = *s.result;
  return CompleteWithResult(f, s, result, false);
}

Execution::Flow Execution::CompleteWithResult(Frame& f, const State& s, const Value& raw, bool apply_selector) {
  // The next template's compiled form has arrived since this state was entered.
  if (s.next_index >= 0) {
    if (const auto& parameters = f.machine->states[s.next_index].parameters) parameters->PrefetchMembers();
  }
  if (s.query_language == asl::QueryLanguage::kJsonata) return CompleteJsonata(f, s, raw);
  FramePtr self = f.shared_from_this();
  asl::EvalEnv env = Env(f);
  Failure failure;
  Value result = raw;
  if (apply_selector && s.result_selector && !s.result_selector->Evaluate(raw, env, &result, &failure)) {
    return HandleFailure(self, s, StateRuntimeError(f, s, failure.error, failure.cause));
  }
  Value combined;
  switch (s.result_path.kind) {
    case asl::PathField::Kind::kDefault:
      combined = result;
      break;
    case asl::PathField::Kind::kNull:
      combined = f.input;
      break;
    case asl::PathField::Kind::kPath: {
      std::string error;
      if (!s.result_path.path.Assign(f.input, result, &combined, &error)) {
        return HandleFailure(self, s,
                             StateRuntimeError(f, s, errors::kRuntime,
                                               "Invalid path '" + s.result_path.path.text() + "' : " + error));
      }
      break;
    }
  }
  Value output;
  std::string error;
  if (!ApplyPathField(f, s.output_path, combined, &output, &error)) {
    return HandleFailure(self, s, StateRuntimeError(f, s, errors::kRuntime, error));
  }
  if (s.assign && !Assign(f, *s.assign, result, &failure)) {
    return HandleFailure(self, s, StateRuntimeError(f, s, failure.error, failure.cause));
  }
  return ExitState(f, s, std::move(output), s.next_index);
}

Execution::Flow Execution::ExitState(Frame& f, const State& s, Value output, int next) {
  if (asl::JsonSizeOver(output, host_.options->limits.max_payload_bytes)) {
    return FailFrame(f, StateRuntimeError(f, s, errors::kDataLimitExceeded,
                                          "The state/task returned a result with a size exceeding the maximum "
                                          "number of bytes service limit."));
  }
  // A frame resumed inside this state has its entered event in the history already.
  if (!f.visit) f.visit = std::make_shared<StateVisit>(s.name, nullptr);
  // The next state's entered event shows the same text: written once for both.
  std::shared_ptr<const QuotedPayload> output_text = StateVisit::SetOutput(f.visit, output);
  const Instant now = host_.event_time();
  EmitEvent(&f, EventType::kStateExited, s.type, StateVisit::Exited(f.visit), now);
  f.visit.reset();
  f.phase = Phase::kReady;
  f.task.reset();
  if (next < 0) return EndFrame(f, std::move(output));
  f.input = std::move(output);
  f.input_text = std::move(output_text);
  f.state_index = next;
  f.exited_at = now;
  return Flow::kContinue;
}

Execution::Flow Execution::EndFrame(Frame& f, Value output) {
  f.done = true;
  if (f.on_done) f.on_done(true, output, Failure{});
  return Flow::kPause;
}

Execution::Flow Execution::FailFrame(Frame& f, Failure failure) {
  f.done = true;
  if (f.on_done) f.on_done(false, Value(), failure);
  return Flow::kPause;
}

Execution::Flow Execution::HandleFailure(const FramePtr& f, const State& s, Failure failure, bool children_failed) {
  if (f->cancelled || finished()) return Flow::kPause;
  if (failure.error == errors::kQueryEvaluationError) {
    // AWS records the failed evaluation itself, then the state's failure.
    Emit(f.get(), EventType::kEvaluationFailed, "evaluationFailedEventDetails",
         Obj({{"error", Str(failure.error)}, {"cause", Str(failure.cause)}, {"state", Str(s.name)}}));
    children_failed = true;
  }
  bool is_task = s.type == StateType::kTask;
  if (!IsTerminalError(failure.error)) {
    for (size_t i = 0; i < s.retry.size(); ++i) {
      const asl::Retrier& r = s.retry[i];
      if (!ErrorMatches(r.error_equals, failure.error, is_task)) continue;
      if (f->retry_attempts[i] >= r.max_attempts) break;
      double delay = r.interval_seconds * std::pow(r.backoff_rate, static_cast<double>(f->retry_attempts[i]));
      if (r.max_delay_seconds) delay = std::min(delay, *r.max_delay_seconds);
      if (r.jitter == asl::Retrier::Jitter::kFull) {
        delay = std::uniform_real_distribution<double>(0, delay)(*host_.random);
      }
      ++f->retry_attempts[i];
      ++f->retry_count;
      // A retried Parallel or Map records no failure: AWS starts it again.
      f->phase = Phase::kRetry;
      f->due = host_.clock->Now() + static_cast<Instant>(delay * kNanosPerSecond);
      f->task.reset();
      MarkDirty();
      ScheduleRetry(f);
      return Flow::kPause;
    }
  }
  // The state failed for good (caught or not): Parallel and Map say so.
  if (children_failed && s.type == StateType::kParallel) {
    Emit(f.get(), EventType::kParallelStateFailed, "parallelStateFailedEventDetails",
         Obj({{"error", Str(failure.error)}, {"cause", Str(failure.cause)}}));
  } else if (children_failed && s.type == StateType::kMap) {
    Emit(f.get(), EventType::kMapStateFailed, nullptr, Value());
  }
  if (!IsTerminalError(failure.error)) {
    for (const asl::Catcher& c : s.catchers) {
      if (!ErrorMatches(c.error_equals, failure.error, is_task)) continue;
      Value error_output = Obj({{"Error", Str(failure.error)}, {"Cause", Str(failure.cause)}});
      if (s.query_language == asl::QueryLanguage::kJsonata) {
        Value output = error_output;
        Failure catch_failure;
        if (c.jsonata_output &&
            !EvalJsonata(*f, s, *c.jsonata_output, "Output", nullptr, &error_output, &output, &catch_failure)) {
          return FailFrame(*f, catch_failure);
        }
        if (c.jsonata_assign && !AssignJsonata(*f, s, *c.jsonata_assign, nullptr, &error_output, &catch_failure)) {
          return FailFrame(*f, catch_failure);
        }
        return ExitState(*f, s, std::move(output), c.next_index);
      }
      Value output;
      switch (c.result_path.kind) {
        case asl::PathField::Kind::kDefault:
          output = error_output;
          break;
        case asl::PathField::Kind::kNull:
          output = f->input;
          break;
        case asl::PathField::Kind::kPath: {
          std::string error;
          if (!c.result_path.path.Assign(f->input, error_output, &output, &error)) {
            return FailFrame(*f, StateRuntimeError(*f, s, errors::kRuntime,
                                                   "Invalid path '" + c.result_path.path.text() + "' : " + error));
          }
          break;
        }
      }
      Failure assign_failure;
      if (c.assign && !Assign(*f, *c.assign, error_output, &assign_failure)) {
        return FailFrame(*f, StateRuntimeError(*f, s, assign_failure.error, assign_failure.cause));
      }
      return ExitState(*f, s, std::move(output), c.next_index);
    }
  }
  return FailFrame(*f, std::move(failure));
}

void Execution::ScheduleRetry(const FramePtr& f) {
  At(f->due, [this, f] {
    if (f->cancelled || finished() || f->phase != Phase::kRetry) return;
    f->phase = Phase::kReady;
    BuildContext(*f);  // $$.State.RetryCount moved on
    if (Execute(f, f->machine->states[f->state_index]) == Flow::kContinue) Step(f);
  });
}

Execution::Flow Execution::ExecuteChoice(Frame& f, const State& s) {
  FramePtr self = f.shared_from_this();
  asl::EvalEnv env = Env(f);
  Value effective;
  std::string error;
  if (!ApplyPathField(f, s.input_path, f.input, &effective, &error)) {
    return HandleFailure(self, s, StateRuntimeError(f, s, errors::kRuntime, error));
  }
  int next = -1;
  const asl::ChoiceRule* chosen = nullptr;
  for (const asl::ChoiceRule& rule : s.choices) {
    bool matched = false;
    Failure failure;
    if (!asl::EvaluateChoiceRule(rule, effective, env, &matched, &failure)) {
      return HandleFailure(self, s, StateRuntimeError(f, s, failure.error, failure.cause));
    }
    if (matched) {
      chosen = &rule;
      next = rule.next_index;
      break;
    }
  }
  if (chosen == nullptr) {
    if (s.default_index < 0) {
      return FailFrame(f, Failure{errors::kNoChoiceMatched, "No Matches!"});
    }
    next = s.default_index;
  }
  Value output;
  if (!ApplyPathField(f, s.output_path, effective, &output, &error)) {
    return HandleFailure(self, s, StateRuntimeError(f, s, errors::kRuntime, error));
  }
  Failure failure;
  if (s.assign && !Assign(f, *s.assign, effective, &failure)) {
    return FailFrame(f, StateRuntimeError(f, s, failure.error, failure.cause));
  }
  if (chosen != nullptr && chosen->assign && !Assign(f, *chosen->assign, effective, &failure)) {
    return FailFrame(f, StateRuntimeError(f, s, failure.error, failure.cause));
  }
  return ExitState(f, s, std::move(output), next);
}

Execution::Flow Execution::ExecuteWait(const FramePtr& f, const State& s) {
  Value effective;
  std::string error;
  if (!ApplyPathField(*f, s.input_path, f->input, &effective, &error)) {
    return HandleFailure(f, s, StateRuntimeError(*f, s, errors::kRuntime, error));
  }
  Instant now = host_.clock->Now();
  Instant due = now;
  if (s.seconds) {
    due = now + static_cast<Instant>(*s.seconds * kNanosPerSecond);
  } else if (s.timestamp) {
    due = asl::ParseTimestamp(*s.timestamp).value_or(now);
  } else if (s.seconds_path) {
    asl::PathField pf{asl::PathField::Kind::kPath, *s.seconds_path};
    Value v;
    if (!ApplyPathField(*f, pf, effective, &v, &error)) {
      return HandleFailure(f, s, StateRuntimeError(*f, s, errors::kRuntime, error));
    }
    if (!v.is_int()) {
      return HandleFailure(f, s, StateRuntimeError(*f, s, errors::kRuntime,
                                                   "The SecondsPath parameter does not reference a valid integer: " +
                                                       s.seconds_path->text() + " == " + asl::ToJson(v)));
    }
    if (v.AsInt() < 0) {
      return HandleFailure(f, s, StateRuntimeError(*f, s, errors::kRuntime,
                                                   "The SecondsPath parameter references a negative value: " +
                                                       s.seconds_path->text() + " == " + asl::ToJson(v)));
    }
    due = now + v.AsInt() * kNanosPerSecond;
  } else if (s.timestamp_path) {
    asl::PathField pf{asl::PathField::Kind::kPath, *s.timestamp_path};
    Value v;
    if (!ApplyPathField(*f, pf, effective, &v, &error)) {
      return HandleFailure(f, s, StateRuntimeError(*f, s, errors::kRuntime, error));
    }
    std::optional<asl::Instant> at = v.is_string() ? asl::ParseTimestamp(v.AsString()) : std::nullopt;
    if (!at) {
      return HandleFailure(
          f, s,
          StateRuntimeError(*f, s, errors::kRuntime,
                            "The TimestampPath parameter does not reference a valid ISO-8601 extended offset "
                            "date-time format string: " +
                                s.timestamp_path->text() + " == " + (v.is_string() ? v.AsString() : asl::ToJson(v))));
    }
    due = *at;
  }
  Value output;
  if (!ApplyPathField(*f, s.output_path, effective, &output, &error)) {
    return HandleFailure(f, s, StateRuntimeError(*f, s, errors::kRuntime, error));
  }
  Failure failure;
  if (s.assign && !Assign(*f, *s.assign, effective, &failure)) {
    return FailFrame(*f, StateRuntimeError(*f, s, failure.error, failure.cause));
  }
  return PauseInWait(f, s, due, std::move(output));
}

Execution::Flow Execution::PauseInWait(const FramePtr& f, const State& s, Instant due, Value output) {
  if (due <= host_.clock->Now()) return ExitState(*f, s, std::move(output), s.next_index);
  f->phase = Phase::kWait;
  f->due = due;
  f->wait_output = std::move(output);
  MarkDirty();
  ArmWait(f);
  return Flow::kPause;
}

void Execution::ArmWait(const FramePtr& f) {
  At(f->due, [this, f] {
    if (f->cancelled || finished() || f->phase != Phase::kWait) return;
    const State& state = f->machine->states[f->state_index];
    Value out = std::move(f->wait_output);
    f->wait_output = Value();
    if (ExitState(*f, state, std::move(out), state.next_index) == Flow::kContinue) Step(f);
  });
}

Execution::Flow Execution::ExecuteSucceed(Frame& f, const State& s) {
  Env(f);
  Value effective, output;
  std::string error;
  if (!ApplyPathField(f, s.input_path, f.input, &effective, &error) ||
      !ApplyPathField(f, s.output_path, effective, &output, &error)) {
    return FailFrame(f, StateRuntimeError(f, s, errors::kRuntime, error));
  }
  return ExitState(f, s, std::move(output), -1);
}

Execution::Flow Execution::ExecuteFail(Frame& f, const State& s) {
  asl::EvalEnv env = Env(f);
  Failure failure;
  auto resolve = [&](const std::optional<std::string>& literal, const std::optional<asl::Path>& path,
                     const std::optional<asl::IntrinsicCall>& call, std::string* out) -> bool {
    if (literal) {
      *out = *literal;
      return true;
    }
    Value v;
    if (path) {
      asl::PathField pf{asl::PathField::Kind::kPath, *path};
      std::string error;
      if (!ApplyPathField(f, pf, f.input, &v, &error)) {
        failure = StateRuntimeError(f, s, errors::kRuntime, error);
        return false;
      }
    } else if (call) {
      Failure call_failure;
      if (!call->Evaluate(f.input, env, &v, &call_failure)) {
        failure = StateRuntimeError(f, s, call_failure.error, call_failure.cause);
        return false;
      }
    } else {
      return true;
    }
    *out = v.is_string() ? v.AsString() : asl::ToJson(v);
    return true;
  };
  std::string error, cause;
  bool has_error = s.error || s.error_path || s.error_call;
  if (!resolve(s.error, s.error_path, s.error_call, &error) ||
      !resolve(s.cause, s.cause_path, s.cause_call, &cause)) {
    return FailFrame(f, failure);
  }
  // A Fail state without Error reports no error at all, as AWS records.
  return FailFrame(f, Failure{has_error ? error : std::string(), cause});
}

namespace {

// A Task state's resourceType and resource as its events give them, made once
// per machine and shared by every task's events. History names an integration
// "arn:aws:states:::lambda:invoke.waitForTaskToken" by its service ("lambda")
// and the rest ("invoke.waitForTaskToken").
const std::pair<Value, Value>& TaskResourceValues(ModelCache& cache, const State& s) {
  auto [it, inserted] = cache.task_resource.try_emplace(&s);
  if (inserted) {
    constexpr std::string_view kPrefix = "arn:aws:states:::";
    const std::string& resource = s.resource;
    std::string type = "lambda", name = resource;
    if (resource.rfind(kPrefix, 0) == 0) {
      size_t colon = resource.find(':', kPrefix.size());
      if (colon != std::string::npos) {
        type = resource.substr(kPrefix.size(), colon - kPrefix.size());
        name = resource.substr(colon + 1);
      }
    }
    it->second = {Str(std::move(type)), Str(std::move(name))};
  }
  return it->second;
}

std::vector<Field> ResourceFields(ModelCache& cache, const State& s) {
  const auto& [type, name] = TaskResourceValues(cache, s);
  return {{"resourceType", type}, {"resource", name}};
}

}  // namespace

Execution::Flow Execution::ExecuteTask(const FramePtr& f, const State& s) {
  auto attempt = std::make_shared<TaskWait>();
  if (IsWaitForTaskToken(s.resource)) {
    attempt->token = host_.new_token();
    f->task = attempt;  // $$.Task.Token is visible to Parameters
    if (s.reads_context) BuildContext(*f);
  }
  asl::EvalEnv env = Env(*f);
  Value effective;
  std::string error;
  if (!ApplyPathField(*f, s.input_path, f->input, &effective, &error)) {
    return HandleFailure(f, s, StateRuntimeError(*f, s, errors::kRuntime, error));
  }
  Value parameters = effective;
  Failure failure;
  if (s.parameters && !s.parameters->Evaluate(effective, env, &parameters, &failure)) {
    return HandleFailure(f, s, StateRuntimeError(*f, s, failure.error, failure.cause));
  }
  if (s.arguments && !EvalJsonata(*f, s, *s.arguments, "Arguments", nullptr, nullptr, &parameters, &failure)) {
    return HandleFailure(f, s, failure);
  }
  std::optional<double> timeout, heartbeat;
  if (!ResolveNumber(*f, s.timeout_seconds, effective, "TimeoutSeconds", true, &timeout, &error) ||
      !ResolveNumber(*f, s.heartbeat_seconds, effective, "HeartbeatSeconds", true, &heartbeat, &error)) {
    return HandleFailure(f, s, StateRuntimeError(*f, s, errors::kRuntime, error));
  }
  // A Lambda function ARN has its own event family on AWS; integrations use Task*.
  bool lambda = s.resource.rfind("arn:aws:lambda:", 0) == 0;
  EventType scheduled = lambda ? EventType::kLambdaFunctionScheduled : EventType::kTaskScheduled;
  EventType started = lambda ? EventType::kLambdaFunctionStarted : EventType::kTaskStarted;
  int64_t scheduled_id;
  attempt->parameters_text = std::make_shared<QuotedPayload>(parameters);
  if (lambda) {
    std::vector<Field> fields{{"resource", TaskResourceValues(*cache_, s).second},
                              {"input", Value(), kText, attempt->parameters_text}};
    if (timeout) fields.push_back({"timeoutInSeconds", Value::Int(static_cast<int64_t>(*timeout))});
    scheduled_id = Emit(f.get(), scheduled, Details("lambdaFunctionScheduledEventDetails", std::move(fields)));
  } else {
    std::vector<Field> fields = ResourceFields(*cache_, s);
    fields.push_back({"region", Str(host_.options->region)});
    fields.push_back({"parameters", Value(), kText, attempt->parameters_text});
    if (timeout) fields.push_back({"timeoutInSeconds", Value::Int(static_cast<int64_t>(*timeout))});
    if (heartbeat) fields.push_back({"heartbeatInSeconds", Value::Int(static_cast<int64_t>(*heartbeat))});
    scheduled_id = Emit(f.get(), scheduled, Details("taskScheduledEventDetails", std::move(fields)));
  }
  Instant now = host_.event_time();  // the scheduled event's time
  attempt->parameters = parameters;
  attempt->lambda = lambda;
  if (timeout) attempt->timeout_due = now + static_cast<Instant>(*timeout * kNanosPerSecond);
  if (heartbeat) {
    attempt->heartbeat_seconds = static_cast<int64_t>(*heartbeat);
    attempt->heartbeat_due = now + attempt->heartbeat_seconds * kNanosPerSecond;
  }
  f->task = attempt;
  f->phase = Phase::kTask;
  if (!host_.serves(s.resource)) {
    SettleTask(f, TaskOutcome{false, Value(),
                              Failure{errors::kTaskFailed,
                                      "No task handler or endpoint serves the resource '" + s.resource + "'."}});
    return Flow::kPause;
  }
  if (!attempt->token.empty()) {
    pending_tokens_.push_back(storage::TaskTokenRecord{attempt->token, record_.arn, s.name, scheduled_id,
                                                       storage::TaskTokenStatus::kPending, now});
  }
  if (lambda) {
    Emit(f.get(), started, nullptr, Value());
  } else {
    Emit(f.get(), started, Details("taskStartedEventDetails", ResourceFields(*cache_, s)));
  }
  SendTask(f);
  ArmTaskTimers(f);
  return Flow::kPause;
}

void Execution::SendTask(const FramePtr& f) {
  const State& s = f->machine->states[f->state_index];
  std::shared_ptr<TaskWait> attempt = f->task;
  TaskInvocation invocation;
  invocation.resource = s.resource;
  invocation.parameters = attempt->parameters;
  invocation.execution_arn = record_.arn;
  invocation.state_name = s.name;
  invocation.attempt = f->retry_count;
  std::string& key = invocation.idempotency_key;
  const std::string entered = std::to_string(f->entered_event_id), attempt_number = std::to_string(f->retry_count);
  key.reserve(record_.arn.size() + entered.size() + attempt_number.size() + 2);
  key.append(record_.arn).append("/").append(entered).append("/").append(attempt_number);
  invocation.task_token = attempt->token;
  if (attempt->timeout_due != 0) {
    invocation.timeout_ms = std::max<int64_t>(1, (attempt->timeout_due - host_.clock->Now()) / 1000000);
  }
  ++active_;
  MarkDirty();  // a resumed attempt has no new event to carry it
  // Sent once the step that scheduled it is durable (the transactional outbox).
  // Each hop moves its captures on: an effect runs once, and so does its answer.
  effects_.push_back(
      [this, alive = std::weak_ptr<char>(alive_), f, attempt, invocation = std::move(invocation)]() mutable {
        if (alive.expired()) return;
        if (attempt->settled || f->cancelled || finished()) {
          --active_;
          return;
        }
        host_.dispatch(invocation, [this, alive = std::move(alive), f = std::move(f),
                                    attempt = std::move(attempt)](TaskOutcome outcome) mutable {
          host_.post([this, alive = std::move(alive), f = std::move(f), attempt = std::move(attempt),
                      outcome = std::move(outcome)]() mutable {
            if (alive.expired()) return;
            --active_;
            OnTaskResponse(f, attempt, std::move(outcome));
          });
        });
      });
}

void Execution::OnTaskResponse(const FramePtr& f, const std::shared_ptr<TaskWait>& attempt, TaskOutcome outcome) {
  if (attempt->settled || f->task != attempt || f->cancelled || finished()) return;
  if (attempt->token.empty() || !outcome.ok) {
    SettleTask(f, std::move(outcome));
    return;
  }
  // The request carrying the token was accepted: the task now waits for SendTask*.
  attempt->delivered = true;
  const State& s = f->machine->states[f->state_index];
  std::vector<Field> fields = ResourceFields(*cache_, s);
  fields.push_back({"output", outcome.result, kPayload});
  Emit(f.get(), EventType::kTaskSubmitted, Details("taskSubmittedEventDetails", std::move(fields)));
}

void Execution::ArmTaskTimers(const FramePtr& f) {
  std::shared_ptr<TaskWait> attempt = f->task;
  if (attempt->timeout_due != 0) {
    At(attempt->timeout_due, [this, f, attempt] {
      if (attempt->settled || f->task != attempt || f->cancelled || finished()) return;
      SettleTask(f, TaskOutcome{false, Value(), Failure{errors::kTimeout, "The task timed out."}});
    });
  }
  if (attempt->heartbeat_due != 0) {
    // Each firing checks the latest heartbeat and sleeps again when one came.
    auto check = std::make_shared<std::function<void()>>();
    *check = [this, f, attempt, weak = std::weak_ptr<std::function<void()>>(check)] {
      if (attempt->settled || f->task != attempt || f->cancelled || finished()) return;
      if (host_.clock->Now() < attempt->heartbeat_due) {
        if (auto again = weak.lock()) At(attempt->heartbeat_due, [again] { (*again)(); });
        return;
      }
      SettleTask(f, TaskOutcome{false, Value(), Failure{errors::kHeartbeatTimeout, "The task heartbeat timed out."}});
    };
    At(attempt->heartbeat_due, [check] { (*check)(); });
  }
}

void Execution::SettleTask(const FramePtr& f, TaskOutcome outcome) {
  std::shared_ptr<TaskWait> attempt = f->task;
  attempt->settled = true;
  const State& state = f->machine->states[f->state_index];
  if (!attempt->token.empty()) {
    storage::TaskTokenStatus status = outcome.ok ? storage::TaskTokenStatus::kSucceeded
                                      : outcome.failure.error == errors::kTimeout ||
                                              outcome.failure.error == errors::kHeartbeatTimeout
                                          ? storage::TaskTokenStatus::kTimedOut
                                          : storage::TaskTokenStatus::kFailed;
    pending_tokens_.push_back(storage::TaskTokenRecord{attempt->token, record_.arn, state.name, f->entered_event_id,
                                                       status, host_.clock->Now()});
  }
  bool lambda = attempt->lambda;
  Flow flow;
  if (outcome.ok) {
    if (lambda) {
      Emit(f.get(), EventType::kLambdaFunctionSucceeded,
           Details("lambdaFunctionSucceededEventDetails", {{"output", outcome.result, kPayload}}));
    } else {
      std::vector<Field> fields = ResourceFields(*cache_, state);
      fields.push_back({"output", outcome.result, kPayload});
      Emit(f.get(), EventType::kTaskSucceeded, Details("taskSucceededEventDetails", std::move(fields)));
    }
    flow = CompleteWithResult(*f, state, outcome.result, true);
  } else {
    bool timed_out = outcome.failure.error == errors::kTimeout || outcome.failure.error == errors::kHeartbeatTimeout;
    std::vector<Field> fields;
    if (!lambda) fields = ResourceFields(*cache_, state);
    fields.push_back({"error", Str(outcome.failure.error)});
    fields.push_back({"cause", Str(outcome.failure.cause)});
    EventType type = lambda ? (timed_out ? EventType::kLambdaFunctionTimedOut : EventType::kLambdaFunctionFailed)
                            : (timed_out ? EventType::kTaskTimedOut : EventType::kTaskFailed);
    const char* key = lambda ? (timed_out ? "lambdaFunctionTimedOutEventDetails" : "lambdaFunctionFailedEventDetails")
                             : (timed_out ? "taskTimedOutEventDetails" : "taskFailedEventDetails");
    Emit(f.get(), type, Details(key, std::move(fields)));
    flow = HandleFailure(f, state, outcome.failure);
  }
  if (flow == Flow::kContinue) Step(f);
}

Status Execution::CompleteTask(const std::string& token, TaskOutcome outcome) {
  Frame* frame = root_ ? FindTokenFrame(*root_, token) : nullptr;
  if (frame == nullptr || finished()) return Status::Conflict("the task of this token is no longer waiting");
  SettleTask(frame->shared_from_this(), std::move(outcome));
  return Status::OK();
}

Status Execution::Heartbeat(const std::string& token) {
  Frame* frame = root_ ? FindTokenFrame(*root_, token) : nullptr;
  if (frame == nullptr || finished()) return Status::Conflict("the task of this token is no longer waiting");
  if (frame->task->heartbeat_seconds > 0) {
    frame->task->heartbeat_due = host_.clock->Now() + frame->task->heartbeat_seconds * kNanosPerSecond;
    MarkDirty();
  }
  return Status::OK();
}

Frame* Execution::FindTokenFrame(const Frame& f, const std::string& token) {
  if (f.done || f.cancelled) return nullptr;
  if (f.phase == Phase::kTask && f.task && f.task->token == token && !f.task->settled) {
    return const_cast<Frame*>(&f);
  }
  for (const FramePtr& child : f.children) {
    if (Frame* found = FindTokenFrame(*child, token)) return found;
  }
  return nullptr;
}

Execution::Flow Execution::ExecuteParallel(const FramePtr& f, const State& s) {
  asl::EvalEnv env = Env(*f);
  Value effective;
  std::string error;
  if (!ApplyPathField(*f, s.input_path, f->input, &effective, &error)) {
    return HandleFailure(f, s, StateRuntimeError(*f, s, errors::kRuntime, error));
  }
  Value branch_input = effective;
  Failure failure;
  if (s.parameters && !s.parameters->Evaluate(effective, env, &branch_input, &failure)) {
    return HandleFailure(f, s, StateRuntimeError(*f, s, failure.error, failure.cause));
  }
  if (s.arguments && !EvalJsonata(*f, s, *s.arguments, "Arguments", nullptr, nullptr, &branch_input, &failure)) {
    return HandleFailure(f, s, failure);
  }
  Emit(f.get(), EventType::kParallelStateStarted, nullptr, Value());
  f->children.clear();
  if (s.branches.empty()) return CompleteWithResult(*f, s, Value::MakeArray({}), true);
  auto join = std::make_shared<Join>();
  join->results.resize(s.branches.size());
  join->finished.assign(s.branches.size(), false);
  join->remaining = s.branches.size();
  f->join = join;
  f->phase = Phase::kParallel;
  for (size_t i = 0; i < s.branches.size(); ++i) {
    auto child = std::make_shared<Frame>();
    child->machine = s.branches[i].get();
    child->state_index = child->machine->start_index;
    child->input = branch_input;
    child->scope = std::make_shared<asl::VariableScope>();
    child->scope->parent = f->scope.get();
    child->silent = f->silent;
    child->last_event_id = f->last_event_id;
    child->child_index = i;
    WatchBranch(f, child);
    f->children.push_back(child);
    Post(child);
  }
  return Flow::kPause;
}

void Execution::WatchBranch(const FramePtr& f, const FramePtr& child) {
  // Children point at their parent raw: the parent owns them, never the reverse.
  Frame* parent = f.get();
  size_t i = child->child_index;
  child->on_done = [this, parent, i](bool ok, const Value& output, const Failure& failure) {
    Join* join = parent->join.get();
    if (join == nullptr || join->failed || parent->cancelled || finished()) return;
    FramePtr f = parent->shared_from_this();
    const State& state = f->machine->states[f->state_index];
    if (!ok) {
      join->failed = true;
      CancelFrame(*f);
      f->cancelled = false;
      if (HandleFailure(f, state, failure, /*children_failed=*/true) == Flow::kContinue) Post(f);
      return;
    }
    join->results[i] = output;
    join->finished[i] = true;
    if (--join->remaining > 0) return;
    // AWS records no ParallelStateSucceeded: the join goes straight to ParallelStateExited.
    if (CompleteWithResult(*f, state, Value::MakeArray(std::move(join->results)), true) == Flow::kContinue) {
      Post(f);
    }
  };
}

Execution::Flow Execution::ExecuteMap(const FramePtr& f, const State& s) {
  Value effective;
  std::string error;
  if (!ApplyPathField(*f, s.input_path, f->input, &effective, &error)) {
    return HandleFailure(f, s, StateRuntimeError(*f, s, errors::kRuntime, error));
  }
  Value items;
  bool jsonata = s.query_language == asl::QueryLanguage::kJsonata;
  Failure items_failure;
  if (jsonata && s.jsonata_items) {
    if (!EvalJsonata(*f, s, *s.jsonata_items, "Items", nullptr, nullptr, &items, &items_failure)) {
      return HandleFailure(f, s, items_failure);
    }
    const std::string* text = cache_->jsonata[&*s.jsonata_items].whole_expression();
    if (!items.is_array() && text != nullptr) {
      return HandleFailure(f, s, StateRuntimeError(*f, s, errors::kQueryEvaluationError,
                                                   "The JSONata expression '" + *text +
                                                       "' specified for the field 'Items' returned an unexpected "
                                                       "result type. Expected 'array', but was '" +
                                                       asl::TypeName(items.type()) + "' for value: " +
                                                       asl::ToJson(items)));
    }
  } else if (!ApplyPathField(*f, s.items_path, effective, &items, &error)) {
    return HandleFailure(f, s, StateRuntimeError(*f, s, errors::kRuntime, error));
  }
  if (!items.is_array()) {
    return HandleFailure(f, s, StateRuntimeError(*f, s, jsonata ? errors::kQueryEvaluationError : errors::kRuntime,
                                                 "Map state input must be an array but was: " + asl::ToJson(items)));
  }
  std::optional<double> max_concurrency, tolerated_count, tolerated_percentage;
  if (!ResolveNumber(*f, s.max_concurrency, effective, "MaxConcurrency", true, &max_concurrency, &error)) {
    return HandleFailure(f, s, StateRuntimeError(*f, s, errors::kRuntime, error));
  }
  const asl::Array& list = items.AsArray();
  // AWS starts the Map before it checks the tolerated-failure fields.
  Emit(f.get(), EventType::kMapStateStarted, "mapStateStartedEventDetails",
       Obj({{"length", Value::Int(static_cast<int64_t>(list.size()))}}));
  if (!ResolveNumber(*f, s.tolerated_failure_count, effective, "ToleratedFailureCount", true, &tolerated_count,
                     &error) ||
      !ResolveNumber(*f, s.tolerated_failure_percentage, effective, "ToleratedFailurePercentage", false,
                     &tolerated_percentage, &error)) {
    return HandleFailure(f, s, StateRuntimeError(*f, s, errors::kRuntime, error));
  }
  if (tolerated_count && *tolerated_count < 0) {
    return HandleFailure(f, s, StateRuntimeError(*f, s, errors::kRuntime, "ToleratedFailureCount cannot be negative."));
  }
  if (tolerated_percentage && (*tolerated_percentage < 0 || *tolerated_percentage > 100)) {
    return HandleFailure(f, s, StateRuntimeError(*f, s, errors::kRuntime,
                                                 "ToleratedFailurePercentage must be between 0 and 100."));
  }
  if (s.distributed) Emit(f.get(), EventType::kMapRunStarted, nullptr, Value());

  auto fan = std::make_shared<Fanout>();
  fan->items = items;
  fan->effective = effective;
  fan->results.resize(list.size());
  fan->limit = max_concurrency && *max_concurrency > 0 ? static_cast<size_t>(*max_concurrency) : 0;
  fan->tolerated_count = tolerated_count;
  fan->tolerated_percentage = tolerated_percentage;
  f->children.clear();
  f->fanout = fan;
  f->phase = Phase::kMap;
  WireFanout(f);
  if (list.empty()) {
    fan->finish(nullptr);
    return Flow::kPause;
  }
  fan->launch();
  return Flow::kPause;
}

void Execution::WireFanout(const FramePtr& f) {
  // Closures hold the frame and the fanout raw: the frame owns both the fanout and
  // its children, so no cycle keeps a finished Map alive.
  Frame* parent = f.get();
  Fanout* fp = f->fanout.get();
  const State* state = &f->machine->states[f->state_index];
  bool tolerance = fp->tolerated_count.has_value() || fp->tolerated_percentage.has_value();

  fp->finish = [this, parent, state, fp, tolerance](const Failure* failure) {
    fp->over = true;
    FramePtr f = parent->shared_from_this();
    Flow flow;
    if (failure != nullptr) {
      CancelFrame(*f);
      f->cancelled = false;
      if (state->distributed) Emit(f.get(), EventType::kMapRunFailed, nullptr, Value());
      Failure reported = tolerance ? Failure{errors::kExceedToleratedFailureThreshold,
                                             "The specified tolerated failure threshold was exceeded"}
                                   : *failure;
      flow = HandleFailure(f, *state, reported, /*children_failed=*/true);
    } else {
      if (state->distributed) Emit(f.get(), EventType::kMapRunSucceeded, nullptr, Value());
      Emit(f.get(), EventType::kMapStateSucceeded, nullptr, Value());
      flow = CompleteWithResult(*f, *state, Value::MakeArray(std::move(fp->results)), true);
    }
    if (flow == Flow::kContinue) Post(f);
  };

  fp->launch = [this, parent, state, fp]() {
    const asl::Array& list = fp->items.AsArray();
    while (!fp->over && fp->next < list.size() && (fp->limit == 0 || fp->running < fp->limit)) {
      size_t index = fp->next++;
      ++fp->running;
      auto child = std::make_shared<Frame>();
      child->machine = state->item_processor.get();
      child->state_index = child->machine->start_index;
      child->scope = std::make_shared<asl::VariableScope>();
      child->scope->parent = parent->scope.get();
      child->silent = parent->silent || state->distributed;
      child->child_index = index;
      Value input = list[index];
      if (state->jsonata_item_selector) {
        parent->map_item = Obj({{"Index", Value::Int(static_cast<int64_t>(index))}, {"Value", list[index]}});
        BuildContext(*parent);
        Failure failure;
        bool ok = EvalJsonata(*parent, *state, *state->jsonata_item_selector, "ItemSelector", nullptr, nullptr,
                              &input, &failure);
        parent->map_item = Value();
        BuildContext(*parent);
        if (!ok) {
          fp->finish(&failure);
          return;
        }
      } else if (state->parameters) {
        parent->map_item = Obj({{"Index", Value::Int(static_cast<int64_t>(index))}, {"Value", list[index]}});
        BuildContext(*parent);
        Failure failure;
        bool ok = state->parameters->Evaluate(fp->effective, Env(*parent), &input, &failure);
        parent->map_item = Value();
        BuildContext(*parent);
        if (!ok) {
          Failure runtime = StateRuntimeError(*parent, *state, failure.error, failure.cause);
          fp->finish(&runtime);
          return;
        }
      }
      child->input = input;
      // A distributed Map's iterations are child executions of its Map Run, not events here.
      if (!state->distributed) {
        Emit(parent, EventType::kMapIterationStarted, "mapIterationStartedEventDetails",
             Obj({{"name", Str(state->name)}, {"index", Value::Int(static_cast<int64_t>(index))}}));
      }
      child->last_event_id = parent->last_event_id;
      WatchIteration(parent->shared_from_this(), child);
      parent->children.push_back(child);
      Post(child);
    }
  };
}

void Execution::WatchIteration(const FramePtr& f, const FramePtr& child) {
  Frame* parent = f.get();
  size_t index = child->child_index;
  child->on_done = [this, parent, index](bool ok, const Value& output, const Failure& failure) {
    Fanout* fp = parent->fanout.get();
    if (fp == nullptr || fp->over || parent->cancelled || finished()) return;
    const State* state = &parent->machine->states[parent->state_index];
    --fp->running;
    ++fp->finished;
    Value details = Obj({{"name", Str(state->name)}, {"index", Value::Int(static_cast<int64_t>(index))}});
    if (ok) {
      fp->results[index] = output;
      if (!state->distributed) {
        Emit(parent, EventType::kMapIterationSucceeded, "mapIterationSucceededEventDetails", details);
      }
    } else {
      ++fp->failed;
      if (!state->distributed) {
        Emit(parent, EventType::kMapIterationFailed, "mapIterationFailedEventDetails", details);
      }
      double total = static_cast<double>(fp->items.AsArray().size());
      double failed = static_cast<double>(fp->failed);
      bool within = (fp->tolerated_count && failed <= *fp->tolerated_count) ||
                    (fp->tolerated_percentage && 100.0 * failed / total <= *fp->tolerated_percentage);
      if (!within) {
        fp->finish(&failure);
        return;
      }
      fp->results[index] = Obj({{"Error", Str(failure.error)}, {"Cause", Str(failure.cause)}});
    }
    if (fp->finished == fp->items.AsArray().size()) {
      fp->finish(nullptr);
      return;
    }
    Later([parent, weak = std::weak_ptr<Fanout>(parent->fanout)] {
      std::shared_ptr<Fanout> fan = weak.lock();
      if (fan && !fan->over && !parent->cancelled) fan->launch();
    });
  };
}

}  // namespace stepflow::engine
