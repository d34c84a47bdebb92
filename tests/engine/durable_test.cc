// Checkpoints, resuming, unloading parked executions, task tokens, heartbeats,
// idempotent starts and background mode.
#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "stepflow/asl/json.h"
#include "stepflow/engine/engine.h"
#include "stepflow/storage/sqlite_store.h"
#include "testing/asl_helpers.h"
#include "testing/engine_helpers.h"

namespace {

using stepflow::asl::Value;
using stepflow::engine::Engine;
using stepflow::engine::EngineOptions;
using stepflow::engine::kNanosPerSecond;
using stepflow::engine::ManualClock;
using stepflow::engine::StartRequest;
using stepflow::engine::TaskInvocation;
using stepflow::engine::TaskOutcome;
using stepflow::storage::ExecutionStatus;
using stepflow::testing::Json;
using stepflow::testing::StartText;

constexpr char kWaitTwice[] = R"j({"StartAt":"A","States":{
  "A":{"Type":"Pass","Result":{"n":1},"Next":"W1"},
  "W1":{"Type":"Wait","Seconds":3600,"Next":"P"},
  "P":{"Type":"Parallel","ResultPath":"$.p","Next":"M","Branches":[
    {"StartAt":"PW","States":{"PW":{"Type":"Wait","Seconds":60,"End":true}}},
    {"StartAt":"PP","States":{"PP":{"Type":"Pass","Result":"b","End":true}}}]},
  "M":{"Type":"Map","ItemsPath":"$.p","MaxConcurrency":1,"ResultPath":"$.m",
       "ItemProcessor":{"StartAt":"MW","States":{"MW":{"Type":"Wait","Seconds":10,"End":true}}},"End":true}}})j";

std::unique_ptr<Engine> Open(EngineOptions options) {
  auto engine = Engine::Open(std::move(options));
  REQUIRE(engine.ok());
  return std::move(*engine);
}

// An engine on `store` reading time from `clock`, as a restarted process opens it.
std::unique_ptr<Engine> Open(stepflow::storage::Store* store, ManualClock& clock) {
  EngineOptions options;
  options.clock = &clock;
  options.store = store;
  return Open(std::move(options));
}

std::unique_ptr<stepflow::storage::Store> OpenSqlite(const stepflow::storage::SqliteOptions& sqlite) {
  auto store = stepflow::storage::OpenSqliteStore(sqlite);
  REQUIRE_MESSAGE(store.ok(), store.status().ToString());
  return std::move(*store);
}

// Runs `engine` through its current work by awaiting a one-state execution:
// every execution's steps share the engine's turns.
void Settle(Engine& engine) {
  auto quick = StartText(engine, R"j({"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}})j", "settle", "", "{}");
  REQUIRE(quick.ok());
  REQUIRE(engine.AwaitExecution(*quick).ok());
}

}  // namespace

TEST_CASE("A parked execution is unloaded, and a second engine on the store resumes it where it was") {
  auto store = stepflow::storage::NewMemStore();
  ManualClock clock;
  const auto start = clock.Now();
  std::string arn;
  {
    auto engine = Open(store.get(), clock);
    auto started = StartText(*engine, kWaitTwice, "durable", "first", "{}");
    REQUIRE(started.ok());
    arn = *started;
    Settle(*engine);
    CHECK(engine->loaded_executions() == 0);  // parked in the one-hour Wait
  }
  auto engine = Open(store.get(), clock);
  REQUIRE(engine->Resume(arn).ok());
  auto result = engine->AwaitExecution(arn);
  REQUIRE(result.ok());
  CHECK(result->status == ExecutionStatus::kSucceeded);
  CHECK(*result->output == Json(R"({"n":1,"p":[{"n":1},"b"],"m":[{"n":1},"b"]})"));
  auto history = engine->store().GetHistory(arn, 0, 1000);
  REQUIRE(history.ok());
  for (size_t i = 0; i < history->size(); ++i) CHECK((*history)[i].id == static_cast<int64_t>(i + 1));
  // One hour, one minute, then two ten-second iterations one after the other.
  CHECK(history->back().timestamp_ns - start == (3600 + 60 + 20) * kNanosPerSecond);
  CHECK(engine->loaded_executions() == 0);  // a finished execution holds no memory
}

