// An execution's checkpoint: the tree of its frames and what each waits for,
// as JSON. Written with every commit; a restarted engine loads it and re-arms
// each wait (timers at their original due times, tasks sent again).
#include <algorithm>
#include <optional>

#include "execution.h"
#include "json_writer.h"
#include "stepflow/asl/json.h"

namespace stepflow::engine {

using asl::Value;

namespace {

constexpr int64_t kCheckpointVersion = 1;

int64_t GetInt(const Value& v, std::string_view key, int64_t fallback = 0) {
  const Value* m = v.Find(key);
  return m != nullptr && m->is_int() ? m->AsInt() : fallback;
}

Value Get(const Value& v, std::string_view key) {
  const Value* m = v.Find(key);
  return m != nullptr ? *m : Value();
}

// A payload written as JSON under `key`, or as JSON text in a string under
// `quoted_key`; false when that text is not JSON.
bool GetPayload(const Value& v, std::string_view key, std::string_view quoted_key, Value* out) {
  const Value* quoted = v.Find(quoted_key);
  if (quoted == nullptr) {
    *out = Get(v, key);
    return true;
  }
  asl::JsonError error;
  return quoted->is_string() && asl::ParseJson(quoted->AsString(), out, &error);
}

std::optional<double> GetOptDouble(const Value& v, std::string_view key) {
  const Value* m = v.Find(key);
  if (m == nullptr || !m->is_number()) return std::nullopt;
  return m->AsDouble();
}

// A frame as its checkpoint records it, copied at commit (values are shared,
// so the copy is cheap) and written as JSON when the store asks: the frames
// change on after the commit that carries it.
struct FrameSnapshot {
  int state_index = 0;
  Value input;
  std::shared_ptr<const QuotedPayload> input_text;  // `input` as its entered event has it, when known
  int64_t last_event_id = 0;
  int64_t entered_event_id = 0;
  Instant entered_time = 0;
  std::vector<int64_t> retry_attempts;
  int64_t retry_count = 0;
  size_t child_index = 0;
  Phase phase = Phase::kReady;
  Value variables;
  Value map_item;
  bool silent = false;
  Instant due = 0;
  Value wait_output;
  std::optional<TaskWait> task;
  std::vector<Value> join_results;  // null where a branch has not finished
  std::vector<bool> join_finished;
  size_t join_remaining = 0;
  std::optional<Fanout> fanout;  // its counters, items and results; no callbacks
  std::vector<FrameSnapshot> children;
};

FrameSnapshot Snapshot(const Frame& f) {
  FrameSnapshot s;
  s.state_index = f.state_index;
  s.input = f.input;
  s.input_text = f.input_text;
  s.last_event_id = f.last_event_id;
  s.entered_event_id = f.entered_event_id;
  s.entered_time = f.entered_time;
  s.retry_attempts = f.retry_attempts;
  s.retry_count = f.retry_count;
  s.child_index = f.child_index;
  s.phase = f.phase;
  s.variables = f.scope->variables;
  s.map_item = f.map_item;
  s.silent = f.silent;
  switch (f.phase) {
    case Phase::kReady:
      break;
    case Phase::kWait:
      s.due = f.due;
      s.wait_output = f.wait_output;
      break;
    case Phase::kRetry:
      s.due = f.due;
      break;
    case Phase::kTask:
      s.task = *f.task;
      break;
    case Phase::kParallel: {
      const Join& j = *f.join;
      for (size_t i = 0; i < j.results.size(); ++i) s.join_results.push_back(j.finished[i] ? j.results[i] : Value());
      s.join_finished = j.finished;
      s.join_remaining = j.remaining;
      break;
    }
    case Phase::kMap: {
      const Fanout& m = *f.fanout;
      Fanout& copy = s.fanout.emplace();
      copy.items = m.items;
      copy.effective = m.effective;
      copy.results = m.results;
      copy.next = m.next;
      copy.running = m.running;
      copy.finished = m.finished;
      copy.failed = m.failed;
      copy.limit = m.limit;
      copy.tolerated_count = m.tolerated_count;
      copy.tolerated_percentage = m.tolerated_percentage;
      break;
    }
  }
  if (f.phase == Phase::kParallel || f.phase == Phase::kMap) {
    for (const FramePtr& child : f.children) {
      if (!child->done && !child->cancelled) s.children.push_back(Snapshot(*child));
    }
  }
  return s;
}

void AppendFrame(const FrameSnapshot& f, std::string* out) {
  ObjectWriter o(out);
  o.Int("s", f.state_index);
  // A payload its event has written already goes in as that text ("inq": JSON
  // text in a string), not written again.
  if (f.input_text) {
    *o.Key("inq") += f.input_text->Text();
  } else {
    o.Json("in", f.input);
  }
  o.Int("l", f.last_event_id);
  o.Int("e", f.entered_event_id);
  o.Int("t", f.entered_time);
  o.Array("ra", f.retry_attempts, AppendInt);
  o.Int("rc", f.retry_count);
  o.Int("ci", static_cast<int64_t>(f.child_index));
  o.Int("p", static_cast<int64_t>(f.phase));
  if (!f.variables.is_null()) o.Json("vars", f.variables);
  if (!f.map_item.is_null()) o.Json("mi", f.map_item);
  if (f.silent) o.Bool("sil", true);
  switch (f.phase) {
    case Phase::kReady:
      break;
    case Phase::kWait:
      o.Int("due", f.due);
      o.Json("out", f.wait_output);
      break;
    case Phase::kRetry:
      o.Int("due", f.due);
      break;
    case Phase::kTask: {
      const TaskWait& t = *f.task;
      ObjectWriter task(o.Key("task"));
      if (t.parameters_text) {
        *task.Key("parq") += t.parameters_text->Text();
      } else {
        task.Json("par", t.parameters);
      }
      task.Bool("lambda", t.lambda);
      task.Int("tdue", t.timeout_due);
      task.Int("hb", t.heartbeat_seconds);
      task.Int("hdue", t.heartbeat_due);
      asl::AppendJsonString(t.token, task.Key("token"));
      task.Bool("sent", t.delivered);
      break;
    }
    case Phase::kParallel: {
      ObjectWriter join(o.Key("join"));
      join.Array("res", f.join_results, asl::AppendJson);
      join.Array("fin", f.join_finished, AppendBool);
      join.Int("rem", static_cast<int64_t>(f.join_remaining));
      break;
    }
    case Phase::kMap: {
      const Fanout& m = *f.fanout;
      ObjectWriter fan(o.Key("fan"));
      fan.Json("items", m.items);
      fan.Json("eff", m.effective);
      fan.Array("res", m.results, asl::AppendJson);
      fan.Int("next", static_cast<int64_t>(m.next));
      fan.Int("run", static_cast<int64_t>(m.running));
      fan.Int("fin", static_cast<int64_t>(m.finished));
      fan.Int("fail", static_cast<int64_t>(m.failed));
      fan.Int("lim", static_cast<int64_t>(m.limit));
      if (m.tolerated_count) fan.Json("tc", Value::Number(*m.tolerated_count));
      if (m.tolerated_percentage) fan.Json("tp", Value::Number(*m.tolerated_percentage));
      break;
    }
  }
  if (f.phase == Phase::kParallel || f.phase == Phase::kMap) o.Array("ch", f.children, AppendFrame);
}

class CheckpointJson final : public storage::DeferredJson {
 public:
  CheckpointJson(int64_t next_event_id, Instant timeout_due, std::optional<FrameSnapshot> root)
      : next_event_id_(next_event_id), timeout_due_(timeout_due), root_(std::move(root)) {}
  void AppendTo(std::string* out) const override {
    ObjectWriter top(out);
    top.Int("v", kCheckpointVersion);
    top.Int("next", next_event_id_);
    top.Int("tmo", timeout_due_);
    if (root_) AppendFrame(*root_, top.Key("root"));
  }

