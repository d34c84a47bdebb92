// An execution's checkpoint: the tree of its frames and what each waits for,
// as JSON. Written with every commit; a restarted engine loads it and re-arms
// each wait (timers at their original due times, tasks sent again).
#include <algorithm>

#include "execution.h"
#include "stepflow/asl/json.h"

namespace stepflow::engine {

using asl::Value;

namespace {

constexpr int64_t kCheckpointVersion = 1;

Value Int(int64_t i) { return Value::Int(i); }

int64_t GetInt(const Value& v, std::string_view key, int64_t fallback = 0) {
  const Value* m = v.Find(key);
  return m != nullptr && m->is_int() ? m->AsInt() : fallback;
}

Value Get(const Value& v, std::string_view key) {
  const Value* m = v.Find(key);
  return m != nullptr ? *m : Value();
}

std::optional<double> GetOptDouble(const Value& v, std::string_view key) {
  const Value* m = v.Find(key);
  if (m == nullptr || !m->is_number()) return std::nullopt;
  return m->AsDouble();
}

Value IntArray(const std::vector<int64_t>& xs) {
  asl::Array out;
  out.reserve(xs.size());
  for (int64_t x : xs) out.push_back(Int(x));
  return Value::MakeArray(std::move(out));
}

}  // namespace

Value Execution::Checkpoint() const {
  asl::Object top{{"v", Int(kCheckpointVersion)}, {"next", Int(next_event_id_)}, {"tmo", Int(timeout_due_)}};
  if (root_) top.emplace_back("root", SaveFrame(*root_));
  return Value::MakeObject(std::move(top));
}

Value Execution::SaveFrame(const Frame& f) const {
  asl::Object o{{"s", Int(f.state_index)},
                {"in", f.input},
                {"l", Int(f.last_event_id)},
                {"e", Int(f.entered_event_id)},
                {"t", Int(f.entered_time)},
                {"ra", IntArray(f.retry_attempts)},
                {"rc", Int(f.retry_count)},
                {"ci", Int(static_cast<int64_t>(f.child_index))},
                {"p", Int(static_cast<int64_t>(f.phase))}};
  if (!f.scope->variables.is_null()) o.emplace_back("vars", f.scope->variables);
  if (!f.map_item.is_null()) o.emplace_back("mi", f.map_item);
  if (f.silent) o.emplace_back("sil", Value::Bool(true));
  switch (f.phase) {
    case Phase::kReady:
      break;
    case Phase::kWait:
      o.emplace_back("due", Int(f.due));
      o.emplace_back("out", f.wait_output);
      break;
    case Phase::kRetry:
      o.emplace_back("due", Int(f.due));
      break;
    case Phase::kTask: {
      const TaskWait& t = *f.task;
      o.emplace_back("task", Value::MakeObject({{"par", t.parameters},
                                                {"lambda", Value::Bool(t.lambda)},
                                                {"tdue", Int(t.timeout_due)},
                                                {"hb", Int(t.heartbeat_seconds)},
                                                {"hdue", Int(t.heartbeat_due)},
                                                {"token", Value::String(t.token)},
                                                {"sent", Value::Bool(t.delivered)}}));
      break;
    }
    case Phase::kParallel: {
      const Join& j = *f.join;
      asl::Array results, finished;
      for (size_t i = 0; i < j.results.size(); ++i) {
        results.push_back(j.finished[i] ? j.results[i] : Value());
        finished.push_back(Value::Bool(j.finished[i]));
      }
      o.emplace_back("join", Value::MakeObject({{"res", Value::MakeArray(std::move(results))},
                                                {"fin", Value::MakeArray(std::move(finished))},
                                                {"rem", Int(static_cast<int64_t>(j.remaining))}}));
      break;
    }
    case Phase::kMap: {
      const Fanout& m = *f.fanout;
      asl::Object fan{{"items", m.items},
                      {"eff", m.effective},
                      {"res", Value::MakeArray(asl::Array(m.results.begin(), m.results.end()))},
                      {"next", Int(static_cast<int64_t>(m.next))},
                      {"run", Int(static_cast<int64_t>(m.running))},
                      {"fin", Int(static_cast<int64_t>(m.finished))},
                      {"fail", Int(static_cast<int64_t>(m.failed))},
                      {"lim", Int(static_cast<int64_t>(m.limit))}};
      if (m.tolerated_count) fan.emplace_back("tc", Value::Number(*m.tolerated_count));
      if (m.tolerated_percentage) fan.emplace_back("tp", Value::Number(*m.tolerated_percentage));
      o.emplace_back("fan", Value::MakeObject(std::move(fan)));
      break;
    }
  }
  if (f.phase == Phase::kParallel || f.phase == Phase::kMap) {
    asl::Array children;
    for (const FramePtr& child : f.children) {
      if (!child->done && !child->cancelled) children.push_back(SaveFrame(*child));
    }
    o.emplace_back("ch", Value::MakeArray(std::move(children)));
  }
  return Value::MakeObject(std::move(o));
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
  f->input = Get(v, "in");
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
      f->task->parameters = Get(t, "par");
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