TEST_CASE("A machine deleted while an execution of it waits is kept until that execution ends, as on AWS") {
  for (bool sqlite : {false, true}) {
    CAPTURE(sqlite);
    auto dir = std::filesystem::temp_directory_path() / ("stepflow-deleting-" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    stepflow::storage::SqliteOptions options;
    options.path = (dir / "d.db").string();
    auto store = sqlite ? OpenSqlite(options) : stepflow::storage::NewMemStore();
    ManualClock clock;
    auto engine = Open(store.get(), clock);
    auto started = StartText(*engine, kWaitTwice, "doomed", "parked", "{}");
    REQUIRE(started.ok());
    Settle(*engine);
    CHECK(engine->loaded_executions() == 0);  // unloaded: it reloads its revision from the store
    const std::string machine = started->substr(0, started->find(":execution:")) + ":stateMachine:doomed";
    REQUIRE(store->DeleteStateMachine(machine).ok());
    auto marked = store->GetStateMachine(machine);
    REQUIRE(marked.ok());
    CHECK(marked->deleting);
    CHECK(store->GetStateMachineHead(machine)->deleting);
    CHECK(store->ListStateMachines("", 10)->items.size() == 1);  // only "settle"
    CHECK(engine->StartExecution(StartRequest{machine, "", "{}"}).status().IsConflict());
    CHECK(store->CreateStateMachine(*marked).IsAlreadyExists());

    auto result = engine->AwaitExecution(*started);
    REQUIRE_MESSAGE(result.ok(), result.status().ToString());
    CHECK(result->status == ExecutionStatus::kSucceeded);
    CHECK(store->GetStateMachine(machine).status().IsNotFound());  // gone with its last execution
    engine.reset();
    store.reset();
    std::filesystem::remove_all(dir);
  }
}

TEST_CASE("An execution resumed mid-Wait keeps its due time and its history continues without a gap") {
  auto dir = std::filesystem::temp_directory_path() / ("stepflow-durable-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  stepflow::storage::SqliteOptions sqlite;
  sqlite.path = (dir / "resume.db").string();
  std::filesystem::remove(sqlite.path);
  ManualClock clock;
  const auto start = clock.Now();
  std::string arn;
  {
    auto store = OpenSqlite(sqlite);
    auto engine = Open(store.get(), clock);
    auto started = StartText(*engine, R"j({"StartAt":"W","States":{
        "W":{"Type":"Wait","Seconds":100,"Next":"Done"},"Done":{"Type":"Pass","End":true}}})j",
                             "durable", "mid-wait", R"({"k":"v"})");
    REQUIRE(started.ok());
    arn = *started;
    Settle(*engine);
    CHECK(engine->loaded_executions() == 0);  // parked in its Wait, unloaded
    auto history = engine->store().GetHistory(arn, 0, 100);
    REQUIRE(history.ok());
    REQUIRE(history->size() == 2);
    CHECK(history->back().type == "WaitStateEntered");
  }
  clock.Advance(40 * kNanosPerSecond);
  auto store = OpenSqlite(sqlite);
  auto engine = Open(store.get(), clock);
  auto resumed = engine->ResumeAll();
  REQUIRE(resumed.ok());
  CHECK(*resumed == 1);
  auto result = engine->AwaitExecution(arn);
  REQUIRE(result.ok());
  CHECK(result->status == ExecutionStatus::kSucceeded);
  CHECK(*result->output == Json(R"({"k":"v"})"));
  auto history = engine->store().GetHistory(arn, 0, 100);
  REQUIRE(history.ok());
  REQUIRE(history->size() == 6);
  CHECK((*history)[2].type == "WaitStateExited");
  // The Wait ended 100 s after it began, not 100 s after the restart.
  CHECK((*history)[2].timestamp_ns - start == 100 * kNanosPerSecond);
  for (size_t i = 0; i < history->size(); ++i) CHECK((*history)[i].id == static_cast<int64_t>(i + 1));
  std::filesystem::remove_all(dir);
}