 private:
  int64_t next_event_id_;
  Instant timeout_due_;
  std::optional<FrameSnapshot> root_;
};

}  // namespace

std::shared_ptr<const storage::DeferredJson> Execution::Checkpoint() const {
  std::optional<FrameSnapshot> root;
  if (root_) root = Snapshot(*root_);
  return std::make_shared<CheckpointJson>(next_event_id_, timeout_due_, std::move(root));
}

StatusOr<FramePtr> Execution::LoadFrame(const Value& v, const asl::StateMachine* machine, Frame* parent) {
  auto bad = [&](const std::string& what) {
    return Status::Corruption("the checkpoint of " + record_.arn + " is damaged: " + what);
  };
  if (!v.is_object()) return bad("a frame is not an object");
  auto f = std::make_shared<Frame>();
  f->machine = machine;
  f->state_index = static_cast<int>(GetInt(v, "s", -1));
  if (f->state_index < 0 || f->state_index >= static_cast<int>(machine->states.size())) {
    return bad("state index out of range");
  }
  if (!GetPayload(v, "in", "inq", &f->input)) return bad("a frame's input is not JSON");
  f->scope = std::make_shared<asl::VariableScope>();
  f->scope->variables = Get(v, "vars");
  if (parent != nullptr) f->scope->parent = parent->scope.get();
  f->last_event_id = GetInt(v, "l");
  f->entered_event_id = GetInt(v, "e");
  f->entered_time = GetInt(v, "t");
  for (const Value& a : Get(v, "ra").is_array() ? Get(v, "ra").AsArray() : asl::Array()) {
    f->retry_attempts.push_back(a.is_int() ? a.AsInt() : 0);
  }
  const asl::State& s = machine->states[f->state_index];
  f->retry_attempts.resize(s.retry.size(), 0);
  f->retry_count = GetInt(v, "rc");
  f->child_index = static_cast<size_t>(GetInt(v, "ci"));
  f->map_item = Get(v, "mi");
  f->silent = Get(v, "sil").is_bool() && Get(v, "sil").AsBool();
  int64_t phase = GetInt(v, "p", -1);
  if (phase < 0 || phase > static_cast<int64_t>(Phase::kMap)) return bad("unknown phase");
  f->phase = static_cast<Phase>(phase);
  switch (f->phase) {
    case Phase::kReady:
      break;
    case Phase::kWait:
      f->due = GetInt(v, "due");
      f->wait_output = Get(v, "out");
      break;
    case Phase::kRetry:
      f->due = GetInt(v, "due");
      break;
    case Phase::kTask: {
      Value t = Get(v, "task");
      if (!t.is_object()) return bad("a task frame has no task");
      f->task = std::make_shared<TaskWait>();
      if (!GetPayload(t, "par", "parq", &f->task->parameters)) return bad("a task's parameters are not JSON");
      f->task->lambda = Get(t, "lambda").is_bool() && Get(t, "lambda").AsBool();
      f->task->timeout_due = GetInt(t, "tdue");
      f->task->heartbeat_seconds = GetInt(t, "hb");
      f->task->heartbeat_due = GetInt(t, "hdue");
      f->task->token = Get(t, "token").is_string() ? Get(t, "token").AsString() : "";
      f->task->delivered = Get(t, "sent").is_bool() && Get(t, "sent").AsBool();
      break;
    }
    case Phase::kParallel: {
      Value j = Get(v, "join");
      Value res = Get(j, "res"), fin = Get(j, "fin");
      if (!res.is_array() || !fin.is_array() || res.AsArray().size() != s.branches.size() ||
          fin.AsArray().size() != s.branches.size()) {
        return bad("a Parallel frame's join does not match its branches");
      }
      f->join = std::make_shared<Join>();
      f->join->results.assign(res.AsArray().begin(), res.AsArray().end());
      for (const Value& b : fin.AsArray()) f->join->finished.push_back(b.is_bool() && b.AsBool());
      f->join->remaining = static_cast<size_t>(GetInt(j, "rem"));
      break;
    }
    case Phase::kMap: {
      Value m = Get(v, "fan");
      Value items = Get(m, "items"), res = Get(m, "res");
      if (!items.is_array() || !res.is_array() || res.AsArray().size() != items.AsArray().size() ||
          !s.item_processor) {
        return bad("a Map frame's items do not match its results");
      }
      f->fanout = std::make_shared<Fanout>();
      Fanout& fan = *f->fanout;
      fan.items = items;
      fan.effective = Get(m, "eff");
      fan.results.assign(res.AsArray().begin(), res.AsArray().end());
      fan.next = static_cast<size_t>(GetInt(m, "next"));
      fan.running = static_cast<size_t>(GetInt(m, "run"));
      fan.finished = static_cast<size_t>(GetInt(m, "fin"));
      fan.failed = static_cast<size_t>(GetInt(m, "fail"));
      fan.limit = static_cast<size_t>(GetInt(m, "lim"));
      fan.tolerated_count = GetOptDouble(m, "tc");
      fan.tolerated_percentage = GetOptDouble(m, "tp");
      break;
    }
  }
  if (f->phase == Phase::kParallel || f->phase == Phase::kMap) {
    Value children = Get(v, "ch");
    if (!children.is_array()) return bad("a Parallel or Map frame has no children");
    for (const Value& c : children.AsArray()) {
      size_t index = static_cast<size_t>(GetInt(c, "ci"));
      const asl::StateMachine* child_machine = nullptr;
      if (f->phase == Phase::kParallel) {
        if (index >= s.branches.size()) return bad("branch index out of range");
        child_machine = s.branches[index].get();
      } else {
        if (index >= f->fanout->items.AsArray().size()) return bad("item index out of range");
        child_machine = s.item_processor.get();
      }
      StatusOr<FramePtr> child = LoadFrame(c, child_machine, f.get());
      if (!child.ok()) return child.status();
      f->children.push_back(*child);
    }
  }
  return f;
}

Status Execution::Resume(const std::string& checkpoint) {
  if (checkpoint.empty()) {  // created, but its first step was never committed
    Start();
    return Status::OK();
  }
  Value top;
  asl::JsonError error;
  if (!asl::ParseJson(checkpoint, &top, &error)) {
    return Status::Corruption("the checkpoint of " + record_.arn + " is not JSON: " + error.message);
  }
  if (GetInt(top, "v") != kCheckpointVersion) {
    return Status::InvalidArgument("the checkpoint of " + record_.arn + " has version " +
                                   std::to_string(GetInt(top, "v")) + ", which this stepflow cannot resume");
  }
  // The store refuses the next commit if the history moved on without it.
  next_event_id_ = GetInt(top, "next", 1);
  flushed_event_id_ = next_event_id_ - 1;
  timeout_due_ = GetInt(top, "tmo");
  StatusOr<FramePtr> root = LoadFrame(Get(top, "root"), machine_.get(), nullptr);
  if (!root.ok()) return root.status();
  root_ = *root;
  WatchRoot();
  ArmExecutionTimeout();
  ResumeFrame(root_);
  return Status::OK();
}

void Execution::ResumeFrame(const FramePtr& f) {
  const asl::State& s = f->machine->states[f->state_index];
  if (f->phase != Phase::kReady && s.reads_context) BuildContext(*f);
  switch (f->phase) {
    case Phase::kReady:
      Post(f);
      break;
    case Phase::kWait:
      ArmWait(f);
      break;
    case Phase::kRetry:
      ScheduleRetry(f);
      break;
    case Phase::kTask:
      // At least once: an attempt whose answer was not recorded goes out again.
      if (!f->task->delivered) SendTask(f);
      ArmTaskTimers(f);
      break;
    case Phase::kParallel:
      for (const FramePtr& child : f->children) {
        WatchBranch(f, child);
        ResumeFrame(child);
      }
      break;
    case Phase::kMap:
      WireFanout(f);
      for (const FramePtr& child : f->children) {
        WatchIteration(f, child);
        ResumeFrame(child);
      }
      Later([f] {
        if (!f->fanout->over && !f->cancelled) f->fanout->launch();
      });
      break;
  }
}

Instant Execution::next_due() const {
  Instant best = timeout_due_;
  auto consider = [&best](Instant due) {
    if (due != 0 && (best == 0 || due < best)) best = due;
  };
  std::vector<const Frame*> stack;
  if (root_) stack.push_back(root_.get());
  while (!stack.empty()) {
    const Frame* f = stack.back();
    stack.pop_back();
    if (f->done || f->cancelled) continue;
    if (f->phase == Phase::kWait || f->phase == Phase::kRetry) consider(f->due);
    if (f->phase == Phase::kTask && f->task) {
      consider(f->task->timeout_due);
      consider(f->task->heartbeat_due);
    }
    for (const FramePtr& child : f->children) stack.push_back(child.get());
  }
  return best;
}

}  // namespace stepflow::engine