TEST_CASE("A task whose answer was not recorded is sent again after a restart, with the same idempotency key") {
  auto store = stepflow::storage::NewMemStore();
  ManualClock clock;
  std::vector<std::string> keys;
  std::string arn;
  const char* definition = R"j({"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::local:work","End":true}}})j";
  {
    EngineOptions options;
    options.clock = &clock;
    options.store = store.get();
    // The first process never answers: it dies with the task in flight.
    options.task_handlers = {{"arn:aws:states:::local:work", [&keys](const TaskInvocation& t, std::function<void(TaskOutcome)>) {
                                keys.push_back(t.idempotency_key);
                              }}};
    auto engine = Open(std::move(options));
    auto started = StartText(*engine, definition, "tasks", "again", R"({"x":1})");
    REQUIRE(started.ok());
    arn = *started;
    Settle(*engine);
    REQUIRE(keys.size() == 1);
  }
  EngineOptions options;
  options.clock = &clock;
  options.store = store.get();
  options.task_handlers = {{"arn:aws:states:::local:work", [&keys](const TaskInvocation& t, std::function<void(TaskOutcome)> done) {
                              keys.push_back(t.idempotency_key);
                              done(TaskOutcome{true, Json(R"({"done":true})"), {}});
                            }}};
  auto engine = Open(std::move(options));
  REQUIRE(engine->Resume(arn).ok());
  auto result = engine->AwaitExecution(arn);
  REQUIRE_MESSAGE(result.ok(), result.status().ToString());
  CHECK(*result->output == Json(R"({"done":true})"));
  REQUIRE(keys.size() == 2);
  CHECK(keys[0] == keys[1]);
  auto events = engine->store().GetHistory(arn, 0, 100);
  REQUIRE(events.ok());
  std::vector<std::string> types;
  for (const auto& e : *events) types.emplace_back(e.type);
  CHECK(types == std::vector<std::string>{"ExecutionStarted", "TaskStateEntered", "TaskScheduled", "TaskStarted",
                                          "TaskSucceeded", "TaskStateExited", "ExecutionSucceeded"});
}

namespace {

// The checkpoint as engines before "inq" and "parq" wrote it: payloads as JSON,
// not as JSON text in a string.
Value WithRawPayloads(const Value& v) {
  if (v.is_array()) {
    stepflow::asl::Array items;
    for (const Value& item : v.AsArray()) items.push_back(WithRawPayloads(item));
    return Value::MakeArray(std::move(items));
  }
  if (!v.is_object()) return v;
  stepflow::asl::Object members;
  for (const auto& [key, member] : v.AsObject()) {
    if (key == "inq" || key == "parq") {
      members.emplace_back(key.substr(0, key.size() - 1), Json(member.AsString()));
    } else {
      members.emplace_back(key, WithRawPayloads(member));
    }
  }
  return Value::MakeObject(std::move(members));
}

}  // namespace

TEST_CASE("A task resumed from its checkpoint is sent the same parameters, from this or an older checkpoint") {
  for (bool older : {false, true}) {
    CAPTURE(older);
    auto store = stepflow::storage::NewMemStore();
    ManualClock clock;
    std::vector<std::string> sent;
    const char* definition = R"j({"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::local:work",
        "Parameters":{"n.$":"$.x","quote":"a \"b\" \\ c\n"},"End":true}}})j";
    std::string arn;
    {
      EngineOptions options;
      options.clock = &clock;
      options.store = store.get();
      options.task_handlers = {
          {"arn:aws:states:::local:work", [&sent](const TaskInvocation& t, std::function<void(TaskOutcome)>) {
             sent.push_back(stepflow::asl::ToJson(t.parameters));
           }}};
      auto engine = Open(std::move(options));
      auto started = StartText(*engine, definition, "params", "again", R"({"x":[1,{"y":"z"}]})");
      REQUIRE(started.ok());
      arn = *started;
      Settle(*engine);
      REQUIRE(sent.size() == 1);
    }
    auto checkpoint = store->GetCheckpoint(arn);
    REQUIRE(checkpoint.ok());
    CHECK(checkpoint->find("\"parq\"") != std::string::npos);
    if (older) {
      auto history = store->GetHistory(arn, 0, 100);
      REQUIRE(history.ok());
      stepflow::storage::AppendRequest rewrite;
      rewrite.execution_arn = arn;
      rewrite.expected_last_event_id = history->back().id;
      rewrite.checkpoint = stepflow::asl::ToJson(WithRawPayloads(Json(*checkpoint)));
      REQUIRE(rewrite.checkpoint->find("\"par\"") != std::string::npos);
      REQUIRE(store->Append(rewrite).ok());
    }
    EngineOptions options;
    options.clock = &clock;
    options.store = store.get();
    options.task_handlers = {
        {"arn:aws:states:::local:work", [&sent](const TaskInvocation& t, std::function<void(TaskOutcome)> done) {
           sent.push_back(stepflow::asl::ToJson(t.parameters));
           done(TaskOutcome{true, t.parameters, {}});
         }}};
    auto engine = Open(std::move(options));
    REQUIRE(engine->Resume(arn).ok());
    auto result = engine->AwaitExecution(arn);
    REQUIRE_MESSAGE(result.ok(), result.status().ToString());
    REQUIRE(sent.size() == 2);
    CHECK(sent[0] == R"({"n":[1,{"y":"z"}],"quote":"a \"b\" \\ c\n"})");
    CHECK(sent[1] == sent[0]);
    CHECK(stepflow::asl::ToJson(*result->output) == sent[0]);
  }
}

namespace {

struct TokenHarness {
  ManualClock clock;
  std::unique_ptr<stepflow::storage::Store> store = stepflow::storage::NewMemStore();
  std::vector<TaskInvocation> seen;
  std::unique_ptr<Engine> engine;

  TokenHarness() {
    EngineOptions options;
    options.clock = &clock;
    options.store = store.get();
    options.task_handlers = {{"arn:aws:states:::local:ask", [this](const TaskInvocation& t, std::function<void(TaskOutcome)> done) {
                                seen.push_back(t);
                                done(TaskOutcome{true, Json(R"({"accepted":true})"), {}});
                              }}};
    engine = Open(std::move(options));
  }

  // Starts a callback task and drives the engine until its token is out.
  std::string Start(const std::string& fields = "", const std::string& states = "") {
    std::string definition = R"j({"StartAt":"Ask","States":{"Ask":{"Type":"Task",
        "Resource":"arn:aws:states:::local:ask.waitForTaskToken","Parameters":{"token.$":"$$.Task.Token","q.$":"$.q"})j" +
                             fields + R"j(,"End":true})j" + states + "}}";
    auto started = StartText(*engine, definition, "callback", "", R"({"q":"why"})");
    REQUIRE_MESSAGE(started.ok(), started.status().ToString());
    // The token goes out once the first step has committed, a turn or two later.
    for (int turn = 0; turn < 5 && (seen.empty() || engine->loaded_executions() > 0); ++turn) Settle(*engine);
    REQUIRE(seen.size() == 1);
    return *started;
  }
};

}  // namespace

TEST_CASE("A .waitForTaskToken task hands its token to the resource and waits for SendTaskSuccess") {
  TokenHarness h;
  std::string arn = h.Start();
  const TaskInvocation& t = h.seen[0];
  CHECK(t.resource == "arn:aws:states:::local:ask.waitForTaskToken");
  REQUIRE(!t.task_token.empty());
  CHECK(*t.parameters.Find("token") == Value::String(t.task_token));
  CHECK(h.engine->loaded_executions() == 0);  // waiting for the token only
  CHECK(h.engine->SendTaskSuccess("no-such-token", "{}").IsNotFound());
  CHECK(h.engine->SendTaskSuccess(t.task_token, "{not json").IsInvalidArgument());
  REQUIRE(h.engine->SendTaskSuccess(t.task_token, R"({"answer":42})").ok());
  auto result = h.engine->AwaitExecution(arn);
  REQUIRE(result.ok());
  CHECK(*result->output == Json(R"({"answer":42})"));
  CHECK(h.engine->SendTaskSuccess(t.task_token, "{}").IsConflict());
  auto events = h.engine->store().GetHistory(arn, 0, 100);
  REQUIRE(events.ok());
  std::vector<std::string> types;
  for (const auto& e : *events) types.emplace_back(e.type);
  CHECK(types == std::vector<std::string>{"ExecutionStarted", "TaskStateEntered", "TaskScheduled", "TaskStarted",
                                          "TaskSubmitted", "TaskSucceeded", "TaskStateExited",
                                          "ExecutionSucceeded"});
}

TEST_CASE("SendTaskFailure fails the callback task with the given error, which Catch sees") {
  TokenHarness h;
  std::string arn = h.Start(R"(,"Catch":[{"ErrorEquals":["Rejected"],"Next":"Caught"}])",
                            R"(,"Caught":{"Type":"Pass","End":true})");
  REQUIRE(h.engine->SendTaskFailure(h.seen[0].task_token, "Rejected", "not today").ok());
  auto result = h.engine->AwaitExecution(arn);
  REQUIRE(result.ok());
  CHECK(result->status == ExecutionStatus::kSucceeded);
  CHECK(*result->output == Json(R"({"Error":"Rejected","Cause":"not today"})"));
}

TEST_CASE("A callback task without a heartbeat in HeartbeatSeconds fails with States.HeartbeatTimeout") {
  TokenHarness h;
  std::string arn = h.Start(R"(,"HeartbeatSeconds":10)");
  const std::string token = h.seen[0].task_token;
  h.clock.Advance(8 * kNanosPerSecond);
  REQUIRE(h.engine->SendTaskHeartbeat(token).ok());
  auto result = h.engine->AwaitExecution(arn);
  REQUIRE(result.ok());
  CHECK(result->status == ExecutionStatus::kFailed);
  CHECK(*result->error == "States.HeartbeatTimeout");
  auto history = h.engine->store().GetHistory(arn, 0, 100);
  REQUIRE(history.ok());
  // The heartbeat at 8 s moved the deadline to 18 s.
  int64_t timed_out = 0;
  for (const auto& e : *history) {
    if (e.type == "TaskTimedOut") timed_out = e.timestamp_ns;
  }
  CHECK(timed_out - (*history)[0].timestamp_ns == 18 * kNanosPerSecond);
  CHECK(h.engine->SendTaskSuccess(token, "{}").IsConflict());
}

TEST_CASE("StartExecution is idempotent by name: same input returns the running one, other input is refused") {
  ManualClock clock;
  EngineOptions options;
  options.clock = &clock;
  auto engine = Open(std::move(options));
  auto machine = engine->RegisterStateMachine(
      "idem", R"j({"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":5,"End":true}}})j");
  REQUIRE(machine.ok());
  auto first = engine->StartExecution(StartRequest{*machine, "once", R"({"a":1})"});
  REQUIRE(first.ok());
  auto again = engine->StartExecution(StartRequest{*machine, "once", R"({"a":1})"});
  REQUIRE(again.ok());
  CHECK(again->execution_arn == first->execution_arn);
  CHECK(again->start_time_ns == first->start_time_ns);
  CHECK(engine->StartExecution(StartRequest{*machine, "once", R"({"a":2})"}).status().IsAlreadyExists());
  REQUIRE(engine->AwaitExecution(first->execution_arn).ok());
  // Once it has ended, the name stays taken, as on AWS.
  CHECK(engine->StartExecution(StartRequest{*machine, "once", R"({"a":1})"}).status().IsAlreadyExists());
  CHECK(engine->StartExecution(StartRequest{*machine + "x", "n", "{}"}).status().IsNotFound());
  CHECK(engine->StartExecution(StartRequest{*machine, "bad-input", "{"}).status().IsInvalidArgument());
  CHECK(engine->RegisterStateMachine("broken", R"({"StartAt":"Nowhere","States":{}})").status().IsInvalidArgument());
}

TEST_CASE("In background mode the engine runs on its own thread and serves calls from others") {
  EngineOptions options;
  std::atomic<int> finished{0};
  auto engine = Open(std::move(options));
  engine->OnExecutionFinished([&finished](const std::string&, const stepflow::engine::ExecutionResult&) {
    ++finished;
  });
  REQUIRE(engine->RunInBackground().ok());
  auto machine = engine->RegisterStateMachine(
      "bg", R"j({"StartAt":"P","States":{"P":{"Type":"Pass","Parameters":{"v.$":"$.v"},"End":true}}})j");
  REQUIRE(machine.ok());
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 25; ++i) {
        auto started = engine->StartExecution(
            StartRequest{*machine, "", "{\"v\":" + std::to_string(t * 100 + i) + "}"});
        if (!started.ok()) continue;
        auto result = engine->AwaitExecution(started->execution_arn);
        if (result.ok() && *result->output->Find("v") == Value::Int(t * 100 + i)) ++ok;
      }
    });
  }
  for (auto& t : threads) t.join();
  CHECK(ok == 100);
  auto metrics = engine->metrics();
  CHECK(metrics.executions_started == 100);
  CHECK(metrics.state_transitions == 100);
  CHECK(metrics.commit_seconds.count > 0);
  CHECK(finished == 100);
}

TEST_CASE("Names made for unnamed executions are version 7 UUIDs, in the order of their start") {
  ManualClock clock;
  EngineOptions options;
  options.clock = &clock;
  auto engine = Open(std::move(options));
  auto machine = engine->RegisterStateMachine("m", R"j({"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}})j");
  REQUIRE(machine.ok());
  std::vector<std::string> names;
  for (int i = 0; i < 3; ++i) {
    auto started = engine->StartExecution(StartRequest{*machine, "", "{}"});
    REQUIRE(started.ok());
    names.push_back(started->execution_arn.substr(started->execution_arn.rfind(':') + 1));
    clock.Advance(kNanosPerSecond / 100);
  }
  const std::regex v7("[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");
  for (const std::string& name : names) CHECK_MESSAGE(std::regex_match(name, v7), name);
  CHECK(names[0] < names[1]);
  CHECK(names[1] < names[2]);
}

TEST_CASE("In background mode, starts from the engine thread (Post, a finish listener) commit with their turn") {
  EngineOptions options;
  auto engine = Open(std::move(options));
  REQUIRE(engine->RunInBackground().ok());
  auto machine = engine->RegisterStateMachine(
      "chain", R"j({"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}})j");
  REQUIRE(machine.ok());
  std::mutex mu;
  std::condition_variable cv;
  int finished = 0, started = 0;
  std::vector<std::string> failures;
  auto start = [&](int n) {
    auto r = engine->StartExecution(StartRequest{*machine, "run-" + std::to_string(n), "{}"});
    if (!r.ok()) failures.push_back(r.status().ToString());
    ++started;
  };
  // Each of the 10 first ones starts one more as it ends: 20 in all.
  engine->OnExecutionFinished([&](const std::string& arn, const stepflow::engine::ExecutionResult&) {
    int n = std::stoi(arn.substr(arn.rfind('-') + 1));
    if (n < 10) start(n + 10);
    std::lock_guard<std::mutex> lock(mu);
    ++finished;
    cv.notify_all();
  });
  engine->Post([&] {
    for (int n = 0; n < 10; ++n) start(n);
  });
  std::unique_lock<std::mutex> lock(mu);
  REQUIRE(cv.wait_for(lock, std::chrono::seconds(20), [&] { return finished == 20; }));
  CHECK(started == 20);
  CHECK(failures.empty());
  // The 10 started in the one Post committed together.
  auto metrics = engine->metrics();
  CHECK(metrics.commit_batch_size.count <= 12);
}

TEST_CASE("A start commits once, with its first steps, however many starts a turn makes") {
  auto dir = std::filesystem::temp_directory_path() / ("stepflow-one-write-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  stepflow::storage::SqliteOptions sqlite;
  sqlite.path = (dir / "one.db").string();
  auto store = OpenSqlite(sqlite);
  auto* sqlite_store = dynamic_cast<stepflow::storage::SqliteStore*>(store.get());
  REQUIRE(sqlite_store != nullptr);
  EngineOptions options;
  options.store = store.get();
  auto engine = Open(std::move(options));
  REQUIRE(engine->RunInBackground().ok());
  auto machine = engine->RegisterStateMachine("five", R"j({"StartAt":"S1","States":{
    "S1":{"Type":"Pass","Next":"S2"},"S2":{"Type":"Pass","Next":"S3"},"S3":{"Type":"Pass","Next":"S4"},
    "S4":{"Type":"Pass","Next":"S5"},"S5":{"Type":"Pass","End":true}}})j");
  REQUIRE(machine.ok());
  std::mutex mu;
  std::condition_variable cv;
  int finished = 0;
  engine->OnExecutionFinished([&](const std::string&, const stepflow::engine::ExecutionResult&) {
    std::lock_guard<std::mutex> lock(mu);
    ++finished;
    cv.notify_all();
  });
  const int64_t writes_before = sqlite_store->Stats().writes_committed;
  constexpr int kStarts = 600;  // more than one turn's slice of queued work
  engine->Post([&] {
    for (int n = 0; n < kStarts; ++n) REQUIRE(engine->StartExecution(StartRequest{*machine, "", "{}"}).ok());
  });
  {
    std::unique_lock<std::mutex> lock(mu);
    REQUIRE(cv.wait_for(lock, std::chrono::seconds(30), [&] { return finished == kStarts; }));
  }
  CHECK(sqlite_store->Stats().writes_committed - writes_before == kStarts);
  stepflow::storage::ListExecutionsQuery succeeded;
  succeeded.state_machine_arn = machine->substr(0, machine->rfind(':'));  // without its ":1"
  succeeded.status = ExecutionStatus::kSucceeded;
  succeeded.limit = 1000;
  auto listed = store->ListExecutions(succeeded);
  REQUIRE(listed.ok());
  CHECK(listed->items.size() == kStarts);
  engine.reset();
  store.reset();
  std::filesystem::remove_all(dir);
}

TEST_CASE("A start after the machine changed in the store runs the new revision, or the new machine") {
  EngineOptions options;
  auto engine = Open(std::move(options));
  auto machine = engine->RegisterStateMachine(
      "changing", R"j({"StartAt":"P","States":{"P":{"Type":"Pass","Result":"one","End":true}}})j");
  REQUIRE(machine.ok());
  const std::string latest = machine->substr(0, machine->rfind(':'));  // *machine names revision 1
  auto run = [&](const std::string& arn) {
    auto started = engine->StartExecution(StartRequest{arn, "", "{}"});
    REQUIRE(started.ok());
    auto result = engine->AwaitExecution(started->execution_arn);
    REQUIRE(result.ok());
    return stepflow::asl::ToJson(*result->output);
  };
  CHECK(run(latest) == "\"one\"");
  // As `stepflow serve` updates it: through the store, not the engine.
  stepflow::storage::StateMachineRecord update;
  update.arn = latest;
  update.definition = R"j({"StartAt":"P","States":{"P":{"Type":"Pass","Result":"two","End":true}}})j";
  REQUIRE(engine->store().UpdateStateMachine(update).ok());
  CHECK(run(latest) == "\"two\"");
  CHECK(run(*machine) == "\"one\"");

  // Deleted and created again, it is a new machine whose revisions restart at 1.
  REQUIRE(engine->store().DeleteStateMachine(latest).ok());
  auto old_first = engine->store().GetStateMachineRevision(latest, 1);
  CHECK(old_first.status().IsNotFound());
  stepflow::storage::StateMachineRecord again;
  again.arn = latest;
  again.name = "changing";
  again.definition = R"j({"StartAt":"P","States":{"P":{"Type":"Pass","Result":"three","End":true}}})j";
  REQUIRE(engine->store().CreateStateMachine(again).ok());
  CHECK(run(latest) == "\"three\"");
  CHECK(run(*machine) == "\"three\"");
}

TEST_CASE("A full database fails the engine with a clear error; what was committed resumes once there is room") {
  auto dir = std::filesystem::temp_directory_path() / ("stepflow-full-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  stepflow::storage::SqliteOptions sqlite;
  sqlite.path = (dir / "full.db").string();
  std::filesystem::remove(sqlite.path);
  const char* definition = R"j({"StartAt":"W","States":{
      "W":{"Type":"Wait","Seconds":10,"Next":"Again"},"Again":{"Type":"Pass","End":true}}})j";
  // Each start commits about 80 KB (the input in its row, two events and its
  // checkpoint); the rest of each run as much again.
  const std::string input = "{\"pad\":\"" + std::string(20000, 'x') + "\"}";
  ManualClock clock;
  std::vector<std::string> arns;
  {
    sqlite.max_page_count = 100;  // a 400 KB disk: the starts fit, the ends do not
    auto store = OpenSqlite(sqlite);
    auto engine = Open(store.get(), clock);
    for (int i = 0; i < 3; ++i) {
      auto started = StartText(*engine, definition, "full", "f" + std::to_string(i), input);
      REQUIRE_MESSAGE(started.ok(), started.status().ToString());
      arns.push_back(*started);
    }
    auto result = engine->AwaitExecution(arns[0]);
    REQUIRE_FALSE(result.ok());
    CHECK_MESSAGE(result.status().message().find("full") != std::string::npos, result.status().ToString());
  }
  sqlite.max_page_count = 0;
  auto store = OpenSqlite(sqlite);
  auto engine = Open(store.get(), clock);
  auto resumed = engine->ResumeAll();
  REQUIRE(resumed.ok());
  CHECK(*resumed == arns.size());
  for (const std::string& arn : arns) {
    auto result = engine->AwaitExecution(arn);
    REQUIRE_MESSAGE(result.ok(), result.status().ToString());
    CHECK(result->status == ExecutionStatus::kSucceeded);
    CHECK(result->output->Find("pad")->AsString().size() == 20000);
    auto history = engine->store().GetHistory(arn, 0, 100);
    REQUIRE(history.ok());
    for (size_t i = 0; i < history->size(); ++i) CHECK((*history)[i].id == static_cast<int64_t>(i + 1));
  }
  std::filesystem::remove_all(dir);
}
